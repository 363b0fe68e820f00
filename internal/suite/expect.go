package suite

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// WantStatus checks the answer's WantStatus code; false (and a failure) when it differs.
func (t *T) WantStatus(ex *Exchange, want int) bool {
	if ex.Status != want {
		t.Errorf(ex, "want %d %s, got %d", want, http.StatusText(want), ex.Status)
		return false
	}
	return true
}

// MustStatus is status that ends the check on a mismatch.
func (t *T) MustStatus(ex *Exchange, want int) {
	if !t.WantStatus(ex, want) {
		panic(stopCheck{})
	}
}

// ErrorAnswer checks an ErrorResponse: the status, error.type, and that the body's status
// field agrees with the HTTP status.
func (t *T) ErrorAnswer(ex *Exchange, want int, typ string) bool {
	if !t.WantStatus(ex, want) {
		return false
	}
	ok := true
	if got := ex.ErrorType(); got != typ {
		t.Errorf(ex, "want error.type %q, got %q", typ, got)
		ok = false
	}
	if got, _ := ex.Field("status").(float64); int(got) != want {
		t.Errorf(ex, "ErrorResponse.status is %v, the HTTP status %d", ex.Field("status"), want)
		ok = false
	}
	if ex.Field("success") == true {
		t.Errorf(ex, "ErrorResponse.success is true")
		ok = false
	}
	return ok
}

// Works checks that a key still authenticates (listing secrets: 200 for read and admin keys).
func (t *T) Works(key, what string) bool {
	ex := t.Do(Request{Method: "GET", Path: SecretsPath, Auth: Bearer(key)})
	if ex.Status != http.StatusOK {
		t.Errorf(ex, "%s should still authenticate: want 200, got %d", what, ex.Status)
		return false
	}
	return true
}

// Refused checks that a key no longer authenticates (401 UnauthorizedError).
func (t *T) Refused(key, what string) bool {
	ex := t.Do(Request{Method: "GET", Path: SecretsPath, Auth: Bearer(key)})
	return t.errorAnswerNamed(ex, http.StatusUnauthorized, "UnauthorizedError", what)
}

func (t *T) errorAnswerNamed(ex *Exchange, want int, typ, what string) bool {
	if ex.Status != want {
		t.Errorf(ex, "%s: want %d, got %d", what, want, ex.Status)
		return false
	}
	return t.ErrorAnswer(ex, want, typ)
}

// ListedSecrets returns the secret names the key lists.
func (t *T) ListedSecrets(auth string) ([]string, *Exchange) {
	ex := t.Do(Request{Method: "GET", Path: SecretsPath, Auth: auth})
	t.MustStatus(ex, http.StatusOK)
	raw, _ := ex.Field("secrets").([]any)
	names := make([]string, 0, len(raw))
	for _, n := range raw {
		s, _ := n.(string)
		names = append(names, s)
	}
	if c, _ := ex.Field("count").(float64); int(c) != len(names) {
		t.Errorf(ex, "count is %v for %d secrets", ex.Field("count"), len(names))
	}
	return names, ex
}

// ListedKeys returns the run user's keys by name (revoked ones too when includeRevoked), as
// the run's admin key lists them; a status other than 200 ends the check.
func (t *T) ListedKeys(includeRevoked bool) (map[string]map[string]any, *Exchange) {
	ex := t.Call("GET", t.KeysPath()+fmt.Sprintf("?include_revoked=%v", includeRevoked), nil)
	t.MustStatus(ex, http.StatusOK)
	results, _ := ex.Field("results").([]any)
	out := map[string]map[string]any{}
	for _, r := range results {
		k, _ := r.(map[string]any)
		name, _ := k["name"].(string)
		out[name] = k
	}
	return out, ex
}

// RevokedInList checks that a key is left out of the default list and shown with
// include_revoked as revoked, with revoked_at.
func (t *T) RevokedInList(name string) {
	if keys, ex := t.ListedKeys(false); keys[name] != nil {
		t.Errorf(ex, "the revoked key %s is listed without include_revoked", name)
	}
	keys, ex := t.ListedKeys(true)
	switch k := keys[name]; {
	case k == nil:
		t.Errorf(ex, "the revoked key %s is not listed with include_revoked=true", name)
	case k["status"] != "revoked" || k["revoked_at"] == nil:
		t.Errorf(ex, "the revoked key %s is listed with status %v and revoked_at %v", name, k["status"], k["revoked_at"])
	}
}

// OneOf checks the answer's status is one of those the reference leaves open for the case.
func (t *T) OneOf(ex *Exchange, what string, statuses ...int) bool {
	for _, s := range statuses {
		if ex.Status == s {
			return true
		}
	}
	t.Errorf(ex, "%s: want one of %v (the behaviour reference leaves the choice open), got %d", what, statuses, ex.Status)
	return false
}

// Invalid checks a 422 HTTPValidationError with a detail entry at loc (its first elements).
func (t *T) Invalid(ex *Exchange, loc ...any) {
	if !t.WantStatus(ex, http.StatusUnprocessableEntity) {
		return
	}
	detail, ok := ex.Field("detail").([]any)
	if !ok || len(detail) == 0 {
		t.Errorf(ex, "a 422 must carry detail: a list of {loc, msg, type}")
		return
	}
	for _, d := range detail {
		entry, _ := d.(map[string]any)
		got, _ := entry["loc"].([]any)
		if len(got) >= len(loc) && reflect.DeepEqual(got[:len(loc)], loc) {
			if msg, _ := entry["msg"].(string); msg == "" {
				t.Errorf(ex, "the detail entry at %v has no msg", loc)
			}
			return
		}
	}
	t.Errorf(ex, "no detail entry has loc starting with %v", loc)
}

// WantListed lists auth's secrets and reports failure (from that list's exchange) unless
// name is among them exactly when want is true.
func (t *T) WantListed(auth, name string, want bool, failure string) {
	if names, ex := t.ListedSecrets(auth); slices.Contains(names, name) != want {
		t.Errorf(ex, "%s", failure)
	}
}

// CallerUserID is the user_id of the run's own key, as the list shows it ("" when it cannot
// tell: the key is not among the user's, or the server writes no user_id).
func (t *T) CallerUserID() string {
	ex := t.Call("GET", t.KeysPath(), nil)
	results, _ := ex.Field("results").([]any)
	own := sensitive.Hash(t.S.APIKey)
	for _, r := range results {
		if k, _ := r.(map[string]any); k["key_hash"] == own {
			id, _ := k["user_id"].(string)
			return id
		}
	}
	return ""
}

// Instant reads a date-time member (nil when absent, null or not RFC 3339).
func Instant(v any) *time.Time {
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil
	}
	return &at
}
