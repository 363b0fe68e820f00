// Package contract turns openapi.yaml into checks: it finds the operation a request
// addresses and says, without echoing any submitted or returned value, how a response breaks
// the contract. The mock uses it on its own answers (strict mode), the tests use it on every
// answer they receive, and the conformance suite uses it on the server under test.
package contract

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/mixpeekkit/mixpeekkit"
)

// Contract is a loaded, validated OpenAPI 3.0 document with a router over its operations.
type Contract struct {
	Name   string // the file name given to Parse, for messages
	Doc    *openapi3.T
	router routers.Router
	byID   map[string]*routers.Route
	// conforming remembers answers that passed CheckResponse, by a digest of the operation,
	// status and body: validation is a function of those alone (openapi.yaml declares no
	// response headers), and a mock answers the same bytes again and again (a list polled by a
	// test, a health-like read under load). Bounded: it starts over when full.
	mu         sync.Mutex
	conforming map[[sha256.Size]byte]struct{}
}

// maxConforming bounds the remembered answers (some 4096 × 40 bytes).
const maxConforming = 4096

// Parse loads an OpenAPI 3.0 document (openapi.yaml, or the mock's control.yaml) and
// validates it. Its servers are cleared: kin-openapi matches a request against the server
// URLs, and an absolute URL would stop routing on 127.0.0.1 or any other host. Every call
// returns a new document, so a caller may change its own freely.
func Parse(ctx context.Context, name string, data []byte) (*Contract, error) {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("%s: parse: %w", name, err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("%s: invalid: %w", name, err)
	}
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: router: %w", name, err)
	}
	c := &Contract{Name: name, Doc: doc, router: router, byID: map[string]*routers.Route{}}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			c.byID[op.OperationID] = &routers.Route{
				Spec: doc, Path: path, PathItem: item, Method: method, Operation: op,
			}
		}
	}
	return c, nil
}

// OpenAPI is openapi.yaml, loaded once per process: the mock, the suite and the proxy share it,
// and only read it.
var OpenAPI = sync.OnceValues(func() (*Contract, error) {
	return Parse(context.Background(), "openapi.yaml", mixpeekkit.OpenAPI())
})

// Route returns the route of the operation with that ID, or nil.
func (c *Contract) Route(operationID string) *routers.Route { return c.byID[operationID] }

// ResponseSchema is the JSON body schema the operation declares for a status (nil when it
// declares none).
func (c *Contract) ResponseSchema(operationID string, status int) *openapi3.Schema {
	route := c.byID[operationID]
	if route == nil {
		return nil
	}
	resp := route.Operation.Responses.Status(status)
	if resp == nil || resp.Value == nil {
		return nil
	}
	media := resp.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil {
		return nil
	}
	return media.Schema.Value
}

// OperationIDs lists every operation ID of the contract, sorted.
func (c *Contract) OperationIDs() []string {
	ids := make([]string, 0, len(c.byID))
	for id := range c.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// FindRoute finds the operation a request addresses, with kin-openapi's own router (so a
// check built on it does not trust the router of the server it checks).
func (c *Contract) FindRoute(r *http.Request) (*routers.Route, map[string]string, error) {
	return c.router.FindRoute(r)
}

// Violation says how one response broke the contract. Problems name places (status, header,
// JSON pointer and schema keyword), never values, so a violation is safe to log.
type Violation struct {
	Document  string // the Contract's Name
	Operation string
	Status    int
	Problems  []string
}

func (v *Violation) Error() string {
	return fmt.Sprintf("%s answered %d against %s: %s",
		v.Operation, v.Status, v.Document, strings.Join(v.Problems, "; "))
}

// CheckResponse validates one answer to req (whose route is given): the status must be
// declared for the operation, the Content-Type must be JSON, and the body must match the
// declared schema (a writeOnly property such as secret_value may not appear). It returns nil
// or a *Violation.
func (c *Contract) CheckResponse(ctx context.Context, route *routers.Route, req *http.Request,
	status int, header http.Header, body []byte) error {
	v := &Violation{Document: c.Name, Operation: route.Operation.OperationID, Status: status}
	if route.Operation.Responses.Status(status) == nil {
		v.Problems = append(v.Problems, fmt.Sprintf("status %d is not declared", status))
		return v
	}
	if mt, _, err := mime.ParseMediaType(header.Get("Content-Type")); err != nil || mt != "application/json" {
		v.Problems = append(v.Problems, "Content-Type is not application/json")
		return v
	}
	digest := answerDigest(route.Operation.OperationID, status, body)
	c.mu.Lock()
	_, known := c.conforming[digest]
	c.mu.Unlock()
	if known {
		return nil
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(ctx, input); err != nil {
		v.Problems = append(v.Problems, Describe(err, "body")...)
		return v
	}
	c.mu.Lock()
	if c.conforming == nil || len(c.conforming) >= maxConforming {
		c.conforming = make(map[[sha256.Size]byte]struct{}, 64)
	}
	c.conforming[digest] = struct{}{}
	c.mu.Unlock()
	return nil
}

// answerDigest is what identifies an answer for CheckResponse: operation, status, body.
func answerDigest(operationID string, status int, body []byte) [sha256.Size]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00", operationID, status)
	h.Write(body)
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// Describe lists the problems in a kin-openapi validation error as "where: what failed",
// sorted, without any of the values involved. root names the place the pointers start from.
func Describe(err error, root string) []string {
	var out []string
	for _, e := range Flatten(err) {
		var se *openapi3.SchemaError
		var pe *openapi3filter.ParseError
		var re *openapi3filter.ResponseError
		switch {
		case errors.As(e, &se):
			l := LeafOf(se)
			out = append(out, fmt.Sprintf("%s/%s: fails %q", root, strings.Join(l.Pointer, "/"), l.Field))
		case errors.As(e, &pe):
			out = append(out, root+": is not valid JSON")
		case errors.As(e, &re) && re.Reason != "":
			out = append(out, safeReason(re.Reason))
		default:
			out = append(out, root+": invalid")
		}
	}
	sort.Strings(out)
	return out
}

// safeReason keeps the part of a kin-openapi reason before any quoted value.
func safeReason(reason string) string {
	if i := strings.IndexAny(reason, "\"'"); i >= 0 {
		reason = strings.TrimSpace(reason[:i])
	}
	return reason
}

// Flatten expands a MultiError, and a ResponseError whose cause is a schema failure, into
// the leaf errors. A RequestError stays whole: it says which parameter or body failed.
func Flatten(err error) []error {
	switch e := err.(type) {
	case nil:
		return nil
	case openapi3.MultiError:
		var out []error
		for _, x := range e {
			out = append(out, Flatten(x)...)
		}
		return out
	case *openapi3filter.ResponseError:
		switch e.Err.(type) {
		case openapi3.MultiError, *openapi3.SchemaError:
			return Flatten(e.Err)
		}
	}
	return []error{err}
}

// Leaf is one schema failure: where (a JSON pointer, as segments) and which keyword of
// which schema failed. It carries no value.
type Leaf struct {
	Pointer []string
	Field   string
	Schema  *openapi3.Schema
}

// LeafOf follows a composed schema's error (allOf, anyOf, oneOf with one cause) to the
// schema that really failed, so a `$ref` wrapped in allOf reports "enum", not "allOf".
func LeafOf(se *openapi3.SchemaError) Leaf {
	l := Leaf{Pointer: se.JSONPointer(), Field: se.SchemaField, Schema: se.Schema}
	for l.Field == "allOf" || l.Field == "anyOf" || l.Field == "oneOf" {
		var me openapi3.MultiError
		if errors.As(se.Origin, &me) && len(me) != 1 {
			break
		}
		var inner *openapi3.SchemaError
		if !errors.As(se.Origin, &inner) {
			break
		}
		// The inner error is about the same value, so the outer pointer stays right.
		se = inner
		l = Leaf{Pointer: l.Pointer, Field: se.SchemaField, Schema: se.Schema}
	}
	return l
}

// Rule words the schema keyword a value failed in plain terms for a person reading a file or a
// command's message ("must be at most 100 characters"), from the schema alone: no value.
func Rule(l Leaf) string {
	s := l.Schema
	switch l.Field {
	case "required":
		return "is required"
	case "type", "nullable":
		if s == nil || s.Type == nil || len(s.Type.Slice()) != 1 {
			return "has the wrong type"
		}
		article := map[string]string{"string": "a string", "integer": "a whole number", "number": "a number",
			"boolean": "true or false", "array": "a list", "object": "a mapping of fields"}[s.Type.Slice()[0]]
		if article == "" {
			return "has the wrong type"
		}
		return "must be " + article
	case "minLength":
		if s.MinLength == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must be at least %d characters", s.MinLength)
	case "maxLength":
		return fmt.Sprintf("must be at most %d characters", *s.MaxLength)
	case "minimum":
		return fmt.Sprintf("must be at least %v", *s.Min)
	case "maximum":
		return fmt.Sprintf("must be at most %v", *s.Max)
	case "minItems":
		return fmt.Sprintf("must have at least %d items", s.MinItems)
	case "maxItems":
		return fmt.Sprintf("must have at most %d items", *s.MaxItems)
	case "enum":
		q := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			q[i] = fmt.Sprint(v)
		}
		return "must be one of " + strings.Join(q, ", ")
	case "format":
		if s.Format == "date-time" {
			return "must be a date and time in RFC 3339 form, such as 2030-01-01T00:00:00Z"
		}
		return "must be in the " + s.Format + " format"
	case "pattern":
		return "must match the pattern " + s.Pattern
	}
	return fmt.Sprintf("breaks the %q rule", l.Field)
}
