package checks

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

// Paths are the checks of names and paths: a name is kept as it was sent, and a path addresses
// the same resource however it is percent-encoded; a method a path does not serve is a 405.
var Paths = []suite.Check{
	{ID: "secrets/names-kept-as-sent", Category: "secrets",
		Description: "white space at the end of a secret name, a tab and other characters are part of the name: \"x \", \"x\\t\" and \"x\" are three secrets, listed as sent (the run's names start with its prefix, so none starts with a space)",
		Run: func(t *suite.T) {
			base := t.Name("secret")
			names := []string{base, base + " ", base + "\t", base + " \u00a0✓ "}
			for _, name := range names {
				t.TrackSecret(name, t.AdminAuth())
				ex := t.Call("POST", suite.SecretsPath, map[string]any{"secret_name": name, "secret_value": t.SecretValue()})
				if t.WantStatus(ex, http.StatusCreated) && ex.Field("secret_name") != name {
					t.Errorf(ex, "secret_name is %q, want %q as sent", ex.Field("secret_name"), name)
				}
			}
			listed, ex := t.ListedSecrets(t.AdminAuth())
			for _, name := range names {
				if !slices.Contains(listed, name) {
					t.Errorf(ex, "%q is not listed as sent", name)
				}
			}
		}},
	{ID: "api-keys/names-kept-as-sent", Category: "api-keys",
		Description: "white space at the end of a key name is part of the name: \"k \" and \"k\" are two keys, listed as sent",
		Run: func(t *suite.T) {
			base := t.Name("key")
			for _, name := range []string{base, base + " \t"} {
				t.TrackKey(name)
				ex := t.Call("POST", t.KeysPath(), map[string]any{"name": name})
				if t.WantStatus(ex, http.StatusOK) && ex.Field("name") != name {
					t.Errorf(ex, "name is %q, want %q as sent", ex.Field("name"), name)
				}
			}
			keys, ex := t.ListedKeys(false)
			if keys[base] == nil || keys[base+" \t"] == nil {
				t.Errorf(ex, "the two keys are not both listed as sent")
			}
		}},
	{ID: "secrets/paths-encoded-either-way", Category: "secrets",
		Description: "a secret's path addresses it whether its characters are percent-encoded or sent as they are (+ @ : ! $ ' ( ) *), in upper- or lower-case hex",
		Run: func(t *suite.T) {
			name := t.Name("secret") + " +@:!$'()*✓\t"
			t.TrackSecret(name, t.AdminAuth())
			t.MustStatus(t.Call("POST", suite.SecretsPath, map[string]any{"secret_name": name, "secret_value": t.SecretValue()}), http.StatusCreated)
			for _, path := range []string{
				suite.SecretsPath + "/" + encodeAll(name, "%%%02X"),
				suite.SecretsPath + "/" + encodeAll(name, "%%%02x"),
				suite.SecretPath(name), // the sub-delimiters and @ : as they are
			} {
				ex := t.Call("PUT", path, map[string]any{"secret_value": t.SecretValue()})
				if t.WantStatus(ex, http.StatusOK) && ex.Field("secret_name") != name {
					t.Errorf(ex, "the path addressed %q, want %q", ex.Field("secret_name"), name)
				}
			}
			if listed, ex := t.ListedSecrets(t.AdminAuth()); !slices.Contains(listed, name) || countOf(listed, name) != 1 {
				t.Errorf(ex, "%q is listed %d times, want once", name, countOf(listed, name))
			}
		}},
	{ID: "api-keys/paths-encoded-either-way", Category: "api-keys",
		Description: "a user's e-mail and a key's name address the same key whether percent-encoded or sent as they are (@ + and the like)",
		Run: func(t *suite.T) {
			name := t.Name("key") + "+a@b:c"
			t.TrackKey(name)
			t.MustStatus(t.Call("POST", t.KeysPath(), map[string]any{"name": name}), http.StatusOK)
			users := []string{
				"/v1/organizations/users/" + encodeAll(t.S.UserEmail, "%%%02X") + "/api-keys",
				"/v1/organizations/users/" + strings.ReplaceAll(t.S.UserEmail, "%", "%25") + "/api-keys", // @ and + as they are
			}
			for _, users := range users {
				ex := t.Call("GET", users, nil)
				if !t.WantStatus(ex, http.StatusOK) {
					continue
				}
				for _, key := range []string{encodeAll(name, "%%%02x"), strings.NewReplacer("%", "%25", "/", "%2F").Replace(name)} {
					ex := t.Call("PATCH", users+"/"+key, map[string]any{"rate_limit_override": 2})
					if t.WantStatus(ex, http.StatusOK) && ex.Field("name") != name {
						t.Errorf(ex, "the path addressed key %v, want %q", ex.Field("name"), name)
					}
				}
			}
		}},
	{ID: "contract/wrong-method-405", Category: "contract",
		Description: "a path of the contract with a method it does not serve answers 405 (decision P15), not 404 or a success",
		Run: func(t *suite.T) {
			secret := suite.SecretPath(t.Name("absent"))
			key := t.KeyPath(t.Name("absent"))
			for _, r := range []struct{ method, path string }{
				{"PUT", suite.SecretsPath}, {"DELETE", suite.SecretsPath},
				{"GET", secret}, {"POST", secret},
				{"PUT", t.KeysPath()}, {"DELETE", t.KeysPath()},
				{"GET", key}, {"PUT", key}, {"GET", key + "/rotate"}, {"DELETE", key + "/rotate"},
			} {
				ex := t.Call(r.method, r.path, nil)
				if ex.Status != http.StatusMethodNotAllowed {
					t.Errorf(ex, "%s on a path that does not serve it: want 405, got %d", r.method, ex.Status)
				}
			}
		}},
}

// encodeAll percent-encodes every byte of s that is not a letter, a digit or - . _ ~, with
// the format of one byte (%%%02X for upper-case hex).
func encodeAll(s, format string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, format, c)
		}
	}
	return b.String()
}

func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}
