#!/usr/bin/env bash
# The script of the GitHub Action (action.yml at the root of this repository), also run by
# this repository's CI (.ci/run): start mixpeek-mock in the background, wait until it answers
# /_mock/health, and hand the steps that follow MIXPEEK_BASE_URL, MIXPEEK_API_KEY and
# MIXPEEK_USER_EMAIL (appended to $GITHUB_ENV) and the outputs base-url, pid and log (appended
# to $GITHUB_OUTPUT). The mock runs until the job ends (or kill "$pid").
#
# Settings (environment; action.yml sets them from its inputs):
#   MIXPEEK_MOCK_BIN        the mixpeek-mock binary (default: mixpeek-mock on PATH; else it is
#                           built from the checkout this script is in, which needs Go)
#   MIXPEEK_MOCK_FIXTURES   a fixture file (default: the embedded development organization)
#   MIXPEEK_ACTION_API_KEY  the admin key of the fixtures' first organization (not needed
#                           for the default, whose documented development key is used)
#   MIXPEEK_ACTION_PORT     the port (default 0: a free one)
#   MIXPEEK_ACTION_ARGS     more flags for mixpeek-mock, split on spaces (-seed 7 -clock ...)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "start-mock.sh: $*" >&2; exit 1; }

work=${RUNNER_TEMP:-$(mktemp -d)}
bin=${MIXPEEK_MOCK_BIN:-$(command -v mixpeek-mock || true)}
if [ -z "$bin" ]; then
  command -v go >/dev/null || fail "mixpeek-mock is not on PATH and there is no Go to build it (set MIXPEEK_MOCK_BIN, or use actions/setup-go first)"
  (cd "$here/.." && CGO_ENABLED=0 go build -o "$work/mixpeek-mock" ./cmd/mixpeek-mock) || fail "building mixpeek-mock failed"
  bin=$work/mixpeek-mock
fi
[ -x "$bin" ] || fail "$bin is not an executable"

args=(-addr "127.0.0.1:${MIXPEEK_ACTION_PORT:-0}")
if [ -n "${MIXPEEK_MOCK_FIXTURES:-}" ]; then
  [ -f "$MIXPEEK_MOCK_FIXTURES" ] || fail "no fixture file at $MIXPEEK_MOCK_FIXTURES"
  args+=(-fixtures "$MIXPEEK_MOCK_FIXTURES")
fi
# shellcheck disable=SC2206 # flags split on spaces, as documented
args+=(${MIXPEEK_ACTION_ARGS:-})

# Files of their own: the action may start several mocks in one job.
log=$(mktemp "$work/mixpeek-mock.XXXXXX.log")
out=${log%.log}.out
# Unset so that the mock reads its settings from the flags above only.
env -u MIXPEEK_MOCK_FIXTURES nohup "$bin" "${args[@]}" >"$out" 2>"$log" &
pid=$!
disown "$pid" 2>/dev/null || true
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$out" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "the mock stopped before it listened"; }
  sleep 0.1
done
base=$(sed -n 's/^listening on //p' "$out")
[ -n "$base" ] || { kill "$pid" 2>/dev/null; cat "$log" >&2; fail "the mock did not start within 10 s"; }
port=${base##*:}
for _ in $(seq 1 50); do
  "$bin" health -addr "127.0.0.1:$port" >/dev/null 2>&1 && break
  sleep 0.1
done
"$bin" health -addr "127.0.0.1:$port" >/dev/null || { kill "$pid" 2>/dev/null; cat "$log" >&2; fail "the mock is not healthy"; }

email=$(sed -n 's/^organization owner: //p' "$out" | head -n 1)
key=${MIXPEEK_ACTION_API_KEY:-$(sed -n 's/^admin key (development only, documented): //p' "$out")}
[ -n "$key" ] || { kill "$pid" 2>/dev/null; fail "give the admin key of the fixtures' first organization (the action's api-key input, MIXPEEK_ACTION_API_KEY)"; }
# The key is checked with one authenticated call (when curl is there, as on GitHub's runners):
# a wrong api-key input fails here, not in a later step.
if command -v curl >/dev/null; then
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$base/v1/organizations/secrets" || true)
  [ "$code" = 200 ] || { kill "$pid" 2>/dev/null; fail "the admin key does not authenticate (GET /v1/organizations/secrets answered $code): give the key of the first organization's admin-key (api-key, MIXPEEK_ACTION_API_KEY)"; }
fi

{
  echo "MIXPEEK_BASE_URL=$base"
  echo "MIXPEEK_API_KEY=$key"
  echo "MIXPEEK_USER_EMAIL=$email"
} >>"${GITHUB_ENV:-/dev/null}"
{
  echo "base-url=$base"
  echo "pid=$pid"
  echo "log=$log"
} >>"${GITHUB_OUTPUT:-/dev/null}"
echo "mixpeek-mock $("$bin" -version | sed 's/^mixpeek-mock //') at $base (pid $pid, log $log); owner $email"
