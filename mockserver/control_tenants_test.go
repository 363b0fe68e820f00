package mockserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/internal/determinism"

	"github.com/google/go-cmp/cmp"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

func TestTenants(t *testing.T) {
	h := newHarness(t)
	r := h.ctl("POST", "/_mock/orgs", map[string]any{"name": "job-1"})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	org := r.json(t)
	key, email, id := org["admin_key"].(string), org["owner_email"].(string), org["organization_id"].(string)
	if !plaintextRE.MatchString(key) || !orgIDRE.MatchString(id) || !strings.HasSuffix(email, ".example.com") {
		t.Fatalf("created %v", org)
	}
	// The tenant works, and sees nothing of the default organization, nor it of the tenant.
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "default-only", "secret_value": "v"})
	if r := h.send("POST", secretsURL, key, map[string]any{"secret_name": "tenant-only", "secret_value": "v"}); r.status != http.StatusCreated {
		t.Fatalf("tenant create: %d", r.status)
	}
	if r := h.send("GET", secretsURL, key, nil); !cmp.Equal([]any{"tenant-only"}, r.json(t)["secrets"]) {
		t.Errorf("tenant sees %s", r.raw)
	}
	if r := h.send("GET", "/v1/organizations/users/"+strings.Replace(email, "@", "%40", 1)+"/api-keys", key, nil); r.status != http.StatusOK {
		t.Errorf("tenant lists its owner's keys: %d", r.status)
	}
	if r := h.send("GET", "/v1/organizations/users/"+strings.Replace(email, "@", "%40", 1)+"/api-keys", adminKey, nil); r.status != http.StatusNotFound {
		t.Errorf("the default organization sees the tenant's user: %d", r.status)
	}

	orgs := h.ctl("GET", "/_mock/orgs", nil).json(t)["organizations"].([]any)
	if len(orgs) != 2 || orgs[1].(map[string]any)["seeded"] != false || orgs[0].(map[string]any)["owner_email"] != adminEmail {
		t.Errorf("orgs: %v", orgs)
	}

	t.Run("reset of one organization", func(t *testing.T) {
		if r := h.ctl("POST", "/_mock/orgs/"+id+"/reset", nil); r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := h.send("GET", secretsURL, key, nil); r.json(t)["count"] != float64(0) {
			t.Errorf("tenant after its reset: %s", r.raw)
		}
		if r := h.send("GET", secretsURL, adminKey, nil); r.json(t)["count"] != float64(1) {
			t.Errorf("the default organization was reset too: %s", r.raw)
		}
		if r := h.ctl("POST", "/_mock/orgs/org_nope/reset", nil); r.status != http.StatusNotFound {
			t.Errorf("unknown org: %d", r.status)
		}
	})
	t.Run("a given key and email", func(t *testing.T) {
		own := "sk_" + strings.Repeat("t", 43)
		r := h.ctl("POST", "/_mock/orgs", map[string]any{"owner_email": "ci@job.test", "admin_key": own})
		if r.status != http.StatusCreated || r.json(t)["admin_key"] != own {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := h.ctl("POST", "/_mock/orgs", map[string]any{"admin_key": own}); r.status != http.StatusBadRequest {
			t.Errorf("the same key twice: %d %s", r.status, r.raw)
		}
		if r := h.ctl("POST", "/_mock/orgs", map[string]any{"admin_key": "short"}); r.status != http.StatusUnprocessableEntity {
			t.Errorf("a malformed key: %d %s", r.status, r.raw)
		}
		if r := h.ctl("POST", "/_mock/orgs", map[string]any{"owner_email": "nope"}); r.status != http.StatusBadRequest || strings.Contains(string(r.raw), "seed:") {
			t.Errorf("a bad email: %d %s", r.status, r.raw)
		}
	})
	t.Run("delete, and reset of all removes created organizations", func(t *testing.T) {
		if r := h.ctl("DELETE", "/_mock/orgs/"+id, nil); r.status != http.StatusOK {
			t.Fatalf("%d", r.status)
		}
		if r := h.send("GET", secretsURL, key, nil); r.status != http.StatusUnauthorized {
			t.Errorf("a deleted tenant's key: %d", r.status)
		}
		h.ctl("POST", "/_mock/reset", nil)
		if n := len(h.ctl("GET", "/_mock/orgs", nil).json(t)["organizations"].([]any)); n != 1 {
			t.Errorf("%d organizations after reset", n)
		}
	})
}

// A key that a reset would bring back cannot become another organization's key.
func TestResetNeverGivesAKeyTwoOrganizations(t *testing.T) {
	ci := "sk_" + strings.Repeat("c", 43)
	seed := fixtures.SeedOf(defaultOrg.WithReadOnlyKey("ci", ci))
	h := newHarness(t, func(o *mockserver.Options) { o.Seed = seed })
	h.send("POST", adminKeys+"/ci/rotate", adminKey, nil)
	if r := h.ctl("POST", "/_mock/orgs", map[string]any{"admin_key": ci}); r.status != 400 {
		t.Fatalf("a tenant took a key a reset would restore: %d %s", r.status, r.raw)
	}
	if r := h.ctl("POST", "/_mock/orgs/"+h.state().Organizations[0].ID+"/reset", nil); r.status != 200 {
		t.Errorf("reset: %d", r.status)
	}
	if r := h.send("GET", secretsURL, ci, nil); r.status != 200 {
		t.Errorf("the restored key: %d", r.status)
	}
}

// Refused control requests draw nothing from a seeded random source.
func TestRefusedTenantsDoNotShiftIDs(t *testing.T) {
	next := func(refused bool) string {
		h := newHarness(t, func(o *mockserver.Options) { o.Rand = determinism.Rand(3) })
		if refused {
			h.ctl("POST", "/_mock/orgs", map[string]any{"owner_email": "nope"})
			h.ctl("POST", "/_mock/faults", map[string]any{"status": 500, "probability": 0.5, "operation_id": "list_secrets_v1_organizations_secrets_get"})
			h.send("GET", secretsURL, adminKey, nil)
		}
		return h.createKey(map[string]any{"name": "k"})["key_id"].(string)
	}
	if a, b := next(false), next(true); a != b {
		t.Errorf("key_id %s, after refused requests and a coin flip %s", a, b)
	}
}

// A control request that breaks control.yaml gets the 422 body, which names control.yaml.
func TestControlValidationNamesItsDocument(t *testing.T) {
	h := newHarness(t)
	r := h.ctl("POST", "/_mock/orgs", map[string]any{"admin_key": "sk_short"})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	want := []any{map[string]any{"loc": []any{"body", "admin_key"}, "msg": `Input fails the "pattern" rule of control.yaml`, "type": "value_error"}}
	if diff := cmp.Diff(want, r.json(t)["detail"]); diff != "" {
		t.Errorf("detail (-want +got):\n%s", diff)
	}
}

// A tenant's admin key is taken while the tenant exists, and free again once the tenant is
// deleted or the whole mock reset; a seeded organization's key stays taken for good.
func TestTenantKeysTakenAndFreed(t *testing.T) {
	h := newHarness(t)
	key := "sk_" + strings.Repeat("q", 40)
	refused := func(what, with string) {
		t.Helper()
		if r := h.ctl("POST", "/_mock/orgs", map[string]any{"admin_key": with}); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", what, r.status)
		}
	}
	first := h.createOrg(map[string]any{"admin_key": key})
	refused("the key of a live tenant", key)
	refused("the seeded organization's key", adminKey)
	if r := h.ctl("DELETE", "/_mock/orgs/"+first.ID, nil); r.status != http.StatusOK {
		t.Fatalf("delete: %d", r.status)
	}
	again := h.createOrg(map[string]any{"admin_key": key})
	if r := h.send("GET", secretsURL, key, nil); r.status != http.StatusOK {
		t.Errorf("the new tenant's key: %d", r.status)
	}
	if again.ID == first.ID {
		t.Error("the new tenant has the deleted one's ID")
	}
	h.srv.Reset()
	h.createOrg(map[string]any{"admin_key": key})
	refused("the key of a tenant made after the reset", key)
	refused("the seeded organization's key, after a reset", adminKey)
}
