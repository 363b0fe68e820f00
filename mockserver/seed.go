package mockserver

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/keyring"
)

// DevAdminKey is the plaintext of the default organization's admin-key when none is given.
// It is public, documented and fixed so that a developer can paste it; never use it anywhere
// but a local mock.
const DevAdminKey = "sk_mixpeek_mock_development_admin_key_do_not_use"

// DefaultAdminEmail is the owner of the default organization.
const DefaultAdminEmail = "admin@example.com"

// Seed is the data a server starts with, and returns to on reset.
type Seed struct {
	Organizations []SeedOrganization `json:"organizations"`
}

// SeedOrganization is one tenant. ID is generated when empty.
type SeedOrganization struct {
	ID      string       `json:"organization_id,omitempty"`
	Name    string       `json:"name"`
	Users   []SeedUser   `json:"users"`
	Secrets []SeedSecret `json:"secrets,omitempty"`
}

// SeedUser is a member of an organization. ID is generated when empty.
type SeedUser struct {
	ID    string    `json:"user_id,omitempty"`
	Email string    `json:"email"`
	Keys  []SeedKey `json:"api_keys,omitempty"`
}

// SeedKey is an API key. Key is its plaintext, so tests can authenticate with it; it is hashed
// on load and not kept. Generated when empty (and then unknown to everyone).
type SeedKey struct {
	Name        string     `json:"name"`
	Key         string     `json:"key,omitempty"`
	Description string     `json:"description,omitempty"`
	Permissions []string   `json:"permissions"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	Revoked     bool       `json:"revoked,omitempty"`
}

// SeedSecret is a secret whose plaintext value is encrypted on load and not kept.
type SeedSecret struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// DefaultSeed is one organization owned by email, whose admin-key has the plaintext adminKey.
func DefaultSeed(email, adminKey string) Seed {
	return Seed{Organizations: []SeedOrganization{{
		Name: "Default Organization",
		Users: []SeedUser{{
			Email: email,
			Keys: []SeedKey{{
				Name:        adminKeyName,
				Key:         adminKey,
				Description: "Protected administrator key of the organization",
				Permissions: []string{string(permAdmin)},
			}},
		}},
	}}}
}

var (
	keyMaterialRE = regexp.MustCompile(`^sk_[A-Za-z0-9_-]{40,}$`)
	emailRE       = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// ValidKeyMaterial reports whether s has the shape of a plaintext API key: "sk_" and at least
// 40 url-safe characters.
func ValidKeyMaterial(s string) bool { return keyMaterialRE.MatchString(s) }

// build turns the seed into a state, or says which entry breaks which rule. It encrypts every
// secret value with the ring and keeps only the token.
func (seed Seed) build(ring *keyring.Ring, ids *idGen, now time.Time) (*state, error) {
	st := &state{byHash: map[string]*apiKey{}}
	if len(seed.Organizations) == 0 {
		return nil, fmt.Errorf("seed: no organization")
	}
	for oi, so := range seed.Organizations {
		where := fmt.Sprintf("seed: organization %d (%q)", oi+1, so.Name)
		o, err := so.build(st, ring, ids, now, where)
		if err != nil {
			return nil, err
		}
		for _, other := range st.orgs {
			if other.ID == o.ID {
				return nil, fmt.Errorf("%s: organization_id %q is used twice", where, o.ID)
			}
		}
		st.orgs = append(st.orgs, o)
	}
	return st, nil
}

func (so SeedOrganization) build(st *state, ring *keyring.Ring, ids *idGen, now time.Time, where string) (*organization, error) {
	o := &organization{ID: so.ID, Name: so.Name, secrets: map[string]*secret{}}
	var err error
	if o.ID == "" {
		if o.ID, err = ids.orgID(); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(so.Name) == "" {
		return nil, fmt.Errorf("%s: name is empty", where)
	}
	for ui, su := range so.Users {
		uwhere := fmt.Sprintf("%s: user %d (%q)", where, ui+1, su.Email)
		if !emailRE.MatchString(su.Email) {
			return nil, fmt.Errorf("%s: email is not an email address", uwhere)
		}
		if o.user(su.Email) != nil {
			return nil, fmt.Errorf("%s: email is used twice in the organization", uwhere)
		}
		u := &user{ID: su.ID, Email: su.Email, org: o}
		if u.ID == "" {
			if u.ID, err = ids.userID(); err != nil {
				return nil, err
			}
		}
		o.users = append(o.users, u)
		for ki, sk := range su.Keys {
			kwhere := fmt.Sprintf("%s: api key %d (%q)", uwhere, ki+1, sk.Name)
			if err := sk.build(st, u, ids, now, kwhere); err != nil {
				return nil, err
			}
		}
	}
	admin := adminKeyOf(o)
	if admin == nil || admin.RevokedAt != nil {
		return nil, fmt.Errorf("%s: no live key named %q", where, adminKeyName)
	}
	if !slices.Contains(admin.Permissions, permAdmin) {
		return nil, fmt.Errorf("%s: the %s lacks the admin permission", where, adminKeyName)
	}
	for si, ss := range so.Secrets {
		swhere := fmt.Sprintf("%s: secret %d (%q)", where, si+1, ss.Name)
		switch {
		case ss.Name == "" || len([]rune(ss.Name)) > 100:
			return nil, fmt.Errorf("%s: name must have 1 to 100 characters", swhere)
		case ss.Value == "":
			return nil, fmt.Errorf("%s: value is empty", swhere)
		case o.secrets[ss.Name] != nil:
			return nil, fmt.Errorf("%s: name is used twice in the organization", swhere)
		}
		tok, err := ring.Encrypt([]byte(ss.Value), now)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", swhere, err)
		}
		o.secrets[ss.Name] = &secret{Token: tok, CreatedAt: now, UpdatedAt: now}
	}
	return o, nil
}

func (sk SeedKey) build(st *state, u *user, ids *idGen, now time.Time, where string) error {
	if sk.Name == "" || len([]rune(sk.Name)) > 100 {
		return fmt.Errorf("%s: name must have 1 to 100 characters", where)
	}
	if len([]rune(sk.Description)) > 500 {
		return fmt.Errorf("%s: description is longer than 500 characters", where)
	}
	if !sk.Revoked && u.nameTaken(sk.Name) {
		return fmt.Errorf("%s: name is already used by a live key", where)
	}
	perms, err := parsePermissions(sk.Permissions)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	plaintext := sk.Key
	if plaintext == "" {
		if plaintext, err = ids.apiKeyMaterial(); err != nil {
			return err
		}
	} else if !ValidKeyMaterial(plaintext) {
		// Never print the key itself: only its rule.
		return fmt.Errorf(`%s: key must be "sk_" followed by at least 40 characters of A-Z a-z 0-9 _ -`, where)
	}
	h := hashKey(plaintext)
	if st.byHash[h] != nil {
		return fmt.Errorf("%s: key is the same plaintext as another seeded key", where)
	}
	k := &apiKey{
		Name: sk.Name, Description: sk.Description, Hash: h, Prefix: keyPrefix(plaintext), Permissions: perms,
		Scopes: []scope{}, CreatedAt: now, ExpiresAt: sk.ExpiresAt, user: u,
	}
	if k.KeyID, err = ids.keyID(); err != nil {
		return err
	}
	if k.InternalID, err = ids.internalID(); err != nil {
		return err
	}
	if sk.Revoked {
		k.revoke(now, u.ID)
	}
	u.keys = append(u.keys, k)
	st.byHash[h] = k
	return nil
}

func parsePermissions(in []string) ([]permission, error) {
	out := make([]permission, 0, len(in))
	for _, p := range in {
		switch pp := permission(p); pp {
		case permRead, permWrite, permDelete, permAdmin:
			out = append(out, pp)
		default:
			return nil, fmt.Errorf("permission %q is not one of read, write, delete, admin", p)
		}
	}
	return out, nil
}

// adminKeyOf finds the organization's live admin-key, whoever owns it.
func adminKeyOf(o *organization) *apiKey {
	for _, u := range o.users {
		if k := u.key(adminKeyName); k != nil {
			return k
		}
	}
	return nil
}
