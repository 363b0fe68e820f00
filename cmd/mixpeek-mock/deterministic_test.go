package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// post sends a JSON body with the development key and returns the answer.
func (in *instance) post(t *testing.T, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, in.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+devAdminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := in.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

const keysURL = "/v1/organizations/users/admin%40example.com/api-keys"

// -seed and a frozen -clock: two processes answer the same requests with the same bytes.
func TestSeedAndFrozenClockRepeat(t *testing.T) {
	var bodies []string
	for range 2 {
		in := start(t, []string{"-addr", "127.0.0.1:0", "-seed", "7", "-clock", "frozen:2030-01-01T00:00:00Z"}, nil)
		status, body := in.post(t, keysURL, `{"name":"ci","permissions":["read"]}`)
		if status != http.StatusOK {
			t.Fatalf("create: %d %s", status, body)
		}
		bodies = append(bodies, string(body))
		_, clock := in.get(t, "/_mock/clock", "")
		if !strings.Contains(string(clock), "2030-01-01T00:00:00Z") {
			t.Errorf("clock: %s", clock)
		}
	}
	if bodies[0] != bodies[1] || !strings.Contains(bodies[0], `"created_at":"2030-01-01T00:00:00Z"`) {
		t.Errorf("two runs differ or the clock is not frozen at 2030:\n%s\n%s", bodies[0], bodies[1])
	}
	// Without -seed, keys differ.
	other := start(t, []string{"-addr", "127.0.0.1:0", "-clock", "frozen:2030-01-01T00:00:00Z"}, nil)
	if _, body := other.post(t, keysURL, `{"name":"ci","permissions":["read"]}`); string(body) == bodies[0] {
		t.Error("without -seed the key is the same")
	}
}

// A clock that is not frozen starts at the instant and runs.
func TestClockStartsAndRuns(t *testing.T) {
	in := start(t, []string{"-addr", "127.0.0.1:0", "-clock", "2030-06-01T12:00:00Z"}, nil)
	read := func() time.Time {
		_, body := in.get(t, "/_mock/clock", "")
		var c struct {
			Now time.Time `json:"now"`
		}
		if err := json.Unmarshal(body, &c); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		return c.Now
	}
	first := read()
	start := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	if first.Before(start) || first.After(start.Add(time.Minute)) {
		t.Fatalf("clock at %v, want just after %v", first, start)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !read().After(first) {
		if time.Now().After(deadline) {
			t.Fatal("the clock does not run")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The fixture file's mock settings do the same; a flag wins over them; a bad clock is refused
// with its place.
func TestFixtureFileMockSettings(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.yaml")
	data := "mock:\n  seed: 7\n  clock: frozen:2030-01-01T00:00:00Z\norganizations:\n  - name: Default\n    users:\n      - email: admin@example.com\n        api_keys:\n          - name: admin-key\n            key: " + devAdminKey + "\n            permissions: [admin]\n"
	if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	in := start(t, []string{"-addr", "127.0.0.1:0", "-fixtures", file}, nil)
	_, body := in.post(t, keysURL, `{"name":"ci","permissions":["read"]}`)
	if !strings.Contains(string(body), `"created_at":"2030-01-01T00:00:00Z"`) {
		t.Errorf("the file's clock is not used: %s", body)
	}
	flagged := start(t, []string{"-addr", "127.0.0.1:0", "-fixtures", file, "-clock", "frozen:2031-01-01T00:00:00Z"}, nil)
	if _, body := flagged.post(t, keysURL, `{"name":"ci","permissions":["read"]}`); !strings.Contains(string(body), `"created_at":"2031-01-01T00:00:00Z"`) {
		t.Errorf("-clock does not win over the file: %s", body)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(data, "frozen:2030-01-01T00:00:00Z", "soon", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runMain(t, []string{"-addr", "127.0.0.1:0", "-fixtures", bad})
	if code != 2 || !strings.Contains(errOut, "bad.yaml: mock.clock: not an instant") {
		t.Errorf("a bad clock in the file: exit %d, %q", code, errOut)
	}
	code, _, errOut = runMain(t, []string{"-clock", "tomorrow"})
	if code != 2 || !strings.Contains(errOut, "-clock: not an instant") {
		t.Errorf("a bad -clock: exit %d, %q", code, errOut)
	}
}

// runMain runs the command with a canceled context (a mistaken start returns at once) and
// returns its exit code and outputs.
func runMain(t *testing.T, args []string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), envMap(nil), &stdout, &stderr)
	code := exitCode(err, &stderr)
	return code, stdout.String(), stderr.String()
}

// mixpeek-mock health: 0 for a running mock (an address of every interface asked at
// 127.0.0.1), 1 when nothing answers, 2 for a bad address.
func TestHealthCommand(t *testing.T) {
	in := start(t, []string{"-addr", "127.0.0.1:0"}, nil)
	_, port, _ := strings.Cut(strings.TrimPrefix(in.base, "http://"), ":")
	for _, addr := range []string{"127.0.0.1:" + port, "0.0.0.0:" + port} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"health", "-addr", addr}, envMap(nil), &out, &out); err != nil || out.String() != "ok\n" {
			t.Errorf("health -addr %s: %v %q", addr, err, out.String())
		}
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"health"}, envMap(map[string]string{"MIXPEEK_MOCK_ADDR": "127.0.0.1:1"}), &out, &out)
	if code := exitCode(err, &out); code != 1 {
		t.Errorf("health of nothing: exit %d, %q", code, out.String())
	}
	if code := exitCode(run(context.Background(), []string{"health", "-addr", "nope"}, envMap(nil), &out, &out), &out); code != 2 {
		t.Errorf("health -addr nope: exit %d", code)
	}
}
