#!/usr/bin/env bash
# Start mixpeek-mock with fixtures, wait until /_mock/health answers, run a client against
# it, and stop the mock, whatever the client did. The client is the command given as
# arguments (default: the conformance suite). It finds the mock through the environment:
#   MIXPEEK_BASE_URL, MIXPEEK_API_KEY, MIXPEEK_USER_EMAIL, MIXPEEK_PEER_API_KEY
# Usage: examples/ci/run-with-mock.sh [command args...]
# Needs Go and curl (a GitHub-hosted runner has both).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# MIXPEEK_MOCK_BIN: an installed mixpeek-mock (go install .../cmd/mixpeek-mock@VERSION);
# otherwise it is built from this repository. Built, not `go run`, so SIGTERM reaches it.
bin=${MIXPEEK_MOCK_BIN:-}
if [ -z "$bin" ]; then
  (cd "$root" && go build -o "$tmp/mixpeek-mock" ./cmd/mixpeek-mock)
  bin="$tmp/mixpeek-mock"
fi
"$bin" -addr 127.0.0.1:0 -fixtures "$here/fixtures.yaml" >"$tmp/out" 2>"$tmp/err" &
pid=$!

# The mock prints "listening on URL" once it accepts connections; port 0 picked a free port.
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$tmp/out" && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/err" >&2; exit 1; }
  sleep 0.1
done
base=$(sed -n 's/^listening on //p' "$tmp/out")
[ -n "$base" ] || { echo "the mock did not start" >&2; cat "$tmp/err" >&2; exit 1; }
for _ in $(seq 1 50); do
  curl -fsS "$base/_mock/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$base/_mock/health" >/dev/null

export MIXPEEK_BASE_URL="$base"
export MIXPEEK_API_KEY=sk_ci_admin_key_for_the_mock_only_0000000000000000
export MIXPEEK_USER_EMAIL=ci-owner@example.com
export MIXPEEK_PEER_API_KEY=sk_ci_peer_admin_key_for_the_mock_only_00000000000
if [ "$#" -eq 0 ]; then
  # The default client: the conformance suite of this repository, every check.
  (cd "$root" && go run ./cmd/mixpeek-conformance -destructive)
else
  "$@"
fi
