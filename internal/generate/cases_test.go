package generate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
)

// fakeMaker makes a run's values without a run.
type fakeMaker struct{ n int }

func (m *fakeMaker) newName() string   { m.n++; return fmt.Sprintf("ctTEST-gen-%d", m.n) }
func (m *fakeMaker) runPrefix() string { return "ctTEST" }
func (m *fakeMaker) newSecret(n int) string {
	return strings.Repeat("s", n)
}

func parseDoc(t *testing.T, data []byte) *contract.Contract {
	t.Helper()
	c, err := contract.Parse(context.Background(), "openapi.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// caseLabels lists the generated cases of a document as "operation kind label".
func caseLabels(c *contract.Contract) []string {
	var out []string
	for _, op := range withoutRefusedByBehaviour(generate(c.Doc)) {
		for _, k := range op.cases {
			out = append(out, op.short+" "+string(k.kind)+" "+k.label)
		}
	}
	return out
}

// replaceOnce changes the YAML text, failing the test when old does not occur n times.
func replaceIn(t *testing.T, data []byte, old, new string, n int) []byte {
	t.Helper()
	if got := bytes.Count(data, []byte(old)); got != n {
		t.Fatalf("%q occurs %d times in openapi.yaml, want %d", old, got, n)
	}
	return bytes.ReplaceAll(data, []byte(old), []byte(new))
}

func difference(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// A change to openapi.yaml changes the generated cases, and only as the change says: the
// generator reads the document, not a list of fields.
func TestGeneratedCasesFollowTheDocument(t *testing.T) {
	original := caseLabels(parseDoc(t, mixpeekkit.OpenAPI()))
	tests := []struct {
		name          string
		edit          func([]byte) []byte
		added, gone   []string
		checksChanged []string // check IDs whose description (its count) changes
	}{
		{
			name: "a lower maxLength",
			edit: func(d []byte) []byte {
				return replaceIn(t, d, "maxLength: 500", "maxLength: 400", 2)
			},
			added: []string{
				"create-api-key negative body.description: 401 characters (maxLength 400)",
				"create-api-key positive body.description: 400 characters (maxLength 400)",
				"update-api-key negative body.description: 401 characters (maxLength 400)",
				"update-api-key positive body.description: 400 characters (maxLength 400)",
			},
			gone: []string{
				"create-api-key negative body.description: 501 characters (maxLength 500)",
				"create-api-key positive body.description: 500 characters (maxLength 500)",
				"update-api-key negative body.description: 501 characters (maxLength 500)",
				"update-api-key positive body.description: 500 characters (maxLength 500)",
			},
		},
		{
			name: "a new enum value in an array's items",
			edit: func(d []byte) []byte {
				return replaceIn(t, d, "enum: [read, write, delete, admin]", "enum: [read, write, delete, admin, owner]", 1)
			},
			added: []string{
				"create-api-key negative body.permissions[0]: \"not-in-enum\" (enum read|write|delete|admin|owner)",
				"create-api-key positive body.permissions[*]: each of the 5 enum values, one per item",
				"update-api-key negative body.permissions[0]: \"not-in-enum\" (enum read|write|delete|admin|owner)",
				"update-api-key positive body.permissions[*]: each of the 5 enum values, one per item",
			},
			gone: []string{
				"create-api-key negative body.permissions[0]: \"not-in-enum\" (enum read|write|delete|admin)",
				"create-api-key positive body.permissions[*]: each of the 4 enum values, one per item",
				"update-api-key negative body.permissions[0]: \"not-in-enum\" (enum read|write|delete|admin)",
				"update-api-key positive body.permissions[*]: each of the 4 enum values, one per item",
			},
		},
		{
			name: "a new enum value of a nullable $ref",
			edit: func(d []byte) []byte {
				return replaceIn(t, d, "enum: [active, revoked, expired]", "enum: [active, revoked, expired, paused]", 1)
			},
			added: []string{
				"update-api-key negative body.status: \"not-in-enum\" (enum active|revoked|expired|paused)",
				"update-api-key positive body.status: \"paused\" (enum)",
			},
			gone: []string{
				"update-api-key negative body.status: \"not-in-enum\" (enum active|revoked|expired)",
			},
			checksChanged: []string{"generated/update-api-key/positive"},
		},
		{
			name: "a new required member",
			edit: func(d []byte) []byte {
				return replaceIn(t, d, "      required: [name]\n", "      required: [name, description]\n", 1)
			},
			added:         []string{"create-api-key negative body.description: missing (required)"},
			checksChanged: []string{"generated/create-api-key/negative"},
		},
		{
			name: "a new maximum",
			edit: func(d []byte) []byte {
				return replaceIn(t, d, "          minimum: 1\n          nullable: true\n",
					"          minimum: 1\n          maximum: 1000\n          nullable: true\n", 2)
			},
			added: []string{
				"create-api-key negative body.rate_limit_override: 1001 (maximum 1000)",
				"create-api-key positive body.rate_limit_override: 1000 (maximum 1000)",
				"update-api-key negative body.rate_limit_override: 1001 (maximum 1000)",
				"update-api-key positive body.rate_limit_override: 1000 (maximum 1000)",
			},
			checksChanged: []string{"generated/create-api-key/negative", "generated/create-api-key/positive",
				"generated/update-api-key/negative", "generated/update-api-key/positive"},
		},
		{
			name: "a limit on a path parameter",
			edit: func(d []byte) []byte {
				return replaceIn(t, d, "      description: The name of the secret.\n      schema:\n        type: string\n",
					"      description: The name of the secret.\n      schema:\n        type: string\n        maxLength: 100\n", 1)
			},
			added: []string{
				"delete-secret negative path.secret_name: 101 characters (maxLength 100)",
				"update-secret negative path.secret_name: 101 characters (maxLength 100)",
			},
			checksChanged: []string{"generated/delete-secret/negative", "generated/update-secret/negative"},
		},
	}
	before := checkDescriptions(t, parseDoc(t, mixpeekkit.OpenAPI()))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := parseDoc(t, tc.edit(mixpeekkit.OpenAPI()))
			labels := caseLabels(c)
			sort.Strings(tc.added)
			sort.Strings(tc.gone)
			if got := difference(labels, original); !reflect.DeepEqual(got, tc.added) && !(len(got) == 0 && len(tc.added) == 0) {
				t.Errorf("added cases:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.added, "\n  "))
			}
			if got := difference(original, labels); !reflect.DeepEqual(got, tc.gone) && !(len(got) == 0 && len(tc.gone) == 0) {
				t.Errorf("removed cases:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.gone, "\n  "))
			}
			// The checks follow: a new one where an operation gets its first case of a kind,
			// a new count in the description where the number changes.
			after := checkDescriptions(t, c)
			var changed []string
			for id, d := range after {
				if before[id] != d {
					changed = append(changed, id)
				}
			}
			sort.Strings(changed)
			sort.Strings(tc.checksChanged)
			if !reflect.DeepEqual(changed, tc.checksChanged) && !(len(changed) == 0 && len(tc.checksChanged) == 0) {
				t.Errorf("checks changed: %v, want %v", changed, tc.checksChanged)
			}
			// Every case of the changed document still builds a request that is valid but
			// for its one change.
			checkCasesAgainst(t, c)
		})
	}
}

func checkDescriptions(t *testing.T, c *contract.Contract) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, ch := range generatedChecksOf(c, nil) {
		out[ch.ID] = ch.Description
	}
	return out
}

// Every generated request is valid against openapi.yaml except for its one change: a
// positive case passes kin-openapi's request validation, a negative one fails it at the
// place the case names; the smallest valid request of each operation passes.
func TestGeneratedRequestsAreValidButForTheirChange(t *testing.T) {
	checkCasesAgainst(t, parseDoc(t, mixpeekkit.OpenAPI()))
}

func checkCasesAgainst(t *testing.T, c *contract.Contract) {
	t.Helper()
	for _, op := range withoutRefusedByBehaviour(generate(c.Doc)) {
		route := c.Route(op.id)
		if route == nil {
			t.Fatalf("%s: no route", op.id)
		}
		vals := map[string]string{"user_email": "owner%40org-a.test", op.item: "ctTEST-gen-0"}
		if err := validateBuilt(t, c, op, nil, vals); err != nil {
			t.Errorf("%s: the smallest valid request is refused: %v", op.short, err)
		}
		for _, gc := range op.cases {
			err := validateBuilt(t, c, op, &gc, vals)
			if s := schemaAt(op.body, gc.at); gc.in == "body" && gc.rule == "nullable" && s != nil && s.Default != nil {
				// kin-openapi takes null for an absent member and writes the default over it;
				// FastAPI, and the mock (nullsOverDefaults), refuse it.
				continue
			}
			switch {
			case gc.kind == positive && err != nil:
				t.Errorf("%s [%s]: a positive case is refused: %v", op.short, gc.label, err)
			case gc.kind == negative && err == nil:
				t.Errorf("%s [%s]: a negative case is accepted", op.short, gc.label)
			case gc.kind == negative:
				if locs := locsOf(err); !hasLocPrefix(locs, gc.loc()) {
					t.Errorf("%s [%s]: refused at %v, not at %v", op.short, gc.label, locs, gc.loc())
				}
			}
		}
	}
}

// schemaAt is the declaration of the member at a place of a body (nil when none).
func schemaAt(s *openapi3.Schema, at []any) *openapi3.Schema {
	for _, seg := range at {
		u, _ := unwrap(s)
		if u == nil {
			return nil
		}
		switch x := seg.(type) {
		case string:
			if u.Properties[x] == nil {
				return nil
			}
			s = u.Properties[x].Value
		case int:
			if u.Items == nil {
				return nil
			}
			s = u.Items.Value
		}
	}
	return s
}

// validateBuilt builds a case's request and validates it with kin-openapi.
func validateBuilt(t *testing.T, c *contract.Contract, op *genOp, gc *genCase, vals map[string]string) error {
	t.Helper()
	b, err := op.build(gc, &fakeMaker{}, vals)
	if err != nil {
		t.Fatalf("%s: build: %v", op.short, err)
	}
	var body []byte
	if b.hasBody {
		if body, err = json.Marshal(b.body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(op.method, "http://contract.invalid"+b.path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if b.hasBody {
		req.Header.Set("Content-Type", "application/json")
	}
	route, params, err := c.FindRoute(req)
	if err != nil {
		t.Fatalf("%s: %s routes nowhere: %v", op.short, b.path, err)
	}
	if route.Operation.OperationID != op.id {
		t.Fatalf("%s: %s routes to %s", op.short, b.path, route.Operation.OperationID)
	}
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	})
}

// locsOf lists where kin-openapi says a request fails, as a 422's loc would say it.
func locsOf(err error) [][]any {
	var out [][]any
	for _, e := range contract.Flatten(err) {
		var re *openapi3filter.RequestError
		if !errors.As(e, &re) {
			continue
		}
		loc := []any{"body"}
		if re.Parameter != nil {
			loc = []any{re.Parameter.In, re.Parameter.Name}
		}
		inner := contract.Flatten(re.Err)
		if len(inner) == 0 {
			out = append(out, loc)
		}
		for _, x := range inner {
			var se *openapi3.SchemaError
			if re.Parameter != nil || !errors.As(x, &se) {
				out = append(out, loc)
				continue
			}
			at := append([]any{}, loc...)
			for _, seg := range contract.LeafOf(se).Pointer {
				if n, err := strconv.Atoi(seg); err == nil {
					at = append(at, float64(n))
				} else {
					at = append(at, seg)
				}
			}
			out = append(out, at)
		}
	}
	return out
}

func hasLocPrefix(locs [][]any, want []any) bool {
	for _, l := range locs {
		if len(l) >= len(want) && reflect.DeepEqual(l[:len(want)], want) {
			return true
		}
	}
	return false
}

// Each case the behaviour reference refuses matches a case the schemas allow: an entry
// that matches nothing (the document changed) would hide nothing and is reported.
func TestRefusedByBehaviourMatchesACase(t *testing.T) {
	ops := generate(parseDoc(t, mixpeekkit.OpenAPI()).Doc)
	for _, r := range refusedByBehaviour {
		found := false
		for _, op := range ops {
			for _, c := range op.cases {
				found = found || (c.kind == positive && op.short == r.op && where(c.in, c.at) == r.where &&
					c.val.kind == valLiteral && c.val.lit == r.value)
			}
		}
		if !found {
			t.Errorf("refusedByBehaviour: %s %s %v matches no generated case", r.op, r.where, r.value)
		}
	}
	for _, c := range Checks() {
		if strings.Contains(c.Description, `"expired"`) {
			t.Errorf("%s still sends a refused case", c.ID)
		}
	}
}

// The generated checks' IDs are the same from one parse of openapi.yaml to the next, one
// negative and one positive check at most per operation, named after it.
func TestGeneratedCheckIDsAreStable(t *testing.T) {
	var first []string
	for _, c := range Checks() {
		first = append(first, c.ID)
	}
	for i := 0; i < 3; i++ {
		var again []string
		for _, c := range generatedChecksOf(parseDoc(t, mixpeekkit.OpenAPI()), nil) {
			again = append(again, c.ID)
		}
		if !reflect.DeepEqual(first, again) {
			t.Fatalf("IDs changed between parses:\n%v\n%v", first, again)
		}
	}
	shorts := map[string]bool{}
	for _, id := range mixpeekkit.Operations() {
		shorts[strings.ReplaceAll(contract.ShortName(string(id)), "_", "-")] = true
	}
	for _, id := range first {
		parts := strings.Split(id, "/")
		if len(parts) != 3 || parts[0] != "generated" || !shorts[parts[1]] || (parts[2] != "negative" && parts[2] != "positive") {
			t.Errorf("%s: not generated/<operation>/<negative|positive>", id)
		}
	}
}

// A request body is sent as generated: the identifier member carries the run's prefix (and
// is reported for tracking), a secret member gets a secret value, nested places get a
// valid parent.
func TestBuildFillsTheSmallestValidRequest(t *testing.T) {
	c := parseDoc(t, mixpeekkit.OpenAPI())
	ops := map[string]*genOp{}
	for _, op := range generate(c.Doc) {
		ops[op.short] = op
	}
	vals := map[string]string{"user_email": "owner%40org-a.test", "key_name": "ctTEST-gen-0"}
	find := func(op *genOp, label string) *genCase {
		for i := range op.cases {
			if op.cases[i].label == label {
				return &op.cases[i]
			}
		}
		t.Fatalf("%s: no case %q", op.short, label)
		return nil
	}
	// The smallest create-secret body: both required members.
	b, err := ops["create-secret"].build(nil, &fakeMaker{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"secret_name": "ctTEST-gen-1", "secret_value": strings.Repeat("s", secretLen)}
	if !reflect.DeepEqual(b.body, want) || !reflect.DeepEqual(b.names, []string{"ctTEST-gen-1"}) {
		t.Errorf("create-secret: %v (names %v), want %v", b.body, b.names, want)
	}
	// A too-long key name keeps the prefix; a wrong-typed one is reported as loose.
	key := ops["create-api-key"]
	b, _ = key.build(find(key, "body.name: 101 characters (maxLength 100)"), &fakeMaker{}, vals)
	name, _ := b.body.(map[string]any)["name"].(string)
	if len(name) != 101 || !strings.HasPrefix(name, "ctTEST-gen-") || !reflect.DeepEqual(b.names, []string{name}) {
		t.Errorf("too-long name: %q, names %v", name, b.names)
	}
	b, _ = key.build(find(key, "body.name: true (not a string)"), &fakeMaker{}, vals)
	if !reflect.DeepEqual(b.loose, []string{"true"}) || len(b.names) != 0 {
		t.Errorf("wrong-typed name: loose %v, names %v", b.loose, b.names)
	}
	// A nested place gets a valid parent: one scope with its required members.
	b, _ = key.build(find(key, "body.scopes[0].resource_id: 101 characters (maxLength 100)"), &fakeMaker{}, vals)
	scopes, _ := b.body.(map[string]any)["scopes"].([]any)
	scope, _ := scopes[0].(map[string]any)
	if len(scopes) != 1 || scope["resource_type"] != "organization" || len(scope["resource_id"].(string)) != 101 {
		t.Errorf("nested: %v", b.body)
	}
	// A spread enum puts every value in the array, one per item.
	b, _ = key.build(find(key, "body.scopes[*].resource_type: each of the 11 enum values, one per item"), &fakeMaker{}, vals)
	scopes, _ = b.body.(map[string]any)["scopes"].([]any)
	if len(scopes) != 11 || scopes[10].(map[string]any)["resource_type"] != "alert" {
		t.Errorf("spread: %v", b.body)
	}
	// The body left out is no body at all; a query case is in the query.
	b, _ = key.build(find(key, "body: missing (required)"), &fakeMaker{}, vals)
	if b.hasBody {
		t.Errorf("body missing: sent %v", b.body)
	}
	list := ops["list-api-keys"]
	b, _ = list.build(find(list, `query.include_revoked: "not-a-boolean" (not a boolean)`), &fakeMaker{}, vals)
	if b.path != "/v1/organizations/users/owner%40org-a.test/api-keys?include_revoked=not-a-boolean" {
		t.Errorf("query case: %s", b.path)
	}
}
