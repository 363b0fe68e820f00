package suite

import (
	"context"
	"fmt"
	"net/http"
	"regexp"

	"github.com/mixpeekkit/mixpeekkit/internal/rules"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
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
// whose names are shaped like a run's (under). Never the admin-key, nor the key it runs with. Each is a result handed to each (sweep/secret/NAME, sweep/api-key/NAME); with
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
// run's user whose names are shaped like a run's under prefix, never the admin-key nor the key
// the run authenticates with, and says what could not be listed. The run's keys it sees
// revoked are the run's Revoked.
func (t *T) under(prefix string) (list []found, problems []string) {
	s := t.S
	shape := runNames(prefix)
	mine := func(name string) bool { return shape.MatchString(name) && name != rules.AdminKeyName }
	own := sensitive.Hash(s.APIKey) // the run's own credential is never revoked
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
		case !mine(name) || k["key_hash"] == own:
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

// runNames matches the names runs make under prefix. Given a run's whole prefix (ctk3x9qa,
// ci-k3x9qa: a report's Prefix), its names are that prefix and a dash. Given the prefix runs
// were made with (Config.Prefix, or ct, the default), they are that prefix, a dash (none after
// the default), a run ID of RunIDLength lowercase letters and digits, and a dash: so ci-prod-db
// or ci-runner, which no run made, never match ci.
func runNames(prefix string) *regexp.Regexp {
	q := regexp.QuoteMeta(prefix)
	id := fmt.Sprintf("[a-z0-9]{%d}", RunIDLength)
	switch {
	case regexp.MustCompile(`^(ct|.+-)` + id + `$`).MatchString(prefix):
		return regexp.MustCompile(`^` + q + `-`)
	case prefix == "ct":
		return regexp.MustCompile(`^ct-?` + id + `-`)
	}
	return regexp.MustCompile(`^` + q + `-` + id + `-`)
}
