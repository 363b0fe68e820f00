package conformance

import (
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

var apiKeyChecks = []Check{
	{ID: "api-keys/create-returns-usable-key", Category: "api-keys",
		Description: "creating a key answers 200 with a plaintext sk_ key that authenticates, key_hash = its SHA-256, key_prefix = its first 10 characters + \"...\"",
		run: func(t *checkRun) {
			ex := t.newKey("read")
			key := ex.str("key")
			if !sensitive.IsKey(key) {
				t.Errorf(ex, "key is not sk_ followed by at least 40 url-safe characters")
			}
			if ex.str("key_hash") != sensitive.Hash(key) {
				t.Errorf(ex, "key_hash is not the lowercase hex SHA-256 of key")
			}
			if len(key) >= 10 && ex.str("key_prefix") != sensitive.Prefix(key) {
				t.Errorf(ex, "key_prefix is not the key's first 10 characters and \"...\"")
			}
			if ex.str("status") != "active" {
				t.Errorf(ex, "status is %q, want active", ex.str("status"))
			}
			t.works(key, "the new key")
		}},
	{ID: "api-keys/duplicate-rejected-409", Category: "api-keys",
		Description: "creating a key whose name the user already has answers 409 AlreadyExistsError",
		run: func(t *checkRun) {
			first := t.newKey("read")
			name := first.str("name")
			t.errorAnswer(t.call("POST", t.keysPath(), map[string]any{"name": name, "permissions": []string{"read"}}), http.StatusConflict, "AlreadyExistsError")
			// The refused create changed nothing: the name is still the first key's.
			if keys, ex := t.listedKeys(false); keys[name] == nil || keys[name]["key_id"] != first.str("key_id") {
				t.Errorf(ex, "after the refused duplicate, %s is listed as %v", name, keys[name])
			}
			t.works(first.str("key"), "the first key after a refused duplicate")
		}},
	{ID: "api-keys/list-never-shows-plaintext", Category: "api-keys",
		Description: "listing keys never shows a plaintext key, only hashes and prefixes",
		run: func(t *checkRun) {
			t.newKey("read")
			for _, revoked := range []bool{false, true} {
				keys, ex := t.listedKeys(revoked)
				if t.s.redact(string(ex.raw)) != string(ex.raw) {
					t.Errorf(ex, "the list shows a plaintext key (one the run knows, or one shaped like a key)")
				}
				for name, k := range keys {
					if _, ok := k["key"]; ok {
						t.Errorf(ex, "key %q is listed with a key field", name)
					}
				}
			}
		}},
	{ID: "api-keys/list-hides-revoked", Category: "api-keys",
		Description: "a revoked key is listed only with include_revoked=true (not by default, not with false), as revoked with revoked_at",
		run: func(t *checkRun) {
			name := t.newKey("read").str("name")
			t.mustStatus(t.call("DELETE", t.keyPath(name), nil), http.StatusOK)
			if keys, ex := t.listedKeys(false); keys[name] != nil {
				t.Errorf(ex, "the revoked key is listed with include_revoked=false")
			}
			ex := t.call("GET", t.keysPath(), nil)
			if t.status(ex, http.StatusOK) && strings.Contains(string(ex.raw), `"`+name+`"`) {
				t.Errorf(ex, "the revoked key is listed without include_revoked")
			}
			keys, ex := t.listedKeys(true)
			k := keys[name]
			switch {
			case k == nil:
				t.Errorf(ex, "the revoked key is not listed with include_revoked=true")
			case k["status"] != "revoked" || k["revoked_at"] == nil:
				t.Errorf(ex, "the revoked key is listed with status %v and revoked_at %v", k["status"], k["revoked_at"])
			}
		}},
	{ID: "api-keys/update-changes-only-fields-sent", Category: "api-keys",
		Description: "PATCH changes the fields sent and no other",
		run: func(t *checkRun) {
			name := t.name("key")
			t.trackKey(name)
			// Every field away from its default, so a server that resets what was not sent shows it.
			ex := t.call("POST", t.keysPath(), map[string]any{"name": name, "description": "conformance", "permissions": []string{"read", "write"},
				"expires_at": "2099-01-01T00:00:00Z", "scopes": []any{map[string]any{"resource_type": "namespace", "resource_id": "ns_conformance"}}})
			t.mustStatus(ex, http.StatusOK)
			before, _ := t.listedKeys(false)
			ex = t.call("PATCH", t.keyPath(name), map[string]any{"rate_limit_override": 42})
			t.mustStatus(ex, http.StatusOK)
			if v, _ := ex.field("rate_limit_override").(float64); v != 42 {
				t.Errorf(ex, "rate_limit_override is %v after setting it to 42", ex.field("rate_limit_override"))
			}
			after, lex := t.listedKeys(false)
			if before[name] == nil || after[name] == nil {
				t.Fatalf(lex, "the key is missing from the list")
			}
			props := t.s.contract.Doc.Components.Schemas["APIKeyModel"].Value.Properties
			for field := range props {
				if field == "rate_limit_override" || field == "last_used_at" {
					continue
				}
				if !reflect.DeepEqual(before[name][field], after[name][field]) {
					t.Errorf(lex, "%s changed though it was not sent", field)
				}
			}
		}},
	{ID: "api-keys/rotate-replaces-key", Category: "api-keys",
		Description: "rotating answers 200 with a new key, key_hash and key_prefix (same name and key_id); the old key gets 401 at once and the new one works",
		run: func(t *checkRun) {
			created := t.newKey("read")
			old, name := created.str("key"), created.str("name")
			ex := t.call("POST", t.keyPath(name)+"/rotate", nil)
			t.mustStatus(ex, http.StatusOK)
			key := ex.str("key")
			if key == "" || key == old {
				t.Fatalf(ex, "rotate did not return a new key")
			}
			if ex.str("key_hash") != sensitive.Hash(key) {
				t.Errorf(ex, "key_hash is not the SHA-256 of the new key")
			}
			if len(key) >= 10 && ex.str("key_prefix") != sensitive.Prefix(key) {
				t.Errorf(ex, "key_prefix does not follow the new key")
			}
			if ex.str("name") != name || ex.str("key_id") != created.str("key_id") {
				t.Errorf(ex, "name or key_id changed")
			}
			t.refused(old, "the rotated-away key")
			t.works(key, "the new key")
			// The list shows what the rotation wrote.
			keys, lex := t.listedKeys(false)
			if k := keys[name]; k == nil || k["key_hash"] != ex.str("key_hash") || k["key_id"] != created.str("key_id") {
				t.Errorf(lex, "after rotation the list shows %v, want key_hash of the new key and the same key_id", k)
			}
		}},
	{ID: "api-keys/revoked-key-404", Category: "api-keys",
		Description: "PATCH, rotate and DELETE of a revoked key's name answer 404 NotFoundError, as for an unknown name, and the key stays revoked",
		run: func(t *checkRun) {
			k := t.newKey("read")
			name := k.str("name")
			t.mustStatus(t.call("DELETE", t.keyPath(name), nil), http.StatusOK)
			t.errorAnswer(t.call("PATCH", t.keyPath(name), map[string]any{"description": "after revocation"}), http.StatusNotFound, "NotFoundError")
			t.errorAnswer(t.call("POST", t.keyPath(name)+"/rotate", nil), http.StatusNotFound, "NotFoundError")
			t.errorAnswer(t.call("DELETE", t.keyPath(name), nil), http.StatusNotFound, "NotFoundError")
			t.refused(k.str("key"), "the revoked key")
			t.revokedInList(name)
		}},
	{ID: "api-keys/revoked-key-stays-revoked", Category: "api-keys",
		Description: "PATCH status active of a revoked key is refused (400, or 404 for a revoked name: the reference leaves the choice open) and the key stays revoked",
		run: func(t *checkRun) {
			k := t.newKey("read")
			name := k.str("name")
			t.mustStatus(t.call("PATCH", t.keyPath(name), map[string]any{"status": "revoked"}), http.StatusOK)
			ex := t.call("PATCH", t.keyPath(name), map[string]any{"status": "active"})
			t.oneOf(ex, "reactivating a revoked key", http.StatusBadRequest, http.StatusNotFound)
			t.refused(k.str("key"), "the revoked key after a reactivation attempt")
			t.revokedInList(name)
		}},
	{ID: "api-keys/rename-onto-taken-name-refused", Category: "api-keys",
		Description: "a rename onto a name another live key of the user has is refused (400 or 422: the reference leaves the choice open) and neither key changes",
		run: func(t *checkRun) {
			a, b := t.newKey("read"), t.newKey("read")
			ex := t.call("PATCH", t.keyPath(a.str("name")), map[string]any{"name": b.str("name")})
			t.oneOf(ex, "renaming onto a taken name", http.StatusBadRequest, http.StatusUnprocessableEntity)
			keys, lex := t.listedKeys(false)
			for _, k := range []*Exchange{a, b} {
				if got := keys[k.str("name")]; got == nil || got["key_id"] != k.str("key_id") {
					t.Errorf(lex, "after the refused rename, %s is listed as %v", k.str("name"), got)
				}
			}
			t.works(a.str("key"), "the key whose rename was refused")
		}},
	{ID: "api-keys/last-used-at-set", Category: "api-keys",
		Description: "a key never used lists last_used_at null; once it has authenticated, a time",
		run: func(t *checkRun) {
			k := t.newKey("read")
			if v, ok := k.json["last_used_at"]; !ok || v != nil {
				t.Errorf(k, "a new key has last_used_at %v, want null", v)
			}
			t.works(k.str("key"), "the new key")
			keys, ex := t.listedKeys(false)
			if s, _ := keys[k.str("name")]["last_used_at"].(string); s == "" {
				t.Errorf(ex, "after a use, last_used_at is %v, want a time", keys[k.str("name")]["last_used_at"])
			} else if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				t.Errorf(ex, "last_used_at is not an RFC 3339 time")
			}
		}},
	{ID: "api-keys/default-permissions", Category: "api-keys",
		Description: "a key created without permissions gets openapi.yaml's default, [\"read\"]: it lists secrets and cannot create one",
		run: func(t *checkRun) {
			name := t.name("key")
			t.trackKey(name)
			ex := t.call("POST", t.keysPath(), map[string]any{"name": name})
			t.mustStatus(ex, http.StatusOK)
			if p, _ := ex.field("permissions").([]any); len(p) != 1 || p[0] != "read" {
				t.Errorf(ex, "permissions are %v, want [read]", ex.field("permissions"))
			}
			t.works(ex.str("key"), "a key with the default permissions")
			fresh := t.name("secret")
			t.trackSecret(fresh, bearer(t.s.cfg.APIKey))
			t.errorAnswer(t.do(request{method: "POST", path: secretsPath, auth: bearer(ex.str("key")),
				body: map[string]any{"secret_name": fresh, "secret_value": t.secretValue()}}), http.StatusForbidden, "ForbiddenError")
		}},
	{ID: "api-keys/delete-revokes", Category: "api-keys",
		Description: "deleting a key answers 200 success: true; the key gets 401 at once and a second delete answers 404",
		run: func(t *checkRun) {
			created := t.newKey("read")
			ex := t.call("DELETE", t.keyPath(created.str("name")), nil)
			t.mustStatus(ex, http.StatusOK)
			if ex.field("success") != true {
				t.Errorf(ex, "want success: true")
			}
			t.refused(created.str("key"), "the deleted key")
			t.errorAnswer(t.call("DELETE", t.keyPath(created.str("name")), nil), http.StatusNotFound, "NotFoundError")
		}},
	{ID: "api-keys/unknown-user-404", Category: "api-keys",
		Description: "creating or listing keys of a user not in the organization answers 404 NotFoundError",
		run: func(t *checkRun) {
			path := usersKeysPath(t.name("nobody") + "@example.invalid")
			name := t.name("key")
			t.trackKey(name) // a server that ignores the email would make it for the run's user
			t.errorAnswer(t.call("GET", path, nil), http.StatusNotFound, "NotFoundError")
			t.errorAnswer(t.call("POST", path, map[string]any{"name": name}), http.StatusNotFound, "NotFoundError")
		}},
	{ID: "api-keys/unknown-key-404", Category: "api-keys",
		Description: "PATCH, DELETE and rotate of a key name the user does not have answer 404 NotFoundError",
		run: func(t *checkRun) {
			absent := t.name("absent")
			t.trackKey(absent) // a server that creates on PATCH or rotate is cleaned up too
			path := t.keyPath(absent)
			t.errorAnswer(t.call("PATCH", path, map[string]any{"rate_limit_override": 5}), http.StatusNotFound, "NotFoundError")
			t.errorAnswer(t.call("DELETE", path, nil), http.StatusNotFound, "NotFoundError")
			t.errorAnswer(t.call("POST", path+"/rotate", nil), http.StatusNotFound, "NotFoundError")
		}},
}
