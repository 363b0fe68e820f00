package conformance

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// unauthorized checks a request answered 401 UnauthorizedError.
func (t *checkRun) unauthorized(r request) {
	t.errorAnswer(t.do(r), http.StatusUnauthorized, "UnauthorizedError")
}

// everyOperation is one request to each of the 9 operations, for the probes that must be
// refused before anything else happens. Names carry the prefix and are tracked, so a server
// that wrongly carries one out leaves nothing behind.
func (t *checkRun) everyOperation() []request {
	secret, key := t.name("secret"), t.name("key")
	t.trackSecret(secret, bearer(t.s.cfg.APIKey))
	t.trackKey(key)
	return []request{
		{method: "POST", path: secretsPath, body: map[string]any{"secret_name": secret, "secret_value": t.secretValue()}},
		{method: "GET", path: secretsPath},
		{method: "PUT", path: secretPath(secret), body: map[string]any{"secret_value": t.secretValue()}},
		{method: "DELETE", path: secretPath(secret)},
		{method: "POST", path: t.keysPath(), body: map[string]any{"name": key}},
		{method: "GET", path: t.keysPath()},
		{method: "PATCH", path: t.keyPath(key), body: map[string]any{"rate_limit_override": 7}},
		{method: "POST", path: t.keyPath(key) + "/rotate"},
		{method: "DELETE", path: t.keyPath(key)},
	}
}

// unauthorizedEverywhere sends one request to every operation with the given Authorization
// header and expects 401 UnauthorizedError from each.
func (t *checkRun) unauthorizedEverywhere(auth string) {
	for _, r := range t.everyOperation() {
		r.auth = auth
		t.unauthorized(r)
	}
}

var authChecks = []Check{
	{ID: "auth/missing-header-401", Category: "auth",
		Description: "a request without Authorization answers 401 UnauthorizedError, on every operation",
		run:         func(t *checkRun) { t.unauthorizedEverywhere("") }},
	{ID: "auth/wrong-scheme-401", Category: "auth",
		Description: "Authorization with a scheme other than Bearer answers 401, on every operation",
		run:         func(t *checkRun) { t.unauthorizedEverywhere("Basic " + t.s.cfg.APIKey) }},
	{ID: "auth/unknown-key-401", Category: "auth",
		Description: "an unknown API key answers 401, on every operation",
		run:         func(t *checkRun) { t.unauthorizedEverywhere(bearer("sk_" + strings.Repeat("0", 43))) }},
	{ID: "auth/revoked-key-401", Category: "auth",
		Description: "a revoked key answers 401 at once",
		run: func(t *checkRun) {
			k := t.newKey("read")
			t.mustStatus(t.call("DELETE", t.keyPath(k.str("name")), nil), http.StatusOK)
			t.unauthorized(request{method: "GET", path: secretsPath, auth: bearer(k.str("key"))})
		}},
	{ID: "auth/rotated-key-401", Category: "auth",
		Description: "the old plaintext of a rotated key answers 401 at once (no grace period)",
		run: func(t *checkRun) {
			k := t.newKey("read")
			t.mustStatus(t.call("POST", t.keyPath(k.str("name"))+"/rotate", nil), http.StatusOK)
			t.unauthorized(request{method: "GET", path: secretsPath, auth: bearer(k.str("key"))})
		}},
	{ID: "auth/patch-revoked-key-401", Category: "auth",
		Description: "a key revoked by PATCH status revoked answers 401 at once and is listed as revoked only with include_revoked",
		run: func(t *checkRun) {
			k := t.newKey("read")
			t.works(k.str("key"), "the new key")
			ex := t.call("PATCH", t.keyPath(k.str("name")), map[string]any{"status": "revoked"})
			t.mustStatus(ex, http.StatusOK)
			if ex.str("status") != "revoked" {
				t.Errorf(ex, "the PATCH answer shows status %q, want revoked", ex.str("status"))
			}
			t.refused(k.str("key"), "the key revoked by PATCH")
			t.revokedInList(k.str("name"))
		}},
	{ID: "auth/expired-key-401", Category: "auth",
		Description: "a key works until its expires_at, then answers 401 and is listed with status expired (the check waits about 3 s)",
		run: func(t *checkRun) {
			k := t.newKey("read")
			created, err := time.Parse(time.RFC3339Nano, k.str("created_at"))
			if err != nil {
				t.Fatalf(k, "created_at is not an RFC 3339 time")
			}
			// The server's own clock: the key expires 2 s after it was created.
			at := created.Add(2 * time.Second).UTC().Format(time.RFC3339Nano)
			t.mustStatus(t.call("PATCH", t.keyPath(k.str("name")), map[string]any{"expires_at": at}), http.StatusOK)
			t.works(k.str("key"), "the key before its expires_at")
			if err := t.s.cfg.Sleep(t.ctx, 3*time.Second); err != nil {
				t.Fatalf(nil, "waiting for the key to expire: %v", err)
			}
			t.refused(k.str("key"), "the key past its expires_at")
			keys, ex := t.listedKeys(false)
			if got := keys[k.str("name")]; got == nil || got["status"] != "expired" {
				t.Errorf(ex, "the expired key is listed as %v, want status expired", got)
			}
		}},
	{ID: "auth/before-validation", Category: "auth",
		Description: "no key and a bad body answers 401, not 422: authentication comes first",
		run: func(t *checkRun) {
			t.unauthorized(request{method: "POST", path: secretsPath, body: `{"secret_name": ""}`})
		}},
}

var permissionChecks = []Check{
	{ID: "permissions/read-key-lists-secrets", Category: "permissions",
		Description: "a key with only read may list secrets (200)",
		run: func(t *checkRun) {
			t.works(t.newKey("read").str("key"), "a read key")
		}},
	{ID: "permissions/read-key-cannot-write-secrets", Category: "permissions",
		Description: "a read key gets 403 ForbiddenError on create, update and delete of secrets, and nothing changes",
		run: func(t *checkRun) {
			key := bearer(t.newKey("read").str("key"))
			name, _ := t.newSecret(bearer(t.s.cfg.APIKey))
			fresh := t.name("secret")
			t.trackSecret(fresh, bearer(t.s.cfg.APIKey))
			for _, r := range []request{
				{method: "POST", path: secretsPath, auth: key, body: map[string]any{"secret_name": fresh, "secret_value": t.secretValue()}},
				{method: "PUT", path: secretPath(name), auth: key, body: map[string]any{"secret_value": t.secretValue()}},
				{method: "DELETE", path: secretPath(name), auth: key},
			} {
				t.errorAnswer(t.do(r), http.StatusForbidden, "ForbiddenError")
			}
			names, ex := t.listedSecrets(bearer(t.s.cfg.APIKey))
			if !slices.Contains(names, name) {
				t.Errorf(ex, "a read key deleted a secret")
			}
			if slices.Contains(names, fresh) {
				t.Errorf(ex, "a read key created a secret")
			}
		}},
	{ID: "permissions/read-key-cannot-manage-keys", Category: "permissions",
		Description: "a read key gets 403 ForbiddenError on every API-key operation",
		run: func(t *checkRun) {
			reader := t.newKey("read")
			victim := t.newKey("read").str("name")
			key := bearer(reader.str("key"))
			fresh := t.name("key")
			t.trackKey(fresh)
			for _, r := range []request{
				{method: "GET", path: t.keysPath(), auth: key},
				{method: "POST", path: t.keysPath(), auth: key, body: map[string]any{"name": fresh}},
				{method: "PATCH", path: t.keyPath(victim), auth: key, body: map[string]any{"rate_limit_override": 3}},
				{method: "POST", path: t.keyPath(victim) + "/rotate", auth: key},
				{method: "DELETE", path: t.keyPath(victim), auth: key},
			} {
				t.errorAnswer(t.do(r), http.StatusForbidden, "ForbiddenError")
			}
		}},
	{ID: "permissions/write-delete-key-is-not-admin", Category: "permissions",
		Description: "a key with read, write and delete but not admin gets 403 on writing secrets and on key management",
		run: func(t *checkRun) {
			key := bearer(t.newKey("read", "write", "delete").str("key"))
			victim := t.newKey("read").str("name")
			fresh, freshKey := t.name("secret"), t.name("key")
			t.trackSecret(fresh, bearer(t.s.cfg.APIKey))
			t.trackKey(freshKey)
			for _, r := range []request{
				{method: "POST", path: secretsPath, auth: key, body: map[string]any{"secret_name": fresh, "secret_value": t.secretValue()}},
				{method: "POST", path: t.keysPath(), auth: key, body: map[string]any{"name": freshKey}},
				{method: "DELETE", path: t.keyPath(victim), auth: key},
			} {
				t.errorAnswer(t.do(r), http.StatusForbidden, "ForbiddenError")
			}
		}},
	{ID: "permissions/before-validation", Category: "permissions",
		Description: "a read key with a bad body gets 403, not 422: permission comes before the contract check",
		run: func(t *checkRun) {
			key := bearer(t.newKey("read").str("key"))
			t.errorAnswer(t.do(request{method: "POST", path: secretsPath, auth: key, body: `{"secret_name": ""}`}), http.StatusForbidden, "ForbiddenError")
		}},
}
