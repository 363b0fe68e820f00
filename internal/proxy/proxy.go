// Package proxy is the validating proxy of `mixpeek-mock -proxy-to URL`: it forwards every
// request to one upstream server unchanged and returns its answer unchanged, while checking
// both against openapi.yaml and the rules a single exchange can show. Each violation is
// logged as one structured line, counted, and listed; in strict mode a non-conforming answer
// is replaced by a 502 ErrorResponse that lists what was wrong.
//
// Nothing the proxy keeps or logs holds a secret value, a plaintext key or the Authorization
// header: a violation names an operation, a direction, a JSON pointer and a rule.
package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/apierror"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
	"github.com/mixpeekkit/mixpeekkit/internal/violations"
)

// Bounds on what the proxy reads of a body.
const (
	MaxRequestBody  = 1 << 20 // the contract's own bound (the mock refuses a larger body with 400)
	MaxResponseBody = 8 << 20
)

// Options configure a Proxy.
type Options struct {
	Upstream *url.URL      // the only server ever contacted; its path prefixes every request's
	Strict   bool          // answer 502 instead of a non-conforming answer
	Header   bool          // add X-Mixpeek-Violations to every answer (the number found in it)
	Timeout  time.Duration // per request to the upstream (30 s when zero)
	Logger   *slog.Logger  // one line per violation (slog.Default() when nil)
	Client   *http.Client  // sends to the upstream (a new http.Client when nil; Timeout bounds each request)
}

// Violation and Count are the shapes of GET /_mock/violations, shared with the mock.
type (
	Violation = violations.Violation
	Count     = violations.Count
)

// Proxy is an http.Handler.
type Proxy struct {
	opts     Options
	contract *contract.Contract
	client   *http.Client
	log      *slog.Logger

	violations.Log
	secrets *secretStore
}

// New makes a proxy to opts.Upstream.
func New(opts Options) (*Proxy, error) {
	if opts.Upstream == nil || (opts.Upstream.Scheme != "http" && opts.Upstream.Scheme != "https") || opts.Upstream.Host == "" {
		return nil, errors.New("the upstream must be an http or https URL with a host")
	}
	c, err := contract.OpenAPI()
	if err != nil {
		return nil, err
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{}
	}
	// Never follow a redirect: only the configured upstream is contacted, and the client
	// sees the redirect as the upstream sent it.
	cl := *client
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Proxy{opts: opts, contract: c, client: &cl, log: log, secrets: newSecretStore()}, nil
}

// record keeps violations and logs each.
func (p *Proxy) record(vs []Violation) {
	if len(vs) == 0 {
		return
	}
	p.Record(vs...)
	for _, v := range vs {
		p.log.Warn("contract violation", "operation", v.Operation, "direction", v.Direction,
			"pointer", v.Pointer, "rule", v.Rule, "status", v.Status, "method", v.Method, "path", v.Path)
	}
}

// ServeHTTP is the proxy's request path: its own endpoints, or read, check, forward, check,
// answer.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_mock/violations":
		p.serveViolations(w, r)
		return
	case "/_mock/health":
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "mode": "proxy"}, nil)
		return
	}
	if leavesPrefix(p.opts.Upstream.EscapedPath(), r.URL.EscapedPath()) {
		// Answered as the contract answers an unknown path, and never sent: the upstream
		// would read it outside the -proxy-to path.
		p.log.Warn("request refused: its path leaves the upstream's path", "method", p.showMethod(r.Method, newBudget()),
			"path", p.showPath(r.URL.EscapedPath(), newBudget()))
		writeJSON(w, http.StatusNotFound, apierror.New(http.StatusNotFound, "NotFoundError", "no such endpoint",
			map[string]any{"resource": "endpoint"}), nil)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "the request body could not be read")
		return
	}
	if len(body) > MaxRequestBody {
		writeError(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeError",
			fmt.Sprintf("the request body is over the proxy's bound of %d bytes; it was not forwarded", MaxRequestBody))
		return
	}
	ex := &exchange{p: p, r: r, body: body, echo: newBudget(), shown: newBudget()}
	ex.checkRequest()
	// Shown once the request's own secret values are known.
	ex.method, ex.path = p.showMethod(r.Method, ex.shown), p.showPath(r.URL.EscapedPath(), ex.shown)
	resp, data, err := p.forward(r, body)
	var switched *switchedError
	switch {
	case errors.As(err, &switched):
		// The connection is not the exchange's any more: nothing to pass on, and no status
		// of the contract's.
		ex.add("response", switched.status, problem{root: "/status", rule: "declared status"})
		p.record(ex.found)
		header := http.Header{}
		if p.opts.Header {
			header.Set("X-Mixpeek-Violations", fmt.Sprint(len(ex.found)))
		}
		writeJSON(w, http.StatusBadGateway, apierror.New(http.StatusBadGateway, "ContractViolationError",
			fmt.Sprintf("the upstream answered %d, a status the contract does not have (it switched the connection to another protocol); nothing was passed on", switched.status),
			map[string]any{"upstream_status": switched.status, "violations": listed(ex.found)}), header)
		return
	case err != nil:
		status, typ := http.StatusBadGateway, "BadGatewayError"
		msg := "the upstream could not be reached: " + p.showText(describeTransportError(err))
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			status, typ = http.StatusGatewayTimeout, "GatewayTimeoutError"
			msg = fmt.Sprintf("the upstream did not answer within %v", p.opts.Timeout)
		}
		if errors.Is(err, errTooLarge) {
			msg = fmt.Sprintf("the upstream's answer is over the proxy's bound of %d bytes", MaxResponseBody)
		}
		p.log.Error("upstream failed", "method", ex.method, "path", ex.path, "error", msg)
		writeError(w, status, typ, msg)
		return
	}
	ex.checkResponse(resp, data)
	p.record(ex.found)
	if p.opts.Strict && len(ex.found) > 0 {
		// The proxy's own answer: none of the upstream's headers.
		header := http.Header{}
		if p.opts.Header {
			header.Set("X-Mixpeek-Violations", fmt.Sprint(len(ex.found)))
		}
		writeJSON(w, http.StatusBadGateway, strictBody(resp.StatusCode, ex.found), header)
		return
	}
	header := resp.Header.Clone()
	for _, h := range hopByHop {
		header.Del(h)
	}
	if p.opts.Header {
		header.Set("X-Mixpeek-Violations", fmt.Sprint(len(ex.found)))
	}
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(data)
}

// showMethod is a request's method as the proxy logs and lists it.
func (p *Proxy) showMethod(method string, b *budget) string {
	if p.holdsSecret(method, b) {
		return sensitive.Redacted
	}
	return method
}

// switchedError is an upstream's answer of a 1xx status (101 Switching Protocols: Go's
// client passes the others by): the connection is no longer HTTP's.
type switchedError struct{ status int }

func (e *switchedError) Error() string { return fmt.Sprintf("the upstream answered %d", e.status) }

var errTooLarge = errors.New("answer too large")

// hopByHop are the headers that belong to one connection, not to the exchange.
var hopByHop = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length"}

// forward sends the request to the upstream, unchanged but for the connection's own headers,
// and reads the answer.
func (p *Proxy) forward(r *http.Request, body []byte) (*http.Response, []byte, error) {
	target := *p.opts.Upstream
	target.Path = strings.TrimRight(p.opts.Upstream.Path, "/") + r.URL.Path
	target.RawPath = strings.TrimRight(p.opts.Upstream.EscapedPath(), "/") + r.URL.EscapedPath()
	target.RawQuery = r.URL.RawQuery
	ctx, cancel := context.WithTimeout(r.Context(), p.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, target.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header = r.Header.Clone()
	for _, h := range hopByHop {
		req.Header.Del(h)
	}
	if len(body) == 0 && r.ContentLength <= 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 {
		// Its body is the connection itself, which the timeout does not end: never read it.
		return nil, nil, &switchedError{resp.StatusCode}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > MaxResponseBody {
		return nil, nil, errTooLarge
	}
	return resp, data, nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// describeTransportError words a transport failure without the URL (which may hold a key in
// its path): the innermost cause.
func describeTransportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return sensitive.RedactKeys(err.Error())
}

func (p *Proxy) serveViolations(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, p.Listing(), nil)
	case http.MethodDelete:
		p.Clear()
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "violations cleared"}, nil)
	default:
		w.Header().Set("Allow", "GET, DELETE")
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowedError", "GET lists the violations, DELETE clears them")
	}
}

// strictBody is the 502 of strict mode: the upstream's status and what was wrong.
func strictBody(status int, vs []Violation) any {
	return apierror.New(http.StatusBadGateway, "ContractViolationError",
		fmt.Sprintf("the upstream's answer (%d) breaks the contract in %d places; it was not passed on", status, len(vs)),
		map[string]any{"upstream_status": status, "violations": listed(vs)})
}

// listed are violations as a 502's details list them.
func listed(vs []Violation) []map[string]any {
	list := make([]map[string]any, len(vs))
	for i, v := range vs {
		list[i] = map[string]any{"operation": v.Operation, "direction": v.Direction, "pointer": v.Pointer, "rule": v.Rule}
	}
	return list
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, apierror.New(status, typ, msg, nil), nil)
}

func writeJSON(w http.ResponseWriter, status int, v any, header http.Header) {
	for k, vs := range header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
