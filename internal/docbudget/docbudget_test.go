package docbudget_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/internal/docbudget"
	"github.com/mixpeekkit/mixpeekkit/internal/memtest"
)

var roomy = docbudget.Limits{Bytes: 1 << 20, Values: 1 << 20, Depth: 64}

// problem is the *Error of err, or fails the test.
func problem(t *testing.T, err error) *docbudget.Error {
	t.Helper()
	var e *docbudget.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v (%T), want a *docbudget.Error", err, err)
	}
	return e
}

// Every limit is a bound: a document at it passes, one past it is refused, in YAML and in JSON
// alike where both apply.
func TestLimitsAreBounds(t *testing.T) {
	// [1,"a",{"b":null}] holds 6 values and names, nests 2 deep, and has 7 bytes of text in YAML.
	yamlDoc, jsonDoc := "[1, a, {b: null}]\n", `[1,"a",{"b":null}]`
	for _, tc := range []struct {
		name   string
		limits docbudget.Limits
		want   string // "" when the limits hold the document
	}{
		{"at every limit", docbudget.Limits{Bytes: 7, Values: 6, Depth: 2}, ""},
		{"one value too many", docbudget.Limits{Bytes: 7, Values: 5, Depth: 2}, "the data holds more than 5 values"},
		{"a level too deep", docbudget.Limits{Bytes: 7, Values: 6, Depth: 1}, "the data nests deeper than 1 levels"},
	} {
		_, err := docbudget.YAML([]byte(yamlDoc), tc.limits)
		jerr := docbudget.CheckJSON([]byte(jsonDoc), tc.limits)
		for format, err := range map[string]error{"YAML": err, "JSON": jerr} {
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s, %s: %v", tc.name, format, err)
			case tc.want != "" && problem(t, err).Problem != tc.want:
				t.Errorf("%s, %s: %v, want %q", tc.name, format, err, tc.want)
			}
		}
	}
	// The text of YAML, scalars and names: 7 bytes (1, a, b, null).
	if _, err := docbudget.YAML([]byte(yamlDoc), docbudget.Limits{Bytes: 6, Values: 6, Depth: 2}); err == nil ||
		problem(t, err).Problem != "the data holds more than 6 bytes of text" {
		t.Errorf("a byte too many: %v", err)
	}
}

// Aliases count what they reach each time they reach it, and a refusal names the aliases and
// is placed at the alias being followed.
func TestAliasesCountWhatTheyReach(t *testing.T) {
	doc := "a: &x [abcd, efgh]\nb: *x\nc: *x\n"
	// Text: a abcd efgh b (abcd efgh) c (abcd efgh) = 1+8+1+8+1+8 = 27 bytes; values: the
	// mapping, 3 names, 3 lists of 2 = 13.
	if _, err := docbudget.YAML([]byte(doc), docbudget.Limits{Bytes: 27, Values: 13, Depth: 2}); err != nil {
		t.Fatalf("at its limits: %v", err)
	}
	_, err := docbudget.YAML([]byte(doc), docbudget.Limits{Bytes: 26, Values: 13, Depth: 2})
	if e := problem(t, err); e.Problem != "the aliases of the data expand to more than 26 bytes of text" || e.Line != 3 || e.Column != 4 {
		t.Errorf("a byte too many: %+v", e)
	}
	_, err = docbudget.YAML([]byte(doc), docbudget.Limits{Bytes: 27, Values: 12, Depth: 2})
	if e := problem(t, err); e.Problem != "the aliases of the data expand to more than 12 values" || e.Line != 3 {
		t.Errorf("a value too many: %+v", e)
	}
	// An alias inside its own anchor is refused by its depth, not followed for ever.
	_, err = docbudget.YAML([]byte("a: &x [1, *x]\n"), roomy)
	if e := problem(t, err); !strings.Contains(e.Problem, "nests deeper than 64 levels") {
		t.Errorf("a cycle: %+v", e)
	}
}

// bomb is about 500 KB of YAML whose aliases reach long member names millions of times: the
// YAML library's own alias check, which counts values, lets it by.
func bomb() []byte { return []byte(memtest.AliasBomb("", 20, 24000, 200, 50)) }

// An alias bomb is refused as soon as its aliases pass the limit, without expanding them: the
// check allocates nothing beyond the library's node tree.
func TestAnAliasBombIsRefusedCheaply(t *testing.T) {
	data := bomb()
	if len(data) < 450_000 || len(data) > 520_000 {
		t.Fatalf("the bomb is %d bytes", len(data))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := docbudget.YAML(data, docbudget.Limits{Bytes: 2 << 20, Values: 100_000, Depth: 64})
	runtime.ReadMemStats(&after)
	if e := problem(t, err); e.Problem != "the aliases of the data expand to more than 2 MiB (2097152 bytes) of text" || e.Line != 42 {
		t.Errorf("the bomb: %+v", e)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("reading the bomb allocated %d MiB", alloc>>20)
	}
}

// JSON is scanned, not decoded: brackets and quotes inside strings are text.
func TestCheckJSONReadsStrings(t *testing.T) {
	doc := []byte(`{"a\"[[[": "]]]{{{\\", "b": [true, false, null, -1.5e3]}`)
	// the object, a, its string, b, the list and its 4 items
	if err := docbudget.CheckJSON(doc, docbudget.Limits{Values: 9, Depth: 2}); err != nil {
		t.Errorf("at its limits: %v", err)
	}
	if err := docbudget.CheckJSON(doc, docbudget.Limits{Values: 8, Depth: 2}); err == nil {
		t.Error("9 values passed a limit of 8")
	}
	deep := []byte("{\"a\":\n  " + strings.Repeat("[", 70) + strings.Repeat("]", 70) + "}")
	if e := problem(t, docbudget.CheckJSON(deep, roomy)); e.Line != 2 || e.Column != 66 || e.Problem != "the data nests deeper than 64 levels" {
		t.Errorf("too deep: %+v", e)
	}
	// A JSON document of ten thousand levels is refused at the 65th, without recursion.
	if err := docbudget.CheckJSON([]byte(strings.Repeat("[", 10000)), roomy); err == nil {
		t.Error("10000 levels passed")
	}
}

func TestHelpers(t *testing.T) {
	for n, want := range map[int]string{2 << 20: "2 MiB (2097152 bytes)", 1<<20 + 1: "1048577 bytes", 64 << 10: "64 KiB (65536 bytes)", 7: "7 bytes"} {
		if got := docbudget.Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
	if got := string(docbudget.TrimBOM([]byte("\xef\xbb\xbf{}"))); got != "{}" {
		t.Errorf("TrimBOM = %q", got)
	}
	if got := string(docbudget.TrimBOM([]byte("{}"))); got != "{}" {
		t.Errorf("TrimBOM without a mark = %q", got)
	}
	// The library's words are kept when they quote nothing of the data.
	_, err := docbudget.YAML([]byte("a: [\n"), roomy)
	if got := docbudget.YAMLProblem(err); got != "did not find expected node content" {
		t.Errorf("YAMLProblem = %q (%v)", got, err)
	}
	_, err = docbudget.YAML([]byte("a: b\n\tc: sk_live_0123456789abcdefghijklmnopqrst\n"), roomy)
	if got := docbudget.YAMLProblem(err); strings.Contains(got, "sk_") {
		t.Errorf("YAMLProblem quotes the data: %q (%v)", got, err)
	}
}
