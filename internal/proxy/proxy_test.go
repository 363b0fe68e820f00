package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/otherchoices"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
	"github.com/mixpeekkit/mixpeekkit/mockserver/mockservertest"
)

const (
	ownerEmail = "owner@a.example"
	ownerKey   = "sk_proxy_test_owner_key_0123456789abcdefghijklmnop"
	peerEmail  = "owner@b.example"
	peerKey    = "sk_proxy_test_peer_key_0123456789abcdefghijklmnopq"
	// plantedKey is a plaintext key the broken server leaks; secretValue the value it echoes.
	plantedKey  = "sk_LEAKED_plaintext_key_0123456789abcdefghijkl"
	secretValue = "sv_DO-NOT-LEAK_4f1c2e"
)

// newProxy starts a proxy to upstream; logs go to the returned buffer.
func newProxy(t testing.TB, upstream string, opts Options) (*Proxy, *httptest.Server, *syncBuffer) {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	opts.Upstream, opts.Logger = u, slog.New(slog.NewJSONHandler(logs, nil))
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv, logs
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestConformanceRunThroughTheProxyHasNoViolation: the whole suite, through the proxy to the
// project's mock, passes and the proxy sees nothing wrong (the suite's deliberately invalid
// requests are all refused, as the contract asks).
func TestConformanceRunThroughTheProxyHasNoViolation(t *testing.T) {
	for _, other := range []bool{false, true} {
		t.Run(map[bool]string{false: "the mock", true: "the other choices"}[other], func(t *testing.T) {
			throughTheProxy(t, other)
		})
	}
}

// throughTheProxy runs the suite through the proxy to the mock, or to the variant that makes
// the other side of every open choice (internal/otherchoices): the proxy judges by the
// contract alone, so neither shows a violation.
func throughTheProxy(t *testing.T, otherChoices bool) {
	mock := mockservertest.NewServerWithOptions(t, mockserver.Options{Seed: fixtures.SeedOf(
		fixtures.Org("A", ownerEmail, ownerKey), fixtures.Org("B", peerEmail, peerKey))})
	if otherChoices {
		mock.Wrap(otherchoices.Wrap)
	}
	p, srv, logs := newProxy(t, mock.URL, Options{Header: true})
	steps := 60
	if testing.Short() {
		steps = 15 // make test; make test-all walks 60 steps
	}
	report, err := conformance.Run(context.Background(), conformance.Config{BaseURL: srv.URL, APIKey: ownerKey,
		UserEmail: ownerEmail, PeerAPIKey: peerKey, Destructive: true, Explore: steps, Seed: 7,
		Sleep: func(_ context.Context, d time.Duration) error { return mock.AdvanceClock(d) }})
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() || report.Passed < 60 {
		var b strings.Builder
		_ = report.WriteText(&b)
		t.Errorf("through the proxy: %s\n%s", report.Summary(), b.String())
	}
	// The suite checks decision S10 with every spelling of include_revoked pydantic reads:
	// those the contract does not write are lax coercions, the only violations of the run.
	for _, v := range p.Violations() {
		if v.Rule != "lax-coercion" || v.Pointer != "/query/include_revoked" {
			t.Errorf("a violation over a conforming run: %+v", v)
		}
	}
	if p.Total() == 0 || p.Total() != len(p.Violations()) || strings.Count(logs.String(), "contract violation") != p.Total() {
		t.Errorf("%d violations, want the lax spellings of include_revoked, each logged once:\n%s", p.Total(), logs.String())
	}
}

// broken is an upstream with one planted violation per route.
func broken(t *testing.T, got *[]*http.Request) *httptest.Server {
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*got = append(*got, r)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Upstream", "kept")
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.Method == "POST" && r.URL.Path == "/v1/organizations/secrets":
			// 200 instead of 201, and the value echoed.
			var req map[string]any
			_ = json.Unmarshal(body, &req)
			w.WriteHeader(http.StatusOK)
			_ = json.NewEncoder(w).Encode(map[string]any{"secret_name": req["secret_name"], "created": true, "secret_value": req["secret_value"]})
		case r.Method == "GET" && r.URL.Path == "/v1/organizations/secrets":
			// count as a string, and a plaintext key among the names.
			_, _ = io.WriteString(w, `{"secrets": ["a", "`+plantedKey+`"], "count": "2"}`)
		case r.Method == "PUT":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "updated")
		case r.Method == "DELETE":
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"success": false, "status": 400, "error": {"type": "NotFoundError", "message": "no such secret"}}`)
		case r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/api-keys"):
			// accepts an include_revoked the contract refuses
			_, _ = io.WriteString(w, `{"results": [], "total": 0}`)
		default:
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func send(t *testing.T, method, url, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ownerKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

const (
	opCreate = "create_secret_v1_organizations_secrets_post"
	opList   = "list_secrets_v1_organizations_secrets_get"
	opUpdate = "update_secret_v1_organizations_secrets__secret_name__put"
	opDelete = "delete_secret_v1_organizations_secrets__secret_name__delete"
	opKeys   = "list_api_keys_v1_organizations_users__user_email__api_keys_get"
)

// exchanges are the calls that meet each planted violation.
var exchanges = []struct{ method, path, body string }{
	{"POST", "/v1/organizations/secrets", `{"secret_name": "s1", "secret_value": "` + secretValue + `"}`},
	{"GET", "/v1/organizations/secrets", ""},
	{"PUT", "/v1/organizations/secrets/s1", `{"secret_value": "v2"}`},
	{"DELETE", "/v1/organizations/secrets/s1", ""},
	{"GET", "/v1/organizations/users/owner%40a.example/api-keys?include_revoked=maybe", ""},
}

type found struct{ Operation, Direction, Pointer, Rule string }

var planted = []found{
	{opCreate, "response", "/status", "declared status"},
	{opCreate, "response", "/body/secret_value", RuleSecretValue},
	{opDelete, "response", "/body/status", RuleErrorStatus},
	{opKeys, "request", "/query/include_revoked", "type"},
	{opList, "response", "/body/count", "type"},
	{opList, "response", "/body/secrets/1", RulePlaintextKey},
	{opUpdate, "response", "/header/Content-Type", "content type"},
}

func TestEachPlantedViolationOnce(t *testing.T) {
	var got []*http.Request
	up := broken(t, &got)
	p, srv, logs := newProxy(t, up.URL, Options{Header: true})
	for _, ex := range exchanges {
		resp := send(t, ex.method, srv.URL+ex.path, ex.body)
		if resp.Header.Get("X-Upstream") != "kept" || resp.Header.Get("X-Mixpeek-Violations") == "" {
			t.Errorf("%s %s: headers %v, want the upstream's and X-Mixpeek-Violations", ex.method, ex.path, resp.Header)
		}
	}
	var vs []found
	for _, v := range p.Violations() {
		vs = append(vs, found{v.Operation, v.Direction, v.Pointer, v.Rule})
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].Operation+vs[i].Pointer < vs[j].Operation+vs[j].Pointer })
	want := append([]found(nil), planted...)
	sort.Slice(want, func(i, j int) bool { return want[i].Operation+want[i].Pointer < want[j].Operation+want[j].Pointer })
	if diff := cmp.Diff(want, vs); diff != "" {
		t.Errorf("violations (-planted +reported):\n%s", diff)
	}
	if p.Total() != len(planted) || len(p.Counts()) != len(planted) {
		t.Errorf("total %d, %d counts; want %d each", p.Total(), len(p.Counts()), len(planted))
	}
	if n := strings.Count(logs.String(), `"msg":"contract violation"`); n != len(planted) {
		t.Errorf("%d violation lines logged, want %d", n, len(planted))
	}
	// Nothing secret in the logs, the list or the counts.
	listed := get(t, srv.URL+"/_mock/violations")
	for _, text := range []string{logs.String(), listed} {
		for _, s := range []string{secretValue, plantedKey, ownerKey} {
			if strings.Contains(text, s) {
				t.Errorf("%q shown:\n%s", s, text)
			}
		}
	}
	// The upstream got each request as it was sent.
	if len(got) != len(exchanges) || got[0].Header.Get("Authorization") != "Bearer "+ownerKey ||
		got[4].URL.RawQuery != "include_revoked=maybe" || got[4].URL.EscapedPath() != "/v1/organizations/users/owner%40a.example/api-keys" {
		t.Errorf("upstream requests: %d, first %v", len(got), got[0])
	}
}

// isErrorResponse fails unless body is an ErrorResponse of openapi.yaml whose status is want.
func isErrorResponse(t *testing.T, body []byte, want int) {
	t.Helper()
	c, err := contract.Parse(context.Background(), "openapi.yaml", mixpeekkit.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	if err := c.Doc.Components.Schemas["ErrorResponse"].Value.VisitJSON(v); err != nil {
		t.Errorf("not an ErrorResponse of openapi.yaml: %v\n%s", err, body)
	}
	if m, _ := v.(map[string]any); m["status"] != float64(want) {
		t.Errorf("status %v in the body, want %d", m["status"], want)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestAnswersPassUnchanged(t *testing.T) {
	var got []*http.Request
	up := broken(t, &got)
	_, srv, _ := newProxy(t, up.URL, Options{})
	resp := send(t, "GET", srv.URL+"/v1/organizations/secrets", "")
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != `{"secrets": ["a", "`+plantedKey+`"], "count": "2"}` || resp.Header.Get("X-Mixpeek-Violations") != "" {
		t.Errorf("answer changed: %d %v %s", resp.StatusCode, resp.Header, b)
	}
}

func TestStrictAnswers502WithTheViolations(t *testing.T) {
	var got []*http.Request
	up := broken(t, &got)
	_, srv, _ := newProxy(t, up.URL, Options{Strict: true})
	resp := send(t, "GET", srv.URL+"/v1/organizations/secrets", "")
	var body struct {
		Status int
		Error  struct {
			Type    string
			Details struct {
				UpstreamStatus int `json:"upstream_status"`
				Violations     []struct{ Pointer, Rule string }
			}
		}
	}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	isErrorResponse(t, raw, http.StatusBadGateway)
	if resp.StatusCode != 502 || body.Status != 502 || body.Error.Type != "ContractViolationError" || body.Error.Details.UpstreamStatus != 200 ||
		len(body.Error.Details.Violations) != 2 || strings.Contains(string(raw), plantedKey) || resp.Header.Get("X-Upstream") != "" {
		t.Errorf("strict: %d %s", resp.StatusCode, raw)
	}
	// A conforming exchange still passes.
	mock := mockservertest.NewServerWithOptions(t, mockserver.Options{Seed: fixtures.SeedOf(fixtures.Org("A", ownerEmail, ownerKey))})
	_, srv2, _ := newProxy(t, mock.URL, Options{Strict: true})
	if resp := send(t, "GET", srv2.URL+"/v1/organizations/secrets", ""); resp.StatusCode != 200 {
		t.Errorf("strict proxy to the mock: %d", resp.StatusCode)
	}
}

func TestViolationsEndpoint(t *testing.T) {
	var got []*http.Request
	up := broken(t, &got)
	p, srv, _ := newProxy(t, up.URL, Options{})
	send(t, "GET", srv.URL+"/v1/organizations/secrets", "")
	var listed struct {
		Total      int
		Violations []Violation
	}
	if err := json.Unmarshal([]byte(get(t, srv.URL+"/_mock/violations")), &listed); err != nil || listed.Total != 2 || len(listed.Violations) != 2 {
		t.Errorf("GET /_mock/violations: %+v %v", listed, err)
	}
	req, _ := http.NewRequest("DELETE", srv.URL+"/_mock/violations", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 || p.Total() != 0 || len(p.Violations()) != 0 {
		t.Errorf("DELETE: %v %v, total %d", resp, err, p.Total())
	}
	req, _ = http.NewRequest("POST", srv.URL+"/_mock/violations", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, DELETE" {
		t.Errorf("POST: %v %v", resp, err)
	}
	if len(got) != 1 {
		t.Errorf("the proxy's own endpoints reached the upstream: %d requests", len(got))
	}
}

func TestUpstreamFailures(t *testing.T) {
	t.Run("unreachable: 502", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		dead.Close()
		_, srv, _ := newProxy(t, dead.URL, Options{})
		resp := send(t, "GET", srv.URL+"/v1/organizations/secrets", "")
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 502 || !strings.Contains(string(b), "could not be reached") {
			t.Errorf("%d %s", resp.StatusCode, b)
		}
		isErrorResponse(t, b, http.StatusBadGateway)
	})
	t.Run("slow: 504", func(t *testing.T) {
		release := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(slow.Close)
		t.Cleanup(func() { close(release) })
		_, srv, _ := newProxy(t, slow.URL, Options{Timeout: 50 * time.Millisecond})
		resp := send(t, "GET", srv.URL+"/v1/organizations/secrets", "")
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 504 || !strings.Contains(string(b), "did not answer within 50ms") {
			t.Errorf("%d %s", resp.StatusCode, b)
		}
		isErrorResponse(t, b, http.StatusGatewayTimeout)
	})
	t.Run("a redirect is passed on, not followed", func(t *testing.T) {
		var elsewhere int
		other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere++ }))
		t.Cleanup(other.Close)
		redirecting := httptest.NewServer(http.RedirectHandler(other.URL+"/v1/organizations/secrets", http.StatusFound))
		t.Cleanup(redirecting.Close)
		_, srv, _ := newProxy(t, redirecting.URL, Options{})
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Get(srv.URL + "/v1/organizations/secrets")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || elsewhere != 0 {
			t.Errorf("status %d, other server hit %d times", resp.StatusCode, elsewhere)
		}
	})
	t.Run("a body over the bound: 413, not forwarded", func(t *testing.T) {
		var got []*http.Request
		up := broken(t, &got)
		_, srv, _ := newProxy(t, up.URL, Options{})
		resp := send(t, "POST", srv.URL+"/v1/organizations/secrets", `{"secret_name": "a", "secret_value": "`+strings.Repeat("x", MaxRequestBody)+`"}`)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || len(got) != 0 {
			t.Errorf("status %d, %d forwarded", resp.StatusCode, len(got))
		}
		b, _ := io.ReadAll(resp.Body)
		isErrorResponse(t, b, http.StatusRequestEntityTooLarge)
	})
}

func TestNewRefusesABadUpstream(t *testing.T) {
	for _, u := range []string{"ftp://x", "http://", "/relative"} {
		parsed, _ := url.Parse(u)
		if _, err := New(Options{Upstream: parsed}); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

// A request the upstream accepts only by pydantic's lax parsing is a lax-coercion, at the
// value's place, as the mock lists it; not a type violation.
func TestLaxRequestsAreLaxCoercions(t *testing.T) {
	mock := mockservertest.NewServerWithOptions(t, mockserver.Options{Seed: fixtures.SeedOf(
		fixtures.Org("A", ownerEmail, ownerKey))})
	p, srv, _ := newProxy(t, mock.URL, Options{})
	req, _ := http.NewRequest("POST", srv.URL+"/v1/organizations/users/"+url.PathEscape(ownerEmail)+"/api-keys",
		strings.NewReader(`{"name": "lax", "rate_limit_override": " 5 ", "expires_at": "2030-01-02"}`))
	req.Header.Set("Authorization", "Bearer "+ownerKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%v %v", err, resp)
	}
	resp.Body.Close()
	var got []string
	for _, v := range p.Violations() {
		got = append(got, v.Pointer+" "+v.Rule)
	}
	slices.Sort(got)
	if want := []string{"/body/expires_at lax-coercion", "/body/rate_limit_override lax-coercion"}; !slices.Equal(got, want) {
		t.Errorf("violations %v, want %v", got, want)
	}
}
