package checks

import (
	"net/http"
	"slices"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

// unauthorized checks a request answered 401 UnauthorizedError.
func unauthorized(t *suite.T, r suite.Request) {
	t.ErrorAnswer(t.Do(r), http.StatusUnauthorized, "UnauthorizedError")
}

// everyOperation is one request to each of the 9 operations, for the probes that must be
// refused before anything else happens. Names carry the prefix and are tracked, so a server
// that wrongly carries one out leaves nothing behind.
func everyOperation(t *suite.T) []suite.Request {
	secret, key := t.Name("secret"), t.Name("key")
	t.TrackSecret(secret, t.AdminAuth())
	t.TrackKey(key)
	return []suite.Request{
		{Method: "POST", Path: suite.SecretsPath, Body: map[string]any{"secret_name": secret, "secret_value": t.SecretValue()}},
		{Method: "GET", Path: suite.SecretsPath},
		{Method: "PUT", Path: suite.SecretPath(secret), Body: map[string]any{"secret_value": t.SecretValue()}},
		{Method: "DELETE", Path: suite.SecretPath(secret)},
		{Method: "POST", Path: t.KeysPath(), Body: map[string]any{"name": key}},
		{Method: "GET", Path: t.KeysPath()},
		{Method: "PATCH", Path: t.KeyPath(key), Body: map[string]any{"rate_limit_override": 7}},
		{Method: "POST", Path: t.KeyPath(key) + "/rotate"},
		{Method: "DELETE", Path: t.KeyPath(key)},
	}
}

// unauthorizedEverywhere sends one request to every operation with the given Authorization
// header and expects 401 UnauthorizedError from each.
func unauthorizedEverywhere(t *suite.T, auth string) {
	for _, r := range everyOperation(t) {
		r.Auth = auth
		unauthorized(t, r)
	}
}

// Auth are the checks of authentication.
var Auth = []suite.Check{
	{ID: "auth/missing-header-401", Category: "auth",
		Description: "a request without Authorization answers 401 UnauthorizedError, on every operation",
		Run:         func(t *suite.T) { unauthorizedEverywhere(t, "") }},
	{ID: "auth/wrong-scheme-401", Category: "auth",
		Description: "Authorization with a scheme other than Bearer answers 401, on every operation",
		Run:         func(t *suite.T) { unauthorizedEverywhere(t, "Basic "+t.S.APIKey) }},
	{ID: "auth/unknown-key-401", Category: "auth",
		Description: "an unknown API key answers 401, on every operation",
		Run:         func(t *suite.T) { unauthorizedEverywhere(t, suite.Bearer(suite.UnknownKey)) }},
	{ID: "auth/revoked-key-401", Category: "auth",
		Description: "a revoked key answers 401 at once",
		Run: func(t *suite.T) {
			k := t.NewKey("read")
			t.MustStatus(t.Call("DELETE", t.KeyPath(k.Str("name")), nil), http.StatusOK)
			unauthorized(t, suite.Request{Method: "GET", Path: suite.SecretsPath, Auth: suite.Bearer(k.Str("key"))})
		}},
	{ID: "auth/rotated-key-401", Category: "auth",
		Description: "the old plaintext of a rotated key answers 401 at once (no grace period)",
		Run: func(t *suite.T) {
			k := t.NewKey("read")
			t.MustStatus(t.Call("POST", t.KeyPath(k.Str("name"))+"/rotate", nil), http.StatusOK)
			unauthorized(t, suite.Request{Method: "GET", Path: suite.SecretsPath, Auth: suite.Bearer(k.Str("key"))})
		}},
	{ID: "auth/patch-revoked-key-401", Category: "auth",
		Description: "a key revoked by PATCH status revoked answers 401 at once and is listed as revoked only with include_revoked",
		Run: func(t *suite.T) {
			k := t.NewKey("read")
			t.Works(k.Str("key"), "the new key")
			ex := t.Call("PATCH", t.KeyPath(k.Str("name")), map[string]any{"status": "revoked"})
			t.MustStatus(ex, http.StatusOK)
			if ex.Str("status") != "revoked" {
				t.Errorf(ex, "the PATCH answer shows status %q, want revoked", ex.Str("status"))
			}
			t.Refused(k.Str("key"), "the key revoked by PATCH")
			t.RevokedInList(k.Str("name"))
		}},
	{ID: "auth/expired-key-401", Category: "auth",
		Description: "a key works until its expires_at, then answers 401 and is listed with status expired (the check waits about 3 s)",
		Run: func(t *suite.T) {
			k := t.NewKey("read")
			created, err := time.Parse(time.RFC3339Nano, k.Str("created_at"))
			if err != nil {
				t.Fatalf(k, "created_at is not an RFC 3339 time")
			}
			// The server's own clock: the key expires 2 s after it was created, and later by the
			// pace of the two requests that must come before (a slow -rate).
			margin := 2*time.Second + 3*t.S.Pace()
			at := created.Add(margin).UTC().Format(time.RFC3339Nano)
			t.MustStatus(t.Call("PATCH", t.KeyPath(k.Str("name")), map[string]any{"expires_at": at}), http.StatusOK)
			t.Works(k.Str("key"), "the key before its expires_at")
			if err := t.S.Sleep(t.Ctx, margin+time.Second); err != nil {
				t.Fatalf(nil, "waiting for the key to expire: %v", err)
			}
			t.Refused(k.Str("key"), "the key past its expires_at")
			keys, ex := t.ListedKeys(false)
			if got := keys[k.Str("name")]; got == nil || got["status"] != "expired" {
				t.Errorf(ex, "the expired key is listed as %v, want status expired", got)
			}
		}},
	{ID: "auth/before-validation", Category: "auth",
		Description: "no key and a bad body answers 401, not 422: authentication comes first",
		Run: func(t *suite.T) {
			unauthorized(t, suite.Request{Method: "POST", Path: suite.SecretsPath, Body: `{"secret_name": ""}`})
		}},
}

// Permissions are the checks of permissions.
var Permissions = []suite.Check{
	{ID: "permissions/read-key-lists-secrets", Category: "permissions",
		Description: "a key with only read may list secrets (200)",
		Run: func(t *suite.T) {
			t.Works(t.NewKey("read").Str("key"), "a read key")
		}},
	{ID: "permissions/read-key-cannot-write-secrets", Category: "permissions",
		Description: "a read key gets 403 ForbiddenError on create, update and delete of secrets, and nothing changes",
		Run: func(t *suite.T) {
			key := suite.Bearer(t.NewKey("read").Str("key"))
			name, _ := t.NewSecret(t.AdminAuth())
			fresh := t.Name("secret")
			t.TrackSecret(fresh, t.AdminAuth())
			for _, r := range []suite.Request{
				{Method: "POST", Path: suite.SecretsPath, Auth: key, Body: map[string]any{"secret_name": fresh, "secret_value": t.SecretValue()}},
				{Method: "PUT", Path: suite.SecretPath(name), Auth: key, Body: map[string]any{"secret_value": t.SecretValue()}},
				{Method: "DELETE", Path: suite.SecretPath(name), Auth: key},
			} {
				t.ErrorAnswer(t.Do(r), http.StatusForbidden, "ForbiddenError")
			}
			names, ex := t.ListedSecrets(t.AdminAuth())
			if !slices.Contains(names, name) {
				t.Errorf(ex, "a read key deleted a secret")
			}
			if slices.Contains(names, fresh) {
				t.Errorf(ex, "a read key created a secret")
			}
		}},
	{ID: "permissions/read-key-cannot-manage-keys", Category: "permissions",
		Description: "a read key gets 403 ForbiddenError on every API-key operation",
		Run: func(t *suite.T) {
			reader := t.NewKey("read")
			victim := t.NewKey("read").Str("name")
			key := suite.Bearer(reader.Str("key"))
			fresh := t.Name("key")
			t.TrackKey(fresh)
			for _, r := range []suite.Request{
				{Method: "GET", Path: t.KeysPath(), Auth: key},
				{Method: "POST", Path: t.KeysPath(), Auth: key, Body: map[string]any{"name": fresh}},
				{Method: "PATCH", Path: t.KeyPath(victim), Auth: key, Body: map[string]any{"rate_limit_override": 3}},
				{Method: "POST", Path: t.KeyPath(victim) + "/rotate", Auth: key},
				{Method: "DELETE", Path: t.KeyPath(victim), Auth: key},
			} {
				t.ErrorAnswer(t.Do(r), http.StatusForbidden, "ForbiddenError")
			}
		}},
	{ID: "permissions/write-delete-key-is-not-admin", Category: "permissions",
		Description: "a key with read, write and delete but not admin gets 403 on writing secrets and on key management",
		Run: func(t *suite.T) {
			key := suite.Bearer(t.NewKey("read", "write", "delete").Str("key"))
			victim := t.NewKey("read").Str("name")
			fresh, freshKey := t.Name("secret"), t.Name("key")
			t.TrackSecret(fresh, t.AdminAuth())
			t.TrackKey(freshKey)
			for _, r := range []suite.Request{
				{Method: "POST", Path: suite.SecretsPath, Auth: key, Body: map[string]any{"secret_name": fresh, "secret_value": t.SecretValue()}},
				{Method: "POST", Path: t.KeysPath(), Auth: key, Body: map[string]any{"name": freshKey}},
				{Method: "DELETE", Path: t.KeyPath(victim), Auth: key},
			} {
				t.ErrorAnswer(t.Do(r), http.StatusForbidden, "ForbiddenError")
			}
		}},
	{ID: "permissions/before-validation", Category: "permissions",
		Description: "a read key with a bad body gets 403, not 422: permission comes before the contract check",
		Run: func(t *suite.T) {
			key := suite.Bearer(t.NewKey("read").Str("key"))
			t.ErrorAnswer(t.Do(suite.Request{Method: "POST", Path: suite.SecretsPath, Auth: key, Body: `{"secret_name": ""}`}), http.StatusForbidden, "ForbiddenError")
		}},
}
