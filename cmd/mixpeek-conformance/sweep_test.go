package main

import (
	"context"
	"strings"
	"testing"
)

// sweep lists with -dry-run and removes without it, a line per resource; it refuses to run
// without a prefix, or with one of a single character.
func TestSweep(t *testing.T) {
	t.Parallel() // a mock of its own
	mock := newMock(t)
	client := mock.Client(ownerKey)
	for path, body := range map[string]string{
		"/v1/organizations/secrets":                           `{"secret_name": "clisweep-abc123-secret", "secret_value": "v"}`,
		"/v1/organizations/users/owner%40org-a.test/api-keys": `{"name": "clisweep-abc123-key"}`,
	} {
		resp, err := client.Post(mock.URL+path, "application/json", strings.NewReader(body))
		if err != nil || resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %v %v", path, err, resp)
		}
		resp.Body.Close()
	}
	args := []string{"sweep", "-base-url", mock.URL, "-api-key", ownerKey, "-user-email", ownerEmail, "-rate", "0", "-prefix"}
	code, stdout, stderr := runCmd(context.Background(), append(args, "clisweep", "-dry-run"), nil)
	if code != 0 || !strings.Contains(stdout, "SKIP sweep/secret/clisweep-abc123-secret") || !strings.Contains(stdout, "SKIP sweep/api-key/clisweep-abc123-key") {
		t.Errorf("dry run: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCmd(context.Background(), append(args, "clisweep"), nil)
	if code != 0 || !strings.Contains(stdout, "PASS sweep/secret/clisweep-abc123-secret") || !strings.Contains(stdout, "PASS sweep/api-key/clisweep-abc123-key") {
		t.Errorf("sweep: exit %d\n%s%s", code, stdout, stderr)
	}
	if names, _ := mock.SecretNames(mock.OrganizationID); len(names) != 0 {
		t.Errorf("secrets after the sweep: %v", names)
	}
	for _, prefix := range []string{"", "c"} {
		code, _, stderr = runCmd(context.Background(), append(args, prefix), nil)
		if code != 2 || !strings.Contains(stderr, "-prefix") || strings.Contains(stderr, "Config.") {
			t.Errorf("-prefix %q: exit %d, %q", prefix, code, stderr)
		}
	}
}
