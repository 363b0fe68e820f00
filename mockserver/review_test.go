package mockserver_test

import (
	"encoding/json"
	"math/rand"
	"net/http"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

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
	entries := h.srv.Requests(mockserver.JournalFilter{})
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

func TestJournalCutsBigBodies(t *testing.T) {
	h := newHarness(t)
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "big", "secret_value": strings.Repeat("v", 100000), "note": strings.Repeat("n", 100000)})
	e := h.srv.Requests(mockserver.JournalFilter{})[0]
	var s string
	if err := json.Unmarshal(e.RequestBody, &s); err != nil || len(s) > 9000 || !strings.Contains(s, "[cut:") {
		t.Errorf("a 200 kB body is kept as %d bytes", len(e.RequestBody))
	}
}

func TestFaultsAddUpAndMatchCallers(t *testing.T) {
	h := newHarness(t)
	t.Run("a latency rule before a status rule: both apply", func(t *testing.T) {
		h.srv.ClearFaults()
		if _, err := h.srv.AddFault(mockserver.Fault{Path: "/v1/organizations/secrets", LatencyMS: 20}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.srv.AddFault(mockserver.Fault{Path: "/v1/organizations/secrets", Status: 500}); err != nil {
			t.Fatal(err)
		}
		h.srv.ClearRequests()
		if r := h.send("GET", secretsURL, adminKey, nil); r.status != 500 {
			t.Fatalf("%d", r.status)
		}
		if e := h.srv.Requests(mockserver.JournalFilter{})[0]; e.DurationMS < 20 || e.FaultID != "flt_1,flt_2" {
			t.Errorf("entry %+v", e)
		}
	})
	t.Run("escaped paths, as the journal shows them", func(t *testing.T) {
		h.srv.ClearFaults()
		h.ctl("POST", "/_mock/faults", map[string]any{"path": "/v1/organizations/users/admin%40example.com/api-keys", "status": 404})
		if r := h.send("GET", adminKeys, adminKey, nil); r.status != 404 || !strings.Contains(string(r.raw), "fault") {
			t.Errorf("%d %s", r.status, r.raw)
		}
	})
	t.Run("per organization and key name", func(t *testing.T) {
		h.srv.ClearFaults()
		tenant, err := h.srv.CreateOrganization(mockserver.Organization{})
		if err != nil {
			t.Fatal(err)
		}
		h.ctl("POST", "/_mock/faults", map[string]any{"organization_id": tenant.ID, "status": 500})
		if r := h.send("GET", secretsURL, adminKey, nil); r.status != 200 {
			t.Errorf("another organization got the tenant's fault: %d", r.status)
		}
		if r := h.send("GET", secretsURL, tenant.AdminKey, nil); r.status != 500 {
			t.Errorf("the tenant: %d", r.status)
		}
		h.srv.ClearFaults()
		h.ctl("POST", "/_mock/faults", map[string]any{"key_name": "reader", "status": 500})
		reader := h.createKey(map[string]any{"name": "reader"})["key"].(string)
		if r := h.send("GET", secretsURL, reader, nil); r.status != 500 {
			t.Errorf("key_name fault: %d", r.status)
		}
		if r := h.send("GET", secretsURL, "", nil); r.status != 401 {
			t.Errorf("an unauthenticated call meets no fault: %d", r.status)
		}
	})
	t.Run("rules that could never apply are refused, in Go and over HTTP alike", func(t *testing.T) {
		for _, spec := range []mockserver.Fault{
			{OperationID: mixpeekkit.OpUpdateSecret, Status: 409},
			{Status: 302}, {Status: 500, Times: -1}, {LatencyMS: -5}, {Status: 500, Probability: 1.5},
		} {
			if _, err := h.srv.AddFault(spec); err == nil {
				t.Errorf("%+v accepted", spec)
			}
		}
		if r := h.ctl("POST", "/_mock/faults", map[string]any{"operation_id": "update_secret_v1_organizations_secrets__secret_name__put", "status": 409}); r.status != 400 {
			t.Errorf("undeclared status over HTTP: %d", r.status)
		}
		if r := h.ctl("POST", "/_mock/faults", map[string]any{"status": 500, "probability": 0}); r.status != 422 {
			t.Errorf("probability 0 over HTTP: %d", r.status)
		}
	})
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
	e := h.srv.Requests(mockserver.JournalFilter{})
	if len(e) != 1 || e[0].Status != 0 || e[0].FaultID != "flt_1" || e[0].KeyName != "admin-key" {
		t.Errorf("journal %+v", e)
	}
	if f := h.ctl("GET", "/_mock/faults", nil).json(t)["faults"].([]any); len(f) != 0 {
		t.Errorf("a used-up fault is still listed: %v", f)
	}
}

func TestClockRefusesToWrap(t *testing.T) {
	h := newHarness(t)
	for _, body := range []map[string]any{{"set": "2500-01-01T00:00:00Z"}, {"set": "1500-01-01T00:00:00Z"}, {"advance": "2562047h"}} {
		if r := h.ctl("POST", "/_mock/clock", body); r.status != 400 {
			t.Errorf("%v: %d %s", body, r.status, r.raw)
		}
	}
	for i := 0; i < 2; i++ {
		h.ctl("POST", "/_mock/clock", map[string]any{"advance": "876000h"}) // 100 years
	}
	if r := h.ctl("POST", "/_mock/clock", map[string]any{"advance": "8760h"}); r.status != 400 {
		t.Errorf("past 200 years: %d", r.status)
	}
	if now := h.ctl("GET", "/_mock/clock", nil).json(t)["now"].(string); !strings.HasPrefix(now, "2225-") {
		t.Errorf("now %s", now)
	}
}

// A key that a reset would bring back cannot become another organization's key.
func TestResetNeverGivesAKeyTwoOrganizations(t *testing.T) {
	ci := "sk_" + strings.Repeat("c", 43)
	seed := fixtures.SeedOf(defaultOrg.WithReadOnlyKey("ci", ci))
	h := newHarness(t, func(o *mockserver.Options) { o.Seed = seed })
	h.send("POST", adminKeys+"/ci/rotate", adminKey, nil)
	if r := h.ctl("POST", "/_mock/orgs", map[string]any{"admin_key": ci}); r.status != 400 {
		t.Fatalf("a tenant took a key a reset would restore: %d %s", r.status, r.raw)
	}
	if r := h.ctl("POST", "/_mock/orgs/"+h.state().Organizations[0].ID+"/reset", nil); r.status != 200 {
		t.Errorf("reset: %d", r.status)
	}
	if r := h.send("GET", secretsURL, ci, nil); r.status != 200 {
		t.Errorf("the restored key: %d", r.status)
	}
}

// Refused control requests draw nothing from a seeded random source.
func TestRefusedTenantsDoNotShiftIDs(t *testing.T) {
	next := func(refused bool) string {
		h := newHarness(t, func(o *mockserver.Options) { o.Rand = &lockedRand{r: rand.New(rand.NewSource(3))} })
		if refused {
			h.ctl("POST", "/_mock/orgs", map[string]any{"owner_email": "nope"})
			h.ctl("POST", "/_mock/faults", map[string]any{"status": 500, "probability": 0.5, "operation_id": "list_secrets_v1_organizations_secrets_get"})
			h.send("GET", secretsURL, adminKey, nil)
		}
		return h.createKey(map[string]any{"name": "k"})["key_id"].(string)
	}
	if a, b := next(false), next(true); a != b {
		t.Errorf("key_id %s, after refused requests and a coin flip %s", a, b)
	}
}
