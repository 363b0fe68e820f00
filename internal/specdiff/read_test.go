package specdiff

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/internal/memtest"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// allocated is what f allocates, in bytes (allocations, not time: the machine may be busy).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// specBomb is about 470 KB of YAML whose aliases reach 20 member names of 23,000 bytes 1600
// times each, behind 5000 plain values that keep the YAML library's own alias check (a share
// of the values) quiet: 3.5 GB read whole.
func specBomb() []byte {
	return []byte(memtest.AliasBomb("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\nfiller: ["+strings.Repeat("0,", 4999)+"0]\n", 20, 23000, 40, 40))
}

func TestAnAliasBombIsRefused(t *testing.T) {
	data := specBomb()
	var err error
	alloc := allocated(func() { _, err = Parse(data) })
	want := "line 46, column 95: the aliases of the data expand to more than 8 MiB (8388608 bytes) of text, the limit of spec-diff"
	if err == nil || err.Error() != want {
		t.Errorf("Parse(the bomb of %d bytes)\n got: %v\nwant: %s", len(data), err, want)
	}
	if alloc > 64<<20 {
		t.Errorf("refusing the bomb allocated %d MiB", alloc>>20)
	}
	// The allow-list is read the same way.
	if _, err := ParseAllowList(data); err == nil || !strings.Contains(err.Error(), "the aliases of the data expand") {
		t.Errorf("ParseAllowList(the bomb): %v", err)
	}
}

// Each limit is a bound: a document at it is read, one past it refused.
func TestReadingIsBounded(t *testing.T) {
	const minimal = `{"openapi": "3.0.3", "paths": {}}`
	pad := func(doc string, n int) []byte { return append([]byte(doc), bytes.Repeat([]byte(" "), n-len(doc))...) }
	values := func(n int) string { // 7 values and names, and the items of x
		return `{"openapi": "3.0.3", "paths": {}, "x": [` + strings.Repeat("0,", n-8) + `0]}`
	}
	nested := func(n int) string { // the top level, and n-1 levels in x
		return `{"openapi": "3.0.3", "paths": {}, "x": ` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`
	}
	yamlPadded := func(n int) []byte { // YAML (a comment after the document) of n bytes
		head := "openapi: 3.0.3\npaths: {}\n#"
		return []byte(head + strings.Repeat("x", n-len(head)))
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string // "" when the document is read
	}{
		{"JSON of 16 MiB", pad(minimal, 16<<20), ""},
		{"JSON of 16 MiB and a byte", pad(minimal, 16<<20+1), "the document is larger than 16 MiB (16777216 bytes), the limit of spec-diff"},
		{"YAML of 4 MiB", yamlPadded(4 << 20), ""},
		{"YAML of 4 MiB and a byte", yamlPadded(4<<20 + 1), "the document is not JSON, and larger than 4 MiB (4194304 bytes), the limit of spec-diff for YAML"},
		{"a million values", []byte(values(1_000_000)), ""},
		{"a million values and one", []byte(values(1_000_001)), "line 1, column 2000027: the data holds more than 1000000 values, the limit of spec-diff"},
		{"64 levels", []byte(nested(64)), ""},
		{"65 levels", []byte(nested(65)), "line 1, column 103: the data nests deeper than 64 levels, the limit of spec-diff"},
		{"65 levels of YAML", []byte("openapi: 3.0.3\npaths: {}\nx: " + strings.Repeat("[", 64) + strings.Repeat("]", 64)), "line 3, column 67: the data nests deeper than 64 levels, the limit of spec-diff"},
	} {
		_, err := Parse(tc.data)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("%s: %v\nwant %s", tc.name, err, tc.want)
		}
	}
}

// A byte-order mark, which editors on Windows write, is read as nothing, in JSON and in YAML.
func TestAByteOrderMarkIsAccepted(t *testing.T) {
	// (JSON that YAML refuses too: an escaped surrogate pair.)
	for _, doc := range []string{`{"openapi": "3.1.0", "paths": {"/a": {"summary": "\ud83d\ude00"}}}`, "openapi: 3.1.0\npaths:\n  /a: {}\n"} {
		d, err := Parse([]byte("\xef\xbb\xbf" + doc))
		if err != nil || !d.Has("/paths/~1a") {
			t.Errorf("%q with a byte-order mark: %v", doc, err)
		}
	}
	if list, err := ParseAllowList([]byte("\xef\xbb\xbf- {pointer: /a, reason: b}\n")); err != nil || len(list) != 1 {
		t.Errorf("an allow-list with a byte-order mark: %v %v", list, err)
	}
}

// No error shows a key, where the document holds one: the messages that quote the document
// have it redacted, and the YAML library's that quote it are not shown.
func TestReadingErrorsShowNoKey(t *testing.T) {
	canary := "sk_live_" + strings.Repeat("Ab1", 14)
	for _, doc := range []string{
		`{"openapi": "` + canary + `", "paths": {}}`,
		"openapi: " + canary + "\npaths: {}\n",
		"openapi: 3.0.3\npaths: {}\nx: \"" + canary + "\\q\"\n",
		"openapi: 3.0.3\n" + canary + ": [\n",
		"? [" + canary + "]\n: 1\n",
		"openapi: 3.0.3\npaths: {}\nx: !!int " + canary + "\n",
		"- {pointer: " + canary + ", reason: r}\n",
	} {
		_, err := Parse([]byte(doc))
		_, aerr := ParseAllowList([]byte(doc))
		for _, e := range []error{err, aerr} {
			if e == nil {
				continue
			}
			if sensitive.HasKey(e.Error()) || strings.Contains(e.Error(), canary[:20]) {
				t.Errorf("%q: the error shows the key: %v", doc, e)
			}
		}
		if err == nil && aerr == nil {
			t.Errorf("%q: read as a document and as an allow-list", doc)
		}
	}
}
