package mockserver

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/rules"
)

// permission is one of the contract's Permission values.
type permission string

const (
	permRead   permission = "read"
	permWrite  permission = "write"
	permDelete permission = "delete"
	permAdmin  permission = "admin"
)

// adminKeyName is the protected key every organization has.
const adminKeyName = rules.AdminKeyName

// store is the in-memory state of every organization. One mutex guards it all: each request
// does little work under it (encryption happens before the lock is taken).
type store struct {
	mu      sync.Mutex
	st      *state
	initial map[string]*organization // each organization as it was seeded or created; never handed out
	// initialHashes are the key hashes of the initial organizations (to the organization's
	// ID), so that checking a new key against them does not scan every organization.
	initialHashes map[string]string
	seedIDs       []string // the seeded organizations, in order: what Reset returns to
}

// remember keeps o as an organization's initial state; forget drops it.
func (s *store) remember(o *organization) {
	s.initial[o.ID] = o.clone()
	for _, u := range o.users {
		for _, k := range u.keys {
			s.initialHashes[k.Hash] = o.ID
		}
	}
}

func (s *store) forget(id string) {
	if o := s.initial[id]; o != nil {
		for _, u := range o.users {
			for _, k := range u.keys {
				if s.initialHashes[k.Hash] == id {
					delete(s.initialHashes, k.Hash)
				}
			}
		}
	}
	delete(s.initial, id)
}

func newStore(seeded *state) *store {
	s := &store{st: &state{}, initial: map[string]*organization{}, initialHashes: map[string]string{}}
	for _, o := range seeded.orgs {
		s.remember(o)
		s.seedIDs = append(s.seedIDs, o.ID)
		s.st.orgs = append(s.st.orgs, o.clone())
	}
	s.st.reindex()
	return s
}

// do runs f with the state locked.
func (s *store) do(f func(st *state) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f(s.st)
}

// inOrg runs f with the state locked and the organization of that ID (ErrNotFound when there
// is none). The organization is looked up under the lock, so a request that authenticated just
// before a reset acts on the state as it is now, never on a discarded copy.
func (s *store) inOrg(id string, f func(st *state, org *organization) error) error {
	return s.do(func(st *state) error {
		if o := st.org(id); o != nil {
			return f(st, o)
		}
		return errOrgNotFound(id)
	})
}

// reset returns to the seed: every seeded organization as it was, created ones gone.
func (s *store) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.orgs = nil
	for id := range s.initial {
		if !slices.Contains(s.seedIDs, id) {
			s.forget(id)
		}
	}
	for _, id := range s.seedIDs {
		s.st.orgs = append(s.st.orgs, s.initial[id].clone())
	}
	s.st.reindex()
}

// resetOrg returns one organization to how it was seeded or created (a deleted seeded one
// comes back). It refuses when a key it would restore is now a key of another organization.
func (s *store) resetOrg(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	init := s.initial[id]
	if init == nil {
		return errOrgNotFound(id)
	}
	for _, u := range init.users {
		for _, k := range u.keys {
			if other := s.st.byHash[k.Hash]; other != nil && other.user.org.ID != id {
				return errBadRequest("a key this reset would restore is now a key of another organization", map[string]any{"organization_id": other.user.org.ID})
			}
		}
	}
	fresh := init.clone()
	if i := slices.IndexFunc(s.st.orgs, func(o *organization) bool { return o.ID == id }); i >= 0 {
		s.st.orgs[i] = fresh
	} else {
		s.st.orgs = append(s.st.orgs, fresh)
	}
	s.st.reindex()
	return nil
}

// taken reports, with the lock held, whether a key hash is in use now or in any
// organization's initial state (which a reset would bring back).
func (s *store) taken(h string) bool {
	_, initial := s.initialHashes[h]
	return initial || s.st.byHash[h] != nil
}

// hashTaken reports whether a key hash is in use, now or in any organization's initial
// state (which a reset would bring back).
func (s *store) hashTaken(h string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.taken(h)
}

// seeded reports whether an organization came from the seed.
func (s *store) seeded(id string) bool { return slices.Contains(s.seedIDs, id) }

// created is how many organizations were created (not seeded), and are there now.
func (s *store) created() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createdLocked()
}

func (s *store) createdLocked() int {
	n := 0
	for _, o := range s.st.orgs {
		if !s.seeded(o.ID) {
			n++
		}
	}
	return n
}

// addOrg adds a new organization, unless its ID or a key of it is already in use, or the
// store already holds limit created organizations.
func (s *store) addOrg(o *organization, limit int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.createdLocked() >= limit {
		return errTooManyTenants(limit)
	}
	if s.st.org(o.ID) != nil {
		return errOrgExists(o.ID)
	}
	for _, u := range o.users {
		for _, k := range u.keys {
			if s.taken(k.Hash) {
				return errBadRequest("an API key of the new organization is already in use (now or after a reset)", nil)
			}
		}
	}
	s.remember(o)
	added := o.clone()
	s.st.orgs = append(s.st.orgs, added)
	for _, u := range added.users { // its keys join the index; nothing else changed
		for _, k := range u.keys {
			s.st.byHash[k.Hash] = k
		}
	}
	return nil
}

// deleteOrg removes an organization (a seeded one comes back with a reset).
func (s *store) deleteOrg(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, o := range s.st.orgs {
		if o.ID == id {
			s.st.orgs = slices.Delete(s.st.orgs, i, i+1)
			if !slices.Contains(s.seedIDs, id) {
				s.forget(id)
			}
			s.st.reindex()
			return nil
		}
	}
	return errOrgNotFound(id)
}

// state is every organization, and the index that authenticates a key by its hash.
type state struct {
	orgs   []*organization
	byHash map[string]*apiKey // keys whose current material can still be presented (revoked included)
}

type organization struct {
	ID      string
	Name    string
	users   []*user
	secrets map[string]*secret
}

type user struct {
	ID    string
	Email string
	org   *organization
	keys  []*apiKey // in creation order
	// live indexes the live (not revoked) keys by name, so finding one does not scan the
	// revoked keys, which pile up. keyChanged keeps it; nil until first used.
	live map[string]*apiKey
}

// apiKey is everything kept about a key. The plaintext is not: only its hash and prefix.
type apiKey struct {
	KeyID             string
	InternalID        string
	Name              string
	Description       string
	Hash              string
	Prefix            string
	Permissions       []permission
	Scopes            []Scope
	RateLimitOverride *int
	ExpiresAt         *time.Time
	LastUsedAt        *time.Time
	CreatedAt         time.Time
	CreatedBy         *string
	RevokedAt         *time.Time
	RevokedBy         *string
	user              *user
}

// secret is a stored value: a Fernet token only.
type secret struct {
	Token     []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Key status as the contract's KeyStatus enum.
const (
	statusActive  = "active"
	statusRevoked = "revoked"
	statusExpired = "expired"
)

func (k *apiKey) status(now time.Time) string {
	switch {
	case k.RevokedAt != nil:
		return statusRevoked
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		return statusExpired
	}
	return statusActive
}

func (k *apiKey) revoke(now time.Time, by string) {
	k.RevokedAt = &now
	k.RevokedBy = &by
}

// user finds a user of the organization by email. Emails compare case-insensitively.
func (o *organization) user(email string) *user {
	for _, u := range o.users {
		if strings.EqualFold(u.Email, email) {
			return u
		}
	}
	return nil
}

// sortedSecretNames lists the organization's secret names in byte order.
func (o *organization) sortedSecretNames() []string {
	names := make([]string, 0, len(o.secrets))
	for n := range o.secrets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// key finds the user's live (not revoked) key of that name.
func (u *user) key(name string) *apiKey {
	if u.live == nil {
		u.live = make(map[string]*apiKey, len(u.keys))
		for _, k := range u.keys {
			u.keyChanged(k, "")
		}
	}
	if k := u.live[name]; k != nil && k.Name == name && k.RevokedAt == nil {
		return k
	}
	return nil
}

// addKey adds a key of the user.
func (u *user) addKey(k *apiKey) {
	u.keys = append(u.keys, k)
	u.keyChanged(k, "")
}

// keyChanged updates the index of live keys after k was added, renamed (from oldName) or
// revoked. Every change of a key's name or revocation passes here.
func (u *user) keyChanged(k *apiKey, oldName string) {
	if u.live == nil {
		return // built on first use
	}
	if oldName != "" && u.live[oldName] == k {
		delete(u.live, oldName)
	}
	if u.live[k.Name] == k && k.RevokedAt != nil {
		delete(u.live, k.Name)
	}
	if k.RevokedAt == nil {
		u.live[k.Name] = k
	}
}

// revokedKey finds the user's most recently revoked key of that name.
func (u *user) revokedKey(name string) *apiKey {
	for i := len(u.keys) - 1; i >= 0; i-- {
		if k := u.keys[i]; k.Name == name && k.RevokedAt != nil {
			return k
		}
	}
	return nil
}

// nameTaken reports whether a live key of the user already has the name. The admin-key's
// name is reserved in the whole organization, so no second key can pass for it.
func (u *user) nameTaken(name string) bool {
	if name == adminKeyName {
		for _, other := range u.org.users {
			if other.key(adminKeyName) != nil {
				return true
			}
		}
	}
	return u.key(name) != nil
}

// org finds an organization by ID.
func (s *state) org(id string) *organization {
	for _, o := range s.orgs {
		if o.ID == id {
			return o
		}
	}
	return nil
}

// reindex rebuilds the index that authenticates keys: the current hash of every key, revoked
// ones included (so they can be told apart from unknown ones). A rotated-away hash is in no
// key, so it is in no index.
func (s *state) reindex() {
	s.byHash = map[string]*apiKey{}
	for _, o := range s.orgs {
		for _, u := range o.users {
			for _, k := range u.keys {
				s.byHash[k.Hash] = k
			}
		}
	}
}

// clone deep-copies an organization, so a reset can return to it however the copy changed.
// Pointer fields of a key (times, strings) are shared: they are replaced, never written through.
func (o *organization) clone() *organization {
	no := &organization{ID: o.ID, Name: o.Name, secrets: make(map[string]*secret, len(o.secrets))}
	for name, sec := range o.secrets {
		c := *sec
		c.Token = slices.Clone(sec.Token)
		no.secrets[name] = &c
	}
	for _, u := range o.users {
		nu := &user{ID: u.ID, Email: u.Email, org: no}
		for _, k := range u.keys {
			nk := k.clone()
			nk.user = nu
			nu.addKey(nk)
		}
		no.users = append(no.users, nu)
	}
	return no
}

func (k *apiKey) clone() *apiKey {
	c := *k
	c.Permissions = slices.Clone(k.Permissions)
	c.Scopes = make([]Scope, len(k.Scopes))
	for i, sc := range k.Scopes {
		c.Scopes[i] = Scope{sc.ResourceType, sc.ResourceID, slices.Clone(sc.Operations)}
	}
	return &c
}
