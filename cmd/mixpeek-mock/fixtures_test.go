package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const tenantKey = "sk_fixture_key_for_acme_0000000000000000000000"

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFixturesFile(t *testing.T) {
	path := writeFile(t, "acme.yaml", `
organizations:
  - name: Acme
    users:
      - email: owner@acme.test
        api_keys:
          - {name: admin-key, key: `+tenantKey+`, permissions: [admin]}
    secrets:
      - {name: stripe_api_key, value: sk_test_fixture}
`)
	in := start(t, []string{"-addr", "127.0.0.1:0", "-fixtures", path}, nil)
	banner := strings.Join(in.banner, "\n")
	if !strings.Contains(banner, "owner@acme.test") || strings.Contains(banner, tenantKey) {
		t.Errorf("banner:\n%s", banner)
	}
	code, body := in.get(t, "/v1/organizations/secrets", tenantKey)
	if code != 200 || !strings.Contains(string(body), `"stripe_api_key"`) {
		t.Errorf("fixture secret: %d %s", code, body)
	}
	if code, _ := in.get(t, "/v1/organizations/secrets", devAdminKey); code != 401 {
		t.Errorf("the development key works with a fixture file: %d", code)
	}
}

func TestBadFixturesAreRefused(t *testing.T) {
	dup := writeFile(t, "dup.json", `{"organizations": [{"name": "A", "users": [{"email": "a@a.test", "api_keys": [
		{"name": "admin-key", "permissions": ["admin"]}, {"name": "admin-key", "permissions": ["read"]}]}]}]}`)
	typo := writeFile(t, "typo.json", `{"organisations": []}`)
	// A rule of the mock (not of the file's structure), placed in the file by line and column.
	email := writeFile(t, "acme.yaml", "organizations:\n  - name: Acme\n    users:\n      - email: nobody\n")
	// No extension: read as YAML by its content, with the line of the problem (not one too low).
	noExt := writeFile(t, "seed", "organizations:\n  - name: Acme\n    users:\n      - email: a@acme.test\n        api_keys:\n          - name: admin-key\n            permissions: [root]\n")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"duplicate key name", []string{"-fixtures", dup}, []string{dup, `api key 2 ("admin-key")`, "already used"}},
		{"unknown field", []string{"-fixtures", typo}, []string{typo + `:1:2: "organisations" is not a field of the file (the fields are: mock, organizations)`}},
		{"rule of the mock", []string{"-fixtures", email}, []string{"mixpeek-mock: " + email + `:4:16: organization 1 ("Acme"), user 1 ("nobody"): email is not an email address`}},
		{"no extension", []string{"-fixtures", noExt}, []string{noExt + `:7:27: organization 1 ("Acme"), user 1 ("a@acme.test"), api key 1 ("admin-key"): permissions item 1 must be one of read, write, delete, admin`}},
		{"missing file", []string{"-fixtures", "/nonexistent/fixtures.json"}, []string{"/nonexistent/fixtures.json"}},
		{"fixtures and admin key", []string{"-fixtures", dup, "-admin-key", "sk_" + strings.Repeat("a", 40)}, []string{"with -fixtures"}},
		{"journal size", []string{"-journal-size", "0"}, []string{"-journal-size"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var stdout, stderr, line bytes.Buffer
			err := run(ctx, append([]string{"-addr", "127.0.0.1:0"}, tc.args...), envMap(nil), &stdout, &stderr)
			if code := exitCode(err, &line); code != 2 {
				t.Fatalf("exit %d (%v), want 2", code, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(line.String(), w) {
					t.Errorf("%q does not name %q", line.String(), w)
				}
			}
			if strings.Count(line.String(), "\n") != 1 {
				t.Errorf("not one line: %q", line.String())
			}
			if stderr.Len() != 0 || stdout.Len() != 0 {
				t.Errorf("output before the error line: stdout %q, stderr %q", stdout.String(), stderr.String())
			}
		})
	}
}

func TestControlTokenFlag(t *testing.T) {
	in := start(t, []string{"-addr", "127.0.0.1:0"}, map[string]string{"MIXPEEK_MOCK_CONTROL_TOKEN": "tok-123"})
	if code, _ := in.get(t, "/_mock/state", ""); code != 401 {
		t.Errorf("state without the token: %d", code)
	}
	if code, _ := in.get(t, "/_mock/state", "tok-123"); code != 200 {
		t.Errorf("state with the token: %d", code)
	}
	if code, _ := in.get(t, "/_mock/health", ""); code != 200 {
		t.Errorf("health without the token: %d", code)
	}
	if strings.Contains(strings.Join(in.banner, "\n")+in.stderr.String(), "tok-123") {
		t.Error("the control token was printed")
	}
}

// -allow-host names a host the control API answers to (a CI service name); others are refused.
func TestAllowHostFlag(t *testing.T) {
	in := start(t, []string{"-addr", "127.0.0.1:0", "-allow-host", " mock , other.test"}, nil)
	status := func(host string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, in.base+"/_mock/state", nil)
		req.Host = host
		resp, err := in.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for host, want := range map[string]int{"mock:8080": 200, "other.test": 200, "evil.test:8080": 403} {
		if got := status(host); got != want {
			t.Errorf("GET /_mock/state as %s: %d, want %d", host, got, want)
		}
	}
}
