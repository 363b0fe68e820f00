package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"index/suffixarray"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	yaml3 "github.com/oasdiff/yaml3"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
)

// FuzzBody sends any body, with any Content-Type, to an operation that takes one, at a valid
// path, with a valid credential; a change is read back.
func FuzzBody(f *testing.F) {
	fs := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, index uint8, body []byte, contentType string) {
		fs.begin()
		op, target := fs.operation(fuzzBodyOperations[int(index)%len(fuzzBodyOperations)])
		fr := fs.v1(op.method, target, body, op.bodySchema())
		if op.control {
			fr = fs.ctl(op.method, target, body)
			fr.schema = op.bodySchema()
		}
		fr.header = fr.header[:1]
		if contentType != "" {
			fr.header = append(fr.header, [2]string{"Content-Type", contentType})
		}
		switch op.id {
		case string(mixpeekkit.OpCreateAPIKey):
			fr.creates = "key"
		case "mock_create_org":
			fr.creates = "admin_key"
		}
		r, ok := fs.do(t, fr)
		if !ok || r.status/100 != 2 {
			return
		}
		switch op.id {
		case "mock_create_org": // the new organization serves
			fs.do(t, fuzzRequest{method: "GET", target: "/v1/organizations/secrets", header: [][2]string{{"Authorization", "Bearer " + r.member("admin_key")}}})
			fs.do(t, fs.ctl("GET", "/_mock/orgs", nil))
		case "mock_create_fault": // listed, then removed before it can apply
			fs.do(t, fs.ctl("GET", "/_mock/faults", nil))
			fs.s.clearFaults()
		case "mock_set_clock":
			fs.do(t, fs.ctl("GET", "/_mock/clock", nil))
		}
		fs.readBack(t, op.id)
	})
}

// FuzzPathParams sends any two strings, escaped or raw, as the path parameters of each of the
// 9 operations (an operation without parameters gets the first one after its path), with a
// valid body where one is needed.
func FuzzPathParams(f *testing.F) {
	fs := newFuzzServer(f)
	bodies := map[string]string{
		string(mixpeekkit.OpCreateSecret): `{"secret_name": "path_fuzz", "secret_value": "path fuzz value 8d2e6b1f"}`,
		string(mixpeekkit.OpUpdateSecret): `{"secret_value": "path fuzz update 4c7a0e93"}`,
		string(mixpeekkit.OpCreateAPIKey): `{"name": "path-fuzz", "permissions": ["read", "write"]}`,
		string(mixpeekkit.OpUpdateAPIKey): `{"description": "path fuzz"}`,
	}
	f.Fuzz(func(t *testing.T, index uint8, first, second string, raw bool) {
		fs.begin()
		ops := operations()
		op, _ := fs.operation(ops[int(index)%len(ops)].id)
		escape := url.PathEscape
		if raw {
			escape = func(s string) string { return s }
		}
		target := op.path
		switch {
		case strings.Contains(target, "{secret_name}"):
			target = strings.Replace(target, "{secret_name}", escape(first), 1)
		case strings.Contains(target, "{user_email}"):
			target = strings.Replace(strings.Replace(target, "{user_email}", escape(first), 1), "{key_name}", escape(second), 1)
		default:
			target += escape(first)
		}
		var body []byte
		if b, ok := bodies[op.id]; ok {
			body = []byte(b)
		}
		fr := fs.v1(op.method, target, body, op.bodySchema())
		if op.id == string(mixpeekkit.OpCreateAPIKey) || op.id == string(mixpeekkit.OpRotateAPIKey) {
			fr.creates = "key"
		}
		if r, ok := fs.do(t, fr); ok && r.status/100 == 2 && op.method != http.MethodGet {
			fs.readBack(t, op.id)
		}
	})
}

// FuzzQuery sends any raw query to the list of API keys (include_revoked) and to the journal
// (GET /_mock/requests, whose filters meet the entries of a few earlier requests).
func FuzzQuery(f *testing.F) {
	fs := newFuzzServer(f)
	// The journal every input starts from: what these requests left.
	fs.begin()
	for _, fr := range []fuzzRequest{
		fs.v1("POST", "/v1/organizations/secrets", []byte(`{"secret_name": "q", "secret_value": "query fuzz journal value 5e0c"}`), fs.schema(mixpeekkit.OpCreateSecret)),
		{method: "GET", target: "/v1/organizations/secrets"},
		fs.v1("GET", "/v1/organizations/users/"+fuzzOwnerPath+"/api-keys?include_revoked=1&token="+fuzzReaderKey, nil, nil),
		fs.v1("POST", "/v1/organizations/users/"+fuzzOwnerPath+"/api-keys/sk_%74"+fuzzReaderKey[4:]+"/rotate", nil, nil),
		fs.v1("PATCH", "/v1/organizations/users/"+fuzzOwnerPath+"/api-keys/reader", []byte(`{"description": "d", "secret": "x"}`), fs.schema(mixpeekkit.OpUpdateAPIKey)),
		fs.v1("GET", "/v1/nowhere", nil, nil),
	} {
		fs.do(f, fr)
	}
	fs.replay = fs.s.Requests()
	fs.seeded = append(fs.seeded, newCanary("the secret value of the journal's first request", "query fuzz journal value 5e0c"))
	fs.seededText["query fuzz journal value 5e0c"] = true
	f.Fuzz(func(t *testing.T, query string) {
		fs.begin()
		fs.do(t, fs.v1("GET", "/v1/organizations/users/"+fuzzOwnerPath+"/api-keys?"+query, nil, nil))
		fs.do(t, fs.ctl("GET", "/_mock/requests?"+query, nil))
	})
}

// FuzzAuthorization sends any Authorization header to operations of each kind: a read, a
// write, a key rotation, and the control API (which needs the control token).
func FuzzAuthorization(f *testing.F) {
	fs := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, value string) {
		fs.begin()
		auth := [][2]string{{"Authorization", value}}
		for _, fr := range []fuzzRequest{
			{method: "GET", target: "/v1/organizations/secrets"},
			{method: "POST", target: "/v1/organizations/secrets", body: []byte(`{"secret_name": "auth_fuzz", "secret_value": "auth fuzz value 2b9d4e7a"}`),
				header: [][2]string{{"Content-Type", "application/json"}}, schema: fs.schema(mixpeekkit.OpCreateSecret)},
			{method: "GET", target: "/_mock/clock"},
			{method: "POST", target: "/v1/organizations/users/" + fuzzOwnerPath + "/api-keys/" + fuzzReaderName + "/rotate", creates: "key"},
		} {
			fr.header = append(auth, fr.header...)
			if r, ok := fs.do(t, fr); !ok {
				return // no server would pass the header on
			} else if r.status/100 == 2 && fr.method != http.MethodGet {
				fs.readBack(t, fr.method+" "+fr.target)
			}
		}
	})
}

// FuzzFixtures reads any data as a fixture file (JSON or YAML) and makes a mock of it: nothing
// panics, no error shows a secret value or a plaintext key of the data, and a mock that is made
// answers its state (without a plaintext) and its organizations.
func FuzzFixtures(f *testing.F) {
	vocab := suffixarray.New(fuzzVocabulary())
	f.Fuzz(func(t *testing.T, data []byte, isYAML bool) {
		name := "fuzz.json"
		if isYAML {
			name = "fuzz.yaml"
		}
		// The secrets of the data: every "value" and "key" string, read generically (also when
		// Parse refuses the data), unless the data has it elsewhere too or the mock has the
		// words itself.
		var canaries []canary
		secrets, others := fixtureStrings(data, isYAML)
		elsewhere := encodings(strings.Join(others, "\x00"))
		for _, s := range secrets {
			if len(s) < 6 {
				continue
			}
			c := newCanary("a secret value or key of the data "+strconv.Quote(s), s).without(func(n string) bool {
				return strings.Contains(elsewhere, n) || len(vocab.Lookup([]byte(n), 1)) > 0
			})
			if len(c.needles) > 0 {
				canaries = append(canaries, c)
			}
		}
		shows := func(what string, text []byte) {
			t.Helper()
			for _, c := range canaries {
				for _, n := range c.needles {
					if n.in(text) {
						t.Errorf("%s shows %s (%q):\n%s", what, c.what, n.text, text)
					}
				}
			}
		}
		file, err := fixtures.ParseFile(name, data)
		if err != nil {
			shows("the error of ParseFile", []byte(err.Error()))
			return
		}
		seed := file.Seed
		var jsonLog, textLog bytes.Buffer
		s, err := New(Options{Seed: seed, EncryptionKey: fuzzEncryptionKey, Clock: func() time.Time { return fuzzClockBase },
			Rand: rand.NewChaCha8([32]byte{}), Logger: fuzzLogger(&jsonLog, &textLog), StrictResponses: true})
		if err != nil {
			shows("the error of New", []byte(err.Error()))
			shows("the log", append(jsonLog.Bytes(), textLog.Bytes()...))
			return
		}
		tokens := regexp.MustCompile(`"token":"[^"]*"`)
		for _, target := range []string{"/_mock/state", "/_mock/orgs"} {
			req := httptest.NewRequest("GET", target, nil)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s of a mock made from the data: %d %s", target, rec.Code, rec.Body)
			}
			route, _, _ := s.control.FindRoute(req)
			if err := s.control.CheckResponse(context.Background(), route, req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
				t.Errorf("GET %s: %v", target, err)
			}
			shows("GET "+target+" (without the Fernet tokens)", tokens.ReplaceAll(rec.Body.Bytes(), nil))
		}
		shows("the log", append(jsonLog.Bytes(), textLog.Bytes()...))
	})
}

// fixtureStrings splits the strings of fixture data, read as YAML nodes or generic JSON, into
// the secrets (the strings under every "value" and "key" member, at any depth, keys of
// mappings included) and the others.
func fixtureStrings(data []byte, isYAML bool) (secrets, others []string) {
	add := func(s string, secret bool) {
		if secret {
			secrets = append(secrets, s)
		} else {
			others = append(others, s)
		}
	}
	isSecret := func(member string) bool { return member == "value" || member == "key" }
	if isYAML {
		var root yaml3.Node
		if yaml3.Unmarshal(data, &root) != nil {
			return nil, nil
		}
		type aliasVisit struct {
			n      *yaml3.Node
			secret bool
		}
		seen := map[aliasVisit]bool{}
		var walk func(n *yaml3.Node, secret bool, depth int)
		walk = func(n *yaml3.Node, secret bool, depth int) {
			if n == nil || depth > 100 {
				return
			}
			switch n.Kind {
			case yaml3.ScalarNode:
				add(n.Value, secret)
			case yaml3.MappingNode:
				for i := 0; i+1 < len(n.Content); i += 2 {
					k, v := n.Content[i], n.Content[i+1]
					walk(k, secret, depth+1) // a key may be a mapping, which may hold a secret
					walk(v, secret || k.Kind == yaml3.ScalarNode && isSecret(k.Value), depth+1)
				}
			case yaml3.AliasNode:
				// Each anchor is read once (as secret once, if ever): an alias bomb reaches
				// the same nodes billions of times.
				if !seen[aliasVisit{n.Alias, secret}] {
					seen[aliasVisit{n.Alias, secret}] = true
					walk(n.Alias, secret, depth+1)
				}
			default:
				for _, c := range n.Content {
					walk(c, secret, depth+1)
				}
			}
		}
		walk(&root, false, 0)
		return secrets, others
	}
	var v any
	if json.Unmarshal(data, &v) != nil {
		return nil, nil
	}
	var walk func(v any, secret bool)
	walk = func(v any, secret bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				add(k, secret)
				walk(e, secret || isSecret(k))
			}
		case []any:
			for _, e := range x {
				walk(e, secret)
			}
		case string:
			add(x, secret)
		}
	}
	walk(v, false)
	return secrets, others
}
