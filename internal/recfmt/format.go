package recfmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/docbudget"
	"github.com/mixpeekkit/mixpeekkit/internal/jsonbody"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"

	"github.com/mixpeekkit/mixpeekkit"
)

// Format and Version name the format (package recording repeats them); a recording of another
// version is refused by Parse.
const (
	Format  = "mixpeek-recording"
	Version = 1
)

// MaxRequestBody bounds a request body of a recording: the contract's limit (the mock refuses a
// body of more than 1 MiB) and one byte, the length the mock records for a body too large
// (body_not_json). Parse refuses a body_not_json over it, and a body whose value placeholders,
// filled in, pass it (Filled); a replay never sends a larger body.
const MaxRequestBody = 1<<20 + 1

// MaxFileSize bounds a recording file: a recording of the mock's default 1000 calls is a few
// hundred KB, one of 32 MiB holds about 90,000 calls, and reading one costs up to 20 times its
// size in memory (a file of the smallest calls). Parse refuses a larger one.
const MaxFileSize = 32 << 20

// MaxCallBytes is the most JSON a recorder may keep of an organization's calls (the mock's
// -recording-bytes): half the file's bound, so that the file, indented, stays within it.
const MaxCallBytes = MaxFileSize / 2

// MaxDepth bounds how deep a call's body and an answer's shape nest (the mock records a body at
// most 32 deep; its answers nest 4 deep). Parse refuses a deeper one: comparing a shape costs
// the square of its depth.
const MaxDepth = 64

// jsonLimits bound a call's body and an answer's shape: MaxDepth deep, and no more values than
// a body may hold bytes.
var jsonLimits = docbudget.Limits{Values: MaxRequestBody, Depth: MaxDepth}

// Recording is what the mock recorded for one organization, as the file holds it
// (docs/recording.md).
type Recording struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Symbols describes every symbol the calls use ($admin is the organization's admin-key
	// and is not listed).
	Symbols map[string]Symbol `json:"symbols"`
	Calls   []Call            `json:"calls"`
	// Dropped counts the calls made once the recording was full (it keeps the first ones: a
	// prefix of a sequence can still be replayed); Faulted, the calls a fault answered, which
	// did not run and are not kept; OutsideContract, those of them a fault answered with a
	// status the contract does not declare (429, 502, 503, 504).
	Dropped         int `json:"dropped,omitempty"`
	Faulted         int `json:"faulted,omitempty"`
	OutsideContract int `json:"outside_contract,omitempty"`
}

// Symbol is what a symbol stands for. A seeded symbol names something the organization had
// before the consumer's first call (fixtures): a replay creates it first, a secret with a
// fresh value, the keys of a key name (Keys) as they were.
type Symbol struct {
	Kind   string `json:"kind"` // "secret", "key" or "user"
	Seeded bool   `json:"seeded,omitempty"`
	Owner  bool   `json:"owner,omitempty"` // the user: the admin-key's owner
	// User is the user symbol of a seeded key name's owner: a replay can create seeded keys
	// only for the user it runs as ($user).
	User string `json:"user,omitempty"`
	// Keys are the seeded keys of this name, in the fixtures' order: the first is the
	// credential $key1, the second $key1@2... (a revoked key and a live one may share a name).
	Keys []SeededKey `json:"keys,omitempty"`
}

// SeededKey is a key of the fixtures as a replay recreates it.
type SeededKey struct {
	Permissions []string `json:"permissions"`
	// Status is active, revoked or expired at the first call.
	Status string `json:"status"`
	// Expires is the expiry as an instant placeholder ($now+1h0m0s) from the clock at the
	// first call; none for a key that does not expire.
	Expires string `json:"expires,omitempty"`
}

// Call is one call, or a marker: a reset of the organization (Reset, and nothing else), or a
// move of the mock's clock (Clock, a Go duration such as "2h0m0s", and nothing else).
type Call struct {
	Seq   int    `json:"seq"`
	Reset bool   `json:"reset,omitempty"`
	Clock string `json:"clock,omitempty"`
	// Operation is the operation's ID in openapi.yaml.
	Operation mixpeekkit.OperationID `json:"operation_id,omitempty"`
	// As is the credential: $admin, or the symbol of a key the consumer created ($key1; the
	// key a rotation of it issued is $key1@2, the next $key1@3).
	As string `json:"as,omitempty"`
	// Params are the path parameters, Query the query string, Body the JSON body with symbols
	// and placeholders (docs/recording.md). NotJSON is the length of a body that was not JSON;
	// ContentType is kept when it is not application/json.
	Params      map[string]string `json:"params,omitempty"`
	Query       string            `json:"query,omitempty"`
	ContentType string            `json:"content_type,omitempty"`
	Body        json.RawMessage   `json:"body,omitempty"`
	NotJSON     int               `json:"body_not_json,omitempty"`
	// Status is what the mock answered, Response what its answer held.
	Status   int       `json:"status,omitempty"`
	Response *Response `json:"response,omitempty"`
	// Issues is the credential symbol of the plaintext key this answer carried.
	Issues string `json:"issues,omitempty"`
}

// Response is an answer as a recording keeps it.
type Response struct {
	// Shape is the answer's shape (docs/recording.md).
	Shape json.RawMessage `json:"shape"`
	// ErrorType is error.type of an error answer: what a client switches on.
	ErrorType string `json:"error_type,omitempty"`
	// Listed, for the list operations, is what the list held of the recording's own names:
	// the symbols of the secrets, or "symbol status" for each key, sorted. Nil for the other
	// operations.
	Listed *[]string `json:"listed,omitempty"`
}

// Parse reads a recording and checks it is one this package can replay.
func Parse(data []byte) (*Recording, error) {
	r, err := parse(data)
	if err != nil && sensitive.HasKey(err.Error()) {
		// The messages quote what they refuse: a key pasted where a symbol goes is not shown.
		return nil, errors.New(sensitive.RedactKeys(err.Error()))
	}
	return r, err
}

func parse(data []byte) (*Recording, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("recording: the file is larger than %s, the limit of a recording", docbudget.Size(MaxFileSize))
	}
	dec := json.NewDecoder(bytes.NewReader(docbudget.TrimBOM(data)))
	dec.DisallowUnknownFields()
	var r Recording
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	switch {
	case r.Format != Format:
		return nil, fmt.Errorf("recording: format is %q, want %q", r.Format, Format)
	case r.Version != Version:
		return nil, fmt.Errorf("recording: version %d; this release reads version %d", r.Version, Version)
	}
	ops := mixpeekkit.Operations()
	for i, c := range r.Calls {
		where := fmt.Sprintf("recording: call %d", i+1)
		switch {
		case c.Seq != i+1:
			return nil, fmt.Errorf("%s has seq %d: calls are numbered from 1, in order", where, c.Seq)
		case c.Reset || c.Clock != "":
			if c.Operation != "" || c.As != "" || c.Status != 0 || (c.Reset && c.Clock != "") {
				return nil, fmt.Errorf("%s is a marker (a reset or a clock move): it has no operation, credential or status", where)
			}
			if _, err := time.ParseDuration(c.Clock); c.Clock != "" && err != nil {
				return nil, fmt.Errorf("%s: clock %q is not a duration", where, c.Clock)
			}
		case !slices.Contains(ops, c.Operation):
			return nil, fmt.Errorf("%s: %q is not an operation of openapi.yaml", where, c.Operation)
		case c.As == "":
			return nil, fmt.Errorf("%s has no credential (as)", where)
		case c.Status < 100 || c.Status > 599 || c.Response == nil:
			return nil, fmt.Errorf("%s needs a status and a response", where)
		}
		if err := bounded(c); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		syms, err := symbolsIn(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		for _, s := range syms {
			if _, ok := r.Symbols[s]; !ok {
				return nil, fmt.Errorf("%s uses the symbol %s, which symbols does not describe", where, s)
			}
		}
	}
	for name, sym := range r.Symbols {
		if KindOf(name) != sym.Kind {
			return nil, fmt.Errorf("recording: the symbol %s is described as a %q", name, sym.Kind)
		}
	}
	return &r, nil
}

// bounded checks that what a call holds is within the bounds a replay builds requests and
// compares answers in: its body, filled in, no larger than a request body may be, and its body
// and shape nested no deeper than MaxDepth.
func bounded(c Call) error {
	switch {
	case c.NotJSON < 0 || c.NotJSON > MaxRequestBody:
		return fmt.Errorf("body_not_json is %d bytes: a request body has at most %s (the mock records a larger one as %d)", c.NotJSON, docbudget.Size(MaxRequestBody), MaxRequestBody)
	case len(c.Body) > 0:
		if err := docbudget.CheckJSON(c.Body, jsonLimits); err != nil {
			return fmt.Errorf("body: %s", problem(err))
		}
		if n := Filled(c.Body); n > MaxRequestBody {
			return fmt.Errorf("body: its value placeholders filled in, it is %d bytes: a request body has at most %s", n, docbudget.Size(MaxRequestBody))
		}
	}
	if c.Response != nil && len(c.Response.Shape) > 0 {
		if err := docbudget.CheckJSON(c.Response.Shape, jsonLimits); err != nil {
			return fmt.Errorf("response.shape: %s", problem(err))
		}
	}
	return nil
}

// problem is a docbudget refusal's words, without its place in the member.
func problem(err error) string {
	var e *docbudget.Error
	if errors.As(err, &e) {
		return e.Problem
	}
	return err.Error()
}

// symbolsIn lists the symbols of a call's parameters, body and credentials, and checks that
// every string in them is a token ParseToken reads.
func symbolsIn(c Call) ([]string, error) {
	var out []string
	add := func(s string) error {
		t, err := ParseToken(s)
		if err == nil && t.Kind == TokenSymbol {
			out = append(out, t.Text)
		}
		return err
	}
	for _, v := range c.Params {
		if err := add(v); err != nil {
			return nil, err
		}
	}
	if len(c.Body) > 0 {
		v, ok := jsonbody.Decode(c.Body)
		if !ok {
			return nil, errors.New("body: not JSON")
		}
		if err := Strings(v, add); err != nil {
			return nil, err
		}
	}
	for _, s := range []string{c.As, c.Issues} {
		if s == "" {
			continue
		}
		base := CredentialBase(s)
		switch base {
		case "":
			return nil, fmt.Errorf("%q is not a credential ($admin, $key1, $key1@2)", s)
		case Admin:
		default:
			out = append(out, base)
		}
	}
	return out, nil
}

// Marshal is the recording as it is written to a file: indented, members sorted, so that the
// same calls give the same bytes.
func (r *Recording) Marshal() ([]byte, error) {
	if r == nil {
		return nil, errors.New("recording: nil")
	}
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// From is the recording a public one (package recording's, which marshals to the file's
// bytes) holds, read as Parse reads a file.
func From(r interface{ Marshal() ([]byte, error) }) (*Recording, error) {
	data, err := r.Marshal()
	if err != nil {
		return nil, err
	}
	return Parse(data)
}
