package conformance

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/recording"
)

// ReplayReport is what a replay of a recording found: each call in order, as it was recorded
// and as the server answered it.
type ReplayReport struct {
	BaseURL string `json:"base_url"`
	Prefix  string `json:"prefix"`
	// Setup are the calls that created what the recording starts with (its seeded symbols),
	// at the start and after each reset; a setup call that fails is a difference too.
	Setup     []ReplayCall `json:"setup,omitempty"`
	Calls     []ReplayCall `json:"calls"`
	Leftovers []string     `json:"leftovers,omitempty"`
	// Dropped is how many calls the recording did not keep (it was full): they were not
	// replayed, and the text report says so.
	Dropped  int           `json:"dropped,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// ReplayCall is one recorded call, replayed: Pass when the answer has the recorded status,
// the recorded shape (and, for a list, the recorded names of the replay's own) and validates
// against openapi.yaml; Skip when the state does not allow the call (SkipReason says why).
type ReplayCall struct {
	Seq            int                    `json:"seq"`
	Operation      mixpeekkit.OperationID `json:"operation_id,omitempty"`
	As             string                 `json:"as,omitempty"`
	Status         Status                 `json:"status"`
	RecordedStatus int                    `json:"recorded_status,omitempty"`
	ActualStatus   int                    `json:"actual_status,omitempty"`
	RecordedShape  json.RawMessage        `json:"recorded_shape,omitempty"`
	ActualShape    json.RawMessage        `json:"actual_shape,omitempty"`
	Differences    []string               `json:"differences,omitempty"`
	SkipReason     string                 `json:"skip_reason,omitempty"`
	Exchange       *Exchange              `json:"exchange,omitempty"`
}

// OK says whether every call and every setup call passed (skips allowed) and cleanup left
// nothing behind.
func (r *ReplayReport) OK() bool { return r.FirstDifference() == nil && len(r.Leftovers) == 0 }

// FirstDifference is the first call (setup first) that failed, nil when none did.
func (r *ReplayReport) FirstDifference() *ReplayCall {
	for _, list := range [][]ReplayCall{r.Setup, r.Calls} {
		for i := range list {
			if list[i].Status == Fail {
				return &list[i]
			}
		}
	}
	return nil
}

// WriteJSON writes the report as one JSON document.
func (r *ReplayReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a terminal: the first difference in full (recorded and
// actual status and shape, the exchange with its curl form), then a line per call.
func (r *ReplayReport) WriteText(w io.Writer) error {
	var b strings.Builder
	counts := map[Status]int{}
	for _, c := range r.Calls {
		counts[c.Status]++
	}
	fmt.Fprintf(&b, "replay of %d calls against %s (names under %s-): %d pass, %d fail, %d skipped\n",
		len(r.Calls), r.BaseURL, r.Prefix, counts[Pass], counts[Fail], counts[Skip])
	if r.Dropped > 0 {
		fmt.Fprintf(&b, "warning: the recording did not keep its last %d calls (the mock keeps the first -journal-size of an organization): they were not replayed\n", r.Dropped)
	}
	if d := r.FirstDifference(); d != nil {
		fmt.Fprintf(&b, "\nfirst difference: %s\n", d.title())
		fmt.Fprintf(&b, "  recorded: %d %s\n  actual:   %d %s\n", d.RecordedStatus, d.RecordedShape, d.ActualStatus, d.ActualShape)
		for _, diff := range d.Differences {
			fmt.Fprintf(&b, "  - %s\n", diff)
		}
		if d.Exchange != nil {
			fmt.Fprintf(&b, "%s\n", d.Exchange)
		}
	}
	b.WriteString("\n")
	for _, list := range [][]ReplayCall{r.Setup, r.Calls} {
		for _, c := range list {
			fmt.Fprintf(&b, "%-4s %s", strings.ToUpper(string(c.Status)), c.title())
			switch {
			case c.Status == Skip:
				fmt.Fprintf(&b, ": %s", c.SkipReason)
			case c.Status == Fail:
				fmt.Fprintf(&b, ": %s", strings.Join(c.Differences, "; "))
			}
			b.WriteString("\n")
		}
	}
	for _, l := range r.Leftovers {
		fmt.Fprintf(&b, "LEFTOVER %s\n", l)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (c ReplayCall) title() string {
	if c.Seq == 0 {
		return fmt.Sprintf("setup %s as %s", shortOp(c.Operation), c.As)
	}
	return fmt.Sprintf("call %d %s as %s", c.Seq, shortOp(c.Operation), c.As)
}

// Replay runs a recording (package recording) against the server of cfg: every symbol is a
// name under the run's prefix, every value placeholder a fresh value, every key symbol the
// key the replay itself was given; each answer must have the recorded status and shape and
// validate against openapi.yaml. It goes on after a difference, skipping the calls that need
// what the server did not give (a key it did not issue). Like Run, it touches nothing outside
// its prefix (the admin-key only with Config.Destructive), paces its requests by Config.Rate,
// and cleans up everything it created, also after an error or a cancelled context. Config.Run
// and Config.Explore do not apply.
func Replay(ctx context.Context, cfg Config, rec *recording.Recording) (*ReplayReport, error) {
	if rec == nil {
		return nil, &ConfigError{Field: "recording", Problem: "is nil"}
	}
	// A recording built in Go is held to what Parse accepts from a file.
	data, err := rec.Marshal()
	if err == nil {
		_, err = recording.Parse(data)
	}
	if err != nil {
		return nil, &ConfigError{Field: "recording", Problem: "is not one to replay: " + err.Error()}
	}
	cfg.Run, cfg.Explore = "", 0
	movesClock := cfg.Sleep != nil // the caller can move the target's clock (MockClock, AdvanceClock)
	began := time.Now()
	s, err := Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rp := &replayer{s: s, rec: rec, pace: NewPacer(cfg.Rate), movesClock: movesClock,
		report: &ReplayReport{BaseURL: s.Base.Redacted(), Prefix: s.Prefix, Dropped: rec.Dropped}}
	defer func() { rp.report.Duration = time.Since(began) }()
	func() {
		defer s.CleanupOnce(func(left []string) { rp.report.Leftovers = append(rp.report.Leftovers, left...) })
		rp.setup(ctx)
		for _, c := range rec.Calls {
			if ctx.Err() != nil {
				break
			}
			switch {
			case c.Reset:
				rp.report.Leftovers = append(rp.report.Leftovers, s.Cleanup()...)
				rp.setup(ctx)
				continue
			case c.Clock != "":
				rp.moveClock(ctx, c)
				continue
			}
			rp.report.Calls = append(rp.report.Calls, rp.play(ctx, c))
		}
	}()
	return rp.report, ctx.Err()
}

// maxClockWait is the longest clock move a replay waits for in real time when Config.Sleep
// is not given.
const maxClockWait = 30 * time.Second

// moveClock follows a recorded move of the mock's clock: with Config.Sleep (which moves the
// clock of this project's mock: MockClock, AdvanceClock), or by waiting when the move is
// short; a longer move, or one back in time, skips the rest of the recording, whose expiries
// the replay cannot reproduce.
func (rp *replayer) moveClock(ctx context.Context, c recording.Call) {
	d, err := time.ParseDuration(c.Clock)
	switch {
	case rp.stuck != "":
	case err != nil || d < 0:
		rp.stuck = fmt.Sprintf("the recording moves the mock's clock back (%s) at %d: a replay cannot", c.Clock, c.Seq)
	case !rp.movesClock && d > maxClockWait:
		rp.stuck = fmt.Sprintf("the recording moves the mock's clock by %s at %d; a replay waits %s at most (against this project's mock, -mock-clock moves its clock; in Go, Config.Sleep)", c.Clock, c.Seq, maxClockWait)
	default:
		if err := rp.s.Cfg.Sleep(ctx, d); err != nil {
			rp.stuck = fmt.Sprintf("moving the clock by %s at %d failed: %v", c.Clock, c.Seq, err)
		} else if rp.movesClock {
			rp.clockShift += d // the target's clock moved; the replay's did not
		}
	}
}

// replayer is one replay on its way.
type replayer struct {
	s      *Suite
	rec    *recording.Recording
	pace   Pacer
	report *ReplayReport
	creds  map[string]string // credential symbol → plaintext key
	// movesClock says whether Config.Sleep was given (it moves the target's clock, or waits
	// as the caller chose); stuck, once set, is why every call that follows is skipped.
	movesClock bool
	clockShift time.Duration
	stuck      string
	// gen counts the resets: names after a reset are new names (<prefix>-r2-secret1), as a
	// revoked key cannot be removed and would otherwise be listed as the new one's.
	gen int
}

// name is the replay's name for a symbol: a name under the prefix, an email for a user.
func (rp *replayer) name(sym string) string {
	switch {
	case sym == recfmt.Owner:
		return rp.s.Cfg.UserEmail
	case recfmt.KindOf(sym) == recfmt.KindUser:
		return rp.namePrefix() + strings.TrimPrefix(sym, "$") + "@example.invalid"
	}
	return rp.namePrefix() + strings.TrimPrefix(sym, "$")
}

// namePrefix starts the names of the current generation.
func (rp *replayer) namePrefix() string {
	if rp.gen > 1 {
		return fmt.Sprintf("%s-r%d-", rp.s.Prefix, rp.gen)
	}
	return rp.s.Prefix + "-"
}

// symbolOf is the symbol of one of the replay's names of the current generation ("" for any
// other name).
func (rp *replayer) symbolOf(kind, name string) string {
	rest, ok := strings.CutPrefix(name, rp.namePrefix())
	if sym := "$" + rest; ok && recfmt.KindOf(sym) == kind {
		return sym
	}
	return ""
}

// setup creates what the recording starts with: its seeded secrets, and the seeded keys of
// its user (revoked at once when recorded revoked).
func (rp *replayer) setup(ctx context.Context) {
	rp.gen++
	// The keys a replay was given before a reset stay known: cleanup revoked them, so they
	// get the 401 the mock gave for keys its reset removed.
	if rp.creds == nil {
		rp.creds = map[string]string{recfmt.Admin: rp.s.Cfg.APIKey}
	}
	for _, sym := range slices.Sorted(maps.Keys(rp.rec.Symbols)) {
		d := rp.rec.Symbols[sym]
		if !d.Seeded {
			continue
		}
		switch {
		case d.Kind == recfmt.KindSecret:
			rp.setupCall(ctx, mixpeekkit.OpCreateSecret, http.StatusCreated, func(t *T) Request {
				t.TrackSecret(rp.name(sym), Bearer(rp.s.Cfg.APIKey))
				return Request{Method: "POST", Path: SecretsPath, Auth: Bearer(rp.s.Cfg.APIKey),
					Body: map[string]any{"secret_name": rp.name(sym), "secret_value": t.SecretValue()}}
			}, nil)
		case d.Kind == recfmt.KindKey && d.User == recfmt.Owner:
			rp.setupKeys(ctx, sym, d.Keys)
		}
	}
}

// setupKeys creates the seeded keys of a name: the revoked ones first (created, then revoked),
// so that a live key can then take the name; each is the credential of its place in the
// fixtures ($key1, $key1@2...).
func (rp *replayer) setupKeys(ctx context.Context, sym string, keys []recording.SeededKey) {
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(btoi(keys[a].Status != "revoked"), btoi(keys[b].Status != "revoked"))
	})
	for _, i := range order {
		k, cred := keys[i], sym
		if i > 0 {
			cred = sym + "@" + strconv.Itoa(i+1)
		}
		ok := rp.setupCall(ctx, mixpeekkit.OpCreateAPIKey, http.StatusOK, func(t *T) Request {
			t.TrackKey(rp.name(sym))
			body := map[string]any{"name": rp.name(sym), "permissions": append([]string{}, k.Permissions...)}
			if tok, err := recfmt.ParseToken(k.Expires); err == nil && tok.Kind == recfmt.TokenNow {
				body["expires_at"] = rp.instant(tok.Offset)
			} else if k.Status == "expired" {
				body["expires_at"] = rp.instant(-time.Hour)
			}
			return Request{Method: "POST", Path: t.KeysPath(), Auth: Bearer(rp.s.Cfg.APIKey), Body: body}
		}, func(ex *Exchange) { rp.creds[cred] = ex.Str("key") })
		if ok && k.Status == "revoked" {
			rp.setupCall(ctx, mixpeekkit.OpDeleteAPIKey, http.StatusOK, func(t *T) Request {
				return Request{Method: "DELETE", Path: t.KeyPath(rp.name(sym)), Auth: Bearer(rp.s.Cfg.APIKey)}
			}, nil)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// instant is the time d from the target's clock, as the contract writes it: the replay's
// clock, plus the moves it made to the target's (Config.Sleep).
func (rp *replayer) instant(d time.Duration) string {
	return time.Now().UTC().Add(rp.clockShift + d).Truncate(time.Second).Format(time.RFC3339)
}

// setupCall sends one setup request and records it; it says whether the server answered want.
func (rp *replayer) setupCall(ctx context.Context, op mixpeekkit.OperationID, want int, build func(*T) Request, then func(*Exchange)) bool {
	rc := ReplayCall{Operation: op, As: recfmt.Admin, RecordedStatus: want, Status: Pass}
	res := rp.s.RunCheck(ctx, Check{ID: "replay/setup", Run: func(t *T) {
		r := build(t)
		if err := rp.pace.Wait(ctx); err != nil {
			t.Fatalf(nil, "%v", err)
		}
		rc.Exchange = t.Do(r)
		rc.ActualStatus = rc.Exchange.Status
		if rc.ActualStatus == want && then != nil {
			then(rc.Exchange)
		}
	}})
	for _, f := range res.Failures {
		rc.Differences = append(rc.Differences, f.Message)
	}
	if rc.ActualStatus != want {
		rc.Differences = append([]string{fmt.Sprintf("status: want %d to create what the recording starts with, got %d", want, rc.ActualStatus)}, rc.Differences...)
	}
	if len(rc.Differences) > 0 {
		rc.Status = Fail
	}
	rp.report.Setup = append(rp.report.Setup, rc)
	return rc.Status == Pass
}

// mutating are the operations that change a key: on the literal admin-key, only with
// Config.Destructive.
var mutating = []mixpeekkit.OperationID{mixpeekkit.OpUpdateAPIKey, mixpeekkit.OpRotateAPIKey, mixpeekkit.OpDeleteAPIKey}

// play replays one call.
func (rp *replayer) play(ctx context.Context, c recording.Call) ReplayCall {
	rc := ReplayCall{Seq: c.Seq, Operation: c.Operation, As: c.As, RecordedStatus: c.Status}
	var shape bytes.Buffer
	if json.Compact(&shape, c.Response.Shape) == nil {
		rc.RecordedShape = shape.Bytes()
	}
	r, skip := rp.request(c)
	if rp.stuck != "" {
		skip = rp.stuck
	}
	if skip != "" {
		rc.Status, rc.SkipReason = Skip, skip
		return rc
	}
	res := rp.s.RunCheck(ctx, Check{ID: fmt.Sprintf("replay/%d", c.Seq), Run: func(t *T) {
		rp.track(t, c)
		if err := rp.pace.Wait(ctx); err != nil {
			t.Fatalf(nil, "%v", err)
		}
		ex := t.Do(r)
		rc.Exchange, rc.ActualStatus = ex, ex.Status
		rc.Differences = rp.compare(c, ex)
		if key := ex.Str("key"); c.Issues != "" && key != "" && ex.Status == c.Status {
			rp.creds[c.Issues] = key
		}
	}})
	for _, f := range res.Failures {
		rc.Differences = append(rc.Differences, f.Message)
		if rc.Exchange == nil {
			rc.Exchange = f.Exchange
		}
	}
	if rc.Exchange != nil && rc.Exchange.Raw != nil {
		rc.ActualShape, _ = recfmt.ShapeOfJSON(rc.Exchange.Raw)
	}
	rc.Status = Pass
	if len(rc.Differences) > 0 {
		rc.Status = Fail
	}
	return rc
}

// request builds the request of a recorded call, or says why the replay cannot send it.
func (rp *replayer) request(c recording.Call) (Request, string) {
	key, ok := rp.creds[c.As]
	if !ok {
		return Request{}, fmt.Sprintf("%s is a key this replay does not have (the call that issued it answered otherwise, or it came from the mock's fixtures for another user or already expired)", c.As)
	}
	route := rp.s.Contract.Route(string(c.Operation))
	if route == nil {
		return Request{}, fmt.Sprintf("%s is not an operation of openapi.yaml", c.Operation)
	}
	path := route.Path
	for name, v := range c.Params {
		value, skip := rp.nameOf(name, v, recfmt.ParamKind(name))
		if skip != "" {
			return Request{}, skip
		}
		if name == "key_name" && value == mixpeekkit.AdminKeyName && slices.Contains(mutating, c.Operation) && !rp.s.Cfg.Destructive {
			return Request{}, "changes the admin-key: enable with Destructive (-destructive)"
		}
		escaped := url.PathEscape(value)
		if name == "user_email" {
			escaped = url.QueryEscape(value)
		}
		path = strings.Replace(path, "{"+name+"}", escaped, 1)
	}
	if strings.Contains(path, "{") {
		return Request{}, "the recording lacks a path parameter of " + string(c.Operation)
	}
	if c.Query != "" {
		path += "?" + c.Query
	}
	r := Request{Method: route.Method, Path: path, Auth: Bearer(key)}
	if c.ContentType != "" {
		tok, err := recfmt.ParseToken(c.ContentType)
		switch {
		case err != nil:
			return Request{}, err.Error()
		case tok.Kind == recfmt.TokenValue: // a Content-Type not kept: one as long, that means nothing
			r.ContentType = RandomSuffix(max(tok.Size, 1))
		default:
			r.ContentType = tok.Text
		}
	}
	switch {
	case c.NotJSON > 0:
		r.Body = strings.Repeat("x", c.NotJSON)
		if r.ContentType == "" {
			r.ContentType = "application/json"
		}
	case len(c.Body) > 0:
		v, err := recfmt.DecodeBody(c.Body)
		if err != nil {
			return Request{}, "the recorded body is not JSON"
		}
		m, _ := v.(map[string]any)
		// A name that is not a string is no name: sent as recorded, the server refuses it.
		if member, kind, ok := recfmt.NameMember(c.Operation); ok && m != nil && isString(m[member]) {
			value, skip := rp.nameOf(member, m[member].(string), kind)
			switch {
			case skip != "":
				return Request{}, skip
			case value == mixpeekkit.AdminKeyName && !rp.s.Cfg.Destructive:
				// A server that took it would have a second admin-key, which cleanup cannot
				// tell from the first.
				return Request{}, "names a key admin-key: enable with Destructive (-destructive)"
			}
			m[member] = recfmt.Literal(value) // resolved below as the literal it now is
		}
		body, err := rp.resolve(v)
		if err != nil {
			return Request{}, err.Error()
		}
		data, err := json.Marshal(body)
		if err != nil {
			return Request{}, err.Error()
		}
		r.Body = string(data)
	}
	return r, ""
}

func isString(v any) bool { _, ok := v.(string); return ok }

// nameOf is the name the replay sends for a recorded name (a path parameter, or the body
// member that names what is created) of a kind, or why it cannot send one: only symbols of
// that kind map to the replay's own names; a literal is sent only when it can name nothing
// (empty; over 100 bytes, then under the prefix, still too long) or is the admin-key.
func (rp *replayer) nameOf(what, recorded, kind string) (string, string) {
	tok, err := recfmt.ParseToken(recorded)
	if err != nil {
		return "", err.Error()
	}
	switch {
	case tok.Kind == recfmt.TokenSymbol && recfmt.KindOf(tok.Text) == kind:
		if d := rp.rec.Symbols[tok.Text]; d.Kind == recfmt.KindUser && d.Seeded && !d.Owner {
			return "", fmt.Sprintf("%s is a user of the mock's fixtures; a replay cannot create users", tok.Text)
		}
		return rp.name(tok.Text), ""
	case tok.Kind != recfmt.TokenLiteral:
		return "", fmt.Sprintf("the %s %q is not a %s symbol", what, recorded, kind)
	case tok.Text == "" || (kind == recfmt.KindKey && tok.Text == mixpeekkit.AdminKeyName):
		return tok.Text, ""
	case len(tok.Text) > 100 && kind != recfmt.KindUser:
		return rp.namePrefix() + tok.Text, ""
	}
	return "", fmt.Sprintf("the %s %q is a literal name outside the run's prefix: a replay touches only its own names", what, tok.Text)
}

// resolve turns the symbols and placeholders of a recorded body into the replay's values.
func (rp *replayer) resolve(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := rp.resolve(e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := rp.resolve(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case string:
		tok, err := recfmt.ParseToken(x)
		if err != nil {
			return nil, err
		}
		switch tok.Kind {
		case recfmt.TokenSymbol:
			return rp.name(tok.Text), nil
		case recfmt.TokenValue:
			return rp.freshValue(tok.Size), nil
		case recfmt.TokenNow:
			return rp.instant(tok.Offset), nil
		}
		return tok.Text, nil
	}
	return v, nil
}

// freshValue is a new random value of n bytes, known to the redaction before it is sent
// (a value under 8 bytes is not remembered: it would redact common words).
func (rp *replayer) freshValue(n int) string {
	if n == 0 {
		return ""
	}
	v := RandomSuffix(n)
	if n >= 8 {
		rp.s.Known.AddSent(v)
	}
	return v
}

// track registers every name of the replay a call sends, before it is sent: a server that
// creates where it should not is cleaned up too.
func (rp *replayer) track(t *T, c recording.Call) {
	syms := []string{}
	for _, v := range c.Params {
		syms = append(syms, v)
	}
	if len(c.Body) > 0 {
		v, _ := recfmt.DecodeBody(c.Body)
		_ = recfmt.Strings(v, func(s string) error { syms = append(syms, s); return nil })
	}
	for _, s := range syms {
		switch recfmt.KindOf(s) {
		case recfmt.KindSecret:
			t.TrackSecret(rp.name(s), Bearer(rp.s.Cfg.APIKey))
		case recfmt.KindKey:
			t.TrackKey(rp.name(s))
		}
	}
}

// compare lists how an answer differs from the recorded one.
func (rp *replayer) compare(c recording.Call, ex *Exchange) []string {
	if ex.Status != c.Status {
		return []string{fmt.Sprintf("status: recorded %d, got %d", c.Status, ex.Status)}
	}
	var out []string
	actual, err := recfmt.ShapeOfJSON(ex.Raw)
	if err != nil {
		return []string{"the answer is not JSON"}
	}
	diffs, err := recfmt.Compare(c.Response.Shape, actual)
	if err != nil {
		return []string{err.Error()}
	}
	for _, d := range diffs {
		out = append(out, "shape: "+d)
	}
	if c.Response.ErrorType != "" && ex.ErrorType() != c.Response.ErrorType {
		out = append(out, fmt.Sprintf("error.type: recorded %q, got %q", c.Response.ErrorType, ex.ErrorType()))
	}
	if c.Response.Listed != nil {
		got := rp.listed(c.Operation, ex)
		if !slices.Equal(got, *c.Response.Listed) {
			out = append(out, fmt.Sprintf("listed: recorded [%s], got [%s]", strings.Join(*c.Response.Listed, " "), strings.Join(got, " ")))
		}
	}
	return out
}

// listed is what a list answer holds of the replay's names, as a recording writes it.
func (rp *replayer) listed(op mixpeekkit.OperationID, ex *Exchange) []string {
	out := []string{}
	switch op {
	case mixpeekkit.OpListSecrets:
		names, _ := ex.Field("secrets").([]any)
		for _, n := range names {
			name, _ := n.(string)
			if sym := rp.symbolOf(recfmt.KindSecret, name); sym != "" {
				out = append(out, sym)
			}
		}
	case mixpeekkit.OpListAPIKeys:
		results, _ := ex.Field("results").([]any)
		for _, r := range results {
			k, _ := r.(map[string]any)
			name, _ := k["name"].(string)
			status, _ := k["status"].(string)
			if sym := rp.symbolOf(recfmt.KindKey, name); sym != "" {
				out = append(out, sym+" "+status)
			}
		}
	}
	sort.Strings(out)
	return out
}

// shortOp is an operation ID without its path: create_secret.
func shortOp(op mixpeekkit.OperationID) string {
	short, _, _ := strings.Cut(string(op), "_v1_")
	return short
}
