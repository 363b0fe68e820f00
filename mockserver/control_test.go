package mockserver_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

func TestTenants(t *testing.T) {
	h := newHarness(t)
	r := h.ctl("POST", "/_mock/orgs", map[string]any{"name": "job-1"})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	org := r.json(t)
	key, email, id := org["admin_key"].(string), org["owner_email"].(string), org["organization_id"].(string)
	if !plaintextRE.MatchString(key) || !orgIDRE.MatchString(id) || !strings.HasSuffix(email, ".example.com") {
		t.Fatalf("created %v", org)
	}
	// The tenant works, and sees nothing of the default organization, nor it of the tenant.
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "default-only", "secret_value": "v"})
	if r := h.send("POST", secretsURL, key, map[string]any{"secret_name": "tenant-only", "secret_value": "v"}); r.status != http.StatusCreated {
		t.Fatalf("tenant create: %d", r.status)
	}
	if r := h.send("GET", secretsURL, key, nil); !cmp.Equal([]any{"tenant-only"}, r.json(t)["secrets"]) {
		t.Errorf("tenant sees %s", r.raw)
	}
	if r := h.send("GET", "/v1/organizations/users/"+strings.Replace(email, "@", "%40", 1)+"/api-keys", key, nil); r.status != http.StatusOK {
		t.Errorf("tenant lists its owner's keys: %d", r.status)
	}
	if r := h.send("GET", "/v1/organizations/users/"+strings.Replace(email, "@", "%40", 1)+"/api-keys", adminKey, nil); r.status != http.StatusNotFound {
		t.Errorf("the default organization sees the tenant's user: %d", r.status)
	}

	orgs := h.ctl("GET", "/_mock/orgs", nil).json(t)["organizations"].([]any)
	if len(orgs) != 2 || orgs[1].(map[string]any)["seeded"] != false || orgs[0].(map[string]any)["owner_email"] != adminEmail {
		t.Errorf("orgs: %v", orgs)
	}

	t.Run("reset of one organization", func(t *testing.T) {
		if r := h.ctl("POST", "/_mock/orgs/"+id+"/reset", nil); r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := h.send("GET", secretsURL, key, nil); r.json(t)["count"] != float64(0) {
			t.Errorf("tenant after its reset: %s", r.raw)
		}
		if r := h.send("GET", secretsURL, adminKey, nil); r.json(t)["count"] != float64(1) {
			t.Errorf("the default organization was reset too: %s", r.raw)
		}
		if r := h.ctl("POST", "/_mock/orgs/org_nope/reset", nil); r.status != http.StatusNotFound {
			t.Errorf("unknown org: %d", r.status)
		}
	})
	t.Run("a given key and email", func(t *testing.T) {
		own := "sk_" + strings.Repeat("t", 43)
		r := h.ctl("POST", "/_mock/orgs", map[string]any{"owner_email": "ci@job.test", "admin_key": own})
		if r.status != http.StatusCreated || r.json(t)["admin_key"] != own {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := h.ctl("POST", "/_mock/orgs", map[string]any{"admin_key": own}); r.status != http.StatusBadRequest {
			t.Errorf("the same key twice: %d %s", r.status, r.raw)
		}
		if r := h.ctl("POST", "/_mock/orgs", map[string]any{"admin_key": "short"}); r.status != http.StatusUnprocessableEntity {
			t.Errorf("a malformed key: %d %s", r.status, r.raw)
		}
		if r := h.ctl("POST", "/_mock/orgs", map[string]any{"owner_email": "nope"}); r.status != http.StatusBadRequest || strings.Contains(string(r.raw), "seed:") {
			t.Errorf("a bad email: %d %s", r.status, r.raw)
		}
	})
	t.Run("delete, and reset of all removes created organizations", func(t *testing.T) {
		if r := h.ctl("DELETE", "/_mock/orgs/"+id, nil); r.status != http.StatusOK {
			t.Fatalf("%d", r.status)
		}
		if r := h.send("GET", secretsURL, key, nil); r.status != http.StatusUnauthorized {
			t.Errorf("a deleted tenant's key: %d", r.status)
		}
		h.ctl("POST", "/_mock/reset", nil)
		if n := len(h.ctl("GET", "/_mock/orgs", nil).json(t)["organizations"].([]any)); n != 1 {
			t.Errorf("%d organizations after reset", n)
		}
	})
}

func TestJournal(t *testing.T) {
	h := newHarness(t, func(o *mockserver.Options) { o.JournalSize = 5 })
	value := "JOURNAL-SECRET"
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "s", "secret_value": value})
	created := h.createKey(map[string]any{"name": "reader", "permissions": []string{"read"}, "description": "holds sk_" + strings.Repeat("x", 43)})
	h.send("GET", secretsURL, created["key"].(string), nil)
	h.send("GET", secretsURL, "", nil)
	h.ctl("GET", "/_mock/state", nil) // the control API is not journaled

	r := h.ctl("GET", "/_mock/requests", nil)
	entries := r.json(t)["entries"].([]any)
	if len(entries) != 4 || r.json(t)["total"] != float64(4) {
		t.Fatalf("%d entries: %s", len(entries), r.raw)
	}
	if strings.Contains(string(r.raw), value) || strings.Contains(string(r.raw), created["key"].(string)) || strings.Contains(string(r.raw), "Bearer") || strings.Contains(string(r.raw), strings.Repeat("x", 43)) {
		t.Errorf("the journal shows a secret value, a key or a header: %s", r.raw)
	}
	first := entries[0].(map[string]any)
	want := map[string]any{"method": "POST", "path": secretsURL, "status": float64(201), "operation_id": "create_secret_v1_organizations_secrets_post",
		"key_name": "admin-key", "request_body": map[string]any{"secret_name": "s", "secret_value": "[REDACTED]"}}
	for k, v := range want {
		if !cmp.Equal(v, first[k]) {
			t.Errorf("%s = %v, want %v", k, first[k], v)
		}
	}
	if first["organization_id"] != h.state().Organizations[0].ID || first["time"] != "2026-01-02T03:04:05Z" {
		t.Errorf("entry %v", first)
	}

	filtered := func(q string) []any {
		return h.ctl("GET", "/_mock/requests?"+q, nil).json(t)["entries"].([]any)
	}
	if got := filtered("key_name=reader"); len(got) != 1 {
		t.Errorf("key_name filter: %v", got)
	}
	if got := filtered("status=401"); len(got) != 1 || got[0].(map[string]any)["key_name"] != nil {
		t.Errorf("status filter: %v", got)
	}
	if got := filtered("method=get&limit=1"); len(got) != 1 || got[0].(map[string]any)["status"] != float64(401) {
		t.Errorf("limit keeps the newest: %v", got)
	}
	if r := h.ctl("GET", "/_mock/requests?limit=0", nil); r.status != http.StatusUnprocessableEntity {
		t.Errorf("limit=0: %d", r.status)
	}

	// A ring: 5 entries at most, the oldest dropped first.
	for i := 0; i < 4; i++ {
		h.send("GET", "/v1/nope", "", nil)
	}
	r = h.ctl("GET", "/_mock/requests", nil)
	entries = r.json(t)["entries"].([]any)
	if len(entries) != 5 || r.json(t)["dropped"] != float64(3) || entries[0].(map[string]any)["seq"] != float64(4) {
		t.Errorf("ring: %d entries, dropped %v, first seq %v", len(entries), r.json(t)["dropped"], entries[0].(map[string]any)["seq"])
	}
	if r := h.ctl("DELETE", "/_mock/requests", nil); r.json(t)["cleared"] != float64(5) {
		t.Errorf("clear: %s", r.raw)
	}
	if n := len(h.srv.Requests(mockserver.JournalFilter{})); n != 0 {
		t.Errorf("%d entries after clear", n)
	}
}

func TestFaults(t *testing.T) {
	h := newHarness(t)
	t.Run("status for the next N calls, without touching state", func(t *testing.T) {
		r := h.ctl("POST", "/_mock/faults", map[string]any{"operation_id": "create_secret_v1_organizations_secrets_post", "status": 500, "times": 2})
		if r.status != http.StatusCreated {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		id := r.json(t)["fault_id"].(string)
		for i := 0; i < 2; i++ {
			r := h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "f", "secret_value": "v"})
			if r.status != http.StatusInternalServerError || !strings.Contains(string(r.raw), id) {
				t.Fatalf("call %d: %d %s", i, r.status, r.raw)
			}
		}
		if r := h.send("GET", secretsURL, adminKey, nil); r.json(t)["count"] != float64(0) {
			t.Errorf("a faulted create stored something: %s", r.raw)
		}
		if r := h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "f", "secret_value": "v"}); r.status != http.StatusCreated {
			t.Errorf("after 2 calls the fault is gone: %d", r.status)
		}
		if got := h.srv.Requests(mockserver.JournalFilter{Status: 500}); len(got) != 2 || got[0].FaultID != id {
			t.Errorf("journal: %+v", got)
		}
	})
	t.Run("path pattern and method, every declared status", func(t *testing.T) {
		h.ctl("DELETE", "/_mock/faults", nil)
		for _, status := range []int{400, 401, 403, 404, 422, 500} {
			h.ctl("DELETE", "/_mock/faults", nil)
			h.ctl("POST", "/_mock/faults", map[string]any{"method": "PUT", "path": "/v1/organizations/secrets/*", "status": status})
			if r := h.send("PUT", secretsURL+"/f", adminKey, map[string]any{"secret_value": "v2"}); r.status != status {
				t.Errorf("status %d: got %d %s", status, r.status, r.raw)
			}
			if r := h.send("DELETE", secretsURL+"/nope", adminKey, nil); r.status != http.StatusNotFound || strings.Contains(string(r.raw), "fault") {
				t.Errorf("another method was faulted: %d %s", r.status, r.raw)
			}
		}
		// 409 is not declared for PUT: the fault does not apply there.
		h.ctl("DELETE", "/_mock/faults", nil)
		h.ctl("POST", "/_mock/faults", map[string]any{"path": "/v1/organizations/secrets*", "status": 409})
		if r := h.send("PUT", secretsURL+"/f", adminKey, map[string]any{"secret_value": "v3"}); r.status != http.StatusOK {
			t.Errorf("409 fault on PUT: %d", r.status)
		}
		if r := h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "new", "secret_value": "v"}); r.status != http.StatusConflict {
			t.Errorf("409 fault on POST: %d", r.status)
		}
	})
	t.Run("probability", func(t *testing.T) {
		h.ctl("DELETE", "/_mock/faults", nil)
		h.ctl("POST", "/_mock/faults", map[string]any{"operation_id": "list_secrets_v1_organizations_secrets_get", "status": 500, "probability": 0.5})
		faulted := 0
		for i := 0; i < 200; i++ {
			if h.send("GET", secretsURL, adminKey, nil).status == 500 {
				faulted++
			}
		}
		if faulted < 50 || faulted > 150 {
			t.Errorf("%d of 200 faulted at probability 0.5", faulted)
		}
		hits := h.ctl("GET", "/_mock/faults", nil).json(t)["faults"].([]any)[0].(map[string]any)["hits"]
		if hits != float64(faulted) {
			t.Errorf("hits %v, faulted %d", hits, faulted)
		}
	})
	t.Run("latency", func(t *testing.T) {
		h.ctl("DELETE", "/_mock/faults", nil)
		h.ctl("POST", "/_mock/faults", map[string]any{"operation_id": "list_secrets_v1_organizations_secrets_get", "latency_ms": 30, "times": 1})
		if r := h.send("GET", secretsURL, adminKey, nil); r.status != http.StatusOK {
			t.Fatalf("%d", r.status)
		}
		e := h.srv.Requests(mockserver.JournalFilter{Limit: 1})[0]
		if e.DurationMS < 30 || e.FaultID == "" {
			t.Errorf("a 30 ms latency fault took %v ms (fault %q)", e.DurationMS, e.FaultID)
		}
	})
	t.Run("close the connection", func(t *testing.T) {
		h.ctl("DELETE", "/_mock/faults", nil)
		// A POST, since Go's client would retry an idempotent GET on a fresh connection.
		h.ctl("POST", "/_mock/faults", map[string]any{"operation_id": "create_secret_v1_organizations_secrets_post", "close_connection": true, "times": 1})
		req, _ := http.NewRequest("POST", h.url+secretsURL, strings.NewReader(`{"secret_name": "closed", "secret_value": "v"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+adminKey)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			t.Fatalf("got an answer: %d %s", resp.StatusCode, body)
		}
		if r := h.send("GET", secretsURL, adminKey, nil); r.status != http.StatusOK || strings.Contains(string(r.raw), "closed") {
			t.Errorf("after the fault: %d %s", r.status, r.raw)
		}
	})
	t.Run("bad rules", func(t *testing.T) {
		for _, body := range []map[string]any{
			{"operation_id": "list_secrets_v1_organizations_secrets_get"}, // no action
			{"operation_id": "nope", "status": 500},                       // unknown operation
			{"path": "[", "status": 500},                                  // bad pattern
		} {
			if r := h.ctl("POST", "/_mock/faults", body); r.status != http.StatusBadRequest {
				t.Errorf("%v: %d %s", body, r.status, r.raw)
			}
		}
		for _, body := range []map[string]any{
			{"status": 302}, {"status": 500, "probability": 2}, {"status": 500, "colour": "red"},
		} {
			if r := h.ctl("POST", "/_mock/faults", body); r.status != http.StatusUnprocessableEntity {
				t.Errorf("%v: %d %s", body, r.status, r.raw)
			}
		}
		if r := h.ctl("DELETE", "/_mock/faults/flt_nope", nil); r.status != http.StatusNotFound {
			t.Errorf("unknown fault: %d", r.status)
		}
	})
}

func TestClock(t *testing.T) {
	h := newHarness(t)
	h.createKey(map[string]any{"name": "short", "expires_at": "2026-01-02T04:00:00Z"})
	if r := h.ctl("POST", "/_mock/clock", map[string]any{"advance": "1h"}); r.status != http.StatusOK || r.json(t)["now"] != "2026-01-02T04:04:05Z" {
		t.Fatalf("advance: %d %s", r.status, r.raw)
	}
	if s := listKeys(t, h, "")["short"]["status"]; s != "expired" {
		t.Errorf("after the clock moved past expires_at: %v", s)
	}
	if r := h.ctl("POST", "/_mock/clock", map[string]any{"set": "2030-05-06T07:08:09Z"}); r.json(t)["now"] != "2030-05-06T07:08:09Z" {
		t.Errorf("set: %s", r.raw)
	}
	if r := h.ctl("GET", "/_mock/clock", nil); r.json(t)["now"] != "2030-05-06T07:08:09Z" {
		t.Errorf("get: %s", r.raw)
	}
	for _, body := range []map[string]any{{}, {"advance": "-1h"}, {"advance": "soon"}, {"advance": "1h", "set": "2030-01-01T00:00:00Z"}} {
		if r := h.ctl("POST", "/_mock/clock", body); r.status != http.StatusBadRequest {
			t.Errorf("%v: %d", body, r.status)
		}
	}
	if r := h.ctl("POST", "/_mock/clock", map[string]any{"set": "tomorrow"}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("set: tomorrow: %d", r.status)
	}
}

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
