package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/jsonbody"
	"github.com/mixpeekkit/mixpeekkit/internal/lax"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// The behavioural rules a single exchange can show (beyond the schemas), and those of the
// bounds on one exchange's work (shape.go).
const (
	RulePlaintextKey  = "plaintext key: only create and rotate answer one"
	RuleSecretValue   = "secret value: never in an answer"
	RuleErrorStatus   = "ErrorResponse status: equals the HTTP status"
	ruleTooDeep       = "too-deep"
	ruleTooManyValues = "too-many-values"
	ruleTooMany       = "too-many-violations"
)

// problem is one way an exchange breaks the contract, before it is a Violation: root is a
// place the contract names (/body, /query/include_revoked, /status); segs go below it as the
// data names them (member names, indexes), shown only when they hold no secret.
type problem struct {
	root string
	segs []string
	rule string
}

// exchange is one request on its way through the proxy, with what was found wrong.
type exchange struct {
	p      *Proxy
	r      *http.Request
	body   []byte
	path   string
	method string
	route  *routers.Route
	params map[string]string
	// invalid are the ways the request breaks the contract: a violation only when the
	// upstream accepts it (a refusal, 4xx, is what the contract asks for).
	invalid []problem
	found   []Violation
	// echo bounds the search for secret values in the answer's texts, shown the search in
	// the pointers, path and method the proxy shows.
	echo, shown *budget
}

// add makes a problem a Violation of the exchange (the first maxExchangeViolations, then one
// for the rest), its pointer's data segments shown only when they hold no secret.
func (ex *exchange) add(direction string, status int, pr problem) {
	switch {
	case len(ex.found) > maxExchangeViolations:
		return
	case len(ex.found) == maxExchangeViolations:
		pr = problem{root: "/body", rule: ruleTooMany}
	}
	op := "(unknown)"
	if ex.route != nil {
		op = ex.route.Operation.OperationID
	}
	ptr := pr.root
	for _, seg := range pr.segs {
		ptr += "/" + ex.p.segment(seg, ex.shown)
	}
	ex.found = append(ex.found, Violation{Time: time.Now().UTC(), Method: ex.method, Path: ex.path,
		Operation: op, Direction: direction, Status: status, Pointer: ptr, Rule: pr.rule})
}

// checkRequest finds the operation and validates the request against it (what it finds
// counts once the answer is known); it remembers the secret values the request carries (as
// hashes), to find them in any answer.
func (ex *exchange) checkRequest() {
	route, params, err := ex.p.contract.FindRoute(ex.r)
	if err != nil {
		return // not one of the contract's operations: forwarded, not checked
	}
	ex.route, ex.params = route, params
	req := ex.r.Clone(ex.r.Context())
	// What the upstream's pydantic takes only by its lax parsing ("5" for an integer,
	// include_revoked=yes) is a lax-coercion, as the mock lists it; the rest of the check
	// sees the value as the contract writes it.
	body, read := ex.body, lax.Read{}
	if route.Operation.RequestBody != nil && route.Operation.RequestBody.Value != nil {
		if mt := route.Operation.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			body = lax.Body(body, mt.Schema.Value, ex.p.contract.Name, &read)
		}
	}
	q := req.URL.Query()
	for _, p := range route.Operation.Parameters {
		if p.Value != nil && p.Value.In == openapi3.ParameterInQuery && p.Value.Schema != nil && p.Value.Schema.Value != nil &&
			p.Value.Schema.Value.Type.Is(openapi3.TypeBoolean) && q.Has(p.Value.Name) {
			q.Set(p.Value.Name, lax.QueryBool(p.Value.Name, q.Get(p.Value.Name), &read))
		}
	}
	u := *req.URL
	u.RawQuery = q.Encode()
	req.URL = &u
	for _, at := range read.Coerced {
		ex.invalid = append(ex.invalid, pointerProblem(at, "lax-coercion"))
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(ex.r.Context(), input); err != nil {
		ex.invalid = append(ex.invalid, requestProblems(err)...)
	}
	if v, ok := jsonbody.Decode(ex.body); ok && route.Operation.RequestBody != nil && route.Operation.RequestBody.Value != nil {
		if mt := route.Operation.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			contract.SecretStrings(v, mt.Schema.Value, func(s string) {
				if s != "" {
					ex.p.secrets.remember(s)
				}
			})
		}
	}
}

// pointerProblem reads an escaped JSON pointer (lax's) as a problem: below /body, its
// segments are the data's.
func pointerProblem(at, rule string) problem {
	rest, ok := strings.CutPrefix(at, "/body/")
	if !ok {
		return problem{root: at, rule: rule}
	}
	segs := strings.Split(rest, "/")
	for i, s := range segs {
		segs[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
	}
	return problem{root: "/body", segs: segs, rule: rule}
}

// requestProblems turns kin-openapi's request error into problems, without any value.
func requestProblems(err error) []problem {
	var out []problem
	for _, e := range contract.Flatten(err) {
		var re *openapi3filter.RequestError
		if !errors.As(e, &re) {
			out = append(out, problem{rule: "invalid"})
			continue
		}
		at := "/body"
		if re.Parameter != nil {
			at = "/" + re.Parameter.In + "/" + re.Parameter.Name
		}
		leaves := 0
		for _, inner := range contract.Flatten(re.Err) {
			var se *openapi3.SchemaError
			if errors.As(inner, &se) {
				l := contract.LeafOf(se)
				out = append(out, problem{root: at, segs: l.Pointer, rule: l.Field})
				leaves++
			}
		}
		if leaves == 0 {
			rule := "invalid"
			switch {
			case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
				rule = "required"
			case re.Err != nil && strings.Contains(re.Err.Error(), "content type"):
				rule = "content type"
			case re.Err == nil && re.RequestBody != nil:
				rule = "required"
			}
			var pe *openapi3filter.ParseError
			if errors.As(re.Err, &pe) {
				rule = "not valid JSON"
				if re.Parameter != nil { // a value that does not read as the parameter's type
					rule = "type"
				}
			}
			out = append(out, problem{root: at, rule: rule})
		}
	}
	return out
}

// checkResponse validates the upstream's answer: its status, content type and body against
// the operation, then the behavioural rules.
func (ex *exchange) checkResponse(resp *http.Response, data []byte) {
	if ex.route == nil {
		return
	}
	status := resp.StatusCode
	if status < 400 {
		for _, pr := range ex.invalid {
			ex.add("request", status, pr)
		}
	}
	declared := ex.declared(status, resp.Header)
	if declared != nil {
		ex.add("response", status, *declared)
	}
	// An answer too deep or too large is not decoded at all: the schema check and the walk
	// below would cost far more than it is worth.
	tooDeep, values := shape(data)
	switch {
	case tooDeep:
		ex.add("response", status, problem{root: "/body", rule: ruleTooDeep})
		return
	case values > maxAnswerValues:
		ex.add("response", status, problem{root: "/body", rule: ruleTooManyValues})
		return
	case declared == nil:
		for _, pr := range ex.schemaProblems(status, resp.Header, data, values) {
			ex.add("response", status, pr)
		}
	}
	var body any
	if json.Unmarshal(data, &body) != nil {
		return
	}
	op := mixpeekkit.OperationID(ex.route.Operation.OperationID)
	keysAllowed := op == mixpeekkit.OpCreateAPIKey || op == mixpeekkit.OpRotateAPIKey
	walkTexts(body, func(segs []string, text string) {
		if !keysAllowed && sensitive.HasKey(text) {
			ex.add("response", status, problem{root: "/body", segs: segs, rule: RulePlaintextKey})
		}
		if found, _ := ex.p.secrets.holds(text, ex.echo); found {
			ex.add("response", status, problem{root: "/body", segs: segs, rule: RuleSecretValue})
		}
	})
	if m, ok := body.(map[string]any); ok && status >= 400 {
		if n, ok := m["status"].(float64); ok && int(n) != status {
			ex.add("response", status, problem{root: "/body/status", rule: RuleErrorStatus})
		}
	}
}

// declared is what contract.CheckResponse finds first: a status the operation does not
// declare, or a Content-Type that is not JSON (nil when neither).
func (ex *exchange) declared(status int, header http.Header) *problem {
	if ex.route.Operation.Responses.Status(status) == nil {
		return &problem{root: "/status", rule: "declared status"}
	}
	if mt, _, err := mime.ParseMediaType(header.Get("Content-Type")); err != nil || mt != "application/json" {
		return &problem{root: "/header/Content-Type", rule: "content type"}
	}
	return nil
}

// schemaProblems checks an answer's body against the operation's schema as
// contract.CheckResponse does, with each problem's place as the data's segments, so that a
// member name holding a secret is never shown. An answer of more than maxListedValues values
// is checked to its first problem.
func (ex *exchange) schemaProblems(status int, header http.Header, data []byte, values int) []problem {
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: ex.r, Route: ex.route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(data)),
		Options:                &openapi3filter.Options{MultiError: values <= maxListedValues, IncludeResponseStatus: true},
	}
	err := openapi3filter.ValidateResponse(ex.r.Context(), input)
	if err == nil {
		return nil
	}
	var out []problem
	for _, e := range contract.Flatten(err) {
		var se *openapi3.SchemaError
		var pe *openapi3filter.ParseError
		var re *openapi3filter.ResponseError
		switch {
		case errors.As(e, &se):
			l := contract.LeafOf(se)
			out = append(out, problem{root: "/body", segs: l.Pointer, rule: l.Field})
		case errors.As(e, &pe):
			out = append(out, problem{root: "/body", rule: "is not valid JSON"})
		case errors.As(e, &re) && re.Reason != "":
			// kin-openapi's reason, to the first quoted value (a header's name, a media type)
			reason, _, _ := strings.Cut(re.Reason, `"`)
			out = append(out, problem{root: "/body", rule: strings.TrimSpace(reason)})
		default:
			out = append(out, problem{root: "/body", rule: "invalid"})
		}
		if len(out) > maxExchangeViolations {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return strings.Join(out[i].segs, "/") < strings.Join(out[j].segs, "/")
	})
	return out
}

// walkTexts calls f with every string and every member name in a decoded JSON value, and
// the segments of its place (a member name's place is the member's). Members are taken in
// the order of their names.
func walkTexts(v any, f func(segs []string, text string)) {
	var segs []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			names := make([]string, 0, len(x))
			for k := range x {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				segs = append(segs, k)
				f(segs, k)
				walk(x[k])
				segs = segs[:len(segs)-1]
			}
		case []any:
			for i, e := range x {
				segs = append(segs, strconv.Itoa(i))
				walk(e)
				segs = segs[:len(segs)-1]
			}
		case string:
			f(segs, x)
		}
	}
	walk(v)
}
