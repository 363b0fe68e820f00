package recfmt_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
)

func shapeOf(t *testing.T, doc string) string {
	t.Helper()
	s, err := recfmt.ShapeOfJSON([]byte(doc))
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
	if _, err := recfmt.ShapeOfJSON([]byte(`{`)); err == nil {
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
		{`{"a":1.5}`, `{"a":2}`, nil},                                         // number accepts integer
		{`{"a":null}`, `{"a":"x"}`, []string{"a: recorded null, got string"}}, // the contract judges whether it may be
		{`{"a":"x"}`, `{"a":null}`, []string{"a: recorded string, got null"}},
		{`{"l":[{"n":"x"}]}`, `{"l":[{"n":null}]}`, []string{"l[].n: recorded string, got null"}},
		{`{"l":["x"]}`, `{"l":[null,"y"]}`, nil}, // an item of the recorded type is there
		{`{"l":[{"n":"x"}]}`, `{"l":[]}`, nil},
		{`{"l":[{"n":"x"}]}`, `{"l":[{"m":"x"}]}`, []string{"l[].n: missing (recorded string)"}},
		{`{"l":[1,"a"]}`, `{"l":["b"]}`, nil}, // in an array, overlapping unions match
		{`{"o":{"p":true}}`, `{"o":[]}`, []string{"o: recorded an object, got an array"}},
		{`{"a":1}`, `[1]`, []string{"the answer: recorded an object, got an array"}},
	} {
		diffs, err := recfmt.Compare(json.RawMessage(shapeOf(t, tc.recorded)), json.RawMessage(shapeOf(t, tc.actual)))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range diffs {
			got = append(got, d.String())
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Compare(%s, %s) (-want +got):\n%s", tc.recorded, tc.actual, diff)
		}
	}
}

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want recfmt.Token
	}{
		{"plain", recfmt.Token{Kind: recfmt.TokenLiteral, Text: "plain"}},
		{"$$5", recfmt.Token{Kind: recfmt.TokenLiteral, Text: "$5"}},
		{"$secret12", recfmt.Token{Kind: recfmt.TokenSymbol, Text: "$secret12"}},
		{"$user", recfmt.Token{Kind: recfmt.TokenSymbol, Text: "$user"}},
		{"$value:24", recfmt.Token{Kind: recfmt.TokenValue, Size: 24}},
		{"$now+1h0m0s", recfmt.Token{Kind: recfmt.TokenNow, Offset: time.Hour}},
		{"$now-5m0s", recfmt.Token{Kind: recfmt.TokenNow, Offset: -5 * time.Minute}},
	} {
		got, err := recfmt.ParseToken(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseToken(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"$", "$secret0", "$value:x", "$value:-1", "$now+soon", "$key"} {
		if _, err := recfmt.ParseToken(bad); err == nil {
			t.Errorf("ParseToken(%q): no error", bad)
		}
	}
	// What the writers write, the reader reads.
	for _, s := range []string{"$x", "$$", "a$"} {
		if tok, err := recfmt.ParseToken(recfmt.Literal(s)); err != nil || tok.Text != s {
			t.Errorf("Literal(%q) reads back as %+v, %v", s, tok, err)
		}
	}
	if tok, _ := recfmt.ParseToken(recfmt.Now(-90 * time.Second)); tok.Offset != -90*time.Second {
		t.Errorf("Now(-90s) reads back as %v", tok.Offset)
	}
	if tok, _ := recfmt.ParseToken(recfmt.Value(7)); tok.Size != 7 {
		t.Errorf("Value(7) reads back as %d", tok.Size)
	}
	for s, want := range map[string]string{"$admin": "$admin", "$key2": "$key2", "$key2@3": "$key2", "$key2@1": "", "$secret1": "", "$key2@x": ""} {
		if got := recfmt.CredentialBase(s); got != want {
			t.Errorf("CredentialBase(%q) = %q, want %q", s, got, want)
		}
	}
}

// Filled is a body's size with its value placeholders filled in: white space outside strings
// is not counted, a placeholder holds its N bytes between its quotes, escaped or not.
func TestFilled(t *testing.T) {
	for body, want := range map[string]int{
		`{}`:                                  2,
		`{ "a" : [ 1 , true ] }`:              len(`{"a":[1,true]}`),
		`{"v":"$value:100"}`:                  len(`{"v":""}`) + 100,
		`{"v":"\u0024value:100"}`:             len(`{"v":""}`) + 100,
		`{"v":"$$value:100"}`:                 len(`{"v":"$$value:100"}`), // a literal
		`{"v":"$value:x"}`:                    len(`{"v":"$value:x"}`),    // no placeholder: Parse refuses it
		`{"v":"a \" b","w":"$value:0"}`:       len(`{"v":"a \" b","w":""}`),
		`["$value:1048576","$value:1048576"]`: 2*(2+1<<20) + 3,
	} {
		if got := recfmt.Filled([]byte(body)); got != want {
			t.Errorf("Filled(%s) = %d, want %d", body, got, want)
		}
	}
}
