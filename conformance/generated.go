package conformance

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
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
	op := &genOp{id: o.OperationID, short: shortName(o.OperationID), method: method, path: path, success: successStatus(o)}
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

// shortName is an operationId's words before its path part, with dashes:
// create_api_key_v1_organizations_… is create-api-key.
func shortName(id string) string {
	if i := strings.Index(id, "_v1_"); i > 0 {
		id = id[:i]
	}
	return strings.ReplaceAll(id, "_", "-")
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

// walker collects the cases of one operation.
type walker struct {
	op    *genOp
	cases []genCase
}

func (w *walker) add(kind caseKind, in string, at []any, rule, what string, v genValue) {
	place := where(in, at)
	if v.kind == valSpread {
		i := lastIndex(at)
		place = where(in, at[:i]) + "[*]" + where("", at[i+1:])
	}
	w.cases = append(w.cases, genCase{kind: kind, in: in, at: append([]any(nil), at...), rule: rule,
		label: place + ": " + what, val: v})
}

// lastIndex is the position of the last array index in at (-1 when none).
func lastIndex(at []any) int {
	for i := len(at) - 1; i >= 0; i-- {
		if _, ok := at[i].(int); ok {
			return i
		}
	}
	return -1
}

// where is a place as a report shows it: body.scopes[0].resource_id, query.include_revoked.
func where(in string, at []any) string {
	var b strings.Builder
	b.WriteString(in)
	for _, seg := range at {
		switch s := seg.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", s)
		default:
			fmt.Fprintf(&b, ".%v", s)
		}
	}
	return b.String()
}

// jsonText is a literal as JSON shows it.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func chars(n int) string {
	if n == 1 {
		return "1 character"
	}
	return fmt.Sprintf("%d characters", n)
}

func items(n int) string {
	if n == 1 {
		return "1 item"
	}
	return fmt.Sprintf("%d items", n)
}

// number is a bound as JSON would carry it: an integer for an integer schema.
func number(v float64, t string) any {
	if t == openapi3.TypeInteger {
		return int64(v)
	}
	return v
}

func bound(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// body generates the cases of the request body: the body left out (when required), a body
// that is not what the schema's type says, then every member.
func (w *walker) body() {
	u, _ := unwrap(w.op.body)
	if w.op.bodyRequired {
		w.add(negative, "body", nil, "required", "missing (required)", genValue{kind: valAbsent})
	}
	if t := typeOf(u); t != "" {
		lit := wrongBodyValue(t)
		w.add(negative, "body", nil, "type", fmt.Sprintf("%s (not %s)", jsonText(lit), articles[t]), genValue{kind: valLiteral, lit: lit})
	}
	w.members("body", nil, u, nil)
}

// members generates the cases of each property of an object schema, in name order. arr is
// the nearest array the object is an item of (nil when none).
func (w *walker) members(in string, at []any, u *openapi3.Schema, arr *openapi3.Schema) {
	names := make([]string, 0, len(u.Properties))
	for name := range u.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	required := map[string]bool{}
	for _, r := range u.Required {
		required[r] = true
	}
	for _, name := range names {
		if p := u.Properties[name]; p != nil && p.Value != nil && !p.Value.ReadOnly {
			w.member(in, append(append([]any(nil), at...), name), p.Value, required[name], false, arr)
		}
	}
}

// member generates the cases of one member, or of an array's items (item): s is its
// declaration, required whether its object requires it, arr the nearest array it is in or
// is an item of (nil when none).
func (w *walker) member(in string, at []any, s *openapi3.Schema, required, item bool, arr *openapi3.Schema) {
	u, nullable := unwrap(s)
	t := typeOf(u)
	r := w.op.roleOf(in, at, u)
	before := len(w.cases)
	neg := func(rule, what string, v genValue) { w.add(negative, in, at, rule, what, v) }
	pos := func(rule, what string, v genValue) { w.add(positive, in, at, rule, what, v) }
	lit := func(v any) genValue { return genValue{kind: valLiteral, lit: v} }

	if required {
		neg("required", "missing (required)", genValue{kind: valAbsent})
	}
	if t != "" {
		wrong := wrongBodyValue(t)
		neg("type", fmt.Sprintf("%s (not %s)", jsonText(wrong), articles[t]), lit(wrong))
	}
	if !item {
		if nullable {
			pos("nullable", "null (nullable)", lit(nil))
		} else {
			neg("nullable", "null (not nullable)", lit(nil))
		}
	}
	w.limits(in, at, u, t, r, arr, neg, pos)
	switch t {
	case openapi3.TypeArray:
		if u.Items != nil && u.Items.Value != nil {
			w.member(in, append(append([]any(nil), at...), 0), u.Items.Value, false, true, u)
		}
	case openapi3.TypeObject:
		w.members(in, at, u, arr)
	}
	// An optional member no rule above exercised is still sent once, with a valid value.
	if !required && !item && !hasPositive(w.cases[before:]) {
		pos("optional", "a valid value (optional)", genValue{kind: valValid})
	}
}

func hasPositive(cases []genCase) bool {
	for _, c := range cases {
		if c.kind == positive {
			return true
		}
	}
	return false
}

// limits generates the cases of the keywords that bound a value: lengths, enum, format,
// bounds, item counts. They are the same for a body member and a parameter. Inside an array
// (arr), the enum's values go in one request, one per item, when the array can hold them all:
// each value is still sent, in fewer requests.
func (w *walker) limits(in string, at []any, u *openapi3.Schema, t string, r role, arr *openapi3.Schema, neg, pos func(rule, what string, v genValue)) {
	lit := func(v any) genValue { return genValue{kind: valLiteral, lit: v} }
	str := func(n int) genValue { return genValue{kind: valString, n: n} }
	nameFits := func(n int) bool { return n >= longestRunPrefix+2 }
	switch t {
	case openapi3.TypeString:
		if u.MinLength > 0 {
			n := int(u.MinLength) - 1
			// An empty path segment changes the route, an empty query value counts as absent.
			if !(n == 0 && in != "body") && (r != roleName || n == 0 || nameFits(n)) {
				neg("minLength", fmt.Sprintf("%s (minLength %d)", chars(n), u.MinLength), str(n))
			}
			if r == roleText || (r == roleName && nameFits(int(u.MinLength))) || (r == roleSecret && u.MinLength >= minRedacted) {
				pos("minLength", fmt.Sprintf("%s (minLength %d)", chars(int(u.MinLength)), u.MinLength), str(int(u.MinLength)))
			}
		}
		if u.MaxLength != nil {
			neg("maxLength", fmt.Sprintf("%s (maxLength %d)", chars(int(*u.MaxLength)+1), *u.MaxLength), str(int(*u.MaxLength)+1))
			pos("maxLength", fmt.Sprintf("%s (maxLength %d)", chars(int(*u.MaxLength)), *u.MaxLength), str(int(*u.MaxLength)))
		}
		switch u.Format {
		case "date-time", "date":
			bad, good := "not-a-date-time", validTime
			if u.Format == "date" {
				bad, good = "not-a-date", validDate
			}
			neg("format", fmt.Sprintf("%q (format %s)", bad, u.Format), lit(bad))
			if len(u.Enum) == 0 {
				pos("format", fmt.Sprintf("%q (format %s)", good, u.Format), lit(good))
			}
		}
	case openapi3.TypeInteger, openapi3.TypeNumber:
		if u.Min != nil {
			v, ok := *u.Min, true
			if u.ExclusiveMin.IsTrue() {
				neg("minimum", fmt.Sprintf("%s (exclusive minimum %s)", bound(v), bound(v)), lit(number(v, t)))
				v, ok = v+1, t == openapi3.TypeInteger
			} else {
				neg("minimum", fmt.Sprintf("%s (minimum %s)", bound(v-1), bound(v)), lit(number(v-1, t)))
			}
			if ok {
				pos("minimum", fmt.Sprintf("%s (minimum %s)", bound(v), bound(*u.Min)), lit(number(v, t)))
			}
		}
		if u.Max != nil {
			v, ok := *u.Max, true
			if u.ExclusiveMax.IsTrue() {
				neg("maximum", fmt.Sprintf("%s (exclusive maximum %s)", bound(v), bound(v)), lit(number(v, t)))
				v, ok = v-1, t == openapi3.TypeInteger
			} else {
				neg("maximum", fmt.Sprintf("%s (maximum %s)", bound(v+1), bound(v)), lit(number(v+1, t)))
			}
			if ok {
				pos("maximum", fmt.Sprintf("%s (maximum %s)", bound(v), bound(*u.Max)), lit(number(v, t)))
			}
		}
	case openapi3.TypeBoolean:
		if len(u.Enum) == 0 {
			pos("type", "true (boolean)", lit(true))
			pos("type", "false (boolean)", lit(false))
		}
	case openapi3.TypeArray:
		if u.MinItems > 0 {
			neg("minItems", fmt.Sprintf("%s (minItems %d)", items(int(u.MinItems)-1), u.MinItems), genValue{kind: valItems, n: int(u.MinItems) - 1})
		}
		if u.MaxItems != nil {
			neg("maxItems", fmt.Sprintf("%s (maxItems %d)", items(int(*u.MaxItems)+1), *u.MaxItems), genValue{kind: valItems, n: int(*u.MaxItems) + 1})
			pos("maxItems", fmt.Sprintf("%s (maxItems %d)", items(int(*u.MaxItems)), *u.MaxItems), genValue{kind: valItems, n: int(*u.MaxItems)})
		}
	}
	if len(u.Enum) > 0 {
		names := make([]string, len(u.Enum))
		for i, e := range u.Enum {
			names[i] = fmt.Sprint(e)
		}
		if arr != nil && len(u.Enum) > 1 && (arr.MaxItems == nil || int(*arr.MaxItems) >= len(u.Enum)) {
			pos("enum", fmt.Sprintf("each of the %d enum values, one per item", len(u.Enum)), genValue{kind: valSpread, lits: u.Enum})
		} else {
			for _, e := range u.Enum {
				pos("enum", fmt.Sprintf("%s (enum)", jsonText(e)), lit(e))
			}
		}
		neg("enum", fmt.Sprintf("%s (enum %s)", jsonText(outside(u.Enum, t)), strings.Join(names, "|")), lit(outside(u.Enum, t)))
	}
}

// outside is a value of type t that the enum does not hold.
func outside(enum []any, t string) any {
	if t == openapi3.TypeInteger || t == openapi3.TypeNumber {
		top := math.Inf(-1)
		for _, e := range enum {
			if f, ok := e.(float64); ok && f > top {
				top = f
			}
		}
		return number(top+1, t)
	}
	v := notInEnum
	for i := 2; slices.Contains(enum, any(v)); i++ {
		v = fmt.Sprintf("%s-%d", notInEnum, i)
	}
	return v
}

// param generates the cases of a path or query parameter. A path parameter is always text,
// so only its limits can be broken, and none of its values can be a positive case: the path
// would name another resource.
func (w *walker) param(p *openapi3.Parameter) {
	u, _ := unwrap(p.Schema.Value)
	t := typeOf(u)
	at := []any{p.Name}
	in := p.In
	r := w.op.roleOf(in, at, u)
	neg := func(rule, what string, v genValue) { w.add(negative, in, at, rule, what, v) }
	pos := func(rule, what string, v genValue) {
		if in == openapi3.ParameterInQuery {
			w.add(positive, in, at, rule, what, v)
		}
	}
	if in == openapi3.ParameterInQuery && p.Required {
		neg("required", "missing (required)", genValue{kind: valAbsent})
	}
	if wrong := wrongParamValue(t); wrong != "" {
		neg("type", fmt.Sprintf("%q (not %s)", wrong, articles[t]), genValue{kind: valLiteral, lit: wrong})
	}
	w.limits(in, at, u, t, r, nil, neg, pos)
}

// maker makes the values only a run can make.
type maker interface {
	// newName is a new name of the run: its prefix, a dash and more.
	newName() string
	// runPrefix is the run's prefix (without the dash).
	runPrefix() string
	// newSecret is a new random secret value of n characters; the run remembers it, to
	// redact it and to look for it in answers, when it is long enough not to occur by chance.
	newSecret(n int) string
}

// builtRequest is a case made into a request.
type builtRequest struct {
	path    string // with the query
	hasBody bool
	body    any // the body as sent (valid JSON value)
	// names are the values of the identifier member that carry the run's prefix; loose are
	// the JSON texts of the non-string values it was given, which a lax server might take
	// for a name.
	names []string
	loose []string
}

// build makes the case into a request: the operation's smallest valid request (the required
// members and parameters, each with a valid value) with the case's one change. vals are the
// path parameters' values, already escaped. A nil case builds the smallest valid request.
func (op *genOp) build(c *genCase, m maker, vals map[string]string) (*builtRequest, error) {
	b := &builder{op: op, m: m}
	out := &builtRequest{}
	path := op.path
	query := url.Values{}
	for _, p := range op.params {
		var v string
		switch {
		case c != nil && c.in == p.In && len(c.at) == 1 && c.at[0] == p.Name:
			if c.val.kind == valAbsent {
				continue
			}
			x, err := b.value(c.val, p.Schema.Value, p.In, c.at)
			if err != nil {
				return nil, err
			}
			v = fmt.Sprint(x)
			if p.In == openapi3.ParameterInPath {
				v = url.PathEscape(v)
			}
		case p.In == openapi3.ParameterInPath:
			var ok bool
			if v, ok = vals[p.Name]; !ok {
				return nil, fmt.Errorf("the suite has no value for path parameter %s", p.Name)
			}
		case p.Required:
			x, err := b.valid(p.Schema.Value, p.In, []any{p.Name})
			if err != nil {
				return nil, err
			}
			v = fmt.Sprint(x)
		default:
			continue
		}
		if p.In == openapi3.ParameterInPath {
			path = strings.ReplaceAll(path, "{"+p.Name+"}", v)
		} else {
			query.Set(p.Name, v)
		}
	}
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	out.path = path
	if op.body != nil {
		body, err := b.valid(op.body, "body", nil)
		if err != nil {
			return nil, err
		}
		out.hasBody = true
		if c != nil && c.in == "body" {
			if len(c.at) == 0 && c.val.kind == valAbsent {
				out.hasBody, body = false, nil
			} else if body, err = b.set(body, op.body, nil, c.at, c.val); err != nil {
				return nil, err
			}
		}
		out.body = body
		if obj, ok := body.(map[string]any); ok && op.ident != "" {
			switch v := obj[op.ident].(type) {
			case nil:
				if _, sent := obj[op.ident]; sent {
					out.loose = append(out.loose, "null")
				}
			case string:
				if strings.HasPrefix(v, m.runPrefix()+"-") {
					out.names = append(out.names, v)
				}
			default:
				out.loose = append(out.loose, jsonText(v))
			}
		}
	}
	return out, nil
}

// builder makes the values of one request.
type builder struct {
	op *genOp
	m  maker
}

func child(at []any, seg any) []any { return append(append([]any(nil), at...), seg) }

// valid is a valid value for the declaration s at (in, at): the first enum value, a string
// as its role and limits say, a number at its bound (1 when free), true, the fewest valid
// items, or an object of its required members.
func (b *builder) valid(s *openapi3.Schema, in string, at []any) (any, error) {
	u, _ := unwrap(s)
	if len(u.Enum) > 0 {
		return u.Enum[0], nil
	}
	t := typeOf(u)
	switch t {
	case openapi3.TypeString:
		switch u.Format {
		case "date-time":
			return validTime, nil
		case "date":
			return validDate, nil
		}
		return b.str(u, in, at, -1)
	case openapi3.TypeInteger, openapi3.TypeNumber:
		v := 1.0
		switch {
		case u.Min != nil:
			v = math.Ceil(*u.Min)
			if u.ExclusiveMin.IsTrue() && v == *u.Min {
				v++
			}
		case u.Max != nil && *u.Max < 1:
			v = math.Floor(*u.Max)
			if u.ExclusiveMax.IsTrue() && v == *u.Max {
				v--
			}
		}
		return number(v, t), nil
	case openapi3.TypeBoolean:
		return true, nil
	case openapi3.TypeArray:
		return b.items(u, in, at, int(u.MinItems))
	case openapi3.TypeObject:
		obj := map[string]any{}
		for _, name := range u.Required {
			p := u.Properties[name]
			if p == nil || p.Value == nil {
				obj[name] = fillerText
				continue
			}
			v, err := b.valid(p.Value, in, child(at, name))
			if err != nil {
				return nil, err
			}
			obj[name] = v
		}
		return obj, nil
	}
	if u.Nullable {
		return nil, nil
	}
	return fillerText, nil
}

// items is an array of n valid items of the array schema u.
func (b *builder) items(u *openapi3.Schema, in string, at []any, n int) ([]any, error) {
	out := make([]any, 0, n)
	for i := 0; i < n; i++ {
		var v any = fillerText
		if u.Items != nil && u.Items.Value != nil {
			var err error
			if v, err = b.valid(u.Items.Value, in, child(at, i)); err != nil {
				return nil, err
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// str is a string for the declaration u at (in, at), of n characters (n < 0: a length its
// limits allow), made as its role says.
func (b *builder) str(u *openapi3.Schema, in string, at []any, n int) (string, error) {
	free := n < 0
	switch b.op.roleOf(in, at, u) {
	case roleName:
		name := b.m.newName()
		if free {
			n = max(len(name), int(u.MinLength))
			if u.MaxLength != nil {
				n = min(n, int(*u.MaxLength))
			}
		}
		switch {
		case n >= len(name):
			return name + strings.Repeat("x", n-len(name)), nil
		case n == 0:
			return "", nil
		case n >= len(b.m.runPrefix())+2:
			return name[:n], nil
		}
		return "", fmt.Errorf("a name of %s cannot carry the run's prefix %q: use a shorter prefix", chars(n), b.m.runPrefix())
	case roleSecret:
		if free {
			n = max(secretLen, int(u.MinLength))
			if u.MaxLength != nil {
				n = min(n, int(*u.MaxLength))
			}
		}
		return b.m.newSecret(n), nil
	}
	if free {
		n = max(len(fillerText), int(u.MinLength))
		if u.MaxLength != nil {
			n = min(n, int(*u.MaxLength))
		}
	}
	return filler(n), nil
}

// filler is n characters of readable text.
func filler(n int) string {
	return strings.Repeat(fillerText+"-", n/(len(fillerText)+1)+1)[:n]
}

// value makes a case's value for the declaration s at (in, at).
func (b *builder) value(v genValue, s *openapi3.Schema, in string, at []any) (any, error) {
	switch v.kind {
	case valLiteral:
		return v.lit, nil
	case valString:
		u, _ := unwrap(s)
		return b.str(u, in, at, v.n)
	case valValid:
		return b.valid(s, in, at)
	case valItems:
		u, _ := unwrap(s)
		return b.items(u, in, at, v.n)
	}
	return nil, fmt.Errorf("no value for %s", where(in, at))
}

// set puts the case's value at rest (below done) in cur, a value of the declaration s, and
// returns the result. Members and items on the way that cur lacks are made valid first.
func (b *builder) set(cur any, s *openapi3.Schema, done, rest []any, v genValue) (any, error) {
	if len(rest) == 0 {
		return b.value(v, s, "body", done)
	}
	u, _ := unwrap(s)
	switch seg := rest[0].(type) {
	case string:
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s is not an object", where("body", done))
		}
		p := u.Properties[seg]
		if p == nil || p.Value == nil {
			return nil, fmt.Errorf("%s declares no %s", where("body", done), seg)
		}
		if len(rest) == 1 && v.kind == valAbsent {
			delete(obj, seg)
			return obj, nil
		}
		next, present := obj[seg]
		if !present && len(rest) > 1 {
			var err error
			if next, err = b.valid(p.Value, "body", child(done, seg)); err != nil {
				return nil, err
			}
		}
		x, err := b.set(next, p.Value, child(done, seg), rest[1:], v)
		if err != nil {
			return nil, err
		}
		obj[seg] = x
		return obj, nil
	case int:
		arr, _ := cur.([]any)
		if u.Items == nil || u.Items.Value == nil {
			return nil, fmt.Errorf("%s declares no items", where("body", done))
		}
		if v.kind == valSpread && lastIndex(rest) == 0 {
			out := make([]any, 0, len(v.lits))
			for i, lit := range v.lits {
				item, err := b.valid(u.Items.Value, "body", child(done, i))
				if err != nil {
					return nil, err
				}
				if item, err = b.set(item, u.Items.Value, child(done, i), rest[1:], genValue{kind: valLiteral, lit: lit}); err != nil {
					return nil, err
				}
				out = append(out, item)
			}
			return out, nil
		}
		for len(arr) <= seg {
			x, err := b.valid(u.Items.Value, "body", child(done, len(arr)))
			if err != nil {
				return nil, err
			}
			arr = append(arr, x)
		}
		x, err := b.set(arr[seg], u.Items.Value, child(done, seg), rest[1:], v)
		if err != nil {
			return nil, err
		}
		arr[seg] = x
		return arr, nil
	}
	return nil, fmt.Errorf("bad place %v", rest[0])
}
