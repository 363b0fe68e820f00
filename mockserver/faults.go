package mockserver

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"path"
	"sync"
	"time"
)

// Fault is a rule that makes the mock misbehave on purpose: answer an error status, add
// latency, or close the connection, for the matching calls. A status fault answers before
// the operation runs, so it changes no state.
type Fault struct {
	ID              string  `json:"fault_id"`
	Method          string  `json:"method,omitempty"`
	Path            string  `json:"path,omitempty"`
	OperationID     string  `json:"operation_id,omitempty"`
	Status          int     `json:"status,omitempty"`
	LatencyMS       int     `json:"latency_ms,omitempty"`
	JitterMS        int     `json:"jitter_ms,omitempty"`
	CloseConnection bool    `json:"close_connection,omitempty"`
	Times           int     `json:"times"`
	Probability     float64 `json:"probability"`
	Hits            int     `json:"hits"`
}

// FaultSpec is a fault to install: what to match (method, path pattern, operation ID; all
// optional, none matches every operation) and what to do (status, latency, close_connection).
// Times 0 means always; Probability 0 means 1.
type FaultSpec struct {
	Method          string  `json:"method"`
	Path            string  `json:"path"`
	OperationID     string  `json:"operation_id"`
	Status          int     `json:"status"`
	LatencyMS       int     `json:"latency_ms"`
	JitterMS        int     `json:"jitter_ms"`
	CloseConnection bool    `json:"close_connection"`
	Times           int     `json:"times"`
	Probability     float64 `json:"probability"`
}

type faults struct {
	mu    sync.Mutex
	rules []*Fault
	n     int
}

// add installs a rule, or says why it cannot apply to anything.
func (f *faults) add(req FaultSpec, known func(opID string) bool) (Fault, error) {
	if req.Status == 0 && req.LatencyMS == 0 && req.JitterMS == 0 && !req.CloseConnection {
		return Fault{}, errBadRequest("a fault needs an action: status, latency_ms, jitter_ms or close_connection", nil)
	}
	if req.Path != "" {
		if _, err := path.Match(req.Path, "/"); err != nil {
			return Fault{}, errBadRequest("path is not a valid pattern (Go's path.Match syntax)", map[string]any{"path": req.Path})
		}
	}
	if req.OperationID != "" && !known(req.OperationID) {
		return Fault{}, errBadRequest(fmt.Sprintf("operation %q is not in openapi.yaml", req.OperationID), map[string]any{"operation_id": req.OperationID})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	rule := &Fault{ID: fmt.Sprintf("flt_%d", f.n), Method: req.Method, Path: req.Path, OperationID: req.OperationID,
		Status: req.Status, LatencyMS: req.LatencyMS, JitterMS: req.JitterMS, CloseConnection: req.CloseConnection,
		Times: req.Times, Probability: req.Probability}
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

// take finds the first rule that applies to this call, counts the hit, and returns a copy.
// A status rule applies only to operations that declare that status. chance draws a number in
// [0, 1) for the probability.
func (f *faults) take(op *operation, r *http.Request, chance func() float64) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, rule := range f.rules {
		if rule.Method != "" && rule.Method != r.Method ||
			rule.OperationID != "" && rule.OperationID != op.id ||
			rule.Status != 0 && op.route.Operation.Responses.Status(rule.Status) == nil {
			continue
		}
		if rule.Path != "" {
			if ok, _ := path.Match(rule.Path, r.URL.Path); !ok {
				continue
			}
		}
		if rule.Probability < 1 && chance() >= rule.Probability {
			continue
		}
		rule.Hits++
		hit := *rule
		if rule.Times > 0 {
			rule.Times--
			hit.Times = rule.Times
			if rule.Times == 0 {
				f.rules = append(f.rules[:i], f.rules[i+1:]...)
			}
		}
		return &hit
	}
	return nil
}

// chance draws a number in [0, 1) from the server's random source.
func (s *Server) chance() float64 {
	b, err := s.ids.read(8)
	if err != nil {
		return 0
	}
	return float64(binary.BigEndian.Uint64(b)>>11) / (1 << 53)
}

// delay is a fault's latency, with its random part.
func (s *Server) delay(f *Fault) time.Duration {
	d := time.Duration(f.LatencyMS) * time.Millisecond
	if f.JitterMS > 0 {
		d += time.Duration(s.chance() * float64(time.Duration(f.JitterMS)*time.Millisecond))
	}
	return d
}

// errFault is the answer of a status fault: the error the status stands for, with the body
// the contract declares for it.
func errFault(f *Fault) *apiError {
	msg := fmt.Sprintf("fault %s injected by the mock", f.ID)
	for kind, row := range errorTable {
		if row.status == f.Status {
			if kind == kindValidation {
				return errValidation([]validationDetail{{Loc: []any{"body"}, Msg: msg, Type: "value_error"}})
			}
			return &apiError{kind: kind, message: msg, details: map[string]any{"fault_id": f.ID}}
		}
	}
	return errInternal(msg)
}
