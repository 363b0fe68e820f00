"""A pytest fixture that gives each test its own mixpeek-mock.

Copy this file next to your tests. It starts the mixpeek-mock binary on a free port, waits for
its "listening on" line, yields where it is and how to authenticate, and stops it after the
test. The binary is MIXPEEK_MOCK_BIN, or mixpeek-mock on PATH (a release binary, the container
image's, or `go install github.com/mixpeekkit/mixpeekkit/cmd/mixpeek-mock@latest`).

    def test_stores_the_key(mixpeek_mock):
        client = MyClient(mixpeek_mock.base_url, mixpeek_mock.api_key)
        ...

Mark a test with @pytest.mark.mixpeek_mock_args("-seed", "7", "-clock", "frozen:2030-01-01T00:00:00Z")
to pass flags: the same seed and a frozen clock give the same answers in every run, to compare
with golden bodies.
"""

import contextlib
import os
import shutil
import subprocess
import threading
from typing import NamedTuple

import pytest


class Mock(NamedTuple):
    base_url: str
    api_key: str
    user_email: str


def pytest_configure(config):
    config.addinivalue_line("markers", "mixpeek_mock_args(*flags): flags for the test's mixpeek-mock")


def _binary():
    path = os.environ.get("MIXPEEK_MOCK_BIN") or shutil.which("mixpeek-mock")
    if not path:
        pytest.fail(
            "mixpeek-mock not found: set MIXPEEK_MOCK_BIN or put it on PATH "
            "(go install github.com/mixpeekkit/mixpeekkit/cmd/mixpeek-mock@latest, or a release binary)",
            pytrace=False,
        )
    return path


@contextlib.contextmanager
def start_mock(*flags):
    """Start a mixpeek-mock with these flags; yields a Mock, stops it on exit."""
    proc = subprocess.Popen(
        [_binary(), "-addr", "127.0.0.1:0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
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
    if not ready.wait(10) or "base_url" not in banner:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail("mixpeek-mock did not start:\n" + err, pytrace=False)
    try:
        yield Mock(
            base_url=banner["base_url"],
            api_key=banner.get("admin key (development only, documented)", ""),
            user_email=banner.get("organization owner", ""),
        )
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def mixpeek_mock(request):
    marker = request.node.get_closest_marker("mixpeek_mock_args")
    with start_mock(*(marker.args if marker else ())) as mock:
        yield mock
