package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
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
			if r.Method == "PATCH" {
				var req map[string]any
				_ = json.Unmarshal(b, &req)
				req["permissions"] = []string{"read", "write"}
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
			srv, err := mockserver.New(mockserver.Options{Seed: twoOrgs()})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(v.wrap(srv))
			defer ts.Close()
			rep, err := conformance.Run(context.Background(), config(ts.URL))
			if err != nil {
				t.Fatalf("the suite could not run: %v", err)
			}
			var failed []string
			caught := false
			for _, r := range rep.Results {
				if r.Status == conformance.Fail {
					failed = append(failed, r.ID)
					caught = caught || r.ID == v.check
				}
			}
			if !caught {
				t.Errorf("%s did not fail; failed: %v", v.check, failed)
			}
		})
	}
}
