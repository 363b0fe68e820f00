package contract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/google/go-cmp/cmp"

	"github.com/mixpeekkit/mixpeekkit"
)

const (
	opCreateSecret = string(mixpeekkit.OpCreateSecret)
	opListSecrets  = string(mixpeekkit.OpListSecrets)
	opUpdateAPIKey = string(mixpeekkit.OpUpdateAPIKey)

	secretsURL = "http://127.0.0.1:8080/v1/organizations/secrets"
	apiKeyURL  = "http://127.0.0.1:8080/v1/organizations/users/a%40b.com/api-keys/k1"

	// secretValue is the plaintext a faulty server echoes; no problem text may contain it.
	secretValue = "sk_live_DO-NOT-LEAK_7f3a9c"
)

var (
	loadOnce   sync.Once
	loaded     *Contract
	loadErr    error
	jsonHeader = http.Header{"Content-Type": {"application/json"}}
)

// testContract loads the contract once for the whole package; CheckResponse only remembers
// conforming answers (safely for concurrent use), so the tests share it.
func testContract(t *testing.T) *Contract {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = Parse(context.Background(), "openapi.yaml", mixpeekkit.OpenAPI()) })
	if loadErr != nil {
		t.Fatalf("Parse: %v", loadErr)
	}
	return loaded
}

func route(t *testing.T, c *Contract, id string) *routers.Route {
	t.Helper()
	r := c.Route(id)
	if r == nil {
		t.Fatalf("Route(%q) = nil", id)
	}
	if r.Operation.OperationID != id {
		t.Fatalf("Route(%q) returned operation %q", id, r.Operation.OperationID)
	}
	return r
}

func check(t *testing.T, c *Contract, id, method, url string, status int, header http.Header, body string) error {
	t.Helper()
	req := httptest.NewRequest(method, url, nil)
	return c.CheckResponse(context.Background(), route(t, c, id), req, status, header, []byte(body))
}

// violation asserts err is a *Violation of operation id with that status and returns it.
func violation(t *testing.T, err error, id string, status int) *Violation {
	t.Helper()
	if err == nil {
		t.Fatal("CheckResponse accepted the answer, want a violation")
	}
	var v *Violation
	if !errors.As(err, &v) {
		t.Fatalf("CheckResponse returned %T (%v), want *Violation", err, err)
	}
	if v.Operation != id || v.Status != status {
		t.Errorf("violation of %s %d, want %s %d", v.Operation, v.Status, id, status)
	}
	if len(v.Problems) == 0 {
		t.Error("violation has no problems")
	}
	if !sort.StringsAreSorted(v.Problems) {
		t.Errorf("problems are not sorted: %q", v.Problems)
	}
	return v
}

func TestLoadRoutesEveryOperation(t *testing.T) {
	c := testContract(t)
	if got := len(c.OperationIDs()); got != 9 {
		t.Errorf("%d operations, want 9: %v", got, c.OperationIDs())
	}
	if !sort.StringsAreSorted(c.OperationIDs()) {
		t.Error("OperationIDs is not sorted")
	}
	if c.Route("no_such_operation") != nil {
		t.Error("Route of an unknown operation ID is not nil")
	}
	for _, tc := range []struct{ method, url, want string }{
		{http.MethodPost, secretsURL, opCreateSecret},
		{http.MethodGet, secretsURL, opListSecrets},
		{http.MethodPatch, apiKeyURL, opUpdateAPIKey},
	} {
		r, _, err := c.FindRoute(httptest.NewRequest(tc.method, tc.url, nil))
		if err != nil {
			t.Errorf("FindRoute %s %s: %v", tc.method, tc.url, err)
			continue
		}
		if r.Operation.OperationID != tc.want {
			t.Errorf("FindRoute %s %s = %s, want %s", tc.method, tc.url, r.Operation.OperationID, tc.want)
		}
	}
}

func TestCheckResponseAcceptsCreatedSecret(t *testing.T) {
	c := testContract(t)
	for _, body := range []string{
		`{"secret_name": "stripe_api_key", "created": true}`,
		`{"secret_name": "stripe_api_key", "created": true, "updated": null, "deleted": null}`,
	} {
		header := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
		if err := check(t, c, opCreateSecret, http.MethodPost, secretsURL, http.StatusCreated, header, body); err != nil {
			t.Errorf("a valid 201 SecretResponse %s: %v", body, err)
		}
	}
}

func TestCheckResponseUndeclaredStatus(t *testing.T) {
	c := testContract(t)
	body := `{"secret_name": "stripe_api_key", "created": true}`
	// 200 matters most: the official SDK drops a 2xx answer whose code is not the declared one.
	for _, status := range []int{http.StatusOK, http.StatusNoContent, http.StatusFound, http.StatusTeapot} {
		err := check(t, c, opCreateSecret, http.MethodPost, secretsURL, status, jsonHeader, body)
		v := violation(t, err, opCreateSecret, status)
		want := []string{"status " + strconv.Itoa(status) + " is not declared"}
		if diff := cmp.Diff(want, v.Problems); diff != "" {
			t.Errorf("status %d: problems (-want +got):\n%s", status, diff)
		}
	}
	// 409 is declared for create secret but not for list secrets.
	errBody := `{"success": false, "status": 409, "error": {"type": "AlreadyExistsError", "message": "exists"}}`
	if err := check(t, c, opCreateSecret, http.MethodPost, secretsURL, http.StatusConflict, jsonHeader, errBody); err != nil {
		t.Errorf("409 on create secret: %v", err)
	}
	err := check(t, c, opListSecrets, http.MethodGet, secretsURL, http.StatusConflict, jsonHeader, errBody)
	violation(t, err, opListSecrets, http.StatusConflict)
}

func TestCheckResponseContentType(t *testing.T) {
	c := testContract(t)
	body := `{"secret_name": "stripe_api_key", "created": true}`
	for _, ct := range []string{"text/plain", "text/plain; charset=utf-8", "application/problem+json", ""} {
		header := http.Header{}
		if ct != "" {
			header.Set("Content-Type", ct)
		}
		err := check(t, c, opCreateSecret, http.MethodPost, secretsURL, http.StatusCreated, header, body)
		v := violation(t, err, opCreateSecret, http.StatusCreated)
		if diff := cmp.Diff([]string{"Content-Type is not application/json"}, v.Problems); diff != "" {
			t.Errorf("Content-Type %q: problems (-want +got):\n%s", ct, diff)
		}
	}
}

func TestCheckResponseMissingRequiredField(t *testing.T) {
	c := testContract(t)
	err := check(t, c, opCreateSecret, http.MethodPost, secretsURL, http.StatusCreated, jsonHeader, `{"created": true}`)
	v := violation(t, err, opCreateSecret, http.StatusCreated)
	if diff := cmp.Diff([]string{`body/secret_name: fails "required"`}, v.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestCheckResponseEchoedSecretValue(t *testing.T) {
	c := testContract(t)
	body := `{"secret_name": "stripe_api_key", "created": true, "secret_value": "` + secretValue + `"}`
	err := check(t, c, opCreateSecret, http.MethodPost, secretsURL, http.StatusCreated, jsonHeader, body)
	v := violation(t, err, opCreateSecret, http.StatusCreated)
	joined := strings.Join(v.Problems, "\n")
	if !strings.Contains(joined, "body/secret_value") || !strings.Contains(joined, "writeOnly") {
		t.Errorf("problems %q do not name body/secret_value and writeOnly", v.Problems)
	}
	if strings.Contains(joined, secretValue) {
		t.Error("the problems contain the echoed secret value")
	}
	if msg := err.Error(); strings.Contains(msg, secretValue) || strings.Contains(msg, "DO-NOT-LEAK") {
		t.Error("Violation.Error() contains the echoed secret value")
	}
	if !strings.Contains(err.Error(), opCreateSecret) {
		t.Errorf("Error() %q does not name the operation", err.Error())
	}

	// The value stays out of the message wherever it turns up in a broken answer.
	for _, body := range []string{
		`{"secret_value": "` + secretValue + `"}`,
		`{"secret_name": "` + secretValue + `", "created": "` + secretValue + `"}`,
		`{"secret_name": ["` + secretValue + `"], "created": true}`,
		`not JSON ` + secretValue,
	} {
		err := check(t, c, opCreateSecret, http.MethodPost, secretsURL, http.StatusCreated, jsonHeader, body)
		violation(t, err, opCreateSecret, http.StatusCreated)
		if strings.Contains(err.Error(), secretValue) {
			t.Errorf("Error() contains the value: %q", err.Error())
		}
	}
}

func TestCheckResponseKeyPrefixTooLong(t *testing.T) {
	c := testContract(t)
	model := map[string]any{
		"key_id":      "key_abcdefghijklmno",
		"key_hash":    strings.Repeat("ab", 32),
		"key_prefix":  "sk_abcdefg...",
		"key_type":    "standard",
		"internal_id": "int_abcdefghijklmnopqrstuvwx",
		"user_id":     "usr_abcdefghijklmno",
		"name":        "k1",
		"status":      "active",
		"created_at":  "2026-11-01T12:00:00Z",
	}
	valid, _ := json.Marshal(model)
	if err := check(t, c, opUpdateAPIKey, http.MethodPatch, apiKeyURL, http.StatusOK, jsonHeader, string(valid)); err != nil {
		t.Fatalf("a valid APIKeyModel: %v", err)
	}

	prefix := "sk_0123456789abcdefg" // 20 characters, over maxLength 13
	if len(prefix) != 20 {
		t.Fatalf("test prefix has %d characters", len(prefix))
	}
	model["key_prefix"] = prefix
	long, _ := json.Marshal(model)
	err := check(t, c, opUpdateAPIKey, http.MethodPatch, apiKeyURL, http.StatusOK, jsonHeader, string(long))
	v := violation(t, err, opUpdateAPIKey, http.StatusOK)
	if diff := cmp.Diff([]string{`body/key_prefix: fails "maxLength"`}, v.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if strings.Contains(err.Error(), prefix) {
		t.Error("Error() contains the returned key_prefix")
	}
}

func TestDescribeSortedAndValueFree(t *testing.T) {
	c := testContract(t)
	schema := c.Doc.Components.Schemas["CreateSecretRequest"].Value
	name := "NAME-" + strings.Repeat("n", 100) // 105 characters, over maxLength 100
	var body any
	if err := json.Unmarshal([]byte(`{"secret_name": "`+name+`", "secret_value": 4242424242}`), &body); err != nil {
		t.Fatal(err)
	}
	err := schema.VisitJSON(body, openapi3.MultiErrors())
	if err == nil {
		t.Fatal("the invalid body passed the schema")
	}
	got := Describe(err, "body")
	want := []string{
		`body/secret_name: fails "maxLength"`,
		`body/secret_value: fails "type"`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Describe (-want +got):\n%s", diff)
	}
	if !sort.StringsAreSorted(got) {
		t.Errorf("Describe is not sorted: %q", got)
	}
	for _, line := range got {
		if strings.Contains(line, "NAME-") || strings.Contains(line, "4242424242") {
			t.Errorf("Describe entry %q contains a submitted value", line)
		}
	}

	// No error, no entries; an error Describe does not know is named, never quoted.
	if got := Describe(nil, "body"); got != nil {
		t.Errorf("Describe(nil) = %q, want nil", got)
	}
	if diff := cmp.Diff([]string{"q: invalid"}, Describe(errors.New("boom "+secretValue), "q")); diff != "" {
		t.Errorf("Describe of an unknown error (-want +got):\n%s", diff)
	}
}

func TestLeafOfAllOfEnum(t *testing.T) {
	c := testContract(t)
	schema := c.Doc.Components.Schemas["APIKeyUpdateRequest"].Value

	err := schema.VisitJSON(map[string]any{"status": "paused"}, openapi3.MultiErrors())
	if err == nil {
		t.Fatal(`{"status": "paused"} passed APIKeyUpdateRequest`)
	}
	leaves := Flatten(err)
	if len(leaves) != 1 {
		t.Fatalf("Flatten gave %d errors, want 1: %v", len(leaves), leaves)
	}
	var se *openapi3.SchemaError
	if !errors.As(leaves[0], &se) {
		t.Fatalf("leaf is %T, want *openapi3.SchemaError", leaves[0])
	}
	if se.SchemaField != "allOf" {
		t.Errorf("outer SchemaField = %q, want allOf (the premise of LeafOf)", se.SchemaField)
	}
	l := LeafOf(se)
	if l.Field != "enum" {
		t.Errorf("LeafOf field = %q, want enum", l.Field)
	}
	if diff := cmp.Diff([]string{"status"}, l.Pointer); diff != "" {
		t.Errorf("LeafOf pointer (-want +got):\n%s", diff)
	}
	if l.Schema == nil || len(l.Schema.Enum) != 3 {
		t.Errorf("LeafOf schema is not KeyStatus: %+v", l.Schema)
	}
	if diff := cmp.Diff([]string{`body/status: fails "enum"`}, Describe(err, "body")); diff != "" {
		t.Errorf("Describe (-want +got):\n%s", diff)
	}

	// A plain (non-composed) failure is its own leaf.
	err = schema.VisitJSON(map[string]any{"rate_limit_override": float64(0)}, openapi3.MultiErrors())
	if !errors.As(err, &se) {
		t.Fatalf("rate_limit_override 0: got %v, want a SchemaError", err)
	}
	if l := LeafOf(se); l.Field != "minimum" || !cmp.Equal(l.Pointer, []string{"rate_limit_override"}) {
		t.Errorf("LeafOf plain failure = %q at %q, want minimum at [rate_limit_override]", l.Field, l.Pointer)
	}

	// The allOf wrapper keeps status nullable and accepts every KeyStatus value.
	for _, ok := range []any{nil, "active", "revoked", "expired"} {
		if err := schema.VisitJSON(map[string]any{"status": ok}, openapi3.MultiErrors()); err != nil {
			t.Errorf("status %v: %v", ok, err)
		}
	}
}

// CheckResponse remembers answers that conformed, and only those: an answer seen before passes
// without being validated again, while a different body, another status or another operation
// is validated afresh, also once the memory has started over.
func TestCheckResponseRemembersOnlyWhatConformed(t *testing.T) {
	c, err := Parse(context.Background(), "openapi.yaml", mixpeekkit.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	good := `{"secret_name": "a", "created": true}`
	for range 2 {
		if err := check(t, c, opCreateSecret, http.MethodPost, secretsURL, http.StatusCreated, jsonHeader, good); err != nil {
			t.Fatalf("a conforming answer: %v", err)
		}
	}
	if n := len(c.conforming); n != 1 {
		t.Errorf("%d answers remembered after one conforming answer twice, want 1", n)
	}
	bad := `{"secret_name": 7, "created": true}`
	for range 2 {
		violation(t, check(t, c, opCreateSecret, http.MethodPost, secretsURL, http.StatusCreated, jsonHeader, bad), opCreateSecret, http.StatusCreated)
	}
	// The same bytes under another status or operation are another answer.
	violation(t, check(t, c, opCreateSecret, http.MethodPost, secretsURL, http.StatusOK, jsonHeader, good), opCreateSecret, http.StatusOK)
	violation(t, check(t, c, opListSecrets, http.MethodGet, secretsURL, http.StatusOK, jsonHeader, good), opListSecrets, http.StatusOK)
	// A Content-Type that is not JSON is refused whatever was remembered.
	violation(t, check(t, c, opCreateSecret, http.MethodPost, secretsURL, http.StatusCreated, http.Header{"Content-Type": {"text/plain"}}, good), opCreateSecret, http.StatusCreated)
	for i := range maxConforming + 10 {
		body := fmt.Sprintf(`{"secret_name": "s%d", "created": true}`, i)
		if err := check(t, c, opCreateSecret, http.MethodPost, secretsURL, http.StatusCreated, jsonHeader, body); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.conforming); n > maxConforming {
		t.Errorf("%d answers remembered, more than the bound %d", n, maxConforming)
	}
	violation(t, check(t, c, opCreateSecret, http.MethodPost, secretsURL, http.StatusCreated, jsonHeader, bad), opCreateSecret, http.StatusCreated)
}
