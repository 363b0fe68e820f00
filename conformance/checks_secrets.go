package conformance

import (
	"net/http"
	"slices"
	"sort"
)

var contractChecks = []Check{
	{ID: "contract/list-secrets", Category: "contract",
		Description: "GET /v1/organizations/secrets answers 200 with a SecretsListResponse in JSON",
		run: func(t *checkRun) {
			t.status(t.call("GET", secretsPath, nil), http.StatusOK)
		}},
	{ID: "contract/list-api-keys", Category: "contract",
		Description: "listing API keys answers 200 with {results, total}, total equal to the number of results",
		run: func(t *checkRun) {
			ex := t.call("GET", t.keysPath(), nil)
			t.mustStatus(ex, http.StatusOK)
			results, _ := ex.field("results").([]any)
			if total, _ := ex.field("total").(float64); int(total) != len(results) {
				t.Errorf(ex, "total is %v for %d results", ex.field("total"), len(results))
			}
		}},
	{ID: "contract/error-response-shape", Category: "contract",
		Description: "an error answers an ErrorResponse whose status equals the HTTP status and whose success is false",
		run: func(t *checkRun) {
			t.errorAnswer(t.call("DELETE", secretPath(t.name("absent")), nil), http.StatusNotFound, "NotFoundError")
		}},
}

var secretChecks = []Check{
	{ID: "secrets/create-returns-201", Category: "secrets",
		Description: "creating a secret answers 201 (not 200) with its name and created: true",
		run: func(t *checkRun) {
			name, value := t.name("secret"), t.secretValue()
			t.trackSecret(name, bearer(t.s.cfg.APIKey))
			ex := t.do(request{method: "POST", path: secretsPath, auth: bearer(t.s.cfg.APIKey), body: map[string]any{"secret_name": name, "secret_value": value}})
			t.mustStatus(ex, http.StatusCreated)
			if ex.str("secret_name") != name || ex.field("created") != true {
				t.Errorf(ex, "want secret_name %q and created: true", name)
			}
			if names, lex := t.listedSecrets(bearer(t.s.cfg.APIKey)); !slices.Contains(names, name) {
				t.Errorf(lex, "the created secret is not listed")
			}
		}},
	{ID: "secrets/duplicate-rejected-409", Category: "secrets",
		Description: "creating a secret whose name exists answers 409 AlreadyExistsError and keeps the secret",
		run: func(t *checkRun) {
			name, _ := t.newSecret(bearer(t.s.cfg.APIKey))
			ex := t.call("POST", secretsPath, map[string]any{"secret_name": name, "secret_value": t.secretValue()})
			t.errorAnswer(ex, http.StatusConflict, "AlreadyExistsError")
			if names, lex := t.listedSecrets(bearer(t.s.cfg.APIKey)); !slices.Contains(names, name) {
				t.Errorf(lex, "the secret is gone after a refused duplicate")
			}
		}},
	{ID: "secrets/list-has-names-and-count", Category: "secrets",
		Description: "listing secrets shows the new name, names only, sorted, with count equal to their number",
		run: func(t *checkRun) {
			a, _ := t.newSecret(bearer(t.s.cfg.APIKey))
			b, _ := t.newSecret(bearer(t.s.cfg.APIKey))
			names, ex := t.listedSecrets(bearer(t.s.cfg.APIKey))
			if !slices.Contains(names, a) || !slices.Contains(names, b) {
				t.Errorf(ex, "the list lacks %q or %q", a, b)
			}
			if !sort.StringsAreSorted(names) {
				t.Errorf(ex, "the names are not sorted")
			}
		}},
	{ID: "secrets/update-returns-200", Category: "secrets",
		Description: "updating a secret answers 200 with its name and updated: true",
		run: func(t *checkRun) {
			name, _ := t.newSecret(bearer(t.s.cfg.APIKey))
			before, _ := t.listedSecrets(bearer(t.s.cfg.APIKey))
			ex := t.call("PUT", secretPath(name), map[string]any{"secret_value": t.secretValue()})
			t.mustStatus(ex, http.StatusOK)
			if ex.str("secret_name") != name || ex.field("updated") != true {
				t.Errorf(ex, "want secret_name %q and updated: true", name)
			}
			// The value cannot be read back (no operation returns it); the list shows the
			// secret still there, once.
			after, lex := t.listedSecrets(bearer(t.s.cfg.APIKey))
			if !slices.Contains(after, name) || len(after) != len(before) {
				t.Errorf(lex, "after the update the list has %d names (before: %d), the secret listed: %v", len(after), len(before), slices.Contains(after, name))
			}
		}},
	{ID: "secrets/names-with-any-character", Category: "secrets",
		Description: "a secret name may hold any character: one with a slash, a space and non-ASCII letters is listed as sent, and updated and deleted by its percent-encoded path",
		run: func(t *checkRun) {
			name := t.name("secret") + "/ä b%"
			t.trackSecret(name, bearer(t.s.cfg.APIKey))
			t.mustStatus(t.call("POST", secretsPath, map[string]any{"secret_name": name, "secret_value": t.secretValue()}), http.StatusCreated)
			if names, ex := t.listedSecrets(bearer(t.s.cfg.APIKey)); !slices.Contains(names, name) {
				t.Errorf(ex, "the secret is not listed under its name")
			}
			t.mustStatus(t.call("PUT", secretPath(name), map[string]any{"secret_value": t.secretValue()}), http.StatusOK)
			t.mustStatus(t.call("DELETE", secretPath(name), nil), http.StatusOK)
			if names, ex := t.listedSecrets(bearer(t.s.cfg.APIKey)); slices.Contains(names, name) {
				t.Errorf(ex, "the deleted secret is still listed")
			}
		}},
	{ID: "secrets/update-missing-404", Category: "secrets",
		Description: "updating a secret that does not exist answers 404 NotFoundError and creates nothing",
		run: func(t *checkRun) {
			name := t.name("absent")
			t.trackSecret(name, bearer(t.s.cfg.APIKey))
			t.errorAnswer(t.call("PUT", secretPath(name), map[string]any{"secret_value": t.secretValue()}), http.StatusNotFound, "NotFoundError")
			if names, ex := t.listedSecrets(bearer(t.s.cfg.APIKey)); slices.Contains(names, name) {
				t.Errorf(ex, "the refused update created %q", name)
			}
		}},
	{ID: "secrets/delete-then-gone", Category: "secrets",
		Description: "deleting a secret answers 200 with deleted: true, then it is not listed and a second delete answers 404",
		run: func(t *checkRun) {
			name, _ := t.newSecret(bearer(t.s.cfg.APIKey))
			ex := t.call("DELETE", secretPath(name), nil)
			t.mustStatus(ex, http.StatusOK)
			if ex.str("secret_name") != name || ex.field("deleted") != true {
				t.Errorf(ex, "want secret_name %q and deleted: true", name)
			}
			if names, lex := t.listedSecrets(bearer(t.s.cfg.APIKey)); slices.Contains(names, name) {
				t.Errorf(lex, "the deleted secret is still listed")
			}
			t.errorAnswer(t.call("DELETE", secretPath(name), nil), http.StatusNotFound, "NotFoundError")
		}},
	{ID: "secrets/delete-missing-404", Category: "secrets",
		Description: "deleting a secret that does not exist answers 404 NotFoundError",
		run: func(t *checkRun) {
			t.errorAnswer(t.call("DELETE", secretPath(t.name("absent")), nil), http.StatusNotFound, "NotFoundError")
		}},
}
