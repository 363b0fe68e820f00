package conformance

import (
	"net/http"
	"reflect"
	"strings"

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
			name := t.newKey("read").str("name")
			t.errorAnswer(t.call("POST", t.keysPath(), map[string]any{"name": name, "permissions": []string{"read"}}), http.StatusConflict, "AlreadyExistsError")
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
