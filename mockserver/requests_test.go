package mockserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAuthentication(t *testing.T) {
	h := newHarness(t)
	readKey := h.createKey(map[string]any{"name": "reader", "permissions": []string{"read"}})["key"].(string)
	revoked := h.createKey(map[string]any{"name": "revoked"})["key"].(string)
	h.send("DELETE", adminKeys+"/revoked", adminKey, nil)
	rotatedAway := h.createKey(map[string]any{"name": "rotated"})["key"].(string)
	h.send("POST", adminKeys+"/rotated/rotate", adminKey, nil)
	expiring := h.createKey(map[string]any{"name": "expiring", "permissions": []string{"read"},
		"expires_at": h.clock.Now().Add(time.Hour).Format(time.RFC3339)})["key"].(string)
	if r := h.send("GET", secretsURL, expiring, nil); r.status != http.StatusOK {
		t.Fatalf("a key before its expiry: %d", r.status)
	}
	h.clock.Advance(time.Hour)

	for _, tc := range []struct {
		name, header string
	}{
		{"no header", ""},
		{"wrong scheme", "Basic " + adminKey},
		{"unknown key", "Bearer sk_" + strings.Repeat("u", 43)},
		{"revoked key", "Bearer " + revoked},
		{"rotated-away key", "Bearer " + rotatedAway},
		{"expired key", "Bearer " + expiring},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, req := range []struct{ method, path, body string }{
				{"GET", secretsURL, ""},
				// No key and a bad body: 401, authentication comes first.
				{"POST", secretsURL, `{"secret_name": ""}`},
			} {
				hreq, _ := http.NewRequest(req.method, h.url+req.path, strings.NewReader(req.body))
				hreq.Header.Set("Content-Type", "application/json")
				if tc.header != "" {
					hreq.Header.Set("Authorization", tc.header)
				}
				r := h.do(hreq)
				if r.status != http.StatusUnauthorized || r.errorType(t) != "UnauthorizedError" {
					t.Fatalf("%s %s: %d %s", req.method, req.path, r.status, r.raw)
				}
				if r.header.Get("WWW-Authenticate") != "Bearer" {
					t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
				}
			}
		})
	}
	t.Run("scheme is case-insensitive", func(t *testing.T) {
		req, _ := http.NewRequest("GET", h.url+secretsURL, nil)
		req.Header.Set("Authorization", "bearer "+readKey)
		if r := h.do(req); r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
}

func TestPermissions(t *testing.T) {
	h := newHarness(t)
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "s", "secret_value": "v"})
	keyWith := func(name string, perms ...string) string {
		return h.createKey(map[string]any{"name": name, "permissions": append([]string{}, perms...)})["key"].(string)
	}
	read := keyWith("read", "read")
	writeDelete := keyWith("write-delete", "write", "delete")
	none := keyWith("none")

	type call struct {
		method, path string
		body         any
	}
	listSecrets := call{"GET", secretsURL, nil}
	adminOnly := []call{
		{"POST", secretsURL, map[string]any{"secret_name": "n", "secret_value": "v"}},
		{"PUT", secretsURL + "/s", map[string]any{"secret_value": "v"}},
		{"DELETE", secretsURL + "/s", nil},
		{"POST", adminKeys, map[string]any{"name": "k"}},
		{"GET", adminKeys, nil},
		{"PATCH", adminKeys + "/none", map[string]any{"description": "d"}},
		{"DELETE", adminKeys + "/none", nil},
		{"POST", adminKeys + "/none/rotate", nil},
	}
	check := func(key string, c call, want int) {
		t.Helper()
		r := h.send(c.method, c.path, key, c.body)
		if r.status != want {
			t.Errorf("%s %s: got %d %s, want %d", c.method, c.path, r.status, r.raw, want)
		}
		if want == http.StatusForbidden && r.errorType(t) != "ForbiddenError" {
			t.Errorf("%s %s: error.type %q", c.method, c.path, r.errorType(t))
		}
	}
	check(read, listSecrets, http.StatusOK)
	check(writeDelete, listSecrets, http.StatusForbidden)
	check(none, listSecrets, http.StatusForbidden)
	for _, c := range adminOnly {
		check(read, c, http.StatusForbidden)
		check(writeDelete, c, http.StatusForbidden)
	}
	// Permission comes before the contract check: a read key with a bad body gets 403.
	check(read, call{"POST", secretsURL, map[string]any{"secret_name": ""}}, http.StatusForbidden)
	// And the contract check comes before existence: a bad body on a missing secret is 422.
	check(adminKey, call{"PUT", secretsURL + "/missing", map[string]any{"secret_value": ""}}, http.StatusUnprocessableEntity)
	if v, _ := h.decryptSecret(0, "s"); v != "v" {
		t.Errorf("refused requests changed the secret to %q", v)
	}
}

func TestValidationErrors(t *testing.T) {
	h := newHarness(t)
	h.createKey(map[string]any{"name": "k"})
	type d = map[string]any
	entry := func(msg, typ string, loc ...any) d { return d{"loc": loc, "msg": msg, "type": typ} }
	for _, tc := range []struct {
		name, method, path string
		body               any // string: sent as it is; nil: no body
		want               []d
	}{
		{"missing body", "POST", secretsURL, nil, []d{entry("Field required", "missing", "body")}},
		{"empty object", "POST", secretsURL, `{}`, []d{
			entry("Field required", "missing", "body", "secret_name"),
			entry("Field required", "missing", "body", "secret_value"),
		}},
		{"empty and wrong type", "POST", secretsURL, `{"secret_name": "", "secret_value": 5}`, []d{
			entry("String should have at least 1 character", "string_too_short", "body", "secret_name"),
			entry("Input should be a valid string", "string_type", "body", "secret_value"),
		}},
		{"too long", "POST", secretsURL, `{"secret_name": "` + strings.Repeat("n", 101) + `", "secret_value": "v"}`, []d{
			entry("String should have at most 100 characters", "string_too_long", "body", "secret_name"),
		}},
		{"malformed JSON", "POST", secretsURL, `{"secret_name": "a",}`, []d{
			// Like Python's json module: the index of the character at fault (the "}").
			entry("JSON decode error", "json_invalid", "body", float64(20)),
		}},
		{"not an object", "PUT", secretsURL + "/x", `["v"]`, []d{
			entry("Input should be a valid dictionary or object to extract fields from", "model_attributes_type", "body"),
		}},
		{"empty update value", "PUT", secretsURL + "/x", `{"secret_value": ""}`, []d{
			entry("String should have at least 1 character", "string_too_short", "body", "secret_value"),
		}},
		{"bad enum and bounds", "POST", adminKeys, `{"name": "n", "permissions": ["read", "root"], "rate_limit_override": 0, "expires_at": "tomorrow"}`, []d{
			entry("Input should be a valid datetime or date", "datetime_from_date_parsing", "body", "expires_at"),
			entry("Input should be 'read', 'write', 'delete' or 'admin'", "enum", "body", "permissions", float64(1)),
			entry("Input should be greater than or equal to 1", "greater_than_equal", "body", "rate_limit_override"),
		}},
		{"nested scope", "POST", adminKeys, `{"name": "n", "scopes": [{"resource_type": "planet", "resource_id": ""}]}`, []d{
			entry("String should have at least 1 character", "string_too_short", "body", "scopes", float64(0), "resource_id"),
			entry("Input should be 'organization', 'user', 'api_key', 'namespace', 'collection', 'bucket', 'retriever', 'cluster', 'taxonomy', 'storage_connection' or 'alert'", "enum", "body", "scopes", float64(0), "resource_type"),
		}},
		{"missing name", "POST", adminKeys, `{"description": "` + strings.Repeat("d", 501) + `"}`, []d{
			entry("String should have at most 500 characters", "string_too_long", "body", "description"),
			entry("Field required", "missing", "body", "name"),
		}},
		{"bad status", "PATCH", adminKeys + "/k", `{"status": "paused", "permissions": "read"}`, []d{
			entry("Input should be a valid list", "list_type", "body", "permissions"),
			entry("Input should be 'active', 'revoked' or 'expired'", "enum", "body", "status"),
		}},
		{"null for a list with a default", "POST", adminKeys, `{"name": "k", "permissions": null, "rate_limit_override": 0}`, []d{
			entry("Input should be a valid list", "list_type", "body", "permissions"),
			entry("Input should be greater than or equal to 1", "greater_than_equal", "body", "rate_limit_override"),
		}},
		{"bad include_revoked", "GET", adminKeys + "?include_revoked=maybe", nil, []d{
			entry("Input should be a valid boolean, unable to interpret input", "bool_parsing", "query", "include_revoked"),
		}},
		{"include_revoked that is not valid percent-encoding", "GET", adminKeys + "?include_revoked=%zz", nil, []d{
			entry("Input should be a valid boolean, unable to interpret input", "bool_parsing", "query", "include_revoked"),
		}},
		{"include_revoked pydantic does not read either", "GET", adminKeys + "?include_revoked=yess", nil, []d{
			entry("Input should be a valid boolean, unable to interpret input", "bool_parsing", "query", "include_revoked"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.send(tc.method, tc.path, adminKey, tc.body)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d %s", r.status, r.raw)
			}
			var want []any
			for _, w := range tc.want {
				want = append(want, map[string]any{"loc": w["loc"], "msg": w["msg"], "type": w["type"]})
			}
			got := r.json(t)["detail"]
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("detail (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("not JSON content type", func(t *testing.T) {
		req, _ := http.NewRequest("POST", h.url+secretsURL, strings.NewReader("secret_name=a&secret_value=b"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+adminKey)
		r := h.do(req)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.raw), `"loc":["body"]`) {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("body over 1 MiB", func(t *testing.T) {
		big := `{"secret_name": "big", "secret_value": "` + strings.Repeat("v", 1<<20) + `"}`
		r := h.send("POST", secretsURL, adminKey, big)
		if r.status != http.StatusBadRequest || r.errorType(t) != "BadRequestError" {
			t.Fatalf("%d %.200s", r.status, r.raw)
		}
	})
	if r := h.send("GET", secretsURL, adminKey, nil); !cmp.Equal(float64(0), r.json(t)["count"]) {
		t.Errorf("refused requests stored something: %s", r.raw)
	}
}

func TestValidationMessagesNeverEchoValues(t *testing.T) {
	h := newHarness(t)
	marker := "ECHO-MARKER-42"
	for _, body := range []string{
		`{"secret_name": 12, "secret_value": {"x": "` + marker + `"}}`,
		`{"secret_name": "` + marker + strings.Repeat("x", 100) + `", "secret_value": "` + marker + `"}`,
		`{"secret_name": "` + marker + `", "secret_value": ["` + marker + `"]}`,
		`{"` + marker + `"`,
	} {
		r := h.send("POST", secretsURL, adminKey, body)
		if r.status != http.StatusUnprocessableEntity || strings.Contains(string(r.raw), marker) {
			t.Errorf("%d %s", r.status, r.raw)
		}
	}
	r := h.send("POST", adminKeys, adminKey, `{"name": "n", "permissions": ["`+marker+`"]}`)
	if r.status != http.StatusUnprocessableEntity || strings.Contains(string(r.raw), marker) {
		t.Errorf("%d %s", r.status, r.raw)
	}
}

// A method the path does not serve is 405 MethodNotAllowedError, with the methods it does
// serve in Allow, on the API and the control API alike; no key is needed to learn it.
func TestMethodNotAllowedSaysWhatIs(t *testing.T) {
	h := newHarness(t)
	for path, want := range map[string]string{
		secretsURL:              "GET, POST",
		secretsURL + "/s":       "PUT, DELETE",
		adminKeys:               "GET, POST",
		adminKeys + "/k":        "PATCH, DELETE",
		adminKeys + "/k/rotate": "POST",
		"/_mock/faults":         "GET, POST, DELETE",
		"/_mock/clock":          "GET, POST",
	} {
		r := h.send("TRACE", path, "", nil)
		if r.status != http.StatusMethodNotAllowed || r.errorType(t) != "MethodNotAllowedError" || r.header.Get("Allow") != want {
			t.Errorf("TRACE %s: %d %q, Allow %q, want %q", path, r.status, r.errorType(t), r.header.Get("Allow"), want)
		}
	}
}
