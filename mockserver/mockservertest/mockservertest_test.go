package mockservertest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

func TestEachTestGetsItsOwnServer(t *testing.T) {
	a, b := NewServer(t), NewServer(t)
	if a.URL == b.URL {
		t.Fatal("two tests share a server")
	}
	resp, err := a.Client().Post(a.URL+"/v1/organizations/secrets", "application/json", strings.NewReader(`{"secret_name": "s", "secret_value": "v"}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
	if got := a.SecretValue(t, "s"); got != "v" {
		t.Errorf("SecretValue = %q", got)
	}
	if n := len(b.State().Organizations[0].Secrets); n != 0 {
		t.Errorf("the other server has %d secrets", n)
	}
	if j := a.Journal(); len(j) != 1 || j[0].Status != http.StatusCreated {
		t.Errorf("journal %+v", j)
	}
}

func TestClientKeepsAnExplicitAuthorization(t *testing.T) {
	s := NewServer(t)
	req, _ := http.NewRequest("GET", s.URL+"/v1/organizations/secrets", nil)
	req.Header.Set("Authorization", "Bearer sk_"+strings.Repeat("x", 43))
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the client replaced the request's own key: %d", resp.StatusCode)
	}
}

func TestSeedAndKeys(t *testing.T) {
	acme := fixtures.Org("Acme", "owner@acme.test", "").WithExpiredKey("old", fixtures.TestKey("old")).WithRevokedKey("gone", "")
	s := NewServer(t, WithSeed(fixtures.Seed(acme)))
	if s.AdminKey != acme.AdminKey() || s.OwnerEmail != "owner@acme.test" {
		t.Fatalf("server for %s with key %q", s.OwnerEmail, s.AdminKey)
	}
	status := map[string]string{}
	for _, k := range s.Keys("owner@acme.test") {
		status[k.Name] = k.Status
	}
	if status["admin-key"] != "active" || status["old"] != "expired" || status["gone"] != "revoked" {
		t.Errorf("keys %v", status)
	}
	resp, _ := s.ClientWithKey(fixtures.TestKey("old")).Get(s.URL + "/v1/organizations/secrets")
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("expired key: %d", resp.StatusCode)
	}
}

func TestStartRefusesASeedWithoutAKnownAdminKey(t *testing.T) {
	seed := fixtures.Seed(fixtures.Org("Acme", "owner@acme.test", ""))
	seed.Organizations[0].Users[0].Keys[0].Key = ""
	if _, err := Start(WithSeed(seed)); err == nil || !strings.Contains(err.Error(), "plaintext") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Start(WithOptions(func(o *mockserver.Options) { o.EncryptionKey = "bad" })); err == nil {
		t.Fatal("a bad option was accepted")
	}
}

func TestWithFaults(t *testing.T) {
	s := NewServer(t, WithFaults(mockserver.FaultSpec{OperationID: "list_secrets_v1_organizations_secrets_get", Status: 500, Times: 1}))
	for _, want := range []int{500, 200} {
		resp, err := s.Client().Get(s.URL + "/v1/organizations/secrets")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("got %d, want %d", resp.StatusCode, want)
		}
	}
	if _, err := Start(WithFaults(mockserver.FaultSpec{OperationID: "nope", Status: 500})); err == nil || !strings.Contains(err.Error(), "fault 1") {
		t.Errorf("a bad fault: %v", err)
	}
}

// BenchmarkNewServer measures what a test pays for its own mock: building it from the default
// seed and starting the httptest server, then closing it.
func BenchmarkNewServer(b *testing.B) {
	for b.Loop() {
		s, err := Start()
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
