package mockserver_test

import (
	"net/http"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

func TestControlToken(t *testing.T) {
	h := newHarness(t, func(o *mockserver.Options) { o.ControlToken = "let-me-in" })
	for _, path := range []string{"/_mock/health", "/_mock/openapi.yaml"} {
		req, _ := http.NewRequest("GET", h.url+path, nil)
		if r := h.do(req); r.status != http.StatusOK {
			t.Errorf("%s without the token: %d", path, r.status)
		}
	}
	for _, c := range []struct{ method, path string }{{"GET", "/_mock/state"}, {"POST", "/_mock/reset"}, {"GET", "/_mock/requests"}, {"POST", "/_mock/orgs"}} {
		for _, auth := range []string{"", "wrong"} {
			if r := h.send(c.method, c.path, auth, nil); r.status != http.StatusUnauthorized || r.errorType(t) != "UnauthorizedError" {
				t.Errorf("%s %s with %q: %d", c.method, c.path, auth, r.status)
			}
		}
		if r := h.ctl(c.method, c.path, nil); r.status >= 300 {
			t.Errorf("%s %s with the token: %d %s", c.method, c.path, r.status, r.raw)
		}
	}
	// The token is not an API key, and an API key is not the token.
	if r := h.send("GET", secretsURL, "let-me-in", nil); r.status != http.StatusUnauthorized {
		t.Errorf("token as an API key: %d", r.status)
	}
	if r := h.send("GET", "/_mock/state", adminKey, nil); r.status != http.StatusUnauthorized {
		t.Errorf("API key on the control API: %d", r.status)
	}
}
