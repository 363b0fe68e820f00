package specdiff

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ours is a small OpenAPI 3.0 document in YAML, spelled as openapi.yaml is (nullable, allOf
// around a $ref).
const ours = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /things/{name}:
    put:
      operationId: put_thing
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
        - {name: dry_run, in: query, required: false, schema: {type: boolean, default: false}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/ThingRequest"}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
        "422":
          description: bad
          content:
            application/json:
              schema: {type: object, properties: {detail: {type: string}}}
components:
  schemas:
    Status: {type: string, enum: ["on", "off"]}
    ThingRequest:
      type: object
      required: [value]
      properties:
        value: {type: string, minLength: 1, maxLength: 10}
        status: {allOf: [{$ref: "#/components/schemas/Status"}], nullable: true}
    Thing:
      type: object
      required: [name, status]
      properties:
        name: {type: string}
        status: {$ref: "#/components/schemas/Status"}
        note: {type: string, nullable: true}
        tags: {type: array, items: {type: string}, maxItems: 5}
`

// upstream is the same contract as OpenAPI 3.1 in JSON, spelled as the upstream document
// is: anyOf with null, a type array, parameters at the path level.
func upstream() map[string]any {
	var m map[string]any
	if err := json.Unmarshal([]byte(`{
  "openapi": "3.1.0",
  "info": {"title": "t", "version": "1"},
  "paths": {"/things/{name}": {
    "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string", "title": "Name"}}],
    "put": {
      "operationId": "put_thing",
      "parameters": [{"name": "dry_run", "in": "query", "required": false, "schema": {"type": "boolean", "default": false}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ThingRequest"}}}},
      "responses": {
        "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
        "422": {"$ref": "#/components/responses/Invalid"}
      }
    }
  }},
  "components": {
    "responses": {"Invalid": {"description": "bad", "content": {"application/json": {"schema": {"type": "object", "properties": {"detail": {"type": "string"}}}}}}},
    "schemas": {
      "Status": {"type": "string", "enum": ["off", "on"]},
      "ThingRequest": {"type": "object", "required": ["value"], "properties": {
        "value": {"type": "string", "minLength": 1, "maxLength": 10},
        "status": {"anyOf": [{"$ref": "#/components/schemas/Status"}, {"type": "null"}]}
      }},
      "Thing": {"type": "object", "required": ["status", "name"], "properties": {
        "name": {"type": "string"},
        "status": {"$ref": "#/components/schemas/Status"},
        "note": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5}
      }}
    }
  }
}`), &m); err != nil {
		panic(err)
	}
	return m
}

// at walks a generic document by keys.
func at(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m = m[k].(map[string]any)
	}
	return m
}

func schemas(m map[string]any) map[string]any { return at(m, "components", "schemas") }
func put(m map[string]any) map[string]any     { return at(m, "paths", "/things/{name}", "put") }

func compare(t *testing.T, up map[string]any) []Difference {
	t.Helper()
	o, err := Parse([]byte(ours))
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(up)
	if err != nil {
		t.Fatal(err)
	}
	u, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return Compare(o, u, nil)
}

func TestSameContractInBothVersionsHasNoDifference(t *testing.T) {
	if diffs := compare(t, upstream()); len(diffs) != 0 {
		t.Errorf("3.0 YAML and its 3.1 JSON spelling differ:\n%v", diffs)
	}
}

const op = "/paths/~1things~1{name}/put"

func TestEachKindOfDifference(t *testing.T) {
	for _, tc := range []struct {
		name     string
		change   func(m map[string]any)
		kind     string
		ours     string
		breaking bool
	}{
		{"operation missing", func(m map[string]any) { delete(at(m, "paths", "/things/{name}"), "put") }, "operation", op, true},
		{"operationId", func(m map[string]any) { put(m)["operationId"] = "other" }, "operationId", op + "/operationId", false},
		{"a required parameter only upstream", func(m map[string]any) {
			put(m)["parameters"] = append(put(m)["parameters"].([]any), map[string]any{"name": "v", "in": "query", "required": true, "schema": map[string]any{"type": "string"}})
		}, "parameter", op + "/parameters", true},
		{"a parameter upstream requires", func(m map[string]any) {
			put(m)["parameters"].([]any)[0].(map[string]any)["required"] = true
		}, "required", op + "/parameters/1/required", true},
		{"a parameter's default", func(m map[string]any) {
			put(m)["parameters"].([]any)[0].(map[string]any)["schema"].(map[string]any)["default"] = true
		}, "default", op + "/parameters/1/schema/default", true},
		{"a status only upstream", func(m map[string]any) {
			at(put(m), "responses")["409"] = map[string]any{"description": "conflict"}
		}, "status", op + "/responses", true},
		{"a status only ours", func(m map[string]any) { delete(at(put(m), "responses"), "422") }, "status", op + "/responses/422", false},
		{"the body optional upstream", func(m map[string]any) { at(put(m), "requestBody")["required"] = false }, "required", op + "/requestBody/required", false},
		{"a request limit stricter upstream", func(m map[string]any) {
			at(schemas(m), "ThingRequest", "properties", "value")["maxLength"] = 5
		}, "limit", "/components/schemas/ThingRequest/properties/value/maxLength", true},
		{"a request limit looser upstream", func(m map[string]any) {
			at(schemas(m), "ThingRequest", "properties", "value")["maxLength"] = 20
		}, "limit", "/components/schemas/ThingRequest/properties/value/maxLength", false},
		{"a response limit looser upstream", func(m map[string]any) {
			at(schemas(m), "Thing", "properties", "tags")["maxItems"] = 10
		}, "limit", "/components/schemas/Thing/properties/tags/maxItems", true},
		{"a response limit only ours", func(m map[string]any) {
			delete(at(schemas(m), "Thing", "properties", "tags"), "maxItems")
		}, "limit", "/components/schemas/Thing/properties/tags/maxItems", true},
		{"an enum value only upstream (request and response)", func(m map[string]any) {
			at(schemas(m), "Status")["enum"] = []any{"on", "off", "auto"}
		}, "enum", "/components/schemas/Status/enum", true},
		{"a response member not nullable upstream", func(m map[string]any) {
			at(schemas(m), "Thing", "properties")["note"] = map[string]any{"type": "string"}
		}, "nullable", "/components/schemas/Thing/properties/note", false},
		{"a response member nullable upstream", func(m map[string]any) {
			at(schemas(m), "Thing", "properties")["name"] = map[string]any{"anyOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "null"}}}
		}, "nullable", "/components/schemas/Thing/properties/name", true},
		{"a request member not nullable upstream", func(m map[string]any) {
			at(schemas(m), "ThingRequest", "properties")["status"] = map[string]any{"$ref": "#/components/schemas/Status"}
		}, "nullable", "/components/schemas/ThingRequest/properties/status", true},
		{"a type", func(m map[string]any) { at(schemas(m), "Thing", "properties", "name")["type"] = "integer" }, "type", "/components/schemas/Thing/properties/name/type", true},
		{"a format", func(m map[string]any) { at(schemas(m), "Thing", "properties", "note")["format"] = "date-time" }, "format", "/components/schemas/Thing/properties/note/format", true},
		{"required only in ours (response)", func(m map[string]any) { at(schemas(m), "Thing")["required"] = []any{"name"} }, "required", "/components/schemas/Thing/required", true},
		{"required only upstream (request)", func(m map[string]any) {
			at(schemas(m), "ThingRequest")["required"] = []any{"value", "status"}
		}, "required", "/components/schemas/ThingRequest/required", true},
		{"a member only upstream", func(m map[string]any) {
			at(schemas(m), "Thing", "properties")["color"] = map[string]any{"type": "string"}
		}, "property", "/components/schemas/Thing/properties", false},
		{"an optional member only ours", func(m map[string]any) { delete(at(schemas(m), "Thing", "properties"), "note") }, "property", "/components/schemas/Thing/properties/note", false},
		{"a required member only ours", func(m map[string]any) {
			delete(at(schemas(m), "Thing", "properties"), "name")
		}, "property", "/components/schemas/Thing/properties/name", true},
		{"a pattern", func(m map[string]any) { at(schemas(m), "Thing", "properties", "name")["pattern"] = "^a" }, "pattern", "/components/schemas/Thing/properties/name/pattern", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := upstream()
			tc.change(up)
			diffs := compare(t, up)
			if len(diffs) != 1 {
				t.Fatalf("%d differences, want 1:\n%v", len(diffs), diffs)
			}
			d := diffs[0]
			if d.Kind != tc.kind || d.Ours != tc.ours || d.Breaking != tc.breaking {
				t.Errorf("got %s, want kind %s at %s, breaking %v", d, tc.kind, tc.ours, tc.breaking)
			}
			if d.Upstream == "" || d.Message == "" {
				t.Errorf("no upstream pointer or message: %+v", d)
			}
		})
	}
}

func TestUpstreamPointersFollowUpstreamsRefs(t *testing.T) {
	up := upstream()
	at(up, "components", "responses", "Invalid", "content", "application/json", "schema", "properties", "detail")["type"] = "array"
	diffs := compare(t, up)
	if len(diffs) != 1 {
		t.Fatalf("%v", diffs)
	}
	want := Difference{Ours: op + "/responses/422/content/application~1json/schema/properties/detail/type",
		Upstream: "/components/responses/Invalid/content/application~1json/schema/properties/detail/type",
		Kind:     "type", Message: "type string, upstream array", Breaking: true}
	if diff := cmp.Diff(want, diffs[0]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// JSON is read as JSON: a YAML parser refuses an escaped surrogate pair, which a JSON
// encoder (Python's, by default) writes for any character outside the BMP.
func TestParseJSONWithSurrogatePairs(t *testing.T) {
	d, err := Parse([]byte(`{"openapi": "3.1.0", "info": {"title": "\ud83d\ude00"}, "paths": {"/a": {"get": {"operationId": "a"}}}}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if ops := d.Operations(); len(ops) != 1 || ops[0] != (Operation{"/a", "GET"}) {
		t.Errorf("Operations() = %v", ops)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"swagger 2", `{"swagger": "2.0", "paths": {}}`, "only 3.0 and 3.1"},
		{"no paths", `openapi: 3.0.3`, "no paths"},
		{"a list", `[1, 2]`, "top level is not a mapping"},
		{"not YAML", "openapi: [unclosed", "neither JSON nor YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	diffs := []Difference{
		{Ours: "/a", Kind: "enum"}, {Ours: "/a", Kind: "type"}, {Ours: "/b", Kind: "limit"},
	}
	allow, err := ParseAllowList([]byte(`
- {pointer: /a, kind: enum, reason: on purpose}
- {pointer: /b, reason: any kind at /b}
- {pointer: /gone, reason: fixed upstream since}
- {pointer: /paths/~1x/get/responses, kind: note, reason: answers otherwise}
- {pointer: /paths/~1y, kind: note, reason: a path since removed}
`))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := Parse([]byte(`{"openapi": "3.0.3", "paths": {"/x": {"get": {"responses": {}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	r := Explain(diffs, allow, ours)
	got := []string{}
	for _, d := range r.Differences {
		got = append(got, d.Ours+" "+d.Kind+": "+d.Reason)
	}
	want := []string{"/a enum: on purpose", "/a type: ", "/b limit: any kind at /b"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if r.Unexplained() != 1 {
		t.Errorf("Unexplained() = %d, want 1", r.Unexplained())
	}
	if len(r.Stale) != 2 || r.Stale[0].Pointer != "/gone" || r.Stale[1].Pointer != "/paths/~1y" {
		t.Errorf("stale: %v, want the /gone entry and the note at a pointer that is gone", r.Stale)
	}
	if len(r.Notes) != 1 || r.Notes[0].Reason != "answers otherwise" {
		t.Errorf("notes: %v", r.Notes)
	}
}

func TestParseAllowListRefuses(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{`- {pointer: /a}`, "entry 1 (/a): no reason"},
		{`- {pointer: a, reason: r}`, `entry 1: pointer "a" is not a JSON pointer`},
		{`pointer: /a`, "not a list"},
	} {
		if _, err := ParseAllowList([]byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseAllowList(%q): %v, want %q", tc.data, err, tc.want)
		}
	}
}

// A schema used in two places is compared once, but whether it may be null is compared at
// each use.
func TestNullableAtEachUse(t *testing.T) {
	up := upstream()
	// Status is used by ThingRequest (nullable) and Thing (not); upstream makes Thing's
	// nullable too.
	at(schemas(up), "Thing", "properties")["status"] = map[string]any{"anyOf": []any{
		map[string]any{"$ref": "#/components/schemas/Status"}, map[string]any{"type": "null"}}}
	diffs := compare(t, up)
	if len(diffs) != 1 || diffs[0].Ours != "/components/schemas/Thing/properties/status" || diffs[0].Kind != "nullable" || !diffs[0].Breaking {
		t.Errorf("got %v, want one breaking nullable at Thing's status", diffs)
	}
}
