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
	"regexp"
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
	secrets     map[string]string // name → the key that created it (the peer's or ours)
	keys        map[string]bool   // names of keys created for cfg.UserEmail
	sensitive   []string          // secret values sent and plaintext keys received
	values      []string          // secret values sent
	peerSecrets []string          // names the peer created (a copy of one of ours)
	echoes      []string          // where an answer contained a secret value the run sent
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
	Auth         string          `json:"authorization"` // the scheme only: "Bearer [REDACTED]", or "(none)"
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
	fmt.Fprintf(&b, "  > %s %s\n  > Authorization: %s", e.Method, e.URL, e.Auth)
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
// and names the operation), and looks for echoed secret values. A transport error ends the
// check.
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
	ex := &Exchange{Method: r.method, URL: s.base.Redacted() + r.path, Auth: authShown(r.auth), RequestBody: s.show(body)}
	ctx, cancel := context.WithTimeout(t.ctx, s.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatalf(ex, "build request: %v", s.redact(err.Error()))
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
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	resp.Body.Close()
	if err != nil {
		ex.Error = s.redact(err.Error())
		t.Fatalf(ex, "reading the answer failed")
	}
	if len(raw) > maxAnswer {
		ex.Status, ex.ContentType = resp.StatusCode, resp.Header.Get("Content-Type")
		t.Fatalf(ex, "the answer is larger than %d bytes", maxAnswer)
	}
	ex.Status, ex.ContentType, ex.raw = resp.StatusCode, resp.Header.Get("Content-Type"), raw
	_ = json.Unmarshal(raw, &ex.json)
	// Learn plaintext keys before anything is shown, so they are redacted everywhere.
	if k, ok := ex.json["key"].(string); ok && k != "" {
		s.addSensitive(k)
	}
	s.lookForEchoes(t.check.ID, ex, raw)
	ex.ResponseBody = s.show(raw)
	t.checkContract(ex, r, resp.Header)
	return ex
}

// maxAnswer bounds what the suite reads of one answer; maxShown what a report shows of a body.
const (
	maxAnswer = 4 << 20
	maxShown  = 8 << 10
)

// show is a body as a report may show it: redacted, and cut at maxShown.
func (s *suite) show(body []byte) string {
	text := s.redactBody(body)
	if len(text) > maxShown {
		text = text[:maxShown] + fmt.Sprintf("… [cut: %d bytes in all]", len(body))
	}
	return text
}

// authShown is what a report says of an Authorization header: its scheme, never its value.
func authShown(h string) string {
	if h == "" {
		return "(none)"
	}
	scheme, _, _ := strings.Cut(h, " ")
	return scheme + " [REDACTED]"
}

// lookForEchoes notes an answer that contains a secret value the run sent (the safety check
// reports them), as each answer arrives, so no body needs keeping.
func (s *suite) lookForEchoes(checkID string, ex *Exchange, raw []byte) {
	for _, v := range s.sentSecretValues() {
		if bytes.Contains(raw, []byte(v)) {
			s.mu.Lock()
			s.echoes = append(s.echoes, fmt.Sprintf("%s: %s %s answered %d", checkID, ex.Method, ex.URL, ex.Status))
			s.mu.Unlock()
			return
		}
	}
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

// echoesSoFar lists the answers that contained a secret value the run sent.
func (s *suite) echoesSoFar() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.echoes...)
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

// redact replaces every secret value and plaintext key the run knows (its own keys
// included), and anything shaped like a plaintext key.
func (s *suite) redact(text string) string {
	s.mu.Lock()
	words := append([]string{s.cfg.APIKey, s.cfg.PeerAPIKey}, s.sensitive...)
	s.mu.Unlock()
	// Longest first, so a value that contains another is replaced whole.
	sort.Slice(words, func(i, j int) bool { return len(words[i]) > len(words[j]) })
	for _, w := range words {
		if w != "" {
			text = strings.ReplaceAll(text, w, redacted)
		}
	}
	return keyShapeRE.ReplaceAllString(text, redacted)
}

// redactBody is redact for a body, and for JSON also by structure: any string under a member
// that holds secrets (key, secret_value, value, api_key, admin_key, plaintext), at any depth,
// is replaced, whoever sent it.
func (s *suite) redactBody(body []byte) string {
	var v any
	if json.Unmarshal(body, &v) == nil {
		if out, err := json.Marshal(redactTree(v, "")); err == nil {
			body = out
		}
	}
	return s.redact(string(body))
}

const redacted = "[REDACTED]"

// keyShapeRE finds plaintext keys the run never saw (a key_prefix, "sk_abc1234...", is shorter).
var keyShapeRE = regexp.MustCompile(`sk_[A-Za-z0-9_-]{20,}`)

var secretMembers = map[string]bool{"key": true, "secret_value": true, "value": true, "api_key": true, "admin_key": true, "plaintext": true}

func redactTree(v any, member string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = redactTree(e, k)
		}
	case []any:
		for i, e := range x {
			x[i] = redactTree(e, member)
		}
	case string:
		if secretMembers[member] {
			return redacted
		}
	}
	return v
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

// usersKeysPath percent-encodes the whole email ("a+b@c" is "a%2Bb%40c"), as the SDK does.
func usersKeysPath(email string) string {
	return "/v1/organizations/users/" + url.QueryEscape(email) + "/api-keys"
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
			return 0, fmt.Errorf("conformance: cannot reach %s: %s", s.base.Redacted(), s.redact(err.Error()))
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
		// An admin key gets 422 for a bad body; a read key 403, which would make every
		// isolation probe pass for the wrong reason. The bad body creates nothing.
		code, err = probeWrite(ctx, s, s.cfg.PeerAPIKey)
		if err != nil {
			return err
		}
		if code != http.StatusUnprocessableEntity {
			return fmt.Errorf("conformance: the peer API key is not an admin key (a bad create answered %d, want 422)", code)
		}
	}
	return nil
}

// probeWrite posts a create-secret body that breaks the contract: it tells an admin key (422)
// from a read key (403) and stores nothing on a conforming server.
func probeWrite(ctx context.Context, s *suite, key string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", s.base.String()+secretsPath, strings.NewReader(`{"secret_name": ""}`))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", bearer(key))
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("conformance: cannot reach %s: %s", s.base.Redacted(), s.redact(err.Error()))
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// cleanup revokes the keys and deletes the secrets the run created, then lists what is left
// and sweeps anything with the run's prefix (also what a broken server created unasked), and
// returns what a second look still finds. It uses a context of its own, with each request
// bounded by RequestTimeout, so it also runs after the run's context was cancelled.
func (s *suite) cleanup() []string {
	t := &T{ctx: context.Background(), s: s, check: Check{ID: "cleanup"}, res: &Result{}}
	s.mu.Lock()
	secrets, keys, peerSecrets := s.secrets, s.keys, s.peerSecrets
	s.secrets, s.keys, s.peerSecrets = nil, nil, nil
	s.mu.Unlock()
	admin, peer := bearer(s.cfg.APIKey), bearer(s.cfg.PeerAPIKey)
	// Live credentials first.
	for _, name := range sortedKeys(keys) {
		t.try(request{method: "DELETE", path: t.keyPath(name), auth: admin})
	}
	for _, name := range sortedKeys(secrets) {
		t.try(request{method: "DELETE", path: secretPath(name), auth: secrets[name]})
	}
	for _, name := range peerSecrets {
		t.try(request{method: "DELETE", path: secretPath(name), auth: peer})
	}
	// Then what is left, as the server lists it: the answers are not taken on trust.
	found, problems := t.leftovers()
	if len(found) == 0 && len(problems) == 0 {
		return nil
	}
	for _, l := range found {
		t.try(l.remove)
	}
	still, more := t.leftovers()
	var left []string
	for _, l := range still {
		left = append(left, l.label)
	}
	return append(append(left, problems...), more...)
}

// leftover is a resource with the run's name that the server still lists, and the request
// that removes it.
type leftover struct {
	label  string
	remove request
}

// leftovers lists the secrets (the run's organization's and the peer's) and the live keys that
// carry the run's name, and says what could not be listed.
func (t *T) leftovers() (found []leftover, problems []string) {
	s := t.s
	mine := func(name string) bool { return strings.HasPrefix(name, s.prefix+"-") }
	secretsOf := func(auth, whose string) {
		ex := t.try(request{method: "GET", path: secretsPath, auth: auth})
		if ex == nil || ex.Status != http.StatusOK {
			problems = append(problems, whose+"secrets: could not list them to check")
			return
		}
		names, _ := ex.field("secrets").([]any)
		for _, n := range names {
			if name, _ := n.(string); mine(name) {
				found = append(found, leftover{whose + "secret " + name, request{method: "DELETE", path: secretPath(name), auth: auth}})
			}
		}
	}
	secretsOf(bearer(s.cfg.APIKey), "")
	if s.cfg.PeerAPIKey != "" {
		secretsOf(bearer(s.cfg.PeerAPIKey), "peer organization: ")
	}
	ex := t.try(request{method: "GET", path: t.keysPath() + "?include_revoked=true", auth: bearer(s.cfg.APIKey)})
	if ex == nil || ex.Status != http.StatusOK {
		return found, append(problems, "api keys: could not list them to check")
	}
	results, _ := ex.field("results").([]any)
	for _, r := range results {
		k, _ := r.(map[string]any)
		if name, _ := k["name"].(string); mine(name) && k["status"] != "revoked" {
			found = append(found, leftover{"api key " + name + " (not revoked)", request{method: "DELETE", path: t.keyPath(name), auth: bearer(s.cfg.APIKey)}})
		}
	}
	return found, problems
}

// try is do for cleanup: a failed request is nil, never the end of the run.
func (t *T) try(r request) (ex *Exchange) {
	defer func() {
		if recover() != nil {
			ex = nil
		}
	}()
	return t.do(r)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
