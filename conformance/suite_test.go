package conformance_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/conformance"
)

// fake is a minimal server, not the mock: enough of the contract for preflight, cleanup and
// two checks (contract/list-secrets and the destructive safety/admin-key-delete-403), and a
// log of every request, to see the order of a run. answer, when set, may answer first.
type fake struct {
	mu     sync.Mutex
	log    []string
	answer func(r *http.Request) (status int, body any, ok bool)
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.log = append(f.log, r.Method+" "+r.URL.RequestURI())
	f.mu.Unlock()
	status, body := f.route(r)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (f *fake) route(r *http.Request) (int, any) {
	if f.answer != nil {
		if status, body, ok := f.answer(r); ok {
			return status, body
		}
	}
	keys := "/v1/organizations/users/" + strings.ReplaceAll(ownerEmail, "@", "%40") + "/api-keys"
	switch {
	case r.Method == "GET" && r.URL.EscapedPath() == keys:
		admin := map[string]any{"key_hash": strings.Repeat("a", 64), "internal_id": "int_1", "user_id": "usr_1",
			"name": "admin-key", "status": "active", "permissions": []string{"admin"}}
		return 200, map[string]any{"results": []any{admin}, "total": 1}
	case r.Method == "GET" && r.URL.Path == "/v1/organizations/secrets":
		return 200, map[string]any{"secrets": []string{}, "count": 0}
	case r.Method == "POST" && r.URL.Path == "/v1/organizations/secrets":
		return 422, map[string]any{"detail": []any{map[string]any{"loc": []any{"body", "secret_name"}, "msg": "too short", "type": "string_too_short"}}}
	case r.Method == "DELETE" && r.URL.EscapedPath() == keys+"/admin-key":
		return 403, errorBody(403, "ForbiddenError")
	}
	return 404, errorBody(404, "NotFoundError")
}

func errorBody(status int, typ string) map[string]any {
	return map[string]any{"success": false, "status": status, "error": map[string]any{"type": typ, "message": "no"}}
}

func (f *fake) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

func newFake(t *testing.T) (*fake, *httptest.Server) {
	f := &fake{}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	return f, ts
}

// orderConfig selects one safe check and one destructive check, which the fake passes.
func orderConfig(url string) conformance.Config {
	return conformance.Config{BaseURL: url, APIKey: ownerKey, UserEmail: ownerEmail, Destructive: true,
		Run: "^(contract/list-secrets|safety/admin-key-delete-403)$"}
}

// What a run of orderConfig sends: the safe check, cleanup (one listing each, nothing to
// sweep), then the destructive check, which needs the admin-key that cleanup uses.
var wantOrder = []string{
	"GET /v1/organizations/users/owner%40org-a.test/api-keys",                       // preflight
	"GET /v1/organizations/secrets",                                                 // contract/list-secrets
	"GET /v1/organizations/secrets",                                                 // cleanup: secrets left?
	"GET /v1/organizations/users/owner%40org-a.test/api-keys?include_revoked=true",  // cleanup: keys left?
	"GET /v1/organizations/users/owner%40org-a.test/api-keys?include_revoked=false", // safety/admin-key-delete-403
	"DELETE /v1/organizations/users/owner%40org-a.test/api-keys/admin-key",
	"GET /v1/organizations/users/owner%40org-a.test/api-keys?include_revoked=false",
}

func TestRunOrderSafeCleanupDestructive(t *testing.T) {
	f, ts := newFake(t)
	rep, err := conformance.Run(context.Background(), orderConfig(ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Passed != 2 || rep.Failed != 0 || len(rep.Leftovers) != 0 {
		t.Errorf("passed %d, failed %d, leftovers %v: %+v", rep.Passed, rep.Failed, rep.Leftovers, rep.Results)
	}
	if got := f.requests(); !reflect.DeepEqual(got, wantOrder) {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantOrder, "\n"))
	}
}

// Test keeps the same order, and its t.Cleanup does not clean up a second time.
func TestTestOrderAndCleanupOnce(t *testing.T) {
	f, ts := newFake(t)
	t.Run("suite", func(t *testing.T) { conformance.Test(t, orderConfig(ts.URL)) })
	// The subtest is over, its Cleanup functions too.
	if got := f.requests(); !reflect.DeepEqual(got, wantOrder) {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantOrder, "\n"))
	}
}

// Preflight sends its probes through the suite's one sender and turns their answers into
// errors that name the problem and never show a key.
func TestPreflightErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		peer   bool
		answer func(r *http.Request) (int, any, bool)
		want   string
	}{
		{"key refused", false, statusFor("GET", "/api-keys", 401), "the API key was refused (401)"},
		{"not admin", false, statusFor("GET", "/api-keys", 403), "the API key is not an admin key (403 on listing API keys)"},
		{"unknown user", false, statusFor("GET", "/api-keys", 404), `user "owner@org-a.test" not found with this API key (404)`},
		{"server error", false, statusFor("GET", "/api-keys", 500), "listing the user's API keys answered 500 SomeError: no, want 200"},
		{"peer cannot list", true, statusFor("GET", "/secrets", 401), "the peer API key cannot list secrets: listing them answered 401 SomeError: no, want 200"},
		{"peer is a read key", true, statusFor("POST", "/secrets", 403), "the peer API key is not an admin key (a bad create answered 403 SomeError: no, want 422)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, ts := newFake(t)
			f.answer = tc.answer
			cfg := conformance.Config{BaseURL: ts.URL, APIKey: ownerKey, UserEmail: ownerEmail}
			if tc.peer {
				cfg.PeerAPIKey = peerKey
			}
			rep, err := conformance.Run(context.Background(), cfg)
			if err == nil || rep.OK() || len(rep.Results) != 1 || rep.Results[0].Status != conformance.Errored ||
				rep.Results[0].SkipReason != err.Error() {
				t.Fatalf("report %v, error %v; want an error, and a report of one result that says it", rep, err)
			}
			if err.Error() != "conformance: "+tc.want {
				t.Errorf("error %q, want %q", err, "conformance: "+tc.want)
			}
			for _, r := range f.requests() {
				if r != "GET /v1/organizations/users/owner%40org-a.test/api-keys" && r != "GET /v1/organizations/secrets" && r != "POST /v1/organizations/secrets" {
					t.Errorf("preflight sent %s", r)
				}
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		_, ts := newFake(t)
		ts.Close()
		_, err := conformance.Run(context.Background(), conformance.Config{BaseURL: ts.URL, APIKey: ownerKey, UserEmail: ownerEmail})
		if err == nil || !strings.HasPrefix(err.Error(), "conformance: cannot reach "+ts.URL+": ") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		f, ts := newFake(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := conformance.Run(ctx, conformance.Config{BaseURL: ts.URL, APIKey: ownerKey, UserEmail: ownerEmail})
		if err == nil || err.Error() != "conformance: interrupted: context canceled" {
			t.Errorf("error %v", err)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("%d requests reached the server", n)
		}
	})
}

func statusFor(method, pathSuffix string, status int) func(r *http.Request) (int, any, bool) {
	return func(r *http.Request) (int, any, bool) {
		if r.Method == method && strings.HasSuffix(r.URL.Path, pathSuffix) {
			return status, errorBody(status, "SomeError"), true
		}
		return 0, nil, false
	}
}

// A failure's exchange names the operation with the root package's constant, and its body
// is redacted by internal/sensitive's structural rule (secret members in any letter case,
// their whole value) and by the run's own keys.
func TestFailureExchangeOperationAndRedaction(t *testing.T) {
	f, ts := newFake(t)
	f.answer = func(r *http.Request) (int, any, bool) {
		if r.Method == "GET" && r.URL.Path == "/v1/organizations/secrets" {
			return 200, map[string]any{"secrets": []string{}, "count": "none", // count must be an integer
				"Token": map[string]any{"nested": "plain"}, "echo": ownerKey}, true
		}
		return 0, nil, false
	}
	cfg := orderConfig(ts.URL)
	cfg.Run = "^contract/list-secrets$"
	rep, err := conformance.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || len(rep.Results[0].Failures) == 0 || rep.Results[0].Failures[0].Exchange == nil {
		t.Fatalf("want a failure with its exchange: %+v", rep.Results)
	}
	ex := rep.Results[0].Failures[0].Exchange
	if ex.Operation != mixpeekkit.OpListSecrets {
		t.Errorf("operation %q, want %q", ex.Operation, mixpeekkit.OpListSecrets)
	}
	if !strings.Contains(ex.ResponseBody, `"Token":"[REDACTED]"`) || strings.Contains(ex.ResponseBody, "plain") {
		t.Errorf("the Token member is not redacted whole: %s", ex.ResponseBody)
	}
	if !strings.Contains(ex.ResponseBody, `"echo":"[REDACTED]"`) || strings.Contains(ex.ResponseBody, ownerKey) {
		t.Errorf("the run's key is shown: %s", ex.ResponseBody)
	}
	if ex.Auth != "Bearer [REDACTED]" {
		t.Errorf("authorization shown as %q", ex.Auth)
	}
}

// Checks come grouped by category, the part of the ID before the slash (each category once,
// its checks together), and each ID is unique.
func TestChecksGroupedByCategory(t *testing.T) {
	seen, ids := map[string]bool{}, map[string]bool{}
	last := ""
	for _, c := range allChecks() {
		category, _, ok := strings.Cut(c.ID, "/")
		if !ok {
			t.Errorf("%s: no category", c.ID)
		}
		if category != last {
			if seen[category] {
				t.Errorf("%s: category %s appears twice, apart", c.ID, category)
			}
			seen[category], last = true, category
		}
		if ids[c.ID] {
			t.Errorf("%s: two checks have this ID", c.ID)
		}
		ids[c.ID] = true
	}
	if len(seen) != 11 {
		t.Errorf("%d categories, want 11", len(seen))
	}
}
