package recording_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/internal/memtest"
	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
	"github.com/mixpeekkit/mixpeekkit/recording"
)

// oneCall is a recording of one create_secret call whose members are given (body or
// body_not_json) and whose answer has the given shape.
func oneCall(members, shape string) []byte {
	return []byte(`{"format":"mixpeek-recording","version":1,"symbols":{"$secret1":{"kind":"secret"}},"calls":[
 {"seq":1,"operation_id":"create_secret_v1_organizations_secrets_post","as":"$admin",` + members + `,"status":422,"response":{"shape":` + shape + `}}]}`)
}

func nested(n int) string { return strings.Repeat(`{"a":`, n) + `"string"` + strings.Repeat("}", n) }

// What a replay would build from a recording is bounded when it is read: a body of at most a
// request body's bytes, filled in, a body and a shape at most 64 deep; each bound is refused
// one past it, with the call and the member, and costs little to refuse.
func TestParseRefusesWhatPassesTheBounds(t *testing.T) {
	const limit = recfmt.MaxRequestBody // 1 MiB and a byte
	// {"secret_name":"$secret1","secret_value":""} and the value's bytes
	value := func(n int) string {
		return fmt.Sprintf(`"body":{"secret_name":"$secret1","secret_value":"$value:%d"}`, n)
	}
	base := len(`{"secret_name":"$secret1","secret_value":""}`)
	const call = "recording: call 1: "
	for _, tc := range []struct{ name, members, shape, want string }{
		{"body_not_json at the bound", fmt.Sprintf(`"body_not_json":%d`, limit), `{}`, ""},
		{"body_not_json past it", fmt.Sprintf(`"body_not_json":%d`, limit+1), `{}`,
			call + "body_not_json is 1048578 bytes: a request body has at most 1048577 bytes (the mock records a larger one as 1048577)"},
		{"body_not_json of 100 GB", `"body_not_json":100000000000`, `{}`, call + "body_not_json is 100000000000 bytes"},
		{"body_not_json below zero", `"body_not_json":-1`, `{}`, call + "body_not_json is -1 bytes"},
		{"a body filled to the bound", value(limit - base), `{}`, ""},
		{"a body filled past it", value(limit - base + 1), `{}`,
			call + "body: its value placeholders filled in, it is 1048578 bytes: a request body has at most 1048577 bytes"},
		{"a body 64 deep", `"body":` + nested(64), `{}`, ""},
		{"a body 65 deep", `"body":` + nested(65), `{}`, call + "body: the data nests deeper than 64 levels"},
		{"a shape 64 deep", `"body_not_json":1`, nested(64), ""},
		{"a shape 65 deep", `"body_not_json":1`, nested(65), call + "response.shape: the data nests deeper than 64 levels"},
		{"a shape 9000 deep", `"body_not_json":1`, nested(9000), call + "response.shape: the data nests deeper than 64 levels"},
	} {
		var err error
		data := oneCall(tc.members, tc.shape)
		alloc := memtest.Allocated(func() { _, err = recording.Parse(data) })
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%s: %v\nwant %s", tc.name, err, tc.want)
		}
		if alloc > 16<<20 {
			t.Errorf("%s: reading %d bytes allocated %d MiB", tc.name, len(data), alloc>>20)
		}
	}
}

// A shape holds at most as many values as a body may hold bytes.
func TestAShapesValuesAreBounded(t *testing.T) {
	const limit = recfmt.MaxRequestBody
	list := func(n int) string { return "[" + strings.Repeat("0,", n-2) + "0]" } // n values
	if _, err := recording.Parse(oneCall(`"body_not_json":1`, list(limit))); err != nil {
		t.Errorf("a shape of %d values: %v", limit, err)
	}
	want := "recording: call 1: response.shape: the data holds more than 1048577 values"
	if _, err := recording.Parse(oneCall(`"body_not_json":1`, list(limit+1))); err == nil || err.Error() != want {
		t.Errorf("a shape of %d values: %v, want %s", limit+1, err, want)
	}
}

// 60 KB of placeholders that each stand for 1 MiB is refused, without a byte of them built.
func TestManyLargePlaceholdersAreRefused(t *testing.T) {
	var members strings.Builder
	for i := range 2200 {
		fmt.Fprintf(&members, `,"m%d":"$value:1048576"`, i)
	}
	data := oneCall(`"body":{"secret_name":"$secret1"`+members.String()+`}`, `{}`)
	var err error
	alloc := memtest.Allocated(func() { _, err = recording.Parse(data) })
	if err == nil || !strings.Contains(err.Error(), "recording: call 1: body: its value placeholders filled in, it is 2306") {
		t.Errorf("got %v", err)
	}
	if alloc > 16<<20 {
		t.Errorf("reading %d bytes allocated %d MiB", len(data), alloc>>20)
	}
}

// A file over the size limit is refused unread; one at it is read. A byte-order mark is
// read as nothing.
func TestParseBoundsTheFile(t *testing.T) {
	doc := oneCall(`"body_not_json":1`, `{}`)
	padded := append(bytes.Clone(doc), bytes.Repeat([]byte(" "), recfmt.MaxFileSize-len(doc))...)
	if _, err := recording.Parse(padded); err != nil {
		t.Errorf("a file of 32 MiB: %v", err)
	}
	want := "recording: the file is larger than 32 MiB (33554432 bytes), the limit of a recording"
	if _, err := recording.Parse(append(padded, ' ')); err == nil || err.Error() != want {
		t.Errorf("a file of 32 MiB and a byte: %v, want %s", err, want)
	}
	if _, err := recording.Parse(append([]byte("\xef\xbb\xbf"), doc...)); err != nil {
		t.Errorf("a byte-order mark: %v", err)
	}
}

// No error of Parse shows a key: those that quote what they refuse have it redacted.
func TestParseErrorsShowNoKey(t *testing.T) {
	canary := fixtures.KeyFor("canary")
	for _, doc := range []string{
		strings.Replace(good, `"$value:3"`, `"$`+canary+`"`, 1),
		strings.Replace(good, `"list_secrets_v1_organizations_secrets_get"`, `"`+canary+`"`, 1),
		strings.Replace(good, `"reset":true`, `"reset":true,"`+canary+`":1`, 1),
		strings.Replace(good, `"format":"mixpeek-recording"`, `"format":"`+canary+`"`, 1),
		strings.Replace(good, `"as":"$admin"`, `"as":"`+canary+`"`, 1),
	} {
		_, err := recording.Parse([]byte(doc))
		if err == nil || strings.Contains(err.Error(), canary) || strings.Contains(err.Error(), canary[:24]) {
			t.Errorf("the error shows the key: %v", err)
		}
	}
}

// The bound of a body is what the mock records for a body too large: its length is one past
// the contract's limit, and the recording reads.
func TestTheMocksTooLargeBodyIsWithinTheBound(t *testing.T) {
	mock, err := mockserver.New(mockserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := fixtures.Default()
	r := httptest.NewRequest("POST", "/v1/organizations/secrets", bytes.NewReader(bytes.Repeat([]byte("x"), 2<<20)))
	r.Header.Set("Authorization", "Bearer "+d.Organizations[0].AdminKey())
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	mock.ServeHTTP(w, r)
	if w.Code < http.StatusBadRequest {
		t.Fatalf("a body of 2 MiB: %d %s", w.Code, w.Body)
	}
	rec, err := mock.Recording(mock.Organizations()[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := recfmt.From(rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Calls) != 1 || doc.Calls[0].NotJSON != recfmt.MaxRequestBody {
		t.Errorf("recorded %+v, want body_not_json %d", doc.Calls, recfmt.MaxRequestBody)
	}
}
