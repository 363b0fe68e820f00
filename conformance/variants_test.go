package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/conformance"
)

// answer is what the wrapped mock said.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a *answer) json() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(a.body, &m)
	return m
}

// forward sends a copy of r, with body, to the mock and records its answer.
func forward(next http.Handler, r *http.Request, body []byte) *answer {
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, req)
	return &answer{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func writeAnswer(w http.ResponseWriter, status int, header http.Header, body any) {
	for k, v := range header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	var data []byte
	switch b := body.(type) {
	case []byte:
		data = b
	default:
		data, _ = json.Marshal(b)
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// bug wraps the mock: edit sees each request (with its body) and the mock's answer to it,
// and returns what the client gets.
func bug(edit func(next http.Handler, r *http.Request, body []byte) (int, http.Header, any)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			status, header, out := edit(next, r, body)
			writeAnswer(w, status, header, out)
		})
	}
}

// pass answers as the mock does.
func pass(next http.Handler, r *http.Request, body []byte) (int, http.Header, any) {
	a := forward(next, r, body)
	return a.status, a.header, a.body
}

func isSecrets(r *http.Request) bool { return r.URL.Path == "/v1/organizations/secrets" }

func isKeyList(r *http.Request) bool {
	return r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/api-keys")
}

// variants each inject one contract bug; each must fail the check that names it.
func variants() []struct {
	name, check string
	wrap        func(http.Handler) http.Handler
} {
	var mu sync.Mutex
	plaintexts := map[string]string{} // key name → plaintext, learned from create answers
	rotatedTo := map[string]string{}  // old plaintext → new plaintext
	writers := map[string]bool{}      // plaintexts of keys created with write or delete
	asOwner := func(next http.Handler, r *http.Request, b []byte) *answer {
		r.Header.Set("Authorization", "Bearer "+ownerKey)
		return forward(next, r, b)
	}
	isKeys := func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/api-keys") }
	isPeer := func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+peerKey }
	return []struct {
		name, check string
		wrap        func(http.Handler) http.Handler
	}{
		{"create secret answers 200", "secrets/create-returns-201", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if r.Method == "POST" && isSecrets(r) && a.status == 201 {
				return 200, a.header, a.body
			}
			return a.status, a.header, a.body
		})},
		{"echoed secret value", "safety/no-secret-value-echoed", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if r.Method == "POST" && isSecrets(r) && a.status == 201 {
				var req map[string]any
				_ = json.Unmarshal(b, &req)
				m := a.json()
				m["secret_value"] = req["secret_value"]
				return a.status, a.header, m
			}
			return a.status, a.header, a.body
		})},
		{"duplicate overwrites", "secrets/duplicate-rejected-409", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if r.Method == "POST" && isSecrets(r) && a.status == 409 {
				var req map[string]any
				_ = json.Unmarshal(b, &req)
				name, _ := req["secret_name"].(string)
				put := r.Clone(r.Context())
				put.Method = "PUT"
				put.URL.Path += "/" + name
				body, _ := json.Marshal(map[string]any{"secret_value": req["secret_value"]})
				forward(next, put, body)
				return 201, nil, map[string]any{"secret_name": name, "created": true}
			}
			return a.status, a.header, a.body
		})},
		{"admin-key deletable", "safety/admin-key-delete-403", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if r.Method == "DELETE" && strings.HasSuffix(r.URL.Path, "/api-keys/admin-key") {
				return 200, nil, map[string]any{"success": true, "message": "deleted"}
			}
			return pass(next, r, b)
		})},
		{"admin-key rotatable", "safety/admin-key-rotate-403", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/api-keys/admin-key/rotate") {
				k := "sk_" + strings.Repeat("r", 43)
				return 200, nil, map[string]any{"key_hash": "x", "internal_id": "int_x", "user_id": "usr_x", "name": "admin-key", "key": k}
			}
			return pass(next, r, b)
		})},
		{"rotated key still valid", "auth/rotated-key-401", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			mu.Lock()
			if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
				if k, ok := rotatedTo[strings.TrimPrefix(auth, "Bearer ")]; ok {
					r.Header.Set("Authorization", "Bearer "+k)
				}
			}
			mu.Unlock()
			a := forward(next, r, b)
			m := a.json()
			if k, ok := m["key"].(string); ok && a.status == 200 {
				name, _ := m["name"].(string)
				mu.Lock()
				if old, ok := plaintexts[name]; ok && strings.HasSuffix(r.URL.Path, "/rotate") {
					rotatedTo[old] = k
				}
				plaintexts[name] = k
				mu.Unlock()
			}
			return a.status, a.header, a.body
		})},
		{"wrong key_hash", "api-keys/create-returns-usable-key", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/api-keys") && a.status == 200 {
				m := a.json()
				m["key_hash"] = strings.Repeat("0", 64)
				return a.status, a.header, m
			}
			return a.status, a.header, a.body
		})},
		{"plaintext key in the list", "api-keys/list-never-shows-plaintext", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			m := a.json()
			if k, ok := m["key"].(string); ok && a.status == 200 {
				mu.Lock()
				plaintexts[m["name"].(string)] = k
				mu.Unlock()
			}
			if isKeyList(r) && a.status == 200 {
				results, _ := m["results"].([]any)
				mu.Lock()
				for _, x := range results {
					k := x.(map[string]any)
					if p, ok := plaintexts[k["name"].(string)]; ok {
						k["key"] = p
					}
				}
				mu.Unlock()
				return a.status, a.header, m
			}
			return a.status, a.header, a.body
		})},
		{"missing auth accepted", "auth/missing-header-401", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if r.Header.Get("Authorization") == "" {
				r.Header.Set("Authorization", "Bearer "+ownerKey)
			}
			return pass(next, r, b)
		})},
		{"a read key may write", "permissions/read-key-cannot-write-secrets", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if a.status == 403 && strings.HasPrefix(r.URL.Path, "/v1/organizations/secrets") {
				r.Header.Set("Authorization", "Bearer "+ownerKey)
				a = forward(next, r, b)
			}
			return a.status, a.header, a.body
		})},
		{"non-FastAPI 422 body", "validation/empty-secret-name", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if a.status == 422 {
				return 422, a.header, map[string]any{"error": "validation failed"}
			}
			return a.status, a.header, a.body
		})},
		{"organizations share secrets", "isolation/secrets-invisible", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if r.Header.Get("Authorization") == "Bearer "+peerKey && strings.HasPrefix(r.URL.Path, "/v1/organizations/secrets") {
				r.Header.Set("Authorization", "Bearer "+ownerKey)
			}
			return pass(next, r, b)
		})},
		{"revoked keys listed by default", "api-keys/list-hides-revoked", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if isKeyList(r) {
				r.URL.RawQuery = "include_revoked=true"
			}
			return pass(next, r, b)
		})},
		{"422 before 401", "auth/before-validation", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if r.Header.Get("Authorization") == "" && r.Method == "POST" {
				r.Header.Set("Authorization", "Bearer "+ownerKey)
			}
			return pass(next, r, b)
		})},
		{"PATCH resets fields not sent", "api-keys/update-changes-only-fields-sent", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			var req map[string]any
			if r.Method == "PATCH" && json.Unmarshal(b, &req) == nil && req != nil {
				// What a server that builds the key afresh from the body would do.
				for k, d := range map[string]any{"permissions": []string{"read"}, "description": nil, "expires_at": nil, "scopes": nil} {
					if _, sent := req[k]; !sent {
						req[k] = d
					}
				}
				b, _ = json.Marshal(req)
			}
			return pass(next, r, b)
		})},
		{"secret count off by one", "secrets/list-has-names-and-count", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if r.Method == "GET" && isSecrets(r) && a.status == 200 {
				m := a.json()
				m["count"] = m["count"].(float64) + 1
				return a.status, a.header, m
			}
			return a.status, a.header, a.body
		})},
		{"error status field disagrees", "contract/error-response-shape", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if a.status == 404 {
				m := a.json()
				m["status"] = 400
				return a.status, a.header, m
			}
			return a.status, a.header, a.body
		})},
		{"text/plain answers", "contract/list-secrets", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			a.header.Set("Content-Type", "text/plain")
			return a.status, a.header, a.body
		})},
		{"deleted key keeps working", "api-keys/delete-revokes", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if r.Method == "DELETE" && strings.Contains(r.URL.Path, "/api-keys/") {
				return 200, nil, map[string]any{"success": true, "message": "revoked"}
			}
			return pass(next, r, b)
		})},
		{"echo under an undeclared field", "safety/no-secret-value-echoed", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if r.Method == "PUT" && a.status == 200 {
				var req map[string]any
				_ = json.Unmarshal(b, &req)
				m := a.json()
				m["value"] = req["secret_value"]
				return a.status, a.header, m
			}
			return a.status, a.header, a.body
		})},
		{"admin-key PATCH accepted", "safety/admin-key-patch-403", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if r.Method == "PATCH" && strings.HasSuffix(r.URL.Path, "/api-keys/admin-key") {
				return 200, nil, map[string]any{"key_hash": "x", "internal_id": "int_x", "user_id": "usr_x", "name": "admin-key"}
			}
			return pass(next, r, b)
		})},
		{"update of a missing secret creates it", "secrets/update-missing-404", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if r.Method == "PUT" && a.status == 404 {
				name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
				var req map[string]any
				_ = json.Unmarshal(b, &req)
				post := r.Clone(r.Context())
				post.Method, post.URL.Path = "POST", "/v1/organizations/secrets"
				body, _ := json.Marshal(map[string]any{"secret_name": name, "secret_value": req["secret_value"]})
				forward(next, post, body)
				return 200, nil, map[string]any{"secret_name": name, "updated": true}
			}
			return a.status, a.header, a.body
		})},
		{"unknown key name answered 200", "api-keys/unknown-key-404", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if r.Method == "DELETE" && isKeys(r) && a.status == 404 {
				return 200, nil, map[string]any{"success": true, "message": "revoked"}
			}
			return a.status, a.header, a.body
		})},
		{"a read key manages keys", "permissions/read-key-cannot-manage-keys", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if a.status == 403 && isKeys(r) && !isPeer(r) {
				a = asOwner(next, r, b)
			}
			return a.status, a.header, a.body
		})},
		{"validation before permission", "permissions/before-validation", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if a.status == 403 && r.Method == "POST" && isSecrets(r) {
				if v := asOwner(next, r, b); v.status == 422 {
					return v.status, v.header, v.body
				}
			}
			return a.status, a.header, a.body
		})},
		{"a write-delete key is an admin", "permissions/write-delete-key-is-not-admin", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			m := a.json()
			if k, ok := m["key"].(string); ok && a.status == 200 {
				if p, _ := m["permissions"].([]any); len(p) == 3 {
					mu.Lock()
					writers[k] = true
					mu.Unlock()
				}
			}
			mu.Lock()
			writer := writers[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
			mu.Unlock()
			if a.status == 403 && writer {
				a = asOwner(next, r, b)
			}
			return a.status, a.header, a.body
		})},
		{"the peer sees this organization's keys", "isolation/keys-invisible", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if isPeer(r) && isKeys(r) {
				a := asOwner(next, r, b)
				return a.status, a.header, a.body
			}
			return pass(next, r, b)
		})},
		{"the peer creates keys for this organization's user", "isolation/keys-invisible", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if isPeer(r) && isKeys(r) && r.Method == "POST" {
				a := asOwner(next, r, b)
				return a.status, a.header, a.body
			}
			return pass(next, r, b)
		})},
		{"secret names are global", "isolation/same-name-independent", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if isPeer(r) && r.Method == "POST" && isSecrets(r) {
				var req map[string]any
				_ = json.Unmarshal(b, &req)
				list := r.Clone(r.Context())
				list.Method = "GET"
				if l := asOwner(next, list, nil); strings.Contains(string(l.body), `"`+req["secret_name"].(string)+`"`) {
					return 409, nil, map[string]any{"success": false, "status": 409, "error": map[string]any{"type": "AlreadyExistsError", "message": "exists"}}
				}
			}
			return pass(next, r, b)
		})},
		{"rotate keeps the old key_prefix", "api-keys/rotate-replaces-key", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if strings.HasSuffix(r.URL.Path, "/rotate") && a.status == 200 {
				m := a.json()
				m["key_prefix"] = "sk_0000000..."
				return a.status, a.header, m
			}
			return a.status, a.header, a.body
		})},
		{"a bad include_revoked is accepted", "validation/bad-include-revoked", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if isKeyList(r) && r.URL.Query().Get("include_revoked") == "perhaps" {
				r.URL.RawQuery = ""
			}
			return pass(next, r, b)
		})},
		{"key routes accept no auth", "auth/missing-header-401", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if r.Header.Get("Authorization") == "" && isKeys(r) {
				r.Header.Set("Authorization", "Bearer "+ownerKey)
			}
			return pass(next, r, b)
		})},
		{"revoked keys listed when include_revoked is absent", "api-keys/list-hides-revoked", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if isKeyList(r) && r.URL.Query().Get("include_revoked") == "" {
				r.URL.RawQuery = "include_revoked=true"
			}
			return pass(next, r, b)
		})},
		{"unknown user lists nothing", "api-keys/unknown-user-404", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if isKeyList(r) && a.status == 404 {
				return 200, a.header, map[string]any{"results": []any{}, "total": 0}
			}
			return a.status, a.header, a.body
		})},
	}
}

// Each broken variant of the mock fails, in the check that names its bug.
func TestEveryInjectedBugIsCaught(t *testing.T) {
	for _, v := range variants() {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel() // each variant wraps a mock of its own
			caught(t, v.check, v.wrap)
		})
	}
}

// caught runs the suite against the mock wrapped in a bug and checks that the check named
// fails, and that the run leaves nothing behind it does not report. It returns the report.
func caught(t *testing.T, check string, wrap func(http.Handler) http.Handler) *conformance.Report {
	t.Helper()
	mock := newMock(t)
	mock.Wrap(wrap)
	cfg := mockConfig(mock)
	if testing.Short() {
		// make test: the check that names the bug alone; make test-all runs every check
		// against each variant, so the run also proves no other check breaks on it.
		cfg.Run = "^" + regexp.QuoteMeta(check) + "$"
	}
	rep, err := conformance.Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("the suite could not run: %v", err)
	}
	var failed []string
	found := false
	for _, r := range rep.Results {
		if r.Status == conformance.Fail {
			failed = append(failed, r.ID)
			found = found || r.ID == check
		}
	}
	if !found {
		t.Errorf("%s did not fail; failed: %v", check, failed)
	}
	// Whatever the bug, the run leaves nothing behind that it does not report.
	for _, left := range liveLeftovers(t, mock, rep.Prefix) {
		reported := false
		for _, l := range rep.Leftovers {
			reported = reported || strings.Contains(l, left)
		}
		if !reported {
			t.Errorf("%s is left and not reported (leftovers: %v)", left, rep.Leftovers)
		}
	}
	return rep
}
