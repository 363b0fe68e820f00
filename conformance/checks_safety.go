package conformance

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/mixpeekkit/mixpeekkit"
)

// adminKeyPath is the protected key of the run's user (the owner of the run's admin key).
func (t *T) adminKeyPath() string { return t.KeyPath(mixpeekkit.AdminKeyName) }

// adminKeyEntry is the admin-key as the list shows it.
func (t *T) adminKeyEntry() (map[string]any, *Exchange) {
	keys, ex := t.ListedKeys(false)
	k := keys[mixpeekkit.AdminKeyName]
	if k == nil {
		t.Fatalf(ex, "the user's keys do not include the admin-key")
	}
	return k, ex
}

// adminStillWorks checks that the admin-key is unchanged (hash, status, permissions, name) and
// still does what only an admin key may (list API keys).
func (t *T) adminStillWorks(before map[string]any) {
	after, ex := t.adminKeyEntry()
	for _, f := range []string{"key_hash", "status", "permissions", "name"} {
		if !reflect.DeepEqual(before[f], after[f]) {
			t.Errorf(ex, "the admin-key's %s changed", f)
		}
	}
	if ex.Status != http.StatusOK {
		t.Errorf(ex, "the admin key can no longer list API keys")
	}
}

var safetyChecks = []Check{
	{ID: "safety/admin-key-patch-403", Category: "safety",
		Description: "PATCH of the admin-key answers 403 ForbiddenError; the key is unchanged and keeps its admin rights",
		Run: func(t *T) {
			before, _ := t.adminKeyEntry()
			// The key's own values: a no-op under any PATCH semantics, should the server not refuse.
			same := map[string]any{}
			for _, f := range []string{"name", "description", "permissions", "scopes", "rate_limit_override", "expires_at"} {
				if v, ok := before[f]; ok {
					same[f] = v
				}
			}
			t.ErrorAnswer(t.Call("PATCH", t.adminKeyPath(), same), http.StatusForbidden, "ForbiddenError")
			t.adminStillWorks(before)
		}},
	{ID: "safety/no-secret-value-echoed", Category: "safety",
		Description: "no secret value the run sent appears in any answer of the run",
		Run: func(t *T) {
			// Material of its own, so the check means something when run alone.
			name, _ := t.NewSecret(Bearer(t.S.Cfg.APIKey))
			t.Call("POST", SecretsPath, map[string]any{"secret_name": name, "secret_value": t.SecretValue()})
			t.Call("PUT", SecretPath(name), map[string]any{"secret_value": t.SecretValue()})
			t.Call("GET", SecretsPath, nil)
			if echoes := t.S.echoes.soFar(); len(echoes) > 0 {
				t.Errorf(nil, "%d answers contained a secret value the run sent, e.g. %s", len(echoes), strings.Join(echoes[:min(3, len(echoes))], "; "))
			}
		}},
	{ID: "safety/admin-key-rotate-403", Category: "safety", Destructive: true,
		Description: "rotating the admin-key answers 403 ForbiddenError; the key is unchanged and keeps working",
		Run: func(t *T) {
			before, _ := t.adminKeyEntry()
			ex := t.Call("POST", t.adminKeyPath()+"/rotate", nil)
			if !t.ErrorAnswer(ex, http.StatusForbidden, "ForbiddenError") && ex.Status < 300 {
				t.Fatalf(ex, "the server rotated the admin-key: the run's key is dead, and the new one is not shown")
			}
			t.adminStillWorks(before)
		}},
	{ID: "safety/admin-key-delete-403", Category: "safety", Destructive: true,
		Description: "deleting the admin-key answers 403 ForbiddenError; the key is unchanged and keeps working",
		Run: func(t *T) {
			before, _ := t.adminKeyEntry()
			t.ErrorAnswer(t.Call("DELETE", t.adminKeyPath(), nil), http.StatusForbidden, "ForbiddenError")
			t.adminStillWorks(before)
		}},
}
