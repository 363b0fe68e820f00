package mockserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSecretLifecycle(t *testing.T) {
	h := newHarness(t)

	r := h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "stripe_api_key", "secret_value": "sk_live_1"})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	if diff := cmp.Diff(map[string]any{"secret_name": "stripe_api_key", "created": true}, r.json(t)); diff != "" {
		t.Errorf("create body (-want +got):\n%s", diff)
	}
	if v, ok := h.decryptSecret(0, "stripe_api_key"); !ok || v != "sk_live_1" {
		t.Errorf("stored value decrypts to %q, %v", v, ok)
	}

	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "a_first", "secret_value": "x"})
	r = h.send("GET", secretsURL, adminKey, nil)
	want := map[string]any{"secrets": []any{"a_first", "stripe_api_key"}, "count": float64(2)}
	if r.status != http.StatusOK || !cmp.Equal(want, r.json(t)) {
		t.Errorf("list: %d %s", r.status, r.raw)
	}

	r = h.send("PUT", secretsURL+"/stripe_api_key", adminKey, map[string]any{"secret_value": "sk_live_2"})
	if r.status != http.StatusOK || !cmp.Equal(map[string]any{"secret_name": "stripe_api_key", "updated": true}, r.json(t)) {
		t.Errorf("update: %d %s", r.status, r.raw)
	}
	if v, _ := h.decryptSecret(0, "stripe_api_key"); v != "sk_live_2" {
		t.Errorf("after update the stored value decrypts to %q", v)
	}

	r = h.send("DELETE", secretsURL+"/stripe_api_key", adminKey, nil)
	if r.status != http.StatusOK || !cmp.Equal(map[string]any{"secret_name": "stripe_api_key", "deleted": true}, r.json(t)) {
		t.Errorf("delete: %d %s", r.status, r.raw)
	}
	if _, ok := h.decryptSecret(0, "stripe_api_key"); ok {
		t.Error("deleted secret is still stored")
	}
	r = h.send("GET", secretsURL, adminKey, nil)
	if !cmp.Equal(map[string]any{"secrets": []any{"a_first"}, "count": float64(1)}, r.json(t)) {
		t.Errorf("list after delete: %s", r.raw)
	}
}

func TestSecretErrors(t *testing.T) {
	h := newHarness(t)
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "taken", "secret_value": "original"})

	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		errType            string
	}{
		{"duplicate name", "POST", secretsURL, map[string]any{"secret_name": "taken", "secret_value": "other"}, 409, "AlreadyExistsError"},
		{"update missing", "PUT", secretsURL + "/missing", map[string]any{"secret_value": "v"}, 404, "NotFoundError"},
		{"delete missing", "DELETE", secretsURL + "/missing", nil, 404, "NotFoundError"},
		{"unknown route", "GET", "/v1/organizations/secret", nil, 404, "NotFoundError"},
		{"wrong method", "PATCH", secretsURL, nil, 405, "MethodNotAllowedError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.send(tc.method, tc.path, adminKey, tc.body)
			if r.status != tc.status || r.errorType(t) != tc.errType {
				t.Fatalf("got %d %s, want %d %s", r.status, r.raw, tc.status, tc.errType)
			}
			if got := r.json(t)["status"]; got != float64(tc.status) {
				t.Errorf("ErrorResponse.status = %v", got)
			}
		})
	}
	if v, _ := h.decryptSecret(0, "taken"); v != "original" {
		t.Errorf("a refused duplicate changed the stored value to %q", v)
	}
}

func TestSecretNamesArePercentDecoded(t *testing.T) {
	h := newHarness(t)
	name := "team/prod key"
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": name, "secret_value": "v"})
	r := h.send("PUT", secretsURL+"/team%2Fprod%20key", adminKey, map[string]any{"secret_value": "v2"})
	if r.status != http.StatusOK || r.json(t)["secret_name"] != name {
		t.Fatalf("update through an encoded name: %d %s", r.status, r.raw)
	}
	if v, _ := h.decryptSecret(0, name); v != "v2" {
		t.Errorf("value = %q", v)
	}
}

func TestNoSecretValueInAnyAnswerOrState(t *testing.T) {
	h := newHarness(t)
	value := "VALUE-THAT-MUST-NEVER-SHOW-" + strings.Repeat("z", 8)
	var answers []reply
	answers = append(answers,
		h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "s", "secret_value": value}),
		h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "s", "secret_value": value}),
		h.send("PUT", secretsURL+"/s", adminKey, map[string]any{"secret_value": value + "2"}),
		h.send("PUT", secretsURL+"/nope", adminKey, map[string]any{"secret_value": value}),
		h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": strings.Repeat("n", 101), "secret_value": value}),
		h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": 7, "secret_value": value}),
		h.send("GET", secretsURL, adminKey, nil),
		h.send("GET", "/_mock/state", "", nil),
	)
	for i, a := range answers {
		if strings.Contains(string(a.raw), value) {
			t.Errorf("answer %d shows the secret value: %s", i, a.raw)
		}
	}
	if strings.Contains(h.logs.String(), value) {
		t.Error("the log shows the secret value")
	}
}
