package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/contract"
)

// suite is the state of one run: the server, what the run created, and what it must redact.
type suite struct {
	cfg      Config
	base     *url.URL
	contract *contract.Contract
	client   *http.Client
	prefix   string

	mu          sync.Mutex
	counter     int
	secrets     map[string]string   // name → the key that created it (the peer's or ours)
	keys        map[string]bool     // names of keys created for cfg.UserEmail
	sensitive   []string            // secret values sent and plaintext keys received
	values      []string            // secret values sent
	peerSecrets []string            // names the peer created (a copy of one of ours)
	bodies      map[string][][]byte // every response body the run received, by check ID
}

// T is one check on its way: it makes requests and records failures.
type T struct {
	ctx   context.Context
	s     *suite
	check Check
	res   *Result
}

// stopCheck ends a check early (Fatalf), like testing's FailNow.
type stopCheck struct{}

func (s *suite) run(ctx context.Context, c Check) (res Result) {
	res = Result{ID: c.ID, Category: c.Category, Description: c.Description, Status: Pass}
	switch {
	case c.Destructive && !s.cfg.Destructive:
		res.Status, res.SkipReason = Skip, "destructive: enable with Destructive (-destructive)"
		return res
	case c.NeedsPeer && s.cfg.PeerAPIKey == "":
		res.Status, res.SkipReason = Skip, "needs a peer organization's admin key (PeerAPIKey, -peer-api-key)"
		return res
	}
	start := time.Now()
	t := &T{ctx: ctx, s: s, check: c, res: &res}
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(stopCheck); !ok {
				res.Failures = append(res.Failures, Failure{Message: fmt.Sprintf("the check itself failed: %v", v)})
			}
		}
		if len(res.Failures) > 0 {
			res.Status = Fail
		}
		res.Duration = time.Since(start)
	}()
	c.run(t)
	return res
}

// Errorf records a failure, with the exchange that proved it (nil when none).
func (t *T) Errorf(ex *Exchange, format string, args ...any) {
	t.res.Failures = append(t.res.Failures, Failure{Message: t.s.redact(fmt.Sprintf(format, args...)), Exchange: ex})
}

// Fatalf records a failure and ends the check.
func (t *T) Fatalf(ex *Exchange, format string, args ...any) {
	t.Errorf(ex, format, args...)
	panic(stopCheck{})
}

// Exchange is one request and its answer, as a report shows them: the Authorization header,
// every secret value the run sent and every plaintext key it received are redacted.
type Exchange struct {
	Operation    string          `json:"operation,omitempty"`
	Method       string          `json:"method"`
	URL          string          `json:"url"`
	RequestBody  string          `json:"request_body,omitempty"`
	Status       int             `json:"status"`
	ContentType  string          `json:"content_type,omitempty"`
	ResponseBody string          `json:"response_body,omitempty"`
	Error        string          `json:"error,omitempty"`
	json         map[string]any  // the decoded body (unredacted; never exported)
	raw          json.RawMessage // the body as received (unredacted; never exported)
}

func (e *Exchange) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  > %s %s", e.Method, e.URL)
	if e.RequestBody != "" {
		fmt.Fprintf(&b, "\n  > %s", e.RequestBody)
	}
	if e.Error != "" {
		fmt.Fprintf(&b, "\n  < error: %s", e.Error)
		return b.String()
	}
	fmt.Fprintf(&b, "\n  < %d %s", e.Status, e.ContentType)
	if e.ResponseBody != "" {
		fmt.Fprintf(&b, "\n  < %s", e.ResponseBody)
	}
	return b.String()
}

// field reads a top-level field of the answer.
func (e *Exchange) field(name string) any { return e.json[name] }

// str reads a top-level string field of the answer ("" when absent or not a string).
func (e *Exchange) str(name string) string { s, _ := e.json[name].(string); return s }

// errorType is error.type of an ErrorResponse answer.
func (e *Exchange) errorType() string {
	m, _ := e.json["error"].(map[string]any)
	s, _ := m["type"].(string)
	return s
}

// request is what a check asks for. Body: nil (none), string (sent as it is), or a value
// encoded as JSON. Auth: the whole Authorization header ("" for none).
type request struct {
	method, path, auth string
	body               any
	contentType        string // application/json when a body is sent and this is empty
}

// bearer is the Authorization header for a key.
func bearer(key string) string { return "Bearer " + key }

// call sends one request as the run's admin key.
func (t *T) call(method, path string, body any) *Exchange {
	return t.do(request{method: method, path: path, auth: bearer(t.s.cfg.APIKey), body: body})
}

// do sends a request, checks the answer against openapi.yaml (a violation fails this check
// and names the operation), and records the body for the safety checks. A transport error
// ends the check.
func (t *T) do(r request) *Exchange {
	s := t.s
	var body []byte
	switch b := r.body.(type) {
	case nil:
	case string:
		body = []byte(b)
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			t.Fatalf(nil, "encode request: %v", err)
		}
	}
	u := s.base.String() + r.path
	ex := &Exchange{Method: r.method, URL: u, RequestBody: s.redact(string(body))}
	ctx, cancel := context.WithTimeout(t.ctx, s.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatalf(ex, "build request: %v", err)
	}
	if body != nil {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if r.auth != "" {
		req.Header.Set("Authorization", r.auth)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		ex.Error = s.redact(err.Error())
		t.Fatalf(ex, "request failed")
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	resp.Body.Close()
	if err != nil {
		ex.Error = s.redact(err.Error())
		t.Fatalf(ex, "reading the answer failed")
	}
	ex.Status, ex.ContentType, ex.raw = resp.StatusCode, resp.Header.Get("Content-Type"), raw
	_ = json.Unmarshal(raw, &ex.json)
	s.record(t.check.ID, raw)
	// Learn plaintext keys before anything is shown, so they are redacted everywhere.
	if k, ok := ex.json["key"].(string); ok && k != "" {
		s.addSensitive(k)
	}
	ex.ResponseBody = s.redact(string(raw))
	t.checkContract(ex, r, resp.Header)
	return ex
}

// checkContract validates the answer against the operation the request addresses.
func (t *T) checkContract(ex *Exchange, r request, header http.Header) {
	// Route on the path alone, so a BaseURL with a path prefix still finds the operation.
	probe, err := http.NewRequest(r.method, "http://contract.invalid"+strings.SplitN(r.path, "?", 2)[0], nil)
	if err != nil {
		return
	}
	if i := strings.IndexByte(r.path, '?'); i >= 0 {
		probe.URL.RawQuery = r.path[i+1:]
	}
	route, _, err := t.s.contract.FindRoute(probe)
	if err != nil {
		return // not an operation of the contract (a check probing an unknown path)
	}
	ex.Operation = route.Operation.OperationID
	if err := t.s.contract.CheckResponse(t.ctx, route, probe, ex.Status, header, ex.raw); err != nil {
		t.Errorf(ex, "contract: %v", err)
	}
}

func (s *suite) record(checkID string, raw []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bodies == nil {
		s.bodies = map[string][][]byte{}
	}
	s.bodies[checkID] = append(s.bodies[checkID], raw)
}

// allBodies returns every response body received so far.
func (s *suite) allBodies() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]byte
	ids := make([]string, 0, len(s.bodies))
	for id := range s.bodies {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		out = append(out, s.bodies[id]...)
	}
	return out
}

func (s *suite) addSensitive(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sensitive = append(s.sensitive, v)
}

func (s *suite) sentSecretValues() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.values...)
}

// redact replaces every secret value and plaintext key the run knows, and the run's own keys.
func (s *suite) redact(text string) string {
	s.mu.Lock()
	words := append([]string{s.cfg.APIKey, s.cfg.PeerAPIKey}, s.sensitive...)
	s.mu.Unlock()
	// Longest first, so a value that contains another is replaced whole.
	sort.Slice(words, func(i, j int) bool { return len(words[i]) > len(words[j]) })
	for _, w := range words {
		if w != "" {
			text = strings.ReplaceAll(text, w, "[REDACTED]")
		}
	}
	return text
}

// name makes a new resource name: the run's prefix, the check's short name, a counter.
func (t *T) name(kind string) string {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.counter++
	return fmt.Sprintf("%s-%s-%d", t.s.prefix, kind, t.s.counter)
}

// secretValue makes a new random secret value and remembers it for redaction and the
// safety checks before it is ever sent.
func (t *T) secretValue() string {
	v := "ctv-" + randomSuffix(24)
	t.s.addSensitive(v)
	t.s.mu.Lock()
	t.s.values = append(t.s.values, v)
	t.s.mu.Unlock()
	return v
}

// newSecret creates a secret as the key given (the run's or the peer's) and registers it for
// cleanup. It ends the check when the server refuses.
func (t *T) newSecret(auth string) (name, value string) {
	name, value = t.name("secret"), t.secretValue()
	t.trackSecret(name, auth)
	ex := t.do(request{method: "POST", path: secretsPath, auth: auth, body: map[string]any{"secret_name": name, "secret_value": value}})
	if ex.Status != http.StatusCreated {
		t.Fatalf(ex, "creating a secret to work with: want 201, got %d", ex.Status)
	}
	return name, value
}

// trackSecret registers a secret name for cleanup with the key that owns it. Registering
// before the request is sent means a server that creates despite an error is cleaned too.
func (t *T) trackSecret(name, auth string) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if t.s.secrets == nil {
		t.s.secrets = map[string]string{}
	}
	if _, ok := t.s.secrets[name]; !ok {
		t.s.secrets[name] = auth
	}
}

// trackPeerSecret and untrackPeerSecret follow the peer's copy of a name this organization
// also has: both are cleaned up.
func (t *T) trackPeerSecret(name string) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.peerSecrets = append(t.s.peerSecrets, name)
}

func (t *T) untrackPeerSecret(name string) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	for i, n := range t.s.peerSecrets {
		if n == name {
			t.s.peerSecrets = append(t.s.peerSecrets[:i], t.s.peerSecrets[i+1:]...)
			return
		}
	}
}

// trackKey registers a key name of the run's user for cleanup.
func (t *T) trackKey(name string) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if t.s.keys == nil {
		t.s.keys = map[string]bool{}
	}
	t.s.keys[name] = true
}

// newKey creates an API key for the run's user with the given permissions and registers it
// for cleanup. It returns the create answer; the plaintext is its "key".
func (t *T) newKey(perms ...string) *Exchange {
	name := t.name("key")
	t.trackKey(name)
	ex := t.call("POST", t.keysPath(), map[string]any{"name": name, "permissions": append([]string{}, perms...)})
	if ex.Status != http.StatusOK || ex.str("key") == "" {
		t.Fatalf(ex, "creating an API key to work with: want 200 with a key, got %d", ex.Status)
	}
	return ex
}

// Paths of the contract.
const secretsPath = "/v1/organizations/secrets"

func secretPath(name string) string { return secretsPath + "/" + url.PathEscape(name) }

func usersKeysPath(email string) string {
	return "/v1/organizations/users/" + url.PathEscape(email) + "/api-keys"
}

func (t *T) keysPath() string { return usersKeysPath(t.s.cfg.UserEmail) }

func (t *T) keyPath(name string) string { return t.keysPath() + "/" + url.PathEscape(name) }

// preflight makes sure the server answers and the credentials are an admin key of the user.
func (s *suite) preflight(ctx context.Context) error {
	probe := func(path, key string) (int, error) {
		ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, "GET", s.base.String()+path, nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", bearer(key))
		resp, err := s.client.Do(req)
		if err != nil {
			if outer := context.Cause(ctx); outer != nil && !errors.Is(outer, context.DeadlineExceeded) {
				return 0, fmt.Errorf("conformance: interrupted: %w", outer)
			}
			return 0, fmt.Errorf("conformance: cannot reach %s: %s", s.base, s.redact(err.Error()))
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	code, err := probe(usersKeysPath(s.cfg.UserEmail), s.cfg.APIKey)
	switch {
	case err != nil:
		return err
	case code == http.StatusUnauthorized:
		return fmt.Errorf("conformance: the API key was refused (401)")
	case code == http.StatusForbidden:
		return fmt.Errorf("conformance: the API key is not an admin key (403 on listing API keys)")
	case code == http.StatusNotFound:
		return fmt.Errorf("conformance: user %q not found with this API key (404)", s.cfg.UserEmail)
	case code != http.StatusOK:
		return fmt.Errorf("conformance: listing the user's API keys answered %d, want 200", code)
	}
	if s.cfg.PeerAPIKey != "" {
		code, err := probe(secretsPath, s.cfg.PeerAPIKey)
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("conformance: the peer API key cannot list secrets (%d)", code)
		}
	}
	return nil
}

// cleanup deletes the secrets and revokes the keys the run created and still has. It uses a
// context of its own, so it also runs after the run's context was cancelled. It returns what
// it could not clean up.
func (s *suite) cleanup() []string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t := &T{ctx: ctx, s: s, check: Check{ID: "cleanup"}, res: &Result{}}
	var left []string
	s.mu.Lock()
	secrets, keys, peerSecrets := s.secrets, s.keys, s.peerSecrets
	s.secrets, s.keys, s.peerSecrets = nil, nil, nil
	s.mu.Unlock()
	attempt := func(what string, r request, ok ...int) {
		var ex *Exchange
		func() {
			defer func() { _ = recover() }()
			ex = t.do(r)
		}()
		if ex == nil || !contains(ok, ex.Status) {
			left = append(left, what)
		}
	}
	for _, name := range sortedKeys(secrets) {
		if strings.HasPrefix(name, s.prefix) {
			attempt("secret "+name, request{method: "DELETE", path: secretPath(name), auth: secrets[name]}, 200, 404)
		}
	}
	for _, name := range peerSecrets {
		if strings.HasPrefix(name, s.prefix) {
			attempt("peer secret "+name, request{method: "DELETE", path: secretPath(name), auth: bearer(s.cfg.PeerAPIKey)}, 200, 404)
		}
	}
	for _, name := range sortedKeys(keys) {
		if strings.HasPrefix(name, s.prefix) {
			attempt("api key "+name, request{method: "DELETE", path: usersKeysPath(s.cfg.UserEmail) + "/" + url.PathEscape(name), auth: bearer(s.cfg.APIKey)}, 200, 404)
		}
	}
	return left
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
