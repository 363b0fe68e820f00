package mockserver

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/contract"

	"github.com/mixpeekkit/mixpeekkit/internal/jsonbody"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// DefaultJournalSize is how many requests the journal keeps when Options.JournalSize is 0.
const DefaultJournalSize = 1000

// JournalEntry is one request to the API (the control API is not journaled): what the
// request was, what the mock answered (Status 0: the connection was closed), and who called.
// FaultID names the faults that applied; OutsideContract marks an answer of a fault with a
// status the contract does not declare (429, 502, 503, 504). Path and Query are escaped; RequestBody is the JSON body. Every secret value and anything
// shaped like a plaintext key is [REDACTED] in all three, and the Authorization header is
// never kept.
type JournalEntry struct {
	Seq             int64                  `json:"seq"`
	Time            time.Time              `json:"time"`
	Method          string                 `json:"method"`
	Path            string                 `json:"path"`
	Query           string                 `json:"query,omitempty"`
	OperationID     mixpeekkit.OperationID `json:"operation_id,omitempty"`
	Status          int                    `json:"status"`
	DurationMS      float64                `json:"duration_ms"`
	OrganizationID  string                 `json:"organization_id,omitempty"`
	KeyName         string                 `json:"key_name,omitempty"`
	FaultID         string                 `json:"fault_id,omitempty"`
	OutsideContract bool                   `json:"outside_contract,omitempty"`
	RequestBody     json.RawMessage        `json:"request_body,omitempty"`
}

// journalFilter is the control API's selection of entries (GET /_mock/requests); zero fields
// match everything. Method compares in any letter case, PathPrefix matches the start of the
// escaped path; the other fields compare exactly.
type journalFilter struct {
	Method                              string
	OperationID                         mixpeekkit.OperationID
	OrganizationID, KeyName, PathPrefix string
	// Status selects the answers of one status; statusClosed selects closed connections (the
	// entries of status 0, status=0 over HTTP).
	Status int
	// Limit keeps the newest N matching entries (all when 0).
	Limit int
}

// statusClosed is the journalFilter.Status of the calls answered by closing the connection
// (a close_connection fault, a client gone), which the journal records with status 0.
const statusClosed = -1

// Requests returns the journal's entries, oldest first (GET /_mock/requests, which can also
// filter them).
func (s *Server) Requests() []JournalEntry {
	entries, _, _ := s.journal.list(journalFilter{})
	return entries
}

// ClearRequests empties the journal and says how many entries it held.
func (s *Server) ClearRequests() int { return s.journal.clear() }

func (f journalFilter) match(e *JournalEntry) bool {
	return (f.Method == "" || strings.EqualFold(f.Method, e.Method)) &&
		(f.OperationID == "" || f.OperationID == e.OperationID) &&
		(f.OrganizationID == "" || f.OrganizationID == e.OrganizationID) &&
		(f.KeyName == "" || f.KeyName == e.KeyName) &&
		(f.PathPrefix == "" || strings.HasPrefix(e.Path, f.PathPrefix)) &&
		(f.Status == 0 || f.Status == e.Status || f.Status == statusClosed && e.Status == 0)
}

// journal is a ring buffer of entries, so it cannot grow without bound. It fills up to size
// before it wraps (a new server allocates nothing for it).
type journal struct {
	mu      sync.Mutex
	size    int
	ring    []JournalEntry
	next    int // where the next entry goes, once the ring is full
	full    bool
	seq     int64
	dropped int
}

func newJournal(size int) *journal {
	if size <= 0 {
		size = DefaultJournalSize
	}
	return &journal{size: size}
}

func (j *journal) add(e JournalEntry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	if !j.full {
		j.ring = append(j.ring, e)
		j.full = len(j.ring) == j.size
		return
	}
	j.dropped++
	j.ring[j.next] = e
	j.next = (j.next + 1) % j.size
}

// list returns the matching entries, oldest first, how many matched, and how many the ring
// has dropped.
func (j *journal) list(f journalFilter) (entries []JournalEntry, total, dropped int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	all := append(append([]JournalEntry{}, j.ring[j.next:]...), j.ring[:j.next]...)
	entries = []JournalEntry{}
	for i := range all {
		if f.match(&all[i]) {
			entries = append(entries, all[i])
		}
	}
	total = len(entries)
	if f.Limit > 0 && len(entries) > f.Limit {
		entries = entries[len(entries)-f.Limit:]
	}
	return entries, total, j.dropped
}

func (j *journal) clear() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := len(j.ring)
	j.ring = nil
	j.next, j.full, j.dropped = 0, false, 0
	return n
}

// pending is the journal entry of a request on its way, filled in by the steps that learn
// something (the route, the caller, the body, a fault).
type pending struct {
	record bool // API requests only
	entry  JournalEntry
	// For the recording (recorder.go): the caller's key hash and organization (also of a
	// revoked or expired key), the raw request body, and whether a fault answered.
	keyHash, recOrg string
	rawBody         []byte
	faulted         bool
	inEpoch         bool     // the call holds Server.epoch shared
	coerced         []string // the places lax parsing read (lax.Read), for the violations list
	retryAfter      int      // the Retry-After of a fault's answer (seconds; 0: none)
}

type pendingKey struct{}

func pendingOf(ctx context.Context) *pending {
	p, _ := ctx.Value(pendingKey{}).(*pending)
	if p == nil {
		return &pending{} // a request that did not come through ServeHTTP: nothing is recorded
	}
	return p
}

// maxJournalText is how much of a path or a query an entry keeps (and the log, and the
// violations list): a request line may be as long as Go's server reads (1 MiB of header), and a
// journal of a thousand of them would hold a gigabyte.
const maxJournalText = 2 << 10

// journalText is a path, a query or a method as an entry keeps it (and the log): redacted
// by redact, cut at max bytes. Only a little more than what is kept is redacted, so that a
// request line of a megabyte costs no more than a short one, yet a key (even percent-encoded)
// that starts before the cut is found whole.
func journalText(s string, max int, redact func(string) string) string {
	total := len(s)
	if len(s) > max+256 {
		s = s[:max+256]
	}
	return sensitive.Cut(redact(s), max, total)
}

// maxJournalMethod is how much of a method an entry keeps: the methods of HTTP are short, and
// anything else is the client's text.
const maxJournalMethod = 32

// maxJournalBody is how much of a body an entry keeps: a journal of big bodies would
// otherwise hold gigabytes.
const maxJournalBody = 8 << 10

// redactBody is what the journal keeps of a request body whose schema is schema: the JSON in
// which only the members the schema declares, and does not mark writeOnly, keep their values
// (a member the contract does not know, such as a secret sent under a mistaken name, is
// [REDACTED] whole), then redacted by the kit's rule (internal/sensitive), cut at
// maxJournalBody. A body that is not JSON is not kept, since nothing in it could be found to
// redact.
func redactBody(body []byte, schema *openapi3.Schema) json.RawMessage {
	if len(body) == 0 {
		return nil
	}
	if tooManyValues(body) {
		return quoted(fmt.Sprintf("[JSON of %d bytes and more than %d values, not kept]", len(body), maxBodyValues))
	}
	v, ok := jsonbody.Decode(body)
	if !ok {
		return quoted(fmt.Sprintf("[not JSON: %d bytes, not kept]", len(body)))
	}
	out, _ := json.Marshal(readable(sensitive.RedactJSON(declaredOnly(v, schema)), 0))
	if len(out) > maxJournalBody {
		return quoted(sensitive.Cut(string(out), maxJournalBody, len(out)))
	}
	return out
}

// declaredOnly is v with the value of every secret object member (contract.Member: one the
// schema does not declare, or declares writeOnly, or names a secret) replaced by [REDACTED],
// at every depth.
func declaredOnly(v any, schema *openapi3.Schema) any {
	schema = contract.Unwrap(schema)
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if p, secret := contract.Member(schema, k); p != nil && !secret {
				out[k] = declaredOnly(e, p)
			} else {
				out[k] = sensitive.Redacted
			}
		}
		return out
	case []any:
		items := contract.Items(schema)
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = declaredOnly(e, items)
		}
		return out
	}
	return v
}

// The journal's bounds on what common JSON readers choke on (Python's json module, jq): how
// deep a kept body nests, and how long a number may be. Past them, a note stands in.
const (
	maxJournalDepth  = 32
	maxJournalNumber = 64
)

// readable is v with what nests deeper than maxJournalDepth, and every number longer than
// maxJournalNumber characters, replaced by a note. depth is v's.
func readable(v any, depth int) any {
	if depth >= maxJournalDepth {
		return fmt.Sprintf("[deeper than %d levels, not kept]", maxJournalDepth)
	}
	switch x := v.(type) {
	case json.Number:
		if len(x) > maxJournalNumber {
			return fmt.Sprintf("[a number of %d characters, not kept]", len(x))
		}
	case map[string]any:
		for k, e := range x {
			x[k] = readable(e, depth+1)
		}
	case []any:
		for i, e := range x {
			x[i] = readable(e, depth+1)
		}
	}
	return v
}

func quoted(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
