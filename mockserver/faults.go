package mockserver

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
)

// Fault makes the mock misbehave on purpose for the calls it matches: answer an error
// status, add latency, or close the connection. It applies to authenticated calls of the 9
// operations (a call refused with 401 meets no fault). A status or closed-connection fault
// answers before the operation runs, so it changes no state.
//
// What it matches (all optional; none matches every call): Method, Path (a pattern as Go's
// path.Match reads it, on the escaped path: /v1/organizations/secrets/*), OperationID,
// OrganizationID and KeyName (the calling key's name). What it does: Status (400, 401, 403,
// 404, 409, 422 or 500, with the body the contract declares, only on operations that declare
// it; or 429, 502, 503 or 504, outside the contract, on any operation, with an ErrorResponse
// body and, for RetryAfterS, a Retry-After header), LatencyMS plus a random JitterMS,
// CloseConnection. Times is how many more calls it
// applies to (0: always); Probability is in (0, 1] (0 means 1). Every matching fault adds its
// latency; the first with a status or CloseConnection answers. ID and Hits are the server's:
// AddFault ignores them. The rules are control.yaml's FaultRequest, in Go and over HTTP alike.
type Fault struct {
	ID              string                 `json:"fault_id"`
	Method          string                 `json:"method,omitempty"`
	Path            string                 `json:"path,omitempty"`
	OperationID     mixpeekkit.OperationID `json:"operation_id,omitempty"`
	OrganizationID  string                 `json:"organization_id,omitempty"`
	KeyName         string                 `json:"key_name,omitempty"`
	Status          int                    `json:"status,omitempty"`
	RetryAfterS     int                    `json:"retry_after_s,omitempty"`
	LatencyMS       int                    `json:"latency_ms,omitempty"`
	JitterMS        int                    `json:"jitter_ms,omitempty"`
	CloseConnection bool                   `json:"close_connection,omitempty"`
	Times           int                    `json:"times"`
	Probability     float64                `json:"probability"`
	Hits            int                    `json:"hits"`
}

type faults struct {
	mu    sync.Mutex
	rules []*Fault
	n     int
	// dice decides probabilities and jitter: a source of its own, seeded once from the
	// server's Options.Rand, so a seeded Rand makes the coin flips repeatable too, and faults
	// never shift the IDs and keys drawn after the start.
	dice *rand.Rand
	seed [2]uint64
}

// newFaults makes the faults of a server whose random source is random.
func newFaults(random io.Reader) (*faults, error) {
	var b [16]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return nil, err
	}
	f := &faults{seed: [2]uint64{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}}
	f.dice = rand.New(rand.NewPCG(f.seed[0], f.seed[1]))
	return f, nil
}

// AddFault installs a fault and returns it with its ID, or says why it could never apply:
// ErrInvalid when it breaks control.yaml's FaultRequest (a 422 over HTTP), ErrBadRequest when
// it could match no call or the mock already holds 100 faults (a 400).
func (s *Server) AddFault(spec Fault) (Fault, error) {
	spec.ID, spec.Hits = "", 0
	if spec.Probability == 0 {
		spec.Probability = 1
	}
	// The same rules as over HTTP: control.yaml's FaultRequest.
	var generic map[string]any
	raw, _ := json.Marshal(spec)
	_ = json.Unmarshal(raw, &generic)
	delete(generic, "fault_id")
	delete(generic, "hits")
	request := s.control.Doc.Components.Schemas["FaultRequest"].Value
	if spec.Status != 0 && !slices.Contains(request.Properties["status"].Value.Enum, any(float64(spec.Status))) {
		return Fault{}, errInvalid(s.faultStatuses(spec.Status))
	}
	if err := request.VisitJSON(generic); err != nil {
		return Fault{}, errInvalid("the fault breaks FaultRequest of control.yaml: " + strings.Join(contract.Describe(err, ""), "; "))
	}
	if spec.Status == 0 && spec.LatencyMS == 0 && spec.JitterMS == 0 && !spec.CloseConnection {
		return Fault{}, errBadRequest("a fault needs an action: status, latency_ms, jitter_ms or close_connection", nil)
	}
	if spec.RetryAfterS != 0 && spec.Status == 0 {
		return Fault{}, errBadRequest("retry_after_s goes with a status (429 or 503, usually): it sets the answer's Retry-After", nil)
	}
	if spec.Path != "" {
		if _, err := path.Match(spec.Path, "/"); err != nil {
			return Fault{}, errBadRequest("path is not a valid pattern (Go's path.Match syntax)", map[string]any{"path": spec.Path})
		}
	}
	if spec.OperationID != "" {
		route := s.contract.Route(string(spec.OperationID))
		switch {
		case route == nil:
			return Fault{}, errBadRequest(fmt.Sprintf("operation %q is not in openapi.yaml", spec.OperationID), map[string]any{"operation_id": spec.OperationID})
		case spec.Status != 0 && !outsideContract(s.contract, spec.Status) && route.Operation.Responses.Status(spec.Status) == nil:
			return Fault{}, errBadRequest(fmt.Sprintf("operation %q does not declare %d", spec.OperationID, spec.Status), map[string]any{"operation_id": spec.OperationID, "status": spec.Status})
		}
	}
	if err := s.faultCanApply(spec); err != nil {
		return Fault{}, err
	}
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.rules) >= maxFaults {
		return Fault{}, errBadRequest(fmt.Sprintf("the mock holds at most %d faults at once: delete some (DELETE /_mock/faults)", maxFaults), nil)
	}
	f.n++
	spec.ID = fmt.Sprintf("flt_%d", f.n)
	f.rules = append(f.rules, &spec)
	return spec, nil
}

// maxFaults is how many faults the mock holds at once: each call is matched against every
// one, so an unbounded list would slow every call (AddFault refuses more, ErrBadRequest).
const maxFaults = 100

// faultCanApply refuses a fault that no call of the 9 operations could meet: its method, path
// pattern, operation ID and status together must fit at least one operation.
func (s *Server) faultCanApply(spec Fault) error {
	for _, op := range operations() {
		if (spec.OperationID == "" || string(spec.OperationID) == op.id) &&
			(spec.Method == "" || spec.Method == op.method) &&
			(spec.Path == "" || patternFits(spec.Path, op.path)) &&
			(spec.Status == 0 || outsideContract(s.contract, spec.Status) || s.contract.Route(op.id).Operation.Responses.Status(spec.Status) != nil) {
			return nil
		}
	}
	var given []string
	if spec.Method != "" {
		given = append(given, "method "+spec.Method)
	}
	if spec.Path != "" {
		given = append(given, fmt.Sprintf("path %q (a pattern as Go's path.Match reads it, on the escaped path, where * does not cross /)", spec.Path))
	}
	if spec.OperationID != "" {
		given = append(given, fmt.Sprintf("operation_id %q", spec.OperationID))
	}
	if spec.Status != 0 {
		given = append(given, fmt.Sprintf("status %d (only on operations that declare it)", spec.Status))
	}
	return errBadRequest("the fault can match no call of the 9 operations: no operation fits "+strings.Join(given, " and "),
		map[string]any{"path": spec.Path, "method": spec.Method})
}

// outsideContract says whether a fault status is one no operation of openapi.yaml declares
// (429, 502, 503, 504): such a fault answers on any operation, outside the contract.
func outsideContract(c *contract.Contract, status int) bool {
	for _, id := range c.OperationIDs() {
		if c.Route(id).Operation.Responses.Status(status) != nil {
			return false
		}
	}
	return true
}

// faultStatuses words the refusal of a status no fault answers, with the ones that are.
func (s *Server) faultStatuses(status int) string {
	var in, out []string
	for _, v := range s.control.Doc.Components.Schemas["FaultRequest"].Value.Properties["status"].Value.Enum {
		n := int(v.(float64))
		if outsideContract(s.contract, n) {
			out = append(out, strconv.Itoa(n))
		} else {
			in = append(in, strconv.Itoa(n))
		}
	}
	return fmt.Sprintf("status %d is not one a fault answers: %s (as the contract declares them, on the operations that declare them), or %s (outside the contract, on any operation)",
		status, strings.Join(in, ", "), strings.Join(out, ", "))
}

// patternFits reports whether some path of the route template (where {name} is one non-empty
// segment) matches the path.Match pattern, segment by segment.
func patternFits(pattern, template string) bool {
	ps, ts := strings.Split(pattern, "/"), strings.Split(template, "/")
	if len(ps) != len(ts) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ts[i], "{") {
			if ps[i] == "" {
				return false
			}
			continue
		}
		if ok, _ := path.Match(ps[i], ts[i]); !ok {
			return false
		}
	}
	return true
}

// Faults lists the installed faults, with how many calls each has applied to.
func (s *Server) Faults() []Fault { return s.faults.list() }

// RemoveFault removes one fault (ErrNotFound when there is none of that ID).
func (s *Server) RemoveFault(id string) error {
	if !s.faults.remove(id) {
		return errFaultNotFound(id)
	}
	return nil
}

// clearFaults removes every fault and says how many there were (DELETE /_mock/faults).
func (s *Server) clearFaults() int { return s.faults.clear() }

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

// reset removes every rule and starts the IDs and the dice again, as a new server has them.
func (f *faults) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules, f.n, f.dice = nil, 0, rand.New(rand.NewPCG(f.seed[0], f.seed[1]))
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
	Status, RetryAfterS int
	CloseConnection     bool
	LatencyMS, JitterMS int
	dice                func() float64
}

// maxFaultLatency bounds what the matching faults of one call add up to.
const maxFaultLatency = time.Minute

func (h *faultHit) latency() time.Duration {
	d := time.Duration(h.LatencyMS) * time.Millisecond
	if h.JitterMS > 0 {
		d += time.Duration(h.dice() * float64(time.Duration(h.JitterMS)*time.Millisecond))
	}
	return min(d, maxFaultLatency)
}

// take applies the rules that match this call: each counts a hit (and uses up one of its
// times). A status rule matches only operations that declare its status.
func (f *faults) take(op *operation, r *http.Request, caller *principal) *faultHit {
	// Matched outside the lock (a rule's match fields never change once installed), so that a
	// costly pattern holds no other call back.
	f.mu.Lock()
	rules := slices.Clone(f.rules)
	f.mu.Unlock()
	matched := map[*Fault]bool{}
	for _, rule := range rules {
		if rule.matches(op, r, caller) {
			matched[rule] = true
		}
	}
	if len(matched) == 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var hit *faultHit
	kept := f.rules[:0]
	for _, rule := range f.rules {
		if !matched[rule] || rule.Probability < 1 && f.dice.Float64() >= rule.Probability {
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
			hit.Status, hit.CloseConnection, hit.RetryAfterS = rule.Status, rule.CloseConnection, rule.RetryAfterS
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
		rule.OperationID != "" && string(rule.OperationID) != op.id ||
		rule.OrganizationID != "" && rule.OrganizationID != caller.orgID ||
		rule.KeyName != "" && rule.KeyName != caller.keyName ||
		rule.Status != 0 && !outsideContract(op.doc, rule.Status) && op.route.Operation.Responses.Status(rule.Status) == nil {
		return false
	}
	if rule.Path != "" {
		// The escaped path, as the journal shows it (admin%40example.com). A path longer than
		// the journal keeps matches no pattern: matching costs the product of both lengths.
		escaped := r.URL.EscapedPath()
		if len(escaped) > maxJournalText {
			return false
		}
		if ok, _ := path.Match(rule.Path, escaped); !ok {
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
