// Package otherchoices is a variant of the mock for the kit's own tests: a middleware around a
// mock that takes the other side of every open choice docs/behavior.md lists (its "Open
// choices" table), so that the tools that judge a server (the suite and its exploration, the
// replay, the validating proxy) are shown to accept every choice the contract leaves open, not
// only the mock's. Each row of that table has one flip here (Flips), and a test holds the two
// lists together.
//
// The variant is a conforming server: every answer it gives still validates against
// openapi.yaml, and a refused request still changes nothing.
package otherchoices

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/rules"
)

// Flip is one open choice the variant makes otherwise, by the ID of its row in
// docs/behavior.md.
type Flip struct {
	ID, What string
}

// Flips are the open choices the variant flips, in the order of docs/behavior.md.
var Flips = []Flip{
	{"O1", "error.details is null"},
	{"O2", "error messages, the delete-key message and 422 msg are worded otherwise"},
	{"O3", "a 422 body's detail entries come in reverse order"},
	{"O4", "a secret answer carries the other two flags, null"},
	{"O5", "a key member whose value is null is left out"},
	{"O6", "key_type is left out"},
	{"O7", "a key member at its declared default (status active, description empty) is left out"},
	{"O8", "PATCH null on description and scopes leaves them unchanged"},
	{"O9", "identifiers are UUIDs"},
	{"O10", "the API-key list is newest first"},
	{"O11", "timestamps are written with +00:00 and six digits of fraction"},
	{"O12", "no WWW-Authenticate and no Cache-Control header"},
	{"O13", "every answer object has one more member"},
	{"O14", "a rename onto a taken name is 422 at body.name"},
	{"O15", "status active on a revoked key's name is 404"},
	{"O16", "an email in a path is matched in its exact letter case"},
	{"O17", "a revoked key's name is never used again: create 409, rename 422"},
}

// Extra is the member the variant adds to every answer object (O13).
const Extra = "x_other_choices"

// unknownUser is the email the variant asks the mock about for an email it does not match
// (O16): no organization has it, so the mock refuses as for any unknown user.
const unknownUser = "not-matched.other-choices@example.invalid"

// Wrap returns the variant of next, a mock's handler. The control API (/_mock/) passes
// through unchanged (a reset of the whole mock forgets the revoked names too).
func Wrap(next http.Handler) http.Handler {
	c, err := contract.OpenAPI()
	if err != nil {
		panic(err) // openapi.yaml is embedded and loads in every test
	}
	var revoked revokedNames
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_mock/reset" {
			revoked.forget()
		}
		route, _, err := c.FindRoute(r)
		if err != nil || strings.HasPrefix(r.URL.Path, "/_mock/") {
			next.ServeHTTP(w, r)
			return
		}
		op := mixpeekkit.OperationID(route.Operation.OperationID)
		body, _ := io.ReadAll(r.Body)
		req := r.Clone(r.Context())
		req.URL.RawPath, req.URL.Path = exactEmail(r.URL)
		req.RequestURI = ""
		body = patchNulls(op, body)
		body = revoked.refuse(op, req.URL, body)
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))

		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, req)
		status, out := rec.Code, rec.Body.Bytes()
		revoked.note(op, req.URL, body, status)
		var v any
		if json.Unmarshal(out, &v) == nil {
			status, v = otherStatus(op, status, v)
			v = rewrite(op, status, v)
			out, _ = json.Marshal(v)
		}
		for k, vs := range rec.Header() {
			if k == "Www-Authenticate" || k == "Cache-Control" || k == "Content-Length" { // O12
				continue
			}
			w.Header()[k] = vs
		}
		w.WriteHeader(status)
		_, _ = w.Write(out)
	})
}

// exactEmail is the path with the user's email replaced by one no organization has when the
// email is not in lower case (O16: the seed's and the suite's users are lower case, so an
// email in another case is another, unknown, user).
func exactEmail(u *url.URL) (rawPath, path string) {
	parts := strings.Split(u.EscapedPath(), "/")
	if len(parts) > 4 && parts[1] == "v1" && parts[3] == "users" {
		if email, err := url.PathUnescape(parts[4]); err == nil && email != strings.ToLower(email) {
			parts[4] = url.PathEscape(unknownUser)
			raw := strings.Join(parts, "/")
			p, _ := url.PathUnescape(raw)
			return raw, p
		}
	}
	return u.RawPath, u.Path
}

// patchNulls drops description: null and scopes: null from a PATCH body, so that they leave
// the key as it is (O8). Any other body goes as it came.
func patchNulls(op mixpeekkit.OperationID, body []byte) []byte {
	if op != mixpeekkit.OpUpdateAPIKey {
		return body
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	dropped := false
	for _, k := range []string{"description", "scopes"} {
		if v, ok := m[k]; ok && string(bytes.TrimSpace(v)) == "null" {
			delete(m, k)
			dropped = true
		}
	}
	if !dropped {
		return body
	}
	out, _ := json.Marshal(m)
	return out
}

// revokedNames are the names of the keys revoked through the variant, by user: they are
// never used again (O17). A create or rename onto one is sent on as one onto the admin-key,
// which the mock refuses after authentication, permission and the contract check, as it
// would refuse a taken name: 409 on create, 400 on rename (422 by O14).
type revokedNames struct {
	mu    sync.Mutex
	names map[string]bool // user (lower case) "/" key name
}

func (rn *revokedNames) forget() {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	rn.names = nil
}

// userAndKey are the user's email and the key's name of an API-key path ("" when none).
func userAndKey(u *url.URL) (user, key string) {
	parts := strings.Split(u.EscapedPath(), "/")
	if len(parts) > 4 && parts[3] == "users" {
		user, _ = url.PathUnescape(parts[4])
	}
	if len(parts) > 6 {
		key, _ = url.PathUnescape(parts[6])
	}
	return strings.ToLower(user), key
}

// note remembers a key that a DELETE or a PATCH to revoked answered 200 for.
func (rn *revokedNames) note(op mixpeekkit.OperationID, u *url.URL, body []byte, status int) {
	user, key := userAndKey(u)
	var patch struct {
		Status *string `json:"status"`
	}
	_ = json.Unmarshal(body, &patch)
	if status != http.StatusOK || !(op == mixpeekkit.OpDeleteAPIKey || op == mixpeekkit.OpUpdateAPIKey && patch.Status != nil && *patch.Status == "revoked") {
		return
	}
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.names == nil {
		rn.names = map[string]bool{}
	}
	rn.names[user+"/"+key] = true
}

// refuse is body with a name that a revoked key had replaced by the admin-key's, on a create or
// a rename.
func (rn *revokedNames) refuse(op mixpeekkit.OperationID, u *url.URL, body []byte) []byte {
	if op != mixpeekkit.OpCreateAPIKey && op != mixpeekkit.OpUpdateAPIKey {
		return body
	}
	var m map[string]json.RawMessage
	var name string
	if json.Unmarshal(body, &m) != nil || json.Unmarshal(m["name"], &name) != nil {
		return body
	}
	user, _ := userAndKey(u)
	rn.mu.Lock()
	taken := rn.names[user+"/"+name]
	rn.mu.Unlock()
	if !taken {
		return body
	}
	m["name"], _ = json.Marshal(rules.AdminKeyName)
	out, _ := json.Marshal(m)
	return out
}

// otherStatus answers the mock's refusals of B30 and B34 with the other status (O14, O15).
func otherStatus(op mixpeekkit.OperationID, status int, v any) (int, any) {
	if op != mixpeekkit.OpUpdateAPIKey || status != http.StatusBadRequest {
		return status, v
	}
	msg, _ := member(v, "error", "message").(string)
	switch {
	case strings.Contains(msg, "already taken"):
		return http.StatusUnprocessableEntity, map[string]any{"detail": []any{
			map[string]any{"loc": []any{"body", "name"}, "msg": "the name is in use", "type": "value_error"}}}
	case strings.Contains(msg, "revoked API key cannot be reactivated"):
		return http.StatusNotFound, map[string]any{"success": false, "status": 404, "error": map[string]any{
			"type": "NotFoundError", "message": "no live key has this name", "details": nil}}
	}
	return status, v
}

// rewrite makes the answer's other choices: O1 to O7, O9 to O11 and O13.
func rewrite(op mixpeekkit.OperationID, status int, v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	switch {
	case status == http.StatusUnprocessableEntity:
		if d, ok := m["detail"].([]any); ok {
			slices.Reverse(d) // O3
			for _, e := range d {
				if e, ok := e.(map[string]any); ok {
					e["msg"] = "invalid here (" + fmt.Sprint(e["type"]) + ")" // O2
				}
			}
		}
	case status >= 400:
		if e, ok := m["error"].(map[string]any); ok {
			e["details"] = nil                                                  // O1
			e["message"] = "refused: " + strings.ToLower(fmt.Sprint(e["type"])) // O2
		}
	case op == mixpeekkit.OpCreateSecret || op == mixpeekkit.OpUpdateSecret || op == mixpeekkit.OpDeleteSecret:
		for _, flag := range []string{"created", "updated", "deleted"} { // O4
			if _, ok := m[flag]; !ok {
				m[flag] = nil
			}
		}
	case op == mixpeekkit.OpDeleteAPIKey:
		m["message"] = "revoked" // O2
	case op == mixpeekkit.OpListAPIKeys:
		if results, ok := m["results"].([]any); ok {
			slices.Reverse(results) // O10
			for _, k := range results {
				key(k)
			}
		}
	case op == mixpeekkit.OpCreateAPIKey || op == mixpeekkit.OpUpdateAPIKey || op == mixpeekkit.OpRotateAPIKey:
		key(m)
	}
	m[Extra] = true // O13
	return m
}

// key makes the other choices of one key answer.
func key(v any) {
	k, ok := v.(map[string]any)
	if !ok {
		return
	}
	for name, val := range k {
		switch {
		case val == nil: // O5
			delete(k, name)
		case name == "key_type": // O6
			delete(k, name)
		case name == "status" && val == "active", name == "description" && val == "": // O7
			delete(k, name)
		case slices.Contains([]string{"key_id", "user_id", "organization_id", "internal_id", "created_by", "revoked_by"}, name): // O9
			k[name] = uuid(fmt.Sprint(val))
		case slices.Contains([]string{"created_at", "expires_at", "last_used_at", "revoked_at"}, name): // O11
			if t, err := time.Parse(time.RFC3339Nano, fmt.Sprint(val)); err == nil {
				k[name] = t.UTC().Format("2006-01-02T15:04:05.000000-07:00")
			}
		}
	}
	k[Extra] = true // O13
}

// uuid is a UUID (version 4 in form) derived from an identifier of the mock: the same
// identifier always gives the same UUID, so answers stay consistent with each other.
func uuid(id string) string {
	h := sha256.Sum256([]byte(id))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// member is the value at a path of members of a decoded JSON object (nil when absent).
func member(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}
