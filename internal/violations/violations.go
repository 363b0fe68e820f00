// Package violations is the list of contract violations a server keeps for GET
// /_mock/violations: the validating proxy's (answers and accepted requests that break the
// contract) and the mock's (requests it accepted only by pydantic's lax parsing). One shape
// for both, so a team reads them the same way.
package violations

import (
	"sort"
	"sync"
	"time"
)

// Max is how many violations a Log keeps (the latest); the counts go on.
const Max = 1000

// Violation is one way an exchange broke the contract. It carries no value.
type Violation struct {
	Time      time.Time `json:"time"`
	Method    string    `json:"method"`
	Path      string    `json:"path"` // escaped, keys redacted
	Operation string    `json:"operation"`
	Direction string    `json:"direction"` // request (one the server accepted) or response
	Status    int       `json:"status"`    // the answer's status
	Pointer   string    `json:"pointer"`   // JSON pointer: /body/..., /query/name, /status, /header/Content-Type
	Rule      string    `json:"rule"`      // the schema keyword or behavioural rule broken
}

// Count is how often one rule of one operation was broken.
type Count struct {
	Operation string `json:"operation"`
	Direction string `json:"direction"`
	Rule      string `json:"rule"`
	Count     int    `json:"count"`
}

// Log keeps the latest Max violations and counts every one. The zero Log is ready to use and
// safe for concurrent use.
type Log struct {
	mu         sync.Mutex
	violations []Violation
	counts     map[Count]int // Count with Count 0 as the key
	total      int
}

// Record adds violations.
func (l *Log) Record(vs ...Violation) {
	if len(vs) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[Count]int{}
	}
	for _, v := range vs {
		l.violations = append(l.violations, v)
		l.counts[Count{Operation: v.Operation, Direction: v.Direction, Rule: v.Rule}]++
		l.total++
	}
	if over := len(l.violations) - Max; over > 0 {
		l.violations = append([]Violation(nil), l.violations[over:]...)
	}
}

// Violations lists the violations kept (the latest Max), oldest first.
func (l *Log) Violations() []Violation {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Violation{}, l.violations...)
}

// Counts lists how often each rule of each operation was broken, sorted.
func (l *Log) Counts() []Count {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Count, 0, len(l.counts))
	for k, n := range l.counts {
		k.Count = n
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Operation != b.Operation {
			return a.Operation < b.Operation
		}
		if a.Direction != b.Direction {
			return a.Direction < b.Direction
		}
		return a.Rule < b.Rule
	})
	return out
}

// Total is the number of violations recorded since the start or the last Clear.
func (l *Log) Total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// Clear forgets the violations and their counts.
func (l *Log) Clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.violations, l.counts, l.total = nil, nil, 0
}

// Listing is the body of GET /_mock/violations.
func (l *Log) Listing() map[string]any {
	return map[string]any{"total": l.Total(), "counts": l.Counts(), "violations": l.Violations()}
}
