package mockservertest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

func TestEachTestGetsItsOwnServer(t *testing.T) {
	a, b := NewServer(t), NewServer(t)
	if a.URL == b.URL {
		t.Fatal("two tests share a server")
	}
	resp, err := a.Client(a.AdminKey).Post(a.URL+"/v1/organizations/secrets", "application/json", strings.NewReader(`{"secret_name": "s", "secret_value": "v"}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
	if got, err := a.SecretValue(a.OrganizationID, "s"); err != nil || got != "v" {
		t.Errorf("SecretValue = %q, %v", got, err)
	}
	if names, err := b.SecretNames(b.OrganizationID); err != nil || len(names) != 0 {
		t.Errorf("the other server has secrets %v (%v)", names, err)
	}
	if j := a.Requests(); len(j) != 1 || j[0].Status != http.StatusCreated {
		t.Errorf("journal %+v", j)
	}
	if a.AdminKey != "sk_mixpeek_mock_development_admin_key_do_not_use" || a.OwnerEmail != "admin@example.com" {
		t.Errorf("the default organization: %s, %s", a.AdminKey, a.OwnerEmail)
	}
}

func TestClientKeepsAnExplicitAuthorization(t *testing.T) {
	s := NewServer(t)
	req, _ := http.NewRequest("GET", s.URL+"/v1/organizations/secrets", nil)
	req.Header.Set("Authorization", "Bearer sk_"+strings.Repeat("x", 43))
	resp, err := s.Client(s.AdminKey).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the client replaced the request's own key: %d", resp.StatusCode)
	}
}

func TestSeedAndKeys(t *testing.T) {
	acme := fixtures.Org("Acme", "owner@acme.test", "").WithExpiredKey("old", fixtures.KeyFor("old")).WithRevokedKey("gone", "")
	s := NewServerWithOptions(t, mockserver.Options{Seed: fixtures.SeedOf(acme)})
	if s.AdminKey != acme.AdminKey() || s.OwnerEmail != "owner@acme.test" {
		t.Fatalf("server for %s with key %q", s.OwnerEmail, s.AdminKey)
	}
	keys, err := s.APIKeys(s.OrganizationID, "owner@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, k := range keys {
		status[k.Name] = k.Status
	}
	if status["admin-key"] != "active" || status["old"] != "expired" || status["gone"] != "revoked" {
		t.Errorf("keys %v", status)
	}
	resp, _ := s.Client(fixtures.KeyFor("old")).Get(s.URL + "/v1/organizations/secrets")
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("expired key: %d", resp.StatusCode)
	}
}

func TestStartRefusesWhatCannotServe(t *testing.T) {
	seed := fixtures.SeedOf(fixtures.Org("Acme", "owner@acme.test", ""))
	seed.Organizations[0].Users[0].Keys[0].Plaintext = ""
	if _, err := Start(mockserver.Options{Seed: seed}); err == nil || !strings.Contains(err.Error(), "plaintext") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Start(mockserver.Options{EncryptionKey: "bad"}); err == nil {
		t.Fatal("a bad option was accepted")
	}
}

// Middleware wraps the requests that follow, around what was wrapped before.
func TestWrap(t *testing.T) {
	s := NewServer(t)
	get := func() *http.Response {
		resp, err := s.Client(s.AdminKey).Get(s.URL + "/v1/organizations/secrets")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	var seen atomic.Int32
	get()
	s.Wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen.Add(1)
			w.Header().Set("X-Outer", "1")
			next.ServeHTTP(w, r)
		})
	})
	s.Wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if w.Header().Get("X-Outer") != "" {
				t.Error("the later middleware ran inside the earlier one")
			}
			next.ServeHTTP(w, r)
		})
	})
	resp := get()
	if seen.Load() != 1 || resp.Header.Get("X-Outer") != "1" || resp.StatusCode != http.StatusOK {
		t.Errorf("middleware saw %d requests; X-Outer %q; status %d", seen.Load(), resp.Header.Get("X-Outer"), resp.StatusCode)
	}
	if n := len(s.Requests()); n != 2 {
		t.Errorf("the mock saw %d requests, want 2", n)
	}
	// In-process calls go through the middleware too.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/v1/organizations/secrets", nil)
	req.Header.Set("Authorization", "Bearer "+s.AdminKey)
	s.ServeHTTP(rec, req)
	if seen.Load() != 2 || rec.Header().Get("X-Outer") != "1" || rec.Code != http.StatusOK {
		t.Errorf("ServeHTTP bypassed the middleware: seen %d, X-Outer %q, %d", seen.Load(), rec.Header().Get("X-Outer"), rec.Code)
	}
}

// Two deterministic mocks answer the same requests with the same bytes.
func TestDeterministic(t *testing.T) {
	create := func() string {
		s := NewServerWithOptions(t, Deterministic(3))
		resp, err := s.Client(s.AdminKey).Post(s.URL+"/v1/organizations/users/admin%40example.com/api-keys", "application/json", strings.NewReader(`{"name": "k"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if s.Now().Format("2006-01-02T15:04:05Z07:00") != "2026-01-01T00:00:00Z" {
			t.Errorf("the clock shows %s", s.Now())
		}
		return string(body)
	}
	if a, b := create(), create(); a != b || !strings.Contains(a, `"created_at":"2026-01-01T00:00:00Z"`) {
		t.Errorf("answers differ or carry another time:\n%s\n%s", a, b)
	}
}

// BenchmarkNewServer measures what a test pays for its own mock: building it from the default
// seed and starting the httptest server, then closing it.
func BenchmarkNewServer(b *testing.B) {
	for b.Loop() {
		s, err := Start(mockserver.Options{})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// A close_connection fault closes the connection inside the mock: no panic unwinds through
// the middleware around it, and the client sees the connection closed, unanswered.
func TestCloseConnectionFaultDoesNotUnwindMiddleware(t *testing.T) {
	s := NewServer(t)
	var unwound atomic.Bool
	s.Wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					unwound.Store(true)
					panic(v)
				}
			}()
			next.ServeHTTP(w, r)
		})
	})
	if _, err := s.AddFault(mockserver.Fault{OperationID: mixpeekkit.OpListSecrets, CloseConnection: true}); err != nil {
		t.Fatal(err)
	}
	resp, err := s.Client(s.AdminKey).Get(s.URL + "/v1/organizations/secrets")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("the call was answered %d, want a closed connection", resp.StatusCode)
	}
	if unwound.Load() {
		t.Error("a panic unwound through the middleware")
	}
	if got := s.Requests(); len(got) != 1 || got[0].Status != 0 {
		t.Errorf("journal %+v, want the call as a closed connection", got)
	}
}
