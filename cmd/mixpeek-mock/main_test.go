package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/cli"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
	"github.com/mixpeekkit/mixpeekkit/mockserver/mockservertest"
)

// guard bounds every wait so that a bug shows as a failure, not a hung test. It is never a
// measurement: nothing asserts how long anything takes.
const guard = 60 * time.Second

// devAdminKey is the development key the README documents: the default data set's admin key,
// which the banner shows.
const devAdminKey = "sk_mixpeek_mock_development_admin_key_do_not_use"

// customAdminKey is a valid key that is not the development key.
var customAdminKey = "sk_" + strings.Repeat("a", 40)

// validEncryptionKey is a Fernet key: url-safe base64 of 32 bytes.
var validEncryptionKey = base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, 32))

// envMap is a getenv that reads a map, so that no test touches the process environment.
func envMap(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

// syncBuffer is a bytes.Buffer that the server goroutines and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestParseFlagsAndEnvironment(t *testing.T) {
	allEnv := map[string]string{
		"MIXPEEK_MOCK_ADDR":        "127.0.0.1:9999",
		"MIXPEEK_MOCK_ADMIN_KEY":   "sk_" + strings.Repeat("e", 40),
		"MIXPEEK_MOCK_ADMIN_EMAIL": "env@example.com",
		"MIXPEEK_MOCK_LOG_FORMAT":  "json",
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want config
	}{
		{
			name: "defaults",
			want: config{addr: "127.0.0.1:8080", adminKey: "", adminEmail: "admin@example.com", logFormat: "text"},
		},
		{
			name: "environment mirrors",
			env:  allEnv,
			want: config{addr: "127.0.0.1:9999", adminKey: "sk_" + strings.Repeat("e", 40), adminEmail: "env@example.com", logFormat: "json"},
		},
		{
			name: "flags without environment",
			args: []string{"-addr", "0.0.0.0:1234", "-admin-key", customAdminKey, "-admin-email", "flag@example.com", "-log-format", "json"},
			want: config{addr: "0.0.0.0:1234", adminKey: customAdminKey, adminEmail: "flag@example.com", logFormat: "json"},
		},
		{
			name: "flags win over environment",
			args: []string{"-addr=127.0.0.1:4321", "-admin-key=" + customAdminKey, "-admin-email=flag@example.com", "-log-format=text"},
			env:  allEnv,
			want: config{addr: "127.0.0.1:4321", adminKey: customAdminKey, adminEmail: "flag@example.com", logFormat: "text"},
		},
		{
			name: "each flag wins only for itself",
			args: []string{"-addr", "127.0.0.1:0", "-log-format", "text"},
			env:  allEnv,
			want: config{addr: "127.0.0.1:0", adminKey: "sk_" + strings.Repeat("e", 40), adminEmail: "env@example.com", logFormat: "text"},
		},
		{
			name: "the proxy's mirrors",
			env: map[string]string{"MIXPEEK_MOCK_PROXY_TO": "https://api.example.com", "MIXPEEK_MOCK_PROXY_STRICT": "true",
				"MIXPEEK_MOCK_PROXY_HEADER": "1", "MIXPEEK_MOCK_PROXY_TIMEOUT": "5s"},
			want: config{addr: "127.0.0.1:8080", adminEmail: "admin@example.com", logFormat: "text",
				proxyTo: "https://api.example.com", proxyStrict: true, proxyHeader: true, proxyTimeout: 5 * time.Second},
		},
		{
			name: "empty environment values are absent",
			env:  map[string]string{"MIXPEEK_MOCK_ADDR": "", "MIXPEEK_MOCK_LOG_FORMAT": ""},
			want: config{addr: "127.0.0.1:8080", adminKey: "", adminEmail: "admin@example.com", logFormat: "text"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			got, err := parse(tt.args, envMap(tt.env), &stderr)
			if err != nil {
				t.Fatalf("parse(%q): %v", tt.args, err)
			}
			if tt.want.journalSize == 0 {
				tt.want.journalSize = mockserver.DefaultJournalSize
			}
			// The documented defaults of the time-outs and the connection cap.
			tt.want.readTimeout, tt.want.writeTimeout, tt.want.idleTimeout = 30*time.Second, 90*time.Second, 60*time.Second
			if tt.want.proxyTimeout == 0 {
				tt.want.proxyTimeout = 30 * time.Second
			}
			tt.want.maxConnections = 512
			tt.want.maxTenants, tt.want.recordingBytes = mockserver.DefaultMaxTenants, mockserver.DefaultRecordingBytes
			if got != tt.want {
				t.Errorf("parse(%q) = %+v, want %+v", tt.args, got, tt.want)
			}
			if stderr.Len() != 0 {
				t.Errorf("parse wrote to stderr on success: %q", stderr.String())
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string   // in the line exitCode prints
		secrets []string // must appear in neither that line nor anything else on stderr
	}{
		{name: "unknown flag", args: []string{"-bogus"}, want: "-bogus is not a flag of this command"},
		{name: "flag without value", args: []string{"-addr"}, want: "-addr needs a value"},
		{name: "bad log format flag", args: []string{"-log-format", "xml"}, want: "-log-format must be text or json"},
		{name: "bad log format env", env: map[string]string{"MIXPEEK_MOCK_LOG_FORMAT": "yaml"}, want: "-log-format must be text or json"},
		{name: "stray positional argument", args: []string{"serve"}, want: "unexpected"},
		{name: "zero read timeout", args: []string{"-read-timeout", "0s"}, want: "must be positive"},
		{name: "negative idle timeout env", env: map[string]string{"MIXPEEK_MOCK_IDLE_TIMEOUT": "-1s"}, want: "must be positive"},
		{name: "no connections", args: []string{"-max-connections", "0"}, want: "-max-connections must be at least 1"},
		{name: "positional argument after flags", args: []string{"-log-format", "json", "extra"}, want: "unexpected"},
		{name: "proxy to a non-http URL", args: []string{"-proxy-to", "ftp://example.com"}, want: "-proxy-to must be an http or https URL"},
		{name: "proxy to a URL with a user", args: []string{"-proxy-to", "https://me:pw@example.com"}, want: "-proxy-to must be", secrets: []string{"pw"}},
		{name: "proxy strict without proxy", args: []string{"-proxy-strict"}, want: "go with -proxy-to"},
		{name: "proxy with fixtures", args: []string{"-proxy-to", "http://example.com", "-fixtures", "x.yaml"}, want: "-fixtures, -admin-key"},
		{name: "zero proxy timeout", args: []string{"-proxy-to", "http://example.com", "-proxy-timeout", "0s"}, want: "-proxy-timeout must be positive"},
		{
			name:    "admin key without sk_ prefix",
			args:    []string{"-admin-key", "pk_" + strings.Repeat("c", 40)},
			want:    "-admin-key must be",
			secrets: []string{"pk_" + strings.Repeat("c", 40), strings.Repeat("c", 40)},
		},
		{
			name:    "admin key too short",
			args:    []string{"-admin-key", "sk_" + strings.Repeat("d", 39)},
			want:    "-admin-key must be",
			secrets: []string{strings.Repeat("d", 39)},
		},
		{
			name:    "admin key with a character that is not url-safe",
			args:    []string{"-admin-key", "sk_" + strings.Repeat("f", 40) + "+/="},
			want:    "-admin-key must be",
			secrets: []string{strings.Repeat("f", 40)},
		},
		{
			name:    "admin key from the environment",
			env:     map[string]string{"MIXPEEK_MOCK_ADMIN_KEY": "sk_tooShortButSecret"},
			want:    "-admin-key must be",
			secrets: []string{"sk_tooShortButSecret", "tooShortButSecret"},
		},
		{
			name:    "encryption key that is not a key",
			env:     map[string]string{"ENCRYPTION_KEY": "not-a-key"},
			want:    "mixpeek-mock: ENCRYPTION_KEY: key 1 of 1 is not a url-safe base64 encoding of 32 bytes",
			secrets: []string{"not-a-key"},
		},
		{
			name:    "valid encryption key followed by garbage",
			env:     map[string]string{"ENCRYPTION_KEY": validEncryptionKey + ",garbage"},
			want:    "ENCRYPTION_KEY: key 2 of 2 is not",
			secrets: []string{validEncryptionKey, "garbage"},
		},
		{
			name:    "encryption key ring with an empty entry",
			env:     map[string]string{"ENCRYPTION_KEY": validEncryptionKey + ","},
			want:    "ENCRYPTION_KEY: key 2 of 2 is empty",
			secrets: []string{validEncryptionKey},
		},
		{name: "admin email that is not an email", args: []string{"-admin-email", "nobody"}, want: `mixpeek-mock: -admin-email: "nobody" is not an email address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The context is already canceled and the port is chosen by the system: were
			// run to accept these settings by mistake, it would return nil at once instead
			// of serving on :8080 forever.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			args := append([]string{"-addr", "127.0.0.1:0"}, tt.args...)
			var stdout, stderr bytes.Buffer
			err := run(ctx, args, envMap(tt.env), &stdout, &stderr)
			if err == nil {
				t.Fatalf("run(%q) = nil, want a usage error", args)
			}
			var line bytes.Buffer
			if code := exitCode(err, &line); code != 2 {
				t.Errorf("exitCode(%v) = %d, want 2", err, code)
			}
			msg := line.String()
			if !strings.HasPrefix(msg, "mixpeek-mock: ") || !strings.HasSuffix(msg, "\n") || strings.Count(msg, "\n") != 1 {
				t.Errorf("exitCode printed %q, want one line starting with %q", msg, "mixpeek-mock: ")
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("exitCode printed %q, want it to contain %q", msg, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing (no banner before a usage error)", stdout.String())
			}
			if stderr.Len() != 0 {
				t.Errorf("the log said %q before the error: a failure to start is one line", stderr.String())
			}
			for _, s := range tt.secrets {
				if strings.Contains(msg, s) {
					t.Errorf("error line %q shows the submitted key text %q", msg, s)
				}
				if strings.Contains(stderr.String(), s) {
					t.Errorf("stderr %q shows the submitted key text %q", stderr.String(), s)
				}
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-help", "-h", "--help"} {
		t.Run(arg, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var stdout, stderr bytes.Buffer
			err := run(ctx, []string{arg}, envMap(nil), &stdout, &stderr)
			if !errors.Is(err, errHelp) {
				t.Fatalf("run(%q) = %v, want errHelp", arg, err)
			}
			var line bytes.Buffer
			if code := exitCode(err, &line); code != 0 {
				t.Errorf("exitCode = %d, want 0", code)
			}
			if line.Len() != 0 {
				t.Errorf("exitCode printed %q for -help, want nothing", line.String())
			}
			if stderr.Len() != 0 {
				t.Errorf("-help wrote to stderr: %q (usage belongs on stdout)", stderr.String())
			}
			usage := stdout.String()
			for _, want := range []string{"Usage: mixpeek-mock", "ENCRYPTION_KEY", "-addr", "-admin-key", "-admin-email", "-log-format", "MIXPEEK_MOCK_ADDR"} {
				if !strings.Contains(usage, want) {
					t.Errorf("usage does not mention %q:\n%s", want, usage)
				}
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode int
		wantLine string
	}{
		{"nil", nil, 0, ""},
		{"help", errHelp, 0, ""},
		{"usage", usageError{errors.New("bad flag")}, 2, "mixpeek-mock: bad flag\n"},
		{"other", errors.New("serve: boom"), 1, "mixpeek-mock: serve: boom\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if code := exitCode(tt.err, &out); code != tt.wantCode {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, code, tt.wantCode)
			}
			if out.String() != tt.wantLine {
				t.Errorf("exitCode(%v) printed %q, want %q", tt.err, out.String(), tt.wantLine)
			}
		})
	}
}

func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // were the listen to succeed by mistake, run returns nil at once
	var stdout, stderr bytes.Buffer
	err = run(ctx, []string{"-addr", ln.Addr().String()}, envMap(nil), &stdout, &stderr)
	if err == nil {
		t.Fatalf("run on the busy address %s = nil, want an error", ln.Addr())
	}
	var line bytes.Buffer
	if code := exitCode(err, &line); code != 2 {
		t.Errorf("exitCode(%v) = %d, want 2 (an address it cannot listen on)", err, code)
	}
	if !strings.HasPrefix(line.String(), "mixpeek-mock: ") || !strings.Contains(line.String(), "-addr: listen tcp") {
		t.Errorf("exitCode printed %q, want a line naming -addr and the listen failure", line.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("the log said %q before the error (the missing-key warning must not come first)", stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want no banner when the address is busy", stdout.String())
	}
}

// instance is one run of the command in a goroutine.
type instance struct {
	base   string   // http://HOST:PORT
	banner []string // the lines printed before serving
	lines  <-chan string
	stderr *syncBuffer
	cancel context.CancelFunc
	done   <-chan error // receives run's result once
	client *http.Client

	stopped bool  // run's result has been received
	result  error // what run returned
}

// start runs the command with args and env and waits for its banner.
func start(t *testing.T, args []string, env map[string]string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, pr) // never leave run blocked on a write
	}()
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, envMap(env), pw, stderr)
		pw.Close()
		done <- err
	}()
	in := &instance{
		lines:  lines,
		stderr: stderr,
		cancel: cancel,
		done:   done,
		client: &http.Client{Transport: &http.Transport{}, Timeout: guard},
	}
	t.Cleanup(func() {
		cancel()
		in.client.CloseIdleConnections()
		in.wait(t)
	})

	first := in.nextLine(t)
	base, ok := strings.CutPrefix(first, "listening on ")
	if !ok || !strings.HasPrefix(base, "http://") {
		t.Fatalf("first line = %q, want %q", first, "listening on http://HOST:PORT")
	}
	host, port, err := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	if err != nil || host == "" || port == "" || port == "0" {
		t.Fatalf("first line %q does not name a bound host:port (%v)", first, err)
	}
	in.base = base
	in.banner = []string{first}
	for !strings.HasPrefix(in.banner[len(in.banner)-1], "try: ") {
		in.banner = append(in.banner, in.nextLine(t))
	}
	return in
}

func (in *instance) nextLine(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-in.lines:
		if !ok {
			t.Fatalf("stdout ended early; run returned %v; stderr:\n%s", in.wait(t), in.stderr.String())
		}
		return l
	case <-time.After(guard):
		t.Fatalf("no line on stdout; stderr:\n%s", in.stderr.String())
	}
	return ""
}

// wait returns what run returned, waiting for it the first time.
func (in *instance) wait(t *testing.T) error {
	t.Helper()
	if !in.stopped {
		select {
		case in.result = <-in.done:
			in.stopped = true
		case <-time.After(guard):
			t.Fatalf("run did not return; stderr:\n%s", in.stderr.String())
		}
	}
	return in.result
}

// stop cancels the context and returns what run returned and what it printed after the banner.
func (in *instance) stop(t *testing.T) ([]string, error) {
	t.Helper()
	in.cancel()
	in.client.CloseIdleConnections()
	err := in.wait(t)
	var rest []string
	for l := range in.lines {
		rest = append(rest, l)
	}
	return rest, err
}

// get sends GET path with an optional bearer key, returning status and body.
func (in *instance) get(t *testing.T, path, key string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, in.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := in.client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp.StatusCode, body
}

// assertJSON checks that body is the JSON value want.
func assertJSON(t *testing.T, what string, body []byte, want string) {
	t.Helper()
	var got, exp any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Errorf("%s: body %q is not JSON: %v", what, body, err)
		return
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	e, _ := json.Marshal(exp)
	if !bytes.Equal(g, e) {
		t.Errorf("%s: body = %s, want %s", what, g, e)
	}
}

func TestEndToEndDefaults(t *testing.T) {
	in := start(t, []string{"-addr", "127.0.0.1:0"}, nil)

	banner := strings.Join(in.banner, "\n")
	if !strings.Contains(banner, "organization owner: admin@example.com") {
		t.Errorf("banner does not name the default owner:\n%s", banner)
	}
	if !strings.Contains(banner, devAdminKey) {
		t.Errorf("banner does not show the development key %q:\n%s", devAdminKey, banner)
	}
	curl := in.banner[len(in.banner)-1]
	if !strings.Contains(curl, "curl") || !strings.Contains(curl, in.base+"/v1/organizations/secrets") ||
		!strings.Contains(curl, "Authorization: Bearer "+devAdminKey) {
		t.Errorf("curl line = %q, want a curl of %s/v1/organizations/secrets with the development key", curl, in.base)
	}

	status, body := in.get(t, "/_mock/health", "")
	if status != http.StatusOK {
		t.Errorf("GET /_mock/health = %d, want 200; body %s", status, body)
	}
	assertJSON(t, "GET /_mock/health", body, `{"status":"ok"}`)

	status, body = in.get(t, "/v1/organizations/secrets", devAdminKey)
	if status != http.StatusOK {
		t.Errorf("GET secrets with the development key = %d, want 200; body %s", status, body)
	}
	assertJSON(t, "GET secrets", body, `{"secrets":[],"count":0}`)

	status, _ = in.get(t, "/v1/organizations/secrets", "")
	if status != http.StatusUnauthorized {
		t.Errorf("GET secrets without a key = %d, want 401", status)
	}

	rest, err := in.stop(t)
	if err != nil {
		t.Errorf("run after cancel = %v, want nil", err)
	}
	if code := exitCode(err, io.Discard); code != 0 {
		t.Errorf("exitCode after a clean shutdown = %d, want 0", code)
	}
	if len(rest) == 0 || rest[len(rest)-1] != "mixpeek-mock: stopped" {
		t.Errorf("stdout after the banner = %q, want it to end with %q", rest, "mixpeek-mock: stopped")
	}
	// Without ENCRYPTION_KEY the banner says, once and in its words, that tokens die with the
	// process; the log does not warn again.
	if n := strings.Count(strings.Join(in.banner, "\n"), "encryption: a random key of this process"); n != 1 {
		t.Errorf("the banner says %d times that the key is random:\n%s", n, strings.Join(in.banner, "\n"))
	}
	if strings.Contains(in.stderr.String(), "encryption key") {
		t.Errorf("stderr warns about the key too:\n%s", in.stderr.String())
	}
	// The listener is closed after shutdown.
	if c, err := net.Dial("tcp", strings.TrimPrefix(in.base, "http://")); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after run returned", in.base)
	}
}

func TestEndToEndCustomAdminKey(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{name: "flag", args: []string{"-addr", "127.0.0.1:0", "-admin-key", customAdminKey, "-admin-email", "owner@example.org"}},
		{
			name: "environment",
			args: []string{"-addr", "127.0.0.1:0"},
			env:  map[string]string{"MIXPEEK_MOCK_ADMIN_KEY": customAdminKey, "MIXPEEK_MOCK_ADMIN_EMAIL": "owner@example.org"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := start(t, tt.args, tt.env)
			banner := strings.Join(in.banner, "\n")
			if strings.Contains(banner, customAdminKey) {
				t.Errorf("banner shows the custom admin key:\n%s", banner)
			}
			if strings.Contains(banner, devAdminKey) {
				t.Errorf("banner shows the development key, which does not work here:\n%s", banner)
			}
			if !strings.Contains(banner, "organization owner: owner@example.org") {
				t.Errorf("banner does not name the custom owner:\n%s", banner)
			}
			if !strings.Contains(banner, `curl -s -H "Authorization: Bearer <key>" `+in.base+"/v1/organizations/secrets") {
				t.Errorf("banner does not show where the key goes in a secrets call:\n%s", banner)
			}

			status, body := in.get(t, "/v1/organizations/secrets", customAdminKey)
			if status != http.StatusOK {
				t.Errorf("GET secrets with the custom key = %d, want 200; body %s", status, body)
			}
			assertJSON(t, "GET secrets", body, `{"secrets":[],"count":0}`)
			status, body = in.get(t, "/v1/organizations/secrets", devAdminKey)
			if status != http.StatusUnauthorized {
				t.Errorf("GET secrets with the development key = %d, want 401; body %s", status, body)
			}

			rest, err := in.stop(t)
			if err != nil {
				t.Errorf("run after cancel = %v, want nil", err)
			}
			if len(rest) == 0 || rest[len(rest)-1] != "mixpeek-mock: stopped" {
				t.Errorf("stdout after the banner = %q, want it to end with %q", rest, "mixpeek-mock: stopped")
			}
			if s := in.stderr.String(); strings.Contains(s, customAdminKey) || strings.Contains(s, devAdminKey) {
				t.Errorf("stderr shows an API key:\n%s", s)
			}
		})
	}
}

func TestEndToEndJSONLog(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{name: "flag", args: []string{"-addr", "127.0.0.1:0", "-log-format", "json", "-admin-key", customAdminKey}},
		{
			name: "environment",
			args: []string{"-addr", "127.0.0.1:0"},
			env:  map[string]string{"MIXPEEK_MOCK_LOG_FORMAT": "json", "MIXPEEK_MOCK_ADMIN_KEY": customAdminKey},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"ENCRYPTION_KEY": validEncryptionKey}
			for k, v := range tt.env {
				env[k] = v
			}
			in := start(t, tt.args, env)
			if status, body := in.get(t, "/v1/organizations/secrets", customAdminKey); status != http.StatusOK {
				t.Errorf("GET secrets with the custom key = %d, want 200; body %s", status, body)
			}
			if status, _ := in.get(t, "/v1/organizations/secrets", devAdminKey); status != http.StatusUnauthorized {
				t.Errorf("GET secrets with the development key = %d, want 401", status)
			}
			// Shutdown waits for every handler, so every request line is on stderr after stop.
			if _, err := in.stop(t); err != nil {
				t.Errorf("run after cancel = %v, want nil", err)
			}

			stderr := in.stderr.String()
			statuses := map[float64]bool{}
			n := 0
			for _, line := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
				if line == "" {
					continue
				}
				n++
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Errorf("stderr line is not a JSON object: %q (%v)", line, err)
					continue
				}
				if rec["msg"] != "request" {
					continue
				}
				for _, k := range []string{"msg", "method", "path", "status"} {
					if _, ok := rec[k]; !ok {
						t.Errorf("request log line lacks %q: %s", k, line)
					}
				}
				if rec["method"] == "GET" && rec["path"] == "/v1/organizations/secrets" {
					if s, ok := rec["status"].(float64); ok {
						statuses[s] = true
					}
				}
			}
			if n == 0 {
				t.Fatalf("stderr is empty, want JSON log lines")
			}
			if !statuses[200] || !statuses[401] {
				t.Errorf("request log lines for GET /v1/organizations/secrets have statuses %v, want 200 and 401:\n%s", statuses, stderr)
			}
			for _, secret := range []string{"Bearer", customAdminKey, devAdminKey, validEncryptionKey} {
				if strings.Contains(stderr, secret) {
					t.Errorf("stderr shows %q:\n%s", secret, stderr)
				}
			}
			if strings.Contains(stderr, "no encryption key given") {
				t.Errorf("stderr warns of a random key although ENCRYPTION_KEY is set:\n%s", stderr)
			}
		})
	}
}

func TestAdminKeyNeverInUsageOutput(t *testing.T) {
	key := "sk_" + strings.Repeat("z", 40)
	for _, tc := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"-help"}, map[string]string{"MIXPEEK_MOCK_ADMIN_KEY": key}},
		{[]string{"-bogus"}, map[string]string{"MIXPEEK_MOCK_ADMIN_KEY": key}},
		{[]string{"-addr"}, map[string]string{"MIXPEEK_MOCK_ADMIN_KEY": key}},
		{[]string{"-admin-key=", key}, nil},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var stdout, stderr, line bytes.Buffer
		err := run(ctx, append([]string{"-addr", "127.0.0.1:0"}, tc.args...), envMap(tc.env), &stdout, &stderr)
		if err == nil {
			t.Fatalf("run(%q) = nil, want an error", tc.args)
		}
		exitCode(err, &line)
		if strings.Contains(stderr.String()+line.String(), key) {
			t.Errorf("run(%q) printed the admin key:\n%s%s", tc.args, stderr.String(), line.String())
		}
	}
}

// A stop while a call waits on a fault's latency is clean: the call is answered at once and
// run returns nil (exit 0), without waiting for the latency or the shutdown time-out.
func TestStopDuringAFaultLatency(t *testing.T) {
	in := start(t, []string{"-addr", "127.0.0.1:0"}, nil)
	resp, err := in.client.Post(in.base+"/_mock/faults", "application/json",
		strings.NewReader(`{"operation_id": "list_secrets_v1_organizations_secrets_get", "latency_ms": 60000}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("fault: %v %v", resp, err)
	}
	resp.Body.Close()
	answered := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", in.base+"/v1/organizations/secrets", nil)
		req.Header.Set("Authorization", "Bearer "+devAdminKey)
		resp, err := (&http.Client{Timeout: guard}).Do(req)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	for deadline := time.Now().Add(guard); ; time.Sleep(5 * time.Millisecond) {
		_, body := in.get(t, "/_mock/faults", "")
		if strings.Contains(string(body), `"hits":1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the call never met the fault")
		}
	}
	if _, err := in.stop(t); err != nil {
		t.Errorf("run returned %v, want nil (exit 0)", err)
	}
	if status := <-answered; status != http.StatusOK {
		t.Errorf("the waiting call got %d, want 200", status)
	}
}

// curlWords splits a try: line's command into words as a POSIX shell does for the forms the
// banner prints (plain words and double-quoted ones).
func curlWords(t *testing.T, cmd string) []string {
	t.Helper()
	var words []string
	for rest := strings.TrimSpace(cmd); rest != ""; rest = strings.TrimSpace(rest) {
		if rest[0] == '"' {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				t.Fatalf("unbalanced quote in %q", cmd)
			}
			words = append(words, rest[1:end+1])
			rest = rest[end+2:]
			continue
		}
		w, after, _ := strings.Cut(rest, " ")
		if strings.ContainsAny(w, "$`'\\<>|;&") {
			t.Fatalf("the try: line has %q, which a shell would not pass as printed: %q", w, cmd)
		}
		words = append(words, w)
		rest = after
	}
	return words
}

// The banner's try: line works as printed, whatever the key, the data and the address: it is
// performed here as curl would perform it, and must answer 200 with a JSON body.
func TestTryLineWorksAsPrinted(t *testing.T) {
	ownKey := "sk_" + strings.Repeat("t", 40)
	fixture := writeFile(t, "acme.yaml", "organizations:\n  - name: Acme\n    users:\n      - email: owner@acme.test\n        api_keys:\n          - {name: admin-key, key: "+tenantKey+", permissions: [admin]}\n")
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"default", nil, nil},
		{"admin key flag", []string{"-admin-key", ownKey}, nil},
		{"admin key in the environment", nil, map[string]string{"MIXPEEK_MOCK_ADMIN_KEY": ownKey}},
		{"fixture file", []string{"-fixtures", fixture}, nil},
		{"every interface", []string{"-addr", "0.0.0.0:0"}, nil},
		{"every interface, IPv6 form", []string{"-addr", ":0"}, nil},
		{"control token", []string{"-control-token", "tok-1"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-addr", "127.0.0.1:0"}, tc.args...)
			in := start(t, args, tc.env)
			try := strings.TrimPrefix(in.banner[len(in.banner)-1], "try: ")
			words := curlWords(t, try)
			if len(words) < 3 || words[0] != "curl" || words[1] != "-s" {
				t.Fatalf("try line %q is not a curl -s command", try)
			}
			req, err := http.NewRequest(http.MethodGet, words[len(words)-1], nil)
			if err != nil {
				t.Fatalf("try line %q: %v", try, err)
			}
			for i := 2; i < len(words)-1; i++ {
				if words[i] != "-H" || i+1 >= len(words)-1 {
					t.Fatalf("try line %q: unexpected word %q", try, words[i])
				}
				name, value, _ := strings.Cut(words[i+1], ": ")
				req.Header.Set(name, value)
				i++
			}
			resp, err := in.client.Do(req)
			if err != nil {
				t.Fatalf("try line %q: %v", try, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !json.Valid(body) {
				t.Errorf("try line %q answered %d %s", try, resp.StatusCode, body)
			}
			banner := strings.Join(in.banner, "\n")
			if strings.Contains(banner, ownKey) || strings.Contains(banner, tenantKey) || strings.Contains(banner, "tok-1") {
				t.Errorf("the banner prints the user's own key or token:\n%s", banner)
			}
			if host := strings.TrimPrefix(in.base, "http://"); strings.HasPrefix(host, "0.0.0.0") || strings.HasPrefix(host, "[::]") {
				t.Errorf("the banner names %s, which is not an address to dial", in.base)
			}
			if every := strings.HasPrefix(tc.name, "every interface"); every != strings.Contains(banner, "bound to every interface") {
				t.Errorf("banner for %s says whether it is bound to every interface wrongly:\n%s", tc.name, banner)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-version"}, envMap(nil), &stdout, &stderr)
	if code := exitCode(err, &stderr); code != 0 {
		t.Fatalf("-version: exit %d (%v)", code, err)
	}
	if got, want := stdout.String(), "mixpeek-mock "+cli.Version()+"\n"; got != want || stderr.Len() != 0 {
		t.Errorf("-version printed %q (stderr %q), want %q", got, stderr.String(), want)
	}
}

// TestProxyMode: -proxy-to forwards, reports a violation in its summary and exits 1; with a
// conforming upstream it exits 0.
func TestProxyMode(t *testing.T) {
	t.Run("a violation", func(t *testing.T) {
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"secrets": [], "count": "0"}`)
		}))
		t.Cleanup(up.Close)
		in := start(t, []string{"-addr", "127.0.0.1:0", "-proxy-to", up.URL, "-proxy-header"}, nil)
		if !strings.HasPrefix(in.banner[1], "proxying to "+up.URL+": ") {
			t.Errorf("banner %q", in.banner)
		}
		status, body := in.get(t, "/v1/organizations/secrets", devAdminKey)
		if status != 200 || string(body) != `{"secrets": [], "count": "0"}` {
			t.Errorf("through the proxy: %d %s", status, body)
		}
		status, body = in.get(t, "/_mock/violations", "")
		if status != 200 || !strings.Contains(string(body), `"pointer":"/body/count","rule":"type"`) {
			t.Errorf("/_mock/violations: %d %s", status, body)
		}
		rest, err := in.stop(t)
		if code := exitCode(err, io.Discard); code != 1 {
			t.Errorf("exit %d (%v), want 1", code, err)
		}
		summary := strings.Join(rest, "\n")
		if !strings.Contains(summary, "1 contract violations seen") || !strings.Contains(summary, "list_secrets_v1_organizations_secrets_get response: type") {
			t.Errorf("summary:\n%s", summary)
		}
		if strings.Contains(in.stderr.String(), devAdminKey) {
			t.Errorf("the log shows the key:\n%s", in.stderr.String())
		}
	})
	t.Run("none", func(t *testing.T) {
		mock := mockservertest.NewServerWithOptions(t, mockserver.Options{})
		in := start(t, []string{"-addr", "127.0.0.1:0", "-proxy-to", mock.URL}, nil)
		if status, _ := in.get(t, "/v1/organizations/secrets", mock.AdminKey); status != 200 {
			t.Errorf("through the proxy: %d", status)
		}
		rest, err := in.stop(t)
		if err != nil || !strings.Contains(strings.Join(rest, "\n"), "0 contract violations seen") {
			t.Errorf("run returned %v; after the banner:\n%s", err, strings.Join(rest, "\n"))
		}
	})
}
