package recording_test

import (
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"

	"github.com/mixpeekkit/mixpeekkit/recording"
)

const good = `{"format":"mixpeek-recording","version":1,
 "symbols":{"$secret1":{"kind":"secret"},"$key1":{"kind":"key"},"$user":{"kind":"user","owner":true}},
 "calls":[
  {"seq":1,"operation_id":"create_secret_v1_organizations_secrets_post","as":"$admin","body":{"secret_name":"$secret1","secret_value":"$value:3"},"status":201,"response":{"shape":{}}},
  {"seq":2,"reset":true},
  {"seq":3,"operation_id":"list_secrets_v1_organizations_secrets_get","as":"$key1@2","status":401,"response":{"shape":{}}}
 ]}`

func TestParse(t *testing.T) {
	rec, err := recording.Parse([]byte(good))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	// What Marshal writes, Parse reads the same.
	data, err := rec.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := recording.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if redone, err := again.Marshal(); err != nil || string(redone) != string(data) {
		t.Errorf("Marshal after Parse changed the bytes:\n%s\n%s", data, redone)
	}
	doc, err := recfmt.From(rec)
	if err != nil || len(doc.Calls) != 3 || !doc.Calls[1].Reset {
		t.Fatalf("the recording read: %v %+v", err, doc)
	}
	var none *recording.Recording
	if _, err := none.Marshal(); err == nil {
		t.Error("a nil recording marshals")
	}
	for _, tc := range []struct{ edit, want string }{
		{`"version":1`, "version 2"},
		{`"format":"mixpeek-recording"`, `format is "other"`},
		{`"seq":3`, "seq 7"},
		{`"as":"$admin"`, "no credential"},
		{`"status":201`, "needs a status"},
		{`"operation_id":"list_secrets_v1_organizations_secrets_get"`, "not an operation"},
		{`"$value:3"`, "starts with $ but is no placeholder"},
		{`"$secret1","secret_value"`, "symbols does not describe"},
		{`"$key1":{"kind":"key"}`, `described as a "secret"`},
		{`"reset":true`, "unknown field"},
	} {
		replacement := map[string]string{
			`"version":1`: `"version":2`, `"format":"mixpeek-recording"`: `"format":"other"`, `"seq":3`: `"seq":7`,
			`"as":"$admin"`: `"as":""`, `"status":201`: `"status":0`,
			`"operation_id":"list_secrets_v1_organizations_secrets_get"`: `"operation_id":"nope"`,
			`"$value:3"`: `"$valu"`, `"$secret1","secret_value"`: `"$secret9","secret_value"`,
			`"$key1":{"kind":"key"}`: `"$key1":{"kind":"secret"}`, `"reset":true`: `"reset":true,"extra":1`,
		}[tc.edit]
		doc := strings.Replace(good, tc.edit, replacement, 1)
		if _, err := recording.Parse([]byte(doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s → %s: %v, want an error with %q", tc.edit, replacement, err, tc.want)
		}
	}
}
