package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

// invalidSecret sends a bad create-secret body and checks the 422 names the field and that
// nothing was created.
func invalidSecret(t *suite.T, name string, body string, loc ...any) {
	if name != "" {
		t.TrackSecret(name, t.AdminAuth())
	}
	t.Invalid(t.Call("POST", suite.SecretsPath, body), loc...)
	if names, ex := t.ListedSecrets(t.AdminAuth()); name != "" && slices.Contains(names, name) {
		t.Errorf(ex, "the refused request created %q", name)
	}
}

// Validation are the checks of request validation (422).
var Validation = []suite.Check{
	{ID: "validation/empty-secret-name", Category: "validation",
		Description: "an empty secret_name answers 422 with loc [body, secret_name]",
		Run: func(t *suite.T) {
			invalidSecret(t, "", fmt.Sprintf(`{"secret_name": "", "secret_value": %q}`, t.SecretValue()), "body", "secret_name")
		}},
	{ID: "validation/too-long-secret-name", Category: "validation",
		Description: "a secret_name over 100 characters answers 422 with loc [body, secret_name]",
		Run: func(t *suite.T) {
			name := t.Name("long") + strings.Repeat("x", 101)
			invalidSecret(t, name, fmt.Sprintf(`{"secret_name": %q, "secret_value": %q}`, name, t.SecretValue()), "body", "secret_name")
		}},
	{ID: "validation/wrong-type-secret-value", Category: "validation",
		Description: "a secret_value that is not a string answers 422 with loc [body, secret_value]",
		Run: func(t *suite.T) {
			name := t.Name("secret")
			invalidSecret(t, name, fmt.Sprintf(`{"secret_name": %q, "secret_value": 12345}`, name), "body", "secret_value")
		}},
	{ID: "validation/missing-secret-value", Category: "validation",
		Description: "a create without secret_value answers 422 with loc [body, secret_value]",
		Run: func(t *suite.T) {
			name := t.Name("secret")
			invalidSecret(t, name, fmt.Sprintf(`{"secret_name": %q}`, name), "body", "secret_value")
		}},
	{ID: "validation/malformed-json", Category: "validation",
		Description: "a body that is not JSON answers 422 with loc starting with body",
		Run: func(t *suite.T) {
			name := t.Name("secret")
			invalidSecret(t, name, `{"secret_name": "`+name+`", `, "body")
		}},
	{ID: "validation/empty-update-value", Category: "validation",
		Description: "an empty secret_value on update answers 422 with loc [body, secret_value]",
		Run: func(t *suite.T) {
			name, _ := t.NewSecret(t.AdminAuth())
			t.Invalid(t.Call("PUT", suite.SecretPath(name), `{"secret_value": ""}`), "body", "secret_value")
		}},
	{ID: "validation/bad-permission-enum", Category: "validation",
		Description: "a permission outside read/write/delete/admin answers 422 with loc [body, permissions, ...]",
		Run: func(t *suite.T) {
			name := t.Name("key")
			t.TrackKey(name)
			t.Invalid(t.Call("POST", t.KeysPath(), map[string]any{"name": name, "permissions": []string{"root"}}), "body", "permissions")
		}},
	{ID: "validation/key-name-too-long", Category: "validation",
		Description: "an API-key name over 100 characters answers 422 with loc [body, name]",
		Run: func(t *suite.T) {
			name := t.Name("key") + strings.Repeat("k", 101)
			t.TrackKey(name)
			t.Invalid(t.Call("POST", t.KeysPath(), map[string]any{"name": name}), "body", "name")
		}},
	{ID: "validation/before-existence", Category: "validation",
		Description: "a bad body for a secret or key that does not exist answers 422, not 404: the contract check comes before existence",
		Run: func(t *suite.T) {
			t.Invalid(t.Call("PUT", suite.SecretPath(t.Name("absent")), `{"secret_value": ""}`), "body", "secret_value")
			absent := t.Name("absent")
			t.TrackKey(absent)
			t.Invalid(t.Call("PATCH", t.KeyPath(absent), `{"rate_limit_override": 0}`), "body", "rate_limit_override")
		}},
	{ID: "validation/bad-include-revoked", Category: "validation",
		Description: "include_revoked that is not a boolean answers 422 with loc [query, include_revoked]",
		Run: func(t *suite.T) {
			t.Invalid(t.Call("GET", t.KeysPath()+"?include_revoked=perhaps", nil), "query", "include_revoked")
		}},
}
