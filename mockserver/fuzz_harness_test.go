package mockserver

// The harness of the mock's fuzz targets (fuzz_test.go; go test -fuzz; make fuzz). Each target
// runs one in-process server per fuzz process (newFuzzServer) and calls ServeHTTP directly, so
// an input costs no network. The state goes back to the seed before every input (Reset, no
// faults, the clock and the random source started again), so that whatever the fuzzer finds
// reproduces from its input alone.
//
// One checker (fuzzServer.do) holds every answer to the same properties:
//   - no panic (the server recovers them into 500s: the log is read for them) and no 5xx;
//   - the answer validates against its document, found with kin-openapi's own router
//     (openapi.yaml for the 9 operations, control.yaml under /_mock/); an answer to a path of
//     no operation is a 404 or 405 ErrorResponse;
//   - a refused request (status >= 400) leaves the state as it was: GET /_mock/state without
//     last_used_at (authentication sets it on refused calls too), the faults, the clock, and
//     how much was drawn from the random source (a refused request shifts no later ID);
//   - no part of a secret value or a plaintext key in the answer, the log (JSON and text, both
//     on every request) or the journal: the seeded secret values and keys, the control token,
//     the keys created during the input, what the request sends as secret_value or under a
//     member its schema does not declare, and the Authorization header. An answer may repeat
//     what the request itself sent elsewhere (a name in the path); nothing shaped like a
//     plaintext key is ever in the log or the journal, whatever the request sent.
//
// The seed corpus is in testdata/fuzz/<target>/, generated from fuzzSeeds (fuzz_corpus_test.go).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"index/suffixarray"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/google/go-cmp/cmp"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
	"github.com/mixpeekkit/mixpeekkit/recording"
)

// The data of the fuzz server: two organizations, whose secret values, plaintext keys and
// control token are the canaries no answer, log line or journal entry may show.
const (
	fuzzEncryptionKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" // the bytes 0 to 31
	fuzzControlToken  = "mock-control-token-CANARY-71c3e9a0d5"
	fuzzOwner         = "owner@fuzz.test"
	fuzzOwnerPath     = "owner%40fuzz.test"
	fuzzMember        = "member@fuzz.test" // a user without keys
	fuzzOtherOwner    = "owner@other.test" // the other organization's owner
	fuzzSecretName    = "stripe_api_key"   // a seeded secret of the first organization
	fuzzReaderName    = "reader"           // a seeded read key of the owner
)

var (
	fuzzAdminKey      = fixtures.KeyFor("fuzz/admin-key")
	fuzzReaderKey     = fixtures.KeyFor("fuzz/reader")
	fuzzRetiredKey    = fixtures.KeyFor("fuzz/retired") // revoked
	fuzzLapsedKey     = fixtures.KeyFor("fuzz/lapsed")  // expired
	fuzzOtherAdminKey = fixtures.KeyFor("other/admin-key")
	fuzzSecretValues  = map[string]string{
		fuzzSecretName:   "sk_live_CANARYstripe7f3c9a1e5b2d4f60a8", // shaped like a key, as real ones are
		"db.password":    "canary db pass 3e8a1d0c77b64f92",
		"unicode_secret": "canary-üñî-çødé-0b9e2f7a1c",
		"html_secret":    `canary <&> "quoted" \ value 6c1d9e3a`, // escaped differently by each encoder
	}
	fuzzOtherSecretValue = "CANARY-OTHER-TENANT-5a8d2c7e1f3b9046"
	fuzzClockBase        = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

func fuzzSeedData() fixtures.Seed {
	org := fixtures.Org("Fuzz Org", fuzzOwner, fuzzAdminKey).
		WithReadOnlyKey(fuzzReaderName, fuzzReaderKey).
		WithRevokedKey("retired", fuzzRetiredKey).
		WithExpiredKey("lapsed", fuzzLapsedKey).
		WithUser(fuzzMember)
	for _, name := range []string{fuzzSecretName, "db.password", "unicode_secret", "html_secret"} {
		org = org.WithSecret(name, fuzzSecretValues[name])
	}
	other := fixtures.Org("Other Org", fuzzOtherOwner, fuzzOtherAdminKey).WithSecret("other_secret", fuzzOtherSecretValue)
	return fixtures.SeedOf(org, other)
}

// fuzzRand is the server's random source, counting what is drawn. Before every input it starts
// again from the same seed (another than the one that made the seeded IDs, which it would
// otherwise draw again).
type fuzzRand struct {
	src   *rand.ChaCha8
	drawn int
}

func (r *fuzzRand) Read(p []byte) (int, error) {
	r.drawn += len(p)
	return r.src.Read(p)
}

func (r *fuzzRand) seed(s string) {
	var b [32]byte
	copy(b[:], s)
	r.src, r.drawn = rand.NewChaCha8(b), 0
}

// teeHandler sends every record to each of its handlers (the JSON and the text log).
type teeHandler []slog.Handler

func (h teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	for _, x := range h {
		if x.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (h teeHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, x := range h {
		if x.Enabled(ctx, r.Level) {
			if err := x.Handle(ctx, r.Clone()); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(teeHandler, len(h))
	for i, x := range h {
		out[i] = x.WithAttrs(as)
	}
	return out
}

func (h teeHandler) WithGroup(name string) slog.Handler {
	out := make(teeHandler, len(h))
	for i, x := range h {
		out[i] = x.WithGroup(name)
	}
	return out
}

// fuzzLogger logs at every level in JSON and in text, without the time and the duration
// (which vary, and hold no request data), so that a canary cannot match them by chance.
func fuzzLogger(jsonLog, textLog *bytes.Buffer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == "duration") {
			return slog.Attr{}
		}
		return a
	}}
	return slog.New(teeHandler{slog.NewJSONHandler(jsonLog, opts), slog.NewTextHandler(textLog, opts)})
}

// lastUsedAt is the member state() leaves out: a read with a key moves it.
var lastUsedAt = regexp.MustCompile(`"last_used_at":(null|"[^"]*")`)

// fuzzServer is the server of one fuzz process, with the checker every request goes through.
type fuzzServer struct {
	s                *Server
	rand             *fuzzRand
	jsonLog, textLog bytes.Buffer
	seeded           []canary           // the seed's secret values and keys, the control token
	seededText       map[string]bool    // the same, whole
	created          []canary           // the keys created during this input
	vocab            *suffixarray.Index // fuzzVocabulary and the seed's names and IDs
	journalSeq       int64              // the last journal entry checked
	replay           []JournalEntry     // put back into the journal before every input
}

func newFuzzServer(tb testing.TB) *fuzzServer {
	tb.Helper()
	fs := &fuzzServer{rand: &fuzzRand{}}
	fs.rand.seed("the seed data")
	var err error
	fs.s, err = New(Options{
		Seed:            fuzzSeedData(),
		EncryptionKey:   fuzzEncryptionKey,
		Clock:           func() time.Time { return fuzzClockBase },
		Rand:            fs.rand,
		Logger:          fuzzLogger(&fs.jsonLog, &fs.textLog),
		StrictResponses: true,
		JournalSize:     64,
		ControlToken:    fuzzControlToken,
	})
	if err != nil {
		tb.Fatal(err)
	}
	fs.seededText = map[string]bool{}
	seed := func(what, secret string) {
		fs.seeded = append(fs.seeded, newCanary(what, secret))
		fs.seededText[secret] = true
	}
	for name, v := range fuzzSecretValues {
		seed("the value of the seeded secret "+name, v)
	}
	seed("the value of the other organization's secret", fuzzOtherSecretValue)
	seed("the control token", fuzzControlToken)
	for what, k := range map[string]string{"admin key": fuzzAdminKey, "read key": fuzzReaderKey, "revoked key": fuzzRetiredKey,
		"expired key": fuzzLapsedKey, "other organization's admin key": fuzzOtherAdminKey} {
		seed("the seeded "+what, k)
	}
	// The seed's names, emails and IDs are answered back: part of the vocabulary.
	state, _ := json.Marshal(fs.s.snapshot())
	fs.vocab = suffixarray.New(slices.Concat(fuzzVocabulary(), []byte{0}, state))
	fs.journalSeq = -1
	return fs
}

// begin puts the server back as it was made, before an input.
func (fs *fuzzServer) begin() {
	fs.s.Reset()
	fs.s.clearFaults()
	fs.s.clockMu.Lock()
	fs.s.clockOffset = 0
	fs.s.clockMu.Unlock()
	fs.s.ClearRequests()
	for _, e := range fs.replay {
		fs.s.journal.add(e)
	}
	fs.s.journal.mu.Lock()
	fs.journalSeq = fs.s.journal.seq
	fs.s.journal.mu.Unlock()
	fs.rand.seed("an input")
	fs.created = nil
	fs.s.recorders.mu.Lock()
	clear(fs.s.recorders.byOrg) // each input starts a recording of its own
	fs.s.recorders.mu.Unlock()
}

// recordings is every organization's recording as the control API writes it; each must parse.
func (fs *fuzzServer) recordings(t testing.TB, where string) []byte {
	t.Helper()
	var out []byte
	for _, o := range fs.s.Organizations() {
		rec, err := fs.s.Recording(o.ID)
		if err != nil {
			t.Fatalf("%s: the recording of %s: %v", where, o.ID, err)
		}
		data, err := rec.Marshal()
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if _, err := recording.Parse(data); err != nil {
			t.Errorf("%s: the recording does not parse: %v\n%s", where, err, data)
		}
		out = append(append(out, data...), 0)
	}
	return out
}

// known reports whether s is part of the vocabulary: no canary then.
func (fs *fuzzServer) known(s string) bool {
	return len(fs.vocab.Lookup([]byte(s), 1)) > 0
}

// fuzzRequest is one request, as its bytes would reach the server.
type fuzzRequest struct {
	method, target string
	header         [][2]string
	body           []byte
	schema         *openapi3.Schema // the body's, for what it sends as a secret
	creates        string           // the member of a 2xx answer that holds a new plaintext key
}

// build parses the request as net/http's server would, or says that no server would hand it
// to a handler (a space or a line break in the target, a control character in a header).
func (fr fuzzRequest) build() (*http.Request, bool) {
	if strings.ContainsAny(fr.target, " \r\n") {
		return nil, false
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: mock.test\r\n", fr.method, fr.target)
	for _, h := range fr.header {
		for i := 0; i < len(h[1]); i++ {
			if c := h[1][i]; c < ' ' && c != '\t' || c == 0x7f {
				return nil, false // "invalid header value"
			}
		}
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	if fr.body != nil {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(fr.body))
	}
	b.WriteString("\r\n")
	b.Write(fr.body)
	req, err := http.ReadRequest(bufio.NewReader(&b))
	if err != nil {
		return nil, false
	}
	return req, true
}

// bodyStrings splits the strings of a JSON body into those it sends as a secret (under
// secret_value or another writeOnly member, or under a member its schema does not declare, at
// any depth) and the others (declared values and every member name). It reads the tokens, so
// that the first of duplicate members counts too, and what precedes a syntax error.
func bodyStrings(body []byte, schema *openapi3.Schema) (secret, other []string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var walk func(s *openapi3.Schema, isSecret bool) error
	walk = func(s *openapi3.Schema, isSecret bool) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case json.Delim:
			for dec.More() {
				if v == '[' {
					if err := walk(contract.Items(s), isSecret); err != nil {
						return err
					}
					continue
				}
				name, err := dec.Token()
				if err != nil {
					return err
				}
				n, _ := name.(string)
				other = append(other, n)
				p := contract.Property(s, n)
				if err := walk(p, isSecret || p == nil || p.WriteOnly); err != nil {
					return err
				}
			}
			_, err = dec.Token() // the closing delimiter
			return err
		case string:
			if isSecret {
				secret = append(secret, v)
			} else {
				other = append(other, v)
			}
		}
		return nil
	}
	_ = walk(schema, false)
	return secret, other
}

// reply is one answer, as checked.
type reply struct {
	status int
	body   []byte
}

func (r reply) member(name string) string {
	var m map[string]any
	_ = json.Unmarshal(r.body, &m)
	s, _ := m[name].(string)
	return s
}

// do sends one request through the checker. ok is false when no server would hand the
// request to the mock (nothing was sent).
func (fs *fuzzServer) do(t testing.TB, fr fuzzRequest) (reply, bool) {
	t.Helper()
	req, ok := fr.build()
	if !ok {
		return reply{}, false
	}
	// What the request sends that an answer may repeat: the target (as sent, decoded, and
	// escaped as the journal writes it), the headers but Authorization, and the strings of the
	// body that are not sent as a secret.
	var sent strings.Builder
	sent.WriteString(fr.target + "\x00" + lenientUnescape(fr.target, false) + "\x00" + lenientUnescape(fr.target, true) + "\x00")
	sent.WriteString(req.URL.EscapedPath() + "\x00")
	if q, err := url.ParseQuery(req.URL.RawQuery); err == nil {
		sent.WriteString(q.Encode() + "\x00")
	}
	for _, h := range fr.header {
		if !strings.EqualFold(h[0], "Authorization") {
			sent.WriteString(h[1] + "\x00")
		}
	}
	secrets, others := bodyStrings(fr.body, fr.schema)
	for _, o := range others {
		sent.WriteString("\x00" + o)
	}
	sentText := encodings(sent.String())

	// The canaries of this request: what it sends as a secret, and its Authorization header,
	// unless the request also sends them elsewhere or the mock has the words itself.
	canaries := append(append([]canary{}, fs.seeded...), fs.created...)
	candidates := map[string]string{}
	for _, s := range secrets {
		candidates[s] = "a string the request sends as a secret"
	}
	if v := req.Header.Get("Authorization"); v != "" {
		if _, token, _ := strings.Cut(v, " "); strings.TrimSpace(token) != "" {
			candidates[strings.TrimSpace(token)] = "the Authorization header's credential"
		} else {
			candidates[v] = "the Authorization header"
		}
	}
	for s, what := range candidates {
		if len(s) >= 8 && !fs.seededText[s] {
			c := newCanary(what+" "+strconv.Quote(s), s).without(func(n string) bool {
				return strings.Contains(sentText, n) || fs.known(n)
			})
			if len(c.needles) > 0 {
				canaries = append(canaries, c)
			}
		}
	}

	before := fs.state()
	fs.jsonLog.Reset()
	fs.textLog.Reset()
	rec := httptest.NewRecorder()
	fs.s.ServeHTTP(rec, req)
	r := reply{status: rec.Code, body: rec.Body.Bytes()}
	where := fmt.Sprintf("%s %q", fr.method, fr.target)
	logs := append(append(append([]byte{}, fs.jsonLog.Bytes()...), 0), fs.textLog.Bytes()...)

	if bytes.Contains(logs, []byte("panic while serving a request")) {
		t.Fatalf("%s: the mock panicked:\n%s", where, fs.jsonLog.Bytes())
	}
	if r.status >= 500 {
		t.Errorf("%s: %d %s", where, r.status, r.body)
	}
	fs.checkContract(t, where, req, rec)
	if r.status >= 400 {
		if after := fs.state(); !bytes.Equal(before, after) {
			var b, a any
			_ = json.Unmarshal(before, &b)
			_ = json.Unmarshal(after, &a)
			t.Errorf("%s: refused with %d %s, but the state changed (-before +after):\n%s", where, r.status, r.body, cmp.Diff(b, a))
		}
	}

	// The journal entries of this request, without the time and duration (which hold no
	// request data), and their path and query decoded as a reader would.
	// (Escaped text is read decoded only: "#3" escaped is "%233", in which the "3" of "%23"
	// could complete a canary the request never sent.)
	var journal []byte
	for _, e := range fs.s.Requests() {
		if e.Seq <= fs.journalSeq {
			continue
		}
		fs.journalSeq = e.Seq
		path, query := e.Path, e.Query
		e.Time, e.DurationMS, e.Path, e.Query = time.Time{}, 0, "", ""
		b, _ := json.Marshal(e)
		b = bytes.Replace(bytes.Replace(b, []byte(`"time":"0001-01-01T00:00:00Z",`), nil, 1), []byte(`"duration_ms":0,`), nil, 1)
		journal = append(append(journal, b...), 0)
		journal = append(append(journal, lenientUnescape(path, false)+"\x00"+lenientUnescape(query, true)...), 0)
	}
	decodedLogs := []byte(lenientUnescape(string(logs), false))
	recorded := fs.recordings(t, where)
	reads := fs.controlReads(t, where)

	// A new plaintext key is in its creating answer once (as the member fr.creates), and in no
	// log line, journal entry or later answer.
	answer := r.body
	if fr.creates != "" && r.status/100 == 2 {
		k := r.member(fr.creates)
		if !sensitive.IsKey(k) || bytes.Count(r.body, []byte(k)) != 1 {
			t.Errorf("%s: the new key is not shown exactly once, as %q: %s", where, fr.creates, r.body)
		}
		if sensitive.IsKey(k) {
			c := newCanary("the key created by "+where, k)
			fs.created = append(fs.created, c)
			canaries = append(canaries, c)
			answer = bytes.Replace(answer, []byte(k), nil, 1)
		}
	}
	for _, c := range canaries {
		for _, n := range c.needles {
			if strings.Contains(sentText, n.text) {
				continue // the request sent it where an answer may repeat it
			}
			for _, place := range []struct {
				name string
				text []byte
			}{{"answer", answer}, {"log", decodedLogs}, {"journal", journal}, {"recording", recorded}, {"control API's reads", reads}} {
				if n.in(place.text) {
					t.Errorf("%s: the %s shows %s (%q):\n%s", where, place.name, c.what, n.text, place.text)
				}
			}
		}
	}
	for _, place := range []struct {
		name string
		text []byte
	}{{"log", decodedLogs}, {"journal", journal}, {"recording", recorded}} {
		if sensitive.HasKey(string(place.text)) { // what is shaped like a plaintext key
			t.Errorf("%s: the %s shows something shaped like a plaintext key:\n%s", where, place.name, place.text)
		}
	}

	return r, true
}

// state is what a refused request must leave as it was, as JSON.
func (fs *fuzzServer) state() []byte {
	st, err := json.Marshal(fs.s.snapshot())
	if err != nil {
		return []byte(strconv.Quote("the state does not encode: " + err.Error()))
	}
	faults, _ := json.Marshal(fs.s.Faults())
	return fmt.Appendf(nil, `{"state": %s, "faults": %s, "clock": %q, "random_bytes_drawn": %d}`,
		lastUsedAt.ReplaceAll(st, []byte(`"last_used_at":null`)), faults, fs.s.Now().Format(time.RFC3339Nano), fs.rand.drawn)
}

// checkContract validates an answer against its operation, found with kin-openapi's router
// (not the mock's), or, for a path of no operation, as a 404 or 405 ErrorResponse.
func (fs *fuzzServer) checkContract(t testing.TB, where string, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	doc := fs.s.contract
	if strings.HasPrefix(req.URL.Path, controlPrefix+"/") {
		doc = fs.s.control
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", where, ct)
		return
	}
	route, _, err := doc.FindRoute(req)
	if err != nil {
		want := http.StatusNotFound
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			want = http.StatusMethodNotAllowed
		}
		var v any
		if rec.Code != want {
			t.Errorf("%s: %s finds no operation (%v), the mock answered %d: %s", where, doc.Name, err, rec.Code, rec.Body)
		} else if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Errorf("%s: %d answer is not JSON: %s", where, rec.Code, rec.Body)
		} else if err := doc.Doc.Components.Schemas["ErrorResponse"].Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
			t.Errorf("%s: %d answer is not an ErrorResponse: %v\n%s", where, rec.Code, err, rec.Body)
		}
		return
	}
	if err := doc.CheckResponse(context.Background(), route, req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		t.Errorf("%s: %v\n%s", where, err, rec.Body)
	}
}

// The requests the targets make with valid parameters.

func (fs *fuzzServer) v1(method, target string, body []byte, schema *openapi3.Schema) fuzzRequest {
	fr := fuzzRequest{method: method, target: target, body: body, schema: schema,
		header: [][2]string{{"Authorization", "Bearer " + fuzzAdminKey}}}
	if body != nil {
		fr.header = append(fr.header, [2]string{"Content-Type", "application/json"})
	}
	return fr
}

func (fs *fuzzServer) ctl(method, target string, body []byte) fuzzRequest {
	fr := fuzzRequest{method: method, target: target, body: body, header: [][2]string{{"Authorization", "Bearer " + fuzzControlToken}}}
	if body != nil {
		fr.header = append(fr.header, [2]string{"Content-Type", "application/json"})
	}
	return fr
}

// readBack reads what a change left, as a client would next: every answer must still be a
// 200 that holds (a stored value that breaks a later answer is a bug of the change).
func (fs *fuzzServer) readBack(t testing.TB, after string) {
	t.Helper()
	for _, fr := range []fuzzRequest{
		fs.v1("GET", "/v1/organizations/users/"+fuzzOwnerPath+"/api-keys?include_revoked=true", nil, nil),
		fs.v1("GET", "/v1/organizations/secrets", nil, nil),
	} {
		if r, _ := fs.do(t, fr); r.status != http.StatusOK {
			t.Errorf("after %s, %s %s: %d %s", after, fr.method, fr.target, r.status, r.body)
		}
	}
}

// fuzzOperation is an operation of either document, with its route, and its path with
// valid parameters: the seeded secret, the owner and the read key.
func (fs *fuzzServer) operation(id string) (*operation, string) {
	for _, op := range append(operations(), controlOperations()...) {
		if op.id != id {
			continue
		}
		op.doc = fs.s.contract
		if op.control {
			op.doc = fs.s.control
		}
		op.route = op.doc.Route(op.id)
		target := strings.NewReplacer("{secret_name}", fuzzSecretName, "{user_email}", fuzzOwnerPath,
			"{key_name}", fuzzReaderName).Replace(op.path)
		return op, target
	}
	panic("fuzz: no operation " + id)
}

// schema is the body schema of an operation of openapi.yaml.
func (fs *fuzzServer) schema(id mixpeekkit.OperationID) *openapi3.Schema {
	op, _ := fs.operation(string(id))
	return op.bodySchema()
}

// fuzzBodyOperations are the operations that take a body, in the order of FuzzBody's index:
// the 4 of openapi.yaml, then the 3 of the control API (TestFuzzTargetsCoverTheDocuments
// holds the list to the documents).
var fuzzBodyOperations = []string{
	string(mixpeekkit.OpCreateSecret), string(mixpeekkit.OpUpdateSecret),
	string(mixpeekkit.OpCreateAPIKey), string(mixpeekkit.OpUpdateAPIKey),
	"mock_create_org", "mock_create_fault", "mock_set_clock",
}
