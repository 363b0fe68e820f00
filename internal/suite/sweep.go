package suite

import (
	"context"
	"net/http"
	"strings"

	"github.com/mixpeekkit/mixpeekkit/internal/rules"
)

// found is a resource under a prefix the server lists (a secret of the run's organization or
// of the peer's, or a live key of the run's user), and the request that removes it.
type found struct {
	kind, name string // kind: secret, peer-secret or api-key
	remove     Request
}

// label is the resource as a report of what cleanup could not remove names it.
func (f found) label() string {
	switch f.kind {
	case "peer-secret":
		return "peer organization: secret " + f.name
	case "api-key":
		return "api key " + f.name + " (not revoked)"
	}
	return "secret " + f.name
}

// Sweep removes what runs named after prefix left on the server: the secrets of the run's
// organization (and of the peer's, when PeerAPIKey is set) and the live API keys of UserEmail
// whose names start with prefix and a dash, as every name a run makes does. Never the
// admin-key. Each is a result handed to each (sweep/secret/NAME, sweep/api-key/NAME); with
// dryRun each is skipped, listed, and nothing changes. It returns what is still there after.
func (s *Suite) Sweep(ctx context.Context, prefix string, dryRun bool, each func(Result)) (left []string) {
	t := &T{Ctx: context.WithValue(ctx, checkKey{}, "sweep"), S: s, Check: Check{ID: "sweep"}, Res: &Result{}}
	list, problems := t.under(prefix)
	for _, f := range list {
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
	still, more := t.under(prefix)
	for _, f := range still {
		left = append(left, f.kind+" "+f.name)
	}
	return append(append(left, problems...), more...)
}

// under lists the secrets (the run's organization's and the peer's) and the live keys of the
// run's user whose names start with prefix and a dash, never the admin-key, and says what
// could not be listed. The run's keys it sees revoked are the run's Revoked.
func (t *T) under(prefix string) (list []found, problems []string) {
	s := t.S
	mine := func(name string) bool { return strings.HasPrefix(name, prefix+"-") && name != rules.AdminKeyName }
	secretsOf := func(auth, kind, whose string) {
		ex := t.try(Request{Method: "GET", Path: SecretsPath, Auth: auth})
		if ex == nil || ex.Status != http.StatusOK {
			problems = append(problems, whose+"secrets: could not list them to check")
			return
		}
		names, _ := ex.Field("secrets").([]any)
		for _, n := range names {
			if name, _ := n.(string); mine(name) {
				list = append(list, found{kind, name, Request{Method: "DELETE", Path: SecretPath(name), Auth: auth}})
			}
		}
	}
	secretsOf(Bearer(s.APIKey), "secret", "")
	if s.PeerAPIKey != "" {
		secretsOf(Bearer(s.PeerAPIKey), "peer-secret", "peer organization: ")
	}
	ex := t.try(Request{Method: "GET", Path: t.KeysPath() + "?include_revoked=true", Auth: Bearer(s.APIKey)})
	if ex == nil || ex.Status != http.StatusOK {
		return list, append(problems, "api keys: could not list them to check")
	}
	results, _ := ex.Field("results").([]any)
	var revoked []string
	for _, r := range results {
		k, _ := r.(map[string]any)
		switch name, _ := k["name"].(string); {
		case !mine(name):
		case k["status"] != "revoked":
			list = append(list, found{"api-key", name, Request{Method: "DELETE", Path: t.KeyPath(name), Auth: Bearer(s.APIKey)}})
		case prefix == s.Prefix:
			revoked = append(revoked, name)
		}
	}
	if prefix == s.Prefix {
		s.resources.mu.Lock()
		s.resources.revoked = revoked
		s.resources.mu.Unlock()
	}
	return list, problems
}
