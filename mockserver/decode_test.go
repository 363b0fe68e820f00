package mockserver_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Members the contract check never saw (another case of a property name) are never read, and
// of duplicate members the last wins, as in Python.
func TestBodiesAreReadAsTheContractSeesThem(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name, body, wantName, wantValue string
	}{
		{"case variant of the name", `{"secret_name": "ok", "Secret_Name": "", "secret_value": "v"}`, "ok", "v"},
		{"case variant past maxLength", `{"secret_name": "ok2", "SECRET_NAME": "` + strings.Repeat("x", 300) + `", "secret_value": "v"}`, "ok2", "v"},
		{"case variant of the value", `{"secret_name": "ok3", "secret_value": "v", "Secret_Value": ""}`, "ok3", "v"},
		{"duplicate members: the last wins", `{"secret_name": "ok4", "secret_value": 5, "secret_value": "last"}`, "ok4", "last"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.send("POST", secretsURL, adminKey, tc.body)
			if r.status != http.StatusCreated || r.json(t)["secret_name"] != tc.wantName {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			if v, _ := h.decryptSecret(0, tc.wantName); v != tc.wantValue {
				t.Errorf("stored value %q, want %q", v, tc.wantValue)
			}
		})
	}
	t.Run("case variant of permissions is ignored", func(t *testing.T) {
		r := h.send("POST", adminKeys, adminKey, `{"name": "k", "Permissions": ["superuser"], "Rate_Limit_Override": 0}`)
		if r.status != http.StatusOK || !cmp.Equal([]any{"read"}, r.json(t)["permissions"]) || r.json(t)["rate_limit_override"] != nil {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := h.send("GET", adminKeys, adminKey, nil); r.status != http.StatusOK {
			t.Errorf("the list broke: %d %s", r.status, r.raw)
		}
	})
}

func TestBodiesPydanticAcceptsOrRefuses(t *testing.T) {
	h := newHarness(t)
	t.Run("integral floats are integers", func(t *testing.T) {
		for i, v := range []string{"5.0", "5e0"} {
			r := h.send("POST", adminKeys, adminKey, `{"name": "int`+string(rune('a'+i))+`", "rate_limit_override": `+v+`}`)
			if r.status != http.StatusOK || r.json(t)["rate_limit_override"] != float64(5) {
				t.Errorf("%s: %d %s", v, r.status, r.raw)
			}
		}
	})
	t.Run("trailing data is not JSON", func(t *testing.T) {
		// Python: "Extra data: line 1 column 43 (char 42)".
		r := h.send("POST", secretsURL, adminKey, `{"secret_name": "t", "secret_value": "v"} xyz`)
		want := []any{map[string]any{"loc": []any{"body", float64(42)}, "msg": "JSON decode error", "type": "json_invalid"}}
		if r.status != http.StatusUnprocessableEntity || !cmp.Equal(want, r.json(t)["detail"]) {
			t.Errorf("%d %s", r.status, r.raw)
		}
	})
	t.Run("a value the schema allows but Go cannot hold names its field", func(t *testing.T) {
		r := h.send("POST", adminKeys, adminKey, `{"name": "leap", "expires_at": "2030-06-30T23:59:60Z"}`)
		detail, _ := r.json(t)["detail"].([]any)
		if r.status != http.StatusUnprocessableEntity || len(detail) != 1 || !cmp.Equal([]any{"body", "expires_at"}, detail[0].(map[string]any)["loc"]) {
			t.Errorf("%d %s", r.status, r.raw)
		}
	})
	t.Run("no Content-Type is read as JSON", func(t *testing.T) {
		req, _ := http.NewRequest("POST", h.url+secretsURL, strings.NewReader(`{"secret_name": "noct", "secret_value": "v"}`))
		req.Header.Set("Authorization", "Bearer "+adminKey)
		if r := h.do(req); r.status != http.StatusCreated {
			t.Errorf("%d %s", r.status, r.raw)
		}
	})
	t.Run("a body on GET is ignored", func(t *testing.T) {
		req, _ := http.NewRequest("GET", h.url+secretsURL, strings.NewReader(strings.Repeat("x", 2<<20)))
		req.Header.Set("Authorization", "Bearer "+adminKey)
		if r := h.do(req); r.status != http.StatusOK {
			t.Errorf("%d %.200s", r.status, r.raw)
		}
	})
}

// Paths are not cleaned: no bodiless 301 that a client would follow as a GET.
func TestPathsAreTakenAsTheyAre(t *testing.T) {
	h := newHarness(t)
	if r := h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": ".", "secret_value": "v"}); r.status != http.StatusCreated {
		t.Fatalf("create %q: %d", ".", r.status)
	}
	if r := h.send("DELETE", secretsURL+"/.", adminKey, nil); r.status != http.StatusOK || r.json(t)["secret_name"] != "." {
		t.Errorf("delete %q: %d %s", ".", r.status, r.raw)
	}
	for _, p := range []string{"//v1/organizations/secrets", "/v1/organizations/./secrets", "/v1/organizations/secrets/"} {
		r := h.send("POST", p, adminKey, map[string]any{"secret_name": "x", "secret_value": "v"})
		if r.status != http.StatusNotFound || r.errorType(t) != "NotFoundError" {
			t.Errorf("%s: %d %s", p, r.status, r.raw)
		}
	}
}

// Nested objects are read as the top level is: a scope member under another letter case is
// never read, so what is stored is what the contract check saw, and every later answer holds.
func TestNestedMembersAreReadExactly(t *testing.T) {
	h := newHarness(t)
	// The variants come after the exact members, so a case-insensitive reader would take them.
	scope := `{"resource_type": "namespace", "resource_id": "ns_1", "operations": ["read_data"],
		"RESOURCE_TYPE": "bogus", "Resource_Id": "other", "Operations": ["write_data"]}`
	want := []any{map[string]any{"resource_type": "namespace", "resource_id": "ns_1", "operations": []any{"read_data"}}}
	created := h.send("POST", adminKeys, adminKey, `{"name": "scoped", "scopes": [`+scope+`]}`)
	if created.status != http.StatusOK || !cmp.Equal(want, created.json(t)["scopes"]) {
		t.Fatalf("create: %d %s", created.status, created.raw)
	}
	patched := h.send("PATCH", adminKeys+"/scoped", adminKey, `{"scopes": [`+scope+`, `+scope+`]}`)
	if patched.status != http.StatusOK || !cmp.Equal(append(want, want...), patched.json(t)["scopes"]) {
		t.Fatalf("patch: %d %s", patched.status, patched.raw)
	}
	if got := listKeys(t, h, "")["scoped"]["scopes"]; !cmp.Equal(append(want, want...), got) {
		t.Errorf("listed scopes %v", got)
	}
}

// A date-time that is valid but falls past year 9999 or before year 1 once in UTC cannot be
// answered back: it is refused with a 422 at its place, and nothing is written.
func TestDateTimesThatCannotBeAnsweredBackAreRefused(t *testing.T) {
	h := newHarness(t)
	h.createKey(map[string]any{"name": "k"})
	before := h.state()
	for _, at := range []string{"9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+23:59"} {
		for _, r := range []reply{
			h.send("POST", adminKeys, adminKey, map[string]any{"name": "late", "expires_at": at}),
			h.send("PATCH", adminKeys+"/k", adminKey, map[string]any{"expires_at": at}),
		} {
			want := []any{map[string]any{"loc": []any{"body", "expires_at"},
				"msg": "Input is valid for openapi.yaml but out of the range this server can hold", "type": "value_error"}}
			if r.status != http.StatusUnprocessableEntity || !cmp.Equal(want, r.json(t)["detail"]) {
				t.Errorf("%s: %d %s", at, r.status, r.raw)
			}
		}
		if r := h.ctl("POST", "/_mock/clock", map[string]any{"set": at}); r.status != http.StatusUnprocessableEntity {
			t.Errorf("clock set %s: %d %s", at, r.status, r.raw)
		}
	}
	if diff := cmp.Diff(before, h.state()); diff != "" {
		t.Errorf("refused requests changed the state (-before +after):\n%s", diff)
	}
	if r := h.send("GET", adminKeys, adminKey, nil); r.status != http.StatusOK {
		t.Errorf("the list after: %d %s", r.status, r.raw)
	}
}

// Text JSON cannot carry unchanged (bad UTF-8, overlong forms, lone surrogates) is refused as
// FastAPI refuses it, in the bodies of the API and of the control API alike, and changes
// nothing: two different names never become one.
func TestBodiesWithInvalidTextAreRefused(t *testing.T) {
	h := newHarness(t)
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "a\uFFFDb", "secret_value": "v"})
	before := h.state()
	for _, tc := range []struct{ method, path, body string }{
		{"POST", secretsURL, "{\"secret_name\": \"a\xffb\", \"secret_value\": \"v\"}"},
		{"POST", secretsURL, `{"secret_name": "a\ud800b", "secret_value": "v"}`},
		{"POST", secretsURL, "{\"secret_name\": \"n\", \"secret_value\": \"\xc0\xaf\"}"},
		{"PUT", secretsURL + "/a%EF%BF%BDb", `{"secret_value": "\udfff"}`},
		{"POST", adminKeys, "{\"name\": \"k\xed\xa0\x80\"}"},
		{"PATCH", adminKeys + "/admin-key", `{"description": "\ud83d"}`},
	} {
		r := h.send(tc.method, tc.path, adminKey, tc.body)
		detail, _ := r.json(t)["detail"].([]any)
		if r.status != http.StatusUnprocessableEntity || len(detail) != 1 || detail[0].(map[string]any)["type"] != "json_invalid" {
			t.Errorf("%s %s %q: %d %s", tc.method, tc.path, tc.body, r.status, r.raw)
		}
	}
	if r := h.ctl("POST", "/_mock/orgs", "{\"name\": \"t\xff\"}"); r.status != http.StatusUnprocessableEntity {
		t.Errorf("control API: %d %s", r.status, r.raw)
	}
	if diff := cmp.Diff(before, h.state()); diff != "" {
		t.Errorf("refused bodies changed the state (-before +after):\n%s", diff)
	}
	// Valid text, surrogate pairs and U+FFFD itself included, is stored as sent.
	if r := h.send("POST", secretsURL, adminKey, `{"secret_name": "emoji", "secret_value": "\ud83d\ude00 \uFFFD é"}`); r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if v, _ := h.decryptSecret(0, "emoji"); v != "😀 \uFFFD é" {
		t.Errorf("stored %q", v)
	}
}

// FastAPI reads application/*+json bodies as JSON; so does the mock.
func TestPlusJSONBodiesAreJSON(t *testing.T) {
	h := newHarness(t)
	h.createKey(map[string]any{"name": "k"})
	for _, ct := range []string{"application/merge-patch+json", "application/vnd.api+json; charset=utf-8"} {
		req, _ := http.NewRequest("PATCH", h.url+adminKeys+"/k", strings.NewReader(`{"description": "`+ct+`"}`))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+adminKey)
		if r := h.do(req); r.status != http.StatusOK || r.json(t)["description"] != ct {
			t.Errorf("%s: %d %s", ct, r.status, r.raw)
		}
	}
	req, _ := http.NewRequest("PATCH", h.url+adminKeys+"/k", strings.NewReader(`{"description": "x"}`))
	req.Header.Set("Content-Type", "text/plain+json")
	req.Header.Set("Authorization", "Bearer "+adminKey)
	if r := h.do(req); r.status != http.StatusUnprocessableEntity {
		t.Errorf("text/plain+json: %d %s", r.status, r.raw)
	}
}

// A body cut short (a Content-Length longer than what the client sent before it closed its
// side) is not taken as complete: nothing is created.
func TestTruncatedBodiesAreNotProcessed(t *testing.T) {
	h := newHarness(t)
	body := `{"secret_name": "cut", "secret_value": "v"}`
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		secretsURL, adminKey, len(body)+50, body)
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	if names, _ := h.srv.SecretNames(h.srv.OrganizationID); len(names) != 0 {
		t.Errorf("the cut body created %v", names)
	}
}
