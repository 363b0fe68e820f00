package conformance

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// resources is what the run created, or asked a server to create, so cleanup can remove it.
// Everything is registered before its request is sent: a server that creates despite an
// error is cleaned up too.
type resources struct {
	mu          sync.Mutex
	counter     int
	secrets     map[string]string // name → the Authorization header that created it (the peer's or ours)
	keys        map[string]bool   // names of keys created for cfg.UserEmail
	peerSecrets []string          // names the peer created (a copy of one of ours)
}

// Paths of the contract.
const secretsPath = "/v1/organizations/secrets"

func secretPath(name string) string { return secretsPath + "/" + url.PathEscape(name) }

// usersKeysPath percent-encodes the whole email ("a+b@c" is "a%2Bb%40c"), as the SDK does.
func usersKeysPath(email string) string {
	return "/v1/organizations/users/" + url.QueryEscape(email) + "/api-keys"
}

func (t *checkRun) keysPath() string { return usersKeysPath(t.s.cfg.UserEmail) }

func (t *checkRun) keyPath(name string) string { return t.keysPath() + "/" + url.PathEscape(name) }

// name makes a new resource name: the run's prefix, the check's short name, a counter.
func (t *checkRun) name(kind string) string {
	r := &t.s.resources
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counter++
	return fmt.Sprintf("%s-%s-%d", t.s.prefix, kind, r.counter)
}

// secretValue makes a new random secret value and remembers it for redaction and the
// safety checks before it is ever sent.
func (t *checkRun) secretValue() string {
	v := "ctv-" + randomSuffix(24)
	t.s.known.addSent(v)
	return v
}

// newSecret creates a secret as the key given (the run's or the peer's) and registers it for
// cleanup. It ends the check when the server refuses.
func (t *checkRun) newSecret(auth string) (name, value string) {
	name, value = t.name("secret"), t.secretValue()
	t.trackSecret(name, auth)
	ex := t.do(request{method: "POST", path: secretsPath, auth: auth, body: map[string]any{"secret_name": name, "secret_value": value}})
	if ex.Status != http.StatusCreated {
		t.Fatalf(ex, "creating a secret to work with: want 201, got %d", ex.Status)
	}
	return name, value
}

// newKey creates an API key for the run's user with the given permissions and registers it
// for cleanup. It returns the create answer; the plaintext is its "key".
func (t *checkRun) newKey(perms ...string) *Exchange {
	name := t.name("key")
	t.trackKey(name)
	ex := t.call("POST", t.keysPath(), map[string]any{"name": name, "permissions": append([]string{}, perms...)})
	if ex.Status != http.StatusOK || ex.str("key") == "" {
		t.Fatalf(ex, "creating an API key to work with: want 200 with a key, got %d", ex.Status)
	}
	return ex
}

// trackSecret registers a secret name for cleanup with the key that owns it.
func (t *checkRun) trackSecret(name, auth string) {
	r := &t.s.resources
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.secrets == nil {
		r.secrets = map[string]string{}
	}
	if _, ok := r.secrets[name]; !ok {
		r.secrets[name] = auth
	}
}

// trackPeerSecret and untrackPeerSecret follow the peer's copy of a name this organization
// also has: both are cleaned up.
func (t *checkRun) trackPeerSecret(name string) {
	r := &t.s.resources
	r.mu.Lock()
	defer r.mu.Unlock()
	r.peerSecrets = append(r.peerSecrets, name)
}

func (t *checkRun) untrackPeerSecret(name string) {
	r := &t.s.resources
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, n := range r.peerSecrets {
		if n == name {
			r.peerSecrets = append(r.peerSecrets[:i], r.peerSecrets[i+1:]...)
			return
		}
	}
}

// trackKey registers a key name of the run's user for cleanup.
func (t *checkRun) trackKey(name string) {
	r := &t.s.resources
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil {
		r.keys = map[string]bool{}
	}
	r.keys[name] = true
}

// cleanup revokes the keys and deletes the secrets the run created, then lists what is left
// and sweeps anything with the run's prefix (also what a broken server created unasked), and
// returns what a second look still finds. It uses a context of its own, with each request
// bounded by RequestTimeout, so it also runs after the run's context was cancelled. Run and
// Test call it through cleanupOnce.
func (s *suite) cleanup() []string {
	t := &checkRun{ctx: context.Background(), s: s, check: Check{ID: "cleanup"}, res: &Result{}}
	s.resources.mu.Lock()
	secrets, keys, peerSecrets := s.resources.secrets, s.resources.keys, s.resources.peerSecrets
	s.resources.secrets, s.resources.keys, s.resources.peerSecrets = nil, nil, nil
	s.resources.mu.Unlock()
	admin, peer := bearer(s.cfg.APIKey), bearer(s.cfg.PeerAPIKey)
	// Live credentials first.
	for _, name := range sortedKeys(keys) {
		t.try(request{method: "DELETE", path: t.keyPath(name), auth: admin})
	}
	for _, name := range sortedKeys(secrets) {
		t.try(request{method: "DELETE", path: secretPath(name), auth: secrets[name]})
	}
	for _, name := range peerSecrets {
		t.try(request{method: "DELETE", path: secretPath(name), auth: peer})
	}
	// Then what is left, as the server lists it: the answers are not taken on trust.
	found, problems := t.leftovers()
	if len(found) == 0 && len(problems) == 0 {
		return nil
	}
	for _, l := range found {
		t.try(l.remove)
	}
	still, more := t.leftovers()
	var left []string
	for _, l := range still {
		left = append(left, l.label)
	}
	return append(append(left, problems...), more...)
}

// leftover is a resource with the run's name that the server still lists, and the request
// that removes it.
type leftover struct {
	label  string
	remove request
}

// leftovers lists the secrets (the run's organization's and the peer's) and the live keys that
// carry the run's name, and says what could not be listed.
func (t *checkRun) leftovers() (found []leftover, problems []string) {
	s := t.s
	mine := func(name string) bool { return strings.HasPrefix(name, s.prefix+"-") }
	secretsOf := func(auth, whose string) {
		ex := t.try(request{method: "GET", path: secretsPath, auth: auth})
		if ex == nil || ex.Status != http.StatusOK {
			problems = append(problems, whose+"secrets: could not list them to check")
			return
		}
		names, _ := ex.field("secrets").([]any)
		for _, n := range names {
			if name, _ := n.(string); mine(name) {
				found = append(found, leftover{whose + "secret " + name, request{method: "DELETE", path: secretPath(name), auth: auth}})
			}
		}
	}
	secretsOf(bearer(s.cfg.APIKey), "")
	if s.cfg.PeerAPIKey != "" {
		secretsOf(bearer(s.cfg.PeerAPIKey), "peer organization: ")
	}
	ex := t.try(request{method: "GET", path: t.keysPath() + "?include_revoked=true", auth: bearer(s.cfg.APIKey)})
	if ex == nil || ex.Status != http.StatusOK {
		return found, append(problems, "api keys: could not list them to check")
	}
	results, _ := ex.field("results").([]any)
	for _, r := range results {
		k, _ := r.(map[string]any)
		if name, _ := k["name"].(string); mine(name) && k["status"] != "revoked" {
			found = append(found, leftover{"api key " + name + " (not revoked)", request{method: "DELETE", path: t.keyPath(name), auth: bearer(s.cfg.APIKey)}})
		}
	}
	return found, problems
}

// try is do for cleanup: a failed request is nil, never the end of the run.
func (t *checkRun) try(r request) (ex *Exchange) {
	defer func() {
		if recover() != nil {
			ex = nil
		}
	}()
	return t.do(r)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
