package otherchoices_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/otherchoices"
	"github.com/mixpeekkit/mixpeekkit/mockserver/mockservertest"
)

// Every open choice docs/behavior.md lists has a flip in the variant, and every flip a row.
func TestEveryOpenChoiceHasAFlip(t *testing.T) {
	doc, err := os.ReadFile("../../docs/behavior.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, m := range regexp.MustCompile(`(?m)^\| (O\d+) \|`).FindAllStringSubmatch(string(doc), -1) {
		rows = append(rows, m[1])
	}
	var flips []string
	for _, f := range otherchoices.Flips {
		flips = append(flips, f.ID)
	}
	if len(rows) < 10 || !slices.Equal(rows, flips) {
		t.Errorf("the open choices of docs/behavior.md are %v; the variant flips %v", rows, flips)
	}
}

// variant is a mock behind the variant, and a client that checks every answer against
// openapi.yaml: the variant's choices are the contract's too.
type variant struct {
	t    *testing.T
	mock *mockservertest.Server
	c    *contract.Contract
}

func newVariant(t *testing.T) *variant {
	mock := mockservertest.NewServer(t)
	mock.Wrap(otherchoices.Wrap)
	c, err := contract.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	return &variant{t: t, mock: mock, c: c}
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (v *variant) do(method, path string, body any) answer {
	v.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, v.mock.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+v.mock.AdminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	route, _, err := v.c.FindRoute(req)
	if err != nil {
		v.t.Fatalf("%s %s: no operation", method, path)
	}
	if err := v.c.CheckResponse(req.Context(), route, req, resp.StatusCode, resp.Header, raw); err != nil {
		v.t.Errorf("%s %s: the variant's answer breaks the contract: %v", method, path, err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

const keys = "/v1/organizations/users/admin%40example.com/api-keys"

// Each flip shows: the variant answers the other side of its open choice.
func TestEachFlipShows(t *testing.T) {
	v := newVariant(t)
	missing := v.do("DELETE", "/v1/organizations/secrets/absent", nil)
	errObj, _ := missing.body["error"].(map[string]any)
	invalid := v.do("POST", "/v1/organizations/secrets", map[string]any{})
	detail, _ := invalid.body["detail"].([]any)
	created := v.do("POST", "/v1/organizations/secrets", map[string]any{"secret_name": "s", "secret_value": "v"})
	k1 := v.do("POST", keys, map[string]any{"name": "k1", "description": "d1"})
	k2 := v.do("POST", keys, map[string]any{"name": "k2"})
	patched := v.do("PATCH", keys+"/k1", map[string]any{"description": nil, "scopes": nil})
	list := v.do("GET", keys, nil)
	results, _ := list.body["results"].([]any)
	renamed := v.do("PATCH", keys+"/k2", map[string]any{"name": "k1"})
	v.do("DELETE", keys+"/k2", nil)
	revived := v.do("PATCH", keys+"/k2", map[string]any{"status": "active"})
	reused := v.do("POST", keys, map[string]any{"name": "k2"})
	v.do("POST", keys, map[string]any{"name": "k3"})
	renamedOnto := v.do("PATCH", keys+"/k3", map[string]any{"name": "k2"})
	deleted := v.do("DELETE", keys+"/k1", nil)
	upper := v.do("GET", "/v1/organizations/users/ADMIN%40example.com/api-keys", nil)
	req, _ := http.NewRequest("GET", v.mock.URL+"/v1/organizations/secrets", nil)
	unauth, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	unauth.Body.Close()

	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	nameOf := func(r any) any { m, _ := r.(map[string]any); return m["name"] }
	for _, tc := range []struct {
		id   string
		show bool
	}{
		{"O1", missing.status == 404 && errObj != nil && errObj["details"] == nil && hasKey(errObj, "details")},
		{"O2", strings.HasPrefix(errObj["message"].(string), "refused:") && deleted.body["message"] == "revoked" &&
			len(detail) > 0 && strings.HasPrefix(detail[0].(map[string]any)["msg"].(string), "invalid here")},
		{"O3", invalid.status == 422 && len(detail) == 2 && locOf(detail[0]) == "secret_value" && locOf(detail[1]) == "secret_name"},
		{"O4", created.status == 201 && hasKey(created.body, "updated") && created.body["updated"] == nil && hasKey(created.body, "deleted")},
		{"O5", k2.status == 200 && !hasKey(k2.body, "expires_at") && !hasKey(k2.body, "rate_limit_override")},
		{"O6", !hasKey(k2.body, "key_type")},
		{"O7", !hasKey(k2.body, "status") && !hasKey(k2.body, "description") && k1.body["description"] == "d1"},
		{"O8", patched.status == 200 && patched.body["description"] == "d1"},
		{"O9", uuid.MatchString(str(k2.body["key_id"])) && uuid.MatchString(str(k2.body["user_id"])) && uuid.MatchString(str(k2.body["internal_id"]))},
		{"O10", len(results) == 3 && nameOf(results[0]) == "k2" && nameOf(results[1]) == "k1" && nameOf(results[2]) == "admin-key"},
		{"O11", regexp.MustCompile(`T\d\d:\d\d:\d\d\.\d{6}\+00:00$`).MatchString(str(k2.body["created_at"]))},
		{"O12", unauth.StatusCode == 401 && unauth.Header.Get("WWW-Authenticate") == "" && list.header.Get("Cache-Control") == ""},
		{"O13", list.body[otherchoices.Extra] == true && hasKey(results[0].(map[string]any), otherchoices.Extra) && missing.body[otherchoices.Extra] == true},
		{"O14", renamed.status == 422 && len(renamed.body["detail"].([]any)) == 1 && locOf(renamed.body["detail"].([]any)[0]) == "name"},
		{"O15", revived.status == 404},
		{"O16", upper.status == 404 && list.status == 200},
		{"O17", reused.status == 409 && reused.body["error"].(map[string]any)["type"] == "AlreadyExistsError" && renamedOnto.status == 422},
	} {
		if !tc.show {
			t.Errorf("%s does not show", tc.id)
		}
	}
	if len(otherchoices.Flips) != 17 {
		t.Errorf("%d flips: this test shows 17", len(otherchoices.Flips))
	}
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

func str(v any) string { s, _ := v.(string); return s }

// locOf is the last member of a 422 entry's loc.
func locOf(e any) string {
	m, _ := e.(map[string]any)
	loc, _ := m["loc"].([]any)
	if len(loc) == 0 {
		return ""
	}
	return str(loc[len(loc)-1])
}
