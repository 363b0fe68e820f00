package checks

import (
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/rules"
	"github.com/mixpeekkit/mixpeekkit/internal/suite"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// APIKeys are the checks of the API-key operations.
var APIKeys = []suite.Check{
	{ID: "api-keys/create-returns-usable-key", Category: "api-keys",
		Description: "creating a key answers 200 with a plaintext sk_ key that authenticates, key_hash = its SHA-256, key_prefix = its first 10 characters + \"...\"",
		Run: func(t *suite.T) {
			ex := t.NewKey("read")
			key := ex.Str("key")
			if !sensitive.IsKey(key) {
				t.Errorf(ex, "key is not sk_ followed by at least 40 url-safe characters")
			}
			if ex.Str("key_hash") != sensitive.Hash(key) {
				t.Errorf(ex, "key_hash is not the lowercase hex SHA-256 of key")
			}
			if len(key) >= 10 && ex.Str("key_prefix") != sensitive.Prefix(key) {
				t.Errorf(ex, "key_prefix is not the key's first 10 characters and \"...\"")
			}
			if ex.Str("status") != "active" {
				t.Errorf(ex, "status is %q, want active", ex.Str("status"))
			}
			t.Works(key, "the new key")
		}},
	{ID: "api-keys/duplicate-rejected-409", Category: "api-keys",
		Description: "creating a key whose name the user already has answers 409 AlreadyExistsError",
		Run: func(t *suite.T) {
			first := t.NewKey("read")
			name := first.Str("name")
			t.ErrorAnswer(t.Call("POST", t.KeysPath(), map[string]any{"name": name, "permissions": []string{"read"}}), http.StatusConflict, "AlreadyExistsError")
			// The refused create changed nothing: the name is still the first key's.
			if keys, ex := t.ListedKeys(false); keys[name] == nil || keys[name]["key_id"] != first.Str("key_id") {
				t.Errorf(ex, "after the refused duplicate, %s is listed as %v", name, keys[name])
			}
			t.Works(first.Str("key"), "the first key after a refused duplicate")
		}},
	{ID: "api-keys/list-never-shows-plaintext", Category: "api-keys",
		Description: "listing keys never shows a plaintext key, only hashes and prefixes",
		Run: func(t *suite.T) {
			t.NewKey("read")
			for _, revoked := range []bool{false, true} {
				keys, ex := t.ListedKeys(revoked)
				if t.S.Redact(string(ex.Raw)) != string(ex.Raw) {
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
		Run: func(t *suite.T) {
			name := t.NewKey("read").Str("name")
			t.MustStatus(t.Call("DELETE", t.KeyPath(name), nil), http.StatusOK)
			if keys, ex := t.ListedKeys(false); keys[name] != nil {
				t.Errorf(ex, "the revoked key is listed with include_revoked=false")
			}
			ex := t.Call("GET", t.KeysPath(), nil)
			if t.WantStatus(ex, http.StatusOK) && strings.Contains(string(ex.Raw), `"`+name+`"`) {
				t.Errorf(ex, "the revoked key is listed without include_revoked")
			}
			keys, ex := t.ListedKeys(true)
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
		Run: func(t *suite.T) {
			name := t.Name("key")
			t.TrackKey(name)
			// Every field away from its default, so a server that resets what was not sent shows it.
			ex := t.Call("POST", t.KeysPath(), map[string]any{"name": name, "description": "conformance", "permissions": []string{"read", "write"},
				"expires_at": "2099-01-01T00:00:00Z", "scopes": []any{map[string]any{"resource_type": "namespace", "resource_id": "ns_conformance"}}})
			t.MustStatus(ex, http.StatusOK)
			before, _ := t.ListedKeys(false)
			ex = t.Call("PATCH", t.KeyPath(name), map[string]any{"rate_limit_override": 42})
			t.MustStatus(ex, http.StatusOK)
			if v, _ := ex.Field("rate_limit_override").(float64); v != 42 {
				t.Errorf(ex, "rate_limit_override is %v after setting it to 42", ex.Field("rate_limit_override"))
			}
			after, lex := t.ListedKeys(false)
			if before[name] == nil || after[name] == nil {
				t.Fatalf(lex, "the key is missing from the list")
			}
			props := t.S.Contract.Doc.Components.Schemas["APIKeyModel"].Value.Properties
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
		Run: func(t *suite.T) {
			created := t.NewKey("read")
			old, name := created.Str("key"), created.Str("name")
			ex := t.Call("POST", t.KeyPath(name)+"/rotate", nil)
			t.MustStatus(ex, http.StatusOK)
			key := ex.Str("key")
			if key == "" || key == old {
				t.Fatalf(ex, "rotate did not return a new key")
			}
			if ex.Str("key_hash") != sensitive.Hash(key) {
				t.Errorf(ex, "key_hash is not the SHA-256 of the new key")
			}
			if len(key) >= 10 && ex.Str("key_prefix") != sensitive.Prefix(key) {
				t.Errorf(ex, "key_prefix does not follow the new key")
			}
			if ex.Str("name") != name || ex.Str("key_id") != created.Str("key_id") {
				t.Errorf(ex, "name or key_id changed")
			}
			t.Refused(old, "the rotated-away key")
			t.Works(key, "the new key")
			// The list shows what the rotation wrote.
			keys, lex := t.ListedKeys(false)
			if k := keys[name]; k == nil || k["key_hash"] != ex.Str("key_hash") || k["key_id"] != created.Str("key_id") {
				t.Errorf(lex, "after rotation the list shows %v, want key_hash of the new key and the same key_id", k)
			}
		}},
	{ID: "api-keys/revoked-key-404", Category: "api-keys",
		Description: "PATCH, rotate and DELETE of a revoked key's name answer 404 NotFoundError, as for an unknown name, and the key stays revoked",
		Run: func(t *suite.T) {
			k := t.NewKey("read")
			name := k.Str("name")
			t.MustStatus(t.Call("DELETE", t.KeyPath(name), nil), http.StatusOK)
			t.ErrorAnswer(t.Call("PATCH", t.KeyPath(name), map[string]any{"description": "after revocation"}), http.StatusNotFound, "NotFoundError")
			t.ErrorAnswer(t.Call("POST", t.KeyPath(name)+"/rotate", nil), http.StatusNotFound, "NotFoundError")
			t.ErrorAnswer(t.Call("DELETE", t.KeyPath(name), nil), http.StatusNotFound, "NotFoundError")
			t.Refused(k.Str("key"), "the revoked key")
			t.RevokedInList(name)
		}},
	{ID: "api-keys/revoked-key-stays-revoked", Category: "api-keys",
		Description: "PATCH status active of a revoked key is refused (400, or 404 for a revoked name: the reference leaves the choice open) and the key stays revoked",
		Run: func(t *suite.T) {
			k := t.NewKey("read")
			name := k.Str("name")
			t.MustStatus(t.Call("PATCH", t.KeyPath(name), map[string]any{"status": "revoked"}), http.StatusOK)
			ex := t.Call("PATCH", t.KeyPath(name), map[string]any{"status": "active"})
			t.OneOf(ex, "reactivating a revoked key", rules.ReviveRevokedKey...)
			t.Refused(k.Str("key"), "the revoked key after a reactivation attempt")
			t.RevokedInList(name)
		}},
	{ID: "api-keys/rename-onto-taken-name-refused", Category: "api-keys",
		Description: "a rename onto a name another live key of the user has is refused (400 or 422: the reference leaves the choice open) and neither key changes",
		Run: func(t *suite.T) {
			a, b := t.NewKey("read"), t.NewKey("read")
			ex := t.Call("PATCH", t.KeyPath(a.Str("name")), map[string]any{"name": b.Str("name")})
			t.OneOf(ex, "renaming onto a taken name", rules.RenameOntoTakenName...)
			keys, lex := t.ListedKeys(false)
			for _, k := range []*suite.Exchange{a, b} {
				if got := keys[k.Str("name")]; got == nil || got["key_id"] != k.Str("key_id") {
					t.Errorf(lex, "after the refused rename, %s is listed as %v", k.Str("name"), got)
				}
			}
			t.Works(a.Str("key"), "the key whose rename was refused")
		}},
	{ID: "api-keys/last-used-at-set", Category: "api-keys",
		Description: "a key never used lists last_used_at null; once it has authenticated, a time",
		Run: func(t *suite.T) {
			k := t.NewKey("read")
			if v, ok := k.JSON["last_used_at"]; !ok || v != nil {
				t.Errorf(k, "a new key has last_used_at %v, want null", v)
			}
			t.Works(k.Str("key"), "the new key")
			keys, ex := t.ListedKeys(false)
			if s, _ := keys[k.Str("name")]["last_used_at"].(string); s == "" {
				t.Errorf(ex, "after a use, last_used_at is %v, want a time", keys[k.Str("name")]["last_used_at"])
			} else if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				t.Errorf(ex, "last_used_at is not an RFC 3339 time")
			}
		}},
	{ID: "api-keys/default-permissions", Category: "api-keys",
		Description: "a key created without permissions gets openapi.yaml's default, [\"read\"]: it lists secrets and cannot create one",
		Run: func(t *suite.T) {
			name := t.Name("key")
			t.TrackKey(name)
			ex := t.Call("POST", t.KeysPath(), map[string]any{"name": name})
			t.MustStatus(ex, http.StatusOK)
			if p, _ := ex.Field("permissions").([]any); len(p) != 1 || p[0] != "read" {
				t.Errorf(ex, "permissions are %v, want [read]", ex.Field("permissions"))
			}
			t.Works(ex.Str("key"), "a key with the default permissions")
			fresh := t.Name("secret")
			t.TrackSecret(fresh, t.AdminAuth())
			t.ErrorAnswer(t.Do(suite.Request{Method: "POST", Path: suite.SecretsPath, Auth: suite.Bearer(ex.Str("key")),
				Body: map[string]any{"secret_name": fresh, "secret_value": t.SecretValue()}}), http.StatusForbidden, "ForbiddenError")
		}},
	{ID: "api-keys/delete-revokes", Category: "api-keys",
		Description: "deleting a key answers 200 success: true; the key gets 401 at once and a second delete answers 404",
		Run: func(t *suite.T) {
			created := t.NewKey("read")
			ex := t.Call("DELETE", t.KeyPath(created.Str("name")), nil)
			t.MustStatus(ex, http.StatusOK)
			if ex.Field("success") != true {
				t.Errorf(ex, "want success: true")
			}
			t.Refused(created.Str("key"), "the deleted key")
			t.ErrorAnswer(t.Call("DELETE", t.KeyPath(created.Str("name")), nil), http.StatusNotFound, "NotFoundError")
		}},
	{ID: "api-keys/unknown-user-404", Category: "api-keys",
		Description: "creating or listing keys of a user not in the organization answers 404 NotFoundError",
		Run: func(t *suite.T) {
			path := suite.UsersKeysPath(t.Name("nobody") + "@example.invalid")
			name := t.Name("key")
			t.TrackKey(name) // a server that ignores the email would make it for the run's user
			t.ErrorAnswer(t.Call("GET", path, nil), http.StatusNotFound, "NotFoundError")
			t.ErrorAnswer(t.Call("POST", path, map[string]any{"name": name}), http.StatusNotFound, "NotFoundError")
		}},
	{ID: "api-keys/unknown-key-404", Category: "api-keys",
		Description: "PATCH, DELETE and rotate of a key name the user does not have answer 404 NotFoundError",
		Run: func(t *suite.T) {
			absent := t.Name("absent")
			t.TrackKey(absent) // a server that creates on PATCH or rotate is cleaned up too
			path := t.KeyPath(absent)
			t.ErrorAnswer(t.Call("PATCH", path, map[string]any{"rate_limit_override": 5}), http.StatusNotFound, "NotFoundError")
			t.ErrorAnswer(t.Call("DELETE", path, nil), http.StatusNotFound, "NotFoundError")
			t.ErrorAnswer(t.Call("POST", path+"/rotate", nil), http.StatusNotFound, "NotFoundError")
		}},
}
