package conformance

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"reflect"
	"regexp"
	"strings"
)

var plaintextKeyRE = regexp.MustCompile(`^sk_[A-Za-z0-9_-]{40,}$`)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

var apiKeyChecks = []Check{
	{ID: "api-keys/create-returns-usable-key", Category: "api-keys",
		Description: "creating a key answers 200 with a plaintext sk_ key that authenticates, key_hash = its SHA-256, key_prefix = its first 10 characters + \"...\"",
		run: func(t *T) {
			ex := t.newKey("read")
			key := ex.str("key")
			if !plaintextKeyRE.MatchString(key) {
				t.Errorf(ex, "key is not sk_ followed by at least 40 url-safe characters")
			}
			if ex.str("key_hash") != sha256Hex(key) {
				t.Errorf(ex, "key_hash is not the lowercase hex SHA-256 of key")
			}
			if len(key) >= 10 && ex.str("key_prefix") != key[:10]+"..." {
				t.Errorf(ex, "key_prefix is not the key's first 10 characters and \"...\"")
			}
			if ex.str("status") != "active" {
				t.Errorf(ex, "status is %q, want active", ex.str("status"))
			}
			t.works(key, "the new key")
		}},
	{ID: "api-keys/duplicate-rejected-409", Category: "api-keys",
		Description: "creating a key whose name the user already has answers 409 AlreadyExistsError",
		run: func(t *T) {
			name := t.newKey("read").str("name")
			t.errorAnswer(t.call("POST", t.keysPath(), map[string]any{"name": name, "permissions": []string{"read"}}), http.StatusConflict, "AlreadyExistsError")
		}},
	{ID: "api-keys/list-never-shows-plaintext", Category: "api-keys",
		Description: "listing keys never shows a plaintext key, only hashes and prefixes",
		run: func(t *T) {
			key := t.newKey("read").str("key")
			for _, revoked := range []bool{false, true} {
				keys, ex := t.listedKeys(revoked)
				if strings.Contains(string(ex.raw), key) {
					t.Errorf(ex, "the list shows a plaintext key")
				}
				for name, k := range keys {
					if _, ok := k["key"]; ok {
						t.Errorf(ex, "key %q is listed with a key field", name)
					}
				}
			}
		}},
	{ID: "api-keys/list-hides-revoked", Category: "api-keys",
		Description: "a revoked key is listed only with include_revoked=true, as revoked with revoked_at",
		run: func(t *T) {
			name := t.newKey("read").str("name")
			t.mustStatus(t.call("DELETE", t.keyPath(name), nil), http.StatusOK)
			if keys, ex := t.listedKeys(false); keys[name] != nil {
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
		run: func(t *T) {
			created := t.newKey("read")
			name := created.str("name")
			before, _ := t.listedKeys(false)
			ex := t.call("PATCH", t.keyPath(name), map[string]any{"rate_limit_override": 42})
			t.mustStatus(ex, http.StatusOK)
			if v, _ := ex.field("rate_limit_override").(float64); v != 42 {
				t.Errorf(ex, "rate_limit_override is %v after setting it to 42", ex.field("rate_limit_override"))
			}
			after, lex := t.listedKeys(false)
			for field, old := range before[name] {
				if field == "rate_limit_override" || field == "last_used_at" {
					continue
				}
				if !reflect.DeepEqual(old, after[name][field]) {
					t.Errorf(lex, "%s changed though it was not sent", field)
				}
			}
		}},
	{ID: "api-keys/rotate-replaces-key", Category: "api-keys",
		Description: "rotating answers 200 with a new key (same name and key_id); the old key gets 401 at once and the new one works",
		run: func(t *T) {
			created := t.newKey("read")
			old, name := created.str("key"), created.str("name")
			ex := t.call("POST", t.keyPath(name)+"/rotate", nil)
			t.mustStatus(ex, http.StatusOK)
			key := ex.str("key")
			switch {
			case key == "" || key == old:
				t.Fatalf(ex, "rotate did not return a new key")
			case ex.str("key_hash") != sha256Hex(key):
				t.Errorf(ex, "key_hash is not the SHA-256 of the new key")
			case ex.str("name") != name || ex.str("key_id") != created.str("key_id"):
				t.Errorf(ex, "name or key_id changed")
			}
			t.refused(old, "the rotated-away key")
			t.works(key, "the new key")
		}},
	{ID: "api-keys/delete-revokes", Category: "api-keys",
		Description: "deleting a key answers 200 success: true; the key gets 401 at once and a second delete answers 404",
		run: func(t *T) {
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
		run: func(t *T) {
			path := usersKeysPath(t.name("nobody") + "@example.invalid")
			t.errorAnswer(t.call("GET", path, nil), http.StatusNotFound, "NotFoundError")
			t.errorAnswer(t.call("POST", path, map[string]any{"name": t.name("key")}), http.StatusNotFound, "NotFoundError")
		}},
	{ID: "api-keys/unknown-key-404", Category: "api-keys",
		Description: "PATCH, DELETE and rotate of a key name the user does not have answer 404 NotFoundError",
		run: func(t *T) {
			path := t.keyPath(t.name("absent"))
			t.errorAnswer(t.call("PATCH", path, map[string]any{"rate_limit_override": 5}), http.StatusNotFound, "NotFoundError")
			t.errorAnswer(t.call("DELETE", path, nil), http.StatusNotFound, "NotFoundError")
			t.errorAnswer(t.call("POST", path+"/rotate", nil), http.StatusNotFound, "NotFoundError")
		}},
}
