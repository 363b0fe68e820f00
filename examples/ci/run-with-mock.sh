#!/usr/bin/env bash
# Start mixpeek-mock with fixtures, wait until /_mock/health answers, run a client against it,
# and stop the mock, whatever the client did; the script exits with the client's exit code.
# Copy it (and fixtures.yaml, or your own) into your repository: it needs no clone of this one.
#
# Usage: run-with-mock.sh [command args...]
#   The client is the command given (default: mixpeek-conformance -destructive -rate 0, when it is on
#   PATH or in MIXPEEK_CONFORMANCE_BIN). It finds the mock through the environment:
#   MIXPEEK_BASE_URL, MIXPEEK_API_KEY, MIXPEEK_USER_EMAIL, MIXPEEK_PEER_API_KEY.
#
# Settings (environment):
#   MIXPEEK_MOCK_BIN       the mixpeek-mock binary (default: mixpeek-mock on PATH)
#   MIXPEEK_MOCK_FIXTURES  the fixture file (default: fixtures.yaml beside this script)
#   MIXPEEK_API_KEY, MIXPEEK_USER_EMAIL   an admin key of the fixtures and its owner
#   MIXPEEK_PEER_API_KEY   an admin key of another organization of the fixtures (the suite's
#                          isolation checks); empty: none, those checks are skipped
#   Unset ones default to the keys of the example fixtures.yaml when the fixture file holds
#   them; with your own fixtures, set them to what your file holds.
# Needs curl (a GitHub-hosted runner has it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

bin=${MIXPEEK_MOCK_BIN:-$(command -v mixpeek-mock || true)}
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  echo "run-with-mock.sh: mixpeek-mock not found: put it on PATH or set MIXPEEK_MOCK_BIN;" >&2
  echo "  install it with: go install github.com/mixpeekkit/mixpeekkit/cmd/mixpeek-mock@latest" >&2
  exit 2
fi
fixtures=${MIXPEEK_MOCK_FIXTURES:-$here/fixtures.yaml}
[ -f "$fixtures" ] || { echo "run-with-mock.sh: no fixture file at $fixtures (set MIXPEEK_MOCK_FIXTURES)" >&2; exit 2; }
# The example fixtures' keys, as defaults of what is unset, each only when the fixture file
# holds it (an empty MIXPEEK_PEER_API_KEY stays empty: no peer).
example() { grep -qF -- "$1" "$fixtures"; }
if example sk_ci_admin_key_for_the_mock_only_0000000000000000 && example ci-owner@example.com; then
  : "${MIXPEEK_API_KEY:=sk_ci_admin_key_for_the_mock_only_0000000000000000}"
  : "${MIXPEEK_USER_EMAIL:=ci-owner@example.com}"
fi
if example sk_ci_peer_admin_key_for_the_mock_only_00000000000; then
  : "${MIXPEEK_PEER_API_KEY=sk_ci_peer_admin_key_for_the_mock_only_00000000000}"
fi
if [ "$#" -eq 0 ]; then
  if [ -z "${MIXPEEK_API_KEY:-}" ] || [ -z "${MIXPEEK_USER_EMAIL:-}" ]; then
    echo "run-with-mock.sh: with your own fixtures ($fixtures), set MIXPEEK_API_KEY and MIXPEEK_USER_EMAIL" >&2
    echo "  to an admin key of the file and its owner (and MIXPEEK_PEER_API_KEY to another organization's, or leave it empty)" >&2
    exit 2
  fi
  conformance=${MIXPEEK_CONFORMANCE_BIN:-$(command -v mixpeek-conformance || true)}
  if [ -z "$conformance" ]; then
    echo "run-with-mock.sh: give the client to run, or put mixpeek-conformance on PATH (or set MIXPEEK_CONFORMANCE_BIN):" >&2
    echo "  go install github.com/mixpeekkit/mixpeekkit/cmd/mixpeek-conformance@latest" >&2
    exit 2
  fi
  set -- "$conformance" -destructive -rate 0  # unpaced: the mock is this job's own
fi

tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

: >"$tmp/out"  # there before the mock writes to it, so that the first look finds it
"$bin" -addr 127.0.0.1:0 -fixtures "$fixtures" >"$tmp/out" 2>"$tmp/err" &
pid=$!
# The mock prints "listening on URL" once it accepts connections; port 0 picked a free port.
for _ in $(seq 1 100); do
  grep -qs '^listening on ' "$tmp/out" && break
  kill -0 "$pid" 2>/dev/null || { echo "run-with-mock.sh: the mock stopped:" >&2; cat "$tmp/err" >&2; exit 1; }
  sleep 0.1
done
base=$(sed -n 's/^listening on //p' "$tmp/out")
[ -n "$base" ] || { echo "run-with-mock.sh: the mock did not start" >&2; cat "$tmp/err" >&2; exit 1; }
for _ in $(seq 1 50); do
  curl -fsS "$base/_mock/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$base/_mock/health" >/dev/null

export MIXPEEK_BASE_URL="$base"
export MIXPEEK_API_KEY="${MIXPEEK_API_KEY:-}" MIXPEEK_USER_EMAIL="${MIXPEEK_USER_EMAIL:-}" MIXPEEK_PEER_API_KEY="${MIXPEEK_PEER_API_KEY:-}"
status=0
"$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "run-with-mock.sh: the client exited with $status; the mock's log:" >&2
  cat "$tmp/err" >&2
fi
exit "$status"
