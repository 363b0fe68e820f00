package suite

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
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
	revoked     []string          // the run's keys the server lists as revoked, as cleanup last saw them
	peerSecrets []string          // names the peer created (a copy of one of ours)
}

// Paths of the contract.
const SecretsPath = "/v1/organizations/secrets"

func SecretPath(name string) string { return SecretsPath + "/" + url.PathEscape(name) }

// UsersKeysPath percent-encodes the whole email ("a+b@c" is "a%2Bb%40c"), as the SDK does.
func UsersKeysPath(email string) string {
	return "/v1/organizations/users/" + url.QueryEscape(email) + "/api-keys"
}

func (t *T) KeysPath() string { return UsersKeysPath(t.S.UserEmail) }

func (t *T) KeyPath(name string) string { return t.KeysPath() + "/" + url.PathEscape(name) }

// Name makes a new resource Name: the run's prefix, the check's short Name, a counter.
func (t *T) Name(kind string) string {
	r := &t.S.resources
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counter++
	return fmt.Sprintf("%s-%s-%d", t.S.Prefix, kind, r.counter)
}

// SecretValue makes a new random secret value and remembers it for redaction and the
// safety checks before it is ever sent.
func (t *T) SecretValue() string {
	v := "ctv-" + RandomSuffix(24)
	t.S.Known.AddSent(v)
	return v
}

// NewSecret creates a secret as the key given (the run's or the peer's) and registers it for
// cleanup. It ends the check when the server refuses.
func (t *T) NewSecret(auth string) (name, value string) {
	name, value = t.Name("secret"), t.SecretValue()
	t.TrackSecret(name, auth)
	ex := t.Do(Request{Method: "POST", Path: SecretsPath, Auth: auth, Body: map[string]any{"secret_name": name, "secret_value": value}})
	if ex.Status != http.StatusCreated {
		t.Fatalf(ex, "creating a secret to work with: want 201, got %d", ex.Status)
	}
	return name, value
}

// NewKey creates an API key for the run's user with the given permissions and registers it
// for cleanup. It returns the create answer; the plaintext is its "key".
func (t *T) NewKey(perms ...string) *Exchange {
	name := t.Name("key")
	t.TrackKey(name)
	ex := t.Call("POST", t.KeysPath(), map[string]any{"name": name, "permissions": append([]string{}, perms...)})
	if ex.Status != http.StatusOK || ex.Str("key") == "" {
		t.Fatalf(ex, "creating an API key to work with: want 200 with a key, got %d", ex.Status)
	}
	return ex
}

// owned is a resource a check created: removed when the check ends, by remove.
type owned struct {
	id     string // its kind and name, once per check
	remove Request
	forget func() // takes it off the run's list once it is gone
}

// own notes a resource the check created, once.
func (t *T) noteOwn(o owned) {
	if !slices.ContainsFunc(t.own, func(x owned) bool { return x.id == o.id }) {
		t.own = append(t.own, o)
	}
}

// removeOwn removes what the check created, newest first, as cleanup does (a failure here is
// cleanup's to report, not the check's): a key is revoked, a secret deleted. What is gone
// leaves the run's list; what is not stays on it, for the run's cleanup.
func (t *T) removeOwn() {
	c := &T{Ctx: context.WithoutCancel(t.Ctx), S: t.S, Check: Check{ID: t.Check.ID}, Res: &Result{}}
	own := t.own
	t.own = nil
	for i := len(own) - 1; i >= 0; i-- {
		if ex := c.try(own[i].remove); ex != nil && (ex.Status == http.StatusOK || ex.Status == http.StatusNotFound) {
			own[i].forget()
		}
	}
}

// namesMade is how many names the run has made so far.
func (s *Suite) namesMade() int {
	s.resources.mu.Lock()
	defer s.resources.mu.Unlock()
	return s.resources.counter
}

// TrackSecret registers a secret name for cleanup with the key that owns it.
func (t *T) TrackSecret(name, auth string) {
	t.noteOwn(owned{"secret " + name, Request{Method: "DELETE", Path: SecretPath(name), Auth: auth}, func() { t.Untrack(name, true) }})
	r := &t.S.resources
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.secrets == nil {
		r.secrets = map[string]string{}
	}
	if _, ok := r.secrets[name]; !ok {
		r.secrets[name] = auth
	}
}

// TrackPeerSecret and untrackPeerSecret follow the peer's copy of a name this organization
// also has: both are cleaned up.
func (t *T) TrackPeerSecret(name string) {
	t.noteOwn(owned{"peer secret " + name, Request{Method: "DELETE", Path: SecretPath(name), Auth: Bearer(t.S.PeerAPIKey)}, func() { t.UntrackPeerSecret(name) }})
	r := &t.S.resources
	r.mu.Lock()
	defer r.mu.Unlock()
	r.peerSecrets = append(r.peerSecrets, name)
}

func (t *T) UntrackPeerSecret(name string) {
	r := &t.S.resources
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, n := range r.peerSecrets {
		if n == name {
			r.peerSecrets = append(r.peerSecrets[:i], r.peerSecrets[i+1:]...)
			return
		}
	}
}

// TrackKey registers a key name of the run's user for cleanup.
func (t *T) TrackKey(name string) {
	t.noteOwn(owned{"key " + name, Request{Method: "DELETE", Path: t.KeyPath(name), Auth: Bearer(t.S.APIKey)}, func() { t.Untrack(name, false) }})
	r := &t.S.resources
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil {
		r.keys = map[string]bool{}
	}
	r.keys[name] = true
}

// Cleanup revokes the keys and deletes the secrets the run created, then lists what is left
// and sweeps anything with the run's prefix (also what a broken server created unasked), and
// returns what a second look still finds. It uses a context of its own, with each request
// bounded by RequestTimeout, so it also runs after the run's context was cancelled. Run and
// Test call it through cleanupOnce.
func (s *Suite) Cleanup() []string {
	t := &T{Ctx: context.Background(), S: s, Check: Check{ID: "cleanup"}, Res: &Result{}}
	s.resources.mu.Lock()
	secrets, keys, peerSecrets := s.resources.secrets, s.resources.keys, s.resources.peerSecrets
	s.resources.secrets, s.resources.keys, s.resources.peerSecrets = nil, nil, nil
	s.resources.mu.Unlock()
	admin, peer := Bearer(s.APIKey), Bearer(s.PeerAPIKey)
	// Live credentials first.
	for _, name := range sortedKeys(keys) {
		t.try(Request{Method: "DELETE", Path: t.KeyPath(name), Auth: admin})
	}
	for _, name := range sortedKeys(secrets) {
		t.try(Request{Method: "DELETE", Path: SecretPath(name), Auth: secrets[name]})
	}
	for _, name := range peerSecrets {
		t.try(Request{Method: "DELETE", Path: SecretPath(name), Auth: peer})
	}
	// Then what is left, as the server lists it: the answers are not taken on trust.
	found, problems := t.under(s.Prefix)
	if len(found) == 0 && len(problems) == 0 {
		return nil
	}
	for _, l := range found {
		t.try(l.remove)
	}
	still, more := t.under(s.Prefix)
	var left []string
	for _, l := range still {
		left = append(left, l.label())
	}
	return append(append(left, problems...), more...)
}

// try is do for cleanup: a failed request is nil, never the end of the run.
func (t *T) try(r Request) (ex *Exchange) {
	defer func() {
		if recover() != nil {
			ex = nil
		}
	}()
	return t.Do(r)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Untrack forgets a key (or a secret) the check itself removed, so cleanup does not remove it
// again; cleanup still lists what is left with the run's prefix.
func (t *T) Untrack(name string, secret bool) {
	id := "key " + name
	if secret {
		id = "secret " + name
	}
	t.own = slices.DeleteFunc(t.own, func(o owned) bool { return o.id == id }) // gone: nothing to remove
	r := &t.S.resources
	r.mu.Lock()
	defer r.mu.Unlock()
	if secret {
		delete(r.secrets, name)
	} else {
		delete(r.keys, name)
	}
}

func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Revoked lists the run's keys the server still lists, revoked, as cleanup last saw them: a
// key cannot be deleted, only revoked, so every run leaves its keys behind under its prefix.
func (s *Suite) Revoked() []string {
	s.resources.mu.Lock()
	defer s.resources.mu.Unlock()
	return slices.Sorted(slices.Values(s.resources.revoked))
}
