package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/rules"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/keyring"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// builder turns a seed into a state. Shape rules (lengths, enums) are checked against
// openapi.yaml's request schemas; the rules a schema cannot express (email shape, uniqueness,
// the admin-key) are checked here.
type builder struct {
	st       *state
	ring     *keyring.Ring
	ids      *idGen
	now      time.Time
	contract *contract.Contract
	seed     fixtures.Seed // for naming the entry of an error
}

// problem is the error that the member at pointer breaks rule: a *rules.Problem that
// names the entry, which fixtures.File.Locate places in the file the data came from.
func (b *builder) problem(pointer, rule string, args ...any) error {
	return rules.Of(b.seed, pointer, fmt.Sprintf(rule, args...))
}

// build turns the seed into a state, or says which entry breaks which rule. It encrypts every
// secret value with the ring and keeps only the token.
func build(seed fixtures.Seed, c *contract.Contract, ring *keyring.Ring, ids *idGen, now time.Time) (*state, error) {
	b := &builder{st: &state{byHash: map[string]*apiKey{}}, ring: ring, ids: ids, now: now, contract: c, seed: seed}
	if len(seed.Organizations) == 0 {
		return nil, b.problem("/organizations", "must list at least one organization")
	}
	for oi, so := range seed.Organizations {
		where := fmt.Sprintf("/organizations/%d", oi)
		o, err := b.organization(so, where)
		if err != nil {
			return nil, err
		}
		for _, other := range b.st.orgs {
			if other.ID == o.ID {
				return nil, b.problem(where+"/organization_id", "is used by another organization")
			}
		}
		b.st.orgs = append(b.st.orgs, o)
	}
	return b.st, nil
}

// conforms checks a seed entry against a request schema of openapi.yaml and reports the first
// member that fails, by its name in the file (fields maps a request member to the file's
// member where they differ), in plain words and never with the value.
func (b *builder) conforms(schema string, v map[string]any, where string, fields map[string]string) error {
	var generic any
	raw, _ := json.Marshal(v)
	_ = json.Unmarshal(raw, &generic)
	err := b.contract.Doc.Components.Schemas[schema].Value.VisitJSON(generic, openapi3.MultiErrors(), openapi3.VisitAsRequest())
	for _, e := range contract.Flatten(err) {
		var se *openapi3.SchemaError
		if !errors.As(e, &se) {
			continue
		}
		l := contract.LeafOf(se)
		ptr := where
		for i, seg := range l.Pointer {
			if f, ok := fields[seg]; ok && i == 0 {
				seg = f
			}
			ptr += "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(seg)
		}
		return b.problem(ptr, "%s", contract.Rule(l))
	}
	if err != nil {
		return b.problem(where, "breaks %s of openapi.yaml", schema)
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
		return nil, b.problem(where+"/name", "must not be empty")
	}
	for ui, su := range so.Users {
		uwhere := fmt.Sprintf("%s/users/%d", where, ui)
		if !rules.IsEmail(su.Email) {
			return nil, b.problem(uwhere+"/email", "is not an email address")
		}
		if o.user(su.Email) != nil {
			return nil, b.problem(uwhere+"/email", "is used twice in the organization")
		}
		u := &user{ID: su.ID, Email: su.Email, org: o}
		if u.ID == "" {
			if u.ID, err = b.ids.userID(); err != nil {
				return nil, err
			}
		}
		o.users = append(o.users, u)
		for ki, sk := range su.Keys {
			if err := b.key(sk, u, fmt.Sprintf("%s/api_keys/%d", uwhere, ki)); err != nil {
				return nil, err
			}
		}
	}
	admin := adminKeyOf(o)
	if admin == nil || admin.RevokedAt != nil {
		return nil, b.problem(where, "has no live key named %q (every organization needs one, with the admin permission)", adminKeyName)
	}
	if !slices.Contains(admin.Permissions, permAdmin) {
		return nil, b.problem(where, "the %s lacks the admin permission", adminKeyName)
	}
	for si, ss := range so.Secrets {
		swhere := fmt.Sprintf("%s/secrets/%d", where, si)
		if err := b.conforms("CreateSecretRequest", map[string]any{"secret_name": ss.Name, "secret_value": ss.Value}, swhere,
			map[string]string{"secret_name": "name", "secret_value": "value"}); err != nil {
			return nil, err
		}
		if o.secrets[ss.Name] != nil {
			return nil, b.problem(swhere+"/name", "is used twice in the organization")
		}
		tok, err := b.ring.Encrypt([]byte(ss.Value), b.now)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.problem(swhere, "cannot be encrypted"), err)
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
	if err := b.conforms("APIKeyCreateRequest", req, where, nil); err != nil {
		return err
	}
	revoked := sk.Status == statusRevoked
	if sk.Status != "" && sk.Status != statusActive && !revoked {
		return b.problem(where+"/status", "must be active or revoked (a key expires through expires_at)")
	}
	if !revoked && u.nameTaken(sk.Name) {
		return b.problem(where+"/name", "is already used by a live key")
	}
	plaintext := sk.Plaintext
	var err error
	if plaintext == "" {
		if plaintext, err = sensitive.NewKey(b.ids); err != nil {
			return err
		}
	} else if !sensitive.IsKey(plaintext) {
		// Never print the key itself: only its rule.
		return b.problem(where+"/key", "must be %s", sensitive.KeyRule)
	}
	h := sensitive.Hash(plaintext)
	if b.st.byHash[h] != nil {
		return b.problem(where+"/key", "is the same plaintext as another seeded key")
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
	u.addKey(k)
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
