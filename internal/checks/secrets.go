// Package checks holds the fixed checks of the conformance suite, by category: each a
// promise of the contract or the behaviour reference (docs/behavior.md), verified by a few
// requests of its own. Package conformance runs them in the order of its catalog.
package checks

import (
	"net/http"
	"slices"
	"sort"

	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

// Contract are the checks of the answers' shapes.
var Contract = []suite.Check{
	{ID: "contract/list-secrets", Category: "contract",
		Description: "GET /v1/organizations/secrets answers 200 with a SecretsListResponse in JSON",
		Run: func(t *suite.T) {
			t.WantStatus(t.Call("GET", suite.SecretsPath, nil), http.StatusOK)
		}},
	{ID: "contract/list-api-keys", Category: "contract",
		Description: "listing API keys answers 200 with {results, total}, total equal to the number of results",
		Run: func(t *suite.T) {
			ex := t.Call("GET", t.KeysPath(), nil)
			t.MustStatus(ex, http.StatusOK)
			results, _ := ex.Field("results").([]any)
			if total, _ := ex.Field("total").(float64); int(total) != len(results) {
				t.Errorf(ex, "total is %v for %d results", ex.Field("total"), len(results))
			}
		}},
	{ID: "contract/error-response-shape", Category: "contract",
		Description: "an error answers an ErrorResponse whose status equals the HTTP status and whose success is false",
		Run: func(t *suite.T) {
			t.ErrorAnswer(t.Call("DELETE", suite.SecretPath(t.Name("absent")), nil), http.StatusNotFound, "NotFoundError")
		}},
}

// Secrets are the checks of the secret operations.
var Secrets = []suite.Check{
	{ID: "secrets/create-returns-201", Category: "secrets",
		Description: "creating a secret answers 201 (not 200) with its name and created: true",
		Run: func(t *suite.T) {
			name, value := t.Name("secret"), t.SecretValue()
			t.TrackSecret(name, t.AdminAuth())
			ex := t.Do(suite.Request{Method: "POST", Path: suite.SecretsPath, Auth: t.AdminAuth(), Body: map[string]any{"secret_name": name, "secret_value": value}})
			t.MustStatus(ex, http.StatusCreated)
			if ex.Str("secret_name") != name || ex.Field("created") != true {
				t.Errorf(ex, "want secret_name %q and created: true", name)
			}
			t.WantListed(t.AdminAuth(), name, true, "the created secret is not listed")
		}},
	{ID: "secrets/duplicate-rejected-409", Category: "secrets",
		Description: "creating a secret whose name exists answers 409 AlreadyExistsError and keeps the secret",
		Run: func(t *suite.T) {
			name, _ := t.NewSecret(t.AdminAuth())
			ex := t.Call("POST", suite.SecretsPath, map[string]any{"secret_name": name, "secret_value": t.SecretValue()})
			t.ErrorAnswer(ex, http.StatusConflict, "AlreadyExistsError")
			t.WantListed(t.AdminAuth(), name, true, "the secret is gone after a refused duplicate")
		}},
	{ID: "secrets/list-has-names-and-count", Category: "secrets",
		Description: "listing secrets shows the new name, names only, sorted, with count equal to their number",
		Run: func(t *suite.T) {
			a, _ := t.NewSecret(t.AdminAuth())
			b, _ := t.NewSecret(t.AdminAuth())
			names, ex := t.ListedSecrets(t.AdminAuth())
			if !slices.Contains(names, a) || !slices.Contains(names, b) {
				t.Errorf(ex, "the list lacks %q or %q", a, b)
			}
			if !sort.StringsAreSorted(names) {
				t.Errorf(ex, "the names are not sorted")
			}
		}},
	{ID: "secrets/update-returns-200", Category: "secrets",
		Description: "updating a secret answers 200 with its name and updated: true",
		Run: func(t *suite.T) {
			name, _ := t.NewSecret(t.AdminAuth())
			before, _ := t.ListedSecrets(t.AdminAuth())
			ex := t.Call("PUT", suite.SecretPath(name), map[string]any{"secret_value": t.SecretValue()})
			t.MustStatus(ex, http.StatusOK)
			if ex.Str("secret_name") != name || ex.Field("updated") != true {
				t.Errorf(ex, "want secret_name %q and updated: true", name)
			}
			// The value cannot be read back (no operation returns it); the list shows the
			// secret still there, once.
			after, lex := t.ListedSecrets(t.AdminAuth())
			if !slices.Contains(after, name) || len(after) != len(before) {
				t.Errorf(lex, "after the update the list has %d names (before: %d), the secret listed: %v", len(after), len(before), slices.Contains(after, name))
			}
		}},
	{ID: "secrets/names-with-any-character", Category: "secrets",
		Description: "a secret name may hold any character: one with a slash, a space and non-ASCII letters is listed as sent, and updated and deleted by its percent-encoded path",
		Run: func(t *suite.T) {
			name := t.Name("secret") + "/ä b%"
			t.TrackSecret(name, t.AdminAuth())
			t.MustStatus(t.Call("POST", suite.SecretsPath, map[string]any{"secret_name": name, "secret_value": t.SecretValue()}), http.StatusCreated)
			t.WantListed(t.AdminAuth(), name, true, "the secret is not listed under its name")
			t.MustStatus(t.Call("PUT", suite.SecretPath(name), map[string]any{"secret_value": t.SecretValue()}), http.StatusOK)
			t.MustStatus(t.Call("DELETE", suite.SecretPath(name), nil), http.StatusOK)
			t.WantListed(t.AdminAuth(), name, false, "the deleted secret is still listed")
		}},
	{ID: "secrets/update-missing-404", Category: "secrets",
		Description: "updating a secret that does not exist answers 404 NotFoundError and creates nothing",
		Run: func(t *suite.T) {
			name := t.Name("absent")
			t.TrackSecret(name, t.AdminAuth())
			t.ErrorAnswer(t.Call("PUT", suite.SecretPath(name), map[string]any{"secret_value": t.SecretValue()}), http.StatusNotFound, "NotFoundError")
			if names, ex := t.ListedSecrets(t.AdminAuth()); slices.Contains(names, name) {
				t.Errorf(ex, "the refused update created %q", name)
			}
		}},
	{ID: "secrets/delete-then-gone", Category: "secrets",
		Description: "deleting a secret answers 200 with deleted: true, then it is not listed and a second delete answers 404",
		Run: func(t *suite.T) {
			name, _ := t.NewSecret(t.AdminAuth())
			ex := t.Call("DELETE", suite.SecretPath(name), nil)
			t.MustStatus(ex, http.StatusOK)
			if ex.Str("secret_name") != name || ex.Field("deleted") != true {
				t.Errorf(ex, "want secret_name %q and deleted: true", name)
			}
			t.WantListed(t.AdminAuth(), name, false, "the deleted secret is still listed")
			t.ErrorAnswer(t.Call("DELETE", suite.SecretPath(name), nil), http.StatusNotFound, "NotFoundError")
		}},
	{ID: "secrets/delete-missing-404", Category: "secrets",
		Description: "deleting a secret that does not exist answers 404 NotFoundError",
		Run: func(t *suite.T) {
			t.ErrorAnswer(t.Call("DELETE", suite.SecretPath(t.Name("absent")), nil), http.StatusNotFound, "NotFoundError")
		}},
}
