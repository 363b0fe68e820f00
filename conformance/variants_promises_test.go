package conformance_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// patchBody reads a PATCH of an API key: its key name and its JSON members.
func patchBody(r *http.Request, b []byte) (string, map[string]any, bool) {
	if r.Method != "PATCH" || !strings.Contains(r.URL.Path, "/api-keys/") {
		return "", nil, false
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	name, _ := url.PathUnescape(r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:])
	return name, m, true
}

// listedKey is the user's key of that name as the mock lists it (revoked ones too).
func listedKey(next http.Handler, r *http.Request, name string) map[string]any {
	list := r.Clone(r.Context())
	list.Method = "GET"
	list.URL.Path = r.URL.Path[:strings.LastIndex(r.URL.Path, "/")]
	list.URL.RawQuery = "include_revoked=true"
	var out map[string]any
	results, _ := forward(next, list, nil).json()["results"].([]any) // none for a key that cannot list
	for _, k := range results {
		if m := k.(map[string]any); m["name"] == name {
			out = m
		}
	}
	return out
}

// The variants of the promises whose consequences the suite follows: each breaks one promise
// in a way the immediate answer does not show, and must fail the check that names it.
func TestEveryBrokenPromiseIsCaught(t *testing.T) {
	for _, v := range []struct {
		name, check string
		wrap        func(http.Handler) http.Handler
	}{
		{"PATCH status revoked answers revoked but revokes nothing", "auth/patch-revoked-key-401", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if _, m, ok := patchBody(r, b); ok && m["status"] == "revoked" {
				delete(m, "status")
				nb, _ := json.Marshal(m)
				a := forward(next, r, nb)
				out := a.json()
				out["status"] = "revoked"
				return a.status, a.header, out
			}
			return pass(next, r, b)
		})},
		{"expires_at is answered but never kept", "auth/expired-key-401", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if _, m, ok := patchBody(r, b); ok && m["expires_at"] != nil {
				at := m["expires_at"]
				delete(m, "expires_at")
				nb, _ := json.Marshal(m)
				a := forward(next, r, nb)
				out := a.json()
				out["expires_at"] = at
				return a.status, a.header, out
			}
			return pass(next, r, b)
		})},
		{"a revoked key's name is still patched", "api-keys/revoked-key-404", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if name, _, ok := patchBody(r, b); ok && a.status == 404 {
				if k := listedKey(next, r, name); k != nil {
					return 200, a.header, k
				}
			}
			return a.status, a.header, a.body
		})},
		{"a revoked key is answered as reactivated", "api-keys/revoked-key-stays-revoked", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if name, m, ok := patchBody(r, b); ok && m["status"] == "active" && a.status >= 400 {
				if k := listedKey(next, r, name); k != nil {
					k["status"], k["revoked_at"], k["revoked_by"] = "active", nil, nil
					return 200, a.header, k
				}
			}
			return a.status, a.header, a.body
		})},
		{"a rename onto a taken name is answered as done", "api-keys/rename-onto-taken-name-refused", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if name, m, ok := patchBody(r, b); ok && m["name"] != nil && a.status == 400 {
				if k := listedKey(next, r, name); k != nil {
					k["name"] = m["name"]
					return 200, a.header, k
				}
			}
			return a.status, a.header, a.body
		})},
		{"last_used_at is never shown", "api-keys/last-used-at-set", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if isKeyList(r) && a.status == 200 {
				out := a.json()
				for _, k := range out["results"].([]any) {
					k.(map[string]any)["last_used_at"] = nil
				}
				return a.status, a.header, out
			}
			return a.status, a.header, a.body
		})},
		{"a key created without permissions gets none", "api-keys/default-permissions", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			var m map[string]any
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/api-keys") && json.Unmarshal(b, &m) == nil && m["permissions"] == nil {
				m["permissions"] = []any{}
				b, _ = json.Marshal(m)
			}
			return pass(next, r, b)
		})},
		{"a secret name with an escaped slash is split", "secrets/names-with-any-character", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if strings.HasPrefix(r.URL.Path, "/v1/organizations/secrets/") && strings.Contains(r.URL.EscapedPath()[len("/v1/organizations/secrets/"):], "%2F") {
				return 404, nil, map[string]any{"success": false, "status": 404, "error": map[string]any{"type": "NotFoundError", "message": "no such endpoint", "details": nil}}
			}
			return pass(next, r, b)
		})},
		{"existence before the contract check", "validation/before-existence", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/v1/organizations/secrets/") {
				list := r.Clone(r.Context())
				list.Method, list.URL.Path = "GET", "/v1/organizations/secrets"
				name := r.URL.Path[len("/v1/organizations/secrets/"):]
				found := false
				names, _ := forward(next, list, nil).json()["secrets"].([]any) // none for a key that cannot list
				for _, n := range names {
					found = found || n == name
				}
				if !found {
					return 404, nil, map[string]any{"success": false, "status": 404, "error": map[string]any{"type": "NotFoundError", "message": "secret not found", "details": nil}}
				}
			}
			return pass(next, r, b)
		})},
		{"a created secret is answered but not stored", "secrets/create-returns-201", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			var m map[string]any
			if r.Method == "POST" && isSecrets(r) && json.Unmarshal(b, &m) == nil && strings.Contains(r.Header.Get("Authorization"), ownerKey) {
				if name, _ := m["secret_name"].(string); strings.Contains(name, "-secret-") && m["secret_value"] != nil {
					return 201, nil, map[string]any{"secret_name": name, "created": true}
				}
			}
			return pass(next, r, b)
		})},
	} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel() // each variant wraps a mock of its own
			caught(t, v.check, v.wrap)
		})
	}
}
