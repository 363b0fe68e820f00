package specdiff

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// norm is a schema with the spellings of both OpenAPI versions made one: its $ref followed,
// a lone allOf unwrapped, and null (3.0 nullable, a 3.1 type array, an anyOf or oneOf with
// {type: null}) taken out into nullable.
type norm struct {
	decl     string // where the schema is used (before its $ref and wrappers)
	at       string
	m        map[string]any
	types    []string // sorted, without null; empty: any type
	nullable bool
}

func (d *Document) norm(v any, at string) norm {
	n := norm{decl: at, at: at}
	m := obj(v)
	for range 16 {
		m, n.at = d.resolve(m, n.at)
		if truthy(m["nullable"]) {
			n.nullable = true
		}
		if inner, at, ok := d.unwrap(m, n.at); ok {
			if inner.null {
				n.nullable = true
			}
			m, n.at = inner.m, at
			continue
		}
		break
	}
	n.m = m
	switch t := m["type"].(type) {
	case string:
		if t == "null" {
			n.nullable = true
		} else {
			n.types = []string{t}
		}
	case []any:
		for _, x := range t {
			if s := str(x); s == "null" {
				n.nullable = true
			} else if s != "" {
				n.types = append(n.types, s)
			}
		}
	}
	sort.Strings(n.types)
	return n
}

type unwrapped struct {
	m    map[string]any
	null bool
}

// unwrap finds the one schema a wrapper stands for: allOf with one member and nothing else
// that constrains, or anyOf/oneOf of one schema and {type: null}.
func (d *Document) unwrap(m map[string]any, at string) (unwrapped, string, bool) {
	if all := arr(m["allOf"]); len(all) == 1 && m["type"] == nil && m["properties"] == nil {
		return unwrapped{m: obj(all[0])}, ptr(at, "allOf", "0"), true
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		alts := arr(m[k])
		if len(alts) != 2 {
			continue
		}
		for i, a := range alts {
			if isNull(obj(a)) {
				other := 1 - i
				return unwrapped{m: obj(alts[other]), null: true}, ptr(at, k, strconv.Itoa(other)), true
			}
		}
	}
	return unwrapped{}, "", false
}

func isNull(m map[string]any) bool {
	if str(m["type"]) != "null" {
		return false
	}
	for k := range m {
		if k != "type" && k != "title" && k != "description" {
			return false
		}
	}
	return true
}

// schema compares two schemas found at the pointers.
func (c *comparer) schema(oAt, uAt string, ov, uv any, dir direction) {
	if ov == nil && uv == nil {
		return
	}
	o, u := c.ours.norm(ov, oAt), c.up.norm(uv, uAt)
	// A client fails when upstream may send (response) or refuses (request) what ours does
	// not say: narrowerUp is "upstream accepts less", widerUp "upstream may send more".
	narrowerUp, widerUp := dir == request, dir == response
	// Null is a property of where a schema is used, so it is compared at every use.
	if o.nullable != u.nullable {
		c.add(o.decl, u.decl, "nullable", (u.nullable && widerUp) || (o.nullable && narrowerUp),
			"nullable: %v, upstream %v", o.nullable, u.nullable)
	}
	key := [2]string{o.at + " " + dir.String(), u.at}
	if c.seen[key] {
		return
	}
	c.seen[key] = true

	if ot, ut := strings.Join(o.types, ","), strings.Join(u.types, ","); ot != ut {
		breaking := true
		if ot == "" { // ours: any type
			breaking = narrowerUp
		} else if ut == "" {
			breaking = widerUp
		}
		c.add(ptr(o.at, "type"), ptr(u.at, "type"), "type", breaking, "type %s, upstream %s", cmp.Or(ot, "any"), cmp.Or(ut, "any"))
	}
	if of, uf := str(o.m["format"]), str(u.m["format"]); of != uf {
		c.add(ptr(o.at, "format"), ptr(u.at, "format"), "format", true, "format %q, upstream %q", of, uf)
	}
	if op, up := str(o.m["pattern"]), str(u.m["pattern"]); op != up {
		c.add(ptr(o.at, "pattern"), ptr(u.at, "pattern"), "pattern", true, "pattern %q, upstream %q", op, up)
	}
	c.enum(o, u, narrowerUp, widerUp)
	if od, ud := show(o.m["default"]), show(u.m["default"]); od != ud {
		// A client that leaves the value out gets upstream's default.
		c.add(ptr(o.at, "default"), ptr(u.at, "default"), "default", dir == request, "default %s, upstream %s", od, ud)
	}
	for _, l := range []string{"minLength", "minimum", "minItems", "minProperties"} {
		c.limit(o, u, l, true, narrowerUp, widerUp)
	}
	for _, l := range []string{"maxLength", "maximum", "maxItems", "maxProperties"} {
		c.limit(o, u, l, false, narrowerUp, widerUp)
	}
	c.required(o, u, narrowerUp, widerUp)
	c.properties(o, u, dir)
	if o.m["items"] != nil || u.m["items"] != nil {
		c.schema(ptr(o.at, "items"), ptr(u.at, "items"), o.m["items"], u.m["items"], dir)
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		oa, ua := arr(o.m[k]), arr(u.m[k])
		if len(oa) != len(ua) {
			c.add(ptr(o.at, k), ptr(u.at, k), k, true, "%s of %d schemas, upstream %d", k, len(oa), len(ua))
			continue
		}
		for i := range oa {
			c.schema(ptr(o.at, k, strconv.Itoa(i)), ptr(u.at, k, strconv.Itoa(i)), oa[i], ua[i], dir)
		}
	}
}

// show is a value as JSON, "(none)" when absent.
func show(v any) string {
	if v == nil {
		return "(none)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func (c *comparer) enum(o, u norm, narrowerUp, widerUp bool) {
	oe, hasO := o.m["enum"]
	ue, hasU := u.m["enum"]
	if !hasO && !hasU {
		return
	}
	os, us := values(oe), values(ue)
	onlyO, onlyU := minus(os, us), minus(us, os)
	if hasO && hasU && len(onlyO) == 0 && len(onlyU) == 0 {
		return
	}
	breaking := false
	switch {
	case !hasU: // upstream: any value
		breaking = widerUp
	case !hasO:
		breaking = narrowerUp
	default:
		breaking = (len(onlyU) > 0 && widerUp) || (len(onlyO) > 0 && narrowerUp)
	}
	c.add(ptr(o.at, "enum"), ptr(u.at, "enum"), "enum", breaking, "enum %s, upstream %s", list(os, hasO), list(us, hasU))
}

func values(v any) []string {
	var out []string
	for _, x := range arr(v) {
		out = append(out, fmt.Sprint(x))
	}
	sort.Strings(out)
	return out
}

func list(vs []string, present bool) string {
	if !present {
		return "(none)"
	}
	return "[" + strings.Join(vs, ", ") + "]"
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// limit compares a bound; lower says whether it is a lower bound (minLength) or an upper one.
func (c *comparer) limit(o, u norm, name string, lower, narrowerUp, widerUp bool) {
	ol, hasO := o.m[name].(float64)
	ul, hasU := u.m[name].(float64)
	if hasO == hasU && ol == ul {
		return
	}
	// upstream is stricter when its bound exists and ours does not, or is tighter.
	stricter := hasU && (!hasO || (lower && ul > ol) || (!lower && ul < ol))
	breaking := (stricter && narrowerUp) || (!stricter && widerUp)
	c.add(ptr(o.at, name), ptr(u.at, name), "limit", breaking, "%s %s, upstream %s", name, bound(ol, hasO), bound(ul, hasU))
}

func bound(v float64, ok bool) string {
	if !ok {
		return "(none)"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func (c *comparer) required(o, u norm, narrowerUp, widerUp bool) {
	or, ur := values(o.m["required"]), values(u.m["required"])
	for _, p := range minus(or, ur) {
		c.add(ptr(o.at, "required"), ptr(u.at, "required"), "required", widerUp, "%s is required in ours, optional upstream", p)
	}
	for _, p := range minus(ur, or) {
		c.add(ptr(o.at, "required"), ptr(u.at, "required"), "required", narrowerUp, "%s is required upstream, optional in ours", p)
	}
}

func (c *comparer) properties(o, u norm, dir direction) {
	op, up := obj(o.m["properties"]), obj(u.m["properties"])
	oreq, ureq := values(o.m["required"]), values(u.m["required"])
	for _, name := range sortedKeys(op, up) {
		ov, inO := op[name]
		uv, inU := up[name]
		switch {
		case inO && inU:
			c.schema(ptr(o.at, "properties", name), ptr(u.at, "properties", name), ov, uv, dir)
		case inO:
			// Upstream does not declare it: in an answer it may be missing (breaking when
			// ours requires it); in a request upstream may refuse it if it closes the object.
			breaking := (dir == response && slices.Contains(oreq, name)) ||
				(dir == request && u.m["additionalProperties"] == false)
			c.add(ptr(o.at, "properties", name), ptr(u.at, "properties"), "property", breaking, "property %s is not upstream", name)
		default:
			breaking := dir == request && slices.Contains(ureq, name)
			c.add(ptr(o.at, "properties"), ptr(u.at, "properties", name), "property", breaking, "property %s is only upstream", name)
		}
	}
}
