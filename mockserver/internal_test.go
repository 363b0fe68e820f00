package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/apierror"

	"github.com/gorilla/mux"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// defaultAdminKey is the admin key of the default data set, which newTestServer serves.
func defaultAdminKey(t *testing.T) string {
	t.Helper()
	d, err := fixtures.Default()
	if err != nil {
		t.Fatal(err)
	}
	return d.Organizations[0].AdminKey()
}

func newTestServer(t *testing.T, logs *bytes.Buffer) *Server {
	t.Helper()
	s, err := New(Options{StrictResponses: true, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A panic becomes a 500 ErrorResponse, and neither the answer nor the log shows what the
// panic value held.
func TestPanicIsRecoveredWithoutLeaking(t *testing.T) {
	var logs bytes.Buffer
	s := newTestServer(t, &logs)
	const secretValue = "PANIC-SECRET-VALUE"
	r := mux.NewRouter()
	r.Path("/boom").HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("leaked " + secretValue) })
	s.router = r

	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", rec.Code)
	}
	var body apierror.Response
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Type != "InternalServerError" || body.Status != 500 {
		t.Fatalf("body %s", rec.Body)
	}
	var v any
	_ = json.Unmarshal(rec.Body.Bytes(), &v)
	if err := s.contract.Doc.Components.Schemas["ErrorResponse"].Value.VisitJSON(v); err != nil {
		t.Errorf("the 500 is not an ErrorResponse: %v", err)
	}
	if strings.Contains(rec.Body.String()+logs.String(), secretValue) {
		t.Error("the panic value reached the answer or the log")
	}
	if !strings.Contains(logs.String(), `"panic_type":"string"`) || !strings.Contains(logs.String(), `"status":500`) {
		t.Errorf("the log does not record the panic and its 500:\n%s", logs.String())
	}
}

// In strict mode an answer that breaks openapi.yaml becomes a 500 naming the violation,
// and the echoed writeOnly value is not in it.
func TestStrictModeRejectsTheMocksOwnBadAnswers(t *testing.T) {
	var logs bytes.Buffer
	s := newTestServer(t, &logs)
	const echoed = "ECHOED-SECRET-VALUE"
	broken := func(body any, success int) *operation {
		for _, op := range operations() {
			if op.id == string(mixpeekkit.OpCreateSecret) {
				op.doc, op.route = s.contract, s.contract.Route(op.id)
				op.success = success
				op.handle = func(*Server, *call) (any, error) { return body, nil }
				return op
			}
		}
		t.Fatal("no create secret operation")
		return nil
	}
	for name, op := range map[string]*operation{
		"echoed secret_value": broken(map[string]any{"secret_name": "s", "created": true, "secret_value": echoed}, http.StatusCreated),
		"missing field":       broken(map[string]any{"created": true}, http.StatusCreated),
		"undeclared status":   broken(map[string]any{"secret_name": "s"}, http.StatusAccepted),
	} {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("POST", "/v1/organizations/secrets", strings.NewReader(`{"secret_name":"s","secret_value":"`+echoed+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+defaultAdminKey(t))
			s.serveOperation(op, rec, req)
			if rec.Code != http.StatusInternalServerError {
				t.Fatalf("status %d %s", rec.Code, rec.Body)
			}
			if err := s.contract.CheckResponse(context.Background(), op.route, req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
				t.Errorf("the 500 itself breaks the contract: %v", err)
			}
			if !strings.Contains(rec.Body.String(), "openapi.yaml") || !strings.Contains(rec.Body.String(), op.id) {
				t.Errorf("the 500 does not name the violation: %s", rec.Body)
			}
			if strings.Contains(rec.Body.String()+logs.String(), echoed) {
				t.Error("the echoed value reached the answer or the log")
			}
		})
	}
}

// The route tables serve every operation of both documents, each once, under its constant.
func TestRouteTableMatchesTheContract(t *testing.T) {
	s := newTestServer(t, &bytes.Buffer{})
	for _, doc := range []struct {
		name string
		c    *contract.Contract
		ops  []*operation
	}{{"openapi.yaml", s.contract, operations()}, {"control.yaml", s.control, controlOperations()}} {
		served := map[string]bool{}
		for _, op := range doc.ops {
			if served[op.id] {
				t.Errorf("%s: %s is served twice", doc.name, op.id)
			}
			served[op.id] = true
		}
		for _, id := range doc.c.OperationIDs() {
			if !served[id] {
				t.Errorf("%s: operation %s is not served", doc.name, id)
			}
		}
		if len(served) != len(doc.c.OperationIDs()) {
			t.Errorf("%s: %d served, %d in the document", doc.name, len(served), len(doc.c.OperationIDs()))
		}
	}
	for _, id := range mixpeekkit.Operations() {
		if s.contract.Route(string(id)) == nil {
			t.Errorf("the constant %s is not an operation of openapi.yaml", id)
		}
	}
}

// The status table is the one place a kind becomes a status and an error.type; an error that
// is not an *Error is a 500.
func TestStatusTable(t *testing.T) {
	for _, tc := range []struct {
		kind   error
		status int
		typ    string
	}{
		{ErrBadRequest, 400, "BadRequestError"}, {errKindUnauthorized, 401, "UnauthorizedError"},
		{errKindForbidden, 403, "ForbiddenError"}, {ErrNotFound, 404, "NotFoundError"},
		{errKindAlreadyExists, 409, "AlreadyExistsError"}, {errKindMethodNotAllowed, 405, "MethodNotAllowedError"},
		{errKindInternal, 500, "InternalServerError"},
	} {
		status, body := answerOf(newError(tc.kind, map[string]any{"x": 1}, "m"))
		er, ok := body.(apierror.Response)
		if status != tc.status || !ok || er.Status != tc.status || er.Error.Type != tc.typ || er.Error.Message != "m" || er.Success {
			t.Errorf("%v: %d %+v", tc.kind, status, body)
		}
		if kindOf(tc.status) != tc.kind {
			t.Errorf("kindOf(%d) = %v", tc.status, kindOf(tc.status))
		}
	}
	status, body := answerOf(errValidation([]violation{{Loc: []any{"body"}, Msg: "m", Type: "t"}}))
	if v, ok := body.(httpValidationError); status != 422 || !ok || len(v.Detail) != 1 {
		t.Errorf("422: %d %+v", status, body)
	}
	status, body = answerOf(errors.New("random source: EOF"))
	if er, ok := body.(apierror.Response); status != 500 || !ok || er.Error.Type != "InternalServerError" {
		t.Errorf("a plain error: %d %+v", status, body)
	}
}

// control.yaml states the shape of a plaintext key for admin_key; it is the one of
// internal/sensitive.
func TestControlKeyPatternIsTheKeyShape(t *testing.T) {
	s := newTestServer(t, &bytes.Buffer{})
	p := s.control.Doc.Components.Schemas["CreateOrganizationRequest"].Value.Properties["admin_key"].Value.Pattern
	if p != sensitive.KeyPattern {
		t.Errorf("control.yaml admin_key pattern %q, internal/sensitive %q", p, sensitive.KeyPattern)
	}
}

// The latencies of the faults of one call add up to a minute at most.
func TestFaultLatencyIsCapped(t *testing.T) {
	h := &faultHit{LatencyMS: 60000 + 60000, JitterMS: 60000, dice: func() float64 { return 0.99 }}
	if got := h.latency(); got != maxFaultLatency || maxFaultLatency != time.Minute {
		t.Errorf("latency %s, cap %s", got, maxFaultLatency)
	}
	h = &faultHit{LatencyMS: 1500, JitterMS: 1000, dice: func() float64 { return 0.5 }}
	if got := h.latency(); got != 2*time.Second {
		t.Errorf("latency %s, want 2s", got)
	}
}

// BenchmarkStateAt100kSecrets compares, at 100k secrets, what GET /_mock/state holds the
// store's lock for (copyState) with the whole of it (snapshot, which copies then renders
// outside the lock).
func BenchmarkStateAt100kSecrets(b *testing.B) {
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	tok, _ := s.ring.Encrypt([]byte("v"), time.Now())
	_ = s.store.do(func(st *state) error {
		for i := range 100000 {
			st.orgs[0].secrets[fmt.Sprintf("secret_%06d", i)] = &secret{Token: tok}
		}
		return nil
	})
	b.Run("under-the-lock", func(b *testing.B) {
		for b.Loop() {
			_ = s.copyState()
		}
	})
	b.Run("whole", func(b *testing.B) {
		for b.Loop() {
			_ = s.snapshot()
		}
	})
}
