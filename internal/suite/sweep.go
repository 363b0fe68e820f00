package suite

import (
	"context"
	"net/http"
	"strings"

	"github.com/mixpeekkit/mixpeekkit/internal/rules"
)

// swept is a resource a sweep found under its prefix, and the request that removes it.
type swept struct {
	kind, name string
	remove     Request
}

// Sweep removes what runs named after prefix left on the server: the secrets of the run's
// organization (and of the peer's, when PeerAPIKey is set) and the live API keys of UserEmail
// whose names start with prefix and a dash, as every name a run makes does. Never the
// admin-key. Each is a result handed to each (sweep/secret/NAME, sweep/api-key/NAME); with
// dryRun each is skipped, listed, and nothing changes. It returns what is still there after.
func (s *Suite) Sweep(ctx context.Context, prefix string, dryRun bool, each func(Result)) (left []string) {
	found, problems := s.underPrefix(ctx, prefix)
	for _, f := range found {
		each(s.RunCheck(ctx, Check{ID: "sweep/" + f.kind + "/" + f.name, Category: "sweep",
			Description: "remove " + f.kind + " " + f.name + ", left by a run under prefix " + prefix,
			Run: func(t *T) {
				if dryRun {
					t.Skip("dry run: it would be removed")
				}
				if ex := t.Do(f.remove); ex.Status != http.StatusOK && ex.Status != http.StatusNotFound {
					t.Errorf(ex, "removing it answered %d, want 200", ex.Status)
				}
			}}))
	}
	if dryRun {
		return problems
	}
	still, more := s.underPrefix(ctx, prefix)
	for _, f := range still {
		left = append(left, f.kind+" "+f.name)
	}
	return append(append(left, problems...), more...)
}

// underPrefix lists the secrets and live keys under prefix, and what could not be listed.
func (s *Suite) underPrefix(ctx context.Context, prefix string) (found []swept, problems []string) {
	t := &T{Ctx: context.WithValue(ctx, checkKey{}, "sweep"), S: s, Check: Check{ID: "sweep"}, Res: &Result{}}
	mine := func(name string) bool { return strings.HasPrefix(name, prefix+"-") && name != rules.AdminKeyName }
	secretsOf := func(auth, kind string) {
		ex := t.try(Request{Method: "GET", Path: SecretsPath, Auth: auth})
		if ex == nil || ex.Status != http.StatusOK {
			problems = append(problems, kind+"s: could not list them")
			return
		}
		names, _ := ex.Field("secrets").([]any)
		for _, n := range names {
			if name, _ := n.(string); mine(name) {
				found = append(found, swept{kind, name, Request{Method: "DELETE", Path: SecretPath(name), Auth: auth}})
			}
		}
	}
	secretsOf(Bearer(s.APIKey), "secret")
	if s.PeerAPIKey != "" {
		secretsOf(Bearer(s.PeerAPIKey), "peer-secret")
	}
	ex := t.try(Request{Method: "GET", Path: t.KeysPath(), Auth: Bearer(s.APIKey)})
	if ex == nil || ex.Status != http.StatusOK {
		return found, append(problems, "api keys: could not list them")
	}
	results, _ := ex.Field("results").([]any)
	for _, r := range results {
		k, _ := r.(map[string]any)
		if name, _ := k["name"].(string); mine(name) && k["status"] != "revoked" {
			found = append(found, swept{"api-key", name, Request{Method: "DELETE", Path: t.KeyPath(name), Auth: Bearer(s.APIKey)}})
		}
	}
	return found, problems
}
