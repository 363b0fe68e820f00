package mockserver_test

// The budgets of the mock's own surfaces (docs/mixpeek-mock.md, "Budgets"): what a client can
// make the process hold, and what reading it back costs. Memory is measured as bytes
// allocated (runtime.MemStats.TotalAlloc) around one request, which does not depend on the
// machine's speed.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/internal/memtest"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

// undeclaredNumbers is a create of a secret whose body carries about size bytes of members
// the contract does not declare, each a number.
func undeclaredNumbers(name string, size int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"secret_name":%q,"secret_value":"v"`, name)
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, `,"m%d":%d`, i, 4111111111111111+i)
	}
	b.WriteString("}")
	return b.String()
}

// The recording of an organization holds at most RecordingBytes of JSON: the call that would
// go past it ends the recording, which keeps a prefix of the calls and counts the rest.
func TestRecordingIsBoundedByBytes(t *testing.T) {
	const budget = 64 << 10
	h := newHarness(t, func(o *mockserver.Options) { o.RecordingBytes = budget })
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "first", "secret_value": "v"})
	for i := range 4 {
		if r := h.send("POST", secretsURL, adminKey, undeclaredNumbers(fmt.Sprintf("big%d", i), 40<<10)); r.status != http.StatusCreated {
			t.Fatalf("create %d: %d %s", i, r.status, r.raw)
		}
	}
	h.send("GET", secretsURL, adminKey, nil)
	rec, _ := h.recorded("")
	calls, _ := json.Marshal(rec.Calls)
	if len(calls) > budget {
		t.Errorf("the recording's calls take %d bytes, over the budget of %d", len(calls), budget)
	}
	// 6 calls: the first and at least one big one fit, then the recording ends.
	if kept := len(rec.Calls); kept < 2 || kept+rec.Dropped != 6 {
		t.Errorf("kept %d calls and dropped %d, want a prefix of the 6 calls and the rest dropped", kept, rec.Dropped)
	}
	if last := rec.Calls[len(rec.Calls)-1]; last.Operation != "create_secret_v1_organizations_secrets_post" {
		t.Errorf("the last call kept is %s, want a create (the list came after the end)", last.Operation)
	}
}

// With the default budget, bodies of many undeclared numbers (each recorded as a member of its
// own) neither fill the process nor make reading the recording cost more than a multiple of
// the budget.
func TestReadingTheRecordingCostsAMultipleOfItsBudget(t *testing.T) {
	h := newHarness(t)
	for i := range 20 { // 20 calls of about 64 KB recorded each: past the budget
		if r := h.send("POST", secretsURL, adminKey, undeclaredNumbers(fmt.Sprintf("big%d", i), 100<<10)); r.status != http.StatusCreated {
			t.Fatalf("create %d: %d", i, r.status)
		}
	}
	var rec reply
	got := memtest.Allocated(func() { rec = h.ctl("GET", "/_mock/recording", nil) })
	if rec.status != http.StatusOK {
		t.Fatalf("GET /_mock/recording: %d", rec.status)
	}
	var doc struct{ Dropped int }
	if err := json.Unmarshal(rec.raw, &doc); err != nil || doc.Dropped == 0 {
		t.Errorf("no call dropped (%v): the budget was not reached", err)
	}
	if len(rec.raw) > mockserver.DefaultRecordingBytes+64<<10 {
		t.Errorf("the recording is %d bytes, over its budget of %d", len(rec.raw), mockserver.DefaultRecordingBytes)
	}
	if limit := uint64(64 * mockserver.DefaultRecordingBytes); got > limit { // about 40 times, 48 under -race
		t.Errorf("reading the recording allocated %d MB, over %d MB (64 times its budget)", got>>20, limit>>20)
	}
}

// A body of more JSON values than the mock reads is refused before it is decoded, at a cost
// of a small multiple of its size, and changes nothing.
func TestBodiesOfTooManyValuesAreRefused(t *testing.T) {
	h := newHarness(t)
	body := `{"name":"k","scopes":[{}` + strings.Repeat(`,{}`, 200_000-1) + `]}`
	before := h.state()
	var r reply
	got := memtest.Allocated(func() { r = h.send("POST", adminKeys, adminKey, body) })
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.raw), "more than 10000 JSON values") {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if limit := uint64(16 * len(body)); got > limit { // about 8 times, 10 under -race
		t.Errorf("the request allocated %d KB for a body of %d KB, over 16 times the body", got>>10, len(body)>>10)
	}
	if after := h.state(); !reflect.DeepEqual(keyNames(after), keyNames(before)) {
		t.Errorf("a refused create changed the keys: %v, then %v", keyNames(before), keyNames(after))
	}
	entries := h.srv.Requests()
	if last := entries[len(entries)-1]; !strings.Contains(string(last.RequestBody), "not kept") {
		t.Errorf("the journal keeps %.80s", last.RequestBody)
	}
	if rec, _ := h.recorded(""); rec.Dropped != 1 || len(rec.Calls) != 0 {
		t.Errorf("the recording kept %d calls and dropped %d, want the call to end it", len(rec.Calls), rec.Dropped)
	}
}

// A 422 lists at most 50 violations and a last entry that counts the rest.
func TestValidationErrorListsAreCapped(t *testing.T) {
	h := newHarness(t)
	body := `{"name":"k","scopes":[{}` + strings.Repeat(`,{}`, 4_990) + `]}`
	before := h.state()
	r := h.send("POST", adminKeys, adminKey, body)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", r.status)
	}
	var ans struct {
		Detail []struct {
			Loc  []any  `json:"loc"`
			Msg  string `json:"msg"`
			Type string `json:"type"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(r.raw, &ans); err != nil {
		t.Fatal(err)
	}
	if len(ans.Detail) != 51 {
		t.Fatalf("%d entries, want 50 and one that counts the rest", len(ans.Detail))
	}
	// 4,991 items, each lacking its 2 required members: 9,982 violations.
	if last := ans.Detail[50]; last.Type != "too_many_errors" || !strings.Contains(last.Msg, "and 9932 more violations") {
		t.Errorf("last entry %+v, want type too_many_errors counting the 9,932 left out", last)
	}
	if len(r.raw) > 16<<10 {
		t.Errorf("the answer is %d bytes", len(r.raw))
	}
	if after := h.state(); !reflect.DeepEqual(keyNames(after), keyNames(before)) {
		t.Errorf("a refused create changed the keys: %v, then %v", keyNames(before), keyNames(after))
	}
}

// What one request may make the mock allocate, whatever its body: at most 48 times the body
// and 16 MiB (docs/mixpeek-mock.md), measured on the costliest shapes at the body bounds.
func TestOneRequestCostsABoundedMultipleOfItsBody(t *testing.T) {
	h := newHarness(t)
	big := strings.Repeat("a", 1<<20-100)
	for _, tc := range []struct{ name, path, body string }{
		{"many empty objects", adminKeys, `{"name":"k","scopes":[{}` + strings.Repeat(`,{}`, 4_990) + `]}`},
		{"many bad items", adminKeys, `{"name":"k","scopes":[1` + strings.Repeat(`,1`, 9_990) + `]}`},
		{"a long description", adminKeys, `{"name":"k","description":"` + big + `"}`},
		{"a long secret value", secretsURL, `{"secret_name":"s","secret_value":"` + big + `"}`},
		{"undeclared numbers", secretsURL, undeclaredNumbers("u", 1<<20-100)},
		{"deep nesting", secretsURL, `{"secret_name":"d","secret_value":"v","x":` + strings.Repeat("[", 9_990) + strings.Repeat("]", 9_990) + `}`},
	} {
		var r reply
		got := memtest.Allocated(func() { r = h.send("POST", tc.path, adminKey, tc.body) })
		if limit := uint64(48*len(tc.body) + 16<<20); got > limit {
			t.Errorf("%s: %d answered after allocating %d KB for a body of %d KB, over 48 times the body and 16 MiB", tc.name, r.status, got>>10, len(tc.body)>>10)
		}
	}
}

// keyNames are the names of every key of a state.
func keyNames(st stateDoc) []string {
	var out []string
	for _, o := range st.Organizations {
		for _, u := range o.Users {
			for _, k := range u.APIKeys {
				out = append(out, u.Email+"/"+k.Name)
			}
		}
	}
	return out
}

// RecordingBytes stays within what a replay reads: at most 16 MiB.
func TestRecordingBytesIsBounded(t *testing.T) {
	for _, n := range []int{-1, 16<<20 + 1} {
		if _, err := mockserver.New(mockserver.Options{RecordingBytes: n}); err == nil {
			t.Errorf("RecordingBytes %d accepted", n)
		}
	}
	if _, err := mockserver.New(mockserver.Options{RecordingBytes: 16 << 20}); err != nil {
		t.Errorf("RecordingBytes 16 MiB: %v", err)
	}
}

// The bound of a body's values, exactly: 10,000 values and names are read, one more is a 400.
func TestBodyValuesAtTheBound(t *testing.T) {
	h := newHarness(t)
	// {, "name", "k", "scopes", [ and n items: n + 5 values.
	for n, want := range map[int]int{9_995: http.StatusUnprocessableEntity, 9_996: http.StatusBadRequest} {
		body := `{"name":"k","scopes":[1` + strings.Repeat(`,1`, n-1) + `]}`
		if r := h.send("POST", adminKeys, adminKey, body); r.status != want {
			t.Errorf("%d values: %d, want %d", n+5, r.status, want)
		}
	}
}
