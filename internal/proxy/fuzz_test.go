package proxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// The canaries the fuzzed upstream may echo ($S and $K in its answer stand for them): a
// secret value sent through the proxy and the plaintext key a request authenticates with.
const (
	canarySecret = "canary-SECRET-value-7f3a9c"
	canaryKey    = "sk_CANARY_plaintext_key_0123456789abcdefghijkl"
)

// fuzzAnswer is what the fuzzed upstream answers every request with.
type fuzzAnswer struct {
	raw         bool // body is the whole answer, written on the connection as it is
	status      int
	contentType string
	header      [2]string
	body        []byte
}

// expand puts the canaries in place of $S and $K.
func expand(s string) string {
	return strings.NewReplacer("$S", canarySecret, "$K", canaryKey).Replace(s)
}

// reached are the paths the fuzzed upstreams got from the proxy (a request the test sends
// directly says X-Direct).
type reached struct {
	mu    sync.Mutex
	paths []string
}

func (r *reached) note(req *http.Request) {
	if req.Header.Get("X-Direct") == "" {
		r.mu.Lock()
		r.paths = append(r.paths, req.URL.EscapedPath())
		r.mu.Unlock()
	}
}

func (r *reached) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.paths
	r.paths = nil
	return out
}

// fuzzUpstreams are an httptest server and a raw listener that answer as the current
// fuzzAnswer says.
func fuzzUpstreams(f *testing.F, current *atomic.Pointer[fuzzAnswer], got *reached) (served, raw string) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.note(r)
		a := current.Load()
		w.Header().Set("Content-Type", a.contentType)
		if a.header[0] != "" {
			w.Header().Set(a.header[0], a.header[1])
		}
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	}))
	f.Cleanup(up.Close)
	raw = rawUpstream(f, func(conn net.Conn, _ <-chan struct{}) {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		req, err := http.ReadRequest(bufio.NewReader(conn))
		if err != nil {
			return
		}
		got.note(req)
		_, _ = io.Copy(io.Discard, req.Body)
		_, _ = conn.Write(current.Load().body)
	})
	return up.URL, raw
}

type fuzzProxy struct {
	p      *Proxy
	url    string
	logs   *syncBuffer
	strict bool
}

func (s *syncBuffer) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.b.String()
	s.b.Reset()
	return out
}

// got is an answer as a client reads it.
type got struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with the canary key (and header, a name and a value, when set); err is
// set when no answer came within 20 s.
func do(client *http.Client, method, target, body string, header ...string) (got, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, strings.NewReader(body))
	if err != nil {
		return got{}, err
	}
	req.Header.Set("Authorization", "Bearer "+canaryKey)
	if len(header) == 2 {
		req.Header.Set(header[0], header[1])
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return got{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 {
		return got{status: resp.StatusCode, header: resp.Header}, nil
	}
	b, err := io.ReadAll(resp.Body)
	return got{resp.StatusCode, resp.Header, b}, err
}

// FuzzUpstream: whatever the upstream answers (status, headers, body, or bytes that are no
// HTTP at all), the proxy answers within its timeout, with the upstream's answer or one of its
// own ErrorResponses (a 502 in strict mode when the answer breaks the contract), flags a
// canary secret or key the answer holds, and neither its log, its list of violations nor any
// answer of its own shows either canary.
func FuzzUpstream(f *testing.F) {
	deep := func(n int) string {
		return `{"secrets": [` + strings.Repeat("[", n) + strings.Repeat("]", n) + `], "count": 0}`
	}
	for _, seed := range []struct {
		raw                      bool
		status                   int
		contentType, header, out string
		path                     string
	}{
		{false, 200, "application/json", "", `{"secrets": ["a"], "count": 1}`, "/v1/organizations/secrets"},
		{false, 201, "application/json", "", `{"secret_name": "n", "$S": "x"}`, ""},
		{false, 200, "application/json", "", `{"secrets": [], "count": 0, "$K": {"$S": "$S"}}`, ""},
		{false, 201, "application/json", "", `{"secret_name": "n", "note": "stored $S for you"}`, ""},
		{false, 200, "application/json", "", `{"secrets": ["$K", "x$Sx"], "count": "2"}`, ""},
		{false, 201, "application/json; charset=utf-8", "X-Echo: $S", `{"secret_name": "n", "secret_value": "$S"}`, ""},
		{false, 404, "application/json", "", `{"success": false, "status": 400, "error": {"type": "$S", "message": "$K"}}`, ""},
		{false, 200, "application/$S", "", `$S`, ""},
		{false, 101, "application/json", "Upgrade: websocket", ``, ""},
		{true, 0, "", "", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n$S", ""},
		{true, 0, "", "", "HTTP/1.1 2$S OK\r\n\r\n", ""},
		{true, 0, "", "", "HTTP/1.1 200 OK\r\n$S\r\n\r\n", ""},
		{true, 0, "", "", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n{\"$K\": 1}", ""},
		{true, 0, "", "", "$S $K", ""},
		{false, 200, "application/json", "", deep(maxAnswerDepth), ""},
		{false, 200, "application/json", "", deep(10000), ""},
		{false, 200, "application/json", "", `{"secrets": [` + strings.Repeat(`1,`, 150) + `1], "count": 0}`, ""},
		{false, 200, "application/json", "", `{"secrets": ["a"], "count": 1}`, "/../../etc/passwd"},
		{false, 200, "application/json", "", `{"secrets": ["a"], "count": 1}`, "/%2e%2e/%2e%2e/etc/passwd"},
		{false, 200, "application/json", "", `{"secrets": ["a"], "count": 1}`, "/..%2f..%2fetc/passwd"},
		{false, 200, "application/json", "", `{"secrets": ["a"], "count": 1}`, `/..\..\etc`},
		{false, 200, "application/json", "", `{"secrets": ["a"], "count": 1}`, "/..;/x"},
		{false, 200, "application/json", "", `{"secrets": ["a"], "count": 1}`, "/v1/organizations/secrets/$S"},
	} {
		f.Add(seed.raw, seed.status, seed.contentType, seed.header, []byte(seed.out), seed.path)
	}
	var current atomic.Pointer[fuzzAnswer]
	var paths reached
	served, raw := fuzzUpstreams(f, &current, &paths)
	proxies := map[bool][]fuzzProxy{}
	for _, isRaw := range []bool{false, true} {
		for _, strict := range []bool{false, true} {
			up := map[bool]string{false: served, true: raw}[isRaw]
			p, srv, logs := newProxy(f, up+"/base", Options{Strict: strict, Header: true, Timeout: 2 * time.Second})
			proxies[isRaw] = append(proxies[isRaw], fuzzProxy{p, srv.URL, logs, strict})
		}
	}
	// Neither follows a redirect: the proxy passes it on as it is.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	direct := &http.Client{Timeout: 5 * time.Second, CheckRedirect: client.CheckRedirect}
	errorSchema := errorResponseSchema(f)
	f.Fuzz(func(t *testing.T, isRaw bool, status int, contentType, header string, body []byte, path string) {
		if status < 100 || status > 999 { // what an HTTP server can answer
			status = 100 + (status%900+900)%900
		}
		a := &fuzzAnswer{raw: isRaw, status: status, contentType: expand(contentType),
			body: []byte(expand(string(body)))}
		if name, value, ok := strings.Cut(expand(header), ":"); ok {
			a.header = [2]string{strings.TrimSpace(name), strings.TrimSpace(value)}
		}
		current.Store(a)
		for _, px := range proxies[isRaw] {
			px.p.Clear()
			upstream := served
			if isRaw {
				upstream = raw
			}
			// The canaries' request first: from then on the proxy knows the secret value.
			exchanges := []struct{ method, path, body string }{
				{"POST", "/v1/organizations/secrets", `{"secret_name": "n", "secret_value": "` + canarySecret + `"}`},
				{"GET", "/v1/organizations/secrets", ""},
			}
			if u, err := url.ParseRequestURI(expand(path)); err == nil && strings.HasPrefix(path, "/") && u.Host == "" {
				exchanges = append(exchanges, struct{ method, path, body string }{"GET", u.RequestURI(), ""})
			}
			for i, e := range exchanges {
				before := len(px.p.Violations())
				paths.take()
				answer, err := do(client, e.method, px.url+e.path, e.body)
				if err != nil {
					t.Fatalf("strict %v, %s %s: no answer: %v", px.strict, e.method, e.path, err)
				}
				sent := paths.take()
				for _, p := range sent {
					if !within("/base", p) {
						t.Errorf("the upstream got %q, outside /base", p)
					}
				}
				vs := px.p.Violations()[before:]
				var want got
				var unreached error = errNotSent
				if len(sent) > 0 {
					want, unreached = do(direct, e.method, upstream+"/base"+e.path, e.body, "X-Direct", "1")
				}
				switch {
				case unreached == nil && want.status >= 200 && answer.status == want.status && bytes.Equal(answer.body, want.body):
					// The upstream's answer, passed on.
					if px.strict && answer.header.Get("X-Mixpeek-Violations") != "0" {
						t.Errorf("strict: a non-conforming answer passed: %d violations %+v", len(vs), vs)
					}
					if !px.strict && i < 2 {
						mustFlag(t, want.body, vs)
					}
				default:
					// The proxy's own answer.
					isOwnError(t, errorSchema, answer)
					if px.strict && len(vs) > 0 && answer.status != http.StatusBadGateway {
						t.Errorf("strict: %d violations answered %d", len(vs), answer.status)
					}
					for _, canary := range []string{canarySecret, canaryKey} {
						if bytes.Contains(answer.body, []byte(canary)) || strings.Contains(headerText(answer.header), canary) {
							t.Errorf("the proxy's own answer shows a canary: %v %s", answer.header, answer.body)
						}
					}
				}
			}
			listing, _ := json.Marshal(px.p.Listing())
			for where, text := range map[string]string{"log": px.logs.take(), "listing": string(listing)} {
				for _, canary := range []string{canarySecret, canaryKey} {
					if strings.Contains(text, canary) {
						t.Errorf("the %s shows a canary:\n%s", where, text)
					}
				}
			}
		}
	})
}

var errNotSent = errors.New("the proxy sent nothing to the upstream")

// within reports whether an escaped path stays in prefix once decoded (up to three times, a
// backslash as a slash) and cleaned: an oracle simpler than leavesPrefix.
func within(prefix, escaped string) bool {
	p := escaped
	for range 3 {
		if d, err := url.PathUnescape(p); err == nil {
			p = d
		}
	}
	p = path.Clean(strings.ReplaceAll(p, `\`, "/"))
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}

func headerText(h http.Header) string {
	var b strings.Builder
	_ = h.Write(&b)
	return b.String()
}

func errorResponseSchema(tb testing.TB) func(any) error {
	c, err := contract.Parse(context.Background(), "openapi.yaml", mixpeekkit.OpenAPI())
	if err != nil {
		tb.Fatal(err)
	}
	return func(v any) error { return c.Doc.Components.Schemas["ErrorResponse"].Value.VisitJSON(v) }
}

// isOwnError fails unless an answer is one the proxy makes: an ErrorResponse of 404 (a path
// refused), 502 or 504, whose status is the HTTP status.
func isOwnError(t *testing.T, valid func(any) error, a got) {
	t.Helper()
	var v any
	if err := json.Unmarshal(a.body, &v); err != nil || valid(v) != nil {
		t.Errorf("%d: not an ErrorResponse: %v %s", a.status, err, a.body)
		return
	}
	if m, _ := v.(map[string]any); (a.status != 404 && a.status != 502 && a.status != 504) || m["status"] != float64(a.status) {
		t.Errorf("%d: not an answer of the proxy's: %s", a.status, a.body)
	}
}

// mustFlag fails when an answer that passed holds a canary where the proxy looks (a string or a
// member name of JSON it reads) and no violation says so.
func mustFlag(t *testing.T, body []byte, vs []Violation) {
	t.Helper()
	var v any
	if tooDeep, values := shape(body); tooDeep || values > maxAnswerValues || json.Unmarshal(body, &v) != nil {
		return
	}
	rules := map[string]bool{}
	for _, x := range vs {
		rules[x.Rule] = true
	}
	if rules[ruleTooMany] {
		return
	}
	var secret, key bool
	walkTexts(v, func(_ []string, s string) {
		secret = secret || strings.Contains(s, canarySecret)
		key = key || sensitive.HasKey(s)
	})
	if secret && !rules[RuleSecretValue] || key && !rules[RulePlaintextKey] {
		t.Errorf("a canary passed unflagged (secret %v, key %v): %+v\n%s", secret, key, vs, body)
	}
}
