package replay

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// fuzzCanary is a key placed in seeds where a recording holds names and tokens: no error and
// no reason to skip a call may show it (nor anything else shaped like a key).
const fuzzCanary = "sk_live_CanaryCanaryCanaryCanaryCanaryCanary0123"

// recordingOf is a recording of the given calls (JSON members of each, seq added).
func recordingOf(calls ...string) []byte {
	var b strings.Builder
	b.WriteString(`{"format":"mixpeek-recording","version":1,"symbols":{"$secret1":{"kind":"secret"},"$key1":{"kind":"key"},"$user":{"kind":"user","owner":true}},"calls":[`)
	for i, c := range calls {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"seq":%d,%s}`, i+1, c)
	}
	b.WriteString("]}")
	return []byte(b.String())
}

const createSecret = `"operation_id":"create_secret_v1_organizations_secrets_post","as":"$admin","status":201,"response":{"shape":{}}`

// hostileRecordings are the recordings that ran the replay out of memory or time, and their
// neighbours at the bounds.
func hostileRecordings() [][]byte {
	var members strings.Builder
	for i := range 2200 {
		fmt.Fprintf(&members, `,"m%d":"$value:1048576"`, i)
	}
	nested := func(n int) string { return strings.Repeat(`{"a":`, n) + `"string"` + strings.Repeat("}", n) }
	base := len(`{"secret_name":"$secret1","secret_value":""}`)
	return [][]byte{
		recordingOf(createSecret + `,"body_not_json":100000000000`),
		recordingOf(createSecret + fmt.Sprintf(`,"body_not_json":%d`, recfmt.MaxRequestBody)),
		recordingOf(createSecret + `,"body":{"secret_name":"$secret1"` + members.String() + `}`),
		recordingOf(createSecret + fmt.Sprintf(`,"body":{"secret_name":"$secret1","secret_value":"$value:%d"}`, recfmt.MaxRequestBody-base)),
		recordingOf(`"operation_id":"list_secrets_v1_organizations_secrets_get","as":"$admin","status":200,"response":{"shape":` + nested(9000) + `}`),
		recordingOf(`"operation_id":"list_secrets_v1_organizations_secrets_get","as":"$admin","status":200,"response":{"shape":` + nested(64) + `}`),
		recordingOf(createSecret + `,"body":` + nested(65)),
		recordingOf(createSecret + `,"content_type":"$value:1048576","body_not_json":3`),
		append([]byte("\xef\xbb\xbf"), recordingOf(createSecret+`,"body_not_json":3`)...),
		// The canary where a recording holds strings.
		recordingOf(createSecret + `,"body":{"secret_name":"$` + fuzzCanary + `"}`),
		recordingOf(createSecret + `,"body":{"secret_name":"` + fuzzCanary + `"}`),
		recordingOf(`"operation_id":"delete_secret_v1_organizations_secrets__secret_name__delete","as":"$admin","params":{"secret_name":"` + fuzzCanary + `"},"status":404,"response":{"shape":{}}`),
		recordingOf(`"operation_id":"` + fuzzCanary + `","as":"$admin","status":200,"response":{"shape":{}}`),
		recordingOf(createSecret + `,"content_type":"` + fuzzCanary + `","body_not_json":1`),
		recordingOf(createSecret + `,"` + fuzzCanary + `":1`),
	}
}

// FuzzParseRecording reads any data as a recording and, when it is one, builds the request of
// every call as a replay would (sending none): nothing panics, reading and each request cost
// bounded allocations, no body is larger than a request body may be, and no error or reason
// to skip a call shows anything shaped like a key.
func FuzzParseRecording(f *testing.F) {
	for _, name := range []string{"put", "rotate"} {
		data, err := os.ReadFile("../../examples/secretsclient/testdata/" + name + ".recording.json")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, data := range hostileRecordings() {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		rec, err := recfmt.Parse(data)
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20+64*uint64(len(data)) {
			t.Errorf("reading %d bytes allocated %d MiB", len(data), alloc>>20)
		}
		if err != nil {
			if sensitive.HasKey(err.Error()) {
				t.Errorf("the error shows a key: %v", err)
			}
			return
		}
		rp := builder(t, rec)
		for _, c := range rec.Calls {
			if c.Reset || c.Clock != "" {
				continue
			}
			runtime.ReadMemStats(&before)
			r, skip := rp.request(c)
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 24<<20+64*uint64(len(data)) {
				t.Errorf("call %d: building its request allocated %d MiB", c.Seq, alloc>>20)
			}
			if sensitive.HasKey(skip) {
				t.Errorf("call %d: the reason to skip it shows a key: %s", c.Seq, skip)
			}
			if body, _ := r.Body.(string); len(body) > recfmt.MaxRequestBody {
				t.Errorf("call %d: a body of %d bytes", c.Seq, len(body))
			}
		}
	})
}
