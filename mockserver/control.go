package mockserver

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// controlPrefix is where the control API lives, outside the contract.
const controlPrefix = "/_mock"

// controlOperations is the table of the control API (control.yaml): the only place a success
// status of it is chosen.
func controlOperations() []*operation {
	const p = controlPrefix
	ok, created := http.StatusOK, http.StatusCreated
	ops := []*operation{
		{id: "mock_health", method: http.MethodGet, path: p + "/health", success: ok, handle: (*Server).ctlHealth, open: true},
		{id: "mock_openapi", method: http.MethodGet, path: p + "/openapi.yaml", success: ok, handle: (*Server).ctlOpenAPI, open: true},
		{id: "mock_reset", method: http.MethodPost, path: p + "/reset", success: ok, handle: (*Server).ctlReset},
		{id: "mock_state", method: http.MethodGet, path: p + "/state", success: ok, handle: (*Server).ctlState},
		{id: "mock_list_orgs", method: http.MethodGet, path: p + "/orgs", success: ok, handle: (*Server).ctlListOrgs},
		{id: "mock_create_org", method: http.MethodPost, path: p + "/orgs", success: created, handle: (*Server).ctlCreateOrg},
		{id: "mock_delete_org", method: http.MethodDelete, path: p + "/orgs/{organization_id}", success: ok, handle: (*Server).ctlDeleteOrg},
		{id: "mock_reset_org", method: http.MethodPost, path: p + "/orgs/{organization_id}/reset", success: ok, handle: (*Server).ctlResetOrg},
		{id: "mock_list_requests", method: http.MethodGet, path: p + "/requests", success: ok, handle: (*Server).ctlListRequests},
		{id: "mock_clear_requests", method: http.MethodDelete, path: p + "/requests", success: ok, handle: (*Server).ctlClearRequests},
		{id: "mock_list_faults", method: http.MethodGet, path: p + "/faults", success: ok, handle: (*Server).ctlListFaults},
		{id: "mock_create_fault", method: http.MethodPost, path: p + "/faults", success: created, handle: (*Server).ctlCreateFault},
		{id: "mock_clear_faults", method: http.MethodDelete, path: p + "/faults", success: ok, handle: (*Server).ctlClearFaults},
		{id: "mock_delete_fault", method: http.MethodDelete, path: p + "/faults/{fault_id}", success: ok, handle: (*Server).ctlDeleteFault},
		{id: "mock_get_clock", method: http.MethodGet, path: p + "/clock", success: ok, handle: (*Server).ctlGetClock},
		{id: "mock_set_clock", method: http.MethodPost, path: p + "/clock", success: ok, handle: (*Server).ctlSetClock},
	}
	for _, op := range ops {
		op.control = true
	}
	return ops
}

// rawAnswer is an answer that is not JSON (the control API's YAML document).
type rawAnswer struct {
	contentType string
	data        []byte
}

func (s *Server) ctlHealth(*call) (any, error) { return map[string]string{"status": "ok"}, nil }

func (s *Server) ctlOpenAPI(*call) (any, error) {
	return rawAnswer{contentType: "application/yaml", data: controlDocument}, nil
}

func (s *Server) ctlReset(*call) (any, error) {
	s.Reset()
	return map[string]bool{"reset": true}, nil
}

func (s *Server) ctlState(*call) (any, error) { return s.State(), nil }

// OrganizationSummary is an organization as the control API lists it.
type OrganizationSummary struct {
	ID         string `json:"organization_id"`
	Name       string `json:"name"`
	OwnerEmail string `json:"owner_email"`
	Seeded     bool   `json:"seeded"`
}

// Organizations lists the organizations, seeded ones first.
func (s *Server) Organizations() []OrganizationSummary {
	out := []OrganizationSummary{}
	_ = s.store.do(func(st *state) error {
		for _, o := range st.orgs {
			sum := OrganizationSummary{ID: o.ID, Name: o.Name, Seeded: s.store.seeded(o.ID)}
			if k := adminKeyOf(o); k != nil {
				sum.OwnerEmail = k.user.Email
			}
			out = append(out, sum)
		}
		return nil
	})
	return out
}

func (s *Server) ctlListOrgs(*call) (any, error) {
	return map[string]any{"organizations": s.Organizations()}, nil
}

// NewOrganization is what CreateOrganization needs; every field is optional.
type NewOrganization struct {
	Name       string `json:"name"`
	OwnerEmail string `json:"owner_email"`
	AdminKey   string `json:"admin_key"`
}

// CreatedOrganization is a new organization and the plaintext of its admin-key, shown once.
type CreatedOrganization struct {
	ID         string `json:"organization_id"`
	Name       string `json:"name"`
	OwnerEmail string `json:"owner_email"`
	AdminKey   string `json:"admin_key"`
}

// CreateOrganization adds an isolated organization (a tenant) with an owner and an admin-key,
// so that parallel test jobs can share one mock without seeing each other. A reset of all
// removes it; a reset of it returns it to how it was created.
func (s *Server) CreateOrganization(req NewOrganization) (CreatedOrganization, error) {
	// Checked before anything is drawn from the random source, so a refused request shifts
	// no later ID.
	switch {
	case req.OwnerEmail != "" && !emailRE.MatchString(req.OwnerEmail):
		return CreatedOrganization{}, errBadRequest("owner_email is not an email address", nil)
	case req.AdminKey != "" && !ValidKeyMaterial(req.AdminKey):
		return CreatedOrganization{}, errBadRequest(`admin_key must be "sk_" followed by at least 40 characters of A-Z a-z 0-9 _ -`, nil)
	case req.AdminKey != "" && s.store.hashTaken(hashKey(req.AdminKey)):
		return CreatedOrganization{}, errBadRequest("admin_key is already a key of another organization (now or after a reset)", nil)
	}
	id, err := s.ids.orgID()
	if err != nil {
		return CreatedOrganization{}, err
	}
	if req.Name == "" {
		req.Name = "Tenant " + id[len(id)-6:]
	}
	if req.OwnerEmail == "" {
		req.OwnerEmail = "owner@" + strings.ToLower(strings.TrimPrefix(id, "org_")) + ".example.com"
	}
	if req.AdminKey == "" {
		if req.AdminKey, err = s.ids.apiKeyMaterial(); err != nil {
			return CreatedOrganization{}, err
		}
	}
	seed := Seed{Organizations: []SeedOrganization{{ID: id, Name: req.Name, Users: []SeedUser{{Email: req.OwnerEmail,
		Keys: []SeedKey{{Name: adminKeyName, Key: req.AdminKey, Description: "Protected administrator key of the organization", Permissions: []string{string(permAdmin)}}}}}}}}
	built, err := seed.build(s.contract, s.ring, s.ids, s.now())
	if err != nil {
		return CreatedOrganization{}, errBadRequest(strings.TrimPrefix(err.Error(), "seed: "), nil)
	}
	if err := s.store.addOrg(built.orgs[0]); err != nil {
		return CreatedOrganization{}, err
	}
	return CreatedOrganization{ID: id, Name: req.Name, OwnerEmail: req.OwnerEmail, AdminKey: req.AdminKey}, nil
}

func (s *Server) ctlCreateOrg(c *call) (any, error) {
	var req NewOrganization
	if len(c.body) > 0 {
		if err := decodeBody(c, &req); err != nil {
			return nil, err
		}
	}
	return s.CreateOrganization(req)
}

func (s *Server) ctlDeleteOrg(c *call) (any, error) {
	id := c.vars["organization_id"]
	if !s.store.deleteOrg(id) {
		return nil, errOrgNotFound(id)
	}
	return map[string]bool{"deleted": true}, nil
}

// ResetOrganization returns one organization to how it was seeded or created.
func (s *Server) ResetOrganization(id string) error { return s.store.resetOrg(id) }

func (s *Server) ctlResetOrg(c *call) (any, error) {
	if err := s.ResetOrganization(c.vars["organization_id"]); err != nil {
		return nil, err
	}
	return map[string]bool{"reset": true}, nil
}

// Requests returns the journal's entries that match f, oldest first.
func (s *Server) Requests(f JournalFilter) []JournalEntry {
	entries, _, _ := s.journal.list(f)
	return entries
}

// ClearRequests empties the journal.
func (s *Server) ClearRequests() { s.journal.clear() }

func (s *Server) ctlListRequests(c *call) (any, error) {
	q := c.r.URL.Query()
	f := JournalFilter{Method: q.Get("method"), OperationID: q.Get("operation_id"), OrganizationID: q.Get("organization_id"),
		KeyName: q.Get("key_name"), PathPrefix: q.Get("path_prefix")}
	// control.yaml has checked that these are integers.
	f.Status, _ = strconv.Atoi(q.Get("status"))
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	entries, total, dropped := s.journal.list(f)
	return struct {
		Entries []JournalEntry `json:"entries"`
		Total   int            `json:"total"`
		Dropped int            `json:"dropped"`
	}{entries, total, dropped}, nil
}

func (s *Server) ctlClearRequests(*call) (any, error) {
	return map[string]int{"cleared": s.journal.clear()}, nil
}

// Faults lists the installed faults; ClearFaults removes them all.
func (s *Server) Faults() []Fault { return s.faults.list() }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.clear() }

func (s *Server) ctlListFaults(*call) (any, error) {
	return map[string]any{"faults": s.faults.list()}, nil
}

func (s *Server) ctlCreateFault(c *call) (any, error) {
	var req FaultSpec
	if err := decodeBody(c, &req); err != nil {
		return nil, err
	}
	return s.AddFault(req)
}

func (s *Server) ctlClearFaults(*call) (any, error) {
	return map[string]int{"cleared": s.faults.clear()}, nil
}

func (s *Server) ctlDeleteFault(c *call) (any, error) {
	id := c.vars["fault_id"]
	if !s.faults.remove(id) {
		return nil, &apiError{kind: kindNotFound, message: fmt.Sprintf("fault %q not found", id),
			details: map[string]any{"resource": "fault", "fault_id": id}}
	}
	return map[string]bool{"deleted": true}, nil
}

func (s *Server) ctlGetClock(*call) (any, error) {
	return map[string]string{"now": timestamp(s.now())}, nil
}

type clockRequest struct {
	Advance string     `json:"advance"`
	Set     *time.Time `json:"set"`
}

func (s *Server) ctlSetClock(c *call) (any, error) {
	var req clockRequest
	if err := decodeBody(c, &req); err != nil {
		return nil, err
	}
	switch {
	case (req.Advance == "") == (req.Set == nil):
		return nil, errBadRequest("give exactly one of advance and set", nil)
	case req.Set != nil:
		if err := s.SetClock(*req.Set); err != nil {
			return nil, err
		}
	default:
		d, err := time.ParseDuration(req.Advance)
		if err != nil || d < 0 {
			return nil, errBadRequest("advance must be a non-negative Go duration such as 90m or 24h", nil)
		}
		if err := s.AdvanceClock(d); err != nil {
			return nil, err
		}
	}
	return map[string]string{"now": timestamp(s.now())}, nil
}

// SecretValue decrypts a stored secret of an organization: the only place a plaintext value
// can be read, and only in-process (no endpoint shows one).
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
		var e *apiError
		if errors.As(err, &e) && e.kind == kindUnauthorized {
			return "", errOrgNotFound(orgID)
		}
		return "", err
	}
	v, err := s.ring.Decrypt(tok)
	if err != nil {
		return "", err
	}
	return string(v), nil
}

// State is what /_mock/state shows: everything the store keeps, which is never a plaintext.
type State struct {
	Organizations []OrganizationState `json:"organizations"`
}

// OrganizationState is one organization: its users with their keys, and its secrets.
type OrganizationState struct {
	ID      string        `json:"organization_id"`
	Name    string        `json:"name"`
	Users   []UserState   `json:"users"`
	Secrets []SecretState `json:"secrets"`
}

// UserState is a user with every key, revoked ones included, as APIKeyModel JSON.
type UserState struct {
	ID      string   `json:"user_id"`
	Email   string   `json:"email"`
	APIKeys []APIKey `json:"api_keys"`
}

// SecretState is a stored secret: its name and Fernet token.
type SecretState struct {
	Name      string `json:"secret_name"`
	Token     string `json:"token"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// State returns a copy of what the store holds now.
func (s *Server) State() State {
	now := s.now()
	out := State{Organizations: []OrganizationState{}}
	_ = s.store.do(func(st *state) error {
		for _, o := range st.orgs {
			os := OrganizationState{ID: o.ID, Name: o.Name, Users: []UserState{}, Secrets: []SecretState{}}
			for _, u := range o.users {
				us := UserState{ID: u.ID, Email: u.Email, APIKeys: []APIKey{}}
				for _, k := range u.keys {
					us.APIKeys = append(us.APIKeys, k.model(now))
				}
				os.Users = append(os.Users, us)
			}
			for _, name := range o.sortedSecretNames() {
				sec := o.secrets[name]
				os.Secrets = append(os.Secrets, SecretState{Name: name, Token: string(sec.Token),
					CreatedAt: timestamp(sec.CreatedAt), UpdatedAt: timestamp(sec.UpdatedAt)})
			}
			out.Organizations = append(out.Organizations, os)
		}
		return nil
	})
	return out
}
