"""A pytest fixture that gives each test its own mixpeek-mock.

Copy this file next to your tests. It starts the mixpeek-mock binary on a free port, waits for
its "listening on" line, yields where it is and how to authenticate, and stops it after the
test. The binary is MIXPEEK_MOCK_BIN, or mixpeek-mock on PATH (a release binary, the container
image's, or `go install github.com/mixpeekkit/mixpeekkit/cmd/mixpeek-mock@latest`), or, in a
clone of mixpeekkit, the bin/mixpeek-mock that `make build` writes.

    def test_stores_the_key(mixpeek_mock):
        client = MyClient(mixpeek_mock.base_url, mixpeek_mock.api_key)
        ...

Mark a test with @pytest.mark.mixpeek_mock_args("-seed", "7", "-clock", "frozen:2030-01-01T00:00:00Z")
to pass flags: the same seed and a frozen clock give the same answers in every run, to compare
with golden bodies. With your own fixture file, give its first organization's admin key, which
the mock does not print: @pytest.mark.mixpeek_mock_args("-fixtures", "f.yaml", api_key="sk_...")
(with -admin-key the key is taken from the flags).

With MIXPEEK_RECORD_TO set to a directory, each test that passes writes what it did to
<dir>/<test name>.recording.json (GET /_mock/recording): commit them, and replay them against
staging with `mixpeek-conformance replay -recording FILE ...` (README: consumer-driven replay).
"""

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import urllib.request
from typing import NamedTuple

import pytest


class Mock(NamedTuple):
    base_url: str
    api_key: str
    user_email: str


def pytest_configure(config):
    config.addinivalue_line("markers", "mixpeek_mock_args(*flags, api_key=None): flags for the test's mixpeek-mock")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # The fixture writes a recording only for a test that passed: keep each phase's report.
    outcome = yield
    report = outcome.get_result()
    setattr(item, "mixpeek_" + report.when, report)


def _binary():
    # In a clone of mixpeekkit, the binary `make build` writes is found too.
    built = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bin", "mixpeek-mock")
    path = os.environ.get("MIXPEEK_MOCK_BIN") or shutil.which("mixpeek-mock")
    if not path and os.access(built, os.X_OK):
        path = os.path.normpath(built)
    if not path:
        pytest.fail(
            "mixpeek-mock not found: set MIXPEEK_MOCK_BIN or put it on PATH "
            "(go install github.com/mixpeekkit/mixpeekkit/cmd/mixpeek-mock@latest, or a release binary; "
            "in a clone of mixpeekkit, make build)",
            pytrace=False,
        )
    return path


@contextlib.contextmanager
def start_mock(*flags, api_key=None):
    """Start a mixpeek-mock with these flags; yields a Mock, stops it on exit."""
    # The log (a line per request) goes to a file: a pipe nobody reads would fill up and
    # stop the mock.
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(
        [_binary(), "-addr", "127.0.0.1:0", *flags],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    banner = {}
    ready = threading.Event()

    def read_banner():
        # The banner ends with its "try:" line; the mock writes nothing else to stdout.
        for line in proc.stdout:
            key, sep, value = line.rstrip("\n").partition(": ")
            if line.startswith("listening on "):
                banner["base_url"] = line[len("listening on "):].strip()
            elif sep:
                banner[key] = value
            if line.startswith("try:"):
                break
        ready.set()

    threading.Thread(target=read_banner, daemon=True).start()
    def stop():
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def log_text():
        log.seek(0)
        return log.read()

    if not ready.wait(10) or "base_url" not in banner:
        stop()
        pytest.fail("mixpeek-mock did not start:\n" + log_text(), pytrace=False)
    if api_key is None and "-admin-key" in flags[:-1]:
        api_key = flags[flags.index("-admin-key") + 1]
    key = api_key or banner.get("admin key (development only, documented)", "")
    if not key:
        stop()
        pytest.fail("the mock's admin key is not known: with -fixtures, give it: "
                    '@pytest.mark.mixpeek_mock_args("-fixtures", FILE, api_key="sk_...")', pytrace=False)
    try:
        yield Mock(base_url=banner["base_url"], api_key=key, user_email=banner.get("organization owner", ""))
    finally:
        stop()
        log.close()


@pytest.fixture
def mixpeek_mock(request):
    marker = request.node.get_closest_marker("mixpeek_mock_args")
    flags, options = (marker.args, marker.kwargs) if marker else ((), {})
    with start_mock(*flags, **options) as mock:
        yield mock
        record_to = os.environ.get("MIXPEEK_RECORD_TO")
        call = getattr(request.node, "mixpeek_call", None)
        if record_to and call is not None and call.passed:
            with urllib.request.urlopen(mock.base_url + "/_mock/recording", timeout=10) as resp:
                recording = resp.read()
            os.makedirs(record_to, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
            with open(os.path.join(record_to, name + ".recording.json"), "wb") as f:
                f.write(recording)
