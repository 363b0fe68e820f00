package mockserver_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

// wantKind fails unless err is a refusal of that kind, whose message names what it is about
// (a word of it: the resource, the field).
func wantKind(t *testing.T, err, kind error, about string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want a refusal of kind %v", err, kind)
	}
	if err.Error() == "" || !strings.Contains(strings.ToLower(err.Error()), about) {
		t.Errorf("%v: message %q, want it to name %q", kind, err.Error(), about)
	}
}

// The Go methods do what the control API does (tenants aside: they are the control API's),
// and refuse with an error a Go caller can inspect with errors.Is.
func TestGoMethodsMirrorTheControlAPI(t *testing.T) {
	h := newHarness(t)
	mock := h.srv

	tenant := h.createOrg(map[string]any{"name": "job-42"})
	if tenant.Name != "job-42" || tenant.ID == "" || !sensitive.IsKey(tenant.AdminKey) || tenant.OwnerEmail == "" {
		t.Fatalf("POST /_mock/orgs = %+v", tenant)
	}
	orgs := mock.Organizations()
	if len(orgs) != 2 || orgs[1] != (mockserver.Organization{ID: tenant.ID, Name: "job-42", OwnerEmail: tenant.OwnerEmail}) {
		t.Errorf("Organizations = %+v", orgs)
	}

	if r := h.send("POST", secretsURL, tenant.AdminKey, map[string]any{"secret_name": "b", "secret_value": "vb"}); r.status != http.StatusCreated {
		t.Fatalf("create as the tenant: %d", r.status)
	}
	h.send("POST", secretsURL, tenant.AdminKey, map[string]any{"secret_name": "a", "secret_value": "va"})
	if names, err := mock.SecretNames(tenant.ID); err != nil || !slices.Equal(names, []string{"a", "b"}) {
		t.Errorf("SecretNames = %v, %v", names, err)
	}
	if v, err := mock.SecretValue(tenant.ID, "b"); err != nil || v != "vb" {
		t.Errorf("SecretValue = %q, %v", v, err)
	}
	_, err := mock.SecretValue(tenant.ID, "nope")
	wantKind(t, err, mockserver.ErrNotFound, "secret")
	keys, err := mock.APIKeys(tenant.ID, tenant.OwnerEmail)
	if err != nil || len(keys) != 1 || keys[0].Name != "admin-key" || keys[0].Status != "active" || keys[0].KeyHash != sensitive.Hash(tenant.AdminKey) {
		t.Errorf("APIKeys = %+v, %v", keys, err)
	}
	_, err = mock.APIKeys(tenant.ID, "nobody@example.com")
	wantKind(t, err, mockserver.ErrNotFound, "user")

	if r := h.ctl("DELETE", "/_mock/orgs/"+tenant.ID, nil); r.status != http.StatusOK {
		t.Fatalf("delete of the tenant: %d", r.status)
	}
	for _, err := range []error{
		func() error { _, err := mock.SecretNames(tenant.ID); return err }(),
		func() error { _, err := mock.SecretValue(tenant.ID, "b"); return err }(),
		func() error { _, err := mock.Recording(tenant.ID); return err }(),
		func() error { _, err := mock.APIKeys(tenant.ID, tenant.OwnerEmail); return err }(),
	} {
		wantKind(t, err, mockserver.ErrNotFound, "organization")
	}
	if r := h.send("GET", secretsURL, tenant.AdminKey, nil); r.status != http.StatusUnauthorized {
		t.Errorf("the deleted tenant's key: %d", r.status)
	}

	f, err := mock.AddFault(mockserver.Fault{ID: "mine", Hits: 7, OperationID: mixpeekkit.OpListSecrets, Status: 500})
	if err != nil || f.ID == "mine" || f.ID == "" || f.Hits != 0 || f.Probability != 1 || f.Times != 0 {
		t.Fatalf("AddFault = %+v, %v", f, err)
	}
	if r := h.send("GET", secretsURL, adminKey, nil); r.status != http.StatusInternalServerError {
		t.Errorf("the fault did not answer: %d", r.status)
	}
	if got := mock.Faults(); len(got) != 1 || got[0].ID != f.ID || got[0].Hits != 1 {
		t.Errorf("Faults = %+v", got)
	}
	if err := mock.RemoveFault(f.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, mock.RemoveFault(f.ID), mockserver.ErrNotFound, "fault")
	_, err = mock.AddFault(mockserver.Fault{Status: 302})
	wantKind(t, err, mockserver.ErrInvalid, "")
	_, err = mock.AddFault(mockserver.Fault{Path: "[", Status: 500})
	wantKind(t, err, mockserver.ErrBadRequest, "path")

	start := mock.Now()
	if !start.Equal(h.clock.Now()) {
		t.Errorf("Now = %s, the clock %s", start, h.clock.Now())
	}
	if err := mock.AdvanceClock(time.Hour); err != nil || !mock.Now().Equal(start.Add(time.Hour)) {
		t.Errorf("AdvanceClock: %v, now %s", err, mock.Now())
	}
	wantKind(t, mock.AdvanceClock(-time.Second), mockserver.ErrBadRequest, "")
	wantKind(t, mock.SetClock(start.AddDate(300, 0, 0)), mockserver.ErrBadRequest, "")
	if n, left := mock.ClearRequests(), mock.Requests(); n < 3 || len(left) != 0 {
		t.Errorf("ClearRequests = %d, left %d", n, len(left))
	}
}
