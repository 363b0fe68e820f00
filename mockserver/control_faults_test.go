package mockserver_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/determinism"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

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
			// The list shows the hits and the times left; a fault used up is gone from it.
			listed, _ := h.ctl("GET", "/_mock/faults", nil).json(t)["faults"].([]any)
			if i == 0 {
				if f, _ := listed[0].(map[string]any); len(listed) != 1 || f["hits"] != float64(1) || f["times"] != float64(1) {
					t.Errorf("after one hit of a fault for 2 calls, the list shows %v", listed)
				}
			} else if len(listed) != 0 {
				t.Errorf("a fault used up is still listed: %v", listed)
			}
		}
		if r := h.send("GET", secretsURL, adminKey, nil); r.json(t)["count"] != float64(0) {
			t.Errorf("a faulted create stored something: %s", r.raw)
		}
		if r := h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "f", "secret_value": "v"}); r.status != http.StatusCreated {
			t.Errorf("after 2 calls the fault is gone: %d", r.status)
		}
		if got := withStatus(h.srv.Requests(), 500); len(got) != 2 || got[0].FaultID != id {
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
		all := h.srv.Requests()
		e := all[len(all)-1]
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

func TestFaultsAddUpAndMatchCallers(t *testing.T) {
	h := newHarness(t)
	t.Run("a latency rule before a status rule: both apply", func(t *testing.T) {
		h.ctl("DELETE", "/_mock/faults", nil)
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
		if e := h.srv.Requests()[0]; e.DurationMS < 20 || e.FaultID != "flt_1,flt_2" {
			t.Errorf("entry %+v", e)
		}
	})
	t.Run("escaped paths, as the journal shows them", func(t *testing.T) {
		h.ctl("DELETE", "/_mock/faults", nil)
		h.ctl("POST", "/_mock/faults", map[string]any{"path": "/v1/organizations/users/admin%40example.com/api-keys", "status": 404})
		if r := h.send("GET", adminKeys, adminKey, nil); r.status != 404 || !strings.Contains(string(r.raw), "fault") {
			t.Errorf("%d %s", r.status, r.raw)
		}
	})
	t.Run("per organization and key name", func(t *testing.T) {
		h.ctl("DELETE", "/_mock/faults", nil)
		tenant := h.createOrg(nil)
		h.ctl("POST", "/_mock/faults", map[string]any{"organization_id": tenant.ID, "status": 500})
		if r := h.send("GET", secretsURL, adminKey, nil); r.status != 200 {
			t.Errorf("another organization got the tenant's fault: %d", r.status)
		}
		if r := h.send("GET", secretsURL, tenant.AdminKey, nil); r.status != 500 {
			t.Errorf("the tenant: %d", r.status)
		}
		h.ctl("DELETE", "/_mock/faults", nil)
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

// waitFor polls cond until it holds, failing the test after a generous guard (never a
// measurement: nothing asserts how long it took).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A client that gives up during a fault's latency leaves nothing done: the operation does
// not run, and the call is journaled as a closed connection.
func TestOperationSkippedWhenTheClientHasGone(t *testing.T) {
	h := newHarness(t)
	if _, err := h.srv.AddFault(mockserver.Fault{OperationID: mixpeekkit.OpCreateSecret, LatencyMS: 60000}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", h.url+secretsURL, strings.NewReader(`{"secret_name": "late", "secret_value": "v"}`))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	waitFor(t, "the call to meet the fault", func() bool { return h.srv.Faults()[0].Hits == 1 })
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the cancelled call got an answer")
	}
	waitFor(t, "the call to be journaled", func() bool { return len(h.srv.Requests()) == 1 })
	if e := h.srv.Requests()[0]; e.Status != 0 {
		t.Errorf("journaled with status %d, want 0", e.Status)
	}
	if names, _ := h.srv.SecretNames(h.srv.OrganizationID); len(names) != 0 {
		t.Errorf("the operation ran after its client had gone: %v", names)
	}
}

// Shutdown ends the fault latencies in flight at once: the waiting call is answered as usual.
func TestShutdownEndsFaultLatencies(t *testing.T) {
	h := newHarness(t)
	if _, err := h.srv.AddFault(mockserver.Fault{OperationID: mixpeekkit.OpListSecrets, LatencyMS: 60000, Status: 500}); err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", h.url+secretsURL, nil)
		req.Header.Set("Authorization", "Bearer "+adminKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	waitFor(t, "the call to meet the fault", func() bool { return h.srv.Faults()[0].Hits == 1 })
	h.srv.EndLatencies()
	if status := <-got; status != http.StatusInternalServerError {
		t.Errorf("the waiting call got %d, want the fault's 500", status)
	}
}

// A fault that could match no call is refused with a 400 that says why, in Go and over HTTP.
func TestFaultsThatCanMatchNothingAreRefused(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		fault map[string]any
		want  string
	}{
		{map[string]any{"path": "/v1/organisations/secrets", "status": 500}, `path "/v1/organisations/secrets"`},
		{map[string]any{"path": "/v1/organizations/secrets/", "latency_ms": 5}, `path "/v1/organizations/secrets/"`},
		{map[string]any{"path": "/v1/organizations/*/*/*/*/*/*/*", "latency_ms": 5}, `path "/v1/organizations/*/*/*/*/*/*/*"`},
		{map[string]any{"method": "PUT", "path": "/v1/organizations/secrets", "latency_ms": 5}, "method PUT"},
		{map[string]any{"operation_id": "list_secrets_v1_organizations_secrets_get", "path": "/v1/organizations/secrets/*", "latency_ms": 5}, "operation_id"},
		{map[string]any{"path": "/v1/organizations/secrets", "method": "GET", "status": 409}, "status 409"},
		{map[string]any{"operation_id": "nope", "status": 500}, `operation "nope" is not in openapi.yaml`},
	} {
		r := h.ctl("POST", "/_mock/faults", tc.fault)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.raw), strings.ReplaceAll(tc.want, `"`, `\"`)) {
			t.Errorf("%v: %d %s", tc.fault, r.status, r.raw)
		}
	}
	for _, ok := range []map[string]any{
		{"path": "/v1/organizations/secrets/stripe*", "latency_ms": 5},
		{"path": "/v1/organizations/*/*/api-keys", "latency_ms": 5},
		{"path": "/v1/organizations/users/*/api-keys/*/rotate", "status": 404},
	} {
		if r := h.ctl("POST", "/_mock/faults", ok); r.status != http.StatusCreated {
			t.Errorf("%v refused: %d %s", ok, r.status, r.raw)
		}
	}
	if _, err := h.srv.AddFault(mockserver.Fault{Path: "/v2/*", LatencyMS: 1}); !errors.Is(err, mockserver.ErrBadRequest) {
		t.Errorf("in Go: %v", err)
	}
}

// A fault's coin flips follow the server's random source: the same seed, the same calls
// faulted; another seed, others (out of 40 flips at one half, the same 40 by chance is
// one in a trillion).
func TestFaultDiceFollowTheRandomSource(t *testing.T) {
	flips := func(seed int64) string {
		h := newHarness(t, func(o *mockserver.Options) { o.Rand = determinism.Rand(seed) })
		if r := h.ctl("POST", "/_mock/faults", map[string]any{"operation_id": "list_secrets_v1_organizations_secrets_get", "status": 500, "probability": 0.5}); r.status != http.StatusCreated {
			t.Fatalf("fault: %d %s", r.status, r.raw)
		}
		var b strings.Builder
		for range 40 {
			b.WriteString(strconv.Itoa(h.send("GET", secretsURL, adminKey, nil).status / 100))
		}
		return b.String()
	}
	a, again, other := flips(11), flips(11), flips(12)
	if a != again {
		t.Errorf("seed 11 flipped %s, then %s", a, again)
	}
	if a == other {
		t.Errorf("seeds 11 and 12 flipped the same: %s", a)
	}
	if !strings.Contains(a, "2") || !strings.Contains(a, "5") {
		t.Errorf("40 flips at one half, all alike: %s", a)
	}
}

// A fault may answer what a client's retry logic meets, outside the contract: 429, 502, 503
// or 504, on any operation (none declares them), with an ErrorResponse and, for
// retry_after_s, a Retry-After header; strict mode lets it through, and the journal and the
// recording mark it. A status no fault answers is refused with the list of those that are.
func TestFaultsOutsideTheContract(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		status int
		typ    string
	}{{429, "TooManyRequestsError"}, {502, "BadGatewayError"}, {503, "ServiceUnavailableError"}, {504, "GatewayTimeoutError"}} {
		r := h.ctl("POST", "/_mock/faults", map[string]any{"operation_id": "list_secrets_v1_organizations_secrets_get",
			"status": tc.status, "retry_after_s": 7, "times": 1})
		if r.status != http.StatusCreated {
			t.Fatalf("%d: %d %s", tc.status, r.status, r.raw)
		}
		got := h.send("GET", secretsURL, adminKey, nil)
		body := got.json(t)
		e, _ := body["error"].(map[string]any)
		if got.status != tc.status || body["status"] != float64(tc.status) || e["type"] != tc.typ || got.header.Get("Retry-After") != "7" {
			t.Errorf("fault %d: %d %v %s", tc.status, got.status, got.header, got.raw)
		}
		entries := h.srv.Requests()
		if last := entries[len(entries)-1]; !last.OutsideContract || last.Status != tc.status || last.FaultID == "" {
			t.Errorf("journal: %+v", last)
		}
	}
	if r := h.send("GET", secretsURL, adminKey, nil); r.status != http.StatusOK || r.header.Get("Retry-After") != "" {
		t.Errorf("after the faults: %d %v", r.status, r.header)
	}
	if last := h.srv.Requests(); last[len(last)-1].OutsideContract {
		t.Error("an answer of the contract marked outside it")
	}
	rec := h.ctl("GET", "/_mock/recording", nil).json(t)
	if rec["faulted"] != float64(4) || rec["outside_contract"] != float64(4) {
		t.Errorf("recording: faulted %v, outside_contract %v", rec["faulted"], rec["outside_contract"])
	}

	_, err := h.srv.AddFault(mockserver.Fault{Status: 418})
	if !errors.Is(err, mockserver.ErrInvalid) || !strings.Contains(err.Error(), "400, 401, 403, 404, 409, 422, 500 (as the contract declares them") ||
		!strings.Contains(err.Error(), "or 429, 502, 503, 504 (outside the contract, on any operation)") {
		t.Errorf("status 418: %v", err)
	}
	if r := h.ctl("POST", "/_mock/faults", map[string]any{"status": 418}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("status 418 over HTTP: %d %s", r.status, r.raw)
	}
	if _, err := h.srv.AddFault(mockserver.Fault{LatencyMS: 5, RetryAfterS: 3}); !errors.Is(err, mockserver.ErrBadRequest) {
		t.Errorf("retry_after_s without a status: %v", err)
	}
}
