package conformance

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// Invalid checks a 422 HTTPValidationError with a detail entry at loc (its first elements).
func (t *T) Invalid(ex *Exchange, loc ...any) {
	if !t.WantStatus(ex, http.StatusUnprocessableEntity) {
		return
	}
	detail, ok := ex.Field("detail").([]any)
	if !ok || len(detail) == 0 {
		t.Errorf(ex, "a 422 must carry detail: a list of {loc, msg, type}")
		return
	}
	for _, d := range detail {
		entry, _ := d.(map[string]any)
		got, _ := entry["loc"].([]any)
		if len(got) >= len(loc) && reflect.DeepEqual(got[:len(loc)], loc) {
			if msg, _ := entry["msg"].(string); msg == "" {
				t.Errorf(ex, "the detail entry at %v has no msg", loc)
			}
			return
		}
	}
	t.Errorf(ex, "no detail entry has loc starting with %v", loc)
}

// invalidSecret sends a bad create-secret body and checks the 422 names the field and that
// nothing was created.
func (t *T) invalidSecret(name string, body string, loc ...any) {
	if name != "" {
		t.TrackSecret(name, Bearer(t.S.Cfg.APIKey))
	}
	t.Invalid(t.Call("POST", SecretsPath, body), loc...)
	if names, ex := t.ListedSecrets(Bearer(t.S.Cfg.APIKey)); name != "" && slices.Contains(names, name) {
		t.Errorf(ex, "the refused request created %q", name)
	}
}

var validationChecks = []Check{
	{ID: "validation/empty-secret-name", Category: "validation",
		Description: "an empty secret_name answers 422 with loc [body, secret_name]",
		Run: func(t *T) {
			t.invalidSecret("", fmt.Sprintf(`{"secret_name": "", "secret_value": %q}`, t.SecretValue()), "body", "secret_name")
		}},
	{ID: "validation/too-long-secret-name", Category: "validation",
		Description: "a secret_name over 100 characters answers 422 with loc [body, secret_name]",
		Run: func(t *T) {
			name := t.Name("long") + strings.Repeat("x", 101)
			t.invalidSecret(name, fmt.Sprintf(`{"secret_name": %q, "secret_value": %q}`, name, t.SecretValue()), "body", "secret_name")
		}},
	{ID: "validation/wrong-type-secret-value", Category: "validation",
		Description: "a secret_value that is not a string answers 422 with loc [body, secret_value]",
		Run: func(t *T) {
			name := t.Name("secret")
			t.invalidSecret(name, fmt.Sprintf(`{"secret_name": %q, "secret_value": 12345}`, name), "body", "secret_value")
		}},
	{ID: "validation/missing-secret-value", Category: "validation",
		Description: "a create without secret_value answers 422 with loc [body, secret_value]",
		Run: func(t *T) {
			name := t.Name("secret")
			t.invalidSecret(name, fmt.Sprintf(`{"secret_name": %q}`, name), "body", "secret_value")
		}},
	{ID: "validation/malformed-json", Category: "validation",
		Description: "a body that is not JSON answers 422 with loc starting with body",
		Run: func(t *T) {
			name := t.Name("secret")
			t.invalidSecret(name, `{"secret_name": "`+name+`", `, "body")
		}},
	{ID: "validation/empty-update-value", Category: "validation",
		Description: "an empty secret_value on update answers 422 with loc [body, secret_value]",
		Run: func(t *T) {
			name, _ := t.NewSecret(Bearer(t.S.Cfg.APIKey))
			t.Invalid(t.Call("PUT", SecretPath(name), `{"secret_value": ""}`), "body", "secret_value")
		}},
	{ID: "validation/bad-permission-enum", Category: "validation",
		Description: "a permission outside read/write/delete/admin answers 422 with loc [body, permissions, ...]",
		Run: func(t *T) {
			name := t.Name("key")
			t.TrackKey(name)
			t.Invalid(t.Call("POST", t.KeysPath(), map[string]any{"name": name, "permissions": []string{"root"}}), "body", "permissions")
		}},
	{ID: "validation/key-name-too-long", Category: "validation",
		Description: "an API-key name over 100 characters answers 422 with loc [body, name]",
		Run: func(t *T) {
			name := t.Name("key") + strings.Repeat("k", 101)
			t.TrackKey(name)
			t.Invalid(t.Call("POST", t.KeysPath(), map[string]any{"name": name}), "body", "name")
		}},
	{ID: "validation/before-existence", Category: "validation",
		Description: "a bad body for a secret or key that does not exist answers 422, not 404: the contract check comes before existence",
		Run: func(t *T) {
			t.Invalid(t.Call("PUT", SecretPath(t.Name("absent")), `{"secret_value": ""}`), "body", "secret_value")
			absent := t.Name("absent")
			t.TrackKey(absent)
			t.Invalid(t.Call("PATCH", t.KeyPath(absent), `{"rate_limit_override": 0}`), "body", "rate_limit_override")
		}},
	{ID: "validation/bad-include-revoked", Category: "validation",
		Description: "include_revoked that is not a boolean answers 422 with loc [query, include_revoked]",
		Run: func(t *T) {
			t.Invalid(t.Call("GET", t.KeysPath()+"?include_revoked=perhaps", nil), "query", "include_revoked")
		}},
}
