package checks

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/mixpeekkit/mixpeekkit/internal/rules"

	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

// adminKeyPath is the protected key of the run's user (the owner of the run's admin key).
func adminKeyPath(t *suite.T) string { return t.KeyPath(rules.AdminKeyName) }

// adminKeyEntry is the admin-key as the list shows it.
func adminKeyEntry(t *suite.T) (map[string]any, *suite.Exchange) {
	keys, ex := t.ListedKeys(false)
	k := keys[rules.AdminKeyName]
	if k == nil {
		t.Fatalf(ex, "the user's keys do not include the admin-key")
	}
	return k, ex
}

// adminStillWorks checks that the admin-key is unchanged (hash, status, permissions, name) and
// still does what only an admin key may (list API keys).
func adminStillWorks(t *suite.T, before map[string]any) {
	after, ex := adminKeyEntry(t)
	for _, f := range []string{"key_hash", "status", "permissions", "name"} {
		if !reflect.DeepEqual(before[f], after[f]) {
			t.Errorf(ex, "the admin-key's %s changed", f)
		}
	}
	if ex.Status != http.StatusOK {
		t.Errorf(ex, "the admin key can no longer list API keys")
	}
}

// Safety are the checks that the admin-key is protected and no secret value is echoed.
var Safety = []suite.Check{
	{ID: "safety/admin-key-patch-403", Category: "safety",
		Description: "PATCH of the admin-key answers 403 ForbiddenError; the key is unchanged and keeps its admin rights",
		Run: func(t *suite.T) {
			before, _ := adminKeyEntry(t)
			// The key's own values: a no-op under any PATCH semantics, should the server not refuse.
			same := map[string]any{}
			for _, f := range []string{"name", "description", "permissions", "scopes", "rate_limit_override", "expires_at"} {
				if v, ok := before[f]; ok {
					same[f] = v
				}
			}
			t.ErrorAnswer(t.Call("PATCH", adminKeyPath(t), same), http.StatusForbidden, "ForbiddenError")
			adminStillWorks(t, before)
		}},
	{ID: "safety/no-secret-value-echoed", Category: "safety",
		Description: "no secret value the run sent appears in any answer of the run",
		Run: func(t *suite.T) {
			// Material of its own, so the check means something when run alone.
			name, _ := t.NewSecret(t.AdminAuth())
			t.Call("POST", suite.SecretsPath, map[string]any{"secret_name": name, "secret_value": t.SecretValue()})
			t.Call("PUT", suite.SecretPath(name), map[string]any{"secret_value": t.SecretValue()})
			t.Call("GET", suite.SecretsPath, nil)
			if echoes := t.S.Echoes(); len(echoes) > 0 {
				t.Errorf(nil, "%d answers contained a secret value the run sent, e.g. %s", len(echoes), strings.Join(echoes[:min(3, len(echoes))], "; "))
			}
		}},
	{ID: "safety/admin-key-rotate-403", Category: "safety", Destructive: true,
		Description: "rotating the admin-key answers 403 ForbiddenError; the key is unchanged and keeps working",
		Run: func(t *suite.T) {
			before, _ := adminKeyEntry(t)
			ex := t.Call("POST", adminKeyPath(t)+"/rotate", nil)
			if !t.ErrorAnswer(ex, http.StatusForbidden, "ForbiddenError") && ex.Status < 300 {
				t.Fatalf(ex, "the server rotated the admin-key: the run's key is dead, and the new one is not shown")
			}
			adminStillWorks(t, before)
		}},
	{ID: "safety/admin-key-delete-403", Category: "safety", Destructive: true,
		Description: "deleting the admin-key answers 403 ForbiddenError; the key is unchanged and keeps working",
		Run: func(t *suite.T) {
			before, _ := adminKeyEntry(t)
			t.ErrorAnswer(t.Call("DELETE", adminKeyPath(t), nil), http.StatusForbidden, "ForbiddenError")
			adminStillWorks(t, before)
		}},
}
