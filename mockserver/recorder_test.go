package mockserver_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

// recorded reads an organization's recording over the control API (its answer validated
// against control.yaml, like every answer of the harness) and parses it.
func (h *harness) recorded(orgID string) (*recfmt.Recording, string) {
	h.t.Helper()
	path := "/_mock/recording"
	if orgID != "" {
		path += "?organization_id=" + orgID
	}
	r := h.ctl("GET", path, nil)
	if r.status != http.StatusOK {
		h.t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
	}
	rec, err := recfmt.Parse(r.raw)
	if err != nil {
		h.t.Fatalf("%v\n%s", err, r.raw)
	}
	return rec, string(r.raw)
}

// lines is a recording's calls, one line each: seq, operation, credential, status, params,
// body, issued credential, error type, listed.
func lines(rec *recfmt.Recording) []string {
	var out []string
	for _, c := range rec.Calls {
		if c.Reset {
			out = append(out, fmt.Sprintf("%d reset", c.Seq))
			continue
		}
		if c.Clock != "" {
			out = append(out, fmt.Sprintf("%d clock %s", c.Seq, c.Clock))
			continue
		}
		short, _, _ := strings.Cut(string(c.Operation), "_v1_")
		l := fmt.Sprintf("%d %s as %s: %d", c.Seq, short, c.As, c.Status)
		var params []string
		for k, v := range c.Params {
			params = append(params, k+"="+v)
		}
		sort.Strings(params)
		if len(params) > 0 {
			l += " " + strings.Join(params, ",")
		}
		if c.Query != "" {
			l += " ?" + c.Query
		}
		if len(c.Body) > 0 {
			l += " " + string(c.Body)
		}
		if c.NotJSON > 0 {
			l += fmt.Sprintf(" (%d bytes, not JSON)", c.NotJSON)
		}
		if c.Issues != "" {
			l += " issues " + c.Issues
		}
		if c.Response.ErrorType != "" {
			l += " " + c.Response.ErrorType
		}
		if c.Response.Listed != nil {
			l += " listed [" + strings.Join(*c.Response.Listed, " ") + "]"
		}
		out = append(out, l)
	}
	return out
}

func TestRecordingOfAConsumer(t *testing.T) {
	h := newHarness(t)
	value1, value2 := "VALUE-ONE-never-recorded", "VALUE-TWO-never-recorded!"
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "stripe", "secret_value": value1})
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "stripe", "secret_value": value1})
	h.send("PUT", secretsURL+"/stripe", adminKey, map[string]any{"secret_value": value2})
	long := strings.Repeat("n", 101)
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": long, "secret_value": "v"})
	k := h.createKey(map[string]any{"name": "ci", "permissions": []string{"read"},
		"description": "$5 key, see sk_" + strings.Repeat("z", 43), "expires_at": h.clock.Now().Add(time.Hour).Format(time.RFC3339)})
	h.send("GET", secretsURL, k["key"].(string), nil)
	rot := h.send("POST", adminKeys+"/ci/rotate", adminKey, nil).json(t)
	h.send("GET", secretsURL, k["key"].(string), nil)
	h.send("GET", secretsURL, rot["key"].(string), nil)
	h.send("GET", adminKeys+"?include_revoked=true", adminKey, nil)
	h.send("PATCH", adminKeys+"/admin-key", adminKey, map[string]any{"description": "$$x"})
	h.send("GET", "/v1/organizations/users/someone%40else.test/api-keys", adminKey, nil)
	h.send("POST", secretsURL, adminKey, "not json")
	h.send("DELETE", secretsURL+"/stripe", adminKey, nil)
	h.send("GET", secretsURL, "", nil)                                          // no key: nobody's call
	h.send("GET", secretsURL, "sk_"+strings.Repeat("q", 43), nil)               // an unknown key: nobody's call
	h.send("POST", adminKeys, rot["key"].(string), map[string]any{"name": "x"}) // the read key: 403

	rec, raw := h.recorded("")
	want := []string{
		`1 create_secret as $admin: 201 {"secret_name":"$secret1","secret_value":"$value:24"}`,
		`2 create_secret as $admin: 409 {"secret_name":"$secret1","secret_value":"$value:24"} AlreadyExistsError`,
		`3 update_secret as $admin: 200 secret_name=$secret1 {"secret_value":"$value:25"}`,
		`4 create_secret as $admin: 422 {"secret_name":"` + long + `","secret_value":"$value:1"}`,
		`5 create_api_key as $admin: 200 user_email=$user {"description":"$value:58","expires_at":"$now+1h0m0s","name":"$key1","permissions":["read"]} issues $key1`,
		`6 list_secrets as $key1: 200 listed [$secret1]`,
		`7 rotate_api_key as $admin: 200 key_name=$key1,user_email=$user issues $key1@2`,
		`8 list_secrets as $key1: 401 UnauthorizedError`,
		`9 list_secrets as $key1@2: 200 listed [$secret1]`,
		`10 list_api_keys as $admin: 200 user_email=$user ?include_revoked=true listed [$key1 active]`,
		`11 update_api_key as $admin: 403 key_name=admin-key,user_email=$user {"description":"$value:3"} ForbiddenError`,
		`12 list_api_keys as $admin: 404 user_email=$user1 NotFoundError`,
		`13 create_secret as $admin: 422 (8 bytes, not JSON)`,
		`14 delete_secret as $admin: 200 secret_name=$secret1`,
		`15 create_api_key as $key1@2: 403 user_email=$user ForbiddenError`,
	}
	// The 403 of call 15 comes before the body is read: the body is still recorded.
	want[14] = `15 create_api_key as $key1@2: 403 user_email=$user {"name":"$key2"} ForbiddenError`
	if diff := cmp.Diff(want, lines(rec)); diff != "" {
		t.Errorf("recording (-want +got):\n%s", diff)
	}
	for _, leak := range []string{value1, value2, k["key"].(string), rot["key"].(string), adminKey, adminEmail, "someone", "stripe", `"ci"`, strings.Repeat("z", 43)} {
		if strings.Contains(raw, leak) {
			t.Errorf("the recording holds %q", leak)
		}
	}
	wantSymbols := map[string]recfmt.Symbol{
		"$user": {Kind: "user", Owner: true}, "$user1": {Kind: "user"},
		"$secret1": {Kind: "secret"}, "$key1": {Kind: "key"}, "$key2": {Kind: "key"},
	}
	if diff := cmp.Diff(wantSymbols, rec.Symbols); diff != "" {
		t.Errorf("symbols (-want +got):\n%s", diff)
	}
	var shape map[string]any
	if err := json.Unmarshal(rec.Calls[0].Response.Shape, &shape); err != nil || !cmp.Equal(shape, map[string]any{"secret_name": "string", "created": "boolean"}) {
		t.Errorf("shape of the create answer: %v %v", shape, err)
	}
	// The Go method gives the same recording, byte for byte: Marshal is stable.
	orgID := h.state().Organizations[0].ID
	again, err := h.srv.Recording(orgID)
	if err != nil {
		t.Fatal(err)
	}
	a, errA := rec.Marshal()
	b, errB := again.Marshal()
	if errA != nil || errB != nil || string(a) != string(b) || !strings.HasSuffix(string(a), "}\n") {
		t.Errorf("Server.Recording differs, or Marshal is not stable: %v %v\n%s\n%s", errA, errB, a, b)
	}
}

// Fixtures become seeded symbols: a replay creates them first.
func TestRecordingSeededSymbols(t *testing.T) {
	ci := fixtures.KeyFor("rec/ci")
	org := fixtures.Org("Acme", "owner@acme.test", "").WithReadOnlyKey("ci", ci).WithSecrets(2)
	h := newHarness(t, func(o *mockserver.Options) { o.Seed = fixtures.SeedOf(org) })
	h.send("GET", secretsURL, ci, nil)
	h.send("DELETE", secretsURL+"/secret_2", org.AdminKey(), nil)
	rec, _ := h.recorded("")
	want := []string{
		`1 list_secrets as $key1: 200 listed [$secret1 $secret2]`,
		`2 delete_secret as $admin: 200 secret_name=$secret2`,
	}
	if diff := cmp.Diff(want, lines(rec)); diff != "" {
		t.Errorf("recording (-want +got):\n%s", diff)
	}
	wantSymbols := map[string]recfmt.Symbol{
		"$user":    {Kind: "user", Owner: true},
		"$key1":    {Kind: "key", Seeded: true, User: "$user", Keys: []recfmt.SeededKey{{Permissions: []string{"read"}, Status: "active"}}},
		"$secret1": {Kind: "secret", Seeded: true}, "$secret2": {Kind: "secret", Seeded: true},
	}
	if diff := cmp.Diff(wantSymbols, rec.Symbols); diff != "" {
		t.Errorf("symbols (-want +got):\n%s", diff)
	}
}

// A call a fault answered did not run: it is counted, not kept. A latency-only fault's call
// ran and is kept.
func TestRecordingFaults(t *testing.T) {
	h := newHarness(t)
	if _, err := h.srv.AddFault(mockserver.Fault{OperationID: mixpeekkit.OpListSecrets, Status: 500, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.AddFault(mockserver.Fault{OperationID: mixpeekkit.OpDeleteSecret, LatencyMS: 1, Times: 1}); err != nil {
		t.Fatal(err)
	}
	h.send("GET", secretsURL, adminKey, nil)
	h.send("DELETE", secretsURL+"/nope", adminKey, nil)
	rec, _ := h.recorded("")
	if diff := cmp.Diff([]string{`1 delete_secret as $admin: 404 secret_name=$secret1 NotFoundError`}, lines(rec)); diff != "" || rec.Faulted != 1 {
		t.Errorf("faulted %d, recording (-want +got):\n%s", rec.Faulted, diff)
	}
}

// The recording keeps the first JournalSize calls and counts the others.
func TestRecordingIsBounded(t *testing.T) {
	h := newHarness(t, func(o *mockserver.Options) { o.JournalSize = 3 })
	for range 5 {
		h.send("GET", secretsURL, adminKey, nil)
	}
	rec, _ := h.recorded("")
	if len(rec.Calls) != 3 || rec.Dropped != 2 || rec.Calls[2].Seq != 3 {
		t.Errorf("%d calls, %d dropped", len(rec.Calls), rec.Dropped)
	}
}

// Resets are marked (once in a row); a created organization has its own recording, gone with
// it; an unknown organization is a 404; recording can be turned off.
func TestRecordingResetsAndOrganizations(t *testing.T) {
	h := newHarness(t)
	orgID := h.state().Organizations[0].ID
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "a", "secret_value": "v"})
	if r := h.ctl("POST", "/_mock/orgs/"+orgID+"/reset", nil); r.status != http.StatusOK {
		t.Fatalf("reset of the organization: %d", r.status)
	}
	h.srv.Reset()
	h.send("GET", secretsURL, adminKey, nil)
	h.srv.Reset()
	rec, _ := h.recorded(orgID)
	want := []string{
		`1 create_secret as $admin: 201 {"secret_name":"$secret1","secret_value":"$value:1"}`,
		`2 reset`,
		`3 list_secrets as $admin: 200 listed []`,
		`4 reset`,
	}
	if diff := cmp.Diff(want, lines(rec)); diff != "" {
		t.Errorf("recording (-want +got):\n%s", diff)
	}

	tenant := h.createOrg(nil)
	h.send("GET", secretsURL, tenant.AdminKey, nil)
	if rec, _ := h.recorded(tenant.ID); len(rec.Calls) != 1 {
		t.Errorf("the tenant's recording: %v", lines(rec))
	}
	if rec, _ := h.recorded(orgID); len(rec.Calls) != 4 {
		t.Errorf("the tenant's call is in the first organization's recording: %v", lines(rec))
	}
	if r := h.ctl("DELETE", "/_mock/orgs/"+tenant.ID, nil); r.status != http.StatusOK {
		t.Fatalf("delete of the tenant: %d", r.status)
	}
	if _, err := h.srv.Recording(tenant.ID); !errors.Is(err, mockserver.ErrNotFound) {
		t.Errorf("a deleted organization's recording: %v", err)
	}
	if r := h.ctl("GET", "/_mock/recording?organization_id=org_nope", nil); r.status != http.StatusNotFound {
		t.Errorf("unknown organization: %d %s", r.status, r.raw)
	}

	off := newHarness(t, func(o *mockserver.Options) { o.DisableRecording = true })
	off.send("GET", secretsURL, adminKey, nil)
	if rec, _ := off.recorded(""); len(rec.Calls) != 0 {
		t.Errorf("DisableRecording recorded %v", lines(rec))
	}
}

// What a consumer may put anywhere in a request is no part of a recording but its length:
// strings outside the declared, enumerated members, member names shaped like keys, query
// parameters the operation does not declare, a Content-Type's parameters. A body the mock
// would read otherwise than encoding/json does is kept as its length.
func TestRecordingKeepsNoFreeText(t *testing.T) {
	h := newHarness(t)
	key := "sk_LEAKMEMBERNAME_" + strings.Repeat("a", 34)
	sendCT := func(method, path, ct, body string) {
		t.Helper()
		req, _ := http.NewRequest(method, h.url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminKey)
		req.Header.Set("Content-Type", ct)
		h.do(req)
	}
	sendCT("POST", secretsURL, "application/json", `["HUNTERVALUE1"]`)
	sendCT("POST", secretsURL, "application/json", `"HUNTERVALUE2"`)
	sendCT("POST", secretsURL, "application/json", `{"secret_name":["NAMEINARRAY3"],"secret_value":"x"}`)
	sendCT("POST", secretsURL, "application/json", `{"secret_name":"ok2","secret_value":"x","`+key+`":1}`)
	sendCT("POST", secretsURL, "text/plain; token="+key, `{"secret_name":"ok3","secret_value":"x"}`)
	h.send("GET", secretsURL+"?secret_name=QUERYNAME8&email=alice@corp.example", adminKey, nil)
	h.send("GET", adminKeys+"?include_revoked=true&who=bob@corp.example", adminKey, nil)
	h.createKey(map[string]any{"name": "d", "description": "bob12@corp.example 9f86d081884c7d659a2feaa0c55ad015"})
	sendCT("POST", secretsURL, "application/json", `{"secret_name":"n1","secret_value":"x","extra":1e400}`)
	sendCT("POST", secretsURL, "application/json", "{\"secret_name\":\"n2\",\"secret_value\":\"x\xff\"}")
	sendCT("POST", secretsURL, "application/json", `{"secret_name":"n3","secret_value":"x\ud800"}`)

	rec, raw := h.recorded("")
	for _, leak := range []string{"HUNTERVALUE", "NAMEINARRAY", "LEAKMEMBERNAME", "QUERYNAME", "corp.example", "9f86d081", "token="} {
		if strings.Contains(raw, leak) {
			t.Errorf("the recording holds %q:\n%s", leak, raw)
		}
	}
	got := lines(rec)
	want := []string{
		`1 create_secret as $admin: 422 ["$value:12"]`,
		`2 create_secret as $admin: 422 "$value:12"`,
		`3 create_secret as $admin: 422 {"secret_name":["$value:12"],"secret_value":"$value:1"}`,
		`4 create_secret as $admin: 201 {"$member1":0,"secret_name":"$secret1","secret_value":"$value:1"}`,
		`5 create_secret as $admin: 422 {"secret_name":"$secret2","secret_value":"$value:1"}`,
		`6 list_secrets as $admin: 200 listed [$secret1]`,
		`7 list_api_keys as $admin: 200 user_email=$user ?include_revoked=true listed []`,
		`8 create_api_key as $admin: 200 user_email=$user {"description":"$value:51","name":"$key1"} issues $key1`,
		`9 create_secret as $admin: 201 {"$member1":0,"secret_name":"$secret3","secret_value":"$value:1"}`,
		`10 create_secret as $admin: 422 (40 bytes, not JSON)`,
		`11 create_secret as $admin: 422 (45 bytes, not JSON)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recording (-want +got):\n%s", diff)
	}
	if rec.Calls[4].ContentType != "text/plain" {
		t.Errorf("content type %q, want the media type only", rec.Calls[4].ContentType)
	}
}

// Two users' keys of the same name are two symbols, each of its user.
func TestRecordingKeyNamesAreEachUsers(t *testing.T) {
	mine, bobs := fixtures.KeyFor("rec/mine"), fixtures.KeyFor("rec/bobs")
	org := fixtures.Org("Acme", "owner@acme.test", "").WithReadOnlyKey("ci", mine)
	org.Users = append(org.Users, fixtures.User{Email: "bob@acme.test", Keys: []fixtures.Key{{Name: "ci", Plaintext: bobs, Permissions: []string{"admin"}}}})
	h := newHarness(t, func(o *mockserver.Options) { o.Seed = fixtures.SeedOf(org) })
	h.send("GET", secretsURL, mine, nil)
	h.send("GET", secretsURL, bobs, nil)
	rec, _ := h.recorded("")
	if diff := cmp.Diff([]string{`1 list_secrets as $key1: 200 listed []`, `2 list_secrets as $key2: 200 listed []`}, lines(rec)); diff != "" {
		t.Errorf("recording (-want +got):\n%s", diff)
	}
	if rec.Symbols["$key1"].User != "$user" || rec.Symbols["$key2"].User != "$user1" || !cmp.Equal(rec.Symbols["$key2"].Keys, []recfmt.SeededKey{{Permissions: []string{"admin"}, Status: "active"}}) {
		t.Errorf("symbols: %+v", rec.Symbols)
	}
}

// Moves of the clock are marked (moves in a row add up), once there are calls to follow.
func TestRecordingClockMoves(t *testing.T) {
	h := newHarness(t)
	if err := h.srv.AdvanceClock(time.Hour); err != nil { // before any call: nothing to mark
		t.Fatal(err)
	}
	h.send("GET", secretsURL, adminKey, nil)
	_ = h.srv.AdvanceClock(time.Hour)
	_ = h.srv.AdvanceClock(30 * time.Minute)
	h.send("GET", secretsURL, adminKey, nil)
	if r := h.ctl("POST", "/_mock/clock", map[string]any{"set": h.srv.Now().Add(-time.Minute).Format(time.RFC3339Nano)}); r.status != 200 {
		t.Fatalf("set the clock: %d %s", r.status, r.raw)
	}
	rec, _ := h.recorded("")
	want := []string{`1 list_secrets as $admin: 200 listed []`, `2 clock 1h30m0s`, `3 list_secrets as $admin: 200 listed []`, `4 clock -1m0s`}
	if diff := cmp.Diff(want, lines(rec)); diff != "" {
		t.Errorf("recording (-want +got):\n%s", diff)
	}
}

// A call is recorded on the side of a reset marker it ran on: a client creating secrets and
// listing them while resets come from elsewhere leaves a recording in which each list shows
// exactly the secrets created since the last marker (a replay would see the same).
func TestRecordingOrdersCallsAroundResets(t *testing.T) {
	h := newHarness(t, func(o *mockserver.Options) { o.JournalSize = 100_000 })
	orgID := h.state().Organizations[0].ID
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 150 {
			h.srv.Reset()
			if i%3 == 0 {
				_ = h.srv.AdvanceClock(time.Second)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	for i := 0; ; i++ {
		select {
		case <-done:
		default:
			h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": fmt.Sprintf("s%d", i), "secret_value": "v"})
			h.send("GET", secretsURL, adminKey, nil)
			continue
		}
		break
	}
	rec, _ := h.recorded(orgID)
	var since []string // the symbols created since the last marker
	checked := 0
	for _, c := range rec.Calls {
		switch {
		case c.Reset:
			since = nil
		case c.Operation == mixpeekkit.OpCreateSecret && c.Status == http.StatusCreated:
			var body map[string]string
			_ = json.Unmarshal(c.Body, &body)
			since = append(since, body["secret_name"])
		case c.Operation == mixpeekkit.OpListSecrets:
			want := append([]string{}, since...)
			sort.Strings(want)
			if !slices.Equal(*c.Response.Listed, want) {
				t.Fatalf("call %d lists %v, but %v were created since the last reset:\n%s", c.Seq, *c.Response.Listed, want, strings.Join(lines(rec), "\n"))
			}
			checked++
		}
	}
	if checked < 10 {
		t.Errorf("only %d lists recorded", checked)
	}
}
