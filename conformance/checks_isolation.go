package conformance

import (
	"net/http"
	"slices"
	"strings"
)

// hidden checks that a request of the other organization is refused with 404 or 403.
func (t *checkRun) hidden(r request, what string) {
	ex := t.do(r)
	if ex.Status != http.StatusNotFound && ex.Status != http.StatusForbidden {
		t.Errorf(ex, "%s: want 404 or 403, got %d", what, ex.Status)
	}
}

var isolationChecks = []Check{
	{ID: "isolation/secrets-invisible", Category: "isolation", NeedsPeer: true,
		Description: "another organization cannot list, update or delete this organization's secrets (404 or 403), and nothing changes",
		run: func(t *checkRun) {
			peer := bearer(t.s.cfg.PeerAPIKey)
			name, _ := t.newSecret(bearer(t.s.cfg.APIKey))
			if names, ex := t.listedSecrets(peer); slices.Contains(names, name) {
				t.Errorf(ex, "the peer organization lists this organization's secret")
			}
			t.hidden(request{method: "PUT", path: secretPath(name), auth: peer, body: map[string]any{"secret_value": t.secretValue()}}, "peer update")
			t.hidden(request{method: "DELETE", path: secretPath(name), auth: peer}, "peer delete")
			if names, ex := t.listedSecrets(bearer(t.s.cfg.APIKey)); !slices.Contains(names, name) {
				t.Errorf(ex, "the secret is gone after the peer's attempts")
			}
		}},
	{ID: "isolation/same-name-independent", Category: "isolation", NeedsPeer: true,
		Description: "each organization has its own vault: the same secret name can exist in both, and deleting one leaves the other",
		run: func(t *checkRun) {
			peer := bearer(t.s.cfg.PeerAPIKey)
			name, _ := t.newSecret(bearer(t.s.cfg.APIKey))
			t.trackPeerSecret(name)
			ex := t.do(request{method: "POST", path: secretsPath, auth: peer, body: map[string]any{"secret_name": name, "secret_value": t.secretValue()}})
			if !t.status(ex, http.StatusCreated) {
				return
			}
			t.mustStatus(t.do(request{method: "DELETE", path: secretPath(name), auth: peer}), http.StatusOK)
			t.untrackPeerSecret(name)
			if names, lex := t.listedSecrets(bearer(t.s.cfg.APIKey)); !slices.Contains(names, name) {
				t.Errorf(lex, "deleting the peer's secret deleted this organization's one")
			}
		}},
	{ID: "isolation/keys-invisible", Category: "isolation", NeedsPeer: true,
		Description: "another organization cannot list, change, rotate or delete this organization's API keys (404 or 403), and the key keeps working",
		run: func(t *checkRun) {
			peer := bearer(t.s.cfg.PeerAPIKey)
			k := t.newKey("read")
			name := k.str("name")
			// The peer may have a user of the same email: then it lists its own keys, never ours.
			if ex := t.do(request{method: "GET", path: t.keysPath(), auth: peer}); ex.Status == http.StatusOK {
				if strings.Contains(string(ex.raw), k.str("key_id")) {
					t.Errorf(ex, "the peer organization lists this organization's key")
				}
			} else if ex.Status != http.StatusNotFound && ex.Status != http.StatusForbidden {
				t.Errorf(ex, "peer list: want 404, 403, or 200 without this organization's keys; got %d", ex.Status)
			}
			intruder := t.name("key")
			t.trackKey(intruder)
			t.hidden(request{method: "POST", path: t.keysPath(), auth: peer, body: map[string]any{"name": intruder}}, "peer create")
			if keys, ex := t.listedKeys(true); keys[intruder] != nil {
				t.Errorf(ex, "the peer organization created a key for this organization's user")
			}
			t.hidden(request{method: "PATCH", path: t.keyPath(name), auth: peer, body: map[string]any{"rate_limit_override": 9}}, "peer update")
			t.hidden(request{method: "POST", path: t.keyPath(name) + "/rotate", auth: peer}, "peer rotate")
			t.hidden(request{method: "DELETE", path: t.keyPath(name), auth: peer}, "peer delete")
			t.works(k.str("key"), "the key after the peer's attempts")
		}},
}
