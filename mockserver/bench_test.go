package mockserver_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

func benchServer(b *testing.B, strict bool) *mockserver.Server {
	b.Helper()
	srv, err := mockserver.New(mockserver.Options{EncryptionKey: newKey(b), StrictResponses: strict})
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

func serve(b *testing.B, srv http.Handler, method, path, body string, want int) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
}

// BenchmarkRequestPath measures whole requests through the handler, with and without the
// strict check of every answer, so their ratio can be read from one run.
func BenchmarkRequestPath(b *testing.B) {
	for _, strict := range []bool{false, true} {
		b.Run(fmt.Sprintf("create-secret/strict=%v", strict), func(b *testing.B) {
			srv := benchServer(b, strict)
			for i := 0; b.Loop(); i++ {
				serve(b, srv, "POST", secretsURL, fmt.Sprintf(`{"secret_name":"s%d","secret_value":"v"}`, i), http.StatusCreated)
			}
		})
		b.Run(fmt.Sprintf("list-secrets/strict=%v", strict), func(b *testing.B) {
			srv := benchServer(b, strict)
			for i := 0; i < 20; i++ {
				serve(b, srv, "POST", secretsURL, fmt.Sprintf(`{"secret_name":"s%d","secret_value":"v"}`, i), http.StatusCreated)
			}
			for b.Loop() {
				serve(b, srv, "GET", secretsURL, "", http.StatusOK)
			}
		})
		b.Run(fmt.Sprintf("create-key/strict=%v", strict), func(b *testing.B) {
			srv := benchServer(b, strict)
			for i := 0; b.Loop(); i++ {
				serve(b, srv, "POST", adminKeys, fmt.Sprintf(`{"name":"k%d","permissions":["read"]}`, i), http.StatusOK)
			}
		})
		b.Run(fmt.Sprintf("invalid-body-422/strict=%v", strict), func(b *testing.B) {
			srv := benchServer(b, strict)
			for b.Loop() {
				serve(b, srv, "POST", secretsURL, `{"secret_name":"","secret_value":5}`, http.StatusUnprocessableEntity)
			}
		})
	}
}

// BenchmarkNew measures making a server with the default seed (the contract is loaded once
// per process).
func BenchmarkNew(b *testing.B) {
	key := newKey(b)
	for b.Loop() {
		if _, err := mockserver.New(mockserver.Options{EncryptionKey: key}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMix is the load harness's mix through the handler (strict, as the command runs):
// create, update and delete a secret, list secrets and keys, create a key, rotate it and
// delete it (revoked keys stay in the store, so a cost that grows with them shows here),
// with and without the strict check of every answer.
func BenchmarkMix(b *testing.B) {
	for _, strict := range []bool{false, true} {
		b.Run(fmt.Sprintf("strict=%v", strict), func(b *testing.B) { benchMix(b, strict) })
	}
}

func benchMix(b *testing.B, strict bool) {
	srv := benchServer(b, strict)
	for i := 0; b.Loop(); i++ {
		mixRound(b, srv, i)
	}
}

// mixRound is one round of the mix: 8 requests on the secret and the key of round i.
func mixRound(b *testing.B, srv http.Handler, i int) {
	s := fmt.Sprintf("load_%d", i)
	serve(b, srv, "GET", secretsURL, "", http.StatusOK)
	serve(b, srv, "POST", secretsURL, `{"secret_name":"`+s+`","secret_value":"v1"}`, http.StatusCreated)
	serve(b, srv, "PUT", secretsURL+"/"+s, `{"secret_value":"v2"}`, http.StatusOK)
	serve(b, srv, "DELETE", secretsURL+"/"+s, "", http.StatusOK)
	serve(b, srv, "GET", adminKeys, "", http.StatusOK)
	serve(b, srv, "POST", adminKeys, `{"name":"`+s+`","permissions":["read"]}`, http.StatusOK)
	serve(b, srv, "POST", adminKeys+"/"+s+"/rotate", "", http.StatusOK)
	serve(b, srv, "DELETE", adminKeys+"/"+s, "", http.StatusOK)
}

// heap is the live heap after a full collection.
func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkFootprint reports the heap per stored secret at 100k secrets (each with a 32-byte
// value and a 20-character name) and per tenant at 10k tenants. The work is done once; ns/op
// is not the figure.
func BenchmarkFootprint(b *testing.B) {
	b.Run("secrets=100k", func(b *testing.B) {
		for b.Loop() {
			before := heap()
			srv := benchServer(b, false)
			for i := range 100_000 {
				serve(b, srv, "POST", secretsURL, fmt.Sprintf(`{"secret_name":"secret_%014d","secret_value":"sk_test_0123456789abcdef01234567"}`, i), http.StatusCreated)
			}
			srv.ClearRequests() // the journal is bounded; what is measured is the store
			b.ReportMetric(float64(heap()-before)/100_000, "B/secret")
			runtime.KeepAlive(srv)
		}
	})
	b.Run("tenants=10k", func(b *testing.B) {
		for b.Loop() {
			srv := benchServer(b, false)
			before := heap()
			for range 10_000 {
				serve(b, srv, "POST", "/_mock/orgs", "{}", http.StatusCreated)
			}
			b.ReportMetric(float64(heap()-before)/10_000, "B/tenant")
			runtime.KeepAlive(srv)
		}
	})
}

// BenchmarkListWithTenants is list-secrets of one organization with 1 and with 10k other
// tenants in the mock: the two figures side by side say whether a call's cost grows with them.
func BenchmarkListWithTenants(b *testing.B) {
	for _, tenants := range []int{0, 10_000} {
		b.Run(fmt.Sprintf("tenants=%d", tenants), func(b *testing.B) {
			srv := benchServer(b, true)
			for range tenants {
				serve(b, srv, "POST", "/_mock/orgs", "{}", http.StatusCreated)
			}
			for b.Loop() {
				serve(b, srv, "GET", secretsURL, "", http.StatusOK)
			}
		})
	}
}

// BenchmarkRecording is the mix of BenchmarkMix (strict, as the command and the tests serve)
// with the recording on and off, side by side. A server keeps the first JournalSize calls of
// each organization and then only counts: to measure the calls it records, each server serves
// 100 rounds (800 calls, under the default bound of 1000) and is then replaced, on both sides.
func BenchmarkRecording(b *testing.B) {
	for _, off := range []bool{false, true} {
		b.Run(fmt.Sprintf("recording=%v", !off), func(b *testing.B) {
			var srv *mockserver.Server
			for i := 0; b.Loop(); i++ {
				if i%100 == 0 {
					var err error
					if srv, err = mockserver.New(mockserver.Options{EncryptionKey: newKey(b), StrictResponses: true, DisableRecording: off}); err != nil {
						b.Fatal(err)
					}
				}
				mixRound(b, srv, i)
			}
		})
	}
}
