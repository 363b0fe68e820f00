package mixpeekkit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/go-cmp/cmp"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
)

// The operation IDs, as strings: the document's keys are strings.
var (
	opListAPIKeys  = string(mixpeekkit.OpListAPIKeys)
	opRotateAPIKey = string(mixpeekkit.OpRotateAPIKey)
	opCreateSecret = string(mixpeekkit.OpCreateSecret)
	opListSecrets  = string(mixpeekkit.OpListSecrets)
	opUpdateSecret = string(mixpeekkit.OpUpdateSecret)
)

// The operation IDs of the upstream document (Mixpeek API 0.81), one per operation: the
// constants of this package.
var upstreamOperationIDs = func() []string {
	var out []string
	for _, id := range mixpeekkit.Operations() {
		out = append(out, string(id))
	}
	return out
}()

// createOperations are the two operations that declare 409 (a divergence from upstream).
var createOperations = map[string]bool{string(mixpeekkit.OpCreateAPIKey): true, opCreateSecret: true}

// loadTestContract parses the embedded openapi.yaml as the mock and the suite do.
func loadTestContract(t *testing.T) *openapi3.T {
	t.Helper()
	c, err := contract.Parse(context.Background(), "openapi.yaml", mixpeekkit.OpenAPI())
	if err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	return c.Doc
}

// operationsByID maps each operation ID of doc to its operation; it fails the test on an
// empty or repeated ID.
func operationsByID(t *testing.T, doc *openapi3.T) map[string]*openapi3.Operation {
	t.Helper()
	ops := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
				continue
			}
			if _, dup := ops[op.OperationID]; dup {
				t.Errorf("operationId %s is used twice", op.OperationID)
			}
			ops[op.OperationID] = op
		}
	}
	return ops
}

// schemaName is the component name a local $ref points at ("" if sr is not a $ref).
func schemaName(sr *openapi3.SchemaRef) string {
	if sr == nil {
		return ""
	}
	return sr.Ref[strings.LastIndex(sr.Ref, "/")+1:]
}

// jsonSchemaOf returns the application/json schema of a response, failing if the response
// declares any other media type or none.
func jsonSchemaOf(t *testing.T, where string, resp *openapi3.ResponseRef) *openapi3.SchemaRef {
	t.Helper()
	if resp == nil || resp.Value == nil {
		t.Errorf("%s: no response", where)
		return nil
	}
	var types []string
	for mt := range resp.Value.Content {
		types = append(types, mt)
	}
	sort.Strings(types)
	if diff := cmp.Diff([]string{"application/json"}, types); diff != "" {
		t.Errorf("%s: media types (-want +got):\n%s", where, diff)
	}
	mt := resp.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		t.Errorf("%s: no application/json schema", where)
		return nil
	}
	return mt.Schema
}

func TestContractDocument(t *testing.T) {
	doc := loadTestContract(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if len(doc.Servers) != 0 {
		t.Errorf("servers = %d entries, want none (an absolute server URL stops routing)", len(doc.Servers))
	}
	if doc.Paths == nil || doc.Paths.Len() == 0 {
		t.Fatal("the contract has no paths")
	}
	if doc.Components == nil || len(doc.Components.Schemas) == 0 {
		t.Fatal("the contract has no component schemas")
	}
}

func TestContractParseReturnsFreshDocuments(t *testing.T) {
	a := loadTestContract(t)
	b := loadTestContract(t)
	if a == b {
		t.Fatal("two calls returned the same *openapi3.T")
	}
	a.Info.Title = "changed by a caller"
	delete(a.Components.Schemas, "SecretResponse")
	if b.Info.Title == a.Info.Title {
		t.Error("changing one document's title changed the other's")
	}
	if b.Components.Schemas["SecretResponse"] == nil {
		t.Error("deleting a schema from one document deleted it from the other")
	}
}

// The exported constants are exactly the document's operation IDs, each once.
func TestContractOperationIDs(t *testing.T) {
	doc := loadTestContract(t)
	var got []string
	for id := range operationsByID(t, doc) {
		got = append(got, id)
	}
	sort.Strings(got)
	want := append([]string(nil), upstreamOperationIDs...)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("operation IDs (-constants +openapi.yaml):\n%s", diff)
	}
	if len(want) != 9 {
		t.Errorf("Operations() lists %d operations, want 9", len(want))
	}
}

func TestOpenAPIReturnsACopy(t *testing.T) {
	a := mixpeekkit.OpenAPI()
	a[0] = 'X'
	if b := mixpeekkit.OpenAPI(); b[0] == 'X' || len(b) == 0 {
		t.Error("changing the returned bytes changed the embedded document")
	}
}

func TestContractConflictOnlyOnCreate(t *testing.T) {
	ops := operationsByID(t, loadTestContract(t))
	for _, id := range upstreamOperationIDs {
		op := ops[id]
		if op == nil {
			t.Errorf("%s: missing", id)
			continue
		}
		has := op.Responses.Status(http.StatusConflict) != nil
		if has != createOperations[id] {
			t.Errorf("%s: declares 409 = %v, want %v", id, has, createOperations[id])
		}
	}
}

func TestContractSecretValueIsWriteOnly(t *testing.T) {
	doc := loadTestContract(t)
	for _, name := range []string{"CreateSecretRequest", "UpdateSecretRequest"} {
		sr := doc.Components.Schemas[name]
		if sr == nil || sr.Value == nil {
			t.Errorf("%s: missing", name)
			continue
		}
		prop := sr.Value.Properties["secret_value"]
		if prop == nil || prop.Value == nil {
			t.Errorf("%s.secret_value: missing", name)
			continue
		}
		if !prop.Value.WriteOnly {
			t.Errorf("%s.secret_value is not writeOnly", name)
		}
		if prop.Value.ReadOnly {
			t.Errorf("%s.secret_value is readOnly", name)
		}
		if !contains(sr.Value.Required, "secret_value") {
			t.Errorf("%s: secret_value is not required", name)
		}
	}

	// No answer may carry the value. Whatever the mechanism (a writeOnly property or a closed
	// object), a SecretResponse that echoes secret_value must fail as a response.
	sr := doc.Components.Schemas["SecretResponse"].Value
	if p := sr.Properties["secret_value"]; p != nil {
		if !p.Value.WriteOnly {
			t.Error("SecretResponse.secret_value is declared but not writeOnly")
		}
		if contains(sr.Required, "secret_value") {
			t.Error("SecretResponse requires secret_value")
		}
	}
	echo := map[string]any{"secret_name": "stripe_api_key", "created": true, "secret_value": "s3cr3t"}
	if err := sr.VisitJSON(echo, openapi3.VisitAsResponse(), openapi3.MultiErrors()); err == nil {
		t.Error("a SecretResponse echoing secret_value passes the schema as a response")
	}
	plain := map[string]any{"secret_name": "stripe_api_key", "created": true}
	if err := sr.VisitJSON(plain, openapi3.VisitAsResponse(), openapi3.MultiErrors()); err != nil {
		t.Errorf("a plain SecretResponse fails the schema: %v", err)
	}
}

func TestContractSuccessStatuses(t *testing.T) {
	ops := operationsByID(t, loadTestContract(t))
	for _, id := range upstreamOperationIDs {
		op := ops[id]
		if op == nil {
			t.Errorf("%s: missing", id)
			continue
		}
		var got []int
		for status := range op.Responses.Map() {
			code, err := strconv.Atoi(status)
			if err != nil {
				t.Errorf("%s: response key %q is not a status code", id, status)
				continue
			}
			if code >= 200 && code < 300 {
				got = append(got, code)
			}
		}
		sort.Ints(got)
		want := []int{http.StatusOK}
		if id == opCreateSecret {
			want = []int{http.StatusCreated}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: 2xx statuses (-want +got):\n%s", id, diff)
		}
		if op.Responses.Default() != nil {
			t.Errorf("%s: declares a default response", id)
		}
	}
}

func TestContractErrorSchemas(t *testing.T) {
	ops := operationsByID(t, loadTestContract(t))
	for _, id := range upstreamOperationIDs {
		op := ops[id]
		if op == nil {
			t.Errorf("%s: missing", id)
			continue
		}
		errorStatuses := 0
		for status, resp := range op.Responses.Map() {
			code, err := strconv.Atoi(status)
			if err != nil || code < 400 {
				continue
			}
			errorStatuses++
			want := "ErrorResponse"
			if code == http.StatusUnprocessableEntity {
				want = "HTTPValidationError"
			}
			where := id + " " + status
			if got := schemaName(jsonSchemaOf(t, where, resp)); got != want {
				t.Errorf("%s: schema %q, want %q", where, got, want)
			}
		}
		// 400 401 403 404 422 500, and 409 on the create operations.
		want := 6
		if createOperations[id] {
			want = 7
		}
		if errorStatuses != want {
			t.Errorf("%s: %d error statuses, want %d", id, errorStatuses, want)
		}
	}
}

func TestContractListAPIKeysSchema(t *testing.T) {
	doc := loadTestContract(t)
	op := operationsByID(t, doc)[opListAPIKeys]
	if op == nil {
		t.Fatalf("%s: missing", opListAPIKeys)
	}
	sr := jsonSchemaOf(t, opListAPIKeys+" 200", op.Responses.Status(http.StatusOK))
	if sr == nil {
		t.FailNow()
	}
	if got := schemaName(sr); got != "APIKeyListResponse" {
		t.Errorf("200 schema %q, want APIKeyListResponse", got)
	}
	if sr.Value == nil {
		t.Fatal("200 schema is unresolved")
	}
	got := append([]string(nil), sr.Value.Required...)
	sort.Strings(got)
	if diff := cmp.Diff([]string{"results", "total"}, got); diff != "" {
		t.Errorf("APIKeyListResponse required (-want +got):\n%s", diff)
	}
	results := sr.Value.Properties["results"]
	if results == nil || results.Value == nil || !results.Value.Type.Is(openapi3.TypeArray) {
		t.Fatal("APIKeyListResponse.results is not an array")
	}
	if got := schemaName(results.Value.Items); got != "APIKeyModel" {
		t.Errorf("APIKeyListResponse.results items %q, want APIKeyModel", got)
	}
	total := sr.Value.Properties["total"]
	if total == nil || total.Value == nil || !total.Value.Type.Is(openapi3.TypeInteger) {
		t.Error("APIKeyListResponse.total is not an integer")
	}
}

// TestRouterOnLocalhost proves that the loaded document routes a request to any host:
// kin-openapi matches requests against the server URLs, so the cleared servers matter.
func TestRouterOnLocalhost(t *testing.T) {
	doc := loadTestContract(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("gorillamux.NewRouter: %v", err)
	}
	for _, tc := range []struct {
		method, url, want string
		params            map[string]string
	}{
		{http.MethodGet, "http://127.0.0.1:8080/v1/organizations/secrets", opListSecrets, map[string]string{}},
		{http.MethodPost, "http://127.0.0.1:8080/v1/organizations/secrets", opCreateSecret, map[string]string{}},
		{http.MethodPut, "http://127.0.0.1:8080/v1/organizations/secrets/stripe_api_key", opUpdateSecret,
			map[string]string{"secret_name": "stripe_api_key"}},
		{http.MethodPost, "http://localhost:9/v1/organizations/users/a%40b.com/api-keys/k1/rotate", opRotateAPIKey,
			nil},
	} {
		req := httptest.NewRequest(tc.method, tc.url, nil)
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s %s: FindRoute: %v", tc.method, tc.url, err)
			continue
		}
		if route.Operation.OperationID != tc.want {
			t.Errorf("%s %s: operation %s, want %s", tc.method, tc.url, route.Operation.OperationID, tc.want)
		}
		if tc.params != nil {
			if diff := cmp.Diff(tc.params, params); diff != "" {
				t.Errorf("%s %s: path params (-want +got):\n%s", tc.method, tc.url, diff)
			}
		} else if params["key_name"] != "k1" || params["user_email"] == "" {
			t.Errorf("%s %s: path params %v", tc.method, tc.url, params)
		}
	}

	// An unknown path is still refused, so the router is not matching everything.
	if _, _, err := router.FindRoute(httptest.NewRequest(http.MethodGet,
		"http://127.0.0.1:8080/v1/organizations/nothing-here", nil)); err == nil {
		t.Error("FindRoute found a route for an undeclared path")
	}
}

// TestRouterWithServersFailsOnLocalhost shows why the contract loader clears the servers: with an
// absolute server URL the same request finds no route.
func TestRouterWithServersFailsOnLocalhost(t *testing.T) {
	doc := loadTestContract(t)
	doc.Servers = openapi3.Servers{{URL: "https://api.mixpeek.com"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("gorillamux.NewRouter: %v", err)
	}
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/v1/organizations/secrets", nil)
	if _, _, err := router.FindRoute(req); err == nil {
		t.Error("with an absolute server URL, a request to 127.0.0.1 still found a route; " +
			"the premise of clearing servers when the contract is parsed no longer holds")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
