package mockserver_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

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
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("%d entries after clear", n)
	}
}

// The journal keeps what refused requests sent too, redacted everywhere: query, nested
// members, other cases of a secret member's name, key-shaped names.
func TestJournalRedactsEverywhereAndKeepsRefusedBodies(t *testing.T) {
	h := newHarness(t)
	leak := "LEAKED-VALUE"
	key := "sk_" + strings.Repeat("q", 43)
	h.send("POST", secretsURL, "", `{"secret_name": "a", "secret_value": "`+leak+`"}`)      // 401
	h.send("POST", secretsURL, adminKey, `{"secret_name": "", "SECRET_VALUE": "`+leak+`"}`) // 422
	h.send("POST", secretsURL, adminKey, `{"secret_name": "b", "secret_value": "v", "extra": {"secret_value": {"inner": "`+leak+`"}}, "`+key+`": 1}`)
	h.send("GET", secretsURL+"?token="+leak+"&x="+key, adminKey, nil)
	h.send("GET", "/v1/organizations/users/admin%40example.com/api-keys/"+key+"/x", adminKey, nil)
	h.send("POST", secretsURL, adminKey, "not json "+leak)

	raw := string(h.ctl("GET", "/_mock/requests", nil).raw)
	if strings.Contains(raw, leak) || strings.Contains(raw, key) {
		t.Fatalf("the journal leaks: %s", raw)
	}
	entries := h.srv.Requests()
	if len(entries) != 6 {
		t.Fatalf("%d entries", len(entries))
	}
	for i, want := range []string{`{"secret_name":"a","secret_value":"[REDACTED]"}`, `{"SECRET_VALUE":"[REDACTED]","secret_name":""}`} {
		if string(entries[i].RequestBody) != want {
			t.Errorf("entry %d (status %d) body %s, want %s", i, entries[i].Status, entries[i].RequestBody, want)
		}
	}
	if entries[0].Status != 401 || entries[1].Status != 422 {
		t.Errorf("statuses %d %d", entries[0].Status, entries[1].Status)
	}
}

// The journal keeps at most 8 KiB of a body and 2 KiB of a path and of a query, also of a
// request without a key: a thousand entries of a client's longest request lines stay small.
func TestJournalCutsBigBodies(t *testing.T) {
	h := newHarness(t)
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": strings.Repeat("n", 200000), "secret_value": "v"})
	e := h.srv.Requests()[0]
	var s string
	if err := json.Unmarshal(e.RequestBody, &s); err != nil || len(s) > 9000 || !strings.Contains(s, "[cut:") {
		t.Errorf("a 200 kB body is kept as %d bytes", len(e.RequestBody))
	}
	long := strings.Repeat("x", 50_000)
	h.send("GET", secretsURL+"/"+long+"?q="+long, "", nil)
	e = h.srv.Requests()[1]
	if len(e.Path) > 2200 || len(e.Query) > 2200 || !strings.Contains(e.Path, "[cut: ") || !strings.Contains(e.Query, "[cut: ") {
		t.Errorf("a 50 kB path and query are kept as %d and %d bytes", len(e.Path), len(e.Query))
	}
}

func TestClosedConnectionsAreJournaled(t *testing.T) {
	h := newHarness(t)
	h.ctl("POST", "/_mock/faults", map[string]any{"operation_id": "create_secret_v1_organizations_secrets_post", "close_connection": true, "times": 1})
	req, _ := http.NewRequest("POST", h.url+secretsURL, strings.NewReader(`{"secret_name": "c", "secret_value": "v"}`))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("answered")
	}
	e := h.srv.Requests()
	if len(e) != 1 || e[0].Status != 0 || e[0].FaultID != "flt_1" || e[0].KeyName != "admin-key" {
		t.Errorf("journal %+v", e)
	}
	if f := h.ctl("GET", "/_mock/faults", nil).json(t)["faults"].([]any); len(f) != 0 {
		t.Errorf("a used-up fault is still listed: %v", f)
	}
}

// A secret sent under a name the contract does not declare (secretValue, secret, …) is never
// kept, in refused and accepted bodies alike, at any depth; declared members keep their
// values.
func TestJournalKeepsOnlyDeclaredMembers(t *testing.T) {
	h := newHarness(t)
	leak := "MISNAMED-SECRET"
	h.send("POST", secretsURL, adminKey, `{"secret_name": "a", "secretValue": "`+leak+`"}`)                 // 422
	h.send("POST", secretsURL, adminKey, `{"secret_name": "b", "secret_value": "v", "secret": "`+leak+`"}`) // 201
	h.send("POST", adminKeys, adminKey, `{"name": "k", "description": "d", "scopes": [{"resource_type": "namespace", "resource_id": "ns", "pass": "`+leak+`"}], "apiKey": "`+leak+`"}`)
	entries := h.srv.Requests()
	raw, _ := json.Marshal(entries)
	if strings.Contains(string(raw), leak) {
		t.Fatalf("the journal keeps a misnamed secret: %s", raw)
	}
	var bodies []any
	for _, e := range entries {
		var b any
		_ = json.Unmarshal(e.RequestBody, &b)
		bodies = append(bodies, b)
	}
	want := []any{
		map[string]any{"secret_name": "a", "secretValue": "[REDACTED]"},
		map[string]any{"secret_name": "b", "secret_value": "[REDACTED]", "secret": "[REDACTED]"},
		map[string]any{"name": "k", "description": "d", "apiKey": "[REDACTED]",
			"scopes": []any{map[string]any{"resource_type": "namespace", "resource_id": "ns", "pass": "[REDACTED]"}}},
	}
	if diff := cmp.Diff(want, bodies); diff != "" {
		t.Errorf("journaled bodies (-want +got):\n%s", diff)
	}
}

// status=0 selects the calls answered by closing the connection (status 0 in Go), and a
// filter the journal does not know, or a value that can select nothing, is a 400 naming it.
func TestJournalFilters(t *testing.T) {
	h := newHarness(t)
	h.ctl("POST", "/_mock/faults", map[string]any{"operation_id": "create_secret_v1_organizations_secrets_post", "close_connection": true, "times": 1})
	req, _ := http.NewRequest("POST", h.url+secretsURL, strings.NewReader(`{"secret_name": "c", "secret_value": "v"}`))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	h.send("GET", secretsURL, adminKey, nil)
	h.send("GET", secretsURL, "", nil)

	if got := h.ctl("GET", "/_mock/requests?status=0", nil).json(t)["entries"].([]any); len(got) != 1 || got[0].(map[string]any)["status"] != float64(0) {
		t.Errorf("status=0: %v", got)
	}
	if got := withStatus(h.srv.Requests(), 0); len(got) != 1 {
		t.Errorf("closed connections in the journal: %+v", got)
	}
	if got := h.srv.Requests(); len(got) != 3 {
		t.Errorf("the zero filter selects %d entries, want every one (3)", len(got))
	}
	for query, name := range map[string]string{
		"stat=200":                "stat",
		"method=FETCH":            "method",
		"operation_id=mock_reset": "operation_id",
		"status=42":               "status",
		"status=600":              "status",
	} {
		r := h.ctl("GET", "/_mock/requests?"+query, nil)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.raw), `\"`+name) && !strings.Contains(string(r.raw), name+"=") {
			t.Errorf("%s: %d %s", query, r.status, r.raw)
		}
	}
	if r := h.ctl("GET", "/_mock/requests?status=abc", nil); r.status != http.StatusUnprocessableEntity {
		t.Errorf("status=abc: %d (a value of the wrong type breaks control.yaml: 422)", r.status)
	}
}
