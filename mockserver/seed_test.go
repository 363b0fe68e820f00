package mockserver_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/internal/rules"

	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

// Seed data that breaks a rule is refused with the entry and the rule, and no mock is made
// from it (nothing is half-loaded). A secret value of refused data never reaches the error.
func TestSeedThatBreaksARuleIsRefused(t *testing.T) {
	org := func(edit func(o *fixtures.Organization)) fixtures.Seed {
		o := fixtures.Org("Acme", "owner@acme.test", "") // new data at each call
		edit(&o)
		return fixtures.SeedOf(o)
	}
	for _, tc := range []struct {
		name string
		seed fixtures.Seed
		want []string
	}{
		{"duplicate secret names", org(func(o *fixtures.Organization) {
			o.Secrets = []fixtures.Secret{{Name: "a", Value: "1"}, {Name: "a", Value: "2"}}
		}), []string{`secret 2 ("a")`, "used twice"}},
		{"duplicate key names", org(func(o *fixtures.Organization) {
			o.Users[0].Keys = append(o.Users[0].Keys, fixtures.Key{Name: "admin-key", Permissions: []string{"read"}})
		}), []string{`api key 2 ("admin-key")`, "already used"}},
		{"duplicate emails", org(func(o *fixtures.Organization) {
			o.Users = append(o.Users, fixtures.User{Email: "OWNER@acme.test"})
		}), []string{`user 2 ("OWNER@acme.test")`, "used twice"}},
		{"unknown permission", org(func(o *fixtures.Organization) {
			o.Users[0].Keys = append(o.Users[0].Keys, fixtures.Key{Name: "k", Permissions: []string{"superuser"}})
		}), []string{`api key 2 ("k"): permissions item 1 must be one of read, write, delete, admin`}},
		{"bad email", org(func(o *fixtures.Organization) { o.Users[0].Email = "acme" }), []string{`user 1 ("acme")`, "not an email"}},
		{"admin-key without admin", org(func(o *fixtures.Organization) { o.Users[0].Keys[0].Permissions = []string{"read"} }), []string{"admin-key lacks the admin permission"}},
		{"status expired", org(func(o *fixtures.Organization) {
			o.Users[0].Keys = append(o.Users[0].Keys, fixtures.Key{Name: "k", Permissions: []string{"read"}, Status: "expired"})
		}), []string{`api key 2 ("k")`, "expires_at"}},
		{"secret name too long", org(func(o *fixtures.Organization) {
			o.Secrets = []fixtures.Secret{{Name: strings.Repeat("n", 101), Value: "SEED-SECRET-VALUE"}}
		}), []string{"secret 1", "name must be at most 100 characters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := mockserver.New(mockserver.Options{Seed: tc.seed})
			if err == nil || srv != nil {
				t.Fatalf("accepted: %v", srv)
			}
			for _, w := range append(tc.want, `organization 1 ("Acme")`) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not name %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "SEED-SECRET-VALUE") {
				t.Error("the error shows a secret value")
			}
		})
	}
}

// A rule error is a *rules.Problem with the pointer of the member in the data, so that
// fixtures.File.Locate can place it in the file the data came from.
func TestSeedRuleErrorsPointAtTheMember(t *testing.T) {
	for _, tc := range []struct {
		edit    func(o *fixtures.Organization)
		pointer string
	}{
		{func(o *fixtures.Organization) { o.Users[0].Email = "acme" }, "/organizations/0/users/0/email"},
		{func(o *fixtures.Organization) { o.Users[0].Keys[0].Plaintext = "short" }, "/organizations/0/users/0/api_keys/0/key"},
		{func(o *fixtures.Organization) { o.Users[0].Keys[0].Permissions = []string{"admin", "root"} }, "/organizations/0/users/0/api_keys/0/permissions/1"},
		{func(o *fixtures.Organization) { o.Secrets = []fixtures.Secret{{Name: "a", Value: ""}} }, "/organizations/0/secrets/0/value"},
		{func(o *fixtures.Organization) { o.Secrets = []fixtures.Secret{{Name: "", Value: "v"}} }, "/organizations/0/secrets/0/name"},
		{func(o *fixtures.Organization) { o.Users[0].Keys[0].Status = "expired" }, "/organizations/0/users/0/api_keys/0/status"},
		{func(o *fixtures.Organization) { o.Users[0].Keys[0].Name = "other" }, "/organizations/0"},
	} {
		o := fixtures.Org("Acme", "owner@acme.test", "")
		tc.edit(&o)
		_, err := mockserver.New(mockserver.Options{Seed: fixtures.SeedOf(o)})
		var ee *rules.Problem
		if !errors.As(err, &ee) {
			t.Errorf("want an *rules.Problem at %s, got %T: %v", tc.pointer, err, err)
			continue
		}
		if ee.Pointer != tc.pointer {
			t.Errorf("%v: pointer %q, want %q", err, ee.Pointer, tc.pointer)
		}
	}
}
