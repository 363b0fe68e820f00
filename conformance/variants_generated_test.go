package conformance_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func isKeyCreate(r *http.Request) bool {
	return r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/api-keys")
}

func isKeyPatch(r *http.Request) bool {
	return r.Method == "PATCH" && strings.Contains(r.URL.Path, "/api-keys/")
}

// bodyOf decodes a request body that is a JSON object (nil otherwise).
func bodyOf(b []byte) map[string]any {
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

func firstOf(list []any) any {
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

// validationError is a FastAPI 422 with one entry.
func validationError(loc []any, msg, typ string) map[string]any {
	return map[string]any{"detail": []any{map[string]any{"loc": loc, "msg": msg, "type": typ}}}
}

// generatedVariants each inject one bug that only a generated case meets (or meets first);
// each must fail the generated check that names it.
// failure is a part of the failure message that shows the case that met the bug.
func generatedVariants() []struct {
	name, check, failure string
	wrap                 func(http.Handler) http.Handler
} {
	return []struct {
		name, check, failure string
		wrap                 func(http.Handler) http.Handler
	}{
		// Names of exactly 101 characters are cut to 100 and the key is created; the
		// hand-written validation/key-name-too-long sends a longer name and still passes.
		// Key paths are cut the same way, so the key can be revoked by the name sent.
		{"a key name of 101 characters accepted", "generated/create-api-key/negative", "[body.name: 101 characters (maxLength 100)] want 422", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if i := strings.LastIndex(r.URL.Path, "/api-keys/"); i >= 0 {
				if name := r.URL.Path[i+len("/api-keys/"):]; len(name) == 101 {
					r.URL.Path, r.URL.RawPath = r.URL.Path[:i+len("/api-keys/")]+name[:100], ""
				}
			}
			if m := bodyOf(b); isKeyCreate(r) && m != nil {
				if name, _ := m["name"].(string); len(name) == 101 {
					m["name"] = name[:100]
					b, _ = json.Marshal(m)
				}
			}
			return pass(next, r, b)
		})},
		{"a description over 500 characters accepted", "generated/create-api-key/negative", "[body.description: 501 characters (maxLength 500)] want 422", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if m := bodyOf(b); (isKeyCreate(r) || isKeyPatch(r)) && m != nil {
				if d, _ := m["description"].(string); len(d) > 500 {
					m["description"] = d[:500]
					b, _ = json.Marshal(m)
				}
			}
			return pass(next, r, b)
		})},
		{"a description of exactly 500 characters refused", "generated/create-api-key/positive", "[body.description: 500 characters (maxLength 500)] want 200", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if m := bodyOf(b); (isKeyCreate(r) || isKeyPatch(r)) && m != nil {
				if d, _ := m["description"].(string); len(d) == 500 {
					return 422, nil, validationError([]any{"body", "description"}, "String should have at most 499 characters", "string_too_long")
				}
			}
			return pass(next, r, b)
		})},
		{"a wrong-typed rate_limit_override accepted", "generated/create-api-key/negative", "[body.rate_limit_override: \"one\" (not an integer)] want 422", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if m := bodyOf(b); (isKeyCreate(r) || isKeyPatch(r)) && m != nil {
				if _, isString := m["rate_limit_override"].(string); isString {
					delete(m, "rate_limit_override")
					b, _ = json.Marshal(m)
				}
			}
			return pass(next, r, b)
		})},
		{"400 instead of 422 for a missing member", "generated/create-secret/negative", "[body.secret_value: missing (required)] want 422 Unprocessable Entity, got 400", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			// Only when the one fault is a missing member (preflight's probe has two).
			detail, _ := a.json()["detail"].([]any)
			if entry, _ := firstOf(detail).(map[string]any); a.status == 422 && len(detail) == 1 && entry["type"] == "missing" && r.Method == "POST" {
				return 400, nil, map[string]any{"success": false, "status": 400,
					"error": map[string]any{"type": "BadRequestError", "message": "a member is missing"}}
			}
			return a.status, a.header, a.body
		})},
		{"422 naming the wrong member", "generated/create-api-key/negative", "[body.rate_limit_override: 0 (minimum 1)] no detail entry has loc starting with [body rate_limit_override]", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if a.status != 422 || !isKeyCreate(r) {
				return a.status, a.header, a.body
			}
			m := a.json()
			detail, _ := m["detail"].([]any)
			for _, d := range detail {
				entry, _ := d.(map[string]any)
				if loc, _ := entry["loc"].([]any); len(loc) >= 2 {
					if loc[1] == "name" {
						loc[1] = "description"
					} else {
						loc[1] = "name"
					}
				}
			}
			return a.status, a.header, m
		})},
		// Refused, but created anyway: the list after the refused creates shows the key.
		{"a refused key create creates the key", "generated/create-api-key/negative", "[body.permissions[0]: \"not-in-enum\" (enum read|write|delete|admin)] the refused request created", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if m := bodyOf(b); a.status == 422 && isKeyCreate(r) && m != nil {
				if name, _ := m["name"].(string); name != "" && len(name) <= 100 {
					body, _ := json.Marshal(map[string]any{"name": name})
					forward(next, r, body)
				}
			}
			return a.status, a.header, a.body
		})},
		// Refused, but applied in part: a refused PATCH still changes the description.
		{"a refused PATCH changes the key", "generated/update-api-key/negative", "the refused requests changed", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if a.status == 422 && isKeyPatch(r) {
				forward(next, r, []byte(`{"description": "changed by a refused request"}`))
			}
			return a.status, a.header, a.body
		})},
		// Accepted, but not applied: a read shows no effect.
		{"PATCH ignores rate_limit_override", "generated/update-api-key/positive", "[body.rate_limit_override: 1 (minimum 1)] body.rate_limit_override: sent 1, the read shows 5", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if m := bodyOf(b); isKeyPatch(r) && m != nil {
				if _, ok := m["rate_limit_override"]; ok {
					delete(m, "rate_limit_override")
					b, _ = json.Marshal(m)
				}
			}
			return pass(next, r, b)
		})},
		// An enum value of an array's items refused: one value of a spread case.
		{"the delete permission refused", "generated/create-api-key/positive", "[body.permissions[*]: each of the 4 enum values, one per item] want 200", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			if m := bodyOf(b); isKeyCreate(r) && m != nil {
				if p, _ := m["permissions"].([]any); len(p) == 4 && p[2] == "delete" {
					return 422, nil, validationError([]any{"body", "permissions", 2}, "Input should be 'read', 'write' or 'admin'", "enum")
				}
			}
			return pass(next, r, b)
		})},
	}
}

// Each broken variant of the mock that only generated cases meet fails, in the generated
// check that names its bug, with a failure that names the case, and leaves nothing behind
// that the run does not report.
func TestEveryGeneratedCaseBugIsCaught(t *testing.T) {
	for _, v := range generatedVariants() {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel() // each variant wraps a mock of its own
			rep := caught(t, v.check, v.wrap)
			named := false
			for _, r := range rep.Results {
				for _, f := range r.Failures {
					named = named || (r.ID == v.check && strings.Contains(f.Message, v.failure))
				}
			}
			if !named {
				t.Errorf("no failure of %s says %q", v.check, v.failure)
			}
		})
	}
}
