package mockserver_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

var (
	plaintextRE  = regexp.MustCompile(`^sk_[A-Za-z0-9_-]{40,}$`)
	keyIDRE      = regexp.MustCompile(`^key_[A-Za-z0-9]{15}$`)
	userIDRE     = regexp.MustCompile(`^usr_[A-Za-z0-9]{15}$`)
	orgIDRE      = regexp.MustCompile(`^org_[A-Za-z0-9]{15}$`)
	internalIDRE = regexp.MustCompile(`^int_[A-Za-z0-9]{24}$`)
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// listKeys returns the admin user's keys by name.
func listKeys(t *testing.T, h *harness, query string) map[string]map[string]any {
	t.Helper()
	r := h.send("GET", adminKeys+query, adminKey, nil)
	if r.status != http.StatusOK {
		t.Fatalf("list: %d %s", r.status, r.raw)
	}
	body := r.json(t)
	results := body["results"].([]any)
	if body["total"] != float64(len(results)) {
		t.Errorf("total %v for %d results", body["total"], len(results))
	}
	out := map[string]map[string]any{}
	for _, x := range results {
		k := x.(map[string]any)
		if _, ok := k["key"]; ok {
			t.Errorf("the list shows a plaintext key: %v", k)
		}
		out[k["name"].(string)] = k
	}
	return out
}

func TestCreateKey(t *testing.T) {
	h := newHarness(t)
	k := h.createKey(map[string]any{
		"name": "backend-service", "description": "ingestion", "permissions": []string{"read", "write"},
		"rate_limit_override": 120, "expires_at": "2027-01-01T00:00:00+02:00",
		"scopes": []any{map[string]any{"resource_type": "namespace", "resource_id": "ns_1", "operations": []string{"read_data"}}},
	})
	plaintext := k["key"].(string)
	for field, re := range map[string]*regexp.Regexp{"key": plaintextRE, "key_id": keyIDRE, "user_id": userIDRE,
		"organization_id": orgIDRE, "internal_id": internalIDRE} {
		if s, _ := k[field].(string); !re.MatchString(s) {
			t.Errorf("%s = %q does not match %s", field, s, re)
		}
	}
	if k["key_hash"] != sha(plaintext) {
		t.Errorf("key_hash is not the SHA-256 of the key")
	}
	if k["key_prefix"] != plaintext[:10]+"..." {
		t.Errorf("key_prefix = %v", k["key_prefix"])
	}
	want := map[string]any{
		"name": "backend-service", "description": "ingestion", "permissions": []any{"read", "write"},
		"rate_limit_override": float64(120), "expires_at": "2026-12-31T22:00:00Z", "status": "active",
		"key_type": "standard", "created_at": "2026-01-02T03:04:05Z", "last_used_at": nil,
		"revoked_at": nil, "revoked_by": nil, "subscription_id": nil, "allowed_origins": nil,
		"scopes":     []any{map[string]any{"resource_type": "namespace", "resource_id": "ns_1", "operations": []any{"read_data"}}},
		"created_by": k["user_id"],
	}
	for f, w := range want {
		if !cmp.Equal(w, k[f]) {
			t.Errorf("%s = %#v, want %#v", f, k[f], w)
		}
	}
	// The new key works at once, with the permissions it was given.
	if r := h.send("GET", secretsURL, plaintext, nil); r.status != http.StatusOK {
		t.Errorf("the new key: %d", r.status)
	}
	// Only the hash is kept: the state shows no plaintext.
	state := h.send("GET", "/_mock/state", "", nil)
	if strings.Contains(string(state.raw), plaintext) || strings.Contains(string(state.raw), adminKey) {
		t.Error("the state shows a plaintext key")
	}

	t.Run("defaults", func(t *testing.T) {
		k := h.createKey(map[string]any{"name": "minimal"})
		if !cmp.Equal([]any{"read"}, k["permissions"]) || !cmp.Equal([]any{}, k["scopes"]) || k["expires_at"] != nil {
			t.Errorf("defaults: %v", k)
		}
	})
	t.Run("duplicate name", func(t *testing.T) {
		r := h.send("POST", adminKeys, adminKey, map[string]any{"name": "minimal"})
		if r.status != http.StatusConflict || r.errorType(t) != "AlreadyExistsError" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if len(listKeys(t, h, "")) != 3 {
			t.Error("a refused duplicate added a key")
		}
	})
	t.Run("admin-key name is reserved", func(t *testing.T) {
		r := h.send("POST", adminKeys, adminKey, map[string]any{"name": "admin-key"})
		if r.status != http.StatusConflict {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		r := h.send("POST", "/v1/organizations/users/nobody%40example.com/api-keys", adminKey, map[string]any{"name": "x"})
		if r.status != http.StatusNotFound || r.errorType(t) != "NotFoundError" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("email decoded and case-insensitive", func(t *testing.T) {
		for _, path := range []string{"/v1/organizations/users/admin@example.com/api-keys", "/v1/organizations/users/ADMIN%40Example.com/api-keys"} {
			if r := h.send("GET", path, adminKey, nil); r.status != http.StatusOK {
				t.Errorf("%s: %d", path, r.status)
			}
		}
	})
}

func TestListHidesRevokedKeys(t *testing.T) {
	h := newHarness(t)
	h.createKey(map[string]any{"name": "live"})
	h.createKey(map[string]any{"name": "gone"})
	h.clock.Advance(time.Minute)
	if r := h.send("DELETE", adminKeys+"/gone", adminKey, nil); r.status != http.StatusOK ||
		!cmp.Equal(map[string]any{"success": true, "message": `API key "gone" revoked`}, r.json(t)) {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	for query, want := range map[string][]string{
		"":                       {"admin-key", "live"},
		"?include_revoked=false": {"admin-key", "live"},
		"?include_revoked=true":  {"admin-key", "gone", "live"},
		// Read as FastAPI's pydantic reads a boolean, in any letter case.
		"?include_revoked=yes":          {"admin-key", "gone", "live"},
		"?include_revoked=On":           {"admin-key", "gone", "live"},
		"?include_revoked=Y":            {"admin-key", "gone", "live"},
		"?include_revoked=tRuE":         {"admin-key", "gone", "live"},
		"?include_revoked=1":            {"admin-key", "gone", "live"},
		"?include_revoked=NO":           {"admin-key", "live"},
		"?include_revoked=off":          {"admin-key", "live"},
		"?include_revoked=n":            {"admin-key", "live"},
		"?include_revoked=F":            {"admin-key", "live"},
		"?include_revoked=0":            {"admin-key", "live"},
		"?include_revoked=tr%75e&x=%zz": {"admin-key", "gone", "live"}, // escaped; another bad pair is ignored
	} {
		got := listKeys(t, h, query)
		if diff := cmp.Diff(want, keysOf(got), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Errorf("list%s (-want +got):\n%s", query, diff)
		}
		if g, ok := got["gone"]; ok {
			if g["status"] != "revoked" || g["revoked_at"] != "2026-01-02T03:05:05Z" || g["revoked_by"] == nil {
				t.Errorf("revoked key is listed as %v", g)
			}
		}
	}
}

func keysOf(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestUpdateKey(t *testing.T) {
	h := newHarness(t)
	created := h.createKey(map[string]any{"name": "svc", "description": "old", "permissions": []string{"read"},
		"rate_limit_override": 10, "expires_at": "2030-01-01T00:00:00Z"})
	before := listKeys(t, h, "")["svc"]

	t.Run("only the fields sent change", func(t *testing.T) {
		r := h.send("PATCH", adminKeys+"/svc", adminKey, map[string]any{"permissions": []string{"read", "write"}})
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		got := r.json(t)
		if diff := cmp.Diff(before, got, cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == "permissions" })); diff != "" {
			t.Errorf("fields that were not sent changed (-before +after):\n%s", diff)
		}
		if !cmp.Equal([]any{"read", "write"}, got["permissions"]) {
			t.Errorf("permissions = %v", got["permissions"])
		}
	})
	t.Run("null clears a nullable field and leaves the others", func(t *testing.T) {
		r := h.send("PATCH", adminKeys+"/svc", adminKey, `{"description": null, "expires_at": null, "rate_limit_override": null, "name": null, "status": null}`)
		got := r.json(t)
		if r.status != http.StatusOK || got["description"] != "" || got["expires_at"] != nil || got["rate_limit_override"] != nil || got["name"] != "svc" || got["status"] != "active" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("rename", func(t *testing.T) {
		h.createKey(map[string]any{"name": "other"})
		if r := h.send("PATCH", adminKeys+"/svc", adminKey, map[string]any{"name": "other"}); r.status != http.StatusBadRequest || r.errorType(t) != "BadRequestError" {
			t.Fatalf("rename onto a taken name: %d %s", r.status, r.raw)
		}
		if r := h.send("PATCH", adminKeys+"/svc", adminKey, map[string]any{"name": "svc2"}); r.status != http.StatusOK || r.json(t)["key_id"] != created["key_id"] {
			t.Fatalf("rename: %d %s", r.status, r.raw)
		}
		if r := h.send("PATCH", adminKeys+"/svc", adminKey, map[string]any{"description": "x"}); r.status != http.StatusNotFound {
			t.Fatalf("old name after rename: %d", r.status)
		}
	})
	t.Run("status expired cannot be set", func(t *testing.T) {
		r := h.send("PATCH", adminKeys+"/svc2", adminKey, map[string]any{"status": "expired", "description": "changed?"})
		if r.status != http.StatusBadRequest {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if listKeys(t, h, "")["svc2"]["description"] != "" {
			t.Error("a refused PATCH changed the description")
		}
	})
	t.Run("status revoked revokes, and revoked stays revoked", func(t *testing.T) {
		r := h.send("PATCH", adminKeys+"/svc2", adminKey, map[string]any{"status": "revoked"})
		if r.status != http.StatusOK || r.json(t)["status"] != "revoked" || r.json(t)["revoked_at"] == nil {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := h.send("GET", secretsURL, created["key"].(string), nil); r.status != http.StatusUnauthorized {
			t.Errorf("revoked key authenticates: %d", r.status)
		}
		if r := h.send("PATCH", adminKeys+"/svc2", adminKey, map[string]any{"status": "active"}); r.status != http.StatusBadRequest {
			t.Errorf("reactivation: %d %s", r.status, r.raw)
		}
		if r := h.send("PATCH", adminKeys+"/svc2", adminKey, map[string]any{"description": "x"}); r.status != http.StatusNotFound {
			t.Errorf("PATCH of a revoked key: %d %s", r.status, r.raw)
		}
	})
	t.Run("unknown key and user", func(t *testing.T) {
		for _, path := range []string{adminKeys + "/nope", "/v1/organizations/users/x%40y.z/api-keys/svc"} {
			if r := h.send("PATCH", path, adminKey, map[string]any{"description": "x"}); r.status != http.StatusNotFound {
				t.Errorf("%s: %d", path, r.status)
			}
		}
	})
	t.Run("an expired key becomes active with a later expires_at", func(t *testing.T) {
		h.createKey(map[string]any{"name": "short", "expires_at": h.clock.Now().Add(time.Second).Format(time.RFC3339)})
		h.clock.Advance(time.Minute)
		if s := listKeys(t, h, "")["short"]["status"]; s != "expired" {
			t.Fatalf("status %v", s)
		}
		if r := h.send("PATCH", adminKeys+"/short", adminKey, map[string]any{"status": "active"}); r.status != http.StatusBadRequest {
			t.Errorf("active without a new expiry: %d", r.status)
		}
		later := h.clock.Now().Add(time.Hour).Format(time.RFC3339)
		if r := h.send("PATCH", adminKeys+"/short", adminKey, map[string]any{"status": "active", "expires_at": later}); r.status != http.StatusOK || r.json(t)["status"] != "active" {
			t.Errorf("%d %s", r.status, r.raw)
		}
	})
}

func TestRotateKey(t *testing.T) {
	h := newHarness(t)
	old := h.createKey(map[string]any{"name": "rot", "permissions": []string{"read"}})
	h.send("GET", secretsURL, old["key"].(string), nil) // sets last_used_at
	r := h.send("POST", adminKeys+"/rot/rotate", adminKey, nil)
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	rotated := r.json(t)
	newKey := rotated["key"].(string)
	if newKey == old["key"] || !plaintextRE.MatchString(newKey) {
		t.Fatalf("new key %q", newKey)
	}
	if rotated["key_hash"] != sha(newKey) || rotated["key_prefix"] != newKey[:10]+"..." {
		t.Errorf("hash or prefix do not follow the new key: %v", rotated)
	}
	for _, f := range []string{"name", "key_id", "internal_id", "user_id", "created_at"} {
		if rotated[f] != old[f] {
			t.Errorf("%s changed: %v -> %v", f, old[f], rotated[f])
		}
	}
	if rotated["last_used_at"] != nil {
		t.Errorf("last_used_at of fresh material = %v", rotated["last_used_at"])
	}
	if r := h.send("GET", secretsURL, old["key"].(string), nil); r.status != http.StatusUnauthorized {
		t.Errorf("old key after rotation: %d", r.status)
	}
	if r := h.send("GET", secretsURL, newKey, nil); r.status != http.StatusOK {
		t.Errorf("new key: %d", r.status)
	}
	for _, tc := range []struct{ method, path string }{
		{"POST", adminKeys + "/nope/rotate"},
		{"DELETE", adminKeys + "/nope"},
	} {
		if r := h.send(tc.method, tc.path, adminKey, nil); r.status != http.StatusNotFound {
			t.Errorf("%s %s: %d", tc.method, tc.path, r.status)
		}
	}
	h.send("DELETE", adminKeys+"/rot", adminKey, nil)
	for _, tc := range []struct{ method, path string }{
		{"POST", adminKeys + "/rot/rotate"},
		{"DELETE", adminKeys + "/rot"},
	} {
		if r := h.send(tc.method, tc.path, adminKey, nil); r.status != http.StatusNotFound {
			t.Errorf("%s of a revoked key: %d", tc.method, r.status)
		}
	}
}

func TestAdminKeyIsProtected(t *testing.T) {
	h := newHarness(t)
	before := listKeys(t, h, "")["admin-key"]
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"PATCH", adminKeys + "/admin-key", map[string]any{}},
		{"PATCH", adminKeys + "/admin-key", map[string]any{"status": "revoked"}},
		{"PATCH", adminKeys + "/admin-key", map[string]any{"permissions": []string{"read"}}},
		{"DELETE", adminKeys + "/admin-key", nil},
		{"POST", adminKeys + "/admin-key/rotate", nil},
	} {
		r := h.send(tc.method, tc.path, adminKey, tc.body)
		if r.status != http.StatusForbidden || r.errorType(t) != "ForbiddenError" {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.raw)
		}
	}
	after := listKeys(t, h, "")["admin-key"]
	if diff := cmp.Diff(before, after, cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == "last_used_at" })); diff != "" {
		t.Errorf("the admin-key changed (-before +after):\n%s", diff)
	}
	if r := h.send("GET", secretsURL, adminKey, nil); r.status != http.StatusOK {
		t.Errorf("admin key after the attempts: %d", r.status)
	}
}

func TestLastUsedAtFollowsAuthentication(t *testing.T) {
	h := newHarness(t)
	k := h.createKey(map[string]any{"name": "user", "permissions": []string{"read"}})
	if got := listKeys(t, h, "")["user"]["last_used_at"]; got != nil {
		t.Fatalf("unused key has last_used_at %v", got)
	}
	h.clock.Advance(90 * time.Second)
	h.send("GET", secretsURL, k["key"].(string), nil)
	if got := listKeys(t, h, "")["user"]["last_used_at"]; got != "2026-01-02T03:05:35Z" {
		t.Errorf("last_used_at = %v", got)
	}
}

func TestOrganizationsAreIsolated(t *testing.T) {
	keyA, keyB := "sk_"+strings.Repeat("a", 43), "sk_"+strings.Repeat("b", 43)
	seed := fixtures.SeedOf(fixtures.Org("A", "a@a.test", keyA).WithSecret("shared_name", "value-a"), fixtures.Org("B", "b@b.test", keyB))
	h := newHarness(t, func(o *mockserver.Options) { o.Seed = seed })

	if r := h.send("GET", secretsURL, keyB, nil); !cmp.Equal(float64(0), r.json(t)["count"]) {
		t.Errorf("B sees A's secrets: %s", r.raw)
	}
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"PUT", secretsURL + "/shared_name", map[string]any{"secret_value": "from-b"}},
		{"DELETE", secretsURL + "/shared_name", nil},
		{"GET", "/v1/organizations/users/a%40a.test/api-keys", nil},
		{"POST", "/v1/organizations/users/a%40a.test/api-keys", map[string]any{"name": "intruder"}},
		{"DELETE", "/v1/organizations/users/a%40a.test/api-keys/admin-key", nil},
	} {
		if r := h.send(tc.method, tc.path, keyB, tc.body); r.status != http.StatusNotFound {
			t.Errorf("B: %s %s: %d %s", tc.method, tc.path, r.status, r.raw)
		}
	}
	// The same name in both: each organization has its own vault.
	if r := h.send("POST", secretsURL, keyB, map[string]any{"secret_name": "shared_name", "secret_value": "value-b"}); r.status != http.StatusCreated {
		t.Fatalf("B create: %d", r.status)
	}
	if v, _ := h.decryptSecret(0, "shared_name"); v != "value-a" {
		t.Errorf("A's value is now %q", v)
	}
	if v, _ := h.decryptSecret(1, "shared_name"); v != "value-b" {
		t.Errorf("B's value is %q", v)
	}
}

// A key's name is free again once the key is renamed, deleted or revoked, and taken while a
// live key has it, through any sequence of changes and a reset (the index of live keys by
// name follows every change).
func TestKeyNamesFollowEveryChange(t *testing.T) {
	h := newHarness(t)
	create := func(name string, want int) {
		t.Helper()
		if r := h.send("POST", adminKeys, adminKey, map[string]any{"name": name}); r.status != want {
			t.Fatalf("create %q: %d %s, want %d", name, r.status, r.raw, want)
		}
	}
	change := func(method, name string, body any, want int) {
		t.Helper()
		if r := h.send(method, adminKeys+"/"+name, adminKey, body); r.status != want {
			t.Fatalf("%s %q: %d %s, want %d", method, name, r.status, r.raw, want)
		}
	}
	create("one", http.StatusOK)
	create("one", http.StatusConflict)
	change("PATCH", "one", map[string]any{"name": "two"}, http.StatusOK) // renamed: "one" is free
	create("one", http.StatusOK)
	create("two", http.StatusConflict)
	change("DELETE", "two", nil, http.StatusOK) // deleted: "two" is free
	change("PATCH", "two", map[string]any{"description": "x"}, http.StatusNotFound)
	create("two", http.StatusOK)
	change("PATCH", "one", map[string]any{"status": "revoked"}, http.StatusOK) // revoked: "one" is free
	change("PATCH", "one", map[string]any{"description": "x"}, http.StatusNotFound)
	create("one", http.StatusOK)
	change("PATCH", "one", map[string]any{"name": "two"}, http.StatusBadRequest) // a refused rename changes nothing
	change("PATCH", "one", map[string]any{"description": "still one"}, http.StatusOK)
	if r := h.send("POST", "/_mock/reset", "", nil); r.status != http.StatusOK {
		t.Fatalf("reset: %d %s", r.status, r.raw)
	}
	create("one", http.StatusOK) // the reset's copy has its own index
	create("admin-key", http.StatusConflict)
}
