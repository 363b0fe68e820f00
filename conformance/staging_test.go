package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

// Config.Rate paces every request of a run, cleanup included: no second of the server's
// journal holds more requests than the rate. (make test runs three checks; make test-all a
// whole run, some 45 s.)
func TestRateBoundsEverySecondOfARun(t *testing.T) {
	mock := newMock(t)
	cfg := config(mock.URL)
	cfg.Rate, cfg.PeerAPIKey = 10, ""
	if testing.Short() {
		cfg.Run = "^secrets/(create-returns-201|duplicate-rejected-409|delete-then-gone)$"
	}
	report, err := conformance.Run(context.Background(), cfg)
	if err != nil || !report.OK() {
		t.Fatalf("%v: %s", err, report.Summary())
	}
	entries := mock.Requests()
	if len(entries) < 12 {
		t.Fatalf("%d requests journaled", len(entries))
	}
	for i, e := range entries {
		n := 0
		for _, f := range entries[i:] {
			if f.Time.Sub(e.Time) < time.Second {
				n++
			}
		}
		if n > 10 {
			t.Fatalf("%d requests in the second from %s (request %d of %d), want at most 10", n, e.Time.Format(time.StampMicro), i, len(entries))
		}
	}
}

// A server that asks to wait (429, Retry-After: 1) on the first list is asked again after a
// second, and the run passes; the retry is listed in every report format. One that goes on
// asking is asked MaxRetries more times, and then the check fails on what it answered.
func TestAServerAskingToWaitIsAskedAgain(t *testing.T) {
	mock := newMock(t)
	org := mock.Organizations()[0].ID
	if _, err := mock.AddFault(mockserver.Fault{OperationID: mixpeekkit.OpListSecrets, OrganizationID: org,
		Status: http.StatusTooManyRequests, RetryAfterS: 1, Times: 1}); err != nil {
		t.Fatal(err)
	}
	cfg := mockConfig(mock)
	cfg.Run = "^contract/list-secrets$"
	began := time.Now()
	report, err := conformance.Run(context.Background(), cfg)
	if err != nil || !report.OK() || report.Passed != 1 {
		t.Fatalf("%v: %s", err, report.Summary())
	}
	if time.Since(began) < time.Second {
		t.Errorf("the run took %s: Retry-After: 1 was not waited for", time.Since(began))
	}
	if len(report.Retries) != 1 || !strings.Contains(report.Retries[0], "contract/list-secrets: GET /v1/organizations/secrets answered 429; asked again after 1s") {
		t.Errorf("retries: %q", report.Retries)
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"text":  func(b *bytes.Buffer) error { return report.WriteText(b) },
		"json":  func(b *bytes.Buffer) error { return report.WriteJSON(b) },
		"junit": func(b *bytes.Buffer) error { return report.WriteJUnit(b) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil || !strings.Contains(b.String(), "answered 429; asked again after 1s") {
			t.Errorf("the %s report does not list the retry:\n%s", name, b.String())
		}
	}

	// Always 503: the first answer and three more, then the check fails on the 503.
	var asked atomic.Int32
	mock.Wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "GET" && r.URL.Path == "/v1/organizations/secrets" && r.Header.Get("Authorization") == "Bearer "+ownerKey {
				asked.Add(1)
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	report, _ = conformance.Run(context.Background(), cfg)
	if report.Failed != 1 || asked.Load() < 4 || len(report.Retries) < 3 {
		t.Errorf("a server that keeps asking to wait: %s, %d answers, retries %q", report.Summary(), asked.Load(), report.Retries)
	}
}

// A preflight answer that is not what a key of the wrong kind gets says what was answered,
// instead of blaming the key.
func TestPreflightSaysWhatWasAnswered(t *testing.T) {
	mock := newMock(t)
	mock.Wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" && r.Header.Get("Authorization") == "Bearer "+peerKey {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(`{"success": false, "status": 500, "error": {"type": "InternalServerError", "message": "database down"}}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	_, err := conformance.Run(context.Background(), mockConfig(mock))
	if err == nil || !strings.Contains(err.Error(), "a bad create answered 500 InternalServerError: database down") ||
		strings.Contains(err.Error(), "not an admin key (") {
		t.Errorf("preflight error %v, want what was answered", err)
	}
}

// Sweep removes the secrets and live keys of the runs made under a prefix, in both
// organizations, and nothing else: not a name that merely starts like the prefix, not the
// admin-key, not the key it runs with; a dry run lists them and changes nothing. A prefix that
// could take what no run made is refused.
func TestSweepRemovesWhatRunsLeft(t *testing.T) {
	mock := newMock(t)
	send := func(key, method, path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, mock.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %v %v", method, path, err, resp)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	keys := "/v1/organizations/users/owner%40org-a.test/api-keys"
	for _, name := range []string{"sw-abc123-secret-1", "sw-xyz789-secret-2", "sw-prod-db", "swabc123-x", "keep"} {
		send(ownerKey, "POST", "/v1/organizations/secrets", `{"secret_name": "`+name+`", "secret_value": "v"}`)
	}
	send(peerKey, "POST", "/v1/organizations/secrets", `{"secret_name": "sw-abc123-peer", "secret_value": "v"}`)
	for _, name := range []string{"sw-abc123-key-1", "sw-abc123-revoked", "sw-runner"} {
		send(ownerKey, "POST", keys, `{"name": "`+name+`"}`)
	}
	send(ownerKey, "DELETE", keys+"/sw-abc123-revoked", "")
	// The sweep runs with an admin key whose name is shaped like a run's: it stays.
	runner, _ := send(ownerKey, "POST", keys, `{"name": "sw-abc123-runner", "permissions": ["admin"]}`)["key"].(string)
	state := func() (secrets, peer []string, live []string) {
		orgs := mock.Organizations()
		secrets, _ = mock.SecretNames(orgs[0].ID)
		peer, _ = mock.SecretNames(orgs[1].ID)
		all, _ := mock.APIKeys(orgs[0].ID, ownerEmail)
		for _, k := range all {
			if k.Status != "revoked" {
				live = append(live, k.Name)
			}
		}
		return secrets, peer, live
	}
	s0, p0, l0 := state()

	cfg := mockConfig(mock)
	cfg.Prefix, cfg.APIKey = "sw", runner
	mock.ClearRequests()
	dry, err := conformance.Sweep(context.Background(), cfg, true)
	for _, e := range mock.Requests() {
		if e.Method != "GET" {
			t.Errorf("the dry run sent %s %s", e.Method, e.Path)
		}
	}
	s1, p1, l1 := state()
	if err != nil || dry.Skipped != 4 || dry.Passed != 0 || !slices.Equal(s0, s1) || !slices.Equal(p0, p1) || !slices.Equal(l0, l1) {
		t.Errorf("dry run: %v %s; it changed %v %v %v", err, dry.Summary(), s1, p1, l1)
	}
	report, err := conformance.Sweep(context.Background(), cfg, false)
	secrets, peer, live := state()
	if err != nil || !report.OK() || report.Passed != 4 {
		t.Errorf("sweep: %v %s %v", err, report.Summary(), report.Leftovers)
	}
	if !slices.Equal(secrets, []string{"keep", "sw-prod-db", "swabc123-x"}) || len(peer) != 0 ||
		!slices.Equal(live, []string{"admin-key", "sw-runner", "sw-abc123-runner"}) {
		t.Errorf("after the sweep: secrets %v, peer secrets %v, live keys %v", secrets, peer, live)
	}
	for _, prefix := range []string{"", "s"} {
		cfg.Prefix = prefix
		if _, err := conformance.Sweep(context.Background(), cfg, false); err == nil || !strings.Contains(err.Error(), "Config.Prefix") {
			t.Errorf("sweep with prefix %q: %v, want a refusal", prefix, err)
		}
	}
}

// The expiry check leaves room for a slow pace: at under one request per second, the key
// still works before its expires_at. (make test-all: some 9 s.)
func TestExpiryCheckAtASlowPace(t *testing.T) {
	long(t)
	mock := newMock(t)
	cfg := mockConfig(mock)
	cfg.Rate, cfg.PeerAPIKey, cfg.Run = 0.9, "", "^auth/expired-key-401$"
	report, err := conformance.Run(context.Background(), cfg)
	if err != nil || !report.OK() || report.Passed != 1 {
		var b bytes.Buffer
		_ = report.WriteText(&b)
		t.Errorf("%v: %s", err, b.String())
	}
}

// A redirect is an answer the run judges, not one it follows: every request the server sees
// is paced, and a 3xx is not a status the contract declares.
func TestRedirectsAreNotFollowed(t *testing.T) {
	mock := newMock(t)
	var followed atomic.Int32
	mock.Wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Has("hop") {
				followed.Add(1)
			}
			if r.Method == "GET" && r.URL.Path == "/v1/organizations/secrets" && r.Header.Get("Authorization") == "Bearer "+ownerKey {
				http.Redirect(w, r, r.URL.Path+"?hop=1", http.StatusTemporaryRedirect)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	cfg := mockConfig(mock)
	cfg.Run = "^contract/list-secrets$"
	report, _ := conformance.Run(context.Background(), cfg)
	if report.Failed != 1 || followed.Load() != 0 {
		t.Errorf("%s, %d redirects followed; want none, and the check failing on the 307", report.Summary(), followed.Load())
	}
}
