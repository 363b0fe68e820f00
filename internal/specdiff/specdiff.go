// Package specdiff compares two OpenAPI documents (3.0 or 3.1, JSON or YAML) for a set of
// operations: paths, methods, parameters, declared statuses, request and response bodies,
// and, for every schema reached from them, its properties, types, nullability, required
// lists, enums, formats and limits. Each difference carries a JSON pointer into each
// document and whether it can break a client written against the first document ("ours")
// when it talks to a server that follows the second ("upstream").
//
// The documents are read as plain data, not through an OpenAPI library: kin-openapi reads
// 3.0 only, and what is compared here is what both versions spell differently (3.0
// `nullable` is a 3.1 type array or an anyOf with null).
package specdiff

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Document is a parsed OpenAPI document.
type Document struct {
	root map[string]any
}

// Parse reads an OpenAPI 3.0 or 3.1 document, JSON or YAML, within the limits of read.go.
func Parse(data []byte) (*Document, error) {
	d, err := parse(data)
	return d, withoutKeys(err)
}

func parse(data []byte) (*Document, error) {
	j, err := toJSON(data)
	if err != nil {
		return nil, err
	}
	var root map[string]any
	if err := json.Unmarshal(j, &root); err != nil || root == nil {
		return nil, fmt.Errorf("not an OpenAPI document: the top level is not a mapping")
	}
	v, _ := root["openapi"].(string)
	if !strings.HasPrefix(v, "3.0") && !strings.HasPrefix(v, "3.1") {
		return nil, fmt.Errorf("openapi version %q: only 3.0 and 3.1 are compared", v)
	}
	if _, ok := root["paths"].(map[string]any); !ok {
		return nil, fmt.Errorf("no paths")
	}
	return &Document{root: root}, nil
}

// Has says whether a JSON pointer names a node of the document.
func (d *Document) Has(pointer string) bool {
	var node any = d.root
	for _, part := range strings.Split(pointer, "/")[1:] {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		switch x := node.(type) {
		case map[string]any:
			var ok bool
			if node, ok = x[part]; !ok {
				return false
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return false
			}
			node = x[i]
		default:
			return false
		}
	}
	return true
}

// Difference is one way the documents differ.
type Difference struct {
	Ours     string `json:"ours"`     // JSON pointer into ours (where the thing is, or would be)
	Upstream string `json:"upstream"` // JSON pointer into upstream
	Kind     string `json:"kind"`     // what differs: "type", "enum", "required", "property", …
	Message  string `json:"message"`  // in words, with both sides' values
	Breaking bool   `json:"breaking"` // whether a client written against ours can fail against upstream
}

func (d Difference) String() string {
	level := "compatible"
	if d.Breaking {
		level = "breaking"
	}
	return fmt.Sprintf("%s %s: %s (ours %s, upstream %s)", level, d.Kind, d.Message, d.Ours, d.Upstream)
}

// Operation names an operation of ours by path and method ("GET").
type Operation struct {
	Path, Method string
}

// Operations lists every operation of the document, sorted by path then method.
func (d *Document) Operations() []Operation {
	var out []Operation
	for path, item := range obj(d.root["paths"]) {
		for method := range obj(item) {
			if httpMethods[method] {
				out = append(out, Operation{path, strings.ToUpper(method)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "patch": true, "head": true, "options": true, "trace": true}

// Compare lists the differences between ours and upstream for the given operations of ours
// (every operation of ours when ops is empty), sorted by our pointer.
func Compare(ours, upstream *Document, ops []Operation) []Difference {
	if len(ops) == 0 {
		ops = ours.Operations()
	}
	c := &comparer{ours: ours, up: upstream, seen: map[[2]string]bool{}}
	for _, op := range ops {
		c.operation(op)
	}
	// A schema reached from a request and from a response (a shared enum) differs once:
	// breaking when it breaks either way.
	var out []Difference
	at := map[Difference]int{}
	for _, d := range c.out {
		key := d
		key.Breaking = false
		if i, ok := at[key]; ok {
			out[i].Breaking = out[i].Breaking || d.Breaking
			continue
		}
		at[key] = len(out)
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Ours != out[j].Ours {
			return out[i].Ours < out[j].Ours
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

type comparer struct {
	ours, up *Document
	seen     map[[2]string]bool // schema pairs compared (by pointer), so a cycle ends
	out      []Difference
}

func (c *comparer) add(ours, up, kind string, breaking bool, format string, args ...any) {
	c.out = append(c.out, Difference{Ours: ours, Upstream: up, Kind: kind, Breaking: breaking, Message: fmt.Sprintf(format, args...)})
}

// ptr joins JSON-pointer segments, escaping each.
func ptr(base string, segs ...string) string {
	var b strings.Builder
	b.WriteString(base)
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(s))
	}
	return b.String()
}

func (c *comparer) operation(op Operation) {
	m := strings.ToLower(op.Method)
	oAt, uAt := ptr("", "paths", op.Path, m), ptr("", "paths", op.Path, m)
	o := obj(obj(obj(c.ours.root["paths"])[op.Path])[m])
	u := obj(obj(obj(c.up.root["paths"])[op.Path])[m])
	if u == nil {
		c.add(oAt, uAt, "operation", true, "%s %s is not in upstream", op.Method, op.Path)
		return
	}
	if oid, uid := str(o["operationId"]), str(u["operationId"]); oid != uid {
		c.add(ptr(oAt, "operationId"), ptr(uAt, "operationId"), "operationId", false, "operationId %q, upstream %q", oid, uid)
	}
	c.parameters(op, oAt, uAt, o, u)
	c.requestBody(oAt, uAt, o, u)
	c.responses(oAt, uAt, o, u)
}

// param is a parameter found at a pointer.
type param struct {
	at string
	v  map[string]any
}

func (c *comparer) params(d *Document, path, method string) map[string]param {
	out := map[string]param{}
	collect := func(at string, list any) {
		for i, p := range arr(list) {
			pat := ptr(at, strconv.Itoa(i))
			pv, pat := d.resolve(obj(p), pat)
			out[str(pv["in"])+" "+str(pv["name"])] = param{pat, pv}
		}
	}
	collect(ptr("", "paths", path, "parameters"), obj(obj(d.root["paths"])[path])["parameters"])
	collect(ptr("", "paths", path, method, "parameters"), obj(obj(obj(d.root["paths"])[path])[method])["parameters"])
	return out
}

func (c *comparer) parameters(op Operation, oAt, uAt string, o, u map[string]any) {
	m := strings.ToLower(op.Method)
	ours, ups := c.params(c.ours, op.Path, m), c.params(c.up, op.Path, m)
	for _, k := range sortedKeys(ours, ups) {
		op, ok1 := ours[k]
		up, ok2 := ups[k]
		switch {
		case !ok2:
			c.add(op.at, ptr(uAt, "parameters"), "parameter", false, "parameter %s is not in upstream", k)
		case !ok1:
			req := truthy(up.v["required"])
			c.add(ptr(oAt, "parameters"), up.at, "parameter", req, "parameter %s (required: %v) is only in upstream", k, req)
		default:
			if or, ur := truthy(op.v["required"]), truthy(up.v["required"]); or != ur {
				c.add(ptr(op.at, "required"), ptr(up.at, "required"), "required", ur, "parameter %s required: %v, upstream %v", k, or, ur)
			}
			c.schema(ptr(op.at, "schema"), ptr(up.at, "schema"), op.v["schema"], up.v["schema"], request)
		}
	}
}

func (c *comparer) requestBody(oAt, uAt string, o, u map[string]any) {
	ob, oat := c.ours.resolve(obj(o["requestBody"]), ptr(oAt, "requestBody"))
	ub, uat := c.up.resolve(obj(u["requestBody"]), ptr(uAt, "requestBody"))
	switch {
	case ob == nil && ub == nil:
		return
	case ub == nil:
		c.add(oat, uat, "requestBody", true, "a request body that upstream does not declare")
		return
	case ob == nil:
		c.add(oat, uat, "requestBody", truthy(ub["required"]), "upstream declares a request body (required: %v)", truthy(ub["required"]))
		return
	}
	if or, ur := truthy(ob["required"]), truthy(ub["required"]); or != ur {
		c.add(ptr(oat, "required"), ptr(uat, "required"), "required", ur, "request body required: %v, upstream %v", or, ur)
	}
	c.content(ptr(oat, "content"), ptr(uat, "content"), ob["content"], ub["content"], request)
}

func (c *comparer) responses(oAt, uAt string, o, u map[string]any) {
	or, ur := obj(o["responses"]), obj(u["responses"])
	for _, status := range sortedKeys(or, ur) {
		ov, ok1 := or[status]
		uv, ok2 := ur[status]
		oat, uat := ptr(oAt, "responses", status), ptr(uAt, "responses", status)
		switch {
		case !ok2:
			c.add(oat, ptr(uAt, "responses"), "status", false, "status %s is not declared upstream", status)
		case !ok1:
			c.add(ptr(oAt, "responses"), uat, "status", true, "status %s is declared only upstream: a client of ours does not expect it", status)
		default:
			ob, oat := c.ours.resolve(obj(ov), oat)
			ub, uat := c.up.resolve(obj(uv), uat)
			c.content(ptr(oat, "content"), ptr(uat, "content"), ob["content"], ub["content"], response)
		}
	}
}

// content compares the application/json schemas of two content maps.
func (c *comparer) content(oAt, uAt string, o, u any, dir direction) {
	const mt = "application/json"
	om, um := obj(obj(o)[mt]), obj(obj(u)[mt])
	switch {
	case om == nil && um == nil:
	case um == nil:
		c.add(ptr(oAt, mt), uAt, "content", true, "%s content that upstream does not declare", mt)
	case om == nil:
		c.add(oAt, ptr(uAt, mt), "content", dir == response, "%s content declared only upstream", mt)
	default:
		c.schema(ptr(oAt, mt, "schema"), ptr(uAt, mt, "schema"), om["schema"], um["schema"], dir)
	}
}

// direction says who writes the value a schema describes: a request is the client's, a
// response the server's. A difference breaks a client when upstream accepts less than ours
// in a request, or may send more than ours in a response.
type direction int

const (
	request direction = iota
	response
)

func (d direction) String() string { return [...]string{"request", "response"}[d] }

// resolve follows a local $ref ("#/…") and returns the value and its pointer.
func (d *Document) resolve(v map[string]any, at string) (map[string]any, string) {
	for range 32 {
		ref, ok := v["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#/") {
			return v, at
		}
		at = ref[1:]
		var cur any = d.root
		for _, seg := range strings.Split(ref[2:], "/") {
			seg = strings.NewReplacer("~1", "/", "~0", "~").Replace(seg)
			cur = obj(cur)[seg]
		}
		v = obj(cur)
	}
	return v, at
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }
func arr(v any) []any          { a, _ := v.([]any); return a }
func str(v any) string         { s, _ := v.(string); return s }
func truthy(v any) bool        { b, _ := v.(bool); return b }

// sortedKeys lists the keys of both maps, once each, sorted.
func sortedKeys[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
