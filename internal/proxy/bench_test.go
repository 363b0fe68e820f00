package proxy

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// deepAnswer is a list answer of about size bytes whose secrets hold arrays nested depth deep.
func deepAnswer(size, depth int) string {
	chunk := strings.Repeat("[", depth) + strings.Repeat("]", depth)
	var b strings.Builder
	b.WriteString(`{"secrets": [`)
	for first := true; b.Len()+len(chunk)+20 < size; first = false {
		if !first {
			b.WriteByte(',')
		}
		b.WriteString(chunk)
	}
	b.WriteString(`], "count": 0}`)
	return b.String()
}

// benchmarkAnswer measures the proxy's work on one answer of the upstream's.
func benchmarkAnswer(b *testing.B, body string) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	b.Cleanup(up.Close)
	p, _, _ := newProxy(b, up.URL, Options{})
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/organizations/secrets", nil))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

// An 8 MiB answer of arrays nested 9000 deep (encoding/json's bound is 10000).
func BenchmarkDeepAnswer(b *testing.B) { benchmarkAnswer(b, deepAnswer(MaxResponseBody, 9000)) }

// An 8 MiB answer of arrays nested maxAnswerDepth deep: too many values to decode.
func BenchmarkDeepAnswerAtTheBound(b *testing.B) {
	benchmarkAnswer(b, deepAnswer(MaxResponseBody, maxAnswerDepth-2))
}

// An 8 MiB answer of 4 million values that each break the schema.
func BenchmarkWideAnswer(b *testing.B) {
	benchmarkAnswer(b, `{"secrets": [`+strings.Repeat("1,", MaxResponseBody/2-20)+`1], "count": 0}`)
}

// An answer of maxAnswerValues values that break the schema.
func BenchmarkWideAnswerAtTheBound(b *testing.B) {
	benchmarkAnswer(b, `{"secrets": [`+strings.Repeat("1,", maxAnswerValues-4)+`1], "count": 0}`)
}

// An answer of maxAnswerValues arrays, maxAnswerDepth deep.
func BenchmarkDeepAndWideAtTheBound(b *testing.B) {
	benchmarkAnswer(b, deepAnswer((maxAnswerValues-20)/(maxAnswerDepth-1)*(2*maxAnswerDepth-3), maxAnswerDepth-2))
}

// An 8 MiB answer of one string: searched whole for keys and secrets.
func BenchmarkLongStringAnswer(b *testing.B) {
	benchmarkAnswer(b, `{"secrets": ["`+strings.Repeat("sk_abc-", MaxResponseBody/7-10)+`"], "count": 1}`)
}
