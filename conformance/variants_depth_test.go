package conformance_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The variants of the promises of depth (B47–B56): each breaks one in a state where only a
// check that first builds that state can see it, and must fail the check that names it.
func TestEveryDepthBugIsCaught(t *testing.T) {
	var mu sync.Mutex
	deleters := map[string]bool{} // plaintexts of keys created with delete (and not admin)
	inFlight := map[string]bool{} // names of creates under way
	notFound := map[string]any{"success": false, "status": 404, "error": map[string]any{"type": "NotFoundError", "message": "not found", "details": nil}}
	createOf := func(r *http.Request, b []byte, member string) string {
		var m map[string]any
		if r.Method != "POST" || json.Unmarshal(b, &m) != nil {
			return ""
		}
		s, _ := m[member].(string)
		return s
	}
	// raced answers a create as a success when another create of the name is under way, as
	// a store that checks for the name, then writes it, without a lock would.
	raced := func(member string, success int, answer func(name string) any) func(http.Handler) http.Handler {
		return bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			name := createOf(r, b, member)
			if name == "" || r.URL.Path != "/v1/organizations/secrets" && !strings.HasSuffix(r.URL.Path, "/api-keys") {
				return pass(next, r, b)
			}
			mu.Lock()
			racing := inFlight[name]
			inFlight[name] = true
			mu.Unlock()
			if racing {
				return success, nil, answer(name)
			}
			time.Sleep(20 * time.Millisecond) // the window of the race
			defer func() { mu.Lock(); delete(inFlight, name); mu.Unlock() }()
			return pass(next, r, b)
		})
	}
	for _, v := range []struct {
		name, check string
		wrap        func(http.Handler) http.Handler
	}{
		{"PATCH null on expires_at is answered but not kept", "api-keys/patch-sets-then-clears", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if _, m, ok := patchBody(r, b); ok {
				if v, has := m["expires_at"]; has && v == nil {
					delete(m, "expires_at")
					nb, _ := json.Marshal(m)
					a := forward(next, r, nb)
					out := a.json()
					out["expires_at"] = nil
					return a.status, a.header, out
				}
			}
			return pass(next, r, b)
		})},
		{"last_used_at is set on the first use only", "api-keys/metadata-over-time", func() func(http.Handler) http.Handler {
			first := map[string]any{} // key name → its first last_used_at
			return bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
				a := forward(next, r, b)
				if r.Method != "GET" || !isKeyList(r) || a.status != 200 {
					return a.status, a.header, a.body
				}
				out := a.json()
				results, _ := out["results"].([]any)
				mu.Lock()
				defer mu.Unlock()
				for _, k := range results {
					k := k.(map[string]any)
					name, _ := k["name"].(string)
					if was, seen := first[name]; seen && was != nil {
						k["last_used_at"] = was
					} else {
						first[name] = k["last_used_at"]
					}
				}
				return a.status, a.header, out
			})
		}()},
		{"keys made in the same second share a key_id", "api-keys/identities-distinct", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/api-keys") && a.status == 200 {
				out := a.json()
				out["key_id"] = "key_" + time.Now().UTC().Format("20060102150405")
				return a.status, a.header, out
			}
			return a.status, a.header, a.body
		})},
		{"the secret list stops at 100", "scale/secrets-listed-in-full", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if r.Method == "GET" && r.URL.Path == "/v1/organizations/secrets" && a.status == 200 {
				out := a.json()
				if names, _ := out["secrets"].([]any); len(names) > 100 {
					out["secrets"], out["count"] = names[:100], 100
				}
				return a.status, a.header, out
			}
			return a.status, a.header, a.body
		})},
		{"the key list stops at 100", "scale/keys-listed-in-full", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if r.Method == "GET" && isKeyList(r) && a.status == 200 {
				out := a.json()
				if results, _ := out["results"].([]any); len(results) > 100 {
					out["results"], out["total"] = results[:100], 100
				}
				return a.status, a.header, out
			}
			return a.status, a.header, a.body
		})},
		{"two creates of a secret name at once both win", "scale/concurrent-secret-creates", raced("secret_name", 201, func(name string) any {
			return map[string]any{"secret_name": name, "created": true}
		})},
		{"two creates of a key name at once both win", "scale/concurrent-key-creates", func() func(http.Handler) http.Handler {
			var last struct {
				sync.Mutex
				answer map[string]any
			}
			inner := raced("name", 200, func(string) any { last.Lock(); defer last.Unlock(); return last.answer })
			return func(next http.Handler) http.Handler {
				remember := bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
					a := forward(next, r, b)
					if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/api-keys") && a.status == 200 {
						last.Lock()
						last.answer = a.json()
						last.Unlock()
					}
					return a.status, a.header, a.body
				})(next)
				return inner(remember)
			}
		}()},
		{"lower-case percent-encoding is not decoded", "secrets/paths-encoded-either-way", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if regexp.MustCompile(`%[0-9a-f]?[a-f]`).MatchString(r.URL.EscapedPath()) {
				return 404, nil, notFound
			}
			return pass(next, r, b)
		})},
		{"only include_revoked=true lists revoked keys", "api-keys/include-revoked-spellings", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if q := r.URL.Query(); isKeyList(r) && q.Has("include_revoked") && q.Get("include_revoked") != "true" {
				q.Set("include_revoked", "false")
				r.URL.RawQuery = q.Encode()
			}
			return pass(next, r, b)
		})},
		{"secret names are trimmed", "secrets/names-kept-as-sent", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			var m map[string]any
			if r.Method == "POST" && r.URL.Path == "/v1/organizations/secrets" && json.Unmarshal(b, &m) == nil {
				if name, ok := m["secret_name"].(string); ok && strings.TrimSpace(name) != name {
					m["secret_name"] = strings.TrimSpace(name)
					nb, _ := json.Marshal(m)
					a := forward(next, r, nb)
					if a.status == 409 { // the trimmed name exists: answer as if the name were new
						return 201, nil, map[string]any{"secret_name": name, "created": true}
					}
					return a.status, a.header, a.body
				}
			}
			return pass(next, r, b)
		})},
		{"a method a path does not serve is a 404", "contract/wrong-method-405", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if a.status == 405 {
				return 404, nil, notFound
			}
			return a.status, a.header, a.body
		})},
		{"a delete key deletes secrets", "permissions/matrix", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			auth := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			mu.Lock()
			deleter := deleters[auth]
			mu.Unlock()
			if deleter && r.Method == "DELETE" && strings.HasPrefix(r.URL.Path, "/v1/organizations/secrets/") {
				r.Header.Set("Authorization", "Bearer "+ownerKey)
			}
			a := forward(next, r, b)
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/api-keys") && a.status == 200 {
				out := a.json()
				perms, _ := out["permissions"].([]any)
				if len(perms) == 1 && perms[0] == "delete" {
					mu.Lock()
					deleters[out["key"].(string)] = true
					mu.Unlock()
				}
			}
			return a.status, a.header, a.body
		})},
	} {
		t.Run(v.name, func(t *testing.T) {
			caught(t, v.check, v.wrap)
		})
	}
}
