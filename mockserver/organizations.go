package mockserver

import (
	"crypto/rand"
	"strings"

	"github.com/mixpeekkit/mixpeekkit/internal/rules"

	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// Organization is an organization of the mock: its ID (the seed's, or generated), its name,
// and the user who holds its admin-key.
type Organization struct {
	ID, Name, OwnerEmail string
}

// Organizations lists the organizations, in the order they were seeded (or created through
// the control API, POST /_mock/orgs).
func (s *Server) Organizations() []Organization {
	var out []Organization
	for _, o := range s.tenants() {
		out = append(out, Organization{ID: o.ID, Name: o.Name, OwnerEmail: o.OwnerEmail})
	}
	return out
}

// tenant is an organization as the control API lists it (GET /_mock/orgs), and the request
// and answer of POST /_mock/orgs.
type tenant struct {
	ID   string `json:"organization_id"`
	Name string `json:"name"`
	// OwnerEmail is the user who holds the organization's admin-key.
	OwnerEmail string `json:"owner_email"`
	// AdminKey is the admin-key's plaintext: given to createOrganization, and shown once in
	// its answer; empty everywhere else.
	AdminKey string `json:"admin_key,omitempty"`
	// Seeded is true for the seed's organizations, false for created ones.
	Seeded bool `json:"seeded"`
}

// tenants lists the organizations as the control API does.
func (s *Server) tenants() []tenant {
	out := []tenant{}
	_ = s.store.do(func(st *state) error {
		for _, o := range st.orgs {
			sum := tenant{ID: o.ID, Name: o.Name, Seeded: s.store.seeded(o.ID)}
			if k := adminKeyOf(o); k != nil {
				sum.OwnerEmail = k.user.Email
			}
			out = append(out, sum)
		}
		return nil
	})
	return out
}

// createOrganization adds an isolated organization (a tenant: POST /_mock/orgs) with an owner
// and an admin-key, so that parallel test jobs can share one mock without seeing each other.
// Name, OwnerEmail and AdminKey are optional (generated when empty); the other fields are
// ignored. It returns the organization with the admin-key's plaintext, or refuses:
// ErrInvalid for an AdminKey not shaped like a key (control.yaml's pattern), ErrBadRequest for
// an OwnerEmail that is not an email, an AdminKey already in use, or when the mock already
// holds Options.MaxTenants created organizations. A reset of all removes it;
// resetOrganization returns it to how it was created.
func (s *Server) createOrganization(req tenant) (tenant, error) {
	// Checked before anything is drawn from the random source, so a refused request shifts
	// no later ID.
	switch {
	case s.store.created() >= s.maxTenants:
		return tenant{}, errTooManyTenants(s.maxTenants)
	case req.OwnerEmail != "" && !rules.IsEmail(req.OwnerEmail):
		return tenant{}, errBadRequest("owner_email is not an email address", nil)
	case req.AdminKey != "" && !sensitive.IsKey(req.AdminKey):
		return tenant{}, errInvalid("admin_key must be " + sensitive.KeyRule)
	case req.AdminKey != "" && s.store.hashTaken(sensitive.Hash(req.AdminKey)):
		return tenant{}, errBadRequest("admin_key is already a key of another organization (now or after a reset)", nil)
	}
	// Every rule of the new organization is checked on a dry run, with stand-ins for what is
	// generated, before anything is drawn from the random source.
	dry := tenantSeed(req, "org_dryrun000000000", sensitive.KeyFrom("dry run"))
	if _, err := build(fixtures.SeedOf(dry), s.contract, s.ring, &idGen{src: rand.Reader}, s.now()); err != nil {
		return tenant{}, errBadRequest(err.Error(), nil)
	}
	id, err := s.ids.orgID()
	if err != nil {
		return tenant{}, err
	}
	key := req.AdminKey
	if key == "" {
		if key, err = sensitive.NewKey(s.ids); err != nil {
			return tenant{}, err
		}
	}
	org := tenantSeed(req, id, key)
	built, err := build(fixtures.SeedOf(org), s.contract, s.ring, s.ids, s.now())
	if err != nil {
		return tenant{}, errBadRequest(err.Error(), nil)
	}
	if err := s.store.addOrg(built.orgs[0], s.maxTenants); err != nil {
		return tenant{}, err
	}
	return tenant{ID: id, Name: org.Name, OwnerEmail: org.OwnerEmail(), AdminKey: org.AdminKey()}, nil
}

// tenantSeed is the organization createOrganization makes of req, with the ID id and, when
// req gives none, the admin key key. A name and an owner not given follow from the ID.
func tenantSeed(req tenant, id, key string) fixtures.Organization {
	if req.Name == "" {
		req.Name = "Tenant " + id[len(id)-6:]
	}
	if req.OwnerEmail == "" {
		req.OwnerEmail = "owner@" + strings.ToLower(strings.TrimPrefix(id, "org_")) + ".example.com"
	}
	if req.AdminKey == "" {
		req.AdminKey = key
	}
	org := fixtures.Org(req.Name, req.OwnerEmail, req.AdminKey)
	org.ID = id
	return org
}

// deleteOrganization removes an organization (DELETE /_mock/orgs/{id}; ErrNotFound when there
// is none of that ID). A seeded one comes back with Reset or resetOrganization.
func (s *Server) deleteOrganization(id string) error {
	s.epoch.Lock()
	defer s.epoch.Unlock()
	if err := s.store.deleteOrg(id); err != nil {
		return err
	}
	s.forgetRecording(id)
	return nil
}

// resetOrganization returns one organization to how it was seeded or created (POST
// /_mock/orgs/{id}/reset; a deleted seeded one comes back). It refuses with ErrNotFound for an
// ID it never had, and with ErrBadRequest when a key it would restore is now a key of another
// organization.
func (s *Server) resetOrganization(id string) error {
	s.epoch.Lock()
	defer s.epoch.Unlock()
	if err := s.store.resetOrg(id); err != nil {
		return err
	}
	s.resetRecording(id)
	return nil
}

// Reset returns the whole mock to its start (POST /_mock/reset): every organization to the
// seed data (created ones are removed), no faults (their IDs start again at flt_1), an empty
// journal, and the clock back to its source. The random source of IDs is not rewound.
func (s *Server) Reset() {
	s.epoch.Lock()
	defer s.epoch.Unlock()
	s.store.reset()
	s.resetRecordings()
	s.faults.reset()
	s.journal.clear()
	s.lax.Clear()
	s.clockMu.Lock()
	s.clockOffset = 0
	s.clockMu.Unlock()
}

// APIKeys lists the API keys of a user of an organization, revoked ones included, in the
// order they were created (ErrNotFound for an unknown organization or user).
func (s *Server) APIKeys(orgID, email string) ([]APIKey, error) {
	now := s.now()
	var out []APIKey
	err := s.store.inOrg(orgID, func(_ *state, org *organization) error {
		u := org.user(email)
		if u == nil {
			return errUserNotFound(email)
		}
		for _, k := range u.keys {
			out = append(out, k.model(now))
		}
		return nil
	})
	return out, err
}

// SecretNames lists the names of an organization's secrets in byte order (ErrNotFound for an
// unknown organization).
func (s *Server) SecretNames(orgID string) ([]string, error) {
	var out []string
	err := s.store.inOrg(orgID, func(_ *state, org *organization) error {
		out = org.sortedSecretNames()
		return nil
	})
	return out, err
}

// SecretValue decrypts a stored secret of an organization (ErrNotFound for an unknown
// organization or secret): the only way to read a plaintext value, and only in-process, since
// no endpoint shows one.
func (s *Server) SecretValue(orgID, name string) (string, error) {
	var tok []byte
	err := s.store.inOrg(orgID, func(_ *state, org *organization) error {
		if sec := org.secrets[name]; sec != nil {
			tok = sec.Token
			return nil
		}
		return errSecretNotFound(name)
	})
	if err != nil {
		return "", err
	}
	v, err := s.ring.Decrypt(tok)
	if err != nil {
		return "", err
	}
	return string(v), nil
}
