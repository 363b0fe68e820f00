package mockserver_test

import (
	"strings"
	"testing"

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
		}), []string{`api key 2 ("k")`, "/permissions/0", "enum"}},
		{"bad email", org(func(o *fixtures.Organization) { o.Users[0].Email = "acme" }), []string{`user 1 ("acme")`, "not an email"}},
		{"admin-key without admin", org(func(o *fixtures.Organization) { o.Users[0].Keys[0].Permissions = []string{"read"} }), []string{"admin-key lacks the admin permission"}},
		{"status expired", org(func(o *fixtures.Organization) {
			o.Users[0].Keys = append(o.Users[0].Keys, fixtures.Key{Name: "k", Permissions: []string{"read"}, Status: "expired"})
		}), []string{`api key 2 ("k")`, "expires_at"}},
		{"secret name too long", org(func(o *fixtures.Organization) {
			o.Secrets = []fixtures.Secret{{Name: strings.Repeat("n", 101), Value: "SEED-SECRET-VALUE"}}
		}), []string{"secret 1", `/secret_name: fails "maxLength"`}},
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
