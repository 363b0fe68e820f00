package mockserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/determinism"

	"github.com/fernet/fernet-go"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/keyring"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
	"github.com/mixpeekkit/mixpeekkit/mockserver/mockservertest"
)

// defaultOrg is the default data set's organization, which a harness serves unless told
// otherwise.
var defaultOrg = func() fixtures.Organization {
	d, err := fixtures.Default()
	if err != nil {
		panic(err)
	}
	return d.Organizations[0]
}()

var (
	adminKey   = defaultOrg.AdminKey()
	adminEmail = defaultOrg.OwnerEmail()
)

const (
	secretsURL = "/v1/organizations/secrets"
	adminKeys  = "/v1/organizations/users/admin%40example.com/api-keys"
)

// fakeClock is the mock's clock in tests: fixed until advanced.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is one mock (mockservertest), with a checker that validates every answer against
// openapi.yaml with kin-openapi's own router, independently of the mock's strict mode.
type harness struct {
	t        *testing.T
	srv      *mockservertest.Server
	url      string
	clock    *fakeClock
	encKey   string
	contract *contract.Contract
	control  *contract.Contract // the control API's document, as the mock serves it
	logs     *syncBuffer
	token    string // the control token, when the options set one
}

func newKey(t testing.TB) string {
	t.Helper()
	var k fernet.Key
	if err := k.Generate(); err != nil {
		t.Fatal(err)
	}
	return k.Encode()
}

// newHarness starts a strict mock. change may adjust the options before New.
func newHarness(t *testing.T, change ...func(*mockserver.Options)) *harness {
	t.Helper()
	h := &harness{
		t:      t,
		clock:  &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		encKey: newKey(t),
		logs:   &syncBuffer{},
	}
	opts := mockserver.Options{
		EncryptionKey:   h.encKey,
		Clock:           h.clock.Now,
		Rand:            determinism.Rand(1),
		StrictResponses: true,
		Logger:          newJSONLogger(h.logs),
	}
	for _, f := range change {
		f(&opts)
	}
	if opts.EncryptionKey != h.encKey {
		h.encKey = opts.EncryptionKey
	}
	h.srv = mockservertest.NewServerWithOptions(t, opts)
	h.url = h.srv.URL
	var err error
	if h.contract, err = contract.Parse(context.Background(), "openapi.yaml", mixpeekkit.OpenAPI()); err != nil {
		t.Fatal(err)
	}
	h.token = opts.ControlToken
	resp, err := http.Get(h.url + "/_mock/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/yaml" {
		t.Fatalf("GET /_mock/openapi.yaml: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if h.control, err = contract.Parse(context.Background(), "control.yaml", doc); err != nil {
		t.Fatal(err)
	}
	return h
}

// ctl calls the control API (with the control token when there is one).
func (h *harness) ctl(method, path string, body any) reply {
	h.t.Helper()
	auth := ""
	if h.token != "" {
		auth = h.token
	}
	return h.send(method, path, auth, body)
}

// reply is one answer of the mock.
type reply struct {
	status int
	header http.Header
	raw    []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.raw, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, r.raw)
	}
	return m
}

// errorType is error.type of an ErrorResponse.
func (r reply) errorType(t *testing.T) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	typ, _ := e["type"].(string)
	return typ
}

// send makes a request with an optional API key and body. A string body is sent as it is
// (with a JSON Content-Type); anything else is encoded as JSON.
func (h *harness) send(method, path, key string, body any) reply {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				h.t.Fatal(err)
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return h.do(req)
}

// do sends req and validates the answer against openapi.yaml.
func (h *harness) do(req *http.Request) reply {
	h.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	h.checkContract(req, r)
	return r
}

// checkContract validates an answer: against its operation when the request addresses one,
// else (unknown route, wrong method, a fault's status outside the contract) against the
// ErrorResponse schema.
func (h *harness) checkContract(req *http.Request, r reply) {
	h.t.Helper()
	doc := h.contract
	if strings.HasPrefix(req.URL.Path, "/_mock/") {
		doc = h.control
		if req.URL.Path == "/_mock/openapi.yaml" {
			return
		}
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		h.t.Errorf("%s %s: Content-Type %q", req.Method, req.URL.Path, ct)
	}
	route, _, err := doc.FindRoute(req)
	if err == nil && doc == h.contract && route.Operation.Responses.Status(r.status) == nil {
		// A fault's answer outside the contract (429, 502, 503, 504), which the journal marks
		// as such: an ErrorResponse all the same.
		if entries := h.srv.Requests(); len(entries) > 0 && entries[len(entries)-1].OutsideContract {
			err = errors.New("outside the contract")
		}
	}
	if err != nil {
		var v any
		if err := json.Unmarshal(r.raw, &v); err != nil {
			h.t.Fatalf("answer is not JSON: %s", r.raw)
		}
		schema := h.contract.Doc.Components.Schemas["ErrorResponse"].Value
		if err := schema.VisitJSON(v, openapi3.MultiErrors()); err != nil {
			h.t.Errorf("%s %s: %d answer is not an ErrorResponse: %v", req.Method, req.URL.Path, r.status, err)
		}
		return
	}
	if err := doc.CheckResponse(context.Background(), route, req, r.status, r.header, r.raw); err != nil {
		h.t.Errorf("%v\nbody: %s", err, r.raw)
	}
}

// stateDoc is GET /_mock/state as a test reads it.
type stateDoc struct {
	Organizations []struct {
		ID    string `json:"organization_id"`
		Name  string `json:"name"`
		Users []struct {
			ID      string              `json:"user_id"`
			Email   string              `json:"email"`
			APIKeys []mockserver.APIKey `json:"api_keys"`
		} `json:"users"`
		Secrets []struct {
			Name      string `json:"secret_name"`
			Token     string `json:"token"`
			CreatedAt string `json:"created_at"`
			UpdatedAt string `json:"updated_at"`
		} `json:"secrets"`
	} `json:"organizations"`
}

// state reads everything the store holds through the control API (validated like every
// answer).
func (h *harness) state() stateDoc {
	h.t.Helper()
	r := h.ctl("GET", "/_mock/state", nil)
	var st stateDoc
	if err := json.Unmarshal(r.raw, &st); r.status != http.StatusOK || err != nil {
		h.t.Fatalf("GET /_mock/state: %d %v", r.status, err)
	}
	return st
}

// decryptSecret reads a stored secret's token from the state and opens it with the harness's
// encryption key ring.
func (h *harness) decryptSecret(orgIndex int, name string) (string, bool) {
	h.t.Helper()
	ring, err := keyring.Parse(h.encKey)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, s := range h.state().Organizations[orgIndex].Secrets {
		if s.Name == name {
			v, err := ring.Decrypt([]byte(s.Token))
			if err != nil {
				h.t.Fatalf("stored token of %q does not decrypt: %v", name, err)
			}
			return string(v), true
		}
	}
	return "", false
}

// createKey makes an API key for the admin user and returns the create response.
func (h *harness) createKey(body map[string]any) map[string]any {
	h.t.Helper()
	r := h.send("POST", adminKeys, adminKey, body)
	if r.status != http.StatusOK {
		h.t.Fatalf("create key: %d %s", r.status, r.raw)
	}
	return r.json(h.t)
}

func newJSONLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// withStatus and onlyMethod are the journal's entries of one status, of one method.
func withStatus(entries []mockserver.JournalEntry, status int) []mockserver.JournalEntry {
	var out []mockserver.JournalEntry
	for _, e := range entries {
		if e.Status == status {
			out = append(out, e)
		}
	}
	return out
}

func onlyMethod(entries []mockserver.JournalEntry, method string) []mockserver.JournalEntry {
	var out []mockserver.JournalEntry
	for _, e := range entries {
		if e.Method == method {
			out = append(out, e)
		}
	}
	return out
}

// tenant is an organization made through the control API (POST /_mock/orgs).
type tenant struct {
	ID         string `json:"organization_id"`
	Name       string `json:"name"`
	OwnerEmail string `json:"owner_email"`
	AdminKey   string `json:"admin_key"`
}

// createOrg makes an organization through the control API; any answer but 201 fails the test.
func (h *harness) createOrg(req map[string]any) tenant {
	h.t.Helper()
	if req == nil {
		req = map[string]any{}
	}
	r := h.ctl("POST", "/_mock/orgs", req)
	if r.status != http.StatusCreated {
		h.t.Fatalf("POST /_mock/orgs %v: %d %s", req, r.status, r.raw)
	}
	var o tenant
	if err := json.Unmarshal(r.raw, &o); err != nil {
		h.t.Fatal(err)
	}
	return o
}
