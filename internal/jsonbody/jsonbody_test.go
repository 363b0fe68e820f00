package jsonbody_test

import (
	"encoding/json"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/internal/jsonbody"
)

func TestFirstInvalidText(t *testing.T) {
	for in, want := range map[string]int{
		`{"a": "plain"}`:                           -1,
		`{"a": "é 😀 \u00e9"}`:                      -1,
		`{"a": "\ud83d\ude00"}`:                    -1, // a surrogate pair
		`{"a": "\uFFFD", "b": "` + "\uFFFD" + `"}`: -1, // U+FFFD itself is text
		`{"a": "\\ud800"}`:                         -1, // an escaped backslash, then text
		"{\"a\": \"x\xffy\"}":                      8,
		"{\"a\": \"\xc0\xaf\"}":                    7, // overlong "/"
		"{\"a\": \"\xed\xa0\x80\"}":                7, // an encoded surrogate
		`{"a": "\ud800"}`:                          7,
		`{"a": "\ud800\u0041"}`:                    7,
		`{"a": "\udc00"}`:                          7,
		`{"a": "x\ud83d"}`:                         8,
		`{"\ud800": 1}`:                            2,
	} {
		if got := jsonbody.FirstInvalidText([]byte(in)); got != want {
			t.Errorf("jsonbody.FirstInvalidText(%q) = %d, want %d", in, got, want)
		}
	}
}

// Decode takes one JSON value with nothing but white space after it, in text JSON carries
// unchanged, and keeps every digit of a number.
func TestDecode(t *testing.T) {
	for in, want := range map[string]bool{
		`{"a": 1}`:            true,
		" [1, 2] \n\t":        true,
		`"text"`:              true,
		`{"a": 1} {"b": 2}`:   false, // a second value
		`{"a": 1} x`:          false,
		`{"a": 1`:             false,
		``:                    false,
		"{\"a\": \"x\xffy\"}": false, // not UTF-8
		`{"a": "\ud800"}`:     false, // a lone surrogate
		`{"n": 1e400}`:        true,
	} {
		if _, ok := jsonbody.Decode([]byte(in)); ok != want {
			t.Errorf("Decode(%q): ok %v, want %v", in, ok, want)
		}
	}
	v, _ := jsonbody.Decode([]byte(`{"n": 1e400, "m": 12345678901234567890}`))
	m := v.(map[string]any)
	if m["n"] != json.Number("1e400") || m["m"] != json.Number("12345678901234567890") {
		t.Errorf("numbers: %#v", m)
	}
}

func TestCount(t *testing.T) {
	for body, want := range map[string]int{
		``:                                    0,
		`  `:                                  0,
		`1`:                                   1,
		`-12.5e3`:                             1,
		`"a,b{["`:                             1,
		`{}`:                                  1,
		`{"a":1}`:                             3,
		`{"a":1,"b":[1,2,3]}`:                 8,
		`[{},{},{}]`:                          4,
		`{"a":"x\",{[","b":2}`:                5,
		`["\\",1]`:                            3,
		`{"name":"k","scopes":[{},{},{},{}]}`: 9,
	} {
		if got, deep, at := jsonbody.Count([]byte(body), 10, 100); got != want || deep || at != len(body) {
			t.Errorf("Count(%s) = %d, %v, %d, want %d values, read whole", body, got, deep, at, want)
		}
	}
	// The bounds: the first byte past one is where it stops.
	if values, deep, at := jsonbody.Count([]byte(`[[[1]]]`), 2, 100); !deep || at != 2 || values != 2 {
		t.Errorf("depth: %d, %v, %d", values, deep, at)
	}
	if values, deep, at := jsonbody.Count([]byte(`[1,2,3,4]`), 10, 3); deep || at != 5 || values != 4 {
		t.Errorf("values: %d, %v, %d", values, deep, at)
	}
}
