package mockserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
	"github.com/mixpeekkit/mixpeekkit/mockserver/mockservertest"
)

// teeHandler writes every log record to each of its handlers: the mock logs in text and JSON
// at once.
type teeHandler []slog.Handler

func (t teeHandler) Enabled(ctx context.Context, l slog.Level) bool { return true }
func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range t {
		if err := h.Handle(ctx, r.Clone()); err != nil {
			return err
		}
	}
	return nil
}
func (t teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := teeHandler{}
	for _, h := range t {
		out = append(out, h.WithAttrs(as))
	}
	return out
}
func (t teeHandler) WithGroup(name string) slog.Handler {
	out := teeHandler{}
	for _, h := range t {
		out = append(out, h.WithGroup(name))
	}
	return out
}

// exchange is one request and answer as the canary test records them.
type exchange struct {
	method, path string
	request      []byte
	status       int
	answer       []byte
}

// recorder records every exchange that passes through the mock.
type recorder struct {
	mu        sync.Mutex
	exchanges []exchange
}

type teeWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *teeWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }
func (w *teeWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (rec *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		tw := &teeWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(tw, r)
		rec.mu.Lock()
		rec.exchanges = append(rec.exchanges, exchange{r.Method, r.URL.Path, body, tw.status, tw.body.Bytes()})
		rec.mu.Unlock()
	})
}

// The whole conformance suite and the hostile inputs of the hardening work run against a mock
// seeded with recognisable canaries. No secret value (seeded or sent) and no plaintext key
// (seeded, created or rotated) is in any log line, text or JSON, or in the journal; no secret
// value is in any answer, and a plaintext key only in the one answer that made it.
func TestCanariesNeverLeak(t *testing.T) {
	ownerKey, readerKey, peerKey := "sk_CANARYOWNERKEY_"+strings.Repeat("o", 30), "sk_CANARYREADERKEY_"+strings.Repeat("r", 30), "sk_CANARYPEERKEY_"+strings.Repeat("p", 30)
	seed := fixtures.SeedOf(
		fixtures.Org("A", "owner@canary.test", ownerKey).WithReadOnlyKey("reader", readerKey).
			WithSecret("canary_1", "CANARY-SECRET-VALUE-1").WithSecret("canary_2", "CANARY-SECRET-VALUE-2"),
		fixtures.Org("B", "owner@peer.test", peerKey).WithSecret("canary_3", "CANARY-SECRET-VALUE-3"))
	var text, js syncBuffer
	logger := slog.New(teeHandler{slog.NewTextHandler(&text, nil), slog.NewJSONHandler(&js, nil)})
	mock := mockservertest.NewServerWithOptions(t, mockserver.Options{Seed: seed, Logger: logger})
	rec := &recorder{}
	mock.Wrap(rec.wrap)

	rep, err := conformance.Run(context.Background(), conformance.Config{BaseURL: mock.URL, APIKey: ownerKey,
		UserEmail: "owner@canary.test", PeerAPIKey: peerKey, Destructive: true,
		Sleep: func(_ context.Context, d time.Duration) error { return mock.AdvanceClock(d) }})
	if err != nil || !rep.OK() {
		t.Fatalf("the suite: %v %+v", err, rep)
	}
	hostile := []struct{ method, path, body string }{
		{"POST", secretsURL, `{"secret_name": "h1", "secretValue": "CANARY-MISNAMED-1", "value": "CANARY-MISNAMED-2", "secret": "CANARY-MISNAMED-3"}`},
		{"POST", secretsURL, "{\"secret_name\": \"h\xff\", \"secret_value\": \"CANARY-BAD-UTF8\"}"},
		{"POST", secretsURL, `{"secret_name": "", "secret_value": "CANARY-REFUSED"}`},
		{"DELETE", secretsURL + "/" + readerKey, ""},
		{"DELETE", secretsURL + "/sk%5F" + readerKey[3:], ""},
		{"GET", secretsURL + "?token=" + readerKey, ""},
		{"POST", "/v1/organizations/users/owner%40canary.test/api-keys", `{"name": "k", "scopes": [{"resource_type": "namespace", "resource_id": "r", "Resource_Id": "` + readerKey + `"}]}`},
	}
	for _, h := range hostile {
		req, _ := http.NewRequest(h.method, mock.URL+h.path, strings.NewReader(h.body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := mock.Client(mock.AdminKey).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	// What must never be shown: the seeded and sent secret values, and every plaintext key.
	values := []string{"CANARY-SECRET-VALUE-1", "CANARY-SECRET-VALUE-2", "CANARY-SECRET-VALUE-3",
		"CANARY-MISNAMED-1", "CANARY-MISNAMED-2", "CANARY-MISNAMED-3", "CANARY-BAD-UTF8", "CANARY-REFUSED"}
	keys := []string{ownerKey, readerKey, peerKey}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, ex := range rec.exchanges {
		var body map[string]any
		if json.Unmarshal(ex.request, &body) == nil {
			if v, ok := body["secret_value"].(string); ok && len(v) >= 8 {
				values = append(values, v)
			}
		}
		var answer map[string]any
		if json.Unmarshal(ex.answer, &answer) == nil {
			if k, ok := answer["key"].(string); ok {
				keys = append(keys, k)
			}
		}
	}
	if len(values) < 20 || len(keys) < 10 {
		t.Fatalf("only %d secret values and %d keys seen: the test proves little", len(values), len(keys))
	}
	journal := mock.Requests()
	journalJSON, _ := json.Marshal(journal)
	for where, text := range map[string]string{"text log": text.String(), "JSON log": js.String(), "journal": string(journalJSON)} {
		for _, c := range append(append([]string{}, values...), keys...) {
			if strings.Contains(text, c) {
				t.Errorf("the %s holds a canary (%.12s…)", where, c)
			}
		}
	}
	for _, ex := range rec.exchanges {
		answer := string(ex.answer)
		for _, v := range values {
			if strings.Contains(answer, v) {
				t.Errorf("%s %s answered a secret value (%.12s…)", ex.method, ex.path, v)
			}
		}
		var made map[string]any
		_ = json.Unmarshal(ex.answer, &made)
		own, _ := made["key"].(string)
		for _, k := range keys {
			if k != own && strings.Contains(answer, k) {
				t.Errorf("%s %s answered a plaintext key it did not make (%.12s…)", ex.method, ex.path, k)
			}
		}
	}
	if len(journal) < 100 || strings.Count(js.String(), `"msg":"request"`) < 100 {
		t.Errorf("%d journal entries, %d JSON log lines: the run was not recorded", len(journal), strings.Count(js.String(), `"msg":"request"`))
	}
}
