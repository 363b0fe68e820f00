package mockserver

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit"
)

// controlPrefix is where the control API lives, outside the contract.
const controlPrefix = "/_mock"

// controlOperations is the table of the control API, by the operationIds of control.yaml
// (their method and path from it): the only place a success status of it is chosen. Each
// handler reads the request and calls the Server method that does the same in Go, where there
// is one.
func controlOperations() []*operation {
	ok, created := http.StatusOK, http.StatusCreated
	op := func(id string, success int, handle func(*Server, *call) (any, error)) *operation {
		return &operation{id: id, success: success, handle: handle, control: true}
	}
	ops := []*operation{
		op("mock_health", ok, (*Server).ctlHealth),
		op("mock_openapi", ok, (*Server).ctlOpenAPI),
		op("mock_reset", ok, (*Server).ctlReset),
		op("mock_state", ok, (*Server).ctlState),
		op("mock_list_orgs", ok, (*Server).ctlListOrgs),
		op("mock_create_org", created, (*Server).ctlCreateOrg),
		op("mock_delete_org", ok, (*Server).ctlDeleteOrg),
		op("mock_reset_org", ok, (*Server).ctlResetOrg),
		op("mock_list_requests", ok, (*Server).ctlListRequests),
		op("mock_clear_requests", ok, (*Server).ctlClearRequests),
		op("mock_list_faults", ok, (*Server).ctlListFaults),
		op("mock_create_fault", created, (*Server).ctlCreateFault),
		op("mock_clear_faults", ok, (*Server).ctlClearFaults),
		op("mock_delete_fault", ok, (*Server).ctlDeleteFault),
		op("mock_get_clock", ok, (*Server).ctlGetClock),
		op("mock_set_clock", ok, (*Server).ctlSetClock),
		op("mock_get_recording", ok, (*Server).ctlGetRecording),
		op("mock_list_violations", ok, (*Server).ctlListViolations),
		op("mock_clear_violations", ok, (*Server).ctlClearViolations),
	}
	ops[0].open, ops[1].open = true, true // health and the document need no control token
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

func (s *Server) ctlState(*call) (any, error) { return s.snapshot(), nil }

func (s *Server) ctlListOrgs(*call) (any, error) {
	return map[string]any{"organizations": s.tenants()}, nil
}

func (s *Server) ctlCreateOrg(c *call) (any, error) {
	var req tenant
	if len(c.body) > 0 {
		if err := decodeBody(c, &req); err != nil {
			return nil, err
		}
	}
	o, err := s.createOrganization(req)
	if err != nil {
		return nil, err
	}
	// control.yaml's CreatedOrganization: no "seeded" (a created organization never is).
	return struct {
		ID         string `json:"organization_id"`
		Name       string `json:"name"`
		OwnerEmail string `json:"owner_email"`
		AdminKey   string `json:"admin_key"`
	}{o.ID, o.Name, o.OwnerEmail, o.AdminKey}, nil
}

func (s *Server) ctlDeleteOrg(c *call) (any, error) {
	if err := s.deleteOrganization(c.vars["organization_id"]); err != nil {
		return nil, err
	}
	return map[string]bool{"deleted": true}, nil
}

func (s *Server) ctlResetOrg(c *call) (any, error) {
	if err := s.resetOrganization(c.vars["organization_id"]); err != nil {
		return nil, err
	}
	return map[string]bool{"reset": true}, nil
}

func (s *Server) ctlGetRecording(c *call) (any, error) {
	id := c.r.URL.Query().Get("organization_id")
	if id == "" {
		orgs := s.Organizations()
		if len(orgs) == 0 {
			return nil, errOrgNotFound("(none: the mock has no organization)")
		}
		id = orgs[0].ID
	}
	return s.recordingOf(id)
}

func (s *Server) ctlListRequests(c *call) (any, error) {
	f, err := parseJournalFilter(c.r.URL.Query())
	if err != nil {
		return nil, err
	}
	entries, total, dropped := s.journal.list(f)
	return struct {
		Entries []JournalEntry `json:"entries"`
		Total   int            `json:"total"`
		Dropped int            `json:"dropped"`
	}{entries, total, dropped}, nil
}

// journalFilter reads GET /_mock/requests' query. control.yaml has checked the types; a filter
// it does not name, or a value that could select nothing by mistake, is refused by name.
func parseJournalFilter(q url.Values) (journalFilter, error) {
	known := []string{"method", "operation_id", "status", "organization_id", "key_name", "path_prefix", "limit"}
	for name := range q {
		if !slices.Contains(known, name) {
			return journalFilter{}, errBadRequest(fmt.Sprintf("unknown filter %q: the filters are %s", name, strings.Join(known, ", ")), map[string]any{"filter": name})
		}
	}
	f := journalFilter{Method: q.Get("method"), OperationID: mixpeekkit.OperationID(q.Get("operation_id")),
		OrganizationID: q.Get("organization_id"), KeyName: q.Get("key_name"), PathPrefix: q.Get("path_prefix")}
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	bad := func(name, why string) (journalFilter, error) {
		return journalFilter{}, errBadRequest(fmt.Sprintf("filter %s=%q %s", name, q.Get(name), why), map[string]any{"filter": name})
	}
	if f.Method != "" && !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, strings.ToUpper(f.Method)) {
		return bad("method", "is not a method of the API: GET, POST, PUT, PATCH or DELETE")
	}
	if f.OperationID != "" && !slices.Contains(mixpeekkit.Operations(), f.OperationID) {
		return bad("operation_id", "is not an operation of openapi.yaml (the control API is not journaled)")
	}
	if q.Has("status") {
		status, _ := strconv.Atoi(q.Get("status"))
		switch {
		case status == 0:
			f.Status = statusClosed
		case status < 100 || status > 599:
			return bad("status", "is not an HTTP status (0 selects closed connections)")
		default:
			f.Status = status
		}
	}
	return f, nil
}

func (s *Server) ctlClearRequests(*call) (any, error) {
	return map[string]int{"cleared": s.ClearRequests()}, nil
}

// ctlListViolations lists the requests the mock accepted only by reading them as pydantic's
// lax mode does (rule lax-coercion), in the validating proxy's shape.
func (s *Server) ctlListViolations(*call) (any, error) { return s.lax.Listing(), nil }

func (s *Server) ctlClearViolations(*call) (any, error) {
	n := s.lax.Total()
	s.lax.Clear()
	return map[string]int{"cleared": n}, nil
}

func (s *Server) ctlListFaults(*call) (any, error) {
	return map[string]any{"faults": s.Faults()}, nil
}

func (s *Server) ctlCreateFault(c *call) (any, error) {
	var req Fault
	if err := decodeBody(c, &req); err != nil {
		return nil, err
	}
	return s.AddFault(req)
}

func (s *Server) ctlClearFaults(*call) (any, error) {
	return map[string]int{"cleared": s.clearFaults()}, nil
}

func (s *Server) ctlDeleteFault(c *call) (any, error) {
	if err := s.RemoveFault(c.vars["fault_id"]); err != nil {
		return nil, err
	}
	return map[string]bool{"deleted": true}, nil
}

func (s *Server) ctlGetClock(*call) (any, error) {
	return map[string]time.Time{"now": s.Now()}, nil
}

func (s *Server) ctlSetClock(c *call) (any, error) {
	var req struct {
		Advance string   `json:"advance"`
		Set     *instant `json:"set"`
	}
	if err := decodeBody(c, &req); err != nil {
		return nil, err
	}
	switch {
	case (req.Advance == "") == (req.Set == nil):
		return nil, errBadRequest("give exactly one of advance and set", nil)
	case req.Set != nil:
		if err := s.SetClock(req.Set.Time); err != nil {
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
	return map[string]time.Time{"now": s.Now()}, nil
}

// snapshot is what GET /_mock/state shows: everything the store keeps, which is never a
// plaintext (keys as APIKeyModel, secrets as Fernet tokens). It holds the store's lock only to
// copy references (see copyState), so a large state does not stall the API meanwhile.
func (s *Server) snapshot() any {
	type secretState struct {
		Name      string    `json:"secret_name"`
		Token     string    `json:"token"`
		CreatedAt time.Time `json:"created_at"`
		UpdatedAt time.Time `json:"updated_at"`
	}
	type userState struct {
		ID      string   `json:"user_id"`
		Email   string   `json:"email"`
		APIKeys []APIKey `json:"api_keys"`
	}
	type orgState struct {
		ID      string        `json:"organization_id"`
		Name    string        `json:"name"`
		Users   []userState   `json:"users"`
		Secrets []secretState `json:"secrets"`
	}
	now := s.now()
	orgs := []orgState{}
	for _, o := range s.copyState() {
		os := orgState{ID: o.ID, Name: o.Name, Users: []userState{}, Secrets: []secretState{}}
		for _, u := range o.users {
			us := userState{ID: u.ID, Email: u.Email, APIKeys: []APIKey{}}
			for _, k := range u.keys {
				us.APIKeys = append(us.APIKeys, k.model(now))
			}
			os.Users = append(os.Users, us)
		}
		slices.SortFunc(o.secrets, func(a, b namedSecret) int { return strings.Compare(a.name, b.name) })
		for _, sec := range o.secrets {
			os.Secrets = append(os.Secrets, secretState{sec.name, string(sec.Token), sec.CreatedAt, sec.UpdatedAt})
		}
		orgs = append(orgs, os)
	}
	return map[string]any{"organizations": orgs}
}

// orgCopy is an organization as copyState takes it: what can change is copied (users, keys),
// what never changes once stored is shared (a *secret is replaced, never written).
type orgCopy struct {
	ID, Name string
	users    []user
	secrets  []namedSecret
}

type namedSecret struct {
	name string
	*secret
}

// copyState copies, under the store's lock, what snapshot renders outside it.
func (s *Server) copyState() []orgCopy {
	var out []orgCopy
	_ = s.store.do(func(st *state) error {
		for _, o := range st.orgs {
			c := orgCopy{ID: o.ID, Name: o.Name, secrets: make([]namedSecret, 0, len(o.secrets))}
			for _, u := range o.users {
				cu := user{ID: u.ID, Email: u.Email, org: o}
				for _, k := range u.keys {
					cu.keys = append(cu.keys, k.clone()) // its user pointer stays: IDs never change
				}
				c.users = append(c.users, cu)
			}
			for name, sec := range o.secrets {
				c.secrets = append(c.secrets, namedSecret{name, sec})
			}
			out = append(out, c)
		}
		return nil
	})
	return out
}
