// Package mockserver is a stateful, in-memory fake of the Mixpeek organization secrets and
// API-key endpoints. It serves the 9 operations of openapi.yaml from seed data (package
// fixtures), refuses every request that breaks the contract with the upstream error bodies,
// and offers, under /_mock/, a control API (control.yaml) for tenants, the request journal,
// faults and the clock. docs/behavior.md is the reference of what it does.
//
//	srv, err := mockserver.New(mockserver.Options{}) // the default organization
//	...
//	http.ListenAndServe("127.0.0.1:8080", srv)
//
// Go tests use package mockservertest, which starts one mock per test. The Server methods do
// in Go what the control API does over HTTP for the journal, faults, the clock and reset
// (tenants are the control API's alone: in Go, each test has a mock of its own), and read
// what no endpoint shows (SecretValue); a refusal is an error whose kind errors.Is tells
// (ErrNotFound, ErrBadRequest, ErrInvalid).
package mockserver

// Every request takes one path, in ServeHTTP and serveOperation: recover panics, log, route
// (gorilla/mux: 404, 405), authenticate (401), apply faults, authorize (403), validate the
// request against its document (422), run the handler (404, 409, 400, admin-key 403), and in
// strict mode check the answer against the document before it is written. A status is chosen
// in two tables only: the operation tables (success) and statusTable (errors).

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/keyring"
	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
	"github.com/mixpeekkit/mixpeekkit/internal/violations"
)

// Options configures a Server. The zero value serves the default data set (fixtures.Default:
// one organization owned by admin@example.com with the development admin key) with a random
// encryption key, the real clock and crypto/rand, and does not check its own answers.
type Options struct {
	// Seed is the data to serve and to return to on reset; with no organization, the default
	// data set (fixtures.Default). The command sets it from -fixtures, or from the default
	// with -admin-key and -admin-email applied.
	Seed fixtures.Seed
	// EncryptionKey is the Fernet key ring: url-safe base64 32-byte keys, comma-separated,
	// newest first (ENCRYPTION_KEY). The first encrypts, all decrypt. Empty: a random key,
	// with a warning in the log, so stored tokens cannot be read after the process ends.
	EncryptionKey string
	// Clock gives the time of every timestamp and expiry decision (time.Now when nil).
	Clock func() time.Time
	// Rand is the source of IDs, key material and the fault dice (crypto/rand when nil). A
	// seeded source makes them repeatable (mockservertest.Deterministic).
	Rand io.Reader
	// Logger receives one line per request and the warnings (discarded when nil; the command's
	// -log-format).
	Logger *slog.Logger
	// StrictResponses checks every answer against openapi.yaml (the control API's against
	// its own document) and turns a violation into a 500 that names it. The command and
	// mockservertest always set it.
	StrictResponses bool
	// JournalSize is how many requests the journal keeps (DefaultJournalSize when 0;
	// -journal-size).
	JournalSize int
	// ControlToken, when set, protects the control API: every /_mock/ operation but health
	// and its OpenAPI document needs "Authorization: Bearer <ControlToken>" (-control-token).
	ControlToken string
	// AllowedHosts are the host names, besides IP literals and localhost, under which the
	// control API answers (a CI service name such as "mock"; -allow-host). The control API
	// refuses other Host headers, and an Origin header that is neither the request's own host
	// nor one of these, so that no web page can reach it.
	AllowedHosts []string
	// MaxTenants is how many organizations the control API may create (POST /_mock/orgs) and
	// hold at once (DefaultMaxTenants when 0; -max-tenants); seeded ones do not count.
	MaxTenants int
	// RecordingBytes bounds each organization's recording, in bytes of JSON
	// (DefaultRecordingBytes when 0, at most 16 MiB; -recording-bytes): the call that would
	// take it past the bound ends it, and that call and every later one count as dropped.
	RecordingBytes int
	// DisableRecording turns the recording of each organization's calls off (it is on by
	// default, bounded by JournalSize; -no-recording).
	DisableRecording bool
}

// The budgets of Options: what the mock holds at most when an option is 0.
const (
	DefaultMaxTenants     = 100
	DefaultRecordingBytes = 1 << 20
)

// Server is the mock. It is an http.Handler and safe for concurrent use.
type Server struct {
	contract     *contract.Contract
	control      *contract.Contract
	router       *mux.Router
	store        *store
	ring         *keyring.Ring
	ids          *idGen
	clock        func() time.Time
	log          *slog.Logger
	strict       bool
	journal      *journal
	lax          violations.Log // the requests accepted only by lax parsing (GET /_mock/violations)
	recorders    *recorders
	faults       *faults
	controlToken string
	allowedHosts []string // lower case
	maxTenants   int

	clockMu     sync.Mutex
	clockOffset time.Duration // moved by the control API

	// epoch orders the calls of the API against what the recordings mark (a reset, a clock
	// move): a call holds it shared from its handler to its recording, a reset or a clock move
	// holds it alone, so a call is recorded on the side of the marker it ran on.
	epoch sync.RWMutex

	shutdown     chan struct{} // closed by Shutdown: fault latencies end at once
	shutdownOnce sync.Once
}

// EndLatencies ends every fault latency at once, in flight or to come (the calls are then
// answered as usual), so that an http.Server serving the mock can shut down gracefully
// without waiting for them: give it to http.Server.RegisterOnShutdown. It stops nothing else:
// the mock goes on serving.
func (s *Server) EndLatencies() { s.shutdownOnce.Do(func() { close(s.shutdown) }) }

//go:embed control.yaml
var controlDocument []byte

// control.yaml is read-only once loaded: every server shares it.
var (
	loadControl = sync.OnceValues(func() (*contract.Contract, error) {
		return contract.Parse(context.Background(), "control.yaml", controlDocument)
	})
)

// New builds a server from opts, or says why it cannot, naming the option
// ("mockserver: Options.Seed: ..."). A refusal of the seed's data names the entry and the
// rule; fixtures.File.Locate places it in the file the seed came from.
func New(opts Options) (*Server, error) {
	c, err := contract.OpenAPI()
	if err != nil {
		return nil, err
	}
	ctl, err := loadControl()
	if err != nil {
		return nil, err
	}
	switch {
	case opts.MaxTenants < 0:
		return nil, errors.New("mockserver: Options.MaxTenants must not be negative")
	case opts.RecordingBytes < 0 || opts.RecordingBytes > recfmt.MaxCallBytes:
		return nil, fmt.Errorf("mockserver: Options.RecordingBytes must be from 0 to %d (half the largest recording file a replay reads, for its indentation)", recfmt.MaxCallBytes)
	}
	s := &Server{
		contract:     c,
		control:      ctl,
		ids:          &idGen{src: opts.Rand},
		clock:        opts.Clock,
		log:          opts.Logger,
		strict:       opts.StrictResponses,
		journal:      newJournal(opts.JournalSize),
		recorders:    &recorders{off: opts.DisableRecording, byOrg: map[string]*recorder{}},
		controlToken: opts.ControlToken,
		allowedHosts: lowered(opts.AllowedHosts),
		maxTenants:   cmp.Or(opts.MaxTenants, DefaultMaxTenants),
		shutdown:     make(chan struct{}),
	}
	if s.ids.src == nil {
		s.ids.src = rand.Reader
	}
	if s.faults, err = newFaults(s.ids); err != nil {
		return nil, err
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if opts.EncryptionKey == "" {
		if s.ring, err = keyring.Generate(); err != nil {
			return nil, err
		}
	} else if s.ring, err = keyring.Parse(opts.EncryptionKey); err != nil {
		return nil, fmt.Errorf("mockserver: Options.EncryptionKey: %w", err)
	}
	seed := opts.Seed
	if len(seed.Organizations) == 0 {
		if seed, err = fixtures.Default(); err != nil {
			return nil, err
		}
	}
	initial, err := build(seed, s.contract, s.ring, s.ids, s.now())
	if err != nil {
		return nil, fmt.Errorf("mockserver: Options.Seed: %w", err)
	}
	s.recorders.limit, s.recorders.byteLimit = s.journal.size, cmp.Or(opts.RecordingBytes, DefaultRecordingBytes)
	s.store = newStore(initial)
	if s.router, err = routes(); err != nil {
		return nil, err
	}
	// Warned only once everything else is accepted: a mock that does not start says why,
	// and nothing else.
	if opts.EncryptionKey == "" {
		s.log.Warn("no encryption key given: secrets are encrypted with a random key that ends with this process; set ENCRYPTION_KEY to keep tokens readable")
	}
	return s, nil
}

// ServeHTTP serves the 9 operations and the control API. It is the outer part of the request
// path: recover, log, journal, route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	p := &pending{record: !strings.HasPrefix(r.URL.Path, controlPrefix+"/")}
	p.entry = JournalEntry{Time: s.now(), Method: journalText(r.Method, maxJournalMethod, sensitive.RedactKeys),
		Path:  journalText(r.URL.EscapedPath(), maxJournalText, sensitive.RedactPath),
		Query: journalText(r.URL.RawQuery, maxJournalText, sensitive.RedactQuery)}
	ctx := context.WithValue(context.WithValue(r.Context(), pendingKey{}, p), serverKey{}, s)
	r = r.WithContext(ctx)
	defer func() {
		if v := recover(); v != nil {
			if v == (closeConnection{}) { // a close_connection fault, or a client gone
				s.log.Info("request", "method", p.entry.Method, "path", p.entry.Path, "status", 0, "closed", true, "duration", time.Since(start))
				if p.record {
					p.entry.DurationMS = millis(time.Since(start))
					s.journal.add(p.entry)
				}
				// Closed here: nothing unwinds through the middleware around the mock. Only a
				// writer that cannot be hijacked (HTTP/2, a recorder) is aborted as net/http
				// documents, with http.ErrAbortHandler.
				if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
					conn.Close()
					return
				}
				panic(http.ErrAbortHandler)
			}
			// The panic value may hold anything, a secret value included: log its type and
			// the stack (which shows no string contents), never the value.
			s.log.Error("panic while serving a request", "method", p.entry.Method, "path", p.entry.Path,
				"panic_type", fmt.Sprintf("%T", v), "stack", string(debug.Stack()))
			if rec.status == 0 {
				s.writeError(rec, errInternalf("the mock server failed while serving this request"))
			}
		}
		d := time.Since(start)
		s.log.Info("request", "method", p.entry.Method, "path", p.entry.Path, "status", rec.status, "duration", d)
		if p.record {
			p.entry.Status, p.entry.DurationMS = rec.status, millis(d)
			s.journal.add(p.entry)
		}
	}()
	s.router.ServeHTTP(rec, r)
}

// serveOperation is the inner part of the request path, for the 9 operations of the contract
// and those of the control API alike.
func (s *Server) serveOperation(op *operation, w http.ResponseWriter, r *http.Request) {
	p := pendingOf(r.Context())
	defer s.leaveEpoch(p) // on every path, a panic's too
	if !op.control {
		p.entry.OperationID = mixpeekkit.OperationID(op.id)
		p.entry.RequestBody = s.captureBody(r, op)
	}
	status, body := s.answer(op, r)
	if raw, ok := body.(rawAnswer); ok { // the control API's own YAML document
		s.write(w, status, raw.data, http.Header{"Content-Type": {raw.contentType}})
		return
	}
	header := http.Header{}
	if status == http.StatusUnauthorized {
		header.Set("WWW-Authenticate", "Bearer")
	}
	if p.retryAfter > 0 {
		header.Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	data, err := marshal(body)
	if err != nil {
		s.log.Error("the mock cannot encode its answer", "operation", op.id, "error", err.Error())
		s.writeError(w, errInternalf("the mock server failed to encode its answer"))
		return
	}
	if s.strict && !p.entry.OutsideContract { // a fault of 429, 502, 503 or 504 is outside it on purpose
		header.Set("Content-Type", "application/json")
		if err := op.doc.CheckResponse(r.Context(), op.route, r, status, header, data); err != nil {
			// The violation names places and keywords only, never values: safe to log and return.
			s.log.Error("the mock's own answer breaks its OpenAPI document", "operation", op.id, "error", err.Error())
			s.writeError(w, errInternalf("mock answer rejected by %s: %v", op.doc.Name, err))
			return
		}
	}
	if !op.control {
		s.record(op, r, p, status, data)
		for _, at := range p.coerced {
			s.lax.Record(violations.Violation{Time: p.entry.Time, Method: p.entry.Method, Path: p.entry.Path,
				Operation: op.id, Direction: "request", Status: status, Pointer: at, Rule: "lax-coercion"})
		}
	}
	s.leaveEpoch(p) // before the answer is written: a slow client holds no reset back
	s.write(w, status, data, header)
}

// leaveEpoch releases the epoch a call holds from its handler to its recording, once.
func (s *Server) leaveEpoch(p *pending) {
	if p.inEpoch {
		p.inEpoch = false
		s.epoch.RUnlock()
	}
}

// captureBody reads the request body for the journal, whatever becomes of the request, and
// puts it back for the steps that follow, with the error that ended the reading: a body cut
// short (a Content-Length longer than what came before the client closed) is not taken as
// complete. It reads one byte past the limit, so the contract step still sees a body that is
// too large.
func (s *Server) captureBody(r *http.Request, op *operation) json.RawMessage {
	if op.route.Operation.RequestBody == nil || r.Body == nil {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body.Close()
	var rest io.Reader = bytes.NewReader(data)
	if err != nil {
		rest = io.MultiReader(rest, failingReader{err})
	}
	r.Body = io.NopCloser(rest)
	if err == nil {
		// For the recording, which keeps placeholders only (or, of a body too large, its
		// length: one byte past the limit).
		pendingOf(r.Context()).rawBody = data
	}
	return redactBody(data, op.bodySchema())
}

// closeConnection ends a call by closing its connection, unanswered: ServeHTTP recovers it.
type closeConnection struct{}

// failingReader fails every read with its error.
type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// applyFault runs the faults that match an authenticated call: their latency first, then a
// closed connection or an error status instead of the operation (nil when none answers).
func (s *Server) applyFault(op *operation, r *http.Request, caller *principal) error {
	hit := s.faults.take(op, r, caller)
	if hit == nil {
		return nil
	}
	pendingOf(r.Context()).entry.FaultID = hit.ID
	if d := hit.latency(); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
		case <-s.shutdown:
		}
		t.Stop()
	}
	switch {
	case hit.CloseConnection:
		panic(closeConnection{})
	case hit.Status != 0:
		p := pendingOf(r.Context())
		p.faulted, p.retryAfter = true, hit.RetryAfterS
		p.entry.OutsideContract = outsideContract(s.contract, hit.Status)
		return errFault(hit)
	}
	return nil // latency only: the operation runs as usual
}

// answer runs the checks in the order of a FastAPI server whose authentication and
// permission are dependencies, then the handler. Faults apply once the caller is known. It
// returns the status and the body.
func (s *Server) answer(op *operation, r *http.Request) (int, any) {
	c := &call{r: r, op: op, now: s.now()}
	p := pendingOf(r.Context())
	out, err := func() (any, error) {
		if op.control {
			if err := s.guardControl(r, op); err != nil { // 403, 401, 415
				return nil, err
			}
		} else {
			var err error
			if c.caller, err = s.authenticate(r, c.now); err != nil { // 401
				return nil, err
			}
			p.entry.OrganizationID, p.entry.KeyName = c.caller.orgID, sensitive.RedactKeys(c.caller.keyName)
			if err := s.applyFault(op, r, c.caller); err != nil { // a fault's status
				return nil, err
			}
			if !c.caller.has(op.need) { // 403
				return nil, errMissingPermission(op.need)
			}
		}
		var err error
		if c.vars, c.body, err = s.validateRequest(r, op); err != nil { // 422 (or 400: too large)
			return nil, err
		}
		if r.Context().Err() != nil {
			// The client has gone (during a fault's latency, or a slow body): the operation
			// does not run, and the call is journaled as a closed connection.
			panic(closeConnection{})
		}
		if !op.control {
			s.epoch.RLock() // released by serveOperation once the call is recorded
			p.inEpoch = true
		}
		return op.handle(s, c) // 404, 409, 400, admin-key 403
	}()
	if err == nil {
		return op.success, out
	}
	if !errors.As(err, new(*refusal)) {
		// Internal failures (random source, encryption) carry no request data.
		s.log.Error("internal error", "operation", op.id, "error", err.Error())
	}
	return answerOf(err)
}

// call is one request on its way through a handler.
type call struct {
	r      *http.Request
	op     *operation
	now    time.Time
	caller *principal
	vars   map[string]string // path parameters, percent-decoded
	body   []byte
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}
