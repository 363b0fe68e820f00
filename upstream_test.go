//go:build upstream

package mixpeekkit

// Compares openapi.yaml with the published upstream document (OpenAPI 3.1), whose path is
// MIXPEEK_UPSTREAM_SPEC. The upstream JSON is read into plain maps with encoding/json, not
// through kin-openapi's 3.1 support.
//
//	make check-upstream UPSTREAM=path/to/upstream.json
//
// With this build tag a missing path or file fails the test; make check-upstream without
// UPSTREAM says so and runs nothing.

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
)

// upstreamExtraProperties are the properties openapi.yaml may declare beyond upstream: the
// optional fields of the official SDK (v0.81.1), which is newer than the upstream JSON.
var upstreamExtraProperties = map[string][]string{
	"APIKeyModel":          {"key_type", "subscription_id", "allowed_origins"},
	"APIKeyCreateResponse": {"key_type", "subscription_id", "allowed_origins"},
	// Not an SDK field: declared writeOnly so that an answer echoing the value breaks the
	// contract (a divergence listed in openapi.yaml). It must stay writeOnly and optional.
	"SecretResponse": {"secret_value"},
}

// upstreamWriteOnlyExtras are extra properties that are allowed only as writeOnly, optional.
var upstreamWriteOnlyExtras = map[string]map[string]bool{
	"SecretResponse": {"secret_value": true},
}

// upstreamExtraSchemas are the component schemas openapi.yaml may add.
var upstreamExtraSchemas = map[string]bool{"APIKeyListResponse": true, "APIKeyType": true}

func loadUpstream(t *testing.T) map[string]any {
	t.Helper()
	path := os.Getenv("MIXPEEK_UPSTREAM_SPEC")
	if path == "" {
		t.Fatal("no upstream document: set MIXPEEK_UPSTREAM_SPEC (make check-upstream UPSTREAM=path)")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("upstream document: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("upstream document %s: %v", path, err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("upstream document %s: openapi %q is not 3.x", path, v)
	}
	return doc
}

// obj and list read a generic JSON value, nil when it has another shape.
func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }
func list(v any) []any         { l, _ := v.([]any); return l }

func refName(ref string) string { return ref[strings.LastIndex(ref, "/")+1:] }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func stringList(v any) []string {
	var out []string
	for _, x := range list(v) {
		out = append(out, fmt.Sprint(x))
	}
	sort.Strings(out)
	return out
}

// upstreamOp is one operation of either document, keyed the same way.
type upstreamOp struct {
	Path, Method, OperationID string
}

// param is one parameter reduced to what must agree.
type param struct {
	Name, In string
	Required bool
	Type     string
	Default  string // fmt.Sprint of the default, "<none>" when absent
}

// shape is a schema reduced to what must agree: a reference, or a type with its limits.
// Upstream's anyOf [X, {type: null}] and ours allOf [$ref] + nullable both reduce to X with
// Nullable set.
type shape struct {
	Ref       string
	Type      string
	Format    string
	Nullable  bool
	Enum      []string
	MinLength uint64
	MaxLength *uint64
	Minimum   *float64
	Items     *shape
	AnyOf     []shape
}

func (s shape) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}

func upstreamShape(v any) shape {
	m := obj(v)
	if m == nil {
		return shape{Type: fmt.Sprintf("<not a schema: %T>", v)}
	}
	if ref, ok := m["$ref"].(string); ok {
		return shape{Ref: refName(ref)}
	}
	if alts := list(m["anyOf"]); len(alts) > 0 {
		var rest []any
		null := false
		for _, a := range alts {
			if t, _ := obj(a)["type"].(string); t == "null" && len(obj(a)) == 1 {
				null = true
				continue
			}
			rest = append(rest, a)
		}
		if null && len(rest) == 1 {
			s := upstreamShape(rest[0])
			s.Nullable = true
			return s
		}
		var s shape
		for _, a := range rest {
			s.AnyOf = append(s.AnyOf, upstreamShape(a))
		}
		s.Nullable = null
		return s
	}
	var s shape
	switch t := m["type"].(type) {
	case string:
		s.Type = t
	case []any: // 3.1 type arrays: ["string", "null"]
		var types []string
		for _, x := range t {
			if x == "null" {
				s.Nullable = true
			} else {
				types = append(types, fmt.Sprint(x))
			}
		}
		s.Type = strings.Join(types, ",")
	}
	s.Format, _ = m["format"].(string)
	if e, ok := m["enum"]; ok {
		s.Enum = stringList(e)
	}
	if n, ok := m["minLength"].(float64); ok {
		s.MinLength = uint64(n)
	}
	if n, ok := m["maxLength"].(float64); ok {
		u := uint64(n)
		s.MaxLength = &u
	}
	if n, ok := m["minimum"].(float64); ok {
		s.Minimum = &n
	}
	if items, ok := m["items"]; ok {
		it := upstreamShape(items)
		s.Items = &it
	}
	return s
}

func ourShape(sr *openapi3.SchemaRef) shape {
	if sr == nil {
		return shape{Type: "<nil>"}
	}
	if sr.Ref != "" {
		return shape{Ref: refName(sr.Ref)}
	}
	v := sr.Value
	if v == nil {
		return shape{Type: "<unresolved>"}
	}
	if len(v.AllOf) == 1 && v.AllOf[0].Ref != "" && (v.Type == nil || len(v.Type.Slice()) == 0) {
		return shape{Ref: refName(v.AllOf[0].Ref), Nullable: v.Nullable}
	}
	s := shape{Nullable: v.Nullable, Format: v.Format, MinLength: v.MinLength, MaxLength: v.MaxLength, Minimum: v.Min}
	if v.Type != nil {
		s.Type = strings.Join(v.Type.Slice(), ",")
	}
	if v.Enum != nil {
		s.Enum = stringList(v.Enum)
	}
	if v.Items != nil {
		it := ourShape(v.Items)
		s.Items = &it
	}
	for _, a := range v.AnyOf {
		s.AnyOf = append(s.AnyOf, ourShape(a))
	}
	return s
}

func TestUpstreamOperations(t *testing.T) {
	up := loadUpstream(t)
	doc := loadTestContract(t)

	var want, got []upstreamOp
	for path, item := range obj(up["paths"]) {
		for method, op := range obj(item) {
			id, _ := obj(op)["operationId"].(string)
			want = append(want, upstreamOp{path, strings.ToUpper(method), id})
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			got = append(got, upstreamOp{path, method, op.OperationID})
		}
	}
	less := func(a, b upstreamOp) bool { return a.OperationID < b.OperationID }
	if len(want) != len(upstreamOperationIDs) {
		t.Errorf("upstream has %d operations, want %d", len(want), len(upstreamOperationIDs))
	}
	if diff := cmp.Diff(want, got, cmpSortSlices(less)); diff != "" {
		t.Errorf("(path, method, operationId) (-upstream +ours):\n%s", diff)
	}
}

func cmpSortSlices[T any](less func(a, b T) bool) cmp.Option {
	return cmp.Transformer("sort", func(in []T) []T {
		out := append([]T(nil), in...)
		sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
		return out
	})
}

// upstreamOperations maps operationId to the upstream operation object.
func upstreamOperations(up map[string]any) map[string]map[string]any {
	ops := map[string]map[string]any{}
	for _, item := range obj(up["paths"]) {
		for _, op := range obj(item) {
			if id, _ := obj(op)["operationId"].(string); id != "" {
				ops[id] = obj(op)
			}
		}
	}
	return ops
}

// ourOperations maps operationId to our operation and the parameters of its path item.
func ourOperations(doc *openapi3.T) map[string]struct {
	Op       *openapi3.Operation
	ItemPars openapi3.Parameters
} {
	out := map[string]struct {
		Op       *openapi3.Operation
		ItemPars openapi3.Parameters
	}{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			out[op.OperationID] = struct {
				Op       *openapi3.Operation
				ItemPars openapi3.Parameters
			}{op, item.Parameters}
		}
	}
	return out
}

func defaultString(v any, present bool) string {
	if !present {
		return "<none>"
	}
	return fmt.Sprint(v)
}

func TestUpstreamParameters(t *testing.T) {
	up := loadUpstream(t)
	ours := ourOperations(loadTestContract(t))
	for id, uop := range upstreamOperations(up) {
		o, ok := ours[id]
		if !ok {
			t.Errorf("%s: missing from openapi.yaml", id)
			continue
		}
		var want, got []param
		for _, p := range list(uop["parameters"]) {
			pm := obj(p)
			sch := obj(pm["schema"])
			d, hasDefault := sch["default"]
			want = append(want, param{
				Name:     fmt.Sprint(pm["name"]),
				In:       fmt.Sprint(pm["in"]),
				Required: pm["required"] == true,
				Type:     upstreamShape(sch).Type,
				Default:  defaultString(d, hasDefault),
			})
		}
		for _, pr := range append(append(openapi3.Parameters(nil), o.ItemPars...), o.Op.Parameters...) {
			p := pr.Value
			if p == nil {
				t.Errorf("%s: unresolved parameter %s", id, pr.Ref)
				continue
			}
			np := param{Name: p.Name, In: p.In, Required: p.Required, Default: "<none>"}
			if p.Schema != nil && p.Schema.Value != nil {
				np.Type = ourShape(p.Schema).Type
				np.Default = defaultString(p.Schema.Value.Default, p.Schema.Value.Default != nil)
			}
			got = append(got, np)
		}
		less := func(a, b param) bool { return a.In+"/"+a.Name < b.In+"/"+b.Name }
		if diff := cmp.Diff(want, got, cmpSortSlices(less)); diff != "" {
			t.Errorf("%s: parameters (-upstream +ours):\n%s", id, diff)
		}
	}
}

func TestUpstreamResponses(t *testing.T) {
	up := loadUpstream(t)
	ours := ourOperations(loadTestContract(t))
	for id, uop := range upstreamOperations(up) {
		o, ok := ours[id]
		if !ok {
			t.Errorf("%s: missing from openapi.yaml", id)
			continue
		}
		uresp := obj(uop["responses"])
		want := sortedKeys(uresp)
		if createOperations[id] {
			want = append(want, "409")
			sort.Strings(want)
		}
		got := sortedKeys(o.Op.Responses.Map())
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: response statuses (-upstream +ours):\n%s", id, diff)
		}

		// Where upstream names a schema, ours names the same one; upstream's free-form
		// API-key list is the one documented exception.
		for status, r := range uresp {
			usch := upstreamShape(obj(obj(obj(r)["content"])["application/json"])["schema"])
			if usch.Ref == "" {
				if !(id == opListAPIKeys && status == "200") {
					t.Errorf("%s %s: upstream schema %v is not a $ref; add it to the exceptions", id, status, usch)
				}
				continue
			}
			resp := o.Op.Responses.Value(status)
			if resp == nil || resp.Value == nil {
				continue // reported above
			}
			mt := resp.Value.Content.Get("application/json")
			if mt == nil {
				t.Errorf("%s %s: no application/json content", id, status)
				continue
			}
			if got := ourShape(mt.Schema).Ref; got != usch.Ref {
				t.Errorf("%s %s: schema %q, upstream %q", id, status, got, usch.Ref)
			}
		}

		// The request body names the same schema and is required alike.
		ubody := obj(uop["requestBody"])
		if (ubody == nil) != (o.Op.RequestBody == nil) {
			t.Errorf("%s: request body declared upstream = %v, ours = %v", id, ubody != nil, o.Op.RequestBody != nil)
			continue
		}
		if ubody == nil {
			continue
		}
		body := o.Op.RequestBody.Value
		if body.Required != (ubody["required"] == true) {
			t.Errorf("%s: request body required = %v, upstream %v", id, body.Required, ubody["required"])
		}
		usch := upstreamShape(obj(obj(obj(ubody["content"])["application/json"]))["schema"])
		mt := body.Content.Get("application/json")
		if mt == nil {
			t.Errorf("%s: request body has no application/json content", id)
		} else if got := ourShape(mt.Schema).Ref; got != usch.Ref {
			t.Errorf("%s: request body schema %q, upstream %q", id, got, usch.Ref)
		}
	}
}

func TestUpstreamSchemas(t *testing.T) {
	up := loadUpstream(t)
	doc := loadTestContract(t)
	upSchemas := obj(obj(up["components"])["schemas"])
	if len(upSchemas) == 0 {
		t.Fatal("upstream document has no component schemas")
	}

	for _, name := range sortedKeys(doc.Components.Schemas) {
		if _, ok := upSchemas[name]; !ok && !upstreamExtraSchemas[name] {
			t.Errorf("schema %s: not upstream and not a documented addition", name)
		}
	}

	for _, name := range sortedKeys(upSchemas) {
		u := obj(upSchemas[name])
		sr := doc.Components.Schemas[name]
		if sr == nil || sr.Value == nil {
			t.Errorf("schema %s: missing from openapi.yaml", name)
			continue
		}
		o := sr.Value

		// The schema itself: type, enum and limits (properties are compared one by one).
		uTop, oTop := upstreamShape(u), ourShape(&openapi3.SchemaRef{Value: o})
		uTop.Items, oTop.Items = nil, nil
		if diff := cmp.Diff(uTop, oTop); diff != "" {
			t.Errorf("schema %s (-upstream +ours):\n%s", name, diff)
		}
		if u["items"] != nil || o.Items != nil {
			if diff := cmp.Diff(upstreamShape(u["items"]), ourShape(o.Items)); diff != "" {
				t.Errorf("schema %s items (-upstream +ours):\n%s", name, diff)
			}
		}

		if diff := cmp.Diff(stringList(u["required"]), sortedCopy(o.Required)); diff != "" {
			t.Errorf("schema %s: required (-upstream +ours):\n%s", name, diff)
		}

		uProps := obj(u["properties"])
		extras := map[string]bool{}
		for _, p := range upstreamExtraProperties[name] {
			extras[p] = true
		}
		for _, p := range sortedKeys(o.Properties) {
			if _, ok := uProps[p]; !ok && !extras[p] {
				t.Errorf("schema %s property %s: not upstream and not a documented SDK field", name, p)
			}
			if upstreamWriteOnlyExtras[name][p] {
				if !o.Properties[p].Value.WriteOnly || contains(o.Required, p) {
					t.Errorf("schema %s property %s: allowed only as an optional writeOnly property", name, p)
				}
			}
		}
		for _, p := range sortedKeys(uProps) {
			op := o.Properties[p]
			if op == nil {
				t.Errorf("schema %s property %s: missing from openapi.yaml", name, p)
				continue
			}
			if diff := cmp.Diff(upstreamShape(uProps[p]), ourShape(op)); diff != "" {
				t.Errorf("schema %s property %s (-upstream +ours):\n%s", name, p, diff)
			}
		}
	}
}

// TestUpstreamShapeNormalisation guards the comparison itself: the two spellings of a
// nullable reference, and of a nullable limited string, reduce to the same shape, and a
// changed limit does not.
func TestUpstreamShapeNormalisation(t *testing.T) {
	var u map[string]any
	if err := json.Unmarshal([]byte(`{
		"ref": {"anyOf": [{"$ref": "#/components/schemas/KeyStatus"}, {"type": "null"}]},
		"str": {"anyOf": [{"type": "string", "minLength": 10, "maxLength": 13}, {"type": "null"}]}
	}`), &u); err != nil {
		t.Fatal(err)
	}
	max13, max14 := uint64(13), uint64(14)
	ourRef := &openapi3.SchemaRef{Value: &openapi3.Schema{
		AllOf:    openapi3.SchemaRefs{{Ref: "#/components/schemas/KeyStatus"}},
		Nullable: true,
	}}
	ourStr := &openapi3.SchemaRef{Value: &openapi3.Schema{
		Type: &openapi3.Types{openapi3.TypeString}, MinLength: 10, MaxLength: &max13, Nullable: true,
	}}
	if diff := cmp.Diff(upstreamShape(u["ref"]), ourShape(ourRef)); diff != "" {
		t.Errorf("nullable ref (-upstream +ours):\n%s", diff)
	}
	if diff := cmp.Diff(upstreamShape(u["str"]), ourShape(ourStr)); diff != "" {
		t.Errorf("nullable string (-upstream +ours):\n%s", diff)
	}
	ourStr.Value.MaxLength = &max14
	if cmp.Equal(upstreamShape(u["str"]), ourShape(ourStr)) {
		t.Error("a different maxLength compares equal")
	}
	ourStr.Value.MaxLength, ourStr.Value.Nullable = &max13, false
	if cmp.Equal(upstreamShape(u["str"]), ourShape(ourStr)) {
		t.Error("a missing nullable compares equal")
	}
	if s := ourShape(ourStr); s.Type != "string" || s.MinLength != 10 {
		t.Errorf("ourShape lost the type or minLength: %v", s)
	}
}

func sortedCopy(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	if len(out) == 0 {
		return nil
	}
	return out
}
