package mockserver_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
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
