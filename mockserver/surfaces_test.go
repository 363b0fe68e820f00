package mockserver_test

// Attacks on the mock's own surfaces (the journal, the recording, the clock, the control
// API), each the input that once broke it.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/determinism"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

// A refused request with the body null is journaled, and the journal still answers.
func TestJournalTakesANullBody(t *testing.T) {
	h := newHarness(t)
	if r := h.send("POST", secretsURL, "", "null"); r.status != http.StatusUnauthorized {
		t.Fatalf("status %d", r.status)
	}
	r := h.ctl("GET", "/_mock/requests", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /_mock/requests: %d %s", r.status, r.raw)
	}
	if !strings.Contains(string(r.raw), `"request_body":null`) {
		t.Errorf("the journal does not show the null body: %s", r.raw)
	}
}

// A body nested 4,990 deep under a member the contract does not declare (as deep as the
// budget of 10,000 values and names lets objects nest) is recorded cut to a bounded depth: the
// recording answers, before and after a reset. (Nested 9,999 deep, it once made the recording
// fail for good.)
func TestRecordingOfADeepBody(t *testing.T) {
	h := newHarness(t)
	body := `{"secret_name":"deep","secret_value":"v","x":` + strings.Repeat(`{"a":`, 4_990) + "1" + strings.Repeat("}", 4_990) + "}"
	if r := h.send("POST", secretsURL, adminKey, body); r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	for _, when := range []string{"before", "after"} {
		r := h.ctl("GET", "/_mock/recording", nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET /_mock/recording %s a reset: %d %s", when, r.status, r.raw)
		}
		if depth := strings.Count(string(r.raw), "$member1"); depth == 0 || depth > 40 {
			t.Errorf("%s a reset: the undeclared member nests %d deep in the recording", when, depth)
		}
		h.ctl("POST", "/_mock/reset", nil)
	}
}

// The recording is at least as redacted as the journal: a key pasted into a long name, and
// numbers in secret or undeclared members, never reach it.
func TestRecordingHidesKeysInLongNamesAndNumbers(t *testing.T) {
	h := newHarness(t)
	long := "backup-" + strings.Repeat("n", 100) + "-" + adminKey
	if r := h.send("PUT", secretsURL+"/"+long, adminKey, map[string]any{"secret_value": "v"}); r.status < 400 {
		t.Fatalf("PUT a long name: %d", r.status)
	}
	h.send("POST", secretsURL, adminKey, `{"secret_name":"card","secret_value":4111111111111111,"password":987654321}`)
	_, raw := h.recorded("")
	for _, leak := range []string{adminKey, adminKey[:24], "4111111111111111", "987654321"} {
		if strings.Contains(raw, leak) {
			t.Errorf("the recording holds %.12s…:\n%s", leak, raw)
		}
	}
	// The name keeps its length: a replay still sends a name the contract refuses.
	if !strings.Contains(raw, "backup-"+strings.Repeat("n", 100)+"-"+strings.Repeat("x", len(adminKey))) {
		t.Errorf("the long name is not kept with the key masked:\n%s", raw)
	}
	for _, e := range h.srv.Requests() {
		for _, text := range []string{e.Path, string(e.RequestBody)} {
			if strings.Contains(text, adminKey) || strings.Contains(text, "4111111111111111") {
				t.Errorf("the journal holds a secret: %s", text)
			}
		}
	}
}

// The 100-character limit of a name counts characters, as the contract does: 51 é (102
// bytes) make a name a replay can run under its prefix, so it is a symbol.
func TestRecordingCountsNameLengthInCharacters(t *testing.T) {
	h := newHarness(t)
	name := strings.Repeat("é", 51)
	if r := h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": name, "secret_value": "v"}); r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	rec, raw := h.recorded("")
	if strings.Contains(raw, "é") || len(rec.Calls) != 1 || !strings.Contains(string(rec.Calls[0].Body), `"$secret1"`) {
		t.Errorf("the name is not a symbol:\n%s", raw)
	}
}

// The clock stays within what a timestamp can show: a move past the end of year 9999 is
// refused and changes nothing, and a running clock stops there; every surface keeps answering.
func TestClockAtTheEndOfTime(t *testing.T) {
	last := determinism.Latest.Truncate(time.Second)
	h := newHarness(t, func(o *mockserver.Options) { o.Clock = determinism.Frozen(last) })
	if r := h.ctl("POST", "/_mock/clock", map[string]any{"advance": "1s"}); r.status != http.StatusBadRequest {
		t.Errorf("advance past the end: %d %s", r.status, r.raw)
	}
	if r := h.ctl("POST", "/_mock/clock", map[string]any{"set": "9999-12-31T23:59:59.999999Z"}); r.status != http.StatusOK {
		t.Errorf("set to the last instant: %d %s", r.status, r.raw)
	}
	if now := h.srv.Now(); !now.Equal(determinism.Latest) {
		t.Errorf("now %v", now)
	}
	if r := h.ctl("POST", "/_mock/clock", map[string]any{"advance": "1us"}); r.status != http.StatusBadRequest {
		t.Errorf("advance past the end: %d", r.status)
	}
	if now := h.srv.Now(); !now.Equal(determinism.Latest) {
		t.Errorf("a refused move moved the clock to %v", now)
	}
	surfaces(t, h)

	// A running clock set 2 s before the end runs into it, and stands still there.
	source := &fakeClock{t: last.Add(-2 * time.Second)}
	h = newHarness(t, func(o *mockserver.Options) { o.Clock = source.Now })
	source.Advance(time.Hour)
	if now := h.srv.Now(); !now.Equal(determinism.Latest) {
		t.Errorf("a running clock past the end shows %v", now)
	}
	surfaces(t, h)
}

// surfaces reads every surface that shows a time, and wants each to answer 200.
func surfaces(t *testing.T, h *harness) {
	t.Helper()
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "at-the-end", "secret_value": "v"})
	for _, path := range []string{"/_mock/clock", "/_mock/requests", "/_mock/state", "/_mock/recording"} {
		if r := h.ctl("GET", path, nil); r.status != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, r.status, r.raw)
		}
	}
	if r := h.send("GET", adminKeys, adminKey, nil); r.status != http.StatusOK {
		t.Errorf("list keys: %d %s", r.status, r.raw)
	}
}

// The -clock setting refuses instants a timestamp cannot show.
func TestClockSettingWithinTheYears(t *testing.T) {
	for _, s := range []string{"0000-12-31T23:00:00Z", "0001-01-01T00:30:00+01:00", "frozen:0000-06-01T00:00:00Z"} {
		if _, err := determinism.ParseClock(s, time.Now); err == nil {
			t.Errorf("%s: accepted", s)
		}
	}
	for _, s := range []string{"0001-01-01T00:00:00Z", "frozen:9999-12-31T23:59:59Z"} {
		if _, err := determinism.ParseClock(s, time.Now); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}

// Created organizations are capped (MaxTenants); the refusal changes nothing and draws no ID.
func TestTenantsAreCapped(t *testing.T) {
	h := newHarness(t, func(o *mockserver.Options) { o.MaxTenants = 3 })
	for i := range 3 {
		if r := h.ctl("POST", "/_mock/orgs", map[string]any{}); r.status != http.StatusCreated {
			t.Fatalf("create %d: %d %s", i, r.status, r.raw)
		}
	}
	before := h.ctl("GET", "/_mock/orgs", nil).raw
	r := h.ctl("POST", "/_mock/orgs", map[string]any{})
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.raw), "at most 3 created organizations") {
		t.Errorf("a 4th: %d %s", r.status, r.raw)
	}
	if after := h.ctl("GET", "/_mock/orgs", nil).raw; string(after) != string(before) {
		t.Errorf("the refusal changed the organizations")
	}
	var orgs struct {
		Organizations []struct {
			ID string `json:"organization_id"`
		} `json:"organizations"`
	}
	_ = json.Unmarshal(before, &orgs)
	h.ctl("DELETE", "/_mock/orgs/"+orgs.Organizations[1].ID, nil)
	if r := h.ctl("POST", "/_mock/orgs", map[string]any{}); r.status != http.StatusCreated {
		t.Errorf("after a delete: %d %s", r.status, r.raw)
	}
	if _, err := mockserver.New(mockserver.Options{MaxTenants: -1}); err == nil {
		t.Error("a negative MaxTenants is accepted")
	}
}

// Faults are capped at 100.
func TestFaultsAreCapped(t *testing.T) {
	h := newHarness(t)
	for i := range 100 {
		if _, err := h.srv.AddFault(mockserver.Fault{LatencyMS: 1, KeyName: fmt.Sprintf("k%d", i)}); err != nil {
			t.Fatalf("fault %d: %v", i, err)
		}
	}
	r := h.ctl("POST", "/_mock/faults", map[string]any{"latency_ms": 1})
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.raw), "at most 100 faults") {
		t.Errorf("a 101st: %d %s", r.status, r.raw)
	}
	if n := len(h.srv.Faults()); n != 100 {
		t.Errorf("%d faults", n)
	}
}

// The control API refuses what a web page could send: another origin, a host name it does not
// answer to (DNS rebinding), a body that is not JSON; and each refusal changes nothing.
func TestControlAPIRefusesWebPages(t *testing.T) {
	h := newHarness(t, func(o *mockserver.Options) { o.AllowedHosts = []string{"Mock.CI.test."} })
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "kept", "secret_value": "v"})
	port := h.url[strings.LastIndex(h.url, ":"):]
	for _, tc := range []struct {
		name, host, origin, contentType, body string
		want                                  int
	}{
		{"another origin", "", "https://evil.example", "", "", http.StatusForbidden},
		{"another port", "", "http://127.0.0.1:1", "", "", http.StatusForbidden},
		{"a null origin", "", "null", "", "", http.StatusForbidden},
		{"a rebound name", "evil.example" + port, "", "", "", http.StatusForbidden},
		{"a rebound name and its origin", "evil.example" + port, "http://evil.example" + port, "", "", http.StatusForbidden},
		{"text/plain", "", "", "text/plain", "{}", http.StatusUnsupportedMediaType},
		{"a form", "", "", "application/x-www-form-urlencoded", "a=1", http.StatusUnsupportedMediaType},
		{"its own origin", "", h.url, "", "", http.StatusOK},
		{"localhost", "localhost" + port, "http://localhost" + port, "", "", http.StatusOK},
		{"an allowed name", "mock.ci.test" + port, "http://mock.ci.test" + port, "application/json", "{}", http.StatusOK},
		{"an IPv6 literal", "[::1]" + port, "", "", "", http.StatusOK},
	} {
		req, _ := http.NewRequest("POST", h.url+"/_mock/reset", strings.NewReader(tc.body))
		if tc.host != "" {
			req.Host = tc.host
		}
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		before := len(h.state().Organizations[0].Secrets)
		r := h.do(req)
		if r.status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.raw, tc.want)
		}
		after := len(h.state().Organizations[0].Secrets)
		if reset := after < before; reset != (tc.want == http.StatusOK) {
			t.Errorf("%s: reset %v (%d secrets, then %d)", tc.name, reset, before, after)
		}
		h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "kept", "secret_value": "v"})
	}
	// Health answers any host: a readiness probe of a container names it as it likes.
	req, _ := http.NewRequest("GET", h.url+"/_mock/health", nil)
	req.Host = "evil.example"
	if r := h.do(req); r.status != http.StatusOK {
		t.Errorf("health under another host: %d", r.status)
	}
}

// A method of the client's own (a key, a megabyte) is journaled and logged redacted and cut.
func TestJournalCutsAndRedactsMethods(t *testing.T) {
	h := newHarness(t)
	key := "sk_live_" + strings.Repeat("M", 30)
	for _, method := range []string{key, strings.Repeat("X", 100_000)} {
		req, _ := http.NewRequest(method, h.url+secretsURL, nil)
		h.do(req)
	}
	entries := h.srv.Requests()
	for _, e := range entries[len(entries)-2:] {
		if strings.Contains(e.Method, "sk_live") || len(e.Method) > 80 {
			t.Errorf("the journal keeps the method %.90q", e.Method)
		}
	}
	if strings.Contains(h.logs.String(), key) || strings.Contains(h.logs.String(), strings.Repeat("X", 100)) {
		t.Error("the log shows the method whole")
	}
}

// An email too long for one stays out of the recorder's tables: the recording does not grow
// a symbol for each.
func TestRecordingKeepsNoTableOfLongEmails(t *testing.T) {
	h := newHarness(t)
	before, _ := h.recorded("")
	for i := range 20 {
		h.send("GET", fmt.Sprintf("/v1/organizations/users/%d%s%%40x.test/api-keys", i, strings.Repeat("u", 400)), adminKey, nil)
	}
	after, _ := h.recorded("")
	if len(after.Symbols) != len(before.Symbols) || len(after.Calls) != 20 {
		t.Errorf("%d symbols, then %d after 20 calls with long emails (%d calls kept)", len(before.Symbols), len(after.Symbols), len(after.Calls))
	}
}

// An error answer never repeats a key, whatever the type of the value that holds it.
func TestFaultErrorsRedactKeys(t *testing.T) {
	h := newHarness(t)
	key := "sk_CANARY" + strings.Repeat("c", 30)
	r := h.ctl("POST", "/_mock/faults", map[string]any{"operation_id": key, "status": 500})
	if r.status != http.StatusBadRequest || strings.Contains(string(r.raw), key) {
		t.Errorf("%d %s", r.status, r.raw)
	}
	for _, member := range []string{"organization_id", "key_name", "operation_id"} {
		if r := h.ctl("POST", "/_mock/faults", map[string]any{member: strings.Repeat("o", 257), "status": 500}); r.status != http.StatusUnprocessableEntity {
			t.Errorf("a %s of 257 characters: %d", member, r.status)
		}
	}
}

// A path longer than the journal keeps matches no fault pattern (matching would cost the
// product of both lengths).
func TestLongPathsMatchNoFaultPattern(t *testing.T) {
	h := newHarness(t)
	if r := h.ctl("POST", "/_mock/faults", map[string]any{"path": "/v1/organizations/secrets/*", "status": 500}); r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if r := h.send("DELETE", secretsURL+"/"+strings.Repeat("a", 3000), adminKey, nil); r.status == http.StatusInternalServerError {
		t.Errorf("a long path met the fault: %d", r.status)
	}
	if r := h.send("DELETE", secretsURL+"/short", adminKey, nil); r.status != http.StatusInternalServerError {
		t.Errorf("a short path missed the fault: %d", r.status)
	}
}

// The journal keeps what Python's json module and jq can read: no body nested deeper than
// 32 levels, no number of thousands of digits; the recording keeps no such number either.
func TestJournalAndRecordingStayReadable(t *testing.T) {
	h := newHarness(t)
	h.send("POST", adminKeys, adminKey, `{"name":"deep","scopes":`+strings.Repeat("[", 4000)+strings.Repeat("]", 4000)+`}`)
	h.send("POST", adminKeys, adminKey, `{"name":"big","rate_limit_override":`+strings.Repeat("7", 4400)+`}`)
	r := h.ctl("GET", "/_mock/requests", nil)
	if strings.Contains(string(r.raw), strings.Repeat("[", 40)) || strings.Contains(string(r.raw), strings.Repeat("7", 100)) {
		t.Errorf("the journal keeps what common readers cannot read: %.300s", r.raw)
	}
	if !strings.Contains(string(r.raw), "a number of 4400 characters, not kept") {
		t.Errorf("no note for the number: %.300s", r.raw)
	}
	rec, raw := h.recorded("")
	if strings.Contains(raw, strings.Repeat("7", 100)) || rec.Dropped != 1 {
		t.Errorf("the recording keeps the number, or did not end at it (dropped %d)", rec.Dropped)
	}
}

// A move of the clock from one end of its range to the other is marked in the recording with
// its sign and size: no duration wraps (a time.Duration holds 292 years), whatever the range.
func TestClockMarkersDoNotWrap(t *testing.T) {
	for _, years := range []time.Duration{139, 199} {
		h := newHarness(t)
		source := h.clock.Now()
		year := 365 * 24 * time.Hour
		h.ctl("POST", "/_mock/clock", map[string]any{"set": source.Add(-years * year).Format(time.RFC3339)})
		h.send("GET", secretsURL, adminKey, nil)
		moved := h.ctl("POST", "/_mock/clock", map[string]any{"set": source.Add(years * year).Format(time.RFC3339)}).status == http.StatusOK
		h.send("GET", secretsURL, adminKey, nil)
		rec, _ := h.recorded("")
		var moves []time.Duration
		for _, c := range rec.Calls {
			if c.Clock != "" {
				d, _ := time.ParseDuration(c.Clock)
				moves = append(moves, d)
			}
		}
		if moved && (len(moves) != 1 || moves[0].Hours() < float64(2*(years-1)*365*24)) { // in hours: 398 years hold in no Duration
			t.Errorf("±%d years: clock markers %v, want one move of %d years forward", years, moves, 2*years)
		}
		if years == 139 && !moved {
			t.Errorf("±139 years: refused")
		}
	}
}

// The name of the calling key is journaled redacted when it is shaped like a key.
func TestJournalRedactsKeyShapedKeyNames(t *testing.T) {
	h := newHarness(t)
	name := "sk_NAMEISAKEY_" + strings.Repeat("A", 26)
	k := h.createKey(map[string]any{"name": name})
	h.send("GET", secretsURL, k["key"].(string), nil)
	for _, e := range h.srv.Requests() {
		if strings.Contains(e.KeyName, "NAMEISAKEY") {
			t.Errorf("the journal shows the key name %q", e.KeyName)
		}
	}
}
