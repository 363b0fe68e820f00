package proxy

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
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

// The behavioural rules a single exchange can show (beyond the schemas).
const (
	RulePlaintextKey = "plaintext key: only create and rotate answer one"
	RuleSecretValue  = "secret value: never in an answer"
	RuleErrorStatus  = "ErrorResponse status: equals the HTTP status"
)

// exchange is one request on its way through the proxy, with what was found wrong.
type exchange struct {
	p      *Proxy
	r      *http.Request
	body   []byte
	path   string
	route  *routers.Route
	params map[string]string
	// invalid are the ways the request breaks the contract: a violation only when the
	// upstream accepts it (a refusal, 4xx, is what the contract asks for).
	invalid [][2]string
	found   []Violation
}

func (ex *exchange) add(direction string, status int, pointer, rule string) {
	op := "(unknown)"
	if ex.route != nil {
		op = ex.route.Operation.OperationID
	}
	ex.found = append(ex.found, Violation{Time: time.Now().UTC(), Method: ex.r.Method, Path: ex.path,
		Operation: op, Direction: direction, Status: status, Pointer: pointer, Rule: rule})
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
		ex.invalid = append(ex.invalid, [2]string{at, "lax-coercion"})
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
					ex.p.rememberSecret(s)
				}
			})
		}
	}
}

func (p *Proxy) rememberSecret(v string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.secrets) >= maxSecretHashes {
		p.secrets = map[[sha256.Size]byte]struct{}{}
	}
	p.secrets[sha256.Sum256([]byte(v))] = struct{}{}
}

func (p *Proxy) isSecret(v string) bool {
	h := sha256.Sum256([]byte(v))
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.secrets[h]
	return ok
}

// requestProblems turns kin-openapi's request error into (pointer, rule) pairs, without
// any value.
func requestProblems(err error) [][2]string {
	var out [][2]string
	for _, e := range contract.Flatten(err) {
		var re *openapi3filter.RequestError
		if !errors.As(e, &re) {
			out = append(out, [2]string{"", "invalid"})
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
				p := at
				if len(l.Pointer) > 0 {
					p += "/" + strings.Join(l.Pointer, "/")
				}
				out = append(out, [2]string{p, l.Field})
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
			out = append(out, [2]string{at, rule})
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
			ex.add("request", status, pr[0], pr[1])
		}
	}
	if err := ex.p.contract.CheckResponse(ex.r.Context(), ex.route, ex.r, status, resp.Header, data); err != nil {
		var v *contract.Violation
		if errors.As(err, &v) {
			for _, pr := range v.Problems {
				ptr, rule := splitProblem(pr)
				ex.add("response", status, ptr, rule)
			}
		}
	}
	var body any
	if json.Unmarshal(data, &body) != nil {
		return
	}
	op := mixpeekkit.OperationID(ex.route.Operation.OperationID)
	keysAllowed := op == mixpeekkit.OpCreateAPIKey || op == mixpeekkit.OpRotateAPIKey
	walkStrings(body, "/body", func(at, s string) {
		if !keysAllowed && sensitive.HasKey(s) {
			ex.add("response", status, at, RulePlaintextKey)
		}
		if ex.p.isSecret(s) {
			ex.add("response", status, at, RuleSecretValue)
		}
	})
	if m, ok := body.(map[string]any); ok && status >= 400 {
		if n, ok := m["status"].(float64); ok && int(n) != status {
			ex.add("response", status, "/body/status", RuleErrorStatus)
		}
	}
}

// splitProblem reads one of contract.Describe's problems ("body/a/b: fails \"enum\"",
// "status 200 is not declared", "Content-Type is not application/json") as a pointer and a
// rule.
func splitProblem(p string) (string, string) {
	switch {
	case strings.HasPrefix(p, "status "):
		return "/status", "declared status"
	case strings.HasPrefix(p, "Content-Type"):
		return "/header/Content-Type", "content type"
	}
	if at, rule, ok := strings.Cut(p, ": fails "); ok {
		if q, err := strconv.Unquote(rule); err == nil {
			rule = q
		}
		return "/" + strings.TrimSuffix(at, "/"), rule
	}
	if at, rule, ok := strings.Cut(p, ": "); ok {
		return "/" + at, rule
	}
	return "/body", p
}

// walkStrings calls f with every string in a decoded JSON value and its pointer.
func walkStrings(v any, at string, f func(at, s string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			walkStrings(e, at+"/"+strings.NewReplacer("~", "~0", "/", "~1").Replace(k), f)
		}
	case []any:
		for i, e := range x {
			walkStrings(e, at+"/"+strconv.Itoa(i), f)
		}
	case string:
		f(at, x)
	}
}
