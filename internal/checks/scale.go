package checks

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"

	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

// scaleCount is how many secrets and keys the scale checks create: past any page of 100.
const scaleCount = 105

// burst is how many creates of one name the concurrency checks send at once.
const burst = 8

// Scale are the checks that need many resources, or requests at once: they run only with
// Config.Destructive (each says what it creates), and remove what they create when they end.
var Scale = []suite.Check{
	{ID: "scale/secrets-listed-in-full", Category: "scale", Destructive: true,
		Description: fmt.Sprintf("with %d more secrets, created in no particular order, the list holds every one, sorted, and count is their number (creates and deletes %d secrets)", scaleCount, scaleCount),
		Run: func(t *suite.T) {
			base := t.Name("secret")
			var made []string
			for _, i := range rand.Perm(scaleCount) {
				name := fmt.Sprintf("%s-%03d", base, i)
				made = append(made, name)
				t.TrackSecret(name, t.AdminAuth())
				t.MustStatus(t.Call("POST", suite.SecretsPath, map[string]any{"secret_name": name, "secret_value": t.SecretValue()}), http.StatusCreated)
			}
			listed, ex := t.ListedSecrets(t.AdminAuth())
			for _, name := range made {
				if !slices.Contains(listed, name) {
					t.Errorf(ex, "%s is not in the list of %d names", name, len(listed))
					break
				}
			}
			if !slices.IsSorted(listed) {
				t.Errorf(ex, "the %d names are not sorted", len(listed))
			}
		}},
	{ID: "scale/keys-listed-in-full", Category: "scale", Destructive: true,
		Description: fmt.Sprintf("with %d more keys, the list holds every one and total is their number (creates and revokes %d keys, which stay, revoked)", scaleCount, scaleCount),
		Run: func(t *suite.T) {
			var made []string
			for range scaleCount {
				made = append(made, t.NewKey("read").Str("name"))
			}
			ex := t.Call("GET", t.KeysPath(), nil)
			t.MustStatus(ex, http.StatusOK)
			results, _ := ex.Field("results").([]any)
			if total, _ := ex.Field("total").(float64); int(total) != len(results) {
				t.Errorf(ex, "total is %v for %d results", ex.Field("total"), len(results))
			}
			names := map[any]bool{}
			for _, r := range results {
				k, _ := r.(map[string]any)
				names[k["name"]] = true
			}
			for _, name := range made {
				if !names[name] {
					t.Errorf(ex, "%s is not in the list of %d keys", name, len(results))
					break
				}
			}
		}},
	{ID: "scale/concurrent-secret-creates", Category: "scale", Destructive: true,
		Description: fmt.Sprintf("%d creates of one secret name at once: one answers 201, the others 409 AlreadyExistsError, and the name is listed once", burst),
		Run: func(t *suite.T) {
			name := t.Name("secret")
			t.TrackSecret(name, t.AdminAuth())
			var rs []suite.Request
			for range burst {
				rs = append(rs, suite.Request{Method: "POST", Path: suite.SecretsPath, Auth: t.AdminAuth(),
					Body: map[string]any{"secret_name": name, "secret_value": t.SecretValue()}})
			}
			oneWins(t, t.DoAll(rs), http.StatusCreated)
			if listed, ex := t.ListedSecrets(t.AdminAuth()); countOf(listed, name) != 1 {
				t.Errorf(ex, "the name is listed %d times, want once", countOf(listed, name))
			}
		}},
	{ID: "scale/concurrent-key-creates", Category: "scale", Destructive: true,
		Description: fmt.Sprintf("%d creates of one key name at once: one answers 200, the others 409 AlreadyExistsError, and one live key has the name", burst),
		Run: func(t *suite.T) {
			name := t.Name("key")
			t.TrackKey(name)
			var rs []suite.Request
			for range burst {
				rs = append(rs, suite.Request{Method: "POST", Path: t.KeysPath(), Auth: t.AdminAuth(), Body: map[string]any{"name": name}})
			}
			oneWins(t, t.DoAll(rs), http.StatusOK)
			ex := t.Call("GET", t.KeysPath(), nil)
			results, _ := ex.Field("results").([]any)
			live := 0
			for _, r := range results {
				if k, _ := r.(map[string]any); k["name"] == name {
					live++
				}
			}
			if live != 1 {
				t.Errorf(ex, "%d live keys have the name, want 1", live)
			}
		}},
}

// oneWins checks that exactly one of the answers is the success and the others are 409.
func oneWins(t *suite.T, exs []*suite.Exchange, success int) {
	won := 0
	for _, ex := range exs {
		switch ex.Status {
		case success:
			won++
		case http.StatusConflict:
			t.ErrorAnswer(ex, http.StatusConflict, "AlreadyExistsError")
		default:
			t.Errorf(ex, "a create of the name answered %d, want %d or 409", ex.Status, success)
		}
	}
	if won != 1 {
		t.Errorf(exs[0], "%d of %d creates of one name at once succeeded, want 1", won, len(exs))
	}
}

// Matrix is the permission matrix walked in full: each permission that is not admin (and
// none) against each of the 9 operations, on resources that exist, so that a server that
// ignored the permission would answer a success.
var Matrix = []suite.Check{
	{ID: "permissions/matrix", Category: "permissions",
		Description: "keys with read, write, delete or no permission get 403 ForbiddenError on every operation but a read key's list of secrets, and nothing changes",
		Run: func(t *suite.T) {
			secret, _ := t.NewSecret(t.AdminAuth())
			made := t.NewKey("read")
			victim := made.Str("name")
			for _, perm := range [][]string{{"read"}, {"write"}, {"delete"}, {}} {
				key := suite.Bearer(t.NewKey(perm...).Str("key"))
				fresh, freshKey := t.Name("secret"), t.Name("key")
				t.TrackSecret(fresh, t.AdminAuth())
				t.TrackKey(freshKey)
				for _, r := range []suite.Request{
					{Method: "GET", Path: suite.SecretsPath, Auth: key},
					{Method: "POST", Path: suite.SecretsPath, Auth: key, Body: map[string]any{"secret_name": fresh, "secret_value": t.SecretValue()}},
					{Method: "PUT", Path: suite.SecretPath(secret), Auth: key, Body: map[string]any{"secret_value": t.SecretValue()}},
					{Method: "DELETE", Path: suite.SecretPath(secret), Auth: key},
					{Method: "GET", Path: t.KeysPath(), Auth: key},
					{Method: "POST", Path: t.KeysPath(), Auth: key, Body: map[string]any{"name": freshKey}},
					{Method: "PATCH", Path: t.KeyPath(victim), Auth: key, Body: map[string]any{"rate_limit_override": 7}},
					{Method: "POST", Path: t.KeyPath(victim) + "/rotate", Auth: key},
					{Method: "DELETE", Path: t.KeyPath(victim), Auth: key},
				} {
					ex := t.Do(r)
					if r.Method == "GET" && r.Path == suite.SecretsPath && slices.Contains(perm, "read") {
						t.WantStatus(ex, http.StatusOK)
						continue
					}
					if ex.Status != http.StatusForbidden {
						t.Errorf(ex, "a key with %v: %s answered %d, want 403", perm, ex.Operation, ex.Status)
						continue
					}
					t.ErrorAnswer(ex, http.StatusForbidden, "ForbiddenError")
				}
			}
			t.WantListed(t.AdminAuth(), secret, true, "a key without admin deleted a secret")
			if keys, ex := t.ListedKeys(false); keys[victim] == nil || keys[victim]["rate_limit_override"] != nil || keys[victim]["key_hash"] != made.Str("key_hash") {
				t.Errorf(ex, "a key without admin changed, rotated or revoked a key: %v", keys[victim])
			}
		}},
}
