package conformance_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

const (
	ownerEmail = "owner@org-a.test"
	peerEmail  = "owner@org-b.test"
)

var (
	ownerKey = "sk_" + strings.Repeat("A", 43)
	peerKey  = "sk_" + strings.Repeat("B", 43)
)

// twoOrgs is the seed of every run here: two organizations, so the isolation checks run.
func twoOrgs() *mockserver.Seed {
	org := func(name, email, key string) mockserver.SeedOrganization {
		return mockserver.SeedOrganization{Name: name, Users: []mockserver.SeedUser{{Email: email,
			Keys: []mockserver.SeedKey{{Name: "admin-key", Key: key, Permissions: []string{"admin"}}}}}}
	}
	return &mockserver.Seed{Organizations: []mockserver.SeedOrganization{
		org("A", ownerEmail, ownerKey), org("B", peerEmail, peerKey),
	}}
}

func newMock(t *testing.T) (*mockserver.Server, *httptest.Server) {
	t.Helper()
	srv, err := mockserver.New(mockserver.Options{Seed: twoOrgs(), StrictResponses: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts
}

func config(url string) conformance.Config {
	return conformance.Config{BaseURL: url, APIKey: ownerKey, UserEmail: ownerEmail, PeerAPIKey: peerKey, Destructive: true}
}

// The mock passes every check, through the go test entry point.
func TestMockConforms(t *testing.T) {
	_, ts := newMock(t)
	conformance.Test(t, config(ts.URL))
}

func TestRunReportsEveryCheckAndCleansUp(t *testing.T) {
	srv, ts := newMock(t)
	var progress []string
	cfg := config(ts.URL)
	cfg.OnResult = func(r conformance.Result) { progress = append(progress, r.ID) }
	rep, err := conformance.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Status != conformance.Pass {
			t.Errorf("%s: %s %v", r.ID, r.Status, r.Failures)
		}
	}
	if len(rep.Results) != len(conformance.Checks()) || len(progress) != len(rep.Results) || rep.Passed != len(rep.Results) {
		t.Errorf("%d results, %d progress calls, %d passed, %d checks", len(rep.Results), len(progress), rep.Passed, len(conformance.Checks()))
	}
	if len(rep.Leftovers) != 0 {
		t.Errorf("leftovers: %v", rep.Leftovers)
	}
	// Nothing the run created is left: no secret, no live key with the prefix.
	for _, o := range srv.State().Organizations {
		for _, s := range o.Secrets {
			if strings.HasPrefix(s.Name, rep.Prefix) {
				t.Errorf("secret %s left in %s", s.Name, o.Name)
			}
		}
		for _, u := range o.Users {
			for _, k := range u.APIKeys {
				if strings.HasPrefix(k.Name, rep.Prefix) && k.Status != "revoked" {
					t.Errorf("key %s left %s", k.Name, k.Status)
				}
				if !strings.HasPrefix(k.Name, rep.Prefix) && k.Name != "admin-key" {
					t.Errorf("key %s without the prefix", k.Name)
				}
			}
		}
	}
}
