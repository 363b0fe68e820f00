package generate

import (
	"fmt"
	"math"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

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
