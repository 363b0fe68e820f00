package mockserver

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/contract"
)

// Fault is a rule that makes the mock misbehave on purpose for the matching calls: answer an
// error status, add latency, or close the connection. A status or closed-connection fault
// answers before the operation runs, so it changes no state. Faults apply to authenticated
// calls of the 9 operations (a call refused with 401 meets no fault).
type Fault struct {
	ID              string  `json:"fault_id"`
	Method          string  `json:"method,omitempty"`
	Path            string  `json:"path,omitempty"`
	OperationID     string  `json:"operation_id,omitempty"`
	OrganizationID  string  `json:"organization_id,omitempty"`
	KeyName         string  `json:"key_name,omitempty"`
	Status          int     `json:"status,omitempty"`
	LatencyMS       int     `json:"latency_ms,omitempty"`
	JitterMS        int     `json:"jitter_ms,omitempty"`
	CloseConnection bool    `json:"close_connection,omitempty"`
	Times           int     `json:"times"`
	Probability     float64 `json:"probability"`
	Hits            int     `json:"hits"`
}

// FaultSpec is a fault to install: what to match (method, path pattern, operation ID,
// organization, calling key's name; all optional, none matches every call) and what to do
// (status, latency, close_connection). Times 0 means always; Probability 0 means 1. The rules
// of control.yaml's FaultRequest apply to Go and HTTP alike.
type FaultSpec struct {
	Method          string  `json:"method,omitempty"`
	Path            string  `json:"path,omitempty"`
	OperationID     string  `json:"operation_id,omitempty"`
	OrganizationID  string  `json:"organization_id,omitempty"`
	KeyName         string  `json:"key_name,omitempty"`
	Status          int     `json:"status,omitempty"`
	LatencyMS       int     `json:"latency_ms,omitempty"`
	JitterMS        int     `json:"jitter_ms,omitempty"`
	CloseConnection bool    `json:"close_connection,omitempty"`
	Times           int     `json:"times,omitempty"`
	Probability     float64 `json:"probability,omitempty"`
}

type faults struct {
	mu    sync.Mutex
	rules []*Fault
	n     int
	// dice decides probabilities: a source of its own, so faults never shift the IDs and keys
	// of a seeded Rand. Its fixed seed makes a run's coin flips repeatable.
	dice *rand.Rand
}

func newFaults() *faults { return &faults{dice: rand.New(rand.NewPCG(1, 2))} }

// AddFault installs a fault, or says why it could never apply.
func (s *Server) AddFault(spec FaultSpec) (Fault, error) {
	if spec.Probability == 0 {
		spec.Probability = 1
	}
	// The same rules as over HTTP: control.yaml's FaultRequest.
	var generic any
	raw, _ := json.Marshal(spec)
	_ = json.Unmarshal(raw, &generic)
	if err := s.control.Doc.Components.Schemas["FaultRequest"].Value.VisitJSON(generic); err != nil {
		return Fault{}, errBadRequest("the fault breaks FaultRequest of control.yaml: "+strings.Join(contract.Describe(err, ""), "; "), nil)
	}
	if spec.Status == 0 && spec.LatencyMS == 0 && spec.JitterMS == 0 && !spec.CloseConnection {
		return Fault{}, errBadRequest("a fault needs an action: status, latency_ms, jitter_ms or close_connection", nil)
	}
	if spec.Path != "" {
		if _, err := path.Match(spec.Path, "/"); err != nil {
			return Fault{}, errBadRequest("path is not a valid pattern (Go's path.Match syntax)", map[string]any{"path": spec.Path})
		}
	}
	if spec.OperationID != "" {
		route := s.contract.Route(spec.OperationID)
		switch {
		case route == nil:
			return Fault{}, errBadRequest(fmt.Sprintf("operation %q is not in openapi.yaml", spec.OperationID), map[string]any{"operation_id": spec.OperationID})
		case spec.Status != 0 && route.Operation.Responses.Status(spec.Status) == nil:
			return Fault{}, errBadRequest(fmt.Sprintf("operation %q does not declare %d", spec.OperationID, spec.Status), map[string]any{"operation_id": spec.OperationID, "status": spec.Status})
		}
	}
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	rule := &Fault{ID: fmt.Sprintf("flt_%d", f.n), Method: spec.Method, Path: spec.Path, OperationID: spec.OperationID,
		OrganizationID: spec.OrganizationID, KeyName: spec.KeyName, Status: spec.Status, LatencyMS: spec.LatencyMS,
		JitterMS: spec.JitterMS, CloseConnection: spec.CloseConnection, Times: spec.Times, Probability: spec.Probability}
	f.rules = append(f.rules, rule)
	return *rule, nil
}

func (f *faults) list() []Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Fault, 0, len(f.rules))
	for _, r := range f.rules {
		out = append(out, *r)
	}
	return out
}

func (f *faults) remove(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.rules {
		if r.ID == id {
			f.rules = append(f.rules[:i], f.rules[i+1:]...)
			return true
		}
	}
	return false
}

func (f *faults) clear() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.rules)
	f.rules = nil
	return n
}

// faultHit is what the matching rules of one call add up to: the latency of them all, and the
// status or closed connection of the first that has one.
type faultHit struct {
	ID                  string
	Status              int
	CloseConnection     bool
	LatencyMS, JitterMS int
	dice                func() float64
}

func (h *faultHit) latency() time.Duration {
	d := time.Duration(h.LatencyMS) * time.Millisecond
	if h.JitterMS > 0 {
		d += time.Duration(h.dice() * float64(time.Duration(h.JitterMS)*time.Millisecond))
	}
	return d
}

// take applies the rules that match this call: each counts a hit (and uses up one of its
// times). A status rule matches only operations that declare its status.
func (f *faults) take(op *operation, r *http.Request, caller *principal) *faultHit {
	f.mu.Lock()
	defer f.mu.Unlock()
	var hit *faultHit
	kept := f.rules[:0]
	for _, rule := range f.rules {
		if !rule.matches(op, r, caller) || rule.Probability < 1 && f.dice.Float64() >= rule.Probability {
			kept = append(kept, rule)
			continue
		}
		if hit == nil {
			hit = &faultHit{ID: rule.ID, dice: f.lockedDice}
		} else {
			hit.ID += "," + rule.ID
		}
		hit.LatencyMS += rule.LatencyMS
		hit.JitterMS += rule.JitterMS
		if hit.Status == 0 && !hit.CloseConnection {
			hit.Status, hit.CloseConnection = rule.Status, rule.CloseConnection
		}
		rule.Hits++
		if rule.Times > 0 {
			rule.Times--
			if rule.Times == 0 {
				continue // used up: dropped
			}
		}
		kept = append(kept, rule)
	}
	f.rules = kept
	return hit
}

func (rule *Fault) matches(op *operation, r *http.Request, caller *principal) bool {
	if rule.Method != "" && rule.Method != r.Method ||
		rule.OperationID != "" && rule.OperationID != op.id ||
		rule.OrganizationID != "" && rule.OrganizationID != caller.orgID ||
		rule.KeyName != "" && rule.KeyName != caller.keyName ||
		rule.Status != 0 && op.route.Operation.Responses.Status(rule.Status) == nil {
		return false
	}
	if rule.Path != "" {
		// The escaped path, as the journal shows it (admin%40example.com).
		if ok, _ := path.Match(rule.Path, r.URL.EscapedPath()); !ok {
			return false
		}
	}
	return true
}

func (f *faults) lockedDice() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dice.Float64()
}

// errFault is the answer of a status fault: the error the status stands for, with the body
// the contract declares for it.
func errFault(h *faultHit) *apiError {
	msg := fmt.Sprintf("fault %s injected by the mock", h.ID)
	for kind, row := range errorTable {
		if row.status == h.Status {
			if kind == kindValidation {
				return errValidation([]validationDetail{{Loc: []any{"body"}, Msg: msg, Type: "value_error"}})
			}
			return &apiError{kind: kind, message: msg, details: map[string]any{"fault_id": h.ID}}
		}
	}
	return errInternal(msg)
}
