package suite

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
)

// Request is what a check asks for. Body: nil (none), string (sent as it is), or a value
// encoded as JSON. Auth: the whole Authorization header ("" for none).
type Request struct {
	Method, Path, Auth string
	Body               any
	ContentType        string // application/json when a body is sent and this is empty
}

// Bearer is the Authorization header for a key.
func Bearer(key string) string { return "Bearer " + key }

// maxAnswer bounds what the suite reads of one answer.
const maxAnswer = 4 << 20

// Send is the one place a request is built, sent and read: it waits for the run's pace,
// sends r within RequestTimeout and reads at most maxAnswer bytes of the answer. An answer
// that asks to wait (429, 503) is asked again after its Retry-After, at most MaxRetries times,
// each retry paced and listed (Retries); only the last answer counts. It returns the exchange
// as a report shows it, without the answer's body (do adds it once the keys in it are known),
// and the answer (its body read and closed), nil when none arrived. err, when not nil, is the
// failure to report: the request could not be built or sent, or its answer not read whole; ex
// is nil only when the body could not be encoded.
func (s *Suite) Send(ctx context.Context, r Request) (ex *Exchange, resp *http.Response, err error) {
	return s.send(ctx, r, true)
}

// send is Send; paced false for a request of a burst the pace already let go (DoAll).
func (s *Suite) send(ctx context.Context, r Request, paced bool) (ex *Exchange, resp *http.Response, err error) {
	var body []byte
	switch b := r.Body.(type) {
	case nil:
	case string:
		body = []byte(b)
	default:
		if body, err = json.Marshal(b); err != nil {
			return nil, nil, fmt.Errorf("encode request: %v", err)
		}
	}
	ex = &Exchange{Method: r.Method, URL: s.Base.Redacted() + r.Path, Auth: authShown(r.Auth), RequestBody: s.Show(body)}
	ex.Curl = s.curlOf(r, ex.RequestBody, nil)
	for attempt := 0; ; attempt++ {
		if paced || attempt > 0 {
			if err := s.pace.Wait(ctx); err != nil {
				return ex, nil, err
			}
		}
		var raw []byte
		resp, raw, err = s.once(ctx, r, body, ex)
		s.pace.Done()
		if err != nil {
			return ex, resp, err
		}
		wait, again := retryAfter(resp, time.Now())
		if !again || attempt == MaxRetries || !s.retried.allow(wait) {
			ex.Status, ex.ContentType, ex.Raw = resp.StatusCode, resp.Header.Get("Content-Type"), raw
			_ = json.Unmarshal(raw, &ex.JSON)
			return ex, resp, nil
		}
		s.retried.add(checkOf(ctx), r.Method, strings.SplitN(r.Path, "?", 2)[0], resp.StatusCode, wait, attempt+1)
		if err := sleep(ctx, wait); err != nil {
			return ex, resp, err
		}
	}
}

// once sends r one time, within RequestTimeout, and reads its answer.
func (s *Suite) once(parent context.Context, r Request, body []byte, ex *Exchange) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(parent, s.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, s.Base.String()+r.Path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("build request: %v", s.Redact(err.Error()))
	}
	if body != nil {
		req.Header.Set("Content-Type", cmp.Or(r.ContentType, "application/json"))
	}
	if r.Auth != "" {
		req.Header.Set("Authorization", r.Auth)
	}
	// A time-out says which request, after how long, and which setting bounds it.
	timedOut := func() bool {
		if parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			ex.Error = fmt.Sprintf("%s %s timed out after %s (Config.RequestTimeout)", r.Method, ex.URL, s.RequestTimeout)
			return true
		}
		return false
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		if !timedOut() {
			ex.Error = s.Redact(err.Error())
		}
		return nil, nil, errors.New("request failed")
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	resp.Body.Close()
	if err != nil {
		if !timedOut() {
			ex.Error = s.Redact(err.Error())
		}
		return resp, nil, errors.New("reading the answer failed")
	}
	if len(raw) > maxAnswer {
		ex.Status, ex.ContentType = resp.StatusCode, resp.Header.Get("Content-Type")
		return resp, nil, fmt.Errorf("the answer is larger than %d bytes", maxAnswer)
	}
	return resp, raw, nil
}

// Do sends a request for a check, checks the answer against openapi.yaml (a violation fails
// this check and names the operation), and looks for echoed secret values. A request without
// a whole answer ends the check.
func (t *T) Do(r Request) *Exchange {
	ex, resp, err := t.S.Send(t.Ctx, r)
	return t.checked(r, ex, resp, err)
}

// checked is what Do does with an answer once it is in.
func (t *T) checked(r Request, ex *Exchange, resp *http.Response, err error) *Exchange {
	s := t.S
	if err != nil {
		t.Fatalf(ex, "%v", err)
	}
	// Learn plaintext keys before anything is shown, so they are redacted everywhere.
	if k, ok := ex.JSON["key"].(string); ok && k != "" {
		s.Known.Add(k)
	}
	s.lookForEchoes(t.Check.ID, ex)
	ex.ResponseBody = s.Show(ex.Raw)
	t.noteSetup(r, ex)
	if err := s.CheckAnswer(t.Ctx, r, ex, resp.Header); err != nil {
		t.Errorf(ex, "%v", err)
	}
	return ex
}

// DoAll sends requests at the same time, in a burst the pace allows (a second after the last
// request, at most the rate), and checks each answer as Do does. It skips the check when the
// rate is below len(rs): they could not go together.
func (t *T) DoAll(rs []Request) []*Exchange {
	s := t.S
	ok, err := s.pace.Burst(t.Ctx, len(rs))
	switch {
	case err != nil:
		t.Fatalf(nil, "%v", err)
	case !ok:
		t.Skip(fmt.Sprintf("%d requests at once do not fit the run's rate: raise -rate to %d or more", len(rs), len(rs)))
	}
	type sent struct {
		ex   *Exchange
		resp *http.Response
		err  error
	}
	out := make([]sent, len(rs))
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ex, resp, err := s.send(t.Ctx, r, false)
			out[i] = sent{ex, resp, err}
		}()
	}
	wg.Wait()
	exs := make([]*Exchange, len(rs))
	for i, o := range out {
		exs[i] = t.checked(rs[i], o.ex, o.resp, o.err)
	}
	return exs
}

// AdminAuth is the Authorization header of the run's admin key.
func (t *T) AdminAuth() string { return Bearer(t.S.APIKey) }

// Call sends one request as the run's admin key.
func (t *T) Call(method, path string, body any) *Exchange {
	return t.Do(Request{Method: method, Path: path, Auth: t.AdminAuth(), Body: body})
}

// CheckAnswer validates an answer against the operation its request addresses, names that
// operation in the exchange, and completes the exchange's JSON as the contract reads what an
// answer leaves out (contract.Complete: checks read a key's status, not its absence); nil when the answer conforms or the request addresses no
// operation of the contract (a check probing an unknown path). It is the one route probe of
// every engine: it routes on the path alone, so a base URL with a path prefix still finds the
// operation.
func (s *Suite) CheckAnswer(ctx context.Context, r Request, ex *Exchange, header http.Header) error {
	path, query, _ := strings.Cut(r.Path, "?")
	probe, err := http.NewRequest(r.Method, "http://contract.invalid"+path, nil)
	if err != nil {
		return nil
	}
	probe.URL.RawQuery = query
	route, _, err := s.Contract.FindRoute(probe)
	if err != nil {
		return nil
	}
	ex.Operation = mixpeekkit.OperationID(route.Operation.OperationID)
	if ex.JSON != nil {
		contract.Complete(ex.JSON, s.Contract.ResponseSchema(string(ex.Operation), ex.Status))
	}
	if err := s.Contract.CheckResponse(ctx, route, probe, ex.Status, header, ex.Raw); err != nil {
		return fmt.Errorf("contract: %s", s.Redact(err.Error()))
	}
	return nil
}

// echoLog lists the answers that contained a secret value the run sent; the safety check
// reports them.
type echoLog struct {
	mu    sync.Mutex
	found []string
}

// lookForEchoes notes an answer that contains a secret value the run sent, as each answer
// arrives, so no body needs keeping.
func (s *Suite) lookForEchoes(checkID string, ex *Exchange) {
	for _, v := range s.Known.SentValues() {
		if bytes.Contains(ex.Raw, []byte(v)) {
			s.NoteEcho(checkID, ex)
			return
		}
	}
}

// NoteEcho notes that an answer of a check contained a secret value the run sent (an engine
// that looks for its own values calls it too).
func (s *Suite) NoteEcho(checkID string, ex *Exchange) {
	s.echoes.mu.Lock()
	defer s.echoes.mu.Unlock()
	s.echoes.found = append(s.echoes.found, fmt.Sprintf("%s: %s %s answered %d", checkID, ex.Method, ex.URL, ex.Status))
}

// Echoes lists the answers found so far that contained a secret value the run sent.
func (s *Suite) Echoes() []string {
	s.echoes.mu.Lock()
	defer s.echoes.mu.Unlock()
	return append([]string(nil), s.echoes.found...)
}

// UnknownKey is shaped like a key and was never issued: the one unknown key of every engine.
const UnknownKey = "sk_0000000000000000000000000000000000000000000"
