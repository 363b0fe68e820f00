package replay

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/jsonbody"
	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

// builder is a replayer that builds requests and sends none: the seam of the tests of what a
// recording makes a replay build. Every credential symbol is a key it holds.
func builder(t testing.TB, rec *recfmt.Recording) *replayer {
	t.Helper()
	c, err := contract.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	s := &suite.Suite{Config: suite.Config{Prefix: "mpk-test-run1", APIKey: "sk_test_the_replays_own_admin_key_0000000000", UserEmail: "owner@example.com"}, Contract: c}
	rp := &replayer{s: s, rec: rec, gen: 1, creds: map[string]string{recfmt.Admin: s.APIKey}}
	for _, call := range rec.Calls {
		if call.As != "" {
			rp.creds[call.As] = "sk_test_a_key_the_replay_was_given_000000000000"
		}
	}
	return rp
}

// size is the length of the body resolve and json.Marshal build, whatever the body holds.
func TestSizeIsTheBuiltLength(t *testing.T) {
	rp := builder(t, &recfmt.Recording{Symbols: map[string]recfmt.Symbol{}})
	for _, body := range []string{
		`{}`, `[]`, `{"a":[1,-2.5e10,true,false,null,{}]}`,
		`{"secret_name":"$secret1","secret_value":"$value:40","u":"$user","v":"$user2","k":"$key3"}`,
		`{"expires_at":"$now+1h0m0s","past":"$now-87600h0m0s","lit":"$$x"}`,
		`{"esc":"a\"b\\c\n\r\t\b\f\u0001<>&\u2028\u2029é€😀","<k>":"\u007f"}`,
	} {
		v, ok := jsonbody.Decode([]byte(body))
		if !ok {
			t.Fatalf("not JSON: %s", body)
		}
		want := rp.size(v)
		resolved, err := rp.resolve(v)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(resolved)
		if len(data) != want {
			t.Errorf("size(%s) = %d, built %d: %s", body, want, len(data), data)
		}
	}
}

// A replay never builds a body larger than a request body may be: the recorded length of a
// body that was not JSON, or a body whose names and values make it larger, is a skip with its
// reason, and a body at the bound is built.
func TestRequestsStayWithinTheBound(t *testing.T) {
	const limit = recfmt.MaxRequestBody
	op := mixpeekkit.OpCreateSecret
	rec := &recfmt.Recording{Symbols: map[string]recfmt.Symbol{"$secret1": {Kind: recfmt.KindSecret}}}
	rp := builder(t, rec)
	// {"secret_name":"mpk-test-run1-secret1","secret_value":""} and the value
	base := len(`{"secret_name":"mpk-test-run1-secret1","secret_value":""}`)
	body := func(n int) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"secret_name":"$secret1","secret_value":"$value:%d"}`, n))
	}
	for _, tc := range []struct {
		name string
		c    recfmt.Call
		skip string // "" when the request is built
	}{
		{"not JSON at the bound", recfmt.Call{NotJSON: limit}, ""},
		{"not JSON past it", recfmt.Call{NotJSON: limit + 1}, "the recorded body_not_json is 1048578 bytes: a request body has at most 1048577"},
		{"not JSON of 100 GB", recfmt.Call{NotJSON: 100_000_000_000}, "the recorded body_not_json is 100000000000 bytes"},
		{"a body at the bound", recfmt.Call{Body: body(limit - base)}, ""},
		// Within the bound as recorded ($secret1 is shorter than its name): past it as built.
		{"a body past it", recfmt.Call{Body: body(limit - base + 1)}, "the body would be 1048578 bytes with the replay's names and values: a request body has at most 1048577"},
	} {
		tc.c.Seq, tc.c.Operation, tc.c.As = 1, op, recfmt.Admin
		r, skip := rp.request(tc.c)
		built, _ := r.Body.(string)
		switch {
		case !strings.HasPrefix(skip, tc.skip) || (tc.skip == "") != (skip == ""):
			t.Errorf("%s: skip %q, want %q", tc.name, skip, tc.skip)
		case skip != "" && r.Body != nil:
			t.Errorf("%s: skipped, and built a body of %d bytes", tc.name, len(built))
		case skip == "" && len(built) != limit:
			t.Errorf("%s: built a body of %d bytes, want %d", tc.name, len(built), limit)
		}
	}
}
