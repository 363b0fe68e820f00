package mockserver

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/keyring"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// emailRE is the shape of a user's email in seed data and new organizations.
var emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// builder turns a seed into a state. Shape rules (lengths, enums) are checked against
// openapi.yaml's request schemas; the rules a schema cannot express (email shape, uniqueness,
// the admin-key) are checked here.
type builder struct {
	st       *state
	ring     *keyring.Ring
	ids      *idGen
	now      time.Time
	contract *contract.Contract
}

// build turns the seed into a state, or says which entry breaks which rule. It encrypts every
// secret value with the ring and keeps only the token.
func build(seed fixtures.Seed, c *contract.Contract, ring *keyring.Ring, ids *idGen, now time.Time) (*state, error) {
	b := &builder{st: &state{byHash: map[string]*apiKey{}}, ring: ring, ids: ids, now: now, contract: c}
	if len(seed.Organizations) == 0 {
		return nil, fmt.Errorf("seed: no organization")
	}
	for oi, so := range seed.Organizations {
		where := fmt.Sprintf("seed: organization %d (%q)", oi+1, so.Name)
		o, err := b.organization(so, where)
		if err != nil {
			return nil, err
		}
		for _, other := range b.st.orgs {
			if other.ID == o.ID {
				return nil, fmt.Errorf("%s: organization_id %q is used twice", where, o.ID)
			}
		}
		b.st.orgs = append(b.st.orgs, o)
	}
	return b.st, nil
}

// conforms checks a seed entry against a request schema of openapi.yaml, naming the places
// that fail and never the values.
func (b *builder) conforms(schema string, v map[string]any, where string) error {
	var generic any
	raw, _ := json.Marshal(v)
	_ = json.Unmarshal(raw, &generic)
	err := b.contract.Doc.Components.Schemas[schema].Value.VisitJSON(generic, openapi3.MultiErrors(), openapi3.VisitAsRequest())
	if err != nil {
		return fmt.Errorf("%s: breaks %s of openapi.yaml: %s", where, schema, strings.Join(contract.Describe(err, ""), "; "))
	}
	return nil
}

func (b *builder) organization(so fixtures.Organization, where string) (*organization, error) {
	o := &organization{ID: so.ID, Name: so.Name, secrets: map[string]*secret{}}
	var err error
	if o.ID == "" {
		if o.ID, err = b.ids.orgID(); err != nil {
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
			if u.ID, err = b.ids.userID(); err != nil {
				return nil, err
			}
		}
		o.users = append(o.users, u)
		for ki, sk := range su.Keys {
			if err := b.key(sk, u, fmt.Sprintf("%s: api key %d (%q)", uwhere, ki+1, sk.Name)); err != nil {
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
		if err := b.conforms("CreateSecretRequest", map[string]any{"secret_name": ss.Name, "secret_value": ss.Value}, swhere); err != nil {
			return nil, err
		}
		if o.secrets[ss.Name] != nil {
			return nil, fmt.Errorf("%s: name is used twice in the organization", swhere)
		}
		tok, err := b.ring.Encrypt([]byte(ss.Value), b.now)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", swhere, err)
		}
		o.secrets[ss.Name] = &secret{Token: tok, CreatedAt: b.now, UpdatedAt: b.now}
	}
	return o, nil
}

func (b *builder) key(sk fixtures.Key, u *user, where string) error {
	req := map[string]any{"name": sk.Name, "description": sk.Description, "permissions": append([]string{}, sk.Permissions...)}
	if sk.ExpiresAt != nil {
		req["expires_at"] = sk.ExpiresAt.UTC().Format(time.RFC3339Nano)
	}
	if err := b.conforms("APIKeyCreateRequest", req, where); err != nil {
		return err
	}
	revoked := sk.Status == statusRevoked
	if sk.Status != "" && sk.Status != statusActive && !revoked {
		return fmt.Errorf("%s: status must be active or revoked (a key expires through expires_at)", where)
	}
	if !revoked && u.nameTaken(sk.Name) {
		return fmt.Errorf("%s: name is already used by a live key", where)
	}
	plaintext := sk.Plaintext
	var err error
	if plaintext == "" {
		if plaintext, err = sensitive.NewKey(b.ids); err != nil {
			return err
		}
	} else if !sensitive.IsKey(plaintext) {
		// Never print the key itself: only its rule.
		return fmt.Errorf("%s: key must be %s", where, sensitive.KeyRule)
	}
	h := sensitive.Hash(plaintext)
	if b.st.byHash[h] != nil {
		return fmt.Errorf("%s: key is the same plaintext as another seeded key", where)
	}
	k := &apiKey{
		Name: sk.Name, Description: sk.Description, Hash: h, Prefix: sensitive.Prefix(plaintext),
		Scopes: []Scope{}, CreatedAt: b.now, ExpiresAt: sk.ExpiresAt, user: u,
	}
	for _, p := range sk.Permissions {
		k.Permissions = append(k.Permissions, permission(p))
	}
	if k.Permissions == nil {
		k.Permissions = []permission{}
	}
	if k.KeyID, err = b.ids.keyID(); err != nil {
		return err
	}
	if k.InternalID, err = b.ids.internalID(); err != nil {
		return err
	}
	if revoked {
		k.revoke(b.now, u.ID)
	}
	u.keys = append(u.keys, k)
	b.st.byHash[h] = k
	return nil
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
