package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
	"github.com/mixpeekkit/mixpeekkit/mockserver/mockservertest"
)

const (
	ownerEmail = "owner@org-a.test"
	peerEmail  = "owner@org-b.test"
)

// Recognisable keys, so a test can tell when one leaks into the output.
var (
	ownerKey = "sk_OWNERKEY_must_never_be_printed_" + strings.Repeat("o", 20)
	peerKey  = "sk_PEERKEY_must_never_be_printed_" + strings.Repeat("p", 20)
)

// newMock starts a mock of two organizations, so the isolation checks can run. Its Wrap
// injects a bug or watches the requests.
func newMock(t *testing.T) *mockservertest.Server {
	t.Helper()
	return mockservertest.NewServerWithOptions(t, mockserver.Options{Seed: fixtures.SeedOf(
		fixtures.Org("A", ownerEmail, ownerKey), fixtures.Org("B", peerEmail, peerKey))})
}

// fullArgs are the flags of a complete run against url: every check enabled, the exploration
// a short unpaced walk, the expiry check moving the mock's clock (TestWithoutPeerAndDestructiveSkips
// waits the 3 s instead, under make test-all).
func fullArgs(url string, extra ...string) []string {
	return append([]string{"-base-url", url, "-api-key", ownerKey, "-user-email", ownerEmail,
		"-peer-api-key", peerKey, "-destructive", "-explore", "150", "-rate", "0", "-mock-clock"}, extra...)
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runCmd runs the command and returns its exit code and outputs.
func runCmd(ctx context.Context, args []string, env map[string]string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(ctx, args, envOf(env), &out, &errb)
	return code, out.String(), errb.String()
}

// noKeys fails when a key of the run appears in any of the texts.
func noKeys(t *testing.T, texts ...string) {
	t.Helper()
	for _, text := range texts {
		for _, k := range []string{ownerKey, peerKey} {
			if strings.Contains(text, k) {
				t.Errorf("output shows the API key %s:\n%s", k, text)
			}
		}
	}
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// summary is a closing line without its total time ("N passed, ... in 1.2s"), or the line as
// it is when it does not end with a time, so that a comparison with the summary fails.
func summary(line string) string {
	head, d, ok := strings.Cut(line, " in ")
	if _, err := time.ParseDuration(d); !ok || err != nil {
		return line
	}
	return head
}

// header is the first line of a text run: "checking URL: N checks, prefix P".
var header = regexp.MustCompile(`^checking http://127\.0\.0\.1:\d+: \d+ checks?, prefix [A-Za-z0-9_-]+$`)

// closedURL is the URL of a loopback port that nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String()
}

func lastLine(s string) string {
	ls := lines(s)
	if len(ls) == 0 {
		return ""
	}
	return ls[len(ls)-1]
}

// leftovers lists what a run with prefix left in the mock: secrets, and keys of the owners
// not revoked.
func leftovers(mock *mockservertest.Server, prefix string) []string {
	var left []string
	for _, o := range mock.Organizations() {
		names, _ := mock.SecretNames(o.ID)
		for _, name := range names {
			if strings.HasPrefix(name, prefix) {
				left = append(left, "secret "+name+" in "+o.Name)
			}
		}
		keys, _ := mock.APIKeys(o.ID, o.OwnerEmail)
		for _, k := range keys {
			if strings.HasPrefix(k.Name, prefix) && k.Status != "revoked" {
				left = append(left, "key "+k.Name+" "+k.Status)
			}
		}
	}
	return left
}

func checkIDs() []string {
	var ids []string
	for _, c := range allChecks() {
		ids = append(ids, c.ID)
	}
	return ids
}

// --- 1. flags and their environment mirrors ---

func TestParseEnvMirrorsAndFlagsWin(t *testing.T) {
	required := map[string]string{
		"MIXPEEK_BASE_URL":   "http://required.example",
		"MIXPEEK_API_KEY":    ownerKey,
		"MIXPEEK_USER_EMAIL": ownerEmail,
	}
	cases := []struct {
		flag, env         string
		envVal, flagVal   string
		wantEnv, wantFlag string // when empty, envVal and flagVal
		get               func(options) string
		also              map[string]string // more environment the flag needs
	}{
		{flag: "base-url", env: "MIXPEEK_BASE_URL", envVal: "http://env.example", flagVal: "http://flag.example",
			get: func(o options) string { return o.cfg.BaseURL }},
		{flag: "api-key", env: "MIXPEEK_API_KEY", envVal: "sk_env", flagVal: "sk_flag",
			get: func(o options) string { return o.cfg.APIKey }},
		{flag: "user-email", env: "MIXPEEK_USER_EMAIL", envVal: "env@x.test", flagVal: "flag@x.test",
			get: func(o options) string { return o.cfg.UserEmail }},
		{flag: "peer-api-key", env: "MIXPEEK_PEER_API_KEY", envVal: "sk_peer_env", flagVal: "sk_peer_flag",
			get: func(o options) string { return o.cfg.PeerAPIKey }},
		{flag: "destructive", env: "MIXPEEK_CONFORMANCE_DESTRUCTIVE", envVal: "true", flagVal: "false",
			get: func(o options) string { return fmt.Sprint(o.cfg.Destructive) }},
		{flag: "run", env: "MIXPEEK_CONFORMANCE_RUN", envVal: "^secrets/", flagVal: "^auth/",
			get: func(o options) string { return o.cfg.Run }},
		{flag: "prefix", env: "MIXPEEK_CONFORMANCE_PREFIX", envVal: "envpfx", flagVal: "flagpfx",
			get: func(o options) string { return o.cfg.Prefix }},
		{flag: "timeout", env: "MIXPEEK_CONFORMANCE_TIMEOUT", envVal: "3s", flagVal: "1m30s",
			get: func(o options) string { return o.cfg.RequestTimeout.String() }},
		{flag: "format", env: "MIXPEEK_CONFORMANCE_FORMAT", envVal: "json", flagVal: "junit",
			get: func(o options) string { return o.format }},
		{flag: "out", env: "MIXPEEK_CONFORMANCE_OUT", envVal: "/tmp/env-report", flagVal: "/tmp/flag-report",
			get: func(o options) string { return o.out }},
		{flag: "explore", env: "MIXPEEK_CONFORMANCE_EXPLORE", envVal: "500", flagVal: "20",
			get: func(o options) string { return fmt.Sprint(o.cfg.Explore) }},
		{flag: "seed", env: "MIXPEEK_CONFORMANCE_SEED", envVal: "12345", flagVal: "-7",
			get: func(o options) string { return fmt.Sprint(o.cfg.Seed) }},
		{flag: "rate", env: "MIXPEEK_CONFORMANCE_RATE", envVal: "2.5", flagVal: "0",
			get: func(o options) string { return fmt.Sprint(o.cfg.Rate) }},
		{flag: "mock-clock", env: "MIXPEEK_CONFORMANCE_MOCK_CLOCK", envVal: "true", flagVal: "false",
			get: func(o options) string { return fmt.Sprint(o.mockClock, o.cfg.Sleep != nil) }, wantEnv: "true true", wantFlag: "false false"},
		{flag: "control-token", env: "MIXPEEK_MOCK_CONTROL_TOKEN", envVal: "ctl-env", flagVal: "ctl-flag",
			get: func(o options) string { return o.controlToken }, also: map[string]string{"MIXPEEK_CONFORMANCE_MOCK_CLOCK": "1"}},
	}
	// Every mirror the command declares is covered here, and as declared.
	covered := map[string]string{}
	for _, c := range cases {
		covered[c.flag] = c.env
	}
	mirrors := mirrorsOf(runFlags(&options{}))
	for _, m := range mirrors {
		if covered[m.Flag] != m.Env {
			t.Errorf("mirror -%s/%s is not tested (or is tested as %q)", m.Flag, m.Env, covered[m.Flag])
		}
	}
	if len(mirrors) != len(cases) {
		t.Errorf("%d mirrors, %d tested", len(mirrors), len(cases))
	}

	for _, c := range cases {
		t.Run(c.flag, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range required {
				env[k] = v
			}
			for k, v := range c.also {
				env[k] = v
			}
			env[c.env] = c.envVal
			wantEnv, wantFlag := cmp.Or(c.wantEnv, c.envVal), cmp.Or(c.wantFlag, c.flagVal)
			var stderr bytes.Buffer
			o, err := parse(nil, envOf(env), &stderr)
			if err != nil {
				t.Fatalf("env only: %v", err)
			}
			if got := c.get(o); got != wantEnv {
				t.Errorf("env only: %s=%q gives %q, want %q", c.env, c.envVal, got, wantEnv)
			}
			o, err = parse([]string{"-" + c.flag + "=" + c.flagVal}, envOf(env), &stderr)
			if err != nil {
				t.Fatalf("flag and env: %v", err)
			}
			if got := c.get(o); got != wantFlag {
				t.Errorf("flag -%s=%q and %s=%q give %q, want the flag's", c.flag, c.flagVal, c.env, c.envVal, got)
			}
			if stderr.Len() != 0 {
				t.Errorf("parse wrote to stderr: %q", stderr.String())
			}
		})
	}

	t.Run("defaults", func(t *testing.T) {
		o, err := parse(nil, envOf(required), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if o.format != "text" || o.cfg.RequestTimeout != 10*time.Second || o.cfg.Destructive || o.list ||
			o.out != "" || o.cfg.PeerAPIKey != "" || o.cfg.Run != "" || o.cfg.Prefix != "" ||
			o.cfg.Explore != 0 || o.cfg.Seed != 0 || o.cfg.Rate != 10 {
			t.Errorf("defaults: %+v", o)
		}
		if o.cfg.BaseURL != required["MIXPEEK_BASE_URL"] || o.cfg.APIKey != ownerKey || o.cfg.UserEmail != ownerEmail {
			t.Errorf("required settings from the environment: %+v", o.cfg)
		}
	})

	t.Run("bare -destructive", func(t *testing.T) {
		for _, envVal := range []string{"", "false", "0"} {
			env := map[string]string{"MIXPEEK_CONFORMANCE_DESTRUCTIVE": envVal}
			for k, v := range required {
				env[k] = v
			}
			// Followed by another flag, so a bare boolean must not swallow it.
			o, err := parse([]string{"-destructive", "-prefix", "p1"}, envOf(env), io.Discard)
			if err != nil {
				t.Fatalf("env %q: %v", envVal, err)
			}
			if !o.cfg.Destructive || o.cfg.Prefix != "p1" {
				t.Errorf("-destructive -prefix p1 with env %q: destructive %v, prefix %q", envVal, o.cfg.Destructive, o.cfg.Prefix)
			}
		}
		for _, envVal := range []string{"1", "TRUE", "true"} {
			env := map[string]string{"MIXPEEK_CONFORMANCE_DESTRUCTIVE": envVal}
			for k, v := range required {
				env[k] = v
			}
			o, err := parse(nil, envOf(env), io.Discard)
			if err != nil || !o.cfg.Destructive {
				t.Errorf("MIXPEEK_CONFORMANCE_DESTRUCTIVE=%s: destructive %v, err %v", envVal, o.cfg.Destructive, err)
			}
		}
	})

	t.Run("list needs no server", func(t *testing.T) {
		o, err := parse([]string{"-list"}, envOf(nil), io.Discard)
		if err != nil || !o.list {
			t.Errorf("-list alone: list %v, err %v", o.list, err)
		}
	})
}

// --- 2. usage errors ---

func TestUsageErrorsExit2WithOneLine(t *testing.T) {
	closedURL := closedURL(t)

	ok := []string{"-base-url", "http://127.0.0.1:1", "-api-key", ownerKey, "-user-email", ownerEmail}
	with := func(extra ...string) []string { return append(append([]string{}, ok...), extra...) }
	cases := []struct {
		name   string
		args   []string
		env    map[string]string
		hidden string // text the error line must not show
	}{
		{name: "nothing given", args: nil},
		{name: "missing base-url and user-email", args: []string{"-api-key", ownerKey}},
		{name: "missing user-email", args: []string{"-api-key", ownerKey, "-base-url", "http://127.0.0.1:1"}},
		{name: "only the key in the environment", env: map[string]string{"MIXPEEK_API_KEY": ownerKey}},
		{name: "bad -format", args: with("-format", "yaml")},
		{name: "bad format mirror", args: ok, env: map[string]string{"MIXPEEK_CONFORMANCE_FORMAT": "xml"}},
		{name: "unparsable -timeout", args: with("-timeout", "soon")},
		{name: "zero -timeout", args: with("-timeout", "0s")},
		{name: "negative -timeout", args: with("-timeout", "-5s")},
		{name: "bad timeout mirror", args: ok, env: map[string]string{"MIXPEEK_CONFORMANCE_TIMEOUT": "forever"}},
		{name: "bad destructive mirror", args: ok, env: map[string]string{"MIXPEEK_CONFORMANCE_DESTRUCTIVE": "yes-please"}},
		{name: "unknown flag", args: with("-no-such-flag")},
		{name: "flag without its value", args: append([]string{"-user-email", ownerEmail, "-base-url", "http://x", "-api-key", ownerKey}, "-prefix")},
		{name: "stray positional argument", args: with("stray-ARGUMENT-text"), hidden: "stray-ARGUMENT-text"},
		{name: "a value after a bare boolean", args: with("-destructive", "sk_STRAY_value_meant_for_a_flag"), hidden: "sk_STRAY_value_meant_for_a_flag"},
		{name: "bad -run expression", args: with("-run", "(unclosed")},
		{name: "negative -explore", args: with("-explore", "-1")},
		{name: "unparsable -explore", args: with("-explore", "many")},
		{name: "negative -rate", args: with("-rate", "-5")},
		{name: "NaN -rate", args: with("-rate", "NaN")},
		{name: "bad seed mirror", args: ok, env: map[string]string{"MIXPEEK_CONFORMANCE_SEED": "lucky"}},
		{name: "base-url not http", args: []string{"-base-url", "ftp://example.test", "-api-key", ownerKey, "-user-email", ownerEmail}},
		{name: "unreachable server", args: []string{"-base-url", closedURL, "-api-key", ownerKey, "-user-email", ownerEmail, "-peer-api-key", peerKey}},
		{name: "unwritable -out", args: with("-out", filepath.Join(t.TempDir(), "missing-dir", "report.txt"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(context.Background(), c.args, c.env)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout: %q", stdout)
			}
			if !strings.HasPrefix(stderr, "mixpeek-conformance:") || !strings.HasSuffix(stderr, "\n") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr is not one line starting with mixpeek-conformance: %q", stderr)
			}
			if c.hidden != "" && strings.Contains(stderr, c.hidden) {
				t.Errorf("stderr echoes %q: %q", c.hidden, stderr)
			}
			noKeys(t, stdout, stderr)
		})
	}
}

// --- 3. -help and -list ---

func TestHelpListsEveryMirror(t *testing.T) {
	for _, arg := range []string{"-help", "-h", "--help"} {
		t.Run(arg, func(t *testing.T) {
			// A key in the environment must not show up as a default in the usage.
			code, stdout, stderr := runCmd(context.Background(), []string{arg}, map[string]string{
				"MIXPEEK_API_KEY": ownerKey, "MIXPEEK_PEER_API_KEY": peerKey})
			if code != 0 {
				t.Errorf("exit %d, want 0", code)
			}
			if stderr != "" {
				t.Errorf("-help wrote to stderr: %q (usage belongs on stdout)", stderr)
			}
			if !strings.Contains(stdout, "Usage:") {
				t.Errorf("no usage on stdout: %q", stdout)
			}
			// The commands come first, each with its line, before any flag.
			flags := strings.Index(stdout, "-base-url\t")
			for _, command := range []string{"\n  replay ", "\n  sweep ", "\n  spec-diff "} {
				if at := strings.Index(stdout, command); at < 0 || at > flags {
					t.Errorf("usage does not list %q before the flags:\n%s", strings.TrimSpace(command), stdout)
				}
			}
			envs := []string{"MIXPEEK_BASE_URL", "MIXPEEK_API_KEY", "MIXPEEK_USER_EMAIL", "MIXPEEK_PEER_API_KEY",
				"MIXPEEK_CONFORMANCE_DESTRUCTIVE", "MIXPEEK_CONFORMANCE_RUN", "MIXPEEK_CONFORMANCE_PREFIX",
				"MIXPEEK_CONFORMANCE_TIMEOUT", "MIXPEEK_CONFORMANCE_FORMAT", "MIXPEEK_CONFORMANCE_OUT",
				"MIXPEEK_CONFORMANCE_EXPLORE", "MIXPEEK_CONFORMANCE_SEED", "MIXPEEK_CONFORMANCE_RATE"}
			for _, e := range envs {
				if !strings.Contains(stdout, e) {
					t.Errorf("usage does not list %s", e)
				}
			}
			for _, f := range []string{"-base-url", "-api-key", "-user-email", "-peer-api-key", "-destructive", "-list", "-format", "-out", "-timeout", "-run", "-prefix", "-explore", "-seed", "-rate"} {
				if !strings.Contains(stdout, f) {
					t.Errorf("usage does not list %s", f)
				}
			}
			noKeys(t, stdout, stderr)
		})
	}
}

func TestListShowsEveryCheck(t *testing.T) {
	code, stdout, stderr := runCmd(context.Background(), []string{"-list"}, nil)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	checks := allChecks()
	got := lines(stdout)
	if len(got) != len(checks) {
		t.Fatalf("%d lines for %d checks:\n%s", len(got), len(checks), stdout)
	}
	destructive := 0
	for i, c := range checks {
		fields := strings.Fields(got[i])
		if category := strings.SplitN(c.ID, "/", 2)[0]; len(fields) < 3 || fields[0] != c.ID || fields[1] != category {
			t.Errorf("line %d: %q, want ID %s and category %s first", i, got[i], c.ID, category)
		}
		if strings.Contains(got[i], "[destructive]") != c.Destructive {
			t.Errorf("line %q: destructive mark, want %v", got[i], c.Destructive)
		}
		if strings.Contains(got[i], "[needs peer]") != c.NeedsPeer {
			t.Errorf("line %q: needs-peer mark, want %v", got[i], c.NeedsPeer)
		}
		if c.Destructive {
			destructive++
		}
	}
	if destructive == 0 {
		t.Error("no destructive check listed")
	}
}

// --- 4. a conforming server ---

func TestConformingMockPasses(t *testing.T) {
	t.Parallel() // a mock of its own
	mock := newMock(t)
	code, stdout, stderr := runCmd(context.Background(), fullArgs(mock.URL, "-prefix", "clipass"), nil)
	if code != 0 {
		t.Errorf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr: %q", stderr)
	}
	ids := checkIDs()
	got := lines(stdout)
	if len(got) != len(ids)+3 {
		t.Fatalf("%d lines, want the header, one per check (%d), what the run left behind and the summary:\n%s", len(got), len(ids), stdout)
	}
	left := regexp.MustCompile(`^left behind \(a key cannot be deleted, only revoked\): (\d+) revoked API keys: (.*)$`).FindStringSubmatch(got[len(got)-2])
	names := 0
	if left != nil {
		for _, m := range regexp.MustCompile(`"clipass-[^"]*"( ×(\d+))?`).FindAllStringSubmatch(left[2], -1) {
			n := 1
			if m[2] != "" {
				n, _ = strconv.Atoi(m[2])
			}
			names += n
		}
	}
	if left == nil || left[1] != fmt.Sprint(names) || names < 2 {
		t.Errorf("line %q, want the revoked keys the run left behind, named after its prefix", got[len(got)-2])
	}
	if want := fmt.Sprintf("checking %s: %d checks, prefix clipass-", mock.URL, len(ids)); !strings.HasPrefix(got[0], want) || !header.MatchString(got[0]) {
		t.Errorf("first line %q, want the header %q…", got[0], want)
	}
	got = got[1:]
	for i, id := range ids {
		if !strings.HasPrefix(got[i], "PASS "+id+" ") {
			t.Errorf("line %d: %q, want PASS %s", i, got[i], id)
		}
	}
	if want := fmt.Sprintf("%d passed, 0 failed, 0 skipped", len(ids)); summary(lastLine(stdout)) != want {
		t.Errorf("last line %q, want %q", lastLine(stdout), want)
	}
	// The summary comes once, on the terminal where the report is.
	if n := strings.Count(stdout+stderr, " passed, "); n != 1 {
		t.Errorf("the summary comes %d times:\n%s\n--- stderr:\n%s", n, stdout, stderr)
	}
	noKeys(t, stdout, stderr)
	if left := leftovers(mock, "clipass"); len(left) > 0 {
		t.Errorf("left in the mock: %v", left)
	}
}

// --- 5. a broken server ---

// secretCreate200 wraps the mock so that creating a secret answers 200 instead of 201. It
// records every secret value the run sent.
type secretCreate200 struct {
	next   http.Handler
	mu     sync.Mutex
	values []string
}

func (b *secretCreate200) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Value any `json:"secret_value"`
	}
	if json.Unmarshal(body, &req) == nil {
		if v, ok := req.Value.(string); ok && len(v) >= 8 {
			b.mu.Lock()
			b.values = append(b.values, v)
			b.mu.Unlock()
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	b.next.ServeHTTP(rec, r)
	status := rec.Code
	if r.Method == http.MethodPost && r.URL.Path == "/v1/organizations/secrets" && status == http.StatusCreated {
		status = http.StatusOK
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(rec.Body.Bytes())
}

func (b *secretCreate200) sent() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.values...)
}

func newBrokenMock(t *testing.T) (*mockservertest.Server, *secretCreate200) {
	var b *secretCreate200
	mock := newMock(t)
	mock.Wrap(func(next http.Handler) http.Handler {
		b = &secretCreate200{next: next}
		return b
	})
	return mock, b
}

// noSecretValues fails when a secret value the run sent appears in text.
func noSecretValues(t *testing.T, b *secretCreate200, texts ...string) {
	t.Helper()
	values := b.sent()
	if len(values) == 0 {
		t.Error("the run sent no secret value")
	}
	for _, text := range texts {
		for _, v := range values {
			if strings.Contains(text, v) {
				t.Errorf("output shows the secret value %q", v)
			}
		}
	}
}

func TestBrokenServerFails(t *testing.T) {
	t.Parallel() // a mock of its own
	mock, b := newBrokenMock(t)
	code, stdout, stderr := runCmd(context.Background(), fullArgs(mock.URL, "-prefix", "clibroken"), nil)
	if code != 1 {
		t.Errorf("exit %d, want 1\nstderr: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr: %q", stderr)
	}
	if !strings.Contains(stdout, "\nFAIL secrets/create-returns-201 ") && !strings.HasPrefix(stdout, "FAIL secrets/create-returns-201 ") {
		t.Errorf("no FAIL line for secrets/create-returns-201:\n%s", stdout)
	}
	i := strings.Index(stdout, "--- FAIL secrets/create-returns-201")
	if i < 0 {
		t.Fatalf("no --- FAIL section for secrets/create-returns-201:\n%s", stdout)
	}
	section := stdout[i:]
	if j := strings.Index(section[1:], "\n--- FAIL"); j >= 0 {
		section = section[:j+1]
	}
	for _, want := range []string{
		"> POST " + mock.URL + "/v1/organizations/secrets",
		"< 200",
		`"secret_value":"[REDACTED]"`,
		// The failing request as a command that sends it again, with placeholders.
		"$ curl -sS -X POST '" + mock.URL + `/v1/organizations/secrets' -H "Authorization: Bearer $MIXPEEK_API_KEY" -H 'Content-Type: application/json' -d '`,
		`"secret_value":"'"$SECRET_VALUE"'"`,
	} {
		if !strings.Contains(section, want) {
			t.Errorf("the failure section lacks %q:\n%s", want, section)
		}
	}
	if strings.Contains(section, "< 201") {
		t.Errorf("the failure section shows a 201:\n%s", section)
	}
	var passed, failed, skipped int
	if _, err := fmt.Sscanf(lastLine(stdout), "%d passed, %d failed, %d skipped", &passed, &failed, &skipped); err != nil {
		t.Fatalf("last line %q: %v", lastLine(stdout), err)
	}
	// Every failure that shows a request shows the curl command that sends it again, right
	// before it (after the commands of its set-up, if any).
	if ex, curls := strings.Count(stdout, "\n      > Authorization: "), len(regexp.MustCompile(`\n      \$ curl -sS[^\n]*\n      > `).FindAllString(stdout, -1)); ex == 0 || curls != ex {
		t.Errorf("%d exchanges shown, %d shown with their curl command, want each", ex, curls)
	}
	if failed < 1 || skipped != 0 || passed+failed != len(allChecks()) {
		t.Errorf("summary %q for %d checks", lastLine(stdout), len(allChecks()))
	}
	if n := strings.Count(stdout, "\n--- FAIL "); n != failed {
		t.Errorf("%d --- FAIL sections, summary says %d failed", n, failed)
	}
	noKeys(t, stdout, stderr)
	noSecretValues(t, b, stdout, stderr)
	if left := leftovers(mock, "clibroken"); len(left) > 0 {
		t.Errorf("left in the mock: %v", left)
	}
}

// --- 6. JSON and JUnit ---

type junitDoc struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Class   string `xml:"classname,attr"`
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJSONToFile(t *testing.T) {
	t.Parallel() // a mock of its own
	mock := newMock(t)
	path := filepath.Join(t.TempDir(), "report.json")
	code, stdout, stderr := runCmd(context.Background(), fullArgs(mock.URL, "-format", "json", "-out", path, "-prefix", "clijson"), nil)
	if code != 0 {
		t.Errorf("exit %d, want 0: %s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout not empty: %q", stdout)
	}
	n := len(allChecks())
	if l := lines(stderr); len(l) != 2 || !header.MatchString(l[0]) || summary(l[1]) != fmt.Sprintf("%d passed, 0 failed, 0 skipped", n) {
		t.Errorf("stderr %q, want the header and the summary with the total time", stderr)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep conformance.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, data)
	}
	if len(rep.Results) != n || rep.Passed != len(rep.Results) || rep.Failed != 0 || rep.Skipped != 0 {
		t.Errorf("%d results, %d passed, %d failed, %d skipped; %d checks", len(rep.Results), rep.Passed, rep.Failed, rep.Skipped, n)
	}
	// The run ID follows the given prefix.
	if !strings.HasPrefix(rep.Prefix, "clijson-") || len(rep.Prefix) != len("clijson-")+6 || rep.BaseURL != mock.URL || len(rep.Leftovers) != 0 {
		t.Errorf("prefix %q, base URL %q, leftovers %v", rep.Prefix, rep.BaseURL, rep.Leftovers)
	}
	for i, id := range checkIDs() {
		if i < len(rep.Results) && (rep.Results[i].ID != id || rep.Results[i].Status != conformance.Pass) {
			t.Errorf("result %d: %s %s, want %s pass", i, rep.Results[i].ID, rep.Results[i].Status, id)
		}
	}
	noKeys(t, stdout, stderr, string(data))
	if left := leftovers(mock, "clijson"); len(left) > 0 {
		t.Errorf("left in the mock: %v", left)
	}
}

func TestTextToFile(t *testing.T) {
	t.Parallel() // a mock of its own
	mock := newMock(t)
	path := filepath.Join(t.TempDir(), "report.txt")
	code, stdout, stderr := runCmd(context.Background(), fullArgs(mock.URL, "-out", path, "-run", "^secrets/"), nil)
	if code != 0 || stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, c := range allChecks() {
		if strings.HasPrefix(c.ID, "secrets/") {
			n++
			if !strings.Contains(string(data), "PASS "+c.ID+" ") {
				t.Errorf("file lacks PASS %s:\n%s", c.ID, data)
			}
		}
	}
	want := fmt.Sprintf("%d passed, 0 failed, 0 skipped", n)
	if summary(lastLine(string(data))) != want || summary(strings.TrimSpace(stderr)) != want {
		t.Errorf("file ends %q, stderr %q, want %q", lastLine(string(data)), stderr, want)
	}
}

func parseJUnit(t *testing.T, out string) junitDoc {
	t.Helper()
	var doc junitDoc
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, out)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("%d testsuites, want 1", len(doc.Suites))
	}
	return doc
}

func TestJUnit(t *testing.T) {
	t.Run("conforming", func(t *testing.T) {
		t.Parallel() // a mock of its own
		mock := newMock(t)
		code, stdout, stderr := runCmd(context.Background(), fullArgs(mock.URL, "-format", "junit"), nil)
		if code != 0 {
			t.Errorf("exit %d, want 0: %s", code, stderr)
		}
		doc := parseJUnit(t, stdout)
		s := doc.Suites[0]
		ids := checkIDs()
		if s.Tests != len(ids) || len(s.Cases) != len(ids) || s.Failures != 0 || s.Skipped != 0 {
			t.Fatalf("tests=%d, %d testcases, failures=%d, skipped=%d; %d checks", s.Tests, len(s.Cases), s.Failures, s.Skipped, len(ids))
		}
		for i, id := range ids {
			if s.Cases[i].Name != id || s.Cases[i].Failure != nil || s.Cases[i].Skipped != nil {
				t.Errorf("testcase %d: %+v, want %s passed", i, s.Cases[i], id)
			}
		}
		if l := lines(stderr); len(l) != 2 || !header.MatchString(l[0]) || summary(l[1]) != fmt.Sprintf("%d passed, 0 failed, 0 skipped", len(ids)) {
			t.Errorf("stderr %q, want the header and the summary with the total time", stderr)
		}
		noKeys(t, stdout, stderr)
	})
	t.Run("broken", func(t *testing.T) {
		t.Parallel() // a mock of its own
		mock, b := newBrokenMock(t)
		code, stdout, stderr := runCmd(context.Background(), fullArgs(mock.URL, "-format", "junit"), nil)
		if code != 1 {
			t.Errorf("exit %d, want 1: %s", code, stderr)
		}
		doc := parseJUnit(t, stdout)
		s := doc.Suites[0]
		if s.Tests != len(allChecks()) || len(s.Cases) != s.Tests || s.Failures < 1 {
			t.Errorf("tests=%d, %d testcases, failures=%d", s.Tests, len(s.Cases), s.Failures)
		}
		found, failures := false, 0
		for _, c := range s.Cases {
			if c.Failure != nil {
				failures++
			}
			if c.Name == "secrets/create-returns-201" {
				found = true
				if c.Failure == nil {
					t.Errorf("secrets/create-returns-201 has no <failure>")
				} else if !strings.Contains(c.Failure.Text, "/v1/organizations/secrets") || !strings.Contains(c.Failure.Text, "< 200") {
					t.Errorf("failure text lacks the exchange: %q", c.Failure.Text)
				}
			}
		}
		if !found {
			t.Error("no testcase secrets/create-returns-201")
		}
		if failures != s.Failures {
			t.Errorf("%d testcases with <failure>, failures=%d", failures, s.Failures)
		}
		noKeys(t, stdout, stderr)
		noSecretValues(t, b, stdout, stderr)
	})
}

// --- 7. skipped checks ---

func TestWithoutPeerAndDestructiveSkips(t *testing.T) {
	t.Parallel() // a mock of its own
	mock := newMock(t)
	args := []string{"-base-url", mock.URL, "-api-key", ownerKey, "-user-email", ownerEmail}
	if testing.Short() {
		// make test-all runs at the default pace (10 requests per second, some 45 s) and waits
		// the expiry check's 3 s in real time, as a run against staging does.
		args = append(args, "-mock-clock", "-rate", "0")
	}
	code, stdout, stderr := runCmd(context.Background(), args, nil)
	if code != 0 {
		t.Errorf("exit %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	skipped, passed := 0, 0
	for _, c := range allChecks() {
		want := "PASS " + c.ID + " "
		if c.Destructive || c.NeedsPeer || strings.HasPrefix(c.ID, "explore/") {
			want = "SKIP " + c.ID + " "
			skipped++
		} else {
			passed++
		}
		if !strings.Contains(stdout, "\n"+want) && !strings.HasPrefix(stdout, want) {
			t.Errorf("no line %q", want)
		}
	}
	if skipped == 0 {
		t.Fatal("no check needs a peer or -destructive")
	}
	if n := strings.Count(stdout, "SKIP "); n != skipped {
		t.Errorf("%d SKIP lines, want %d", n, skipped)
	}
	if want := fmt.Sprintf("%d passed, 0 failed, %d skipped", passed, skipped); summary(lastLine(stdout)) != want {
		t.Errorf("last line %q, want %q", lastLine(stdout), want)
	}
	noKeys(t, stdout, stderr)
}

// --- 8. cancellation ---

func TestCancelledBeforeRun(t *testing.T) {
	var posts atomic.Int32
	mock := newMock(t)
	mock.Wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				posts.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, stdout, stderr := runCmd(ctx, fullArgs(mock.URL, "-prefix", "clipre"), nil)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.HasPrefix(lastLine(stderr), "mixpeek-conformance:") {
		t.Errorf("stderr: %q", stderr)
	}
	if strings.Contains(stdout, "PASS ") || strings.Contains(stdout, "FAIL ") {
		t.Errorf("checks ran after the context was cancelled:\n%s", stdout)
	}
	if n := posts.Load(); n != 0 {
		t.Errorf("%d POST requests after the context was cancelled", n)
	}
	if left := leftovers(mock, "clipre"); len(left) > 0 {
		t.Errorf("left in the mock: %v", left)
	}
	noKeys(t, stdout, stderr)
}

func TestCancelledMidRunCleansUp(t *testing.T) {
	t.Parallel() // a mock of its own
	const prefix = "clicancel"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var posts atomic.Int32
	var hadSecret atomic.Bool
	mock := newMock(t)
	mock.Wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			// The second secret create: the run has created something, cancel it now.
			if r.Method == http.MethodPost && r.URL.Path == "/v1/organizations/secrets" && posts.Add(1) == 2 {
				hadSecret.Store(len(leftovers(mock, prefix)) > 0)
				cancel()
			}
		})
	})
	code, stdout, stderr := runCmd(ctx, fullArgs(mock.URL, "-prefix", prefix), nil)
	if code != 2 {
		t.Errorf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !hadSecret.Load() {
		t.Error("no secret of the run existed when the context was cancelled: the test proves nothing")
	}
	if last := lastLine(stderr); !strings.HasPrefix(last, "mixpeek-conformance:") || !strings.Contains(last, "interrupted") {
		t.Errorf("stderr: %q", stderr)
	}
	// The run stopped early, and still wrote its report.
	results := strings.Count(stdout, "PASS ") + strings.Count(stdout, "FAIL ") + strings.Count(stdout, "SKIP ")
	if results == 0 || results >= len(allChecks()) {
		t.Errorf("%d results shown, want some but fewer than %d:\n%s", results, len(allChecks()), stdout)
	}
	if !strings.HasSuffix(summary(lastLine(stdout)), " skipped") {
		t.Errorf("no summary line on stdout:\n%s", stdout)
	}
	if left := leftovers(mock, prefix); len(left) > 0 {
		t.Errorf("left in the mock after cancellation: %v", left)
	}
	noKeys(t, stdout, stderr)
}

// --- 9. exploration ---

// The seed of the exploration shows in the text output (the check's line) and the JSON
// report; the same seed can be given back with -seed.
func TestExploreSeedInTextAndJSON(t *testing.T) {
	t.Parallel() // a mock of its own
	mock := newMock(t)
	code, stdout, stderr := runCmd(context.Background(), fullArgs(mock.URL, "-run", "^explore/", "-seed", "77"), nil)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if first := lines(stdout)[1]; !strings.HasPrefix(first, "PASS explore/random-walk (") || !strings.Contains(first, ": seed 77: 150 steps in ") {
		t.Errorf("first line %q, want the exploration's PASS with its seed and steps", first)
	}
	path := filepath.Join(t.TempDir(), "report.json")
	if code, _, stderr := runCmd(context.Background(), fullArgs(mock.URL, "-run", "^explore/", "-format", "json", "-out", path), nil); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep conformance.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Seed == 0 || len(rep.Results) != 1 || !strings.Contains(rep.Results[0].Note, fmt.Sprintf("seed %d: ", rep.Seed)) {
		t.Errorf("a random seed: report seed %d, results %+v", rep.Seed, rep.Results)
	}
	noKeys(t, stdout, stderr, string(data))
}

// TestMockClock: with -mock-clock the expiry check moves the mock's clock (by its 3 s)
// instead of waiting, with the control token when the mock has one; a target without the
// control API fails that check with a message that names the cause.
func TestMockClock(t *testing.T) {
	args := []string{"-api-key", ownerKey, "-user-email", ownerEmail, "-run", "^auth/expired-key-401$"}
	t.Run("moves the clock", func(t *testing.T) {
		const token = "ctl-token-for-the-test"
		mock := mockservertest.NewServerWithOptions(t, mockserver.Options{ControlToken: token, Seed: fixtures.SeedOf(
			fixtures.Org("A", ownerEmail, ownerKey))})
		before := mock.Now()
		began := time.Now()
		code, stdout, stderr := runCmd(context.Background(), append(args, "-base-url", mock.URL, "-mock-clock"),
			map[string]string{"MIXPEEK_MOCK_CONTROL_TOKEN": token})
		if code != 0 || !strings.Contains(stdout, "PASS auth/expired-key-401") {
			t.Fatalf("exit %d, want 0 and the check passed\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		// The mock's clock went on by at least the 3 s the check waits, more than the wall did.
		moved, walked := mock.Now().Sub(before), time.Since(began)
		if moved < 3*time.Second || moved-walked < 3*time.Second-time.Millisecond {
			t.Errorf("the mock's clock moved %v in %v of wall time, want 3 s more than the wall", moved, walked)
		}
	})
	t.Run("a wrong control token", func(t *testing.T) {
		mock := mockservertest.NewServerWithOptions(t, mockserver.Options{ControlToken: "right", Seed: fixtures.SeedOf(
			fixtures.Org("A", ownerEmail, ownerKey))})
		code, stdout, _ := runCmd(context.Background(), append(args, "-base-url", mock.URL, "-mock-clock", "-control-token", "wrong"), nil)
		if code != 1 || !strings.Contains(stdout, "FAIL auth/expired-key-401") ||
			!strings.Contains(stdout, "moving the mock's clock: POST "+mock.URL+"/_mock/clock answered 401") {
			t.Errorf("exit %d, want 1 and the check failed on the clock's 401:\n%s", code, stdout)
		}
		if strings.Contains(stdout, "wrong") {
			t.Errorf("the report shows the control token:\n%s", stdout)
		}
	})
	t.Run("usage", func(t *testing.T) {
		code, _, stderr := runCmd(context.Background(), append(args, "-base-url", "http://127.0.0.1:1", "-control-token", "x"), nil)
		if code != 2 || !strings.Contains(stderr, "-control-token is only used with -mock-clock") {
			t.Errorf("exit %d, stderr %q; want 2 and the flag named", code, stderr)
		}
	})
}

// allChecks is every check, in the order a run runs them.
func allChecks() []conformance.Check {
	checks, err := conformance.Checks("")
	if err != nil {
		panic(err)
	}
	return checks
}
