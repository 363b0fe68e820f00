package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/mixpeekkit/mixpeekkit/internal/jsonbody"
	"github.com/mixpeekkit/mixpeekkit/internal/lax"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/gorilla/mux"

	"github.com/mixpeekkit/mixpeekkit/internal/contract"
)

// maxBody bounds what a request body may hold; the contract's bodies are a few hundred bytes.
const maxBody = 1 << 20

// maxBodyValues bounds how many JSON values (jsonbody.Count: values and member names) a body
// may hold: decoding turns a 3-byte {} into a map of a hundred bytes, and
// checking it against the contract makes an error of each bad one, so a megabyte of them would
// cost a gigabyte. The contract's bodies hold a few dozen.
const maxBodyValues = 10_000

// tooManyValues says whether a body holds more than maxBodyValues values (at any depth: the
// contract check reads what FastAPI reads, however deep).
func tooManyValues(data []byte) bool {
	values, _, _ := jsonbody.Count(data, math.MaxInt, maxBodyValues)
	return values > maxBodyValues
}

// validateRequest checks the request against its operation in openapi.yaml. It returns the
// percent-decoded path parameters and the body, or a 422 whose detail lists every violation.
// Shape rules live only in openapi.yaml; nothing here repeats them.
func (s *Server) validateRequest(r *http.Request, op *operation) (map[string]string, []byte, error) {
	vars := map[string]string{}
	for name, raw := range mux.Vars(r) {
		v, err := url.PathUnescape(raw)
		if err != nil {
			return nil, nil, errValidation([]violation{{
				Loc: []any{"path", name}, Msg: "Input should be a valid percent-encoded string", Type: "string_type",
			}})
		}
		vars[name] = v
	}
	var read lax.Read
	readQueryAsFastAPI(r, op, &read)
	hasBody := op.route.Operation.RequestBody != nil
	var nulls []violation
	if hasBody {
		data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return nil, nil, errBodyTooLarge(maxBody)
		case err != nil:
			return nil, nil, errBodyUnreadable()
		}
		r.Body = io.NopCloser(bytes.NewReader(data))
		if readAsJSON(r) {
			if tooManyValues(data) {
				return nil, nil, errBodyTooManyValues(maxBodyValues)
			}
			// encoding/json would turn bad UTF-8 and lone surrogates into U+FFFD, so two names
			// could become one and a value not the one sent: refused, as FastAPI refuses them.
			if at := jsonbody.FirstInvalidText(data); at >= 0 {
				return nil, nil, errValidation([]violation{{Loc: []any{"body", at}, Msg: "JSON decode error", Type: "json_invalid"}})
			}
			nulls = nullsOverDefaults(data, op.bodySchema())
			if !op.control { // the upstream's parsing; the control API is the mock's own
				data = lax.Body(data, op.bodySchema(), op.doc.Name, &read)
				if read.Unparsable {
					return nil, nil, errBadRequest(lax.TooManyDigits.Msg+": an integer has more than 4300 digits", nil)
				}
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(data)), int64(len(data))
		}
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: vars,
		Route:      op.route,
		Options: &openapi3filter.Options{
			// The defaults of openapi.yaml (an API key's permissions) are written into the
			// body (kin-openapi does it unless told not to), so the handlers repeat none.
			MultiError:         true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		},
	}
	if err := openapi3filter.ValidateRequest(r.Context(), input); err != nil || len(nulls) > 0 || len(read.Refused) > 0 {
		refused := nulls
		for _, v := range read.Refused {
			refused = append(refused, violation{Loc: v.Loc, Msg: v.Msg, Type: v.Type})
		}
		unlisted := 0
		if err != nil {
			// What pydantic refused at a place, it words; the contract check adds the rest,
			// rendered only while the answer has room (errValidation lists maxViolations).
			worded := map[string]bool{}
			for _, v := range read.Refused {
				worded[lax.Pointer(v.Loc)] = true
			}
			left := &room{left: maxViolations + 1 - len(refused)}
			for _, v := range requestViolations(err, op.doc.Name, left) {
				if !worded[lax.Pointer(v.Loc)] {
					refused = append(refused, v)
				}
			}
			unlisted = left.unlisted
		}
		return nil, nil, errValidationOf(sorted(refused), unlisted)
	}
	pendingOf(r.Context()).coerced = read.Coerced
	var body []byte
	if hasBody {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, nil, errBodyUnreadable()
		}
	}
	return vars, body, nil
}

// readAsJSON reports whether FastAPI would read the request's body as JSON: with no
// Content-Type, application/json, or any application/*+json. The contract check then sees
// application/json; any other type is left for it to refuse.
func readAsJSON(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
			return false
		}
	}
	r.Header.Set("Content-Type", "application/json")
	return true
}

// readQueryAsFastAPI rewrites the query as FastAPI reads it, for the contract check and the
// handlers. A value that is not valid percent-encoding is the text it is (url.Query would drop
// the pair, so include_revoked=%zz would read as absent; Python's unquote keeps "%zz", which the
// schema then refuses). A parameter given twice takes its last value, and the values of boolean
// parameters (include_revoked) are read as pydantic reads them (lax.QueryBool) and written
// true or false.
func readQueryAsFastAPI(r *http.Request, op *operation, read *lax.Read) {
	if r.URL.RawQuery == "" {
		return
	}
	q := url.Values{}
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		q.Add(unquotePlus(name), unquotePlus(value))
	}
	for _, p := range op.route.Operation.Parameters {
		if p.Value == nil || p.Value.In != openapi3.ParameterInQuery || p.Value.Schema == nil || p.Value.Schema.Value == nil {
			continue
		}
		// A parameter that is not a list takes the last of its values, as Starlette's query
		// mapping does (include_revoked=false&include_revoked=true is true).
		if vs := q[p.Value.Name]; len(vs) > 1 && !op.control && !p.Value.Schema.Value.Type.Is(openapi3.TypeArray) {
			q[p.Value.Name] = vs[len(vs)-1:]
		}
		if !p.Value.Schema.Value.Type.Is(openapi3.TypeBoolean) {
			continue
		}
		for i, v := range q[p.Value.Name] {
			if op.control {
				continue
			}
			q[p.Value.Name][i] = lax.QueryBool(p.Value.Name, v, read)
		}
	}
	u := *r.URL
	u.RawQuery = q.Encode()
	r.URL = &u
}

// unquotePlus decodes a query component as Python's unquote_plus does: "+" is a space, a valid
// %XX is its byte, and anything else (an invalid escape) stays as it is.
func unquotePlus(s string) string {
	s = strings.ReplaceAll(s, "+", " ")
	if v, err := url.PathUnescape(s); err == nil {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}

// room is how many more violations an answer renders; the rest are only counted.
type room struct{ left, unlisted int }

// take says whether one more violation is rendered, and counts it if not.
func (r *room) take() bool {
	if r.left > 0 {
		r.left--
		return true
	}
	r.unlisted++
	return false
}

// requestViolations renders kin-openapi's errors as FastAPI's HTTPValidationError entries,
// as many as room has (a body of 200,000 bad items has as many errors). Messages are built
// from the schema, never from the submitted value.
func requestViolations(err error, doc string, room *room) []violation {
	var out []violation
	for _, e := range contract.Flatten(err) {
		re, ok := e.(*openapi3filter.RequestError)
		if !ok {
			if room.take() {
				out = append(out, violation{Loc: []any{"body"}, Msg: "Input is invalid", Type: "value_error"})
			}
			continue
		}
		loc := []any{"body"}
		if re.Parameter != nil {
			loc = []any{re.Parameter.In, re.Parameter.Name}
		}
		out = append(out, detailsOf(re, loc, doc, room)...)
	}
	return out
}

// sorted puts violations in a stable order: by place, then type. Each place is worded once.
func sorted(v []violation) []violation {
	type keyed struct {
		place string
		v     violation
	}
	ks := make([]keyed, len(v))
	for i := range v {
		ks[i] = keyed{fmt.Sprint(v[i].Loc...), v[i]}
	}
	sort.SliceStable(ks, func(i, j int) bool {
		if ks[i].place != ks[j].place {
			return ks[i].place < ks[j].place
		}
		return ks[i].v.Type < ks[j].v.Type
	})
	for i := range ks {
		v[i] = ks[i].v
	}
	return v
}

// nullsOverDefaults finds the members sent as null whose schema is not nullable but has a
// default (an API key's permissions): kin-openapi takes such a null for an absent member and
// writes the default over it, so it would pass; FastAPI refuses it.
func nullsOverDefaults(data []byte, schema *openapi3.Schema) []violation {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return nil // the contract check refuses it
	}
	var out []violation
	var walk func(v any, s *openapi3.Schema, loc []any)
	walk = func(v any, s *openapi3.Schema, loc []any) {
		s = contract.Unwrap(s)
		switch x := v.(type) {
		case map[string]any:
			for name, e := range x {
				p := contract.Property(s, name)
				if p == nil {
					continue
				}
				at := append(append([]any{}, loc...), name)
				if e == nil && p.Default != nil && !p.Nullable {
					out = append(out, schemaDetail(at, contract.Unwrap(p), "type", ""))
					continue
				}
				walk(e, p, at)
			}
		case []any:
			if items := contract.Items(s); items != nil {
				for i, e := range x {
					walk(e, items, append(append([]any{}, loc...), i))
				}
			}
		}
	}
	walk(v, schema, []any{"body"})
	return out
}

func detailsOf(re *openapi3filter.RequestError, loc []any, doc string, room *room) []violation {
	var syntax *json.SyntaxError
	var parse *openapi3filter.ParseError
	var out []violation
	switch {
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return []violation{{Loc: loc, Msg: "Field required", Type: "missing"}}
	case re.Err == nil && re.RequestBody != nil:
		// The Content-Type is not JSON: FastAPI does not read such a body as an object.
		return []violation{{Loc: loc, Msg: "Input should be a valid dictionary or object to extract fields from", Type: "model_attributes_type"}}
	case errors.As(re.Err, &syntax):
		return []violation{{Loc: append(loc, int(max(syntax.Offset-1, 0))), Msg: "JSON decode error", Type: "json_invalid"}}
	case errors.As(re.Err, &parse) && re.RequestBody != nil:
		return []violation{{Loc: append(loc, 0), Msg: "JSON decode error", Type: "json_invalid"}}
	case errors.As(re.Err, &parse):
		return []violation{schemaDetail(loc, re.Parameter.Schema.Value, "type", doc)}
	}
	for _, leaf := range contract.Flatten(re.Err) {
		if !room.take() {
			continue
		}
		var se *openapi3.SchemaError
		if !errors.As(leaf, &se) {
			out = append(out, violation{Loc: loc, Msg: "Input is invalid", Type: "value_error"})
			continue
		}
		l := contract.LeafOf(se)
		at := append([]any{}, loc...)
		if re.Parameter == nil { // a body pointer; parameters are single values
			for _, seg := range l.Pointer {
				if n, err := strconv.Atoi(seg); err == nil {
					at = append(at, n)
				} else {
					at = append(at, seg)
				}
			}
		}
		out = append(out, schemaDetail(at, l.Schema, l.Field, doc))
	}
	return out
}

// schemaDetail words one failed schema keyword as pydantic does.
func schemaDetail(loc []any, sch *openapi3.Schema, field, doc string) violation {
	d := violation{Loc: loc}
	switch field {
	case "required":
		d.Type, d.Msg = "missing", "Field required"
	case "type", "nullable":
		d.Type, d.Msg = typeError(sch)
	case "minLength":
		d.Type, d.Msg = "string_too_short", fmt.Sprintf("String should have at least %s", plural(sch.MinLength, "character"))
	case "maxLength":
		d.Type, d.Msg = "string_too_long", fmt.Sprintf("String should have at most %s", plural(*sch.MaxLength, "character"))
	case "minimum":
		d.Type, d.Msg = "greater_than_equal", fmt.Sprintf("Input should be greater than or equal to %v", *sch.Min)
	case "enum":
		d.Type, d.Msg = "enum", "Input should be "+enumList(sch.Enum)
	case "format":
		if sch.Type.Is(openapi3.TypeInteger) { // format: int64, the contract's bound
			d.Type, d.Msg = lax.IntParsingSize.Type, lax.IntParsingSize.Msg
		} else {
			d.Type, d.Msg = lax.DatetimeDate.Type, lax.DatetimeDate.Msg
		}
	default:
		d.Type, d.Msg = "value_error", fmt.Sprintf("Input fails the %q rule of %s", field, doc)
	}
	return d
}

func typeError(sch *openapi3.Schema) (string, string) {
	switch {
	case sch == nil || sch.Type == nil:
		return "value_error", "Input has the wrong type"
	case sch.Type.Is("string"):
		return "string_type", "Input should be a valid string"
	case sch.Type.Is("integer"):
		return "int_type", "Input should be a valid integer"
	case sch.Type.Is("number"):
		return "float_type", "Input should be a valid number"
	case sch.Type.Is("boolean"):
		return "bool_parsing", "Input should be a valid boolean"
	case sch.Type.Is("array"):
		return "list_type", "Input should be a valid list"
	case sch.Type.Is("object"):
		return "model_attributes_type", "Input should be a valid dictionary or object to extract fields from"
	}
	return "value_error", "Input has the wrong type"
}

func plural(n uint64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// enumList words the allowed values as pydantic does: 'a', 'b' or 'c'.
func enumList(values []any) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("'%v'", v)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
