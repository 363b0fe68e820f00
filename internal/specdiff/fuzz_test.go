package specdiff

import (
	"runtime"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// fuzzCanary is a key placed in seeds: no error may show it (nor anything shaped like a key).
const fuzzCanary = "sk_live_CanaryCanaryCanaryCanaryCanaryCanary0123"

// FuzzSpecDiffReader reads any data as spec-diff reads a document and an allow-list, and
// compares a document it reads with openapi.yaml: nothing panics, reading costs bounded
// allocations, and no error shows anything shaped like a key.
func FuzzSpecDiffReader(f *testing.F) {
	ours, err := Parse(mixpeekkit.OpenAPI())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(mixpeekkit.OpenAPI())
	f.Add([]byte(`{"openapi": "3.1.0", "paths": {"/v1/organizations/secrets": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}}}, "components": {"schemas": {"A": {"anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "null"}]}}}}`))
	f.Add([]byte("- {pointer: /paths, kind: note, reason: r}\n"))
	f.Add(specBomb())
	f.Add([]byte("openapi: 3.0.3\npaths: {}\nx: &a [1, *a]\n"))
	f.Add([]byte(`{"openapi": "3.0.3", "paths": {}, "x": ` + strings.Repeat("[", 65) + strings.Repeat("]", 65) + `}`))
	f.Add([]byte("openapi: 3.0.3\npaths: {}\nx: " + strings.Repeat("[", 9000) + strings.Repeat("]", 9000) + "\n"))
	f.Add([]byte("\xef\xbb\xbf" + `{"openapi": "3.1.0", "paths": {"/a": {"summary": "\ud83d\ude00"}}}`))
	f.Add([]byte("\xef\xbb\xbfopenapi: 3.1.0\npaths: {}\n"))
	f.Add([]byte(`{"openapi": "` + fuzzCanary + `", "paths": {}}`))
	f.Add([]byte("? [" + fuzzCanary + "]\n: 1\n"))
	f.Add([]byte("openapi: 3.0.3\npaths: {}\nx: !!int " + fuzzCanary + "\n"))
	f.Add([]byte("- {pointer: " + fuzzCanary + ", reason: r}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		doc, err := Parse(data)
		_, aerr := ParseAllowList(data)
		runtime.ReadMemStats(&after)
		// YAML costs up to a hundred times its size to read; twice, as a document and a list.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20+512*uint64(len(data)) {
			t.Errorf("reading %d bytes allocated %d MiB", len(data), alloc>>20)
		}
		for _, e := range []error{err, aerr} {
			if e != nil && sensitive.HasKey(e.Error()) {
				t.Errorf("the error shows a key: %v", e)
			}
		}
		if err == nil {
			_ = Compare(ours, doc, nil)
			_ = Compare(doc, ours, nil)
		}
	})
}
