package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/mixpeekkit/mixpeekkit"
)

// request is what a check asks for. Body: nil (none), string (sent as it is), or a value
// encoded as JSON. Auth: the whole Authorization header ("" for none).
type request struct {
	method, path, auth string
	body               any
	contentType        string // application/json when a body is sent and this is empty
}

// bearer is the Authorization header for a key.
func bearer(key string) string { return "Bearer " + key }

// maxAnswer bounds what the suite reads of one answer.
const maxAnswer = 4 << 20

// send is the one place a request is built, sent and read: it sends r within RequestTimeout
// and reads at most maxAnswer bytes of the answer. It returns the exchange as a report shows
// it, without the answer's body (do adds it once the keys in it are known), and the answer
// (its body read and closed), nil when none arrived. err, when not nil, is the failure to
// report: the request could not be built or sent, or its answer not read whole; ex is nil
// only when the body could not be encoded.
func (s *suite) send(ctx context.Context, r request) (ex *Exchange, resp *http.Response, err error) {
	var body []byte
	switch b := r.body.(type) {
	case nil:
	case string:
		body = []byte(b)
	default:
		if body, err = json.Marshal(b); err != nil {
			return nil, nil, fmt.Errorf("encode request: %v", err)
		}
	}
	ex = &Exchange{Method: r.method, URL: s.base.Redacted() + r.path, Auth: authShown(r.auth), RequestBody: s.show(body)}
	ex.Curl = s.curlOf(r, ex.RequestBody)
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.method, s.base.String()+r.path, bytes.NewReader(body))
	if err != nil {
		return ex, nil, fmt.Errorf("build request: %v", s.redact(err.Error()))
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
	// A time-out says which request, after how long, and which setting bounds it.
	timedOut := func(err error) bool {
		if parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			ex.Error = fmt.Sprintf("%s %s timed out after %s (the request timeout: -timeout, Config.RequestTimeout)", r.method, ex.URL, s.cfg.RequestTimeout)
			return true
		}
		return false
	}
	resp, err = s.client.Do(req)
	if err != nil {
		if !timedOut(err) {
			ex.Error = s.redact(err.Error())
		}
		return ex, nil, errors.New("request failed")
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	resp.Body.Close()
	if err != nil {
		if !timedOut(err) {
			ex.Error = s.redact(err.Error())
		}
		return ex, resp, errors.New("reading the answer failed")
	}
	if len(raw) > maxAnswer {
		ex.Status, ex.ContentType = resp.StatusCode, resp.Header.Get("Content-Type")
		return ex, resp, fmt.Errorf("the answer is larger than %d bytes", maxAnswer)
	}
	ex.Status, ex.ContentType, ex.raw = resp.StatusCode, resp.Header.Get("Content-Type"), raw
	_ = json.Unmarshal(raw, &ex.json)
	return ex, resp, nil
}

// do sends a request for a check, checks the answer against openapi.yaml (a violation fails
// this check and names the operation), and looks for echoed secret values. A request without
// a whole answer ends the check.
func (t *checkRun) do(r request) *Exchange {
	s := t.s
	ex, resp, err := s.send(t.ctx, r)
	if err != nil {
		t.Fatalf(ex, "%v", err)
	}
	// Learn plaintext keys before anything is shown, so they are redacted everywhere.
	if k, ok := ex.json["key"].(string); ok && k != "" {
		s.known.add(k)
	}
	s.lookForEchoes(t.check.ID, ex)
	ex.ResponseBody = s.show(ex.raw)
	t.checkContract(ex, r, resp.Header)
	return ex
}

// call sends one request as the run's admin key.
func (t *checkRun) call(method, path string, body any) *Exchange {
	return t.do(request{method: method, path: path, auth: bearer(t.s.cfg.APIKey), body: body})
}

// checkContract validates the answer against the operation the request addresses.
func (t *checkRun) checkContract(ex *Exchange, r request, header http.Header) {
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
	ex.Operation = mixpeekkit.OperationID(route.Operation.OperationID)
	if err := t.s.contract.CheckResponse(t.ctx, route, probe, ex.Status, header, ex.raw); err != nil {
		t.Errorf(ex, "contract: %v", err)
	}
}

// echoLog lists the answers that contained a secret value the run sent; the safety check
// reports them.
type echoLog struct {
	mu    sync.Mutex
	found []string
}

// lookForEchoes notes an answer that contains a secret value the run sent, as each answer
// arrives, so no body needs keeping.
func (s *suite) lookForEchoes(checkID string, ex *Exchange) {
	for _, v := range s.known.sentValues() {
		if bytes.Contains(ex.raw, []byte(v)) {
			s.echoes.mu.Lock()
			defer s.echoes.mu.Unlock()
			s.echoes.found = append(s.echoes.found, fmt.Sprintf("%s: %s %s answered %d", checkID, ex.Method, ex.URL, ex.Status))
			return
		}
	}
}

// soFar lists the echoes found so far.
func (l *echoLog) soFar() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.found...)
}
