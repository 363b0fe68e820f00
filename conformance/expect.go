package conformance

import (
	"fmt"
	"net/http"
)

// status checks the answer's status code; false (and a failure) when it differs.
func (t *checkRun) status(ex *Exchange, want int) bool {
	if ex.Status != want {
		t.Errorf(ex, "want %d %s, got %d", want, http.StatusText(want), ex.Status)
		return false
	}
	return true
}

// mustStatus is status that ends the check on a mismatch.
func (t *checkRun) mustStatus(ex *Exchange, want int) {
	if !t.status(ex, want) {
		panic(stopCheck{})
	}
}

// errorAnswer checks an ErrorResponse: the status, error.type, and that the body's status
// field agrees with the HTTP status.
func (t *checkRun) errorAnswer(ex *Exchange, want int, typ string) bool {
	if !t.status(ex, want) {
		return false
	}
	ok := true
	if got := ex.errorType(); got != typ {
		t.Errorf(ex, "want error.type %q, got %q", typ, got)
		ok = false
	}
	if got, _ := ex.field("status").(float64); int(got) != want {
		t.Errorf(ex, "ErrorResponse.status is %v, the HTTP status %d", ex.field("status"), want)
		ok = false
	}
	if ex.field("success") == true {
		t.Errorf(ex, "ErrorResponse.success is true")
		ok = false
	}
	return ok
}

// works checks that a key still authenticates (listing secrets: 200 for read and admin keys).
func (t *checkRun) works(key, what string) bool {
	ex := t.do(request{method: "GET", path: secretsPath, auth: bearer(key)})
	if ex.Status != http.StatusOK {
		t.Errorf(ex, "%s should still authenticate: want 200, got %d", what, ex.Status)
		return false
	}
	return true
}

// refused checks that a key no longer authenticates (401 UnauthorizedError).
func (t *checkRun) refused(key, what string) bool {
	ex := t.do(request{method: "GET", path: secretsPath, auth: bearer(key)})
	return t.errorAnswerNamed(ex, http.StatusUnauthorized, "UnauthorizedError", what)
}

func (t *checkRun) errorAnswerNamed(ex *Exchange, want int, typ, what string) bool {
	if ex.Status != want {
		t.Errorf(ex, "%s: want %d, got %d", what, want, ex.Status)
		return false
	}
	return t.errorAnswer(ex, want, typ)
}

// listedSecrets returns the secret names the key lists.
func (t *checkRun) listedSecrets(auth string) ([]string, *Exchange) {
	ex := t.do(request{method: "GET", path: secretsPath, auth: auth})
	t.mustStatus(ex, http.StatusOK)
	raw, _ := ex.field("secrets").([]any)
	names := make([]string, 0, len(raw))
	for _, n := range raw {
		s, _ := n.(string)
		names = append(names, s)
	}
	if c, _ := ex.field("count").(float64); int(c) != len(names) {
		t.Errorf(ex, "count is %v for %d secrets", ex.field("count"), len(names))
	}
	return names, ex
}

// listedKeys returns the run user's keys by name (revoked ones too when includeRevoked), as
// the run's admin key lists them; a status other than 200 ends the check.
func (t *checkRun) listedKeys(includeRevoked bool) (map[string]map[string]any, *Exchange) {
	ex := t.call("GET", t.keysPath()+fmt.Sprintf("?include_revoked=%v", includeRevoked), nil)
	t.mustStatus(ex, http.StatusOK)
	results, _ := ex.field("results").([]any)
	out := map[string]map[string]any{}
	for _, r := range results {
		k, _ := r.(map[string]any)
		name, _ := k["name"].(string)
		out[name] = k
	}
	return out, ex
}

// revokedInList checks that a key is left out of the default list and shown with
// include_revoked as revoked, with revoked_at.
func (t *checkRun) revokedInList(name string) {
	if keys, ex := t.listedKeys(false); keys[name] != nil {
		t.Errorf(ex, "the revoked key %s is listed without include_revoked", name)
	}
	keys, ex := t.listedKeys(true)
	switch k := keys[name]; {
	case k == nil:
		t.Errorf(ex, "the revoked key %s is not listed with include_revoked=true", name)
	case k["status"] != "revoked" || k["revoked_at"] == nil:
		t.Errorf(ex, "the revoked key %s is listed with status %v and revoked_at %v", name, k["status"], k["revoked_at"])
	}
}

// oneOf checks the answer's status is one of those the reference leaves open for the case.
func (t *checkRun) oneOf(ex *Exchange, what string, statuses ...int) bool {
	for _, s := range statuses {
		if ex.Status == s {
			return true
		}
	}
	t.Errorf(ex, "%s: want one of %v (the behaviour reference leaves the choice open), got %d", what, statuses, ex.Status)
	return false
}
