package generate

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
)

// The generator reads the request side of a contract (a parsed openapi.yaml) and writes, for
// each operation, requests that break one rule of one member (negative cases: the server must
// answer 422 naming the member) and requests that put one member at a limit the schema allows
// (positive cases: the server must accept them). Nothing here knows a field of openapi.yaml:
// the members, their types, limits and enums all come from the schemas, so a new limit, enum
// value or required member in the document changes the cases, not this code.
//
// A case is a description, not a request: names, secret values and the resource a request
// targets exist only in a run, so the run builds each request (build) from the operation's
// smallest valid request and the one change the case describes.

// caseKind says whether a generated request must be refused or accepted.
type caseKind string

const (
	negative caseKind = "negative"
	positive caseKind = "positive"
)

// genOp is one operation of the contract and the cases generated for it.
type genOp struct {
	id      string // operationId
	short   string // the operationId's words before "_v1", with dashes: create-api-key
	method  string
	path    string // the path template: /v1/organizations/secrets/{secret_name}
	success int    // the success status the contract declares (the lowest 2xx)
	// item is the path parameter that names one resource of the operation's collection
	// (key_name, secret_name), "" when none; inPath says whether the operation's own path
	// holds it (the operation acts on an existing resource) or not (it creates or lists).
	item   string
	inPath bool
	// body is the request body's schema (nil when the operation takes none).
	body         *openapi3.Schema
	bodyRequired bool
	// ident is the body member that names the resource (secret_name; name, for key_name),
	// "" when none: its values carry the run's prefix.
	ident  string
	params []*openapi3.Parameter // path and query parameters, by place then name
	cases  []genCase
}

// creates says whether the operation makes a new resource (a POST on a collection).
func (op *genOp) creates() bool { return op.item != "" && !op.inPath && op.method == http.MethodPost }

// casesOf lists the operation's cases of one kind.
func (op *genOp) casesOf(kind caseKind) []genCase {
	var out []genCase
	for _, c := range op.cases {
		if c.kind == kind {
			out = append(out, c)
		}
	}
	return out
}

// genCase is one generated request: the operation's smallest valid request with one change.
type genCase struct {
	kind  caseKind
	in    string // body, query or path
	at    []any  // member names and array indexes below in; empty for the body itself
	rule  string // the schema keyword broken or exercised: required, type, nullable, minLength, …
	label string // where and what, for reports: `body.name: 101 characters (maxLength 100)`
	val   genValue
}

// loc is where a 422 must say the fault is: in, then the members and indexes, as decoded
// JSON holds them (an index is a float64).
func (c genCase) loc() []any {
	out := []any{c.in}
	for _, seg := range c.at {
		if i, ok := seg.(int); ok {
			out = append(out, float64(i))
		} else {
			out = append(out, seg)
		}
	}
	return out
}

// valueKind says how a case's value is made.
type valueKind int

const (
	valAbsent  valueKind = iota // the member (or the body, or the parameter) is left out
	valLiteral                  // lit, as it is (nil is JSON null)
	valString                   // a string of n characters made for its place: a name of the run, a secret value, or filler
	valItems                    // an array of n valid items
	valValid                    // a valid value, as the smallest valid request would hold
	valSpread                   // each of lits, one per item of the nearest array above the place
)

type genValue struct {
	kind valueKind
	lit  any
	n    int
	lits []any
}

// Values the generator uses. Wrong types are chosen so that no lax reader (pydantic's lax
// mode, which FastAPI servers use) takes them for the type wanted: a string for a number is
// a word, not digits; a string member gets a boolean, which no reader turns into a date (an
// integer would read as a Unix time).
const (
	notInEnum  = "not-in-enum"
	validDate  = "2099-01-01"
	validTime  = "2099-01-01T00:00:00Z"
	fillerText = "conformance"
	secretLen  = 28 // the length of a secret value the run makes when the schema leaves it free
	// minRedacted: a secret value shorter than this is not registered (for redaction and the
	// echo check): so short a text could occur in any answer by chance.
	minRedacted = 12
	// longestRunPrefix is the longest prefix a run can have (Config.Prefix: 40, a dash and
	// the run ID: 6). A name shorter than it plus two cannot be made to carry a run's prefix
	// and a dash and something, so such too-short or at-minimum names are not generated: a
	// server that created one would leave a resource the run could not recognize as its own.
	longestRunPrefix = 40 + 1 + 6
)

// generate lists the operations of doc and their cases, in a stable order: by path, then by
// method.
func generate(doc *openapi3.T) []*genOp {
	var ops []*genOp
	paths := doc.Paths.Map()
	templates := make([]string, 0, len(paths))
	for p := range paths {
		templates = append(templates, p)
	}
	sort.Strings(templates)
	for _, p := range templates {
		item := paths[p]
		methods := make([]string, 0, 8)
		for m := range item.Operations() {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, m := range methods {
			ops = append(ops, generateOp(templates, p, m, item, item.Operations()[m]))
		}
	}
	return ops
}

func generateOp(templates []string, path, method string, item *openapi3.PathItem, o *openapi3.Operation) *genOp {
	op := &genOp{id: o.OperationID, short: strings.ReplaceAll(contract.ShortName(o.OperationID), "_", "-"), method: method, path: path, success: successStatus(o)}
	op.item, op.inPath = itemParam(templates, path)
	if rb := o.RequestBody; rb != nil && rb.Value != nil {
		op.bodyRequired = rb.Value.Required
		if mt := rb.Value.GetMediaType("application/json"); mt != nil && mt.Schema != nil {
			op.body = mt.Schema.Value
		}
	}
	if op.body != nil && op.item != "" {
		u, _ := unwrap(op.body)
		words := strings.Split(op.item, "_")
		for _, name := range []string{op.item, words[len(words)-1]} {
			if u.Properties[name] != nil {
				op.ident = name
				break
			}
		}
	}
	seen := map[string]bool{}
	for _, params := range []openapi3.Parameters{o.Parameters, item.Parameters} {
		for _, p := range params {
			if p.Value == nil || seen[p.Value.In+" "+p.Value.Name] || (p.Value.In != openapi3.ParameterInPath && p.Value.In != openapi3.ParameterInQuery) {
				continue
			}
			seen[p.Value.In+" "+p.Value.Name] = true
			op.params = append(op.params, p.Value)
		}
	}
	sort.Slice(op.params, func(i, j int) bool {
		a, b := op.params[i], op.params[j]
		return a.In+" "+a.Name < b.In+" "+b.Name
	})
	w := &walker{op: op}
	for _, p := range op.params {
		if p.Schema != nil && p.Schema.Value != nil {
			w.param(p)
		}
	}
	if op.body != nil {
		w.body()
	}
	op.cases = w.cases
	return op
}

// successStatus is the lowest 2xx status the operation declares (200 when none).
func successStatus(o *openapi3.Operation) int {
	best := 0
	for code := range o.Responses.Map() {
		if n, err := strconv.Atoi(code); err == nil && n >= 200 && n < 300 && (best == 0 || n < best) {
			best = n
		}
	}
	if best == 0 {
		return http.StatusOK
	}
	return best
}

// itemParam finds the path parameter that names one resource of the collection a path is
// about: the path's last parameter when literal segments alone follow it (…/{key_name},
// …/{key_name}/rotate), or the parameter of the path one segment longer (…/api-keys has
// …/api-keys/{key_name}).
func itemParam(templates []string, path string) (name string, inPath bool) {
	segs := strings.Split(path, "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if isParam(segs[i]) {
			// The last parameter names an item unless the path is a collection below it.
			if i == len(segs)-1 || !hasChildParam(templates, path) {
				return strings.Trim(segs[i], "{}"), true
			}
			break
		}
	}
	for _, t := range templates {
		if rest, ok := strings.CutPrefix(t, path+"/"); ok && isParam(rest) {
			return strings.Trim(rest, "{}"), false
		}
	}
	return "", false
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

func hasChildParam(templates []string, path string) bool {
	for _, t := range templates {
		if rest, ok := strings.CutPrefix(t, path+"/"); ok && isParam(rest) {
			return true
		}
	}
	return false
}

// unwrap is the schema a declaration stands for, and whether it admits null: OpenAPI 3.0
// writes a nullable $ref as allOf: [$ref] with nullable: true.
func unwrap(s *openapi3.Schema) (*openapi3.Schema, bool) {
	nullable := false
	for s != nil {
		nullable = nullable || s.Nullable
		if s.Type == nil && len(s.Properties) == 0 && len(s.Enum) == 0 && len(s.AllOf) == 1 && s.AllOf[0].Value != nil {
			s = s.AllOf[0].Value
			continue
		}
		break
	}
	return s, nullable
}

// typeOf is a schema's one JSON type ("" when it declares none or several): declared, or
// read from its enum or its properties.
func typeOf(s *openapi3.Schema) string {
	if s == nil {
		return ""
	}
	if t := s.Type.Slice(); len(t) == 1 {
		return t[0]
	}
	switch {
	case s.Type != nil:
		return ""
	case len(s.Properties) > 0:
		return openapi3.TypeObject
	case len(s.Enum) > 0:
		switch s.Enum[0].(type) {
		case string:
			return openapi3.TypeString
		case float64, int, int64:
			return openapi3.TypeNumber
		}
	}
	return ""
}

// wrongBodyValue is a JSON value of another type than t.
func wrongBodyValue(t string) any {
	switch t {
	case openapi3.TypeString:
		return true
	case openapi3.TypeInteger:
		return "one"
	case openapi3.TypeNumber:
		return "one"
	case openapi3.TypeBoolean:
		return "not-a-boolean"
	case openapi3.TypeArray:
		return "not-an-array"
	case openapi3.TypeObject:
		return "not-an-object"
	}
	return nil
}

// wrongParamValue is a parameter value that is not of type t ("" when every text is: a
// string parameter).
func wrongParamValue(t string) string {
	switch t {
	case openapi3.TypeInteger, openapi3.TypeNumber:
		return "one"
	case openapi3.TypeBoolean:
		return "not-a-boolean"
	}
	return ""
}

var articles = map[string]string{
	openapi3.TypeString: "a string", openapi3.TypeInteger: "an integer", openapi3.TypeNumber: "a number",
	openapi3.TypeBoolean: "a boolean", openapi3.TypeArray: "an array", openapi3.TypeObject: "an object",
}

// role says what a string member holds, which decides how the run makes its values.
type role int

const (
	roleText   role = iota // filler
	roleName               // the resource's name: the run's prefix and more
	roleSecret             // a writeOnly member: a random value, redacted in reports
)

// roleOf is the role of the member at (in, at) whose declaration is s.
func (op *genOp) roleOf(in string, at []any, s *openapi3.Schema) role {
	switch {
	case in == "body" && op.ident != "" && len(at) == 1 && at[0] == op.ident:
		return roleName
	case in == "path" && len(at) == 1 && at[0] == op.item:
		return roleName
	case s != nil && s.WriteOnly:
		return roleSecret
	}
	return roleText
}
