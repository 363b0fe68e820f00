package recording_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mixpeekkit/mixpeekkit/recording"
)

func shapeOf(t *testing.T, doc string) string {
	t.Helper()
	s, err := recording.ShapeOfJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return string(s)
}

func TestShapeOf(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`{"a":"x","b":1,"c":1.5,"d":true,"e":null}`, `{"a":"string","b":"integer","c":"number","d":"boolean","e":"null"}`},
		{`[]`, `[]`},
		{`["a","b"]`, `["string"]`},
		{`[1,"a",null]`, `["integer|null|string"]`},
		{`[{"a":1},{"b":"x"},{"a":null}]`, `[{"a":"integer|null","b":"string"}]`},
		{`{"l":[[1],[]]}`, `{"l":[["integer"]]}`},
	} {
		if got := shapeOf(t, tc.doc); got != tc.want {
			t.Errorf("ShapeOf(%s) = %s, want %s", tc.doc, got, tc.want)
		}
	}
	if _, err := recording.ShapeOfJSON([]byte(`{`)); err == nil {
		t.Error("ShapeOfJSON of bad JSON: no error")
	}
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		recorded, actual string
		want             []string
	}{
		{`{"a":1,"b":"x"}`, `{"a":2,"b":"y","extra":true}`, nil},
		{`{"a":1,"b":"x"}`, `{"a":"1"}`, []string{"a: recorded integer, got string", "b: missing (recorded string)"}},
		{`{"a":1.5}`, `{"a":2}`, nil},    // number accepts integer
		{`{"a":null}`, `{"a":"x"}`, nil}, // null on either side: a nullable member
		{`{"a":"x"}`, `{"a":null}`, nil},
		{`{"l":[{"n":"x"}]}`, `{"l":[]}`, nil},
		{`{"l":[{"n":"x"}]}`, `{"l":[{"m":"x"}]}`, []string{"l[].n: missing (recorded string)"}},
		{`{"l":[1,"a"]}`, `{"l":["b"]}`, nil}, // in an array, overlapping unions match
		{`{"o":{"p":true}}`, `{"o":[]}`, []string{"o: recorded an object, got an array"}},
		{`{"a":1}`, `[1]`, []string{"the answer: recorded an object, got an array"}},
	} {
		got, err := recording.Compare(json.RawMessage(shapeOf(t, tc.recorded)), json.RawMessage(shapeOf(t, tc.actual)))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Compare(%s, %s) (-want +got):\n%s", tc.recorded, tc.actual, diff)
		}
	}
}

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want recording.Token
	}{
		{"plain", recording.Token{Kind: recording.TokenLiteral, Text: "plain"}},
		{"$$5", recording.Token{Kind: recording.TokenLiteral, Text: "$5"}},
		{"$secret12", recording.Token{Kind: recording.TokenSymbol, Text: "$secret12"}},
		{"$user", recording.Token{Kind: recording.TokenSymbol, Text: "$user"}},
		{"$value:24", recording.Token{Kind: recording.TokenValue, Size: 24}},
		{"$now+1h0m0s", recording.Token{Kind: recording.TokenNow, Offset: time.Hour}},
		{"$now-5m0s", recording.Token{Kind: recording.TokenNow, Offset: -5 * time.Minute}},
	} {
		got, err := recording.ParseToken(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseToken(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"$", "$secret0", "$value:x", "$value:-1", "$now+soon", "$key"} {
		if _, err := recording.ParseToken(bad); err == nil {
			t.Errorf("ParseToken(%q): no error", bad)
		}
	}
	// What the writers write, the reader reads.
	for _, s := range []string{"$x", "$$", "a$"} {
		if tok, err := recording.ParseToken(recording.Literal(s)); err != nil || tok.Text != s {
			t.Errorf("Literal(%q) reads back as %+v, %v", s, tok, err)
		}
	}
	if tok, _ := recording.ParseToken(recording.Now(-90 * time.Second)); tok.Offset != -90*time.Second {
		t.Errorf("Now(-90s) reads back as %v", tok.Offset)
	}
	if tok, _ := recording.ParseToken(recording.Value(7)); tok.Size != 7 {
		t.Errorf("Value(7) reads back as %d", tok.Size)
	}
	for s, want := range map[string]string{"$admin": "$admin", "$key2": "$key2", "$key2@3": "$key2", "$key2@1": "", "$secret1": "", "$key2@x": ""} {
		if got := recording.CredentialBase(s); got != want {
			t.Errorf("CredentialBase(%q) = %q, want %q", s, got, want)
		}
	}
}

const good = `{"format":"mixpeek-recording","version":1,
 "symbols":{"$secret1":{"kind":"secret"},"$key1":{"kind":"key"},"$user":{"kind":"user","owner":true}},
 "calls":[
  {"seq":1,"operation_id":"create_secret_v1_organizations_secrets_post","as":"$admin","body":{"secret_name":"$secret1","secret_value":"$value:3"},"status":201,"response":{"shape":{}}},
  {"seq":2,"reset":true},
  {"seq":3,"operation_id":"list_secrets_v1_organizations_secrets_get","as":"$key1@2","status":401,"response":{"shape":{}}}
 ]}`

func TestParse(t *testing.T) {
	rec, err := recording.Parse([]byte(good))
	if err != nil || len(rec.Calls) != 3 || !rec.Calls[1].Reset {
		t.Fatalf("Parse: %v %+v", err, rec)
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
