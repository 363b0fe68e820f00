package checks

import (
	"net/http"
	"strings"

	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

// hidden checks that a request of the other organization is refused with 404 or 403.
func hidden(t *suite.T, r suite.Request, what string) {
	ex := t.Do(r)
	if ex.Status != http.StatusNotFound && ex.Status != http.StatusForbidden {
		t.Errorf(ex, "%s: want 404 or 403, got %d", what, ex.Status)
	}
}

// Isolation are the checks that organizations do not see each other (they need a peer's key).
var Isolation = []suite.Check{
	{ID: "isolation/secrets-invisible", Category: "isolation", NeedsPeer: true,
		Description: "another organization cannot list, update or delete this organization's secrets (404 or 403), and nothing changes",
		Run: func(t *suite.T) {
			peer := suite.Bearer(t.S.PeerAPIKey)
			name, _ := t.NewSecret(t.AdminAuth())
			t.WantListed(peer, name, false, "the peer organization lists this organization's secret")
			hidden(t, suite.Request{Method: "PUT", Path: suite.SecretPath(name), Auth: peer, Body: map[string]any{"secret_value": t.SecretValue()}}, "peer update")
			hidden(t, suite.Request{Method: "DELETE", Path: suite.SecretPath(name), Auth: peer}, "peer delete")
			t.WantListed(t.AdminAuth(), name, true, "the secret is gone after the peer's attempts")
		}},
	{ID: "isolation/same-name-independent", Category: "isolation", NeedsPeer: true,
		Description: "each organization has its own vault: the same secret name can exist in both, and deleting one leaves the other",
		Run: func(t *suite.T) {
			peer := suite.Bearer(t.S.PeerAPIKey)
			name, _ := t.NewSecret(t.AdminAuth())
			t.TrackPeerSecret(name)
			ex := t.Do(suite.Request{Method: "POST", Path: suite.SecretsPath, Auth: peer, Body: map[string]any{"secret_name": name, "secret_value": t.SecretValue()}})
			if !t.WantStatus(ex, http.StatusCreated) {
				return
			}
			t.MustStatus(t.Do(suite.Request{Method: "DELETE", Path: suite.SecretPath(name), Auth: peer}), http.StatusOK)
			t.UntrackPeerSecret(name)
			t.WantListed(t.AdminAuth(), name, true, "deleting the peer's secret deleted this organization's one")
		}},
	{ID: "isolation/keys-invisible", Category: "isolation", NeedsPeer: true,
		Description: "another organization cannot list, change, rotate or delete this organization's API keys (404 or 403), and the key keeps working",
		Run: func(t *suite.T) {
			peer := suite.Bearer(t.S.PeerAPIKey)
			k := t.NewKey("read")
			name := k.Str("name")
			// The peer may have a user of the same email: then it lists its own keys, never ours.
			if ex := t.Do(suite.Request{Method: "GET", Path: t.KeysPath(), Auth: peer}); ex.Status == http.StatusOK {
				if strings.Contains(string(ex.Raw), k.Str("key_id")) {
					t.Errorf(ex, "the peer organization lists this organization's key")
				}
			} else if ex.Status != http.StatusNotFound && ex.Status != http.StatusForbidden {
				t.Errorf(ex, "peer list: want 404, 403, or 200 without this organization's keys; got %d", ex.Status)
			}
			intruder := t.Name("key")
			t.TrackKey(intruder)
			hidden(t, suite.Request{Method: "POST", Path: t.KeysPath(), Auth: peer, Body: map[string]any{"name": intruder}}, "peer create")
			if keys, ex := t.ListedKeys(true); keys[intruder] != nil {
				t.Errorf(ex, "the peer organization created a key for this organization's user")
			}
			hidden(t, suite.Request{Method: "PATCH", Path: t.KeyPath(name), Auth: peer, Body: map[string]any{"rate_limit_override": 9}}, "peer update")
			hidden(t, suite.Request{Method: "POST", Path: t.KeyPath(name) + "/rotate", Auth: peer}, "peer rotate")
			hidden(t, suite.Request{Method: "DELETE", Path: t.KeyPath(name), Auth: peer}, "peer delete")
			t.Works(k.Str("key"), "the key after the peer's attempts")
		}},
}
