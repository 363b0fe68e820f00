package checks

import (
	"net/http"
	"reflect"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

// KeyState are the checks of what a key is after each operation, read back from the answer
// and from the list, on a key that has what the operation changes (a field set before it is
// cleared, a key used before it is used again).
var KeyState = []suite.Check{
	{ID: "api-keys/patch-sets-then-clears", Category: "api-keys",
		Description: "on a key that has them, PATCH null removes expires_at and rate_limit_override, scopes [] and description \"\" clear those; the answer and the list both show it",
		Run: func(t *suite.T) {
			created := t.NewKey("read")
			name := created.Str("name")
			at := suite.Instant(created.Field("created_at"))
			if at == nil {
				t.Fatalf(created, "created_at is not an RFC 3339 time")
			}
			set := map[string]any{"expires_at": at.Add(24 * time.Hour).UTC().Format(time.RFC3339), "rate_limit_override": 5,
				"description": "set before it is cleared", "scopes": []any{map[string]any{"resource_type": "organization", "resource_id": "conformance"}}}
			ex := t.Call("PATCH", t.KeyPath(name), set)
			t.MustStatus(ex, http.StatusOK)
			if ex.Field("expires_at") == nil || ex.Field("rate_limit_override") == nil {
				t.Fatalf(ex, "the fields to clear were not set: expires_at %v, rate_limit_override %v", ex.Field("expires_at"), ex.Field("rate_limit_override"))
			}
			for _, change := range []map[string]any{
				{"expires_at": nil, "rate_limit_override": nil},
				{"scopes": []any{}, "description": ""},
			} {
				ex := t.Call("PATCH", t.KeyPath(name), change)
				t.MustStatus(ex, http.StatusOK)
				keys, lex := t.ListedKeys(false)
				for member, want := range change {
					if got := ex.Field(member); !sameValue(got, want) {
						t.Errorf(ex, "the answer has %s %v after PATCH %s %v", member, got, member, want)
					}
					if got := keys[name][member]; !sameValue(got, want) {
						t.Errorf(lex, "the list has %s %v after PATCH %s %v", member, got, member, want)
					}
				}
			}
		}},
	{ID: "api-keys/metadata-over-time", Category: "api-keys",
		Description: "the list follows a key's life: created_at stays; last_used_at is null, set on use and later on a later use; rotate gives a new key_hash and key_prefix; delete sets revoked_at and revoked_by to the caller's user_id",
		Run: func(t *suite.T) {
			created := t.NewKey("read")
			name, key := created.Str("name"), created.Str("key")
			born := suite.Instant(created.Field("created_at"))
			listed := func(revoked bool) (map[string]any, *suite.Exchange) {
				keys, ex := t.ListedKeys(revoked)
				if keys[name] == nil {
					t.Fatalf(ex, "the key is not listed")
				}
				return keys[name], ex
			}
			k, ex := listed(false)
			if k["last_used_at"] != nil {
				t.Errorf(ex, "a key never used lists last_used_at %v, want null", k["last_used_at"])
			}
			if c := suite.Instant(k["created_at"]); born == nil || c == nil || !c.Equal(*born) {
				t.Errorf(ex, "created_at is listed as %v, the create answered %v", k["created_at"], created.Field("created_at"))
			}
			t.Works(key, "the new key")
			k, ex = listed(false)
			first := suite.Instant(k["last_used_at"])
			if first == nil || born != nil && first.Before(*born) {
				t.Fatalf(ex, "after a use, last_used_at is %v, want a time no earlier than created_at", k["last_used_at"])
			}
			if err := t.S.Sleep(t.Ctx, 1100*time.Millisecond); err != nil {
				t.Fatalf(nil, "waiting before the second use: %v", err)
			}
			t.Works(key, "the key, a second time")
			k, ex = listed(false)
			if second := suite.Instant(k["last_used_at"]); second == nil || !second.After(*first) {
				t.Errorf(ex, "after a use a second later, last_used_at is %v, want later than %s", k["last_used_at"], first.Format(time.RFC3339Nano))
			}
			rotated := t.Call("POST", t.KeyPath(name)+"/rotate", nil)
			t.MustStatus(rotated, http.StatusOK)
			fresh := rotated.Str("key")
			k, ex = listed(false)
			if k["key_hash"] != sensitive.Hash(fresh) || k["key_hash"] == created.Field("key_hash") {
				t.Errorf(ex, "after rotate, the list has key_hash %v, want the new key's", k["key_hash"])
			}
			if p, ok := k["key_prefix"]; ok && p != nil && p != sensitive.Prefix(fresh) {
				t.Errorf(ex, "after rotate, the list has key_prefix %v, want the new key's", p)
			}
			if c := suite.Instant(k["created_at"]); born == nil || c == nil || !c.Equal(*born) {
				t.Errorf(ex, "after rotate, created_at is listed as %v, want it unchanged", k["created_at"])
			}
			caller := t.CallerUserID()
			t.MustStatus(t.Call("DELETE", t.KeyPath(name), nil), http.StatusOK)
			k, ex = listed(true)
			revokedAt := suite.Instant(k["revoked_at"])
			if revokedAt == nil || born != nil && revokedAt.Before(*born) {
				t.Errorf(ex, "after delete, revoked_at is %v, want a time no earlier than created_at", k["revoked_at"])
			}
			if caller != "" && k["revoked_by"] != caller {
				t.Errorf(ex, "after delete, revoked_by is %v, want the caller's user_id %s", k["revoked_by"], caller)
			}
		}},
	{ID: "api-keys/identities-distinct", Category: "api-keys",
		Description: "keys created back to back have distinct key_id, internal_id and key_hash, and the user_id of their user",
		Run: func(t *suite.T) {
			caller := t.CallerUserID()
			seen := map[string]map[any]string{"key_id": {}, "internal_id": {}, "key_hash": {}}
			for range 3 {
				ex := t.NewKey("read")
				for member, values := range seen {
					v := ex.Field(member)
					if v == nil {
						continue // key_id is optional
					}
					if other, taken := values[v]; taken {
						t.Errorf(ex, "%s %v is also key %s's", member, v, other)
					}
					values[v] = ex.Str("name")
				}
				if caller != "" && ex.Field("user_id") != caller {
					t.Errorf(ex, "user_id is %v, want the user's, %s", ex.Field("user_id"), caller)
				}
			}
		}},
	{ID: "api-keys/include-revoked-spellings", Category: "api-keys",
		Description: "include_revoked is read as pydantic reads a boolean (decision S10): 1, t, y, on, yes, true in any case list the revoked key; 0, f, n, off, no, false leave it out",
		Run: func(t *suite.T) {
			name := t.NewKey("read").Str("name")
			t.MustStatus(t.Call("DELETE", t.KeyPath(name), nil), http.StatusOK)
			for spelling, listed := range map[string]bool{"1": true, "T": true, "y": true, "On": true, "YES": true, "True": true,
				"0": false, "f": false, "N": false, "off": false, "No": false, "FALSE": false} {
				ex := t.Call("GET", t.KeysPath()+"?include_revoked="+spelling, nil)
				if !t.WantStatus(ex, http.StatusOK) {
					continue
				}
				found := false
				results, _ := ex.Field("results").([]any)
				for _, r := range results {
					if k, _ := r.(map[string]any); k["name"] == name {
						found = true
					}
				}
				if found != listed {
					t.Errorf(ex, "include_revoked=%s: the revoked key is listed %v, want %v", spelling, found, listed)
				}
			}
		}},
}

// sameValue compares a decoded JSON value with one a check sent.
func sameValue(got, want any) bool {
	if w, ok := want.(int); ok {
		want = float64(w)
	}
	if w, ok := want.([]any); ok && len(w) == 0 {
		g, ok := got.([]any)
		return ok && len(g) == 0
	}
	return reflect.DeepEqual(got, want)
}
