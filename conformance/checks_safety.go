package conformance

import (
	"bytes"
	"net/http"
)

// adminKeyPath is the protected key of the run's user (the owner of the run's admin key).
func (t *T) adminKeyPath() string { return t.keyPath("admin-key") }

var safetyChecks = []Check{
	{ID: "safety/admin-key-patch-403", Category: "safety",
		Description: "PATCH of the admin-key (a no-op change) answers 403 ForbiddenError and the key keeps working",
		run: func(t *T) {
			t.errorAnswer(t.call("PATCH", t.adminKeyPath(), map[string]any{}), http.StatusForbidden, "ForbiddenError")
			t.works(t.s.cfg.APIKey, "the admin key")
		}},
	{ID: "safety/admin-key-rotate-403", Category: "safety", Destructive: true,
		Description: "rotating the admin-key answers 403 ForbiddenError and the key keeps working",
		run: func(t *T) {
			t.errorAnswer(t.call("POST", t.adminKeyPath()+"/rotate", nil), http.StatusForbidden, "ForbiddenError")
			t.works(t.s.cfg.APIKey, "the admin key")
		}},
	{ID: "safety/admin-key-delete-403", Category: "safety", Destructive: true,
		Description: "deleting the admin-key answers 403 ForbiddenError and the key keeps working",
		run: func(t *T) {
			t.errorAnswer(t.call("DELETE", t.adminKeyPath(), nil), http.StatusForbidden, "ForbiddenError")
			t.works(t.s.cfg.APIKey, "the admin key")
		}},
	{ID: "safety/no-secret-value-echoed", Category: "safety",
		Description: "no secret value the run sent appears in any answer of the run",
		run: func(t *T) {
			// Material of its own, so the check means something when run alone.
			name, _ := t.newSecret(bearer(t.s.cfg.APIKey))
			t.call("POST", secretsPath, map[string]any{"secret_name": name, "secret_value": t.secretValue()})
			t.call("PUT", secretPath(name), map[string]any{"secret_value": t.secretValue()})
			t.call("GET", secretsPath, nil)
			values := t.s.sentSecretValues()
			for _, body := range t.s.allBodies() {
				for _, v := range values {
					if bytes.Contains(body, []byte(v)) {
						t.Errorf(nil, "an answer of the run contains a secret value the run sent: [REDACTED]")
						return
					}
				}
			}
		}},
}
