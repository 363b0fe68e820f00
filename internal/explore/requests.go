package explore

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

// track registers the names a step sends for cleanup (a server that creates where it should
// not is cleaned up too), and for the world's tidying.
func (w *world) track(st step) {
	secret := func(name string) {
		w.x.t.TrackSecret(name, suite.Bearer(w.x.s.APIKey))
		if !w.sent[name] {
			w.sent[name] = true
			w.secrets = append(w.secrets, name)
		}
	}
	key := func(name string) {
		w.x.t.TrackKey(name)
		if !w.sent[name] {
			w.sent[name] = true
			w.keys = append(w.keys, name)
		}
	}
	switch st.op {
	case opCreateSecret:
		secret(w.secretName(st.slot))
		if st.bad == 2 {
			secret(w.longName())
		}
	case opUpdateSecret, opDeleteSecret:
		secret(w.secretName(st.slot))
	case opCreateKey, opPatchKey, opRotateKey, opDeleteKey:
		key(w.keyName(st.slot))
		if st.to >= 0 {
			key(w.keyName(st.to))
		}
	}
}

// tidy removes what a world made as soon as it is done, so a long shrink leaves little to
// clean up: it deletes every secret name and revokes every key name the world sent. A name
// the server answers for (200, or 404: nothing there) needs no more cleanup; the run's
// cleanup still lists and sweeps whatever carries its prefix.
func (x *explorer) tidy(w *world) {
	admin := x.t.AdminAuth()
	for _, name := range w.secrets {
		if x.gone(suite.Request{Method: "DELETE", Path: suite.SecretPath(name), Auth: admin}) {
			x.t.Untrack(name, true)
		}
	}
	for _, name := range w.keys {
		if x.gone(suite.Request{Method: "DELETE", Path: x.t.KeyPath(name), Auth: admin}) {
			x.t.Untrack(name, false)
		}
	}
}

func (x *explorer) gone(r suite.Request) bool {
	if x.t.Ctx.Err() != nil {
		return false
	}
	ex, _, err := x.send(r)
	return err == nil && (ex.Status == http.StatusOK || ex.Status == http.StatusNotFound)
}

// request builds the request of a step in this world, with the key step key gave when it
// authenticates with a run key; false when no step of this world gave that key.
func (w *world) request(st step, key int) (suite.Request, bool) {
	cfg := w.x.s.Config
	var r suite.Request
	switch st.auth {
	case asAdmin:
		r.Auth = suite.Bearer(cfg.APIKey)
	case asKey:
		p, ok := w.plain[key]
		if !ok {
			return r, false
		}
		r.Auth = suite.Bearer(p)
	case asUnknown:
		r.Auth = suite.Bearer(suite.UnknownKey)
	}
	email := cfg.UserEmail
	if st.nobody {
		email = w.nobody()
	}
	keys := suite.UsersKeysPath(email)
	r.Method = "POST"
	switch st.op {
	case opCreateSecret:
		r.Path, r.Body = suite.SecretsPath, w.createSecretBody(st)
	case opListSecrets:
		r.Method, r.Path = "GET", suite.SecretsPath
	case opUpdateSecret:
		r.Method, r.Path, r.Body = "PUT", suite.SecretPath(w.secretName(st.slot)), w.updateSecretBody(st)
	case opDeleteSecret:
		r.Method, r.Path = "DELETE", suite.SecretPath(w.secretName(st.slot))
	case opCreateKey:
		r.Path, r.Body = keys, w.createKeyBody(st)
	case opListKeys:
		r.Method, r.Path = "GET", keys
		switch {
		case st.bad == 1:
			r.Path += "?include_revoked=perhaps"
		case st.revoked != "":
			r.Path += "?include_revoked=" + st.revoked
		}
	case opPatchKey:
		r.Method, r.Path, r.Body = "PATCH", keys+"/"+url.PathEscape(w.keyName(st.slot)), w.patchBody(st)
	case opRotateKey:
		r.Path = keys + "/" + url.PathEscape(w.keyName(st.slot)) + "/rotate"
	case opDeleteKey:
		r.Method, r.Path = "DELETE", keys+"/"+url.PathEscape(w.keyName(st.slot))
	}
	return r, true
}

func bodyJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The bodies of each operation: valid, or the n-th way (step.bad) to break the contract.

var badWhy = [numOps][]string{
	opCreateSecret: {"", "an empty secret_name", "a secret_name over 100 characters", "no secret_value", "a secret_value that is a number", "an empty secret_value", "a body that is not JSON"},
	opUpdateSecret: {"", "an empty secret_value", "no secret_value", "a secret_value that is a number"},
	opCreateKey:    {"", "an empty name", "a permission outside the enum", "no name", "a description over 500 characters", "rate_limit_override 0"},
	opListKeys:     {"", "include_revoked=perhaps"},
	opPatchKey:     {"", "an empty name", "a permission outside the enum", "a status outside the enum", "rate_limit_override 0", "a body that is not an object", "a description over 500 characters"},
}

func (w *world) createSecretBody(st step) string {
	name, value := w.secretName(st.slot), w.values[st.value]
	switch st.bad {
	case 1:
		name = ""
	case 2:
		name = w.longName()
	case 3:
		return bodyJSON(map[string]any{"secret_name": name})
	case 4:
		return bodyJSON(map[string]any{"secret_name": name, "secret_value": 12345})
	case 5:
		value = ""
	case 6:
		return `{"secret_name": "` + name + `", `
	}
	return bodyJSON(map[string]any{"secret_name": name, "secret_value": value})
}

func (w *world) updateSecretBody(st step) string {
	switch st.bad {
	case 1:
		return `{"secret_value":""}`
	case 2:
		return `{}`
	case 3:
		return `{"secret_value":12345}`
	}
	return bodyJSON(map[string]any{"secret_value": w.values[st.value]})
}

func (w *world) createKeyBody(st step) string {
	body := map[string]any{"name": w.keyName(st.slot), "permissions": permSets[st.perms]}
	if st.desc >= 0 {
		body["description"] = descriptions[st.desc]
	}
	switch st.bad {
	case 1:
		body["name"] = ""
	case 2:
		body["permissions"] = []string{"root"}
	case 3:
		delete(body, "name")
	case 4:
		body["description"] = strings.Repeat("d", 501)
	case 5:
		body["rate_limit_override"] = 0
	}
	return bodyJSON(body)
}

func (w *world) patchBody(st step) string {
	switch st.bad {
	case 1:
		return `{"name":""}`
	case 2:
		return `{"permissions":["root"]}`
	case 3:
		return `{"status":"paused"}`
	case 4:
		return `{"rate_limit_override":0}`
	case 5:
		return `[]`
	case 6:
		return bodyJSON(map[string]any{"description": strings.Repeat("d", 501)})
	}
	body := map[string]any{}
	if st.to >= 0 {
		body["name"] = w.keyName(st.to)
	}
	switch {
	case st.desc == -2:
		body["description"] = nil
	case st.desc >= 0:
		body["description"] = descriptions[st.desc]
	}
	if st.perms >= 0 {
		body["permissions"] = permSets[st.perms]
	}
	if st.status != "" {
		body["status"] = st.status
	}
	return bodyJSON(body)
}
