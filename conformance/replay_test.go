package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"

	"github.com/google/go-cmp/cmp"
	"github.com/mixpeekkit/mixpeekkit"

	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
	"github.com/mixpeekkit/mixpeekkit/mockserver/mockservertest"
	"github.com/mixpeekkit/mixpeekkit/recording"
)

// The committed recordings of the example consumer: what its tests did against the mock.
var exampleRecordings = []string{"put", "rotate"}

func loadRecording(t *testing.T, name string) *recfmt.Recording {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", "secretsclient", "testdata", name+".recording.json"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := recfmt.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Calls) < 5 {
		t.Fatalf("%s: %d calls: the example's recording is not what its tests make", name, len(rec.Calls))
	}
	return rec
}

// calls are the results of a replay's recorded calls, in order (setup calls and the dropped
// calls' note aside).
func calls(r *conformance.Report) []conformance.Result {
	var out []conformance.Result
	for _, res := range r.Results {
		if res.Category == "replay" && res.ID != "replay/dropped-calls" && res.ID != "replay/faulted-calls" {
			out = append(out, res)
		}
	}
	return out
}

// setups are the results of a replay's setup calls.
func setups(r *conformance.Report) []conformance.Result {
	var out []conformance.Result
	for _, res := range r.Results {
		if res.Category == "setup" {
			out = append(out, res)
		}
	}
	return out
}

// seqOf is the recorded call a result is of: replay/3-create_secret is call 3.
func seqOf(t *testing.T, r conformance.Result) int {
	t.Helper()
	n, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(r.ID, "replay/"), "-", 2)[0])
	if err != nil {
		t.Fatalf("result %s is not of a recorded call", r.ID)
	}
	return n
}

// firstFailure is the first result that failed, nil when none did.
func firstFailure(r *conformance.Report) *conformance.Result {
	for i := range r.Results {
		if r.Results[i].Status == conformance.Fail {
			return &r.Results[i]
		}
	}
	return nil
}

// public is a recording as package recording gives it, from the format's Go types.
func public(t *testing.T, doc *recfmt.Recording) *recording.Recording {
	t.Helper()
	data, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := recording.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// recordingOf is a mock's recording of an organization, in the format's Go types.
func recordingOf(t *testing.T, mock *mockservertest.Server, orgID string) *recfmt.Recording {
	t.Helper()
	rec, err := mock.Recording(orgID)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := recfmt.From(rec)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// replayConfig is config without the peer (a replay does not use it) and with a prefix the
// test can look for.
func replayConfig(url string) conformance.Config {
	cfg := config(url)
	cfg.PeerAPIKey, cfg.Prefix = "", "rp"
	return cfg
}

// The example's recordings replay against the mock: every call passes, none is skipped, and
// nothing the replay made is left behind.
func TestReplayExampleRecordingsAgainstMock(t *testing.T) {
	for _, name := range exampleRecordings {
		t.Run(name, func(t *testing.T) {
			rec := loadRecording(t, name)
			mock := newMock(t)
			report, err := conformance.Replay(context.Background(), replayConfig(mock.URL), public(t, rec))
			if err != nil {
				t.Fatal(err)
			}
			var text bytes.Buffer
			if err := report.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if !report.OK() || len(calls(report)) != len(rec.Calls) {
				t.Fatalf("the replay against the mock differs (%d of %d calls):\n%s", len(calls(report)), len(rec.Calls), text.String())
			}
			for i, c := range calls(report) {
				if c.Status != conformance.Pass || seqOf(t, c) != rec.Calls[i].Seq {
					t.Errorf("%s: %s, want call %d to pass", c.ID, c.Status, rec.Calls[i].Seq)
				}
			}
			if left := liveLeftovers(t, mock, report.Prefix); len(left) > 0 {
				t.Errorf("the replay left %v", left)
			}
			if !strings.Contains(text.String(), fmt.Sprintf("%d passed, 0 failed, 0 skipped", len(report.Results))) {
				t.Errorf("text report: %s", text.String())
			}
		})
	}
}

// Each broken variant of the mock fails the replay first at the call that shows the break,
// found from the recording (not written down), with the recorded and actual status and shape.
func TestReplayFindsBrokenVariants(t *testing.T) {
	isCreateSecret := func(r *http.Request) bool { return r.Method == "POST" && isSecrets(r) }
	cases := []struct {
		name, recording string
		wrap            func(http.Handler) http.Handler
		// first is the first call of the recording the break shows in.
		first func(c recfmt.Call) bool
		want  string // in the first difference
	}{
		{"create secret answers 200", "put", variantWrap(t, "create secret answers 200"),
			func(c recfmt.Call) bool { return c.Operation == mixpeekkit.OpCreateSecret && c.Status == 201 },
			"status: recorded 201, got 200"},
		{"rotation does not revoke the old key", "rotate", variantWrap(t, "rotated key still valid"),
			func(c recfmt.Call) bool { return c.Operation == mixpeekkit.OpListSecrets && c.Status == 401 },
			"status: recorded 401, got 200"},
		{"list misses a secret", "put", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if r.Method == "GET" && isSecrets(r) && a.status == 200 {
				return 200, a.header, map[string]any{"secrets": []string{}, "count": 0}
			}
			return a.status, a.header, a.body
		}), func(c recfmt.Call) bool {
			return c.Operation == mixpeekkit.OpListSecrets && c.Response.Listed != nil && len(*c.Response.Listed) > 0
		}, "listed: recorded [$secret1], got []"},
		{"not-found error type renamed", "put", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if a.status == 404 {
				m := a.json()
				m["error"].(map[string]any)["type"] = "ResourceMissing"
				return a.status, a.header, m
			}
			return a.status, a.header, a.body
		}), func(c recfmt.Call) bool { return c.Status == 404 }, `error.type: recorded "NotFoundError", got "ResourceMissing"`},
		{"create secret drops a required member", "put", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if isCreateSecret(r) && a.status == 201 {
				m := a.json()
				delete(m, "secret_name")
				return a.status, a.header, m
			}
			return a.status, a.header, a.body
		}), func(c recfmt.Call) bool { return c.Operation == mixpeekkit.OpCreateSecret && c.Status == 201 },
			"shape: secret_name: missing (recorded string)"},
		{"a list's count becomes a string", "put", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if r.Method == "GET" && isSecrets(r) && a.status == 200 {
				m := a.json()
				m["count"] = fmt.Sprint(m["count"])
				return a.status, a.header, m
			}
			return a.status, a.header, a.body
		}), func(c recfmt.Call) bool { return c.Operation == mixpeekkit.OpListSecrets && c.Status == 200 },
			"shape: count: recorded integer, got string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := loadRecording(t, tc.recording)
			i := slices.IndexFunc(rec.Calls, tc.first)
			if i < 0 {
				t.Fatalf("the %s recording has no call that shows this break", tc.recording)
			}
			mock := newMock(t)
			mock.Wrap(tc.wrap)
			report, err := conformance.Replay(context.Background(), replayConfig(mock.URL), public(t, rec))
			if err != nil {
				t.Fatal(err)
			}
			d := firstFailure(report)
			var text bytes.Buffer
			_ = report.WriteText(&text)
			if report.OK() || d == nil || seqOf(t, *d) != rec.Calls[i].Seq {
				t.Fatalf("first difference %+v, want call %d:\n%s", d, rec.Calls[i].Seq, text.String())
			}
			f := d.Failures[0] // the difference from the recording comes first
			if !strings.Contains(f.Message, tc.want) {
				t.Errorf("difference %q, want %q", f.Message, tc.want)
			}
			// The recorded status and shape, and the actual ones.
			if recorded := fmt.Sprintf("recorded %d {", rec.Calls[i].Status); !strings.HasPrefix(f.Message, recorded) ||
				f.Exchange == nil || !strings.Contains(f.Message, fmt.Sprintf("actual   %d ", f.Exchange.Status)) {
				t.Errorf("the difference lacks the recorded or actual status and shape: %s", f.Message)
			}
			if !strings.Contains(text.String(), "--- FAIL "+d.ID) || !strings.Contains(text.String(), "$ curl") {
				t.Errorf("text report:\n%s", text.String())
			}
			if left := liveLeftovers(t, mock, report.Prefix); len(left) > 0 {
				t.Errorf("the replay left %v", left)
			}
			var js bytes.Buffer
			if err := report.WriteJSON(&js); err != nil || !json.Valid(js.Bytes()) {
				t.Errorf("JSON report: %v", err)
			}
		})
	}
}

func variantWrap(t *testing.T, name string) func(http.Handler) http.Handler {
	for _, v := range variants() {
		if v.name == name {
			return v.wrap
		}
	}
	t.Fatalf("no variant %q", name)
	return nil
}

// A recording made on fixtures starts with seeded symbols: the replay creates them (the
// revoked key revoked), again after a reset, skips what it cannot do (a user of the fixtures,
// the admin-key without Destructive, a literal name), and touches nothing outside its prefix.
func TestReplaySeededResetAndSkips(t *testing.T) {
	ci, old := fixtures.KeyFor("replay/ci"), fixtures.KeyFor("replay/old")
	org := fixtures.Org("S", "me@s.test", "").WithReadOnlyKey("ci", ci).WithRevokedKey("old", old).
		WithSecrets(2).WithUser("member@s.test")
	src := mockservertest.NewServerWithOptions(t, mockserver.Options{Seed: fixtures.SeedOf(org)})
	send := func(method, path, key, body string) {
		t.Helper()
		req, _ := http.NewRequest(method, src.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	admin := src.AdminKey
	send("GET", "/v1/organizations/secrets", ci, "")
	send("GET", "/v1/organizations/secrets", old, "")
	send("GET", "/v1/organizations/users/member%40s.test/api-keys", admin, "")
	send("DELETE", "/v1/organizations/secrets/secret_1", admin, "")
	if status := sendTo(t, src.URL, "", "POST", "/_mock/orgs/"+src.OrganizationID+"/reset", "", ""); status != http.StatusOK {
		t.Fatalf("reset of the organization: %d", status)
	}
	send("GET", "/v1/organizations/secrets", admin, "")
	send("PATCH", "/v1/organizations/users/me%40s.test/api-keys/admin-key", admin, `{"description":"x"}`)
	send("GET", "/v1/organizations/users/me%40s.test/api-keys?include_revoked=true", admin, "")
	rec := recordingOf(t, src, src.OrganizationID)
	// A hand-edited call with a literal name: the replay does not touch it.
	edited := rec.Calls[3]
	edited.Seq, edited.Params = len(rec.Calls)+1, map[string]string{"secret_name": "production_db"}
	rec.Calls = append(rec.Calls, edited)
	// And a create of a key named admin-key, which a broken server could take.
	rec.Calls = append(rec.Calls, recfmt.Call{Seq: len(rec.Calls) + 1, Operation: mixpeekkit.OpCreateAPIKey, As: recfmt.Admin,
		Params: map[string]string{"user_email": recfmt.Owner}, Body: []byte(`{"name":"admin-key"}`), Status: 400,
		Response: &recfmt.Response{Shape: []byte(`{}`)}})

	mock := newMock(t)
	send2 := func(method, path, body string) int {
		req, _ := http.NewRequest(method, mock.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+ownerKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if send2("POST", "/v1/organizations/secrets", `{"secret_name":"production_db","secret_value":"keep me"}`) != 201 {
		t.Fatal("could not create the bystander secret")
	}
	cfg := replayConfig(mock.URL)
	cfg.Destructive = false
	report, err := conformance.Replay(context.Background(), cfg, public(t, rec))
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	_ = report.WriteText(&text)
	got := []string{}
	for _, c := range calls(report) {
		got = append(got, fmt.Sprintf("%d %s", seqOf(t, c), c.Status))
	}
	want := []string{"1 pass", "2 pass", "3 skip", "4 pass", "6 pass", "7 skip", "8 pass", "9 skip", "10 skip"}
	if diff := cmp.Diff(want, got); diff != "" || !report.OK() {
		t.Fatalf("calls (-want +got):\n%s\n%s", diff, text.String())
	}
	for i, reason := range map[int]string{2: "a user of the mock's fixtures", 5: "enable with Config.Destructive", 7: "literal name outside the run's prefix", 8: "names a key admin-key"} {
		if c := calls(report)[i]; !strings.Contains(c.SkipReason, reason) {
			t.Errorf("%s skipped for %q, want %q", c.ID, c.SkipReason, reason)
		}
	}
	// Setup: two secrets, two keys and a revocation, at the start and after the reset.
	if n := len(setups(report)); n != 10 {
		t.Errorf("%d setup calls, want 10:\n%s", n, text.String())
	}
	if left := liveLeftovers(t, mock, report.Prefix); len(left) > 0 {
		t.Errorf("the replay left %v", left)
	}
	names, _ := mock.SecretNames(mock.OrganizationID)
	if !slices.Equal(names, []string{"production_db"}) {
		t.Errorf("secrets after the replay: %v, want only the bystander", names)
	}
	keys, _ := mock.APIKeys(mock.OrganizationID, ownerEmail)
	if keys[0].Name != "admin-key" || keys[0].Description != "Protected administrator key of the organization" || keys[0].Status != "active" {
		t.Errorf("the admin-key was touched: %+v", keys[0])
	}
}

// A call that needs a key the server did not issue is skipped, not failed, and says why.
func TestReplaySkipsWhatTheStateDoesNotAllow(t *testing.T) {
	rec := loadRecording(t, "rotate")
	mock := newMock(t)
	mock.Wrap(bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
		if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/rotate") {
			return 500, nil, map[string]any{"success": false, "status": 500, "error": map[string]any{"type": "InternalServerError", "message": "down"}}
		}
		return pass(next, r, b)
	}))
	report, err := conformance.Replay(context.Background(), replayConfig(mock.URL), public(t, rec))
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	_ = report.WriteText(&text)
	rotate := slices.IndexFunc(rec.Calls, func(c recfmt.Call) bool { return c.Operation == mixpeekkit.OpRotateAPIKey })
	if d := firstFailure(report); d == nil || seqOf(t, *d) != rec.Calls[rotate].Seq {
		t.Fatalf("first difference %+v, want the rotation:\n%s", d, text.String())
	}
	issued := rec.Calls[rotate].Issues
	for i, c := range calls(report) {
		if rec.Calls[i].As == issued && (c.Status != conformance.Skip || !strings.Contains(c.SkipReason, "does not have")) {
			t.Errorf("%s as %s: %s %q, want a skip", c.ID, issued, c.Status, c.SkipReason)
		}
	}
}

// sendTo sends one request to a mock as key and returns the status.
func sendTo(t *testing.T, base, key, method, path, ct, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// replayOn replays rec against a new mock of newMock's seed and returns the report and its
// text.
func replayOn(t *testing.T, rec *recfmt.Recording, change func(*conformance.Config, *mockservertest.Server)) (*conformance.Report, string, *mockservertest.Server) {
	t.Helper()
	mock := newMock(t)
	cfg := replayConfig(mock.URL)
	if change != nil {
		change(&cfg, mock)
	}
	report, err := conformance.Replay(context.Background(), cfg, public(t, rec))
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	_ = report.WriteText(&text)
	if left := liveLeftovers(t, mock, report.Prefix); len(left) > 0 {
		t.Errorf("the replay left %v", left)
	}
	return report, text.String(), mock
}

// What the mock recorded of odd requests replays green on a mock of the same seed: bodies
// too large, not JSON, with bad text or huge numbers, a query that does not parse, an expired
// key of the fixtures.
func TestReplayOddRequestsGreen(t *testing.T) {
	lapsed := fixtures.KeyFor("replay/lapsed")
	src := mockservertest.NewServerWithOptions(t, mockserver.Options{Seed: fixtures.SeedOf(
		fixtures.Org("A", ownerEmail, ownerKey).WithExpiredKey("lapsed", lapsed))})
	keys := "/v1/organizations/users/" + strings.ReplaceAll(ownerEmail, "@", "%40") + "/api-keys"
	sent := []struct{ method, path, ct, body string }{
		{"POST", "/v1/organizations/secrets", "application/json", `{"secret_name":"big","secret_value":"` + strings.Repeat("v", 1<<20) + `"}`},
		{"POST", "/v1/organizations/secrets", "application/json", `{"secret_name":"n1","secret_value":"x","extra":1e400}`},
		{"POST", "/v1/organizations/secrets", "application/json", "{\"secret_name\":\"n2\",\"secret_value\":\"x\xff\"}"},
		{"POST", "/v1/organizations/secrets", "application/json", `{"secret_name":"n3","secret_value":"x\ud800"}`},
		{"POST", "/v1/organizations/secrets", "text/plain", `{"secret_name":"n4","secret_value":"x"}`},
		{"GET", "/v1/organizations/secrets?a=%zz", "", ""},
		{"GET", keys + "?include_revoked=true", "", ""},
		{"POST", keys, "application/json", `{"name":"` + strings.Repeat("k", 101) + `"}`},
		{"DELETE", "/v1/organizations/secrets/" + strings.Repeat("s", 101), "", ""},
	}
	for _, c := range sent {
		sendTo(t, src.URL, ownerKey, c.method, c.path, c.ct, c.body)
	}
	sendTo(t, src.URL, lapsed, "GET", "/v1/organizations/secrets", "", "")
	rec := recordingOf(t, src, src.OrganizationID)
	if len(rec.Calls) != len(sent)+1 {
		t.Fatalf("%d calls recorded, want %d", len(rec.Calls), len(sent)+1)
	}
	report, text, _ := replayOn(t, rec, nil)
	counts := map[conformance.Status]int{}
	for _, c := range calls(report) {
		counts[c.Status]++
	}
	if !report.OK() || counts[conformance.Pass] != len(rec.Calls) {
		t.Fatalf("the replay differs:\n%s", text)
	}
}

// A recording that was full says so: its kept calls replay, and the report warns of the rest.
func TestReplayWarnsOfDroppedCalls(t *testing.T) {
	src := mockservertest.NewServerWithOptions(t, mockserver.Options{JournalSize: 2, Seed: fixtures.SeedOf(fixtures.Org("A", ownerEmail, ownerKey))})
	for range 5 {
		sendTo(t, src.URL, ownerKey, "GET", "/v1/organizations/secrets", "", "")
	}
	rec := recordingOf(t, src, src.OrganizationID)
	report, text, _ := replayOn(t, rec, nil)
	dropped := report.Results[len(report.Results)-1]
	if !report.OK() || len(calls(report)) != 2 || dropped.Status != conformance.Skip || !strings.Contains(dropped.SkipReason, "did not keep its last 3 calls") {
		t.Errorf("dropped: %+v\n%s", dropped, text)
	}
}

// A move of the mock's clock is replayed with Config.Sleep (here the mock's AdvanceClock);
// without it, a long move skips what follows, saying why.
func TestReplayClockMoves(t *testing.T) {
	src := newMock(t)
	keys := "/v1/organizations/users/" + strings.ReplaceAll(ownerEmail, "@", "%40") + "/api-keys"
	req, _ := http.NewRequest("POST", src.URL+keys, strings.NewReader(`{"name":"soon","expires_at":"`+src.Now().Add(time.Hour).Format(time.RFC3339)+`"}`))
	req.Header.Set("Authorization", "Bearer "+ownerKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Key string `json:"key"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	sendTo(t, src.URL, created.Key, "GET", "/v1/organizations/secrets", "", "")
	if err := src.AdvanceClock(2 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if sendTo(t, src.URL, created.Key, "GET", "/v1/organizations/secrets", "", "") != 401 {
		t.Fatal("the key did not expire on the source mock")
	}
	rec := recordingOf(t, src, src.OrganizationID)
	if len(rec.Calls) != 4 || rec.Calls[2].Clock != "2h0m0s" {
		t.Fatalf("recording: %+v", rec.Calls)
	}

	report, text, _ := replayOn(t, rec, func(cfg *conformance.Config, mock *mockservertest.Server) {
		cfg.Sleep = func(_ context.Context, d time.Duration) error { return mock.AdvanceClock(d) }
	})
	if !report.OK() || len(calls(report)) != 3 || calls(report)[2].Status != conformance.Pass {
		t.Fatalf("with Sleep:\n%s", text)
	}
	report, text, _ = replayOn(t, rec, nil)
	last := calls(report)[len(calls(report))-1]
	if !report.OK() || last.Status != conformance.Skip || !strings.Contains(last.SkipReason, "moves the mock's clock by 2h0m0s") {
		t.Fatalf("without Sleep:\n%s", text)
	}
}

// A hand-edited recording cannot make the replay touch a name outside its prefix: a literal
// name in a body, a value placeholder or a user symbol where a name goes, a rename to a
// literal.
func TestReplayRefusesNamesOutsideItsPrefix(t *testing.T) {
	create := func(seq int, body string) recfmt.Call {
		return recfmt.Call{Seq: seq, Operation: mixpeekkit.OpCreateSecret, As: recfmt.Admin, Body: []byte(body), Status: 201,
			Response: &recfmt.Response{Shape: []byte(`{}`)}}
	}
	rec := &recfmt.Recording{Format: recfmt.Format, Version: recfmt.Version,
		Symbols: map[string]recfmt.Symbol{"$key1": {Kind: "key"}, "$user": {Kind: "user", Owner: true}},
		Calls: []recfmt.Call{
			create(1, `{"secret_name":"production-db","secret_value":"$value:12"}`),
			create(2, `{"secret_name":"$value:12","secret_value":"$value:12"}`),
			{Seq: 3, Operation: mixpeekkit.OpCreateAPIKey, As: recfmt.Admin, Params: map[string]string{"user_email": "$user"},
				Body: []byte(`{"name":"$key1","permissions":["admin"]}`), Status: 200, Response: &recfmt.Response{Shape: []byte(`{}`)}},
			{Seq: 4, Operation: mixpeekkit.OpUpdateAPIKey, As: recfmt.Admin, Params: map[string]string{"user_email": "$user", "key_name": "$key1"},
				Body: []byte(`{"name":"prod-deploy"}`), Status: 200, Response: &recfmt.Response{Shape: []byte(`{}`)}},
			{Seq: 5, Operation: mixpeekkit.OpDeleteSecret, As: recfmt.Admin, Params: map[string]string{"secret_name": "$user"},
				Status: 200, Response: &recfmt.Response{Shape: []byte(`{}`)}},
		}}
	report, text, mock := replayOn(t, rec, nil)
	for i, want := range map[int]string{0: "literal name outside", 1: "is not a secret symbol", 3: "literal name outside", 4: "is not a secret symbol"} {
		if c := calls(report)[i]; c.Status != conformance.Skip || !strings.Contains(c.SkipReason, want) {
			t.Errorf("%s: %s %q, want a skip for %q\n%s", c.ID, c.Status, c.SkipReason, want, text)
		}
	}
	if calls(report)[2].Status != conformance.Pass {
		t.Errorf("the key of the replay's own name was not created:\n%s", text)
	}
	names, _ := mock.SecretNames(mock.OrganizationID)
	keys, _ := mock.APIKeys(mock.OrganizationID, ownerEmail)
	for _, k := range keys {
		if k.Name == "prod-deploy" {
			t.Errorf("a key was renamed outside the prefix")
		}
	}
	if len(names) != 0 {
		t.Errorf("secrets after the replay: %v", names)
	}
}

// Sequences a review found the replay got wrong: each replays green (every call passes) on a
// mock of the same fixtures whose clock the replay moves.
func TestReplayScenariosGreen(t *testing.T) {
	keys := "/v1/organizations/users/" + strings.ReplaceAll(ownerEmail, "@", "%40") + "/api-keys"
	soon := time.Now().Add(time.Hour)
	old, cur, lapsing := fixtures.KeyFor("scn/old"), fixtures.KeyFor("scn/cur"), fixtures.KeyFor("scn/lapsing")
	for _, tc := range []struct {
		name string
		org  fixtures.Organization
		run  func(t *testing.T, src *mockservertest.Server)
	}{
		{"an expiry set after a clock move", fixtures.Org("A", ownerEmail, ownerKey), func(t *testing.T, src *mockservertest.Server) {
			_ = src.AdvanceClock(3 * time.Hour)
			k := createKey(t, src, keys, `{"name":"soon","expires_at":"`+src.Now().Add(time.Hour).Format(time.RFC3339)+`"}`)
			sendTo(t, src.URL, k, "GET", "/v1/organizations/secrets", "", "")
		}},
		{"a reset after a clock move", fixtures.Org("A", ownerEmail, ownerKey), func(t *testing.T, src *mockservertest.Server) {
			sendTo(t, src.URL, ownerKey, "GET", "/v1/organizations/secrets", "", "")
			_ = src.AdvanceClock(3 * time.Hour)
			src.Reset()
			k := createKey(t, src, keys, `{"name":"soon","expires_at":"`+src.Now().Add(time.Hour).Format(time.RFC3339)+`"}`)
			sendTo(t, src.URL, k, "GET", "/v1/organizations/secrets", "", "")
		}},
		{"a key of the fixtures that expires later", fixtures.Org("A", ownerEmail, ownerKey).
			WithKey(fixtures.Key{Name: "lapsing", Plaintext: lapsing, Permissions: []string{"read"}, ExpiresAt: &soon}), func(t *testing.T, src *mockservertest.Server) {
			sendTo(t, src.URL, lapsing, "GET", "/v1/organizations/secrets", "", "")
			_ = src.AdvanceClock(2 * time.Hour)
			sendTo(t, src.URL, lapsing, "GET", "/v1/organizations/secrets", "", "")
		}},
		{"a revoked and a live key of one name", fixtures.Org("A", ownerEmail, ownerKey).WithRevokedKey("ci", old).WithReadOnlyKey("ci", cur), func(t *testing.T, src *mockservertest.Server) {
			sendTo(t, src.URL, old, "GET", "/v1/organizations/secrets", "", "")
			sendTo(t, src.URL, cur, "GET", "/v1/organizations/secrets", "", "")
			sendTo(t, src.URL, ownerKey, "GET", keys+"?include_revoked=true", "", "")
		}},
		{"emails in another case", fixtures.Org("A", ownerEmail, ownerKey), func(t *testing.T, src *mockservertest.Server) {
			createKey(t, src, keys, `{"name":"k"}`)
			upper := "/v1/organizations/users/" + strings.ToUpper(strings.ReplaceAll(ownerEmail, "@", "%40")) + "/api-keys"
			sendTo(t, src.URL, ownerKey, "PATCH", upper+"/k", "application/json", `{"description":"x"}`)
			sendTo(t, src.URL, ownerKey, "GET", upper, "", "")
		}},
		{"a key used after a reset", fixtures.Org("A", ownerEmail, ownerKey), func(t *testing.T, src *mockservertest.Server) {
			k := createKey(t, src, keys, `{"name":"k"}`)
			sendTo(t, src.URL, k, "GET", "/v1/organizations/secrets", "", "")
			sendTo(t, src.URL, "", "POST", "/_mock/orgs/"+src.OrganizationID+"/reset", "", "")
			sendTo(t, src.URL, k, "GET", "/v1/organizations/secrets", "", "")
		}},
		{"odd content types and members", fixtures.Org("A", ownerEmail, ownerKey), func(t *testing.T, src *mockservertest.Server) {
			sendTo(t, src.URL, ownerKey, "POST", "/v1/organizations/secrets", "alice@example.com", `{"secret_name":"a","secret_value":"x"}`)
			sendTo(t, src.URL, ownerKey, "POST", "/v1/organizations/secrets", `text/plain; charset="my db password"`, `{"secret_name":"b","secret_value":"x"}`)
			sendTo(t, src.URL, ownerKey, "POST", keys, "application/json", `{"name":"e","permissions":["erin@example.com"]}`)
			sendTo(t, src.URL, ownerKey, "GET", keys+"?include_revoked=grace@example.com", "", "")
			sendTo(t, src.URL, ownerKey, "POST", "/v1/organizations/secrets", "application/json", `{"secret_name":"c","secret_value":"x","carol@example.com":{"dave@example.com":1}}`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := mockservertest.NewServerWithOptions(t, mockserver.Options{Seed: fixtures.SeedOf(tc.org)})
			tc.run(t, src)
			rec := recordingOf(t, src, src.OrganizationID)
			data, _ := rec.Marshal()
			if _, err := recording.Parse(data); err != nil {
				t.Fatal(err)
			}
			for _, leak := range []string{"example.com", "password", ownerEmail} {
				if strings.Contains(string(data), leak) {
					t.Errorf("the recording holds %q:\n%s", leak, data)
				}
			}
			target := mockservertest.NewServerWithOptions(t, mockserver.Options{Seed: fixtures.SeedOf(fixtures.Org("A", ownerEmail, ownerKey))})
			cfg := replayConfig(target.URL)
			cfg.Sleep = func(_ context.Context, d time.Duration) error { return target.AdvanceClock(d) }
			report, err := conformance.Replay(context.Background(), cfg, public(t, rec))
			if err != nil {
				t.Fatal(err)
			}
			var text bytes.Buffer
			_ = report.WriteText(&text)
			for _, c := range report.Results {
				if c.Status != conformance.Pass {
					t.Fatalf("%s: %s\n%s", c.ID, c.Status, text.String())
				}
			}
			if !report.OK() {
				t.Fatalf("not OK:\n%s", text.String())
			}
		})
	}
}

// createKey creates a key on a mock as the owner and returns its plaintext.
func createKey(t *testing.T, mock *mockservertest.Server, keys, body string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", mock.URL+keys, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+ownerKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var created struct {
		Key string `json:"key"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || created.Key == "" {
		t.Fatalf("creating a key: %d %v", resp.StatusCode, err)
	}
	return created.Key
}

// A recording that Parse did not make (the zero value) is refused, before anything is sent.
func TestReplayRefusesAnInvalidRecording(t *testing.T) {
	report, err := conformance.Replay(context.Background(), replayConfig("http://127.0.0.1:1"), &recording.Recording{})
	if err == nil || !strings.Contains(err.Error(), "no recording to replay") {
		t.Errorf("err = %v, want a refusal", err)
	}
	if report.OK() || len(report.Results) != 1 || report.Results[0].Status != conformance.Errored {
		t.Errorf("report %+v, want one result of status Errored", report)
	}
}

// The calls a fault answered did not run on the mock, and are not replayed: the replay says
// how many, and how many of them the fault answered outside the contract (a 503 here).
func TestReplaySaysWhichCallsAFaultAnswered(t *testing.T) {
	mock := newMock(t)
	org := mock.Organizations()[0].ID
	if _, err := mock.AddFault(mockserver.Fault{OperationID: mixpeekkit.OpListSecrets, OrganizationID: org, Status: 503, Times: 1}); err != nil {
		t.Fatal(err)
	}
	client := mock.Client(ownerKey)
	for _, want := range []int{503, 200} {
		resp, err := client.Get(mock.URL + "/v1/organizations/secrets")
		if err != nil || resp.StatusCode != want {
			t.Fatalf("list: %v %v, want %d", err, resp, want)
		}
		resp.Body.Close()
	}
	rec, err := mock.Recording(org)
	if err != nil {
		t.Fatal(err)
	}
	report, err := conformance.Replay(context.Background(), replayConfig(newMock(t).URL), rec)
	if err != nil || !report.OK() {
		t.Fatalf("%v: %s", err, report.Summary())
	}
	var skipped *conformance.Result
	for i, r := range report.Results {
		if r.ID == "replay/faulted-calls" {
			skipped = &report.Results[i]
		}
	}
	if skipped == nil || skipped.Status != conformance.Skip || !strings.Contains(skipped.SkipReason, "a fault of the mock answered 1 call of the recording (1 of them outside the contract") ||
		len(calls(report)) != 1 {
		t.Errorf("results %+v", report.Results)
	}
}
