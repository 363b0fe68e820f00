//go:build upstream

package mixpeekkit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/mixpeekkit/mixpeekkit/mockserver/mockservertest"
)

// TestUpstreamAcceptsEveryMockAnswer drives all 9 operations and their error paths through
// the mock and validates every answer against the upstream document itself (OpenAPI 3.1),
// as a client generated from it would read them. The one status upstream does not declare,
// 409, must still carry upstream's ErrorResponse.
func TestUpstreamAcceptsEveryMockAnswer(t *testing.T) {
	path := os.Getenv("MIXPEEK_UPSTREAM_SPEC")
	if path == "" {
		t.Fatal("no upstream document: set MIXPEEK_UPSTREAM_SPEC (make check-upstream UPSTREAM=path)")
	}
	loader := openapi3.NewLoader()
	up, err := loader.LoadFromFile(path)
	if err != nil {
		t.Fatalf("upstream document: %v", err)
	}
	if err := up.Validate(context.Background()); err != nil {
		t.Fatalf("upstream document: %v", err)
	}
	up.Servers = nil
	router, err := gorillamux.NewRouter(up)
	if err != nil {
		t.Fatal(err)
	}
	ts := mockservertest.NewServer(t)

	admin := "Bearer " + ts.AdminKey
	const (
		secrets = "/v1/organizations/secrets"
		keys    = "/v1/organizations/users/admin%40example.com/api-keys"
	)
	var plaintexts []string
	seen := map[string]bool{}
	send := func(method, p, auth, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+p, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s %s: upstream has no such operation: %v", method, p, err)
		}
		seen[route.Operation.OperationID+" "+resp.Status] = true
		if resp.StatusCode == http.StatusConflict {
			var v any
			_ = json.Unmarshal(raw, &v)
			if err := up.Components.Schemas["ErrorResponse"].Value.VisitJSON(v); err != nil {
				t.Errorf("%s %s: 409 is not upstream's ErrorResponse: %v", method, p, err)
			}
		} else {
			in := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
				Status:                 resp.StatusCode,
				Header:                 resp.Header,
				Body:                   io.NopCloser(bytes.NewReader(raw)),
				Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
			}
			if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
				t.Errorf("%s %s: %d answer breaks the upstream document: %v\n%s", method, p, resp.StatusCode, err, raw)
			}
		}
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		if k, ok := m["key"].(string); ok {
			plaintexts = append(plaintexts, k)
		}
		return m
	}

	send("POST", secrets, admin, `{"secret_name":"s","secret_value":"v"}`)
	send("POST", secrets, admin, `{"secret_name":"s","secret_value":"v"}`)
	send("POST", secrets, admin, `{"secret_name":""}`)
	send("POST", secrets, "", `{}`)
	send("GET", secrets, admin, "")
	send("PUT", secrets+"/s", admin, `{"secret_value":"w"}`)
	send("PUT", secrets+"/missing", admin, `{"secret_value":"w"}`)
	send("DELETE", secrets+"/s", admin, "")
	send("DELETE", secrets+"/s", admin, "")
	reader := send("POST", keys, admin, `{"name":"reader","permissions":["read"],"expires_at":"2099-01-01T00:00:00Z","scopes":[{"resource_type":"namespace","resource_id":"ns_1"}]}`)
	send("POST", keys, admin, `{"name":"reader"}`)
	send("POST", secrets, "Bearer "+reader["key"].(string), `{"secret_name":"x","secret_value":"v"}`)
	send("POST", "/v1/organizations/users/nobody%40example.com/api-keys", admin, `{"name":"k"}`)
	send("GET", keys, admin, "")
	send("GET", keys+"?include_revoked=maybe", admin, "")
	send("PATCH", keys+"/reader", admin, `{"description":"d","rate_limit_override":5}`)
	send("PATCH", keys+"/admin-key", admin, `{}`)
	send("PATCH", keys+"/reader", admin, `{"status":"expired"}`)
	send("POST", keys+"/reader/rotate", admin, "")
	send("POST", keys+"/admin-key/rotate", admin, "")
	send("DELETE", keys+"/reader", admin, "")
	send("DELETE", keys+"/reader", admin, "")
	send("GET", keys+"?include_revoked=true", admin, "")
	send("DELETE", keys+"/admin-key", admin, "")

	if len(plaintexts) != 2 {
		t.Errorf("%d plaintext keys returned, want 2 (create and rotate)", len(plaintexts))
	}
	for _, want := range []string{
		"create_secret_v1_organizations_secrets_post 201 Created",
		"create_secret_v1_organizations_secrets_post 409 Conflict",
		"create_secret_v1_organizations_secrets_post 422 Unprocessable Entity",
		"create_secret_v1_organizations_secrets_post 401 Unauthorized",
		"create_secret_v1_organizations_secrets_post 403 Forbidden",
		"list_secrets_v1_organizations_secrets_get 200 OK",
		"update_secret_v1_organizations_secrets__secret_name__put 200 OK",
		"update_secret_v1_organizations_secrets__secret_name__put 404 Not Found",
		"delete_secret_v1_organizations_secrets__secret_name__delete 200 OK",
		"delete_secret_v1_organizations_secrets__secret_name__delete 404 Not Found",
		"create_api_key_v1_organizations_users__user_email__api_keys_post 200 OK",
		"create_api_key_v1_organizations_users__user_email__api_keys_post 409 Conflict",
		"create_api_key_v1_organizations_users__user_email__api_keys_post 404 Not Found",
		"list_api_keys_v1_organizations_users__user_email__api_keys_get 200 OK",
		"list_api_keys_v1_organizations_users__user_email__api_keys_get 422 Unprocessable Entity",
		"update_api_key_v1_organizations_users__user_email__api_keys__key_name__patch 200 OK",
		"update_api_key_v1_organizations_users__user_email__api_keys__key_name__patch 403 Forbidden",
		"update_api_key_v1_organizations_users__user_email__api_keys__key_name__patch 400 Bad Request",
		"rotate_api_key_v1_organizations_users__user_email__api_keys__key_name__rotate_post 200 OK",
		"rotate_api_key_v1_organizations_users__user_email__api_keys__key_name__rotate_post 403 Forbidden",
		"delete_api_key_v1_organizations_users__user_email__api_keys__key_name__delete 200 OK",
		"delete_api_key_v1_organizations_users__user_email__api_keys__key_name__delete 404 Not Found",
		"delete_api_key_v1_organizations_users__user_email__api_keys__key_name__delete 403 Forbidden",
	} {
		if !seen[want] {
			t.Errorf("the scenario did not produce %s", want)
		}
	}
}
