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

// BenchmarkMix is the load harness's mix through the handler (strict, as the command runs):
// create, update and delete a secret, list secrets and keys, create a key, rotate it and
// delete it (revoked keys stay in the store, so a cost that grows with them shows here).
func BenchmarkMix(b *testing.B) {
	srv := benchServer(b, true)
	for i := 0; b.Loop(); i++ {
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
}
