package generate

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

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
