package conformance

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit"
)

// Exploration: a model-based random walk over the 9 operations (explore/random-walk). The
// walk draws Config.Explore steps (model.go), predicts each answer from its model of what the
// run's server holds (predict.go), and stops at the first answer the model does not accept.
// That walk is then shrunk to the shortest sequence of its steps that still fails
// (shrink.go), each replay in a world of fresh names, and reported step by step as curl
// commands. Like every check it names everything after the run's prefix and tracks it for
// cleanup, and it never names the admin-key; its requests are paced by Config.Rate.

var exploreChecks = []Check{
	{ID: "explore/random-walk", Category: "explore",
		Description: "a random walk of Config.Explore operations (-explore N), valid and invalid, by the admin key, read keys, revoked and rotated-away keys, gets the answers a model of the run's secrets and keys predicts; a failing walk is shrunk to its shortest failing sequence, shown as curl commands",
		Run:         (*T).explore},
}

// checkExplore refuses exploration settings that make no sense.
func checkExplore(cfg Config) error {
	switch {
	case cfg.Explore < 0:
		return &ConfigError{Field: "Explore", Problem: "must be 0 or more"}
	case cfg.Rate < 0:
		return &ConfigError{Field: "Rate", Problem: "must be 0 (unbounded) or more"}
	}
	return nil
}

// exploreSeed is the seed the run's exploration uses: Config.Seed, or a random one when that
// is 0. It is 0 when the run does not explore.
func (s *Suite) exploreSeed() int64 {
	if s.Cfg.Explore == 0 {
		return 0
	}
	selected := false
	for _, c := range s.checks {
		selected = selected || c.Category == "explore"
	}
	switch {
	case !selected:
		return 0
	case s.Cfg.Seed != 0:
		return s.Cfg.Seed
	}
	var b [8]byte
	_, _ = crand.Read(b[:])
	return 1 + int64(binary.LittleEndian.Uint64(b[:])%999_999_999) // short enough to type
}

// Skip ends a check as skipped.
func (t *T) Skip(reason string) {
	t.Res.Status, t.Res.SkipReason = Skip, reason
	panic(stopCheck{})
}

// explorer is one exploration: its walk and the replays that shrink it.
type explorer struct {
	t        *T
	s        *Suite
	pace     Pacer
	worlds   int // worlds made so far, which numbers their names
	requests int // requests sent so far
}

func (t *T) explore() {
	s := t.S
	if s.Cfg.Explore == 0 || s.Seed == 0 {
		t.Skip("exploration: enable with Explore (-explore N)")
	}
	x := &explorer{t: t, s: s, pace: NewPacer(s.Cfg.Rate)}
	rng := rand.New(rand.NewPCG(uint64(s.Seed), 0x6d697870656b))
	start := time.Now()
	steps, w, mm, err := x.walk(rng, s.Cfg.Explore)
	took := time.Since(start)
	rate := float64(len(steps)) / max(took.Seconds(), 1e-9)
	switch {
	case t.Ctx.Err() != nil:
		// An incomplete walk proves nothing either way: Run drops the failure of a check cut
		// short by the run's context.
		t.Errorf(nil, "exploration (seed %d) interrupted after %d of %d steps", s.Seed, len(steps), s.Cfg.Explore)
		return
	case err != nil:
		t.Res.Note = fmt.Sprintf("seed %d: stopped at step %d of %d", s.Seed, len(steps), s.Cfg.Explore)
		t.Errorf(w.lastExchange, "exploration (seed %d), step %d: %v", s.Seed, len(steps), err)
		return
	case mm == nil:
		t.Res.Note = fmt.Sprintf("seed %d: %d steps in %s (%.0f steps/s)", s.Seed, len(steps), took.Round(time.Millisecond), rate)
		return
	}
	orig := fmt.Sprintf("the walk (seed %d) broke the model at step %d of %d:\n  %s: %s", s.Seed, len(steps), s.Cfg.Explore, mm.stepText(w), mm.text())
	sh := x.shrink(steps, w, mm)
	if t.Ctx.Err() != nil {
		mm.ex.ResponseBody = s.Show(mm.ex.Raw)
		t.Errorf(mm.ex, "%s\n(shrinking interrupted)", orig)
		return
	}
	t.Res.Note = fmt.Sprintf("seed %d: failed at step %d of %d, shrunk to %s", s.Seed, len(steps), s.Cfg.Explore, Plural(len(sh.kept), "step"))
	if !sh.reproduced {
		t.Res.Note = fmt.Sprintf("seed %d: failed at step %d of %d, not again in a replay", s.Seed, len(steps), s.Cfg.Explore)
	}
	shown := mm
	if sh.w != nil {
		shown = sh.mm
	}
	shown.ex.ResponseBody = s.Show(shown.ex.Raw)
	t.Errorf(shown.ex, "%s\n%s", orig, x.story(sh, len(steps)))
}

// world is what one walk or one replay works on: names of its own (the run's prefix, "x", the
// world's number), the model of what the server holds of them, and what its steps sent and got.
type world struct {
	x         *explorer
	tag       string
	m         model
	plain     map[int]string  // step index → the plaintext key that step's answer gave
	producers []int           // those step indices, in order
	lineage   map[int]int     // step index → the index of the step that created its key
	plains    map[string]bool // every plaintext key the world saw
	token     string          // in each of the world's secret values, and nowhere else
	values    []string        // the world's secret values
	secrets   []string        // secret names sent, in order, for tidying
	keys      []string        // key names sent, in order, for tidying
	sent      map[string]bool
	log       []played
	// lastExchange is the last exchange, for a report when a request fails.
	lastExchange *Exchange
}

// played is one step as a world played it.
type played struct {
	at      int // the step's index in the walk
	st      step
	key     int // asKey: the index of the step whose key it sent
	r       Request
	skipped bool // it authenticates with a key that no step of this world gave
	status  int
	changed bool // the answer changed the model
}

func (x *explorer) newWorld() *world {
	x.worlds++
	w := &world{x: x, tag: fmt.Sprintf("%s-x%d", x.s.Prefix, x.worlds), m: model{secrets: map[string]bool{}},
		plain: map[int]string{}, lineage: map[int]int{}, plains: map[string]bool{}, token: RandomSuffix(16), sent: map[string]bool{}}
	for i := range valueSlots {
		v := fmt.Sprintf("ctv-%s-%d", w.token, i)
		x.s.Known.AddSent(v)
		w.values = append(w.values, v)
	}
	return w
}

func (w *world) secretName(slot int) string { return fmt.Sprintf("%s-s%d", w.tag, slot) }
func (w *world) keyName(slot int) string    { return fmt.Sprintf("%s-k%d", w.tag, slot) }
func (w *world) longName() string           { return w.tag + "-long-" + strings.Repeat("x", 101) }
func (w *world) nobody() string             { return w.tag + "-nobody@example.invalid" }

// gave records the plaintext key step i's answer gave, of the key step made created.
func (w *world) gave(i int, plain string, made int) {
	w.plain[i] = plain
	w.lineage[i] = made
	w.producers = append(w.producers, i)
	w.plains[plain] = true
}

// keyFor is the step whose key a step authenticates with: the step that gave it, or, in a
// replay without that step, the latest earlier step that gave a key of the same lineage
// (the create, or a rotation, of the same key), so that shrinking can drop a rotation the
// failure does not need. -1 when there is none.
func (w *world) keyFor(st step) int {
	if _, ok := w.plain[st.from]; ok {
		return st.from
	}
	best := -1
	for _, i := range w.producers {
		if i < st.from && w.lineage[i] == st.lineage {
			best = i
		}
	}
	return best
}

// walk draws and plays up to n steps in a new world, and stops at the first answer the model
// does not accept (mm) or the first request without an answer (err).
func (x *explorer) walk(rng *rand.Rand, n int) (steps []step, w *world, mm *mismatch, err error) {
	w = x.newWorld()
	defer x.tidy(w)
	for i := 0; i < n && x.t.Ctx.Err() == nil; i++ {
		st := w.draw(rng)
		steps = append(steps, st)
		if mm, err = w.do(i, st); mm != nil || err != nil {
			break
		}
	}
	return steps, w, mm, err
}

// do plays step i: it sends the request, judges the answer against the model and changes the
// model as the answer says. A step whose key no step of this world gave is skipped.
func (w *world) do(i int, st step) (*mismatch, error) {
	key := -1
	if st.auth == asKey {
		key = w.keyFor(st)
	}
	r, ok := w.request(st, key)
	if !ok {
		w.log = append(w.log, played{at: i, st: st, key: key, skipped: true})
		return nil, nil
	}
	p := w.predict(i, st)
	w.track(st)
	ex, resp, err := w.x.send(r)
	w.lastExchange = ex
	w.log = append(w.log, played{at: i, st: st, key: key, r: r})
	if err != nil {
		return nil, err
	}
	mm, changed := w.judge(st, r, p, ex, resp.Header)
	w.log[len(w.log)-1].status, w.log[len(w.log)-1].changed = ex.Status, changed
	return mm, nil
}

// mismatch is an answer the model did not accept.
type mismatch struct {
	kind     string // status, body, contract or leak
	problems []string
	p        prediction
	ex       *Exchange
	st       step
}

// sig is what a replay must fail with to count as the same failure.
func (mm *mismatch) sig() string {
	return fmt.Sprintf("%s/%s/%d", opNames[mm.st.op], mm.kind, mm.ex.Status)
}

func (mm *mismatch) text() string {
	switch mm.kind {
	case "status":
		return fmt.Sprintf("want %s (%s), got %d", mm.p.want(), mm.p.why, mm.ex.Status)
	case "body":
		return fmt.Sprintf("got %d (%s), but %s", mm.ex.Status, mm.p.why, strings.Join(mm.problems, "; "))
	}
	return fmt.Sprintf("got %d: %s", mm.ex.Status, strings.Join(mm.problems, "; "))
}

func (mm *mismatch) stepText(w *world) string {
	return w.describe(played{st: mm.st, key: w.keyFor(mm.st)}, nil)
}

// judge compares an answer with the prediction; nil when the model accepts it, and then the
// model has changed as the answer says (changed, when the outcome changes anything).
func (w *world) judge(st step, r Request, p prediction, ex *Exchange, header http.Header) (mm *mismatch, changed bool) {
	if k := ex.Str("key"); k != "" {
		w.x.s.Known.Add(k) // redacted from every report from now on
	}
	mm = &mismatch{p: p, ex: ex, st: st}
	if prob := w.x.contractProblem(r, ex, header); prob != "" {
		mm.kind, mm.problems = "contract", []string{prob}
		return mm, false
	}
	if leaks := w.leaks(st, ex); len(leaks) > 0 {
		mm.kind, mm.problems = "leak", leaks
		return mm, false
	}
	for _, o := range p.outs {
		if o.status != ex.Status {
			continue
		}
		var probs []string
		if o.typ != "" {
			probs = errorProblems(ex, o.typ)
		}
		if o.check != nil {
			probs = append(probs, o.check(ex)...)
		}
		if len(probs) > 0 {
			mm.kind, mm.problems = "body", probs
			return mm, false
		}
		if o.apply != nil {
			o.apply(ex)
		}
		return nil, o.apply != nil
	}
	mm.kind = "status"
	return mm, false
}

// leaks lists what an answer must never show: a secret value the world sent, or a plaintext
// key anywhere but in the key member of the create or rotate answer that made it.
func (w *world) leaks(st step, ex *Exchange) []string {
	var out []string
	if bytes.Contains(ex.Raw, []byte(w.token)) {
		out = append(out, "the answer contains a secret value the walk sent")
		// The run's echo log too, which safety/no-secret-value-echoed reports after the
		// exploration (sender.go looks for echoes of every value, too slow for a walk).
		e := &w.x.s.echoes
		e.mu.Lock()
		e.found = append(e.found, fmt.Sprintf("explore/random-walk: %s %s answered %d", ex.Method, ex.URL, ex.Status))
		e.mu.Unlock()
	}
	made := ""
	if (st.op == opCreateKey || st.op == opRotateKey) && ex.Status == http.StatusOK {
		made = ex.Str("key")
	}
	secret := func(s string) bool {
		return w.plains[s] || s == w.x.s.Cfg.APIKey || (s == w.x.s.Cfg.PeerAPIKey && s != "")
	}
	var walk func(v any, top bool)
	walk = func(v any, top bool) {
		switch v := v.(type) {
		case string:
			if secret(v) {
				out = append(out, "the answer shows a plaintext key")
			}
		case []any:
			for _, e := range v {
				walk(e, false)
			}
		case map[string]any:
			for k, e := range v {
				if top && k == "key" && e == made && made != "" {
					continue
				}
				walk(e, false)
			}
		}
	}
	walk(map[string]any(ex.JSON), true)
	if len(out) > 1 {
		out = out[:1]
	}
	return out
}

// contractProblem validates an answer against the operation its request addresses, as every
// check's answers are (sender.go), and says what broke; "" when nothing did.
func (x *explorer) contractProblem(r Request, ex *Exchange, header http.Header) string {
	probe, err := http.NewRequest(r.Method, "http://contract.invalid"+strings.SplitN(r.Path, "?", 2)[0], nil)
	if err != nil {
		return ""
	}
	if i := strings.IndexByte(r.Path, '?'); i >= 0 {
		probe.URL.RawQuery = r.Path[i+1:]
	}
	route, _, err := x.s.Contract.FindRoute(probe)
	if err != nil {
		return ""
	}
	ex.Operation = mixpeekkit.OperationID(route.Operation.OperationID)
	if err := x.s.Contract.CheckResponse(x.t.Ctx, route, probe, ex.Status, header, ex.Raw); err != nil {
		return "contract: " + x.s.Redact(err.Error())
	}
	return ""
}

// send sends one request of the exploration, paced by Config.Rate.
func (x *explorer) send(r Request) (*Exchange, *http.Response, error) {
	if err := x.pace.Wait(x.t.Ctx); err != nil {
		return nil, nil, err
	}
	x.requests++
	return x.s.Send(x.t.Ctx, r)
}

// track registers the names a step sends for cleanup (a server that creates where it should
// not is cleaned up too), and for the world's tidying.
func (w *world) track(st step) {
	secret := func(name string) {
		w.x.t.TrackSecret(name, Bearer(w.x.s.Cfg.APIKey))
		if !w.sent[name] {
			w.sent[name] = true
			w.secrets = append(w.secrets, name)
		}
	}
	key := func(name string) {
		w.x.t.TrackKey(name)
		if !w.sent[name] {
			w.sent[name] = true
			w.keys = append(w.keys, name)
		}
	}
	switch st.op {
	case opCreateSecret:
		secret(w.secretName(st.slot))
		if st.bad == 2 {
			secret(w.longName())
		}
	case opUpdateSecret, opDeleteSecret:
		secret(w.secretName(st.slot))
	case opCreateKey, opPatchKey, opRotateKey, opDeleteKey:
		key(w.keyName(st.slot))
		if st.to >= 0 {
			key(w.keyName(st.to))
		}
	}
}

// tidy removes what a world made as soon as it is done, so a long shrink leaves little to
// clean up: it deletes every secret name and revokes every key name the world sent. A name
// the server answers for (200, or 404: nothing there) needs no more cleanup; the run's
// cleanup still lists and sweeps whatever carries its prefix.
func (x *explorer) tidy(w *world) {
	admin := Bearer(x.s.Cfg.APIKey)
	r := &x.s.resources
	for _, name := range w.secrets {
		if x.gone(Request{Method: "DELETE", Path: SecretPath(name), Auth: admin}) {
			r.mu.Lock()
			delete(r.secrets, name)
			r.mu.Unlock()
		}
	}
	for _, name := range w.keys {
		if x.gone(Request{Method: "DELETE", Path: UsersKeysPath(x.s.Cfg.UserEmail) + "/" + url.PathEscape(name), Auth: admin}) {
			r.mu.Lock()
			delete(r.keys, name)
			r.mu.Unlock()
		}
	}
}

func (x *explorer) gone(r Request) bool {
	if x.t.Ctx.Err() != nil {
		return false
	}
	ex, _, err := x.send(r)
	return err == nil && (ex.Status == http.StatusOK || ex.Status == http.StatusNotFound)
}

// request builds the request of a step in this world, with the key step key gave when it
// authenticates with a run key; false when no step of this world gave that key.
func (w *world) request(st step, key int) (Request, bool) {
	cfg := w.x.s.Cfg
	var r Request
	switch st.auth {
	case asAdmin:
		r.Auth = Bearer(cfg.APIKey)
	case asKey:
		p, ok := w.plain[key]
		if !ok {
			return r, false
		}
		r.Auth = Bearer(p)
	case asUnknown:
		r.Auth = Bearer(UnknownKey)
	}
	email := cfg.UserEmail
	if st.nobody {
		email = w.nobody()
	}
	keys := UsersKeysPath(email)
	r.Method = "POST"
	switch st.op {
	case opCreateSecret:
		r.Path, r.Body = SecretsPath, w.createSecretBody(st)
	case opListSecrets:
		r.Method, r.Path = "GET", SecretsPath
	case opUpdateSecret:
		r.Method, r.Path, r.Body = "PUT", SecretPath(w.secretName(st.slot)), w.updateSecretBody(st)
	case opDeleteSecret:
		r.Method, r.Path = "DELETE", SecretPath(w.secretName(st.slot))
	case opCreateKey:
		r.Path, r.Body = keys, w.createKeyBody(st)
	case opListKeys:
		r.Method, r.Path = "GET", keys
		switch {
		case st.bad == 1:
			r.Path += "?include_revoked=perhaps"
		case st.revoked != "":
			r.Path += "?include_revoked=" + st.revoked
		}
	case opPatchKey:
		r.Method, r.Path, r.Body = "PATCH", keys+"/"+url.PathEscape(w.keyName(st.slot)), w.patchBody(st)
	case opRotateKey:
		r.Path = keys + "/" + url.PathEscape(w.keyName(st.slot)) + "/rotate"
	case opDeleteKey:
		r.Method, r.Path = "DELETE", keys+"/"+url.PathEscape(w.keyName(st.slot))
	}
	return r, true
}

func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func bodyJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The bodies of each operation: valid, or the n-th way (step.bad) to break the contract.

var badWhy = [numOps][]string{
	opCreateSecret: {"", "an empty secret_name", "a secret_name over 100 characters", "no secret_value", "a secret_value that is a number", "an empty secret_value", "a body that is not JSON"},
	opUpdateSecret: {"", "an empty secret_value", "no secret_value", "a secret_value that is a number"},
	opCreateKey:    {"", "an empty name", "a permission outside the enum", "no name", "a description over 500 characters", "rate_limit_override 0"},
	opListKeys:     {"", "include_revoked=perhaps"},
	opPatchKey:     {"", "an empty name", "a permission outside the enum", "a status outside the enum", "rate_limit_override 0", "a body that is not an object", "a description over 500 characters"},
}

func (w *world) createSecretBody(st step) string {
	name, value := w.secretName(st.slot), w.values[st.value]
	switch st.bad {
	case 1:
		name = ""
	case 2:
		name = w.longName()
	case 3:
		return bodyJSON(map[string]any{"secret_name": name})
	case 4:
		return bodyJSON(map[string]any{"secret_name": name, "secret_value": 12345})
	case 5:
		value = ""
	case 6:
		return `{"secret_name": "` + name + `", `
	}
	return bodyJSON(map[string]any{"secret_name": name, "secret_value": value})
}

func (w *world) updateSecretBody(st step) string {
	switch st.bad {
	case 1:
		return `{"secret_value":""}`
	case 2:
		return `{}`
	case 3:
		return `{"secret_value":12345}`
	}
	return bodyJSON(map[string]any{"secret_value": w.values[st.value]})
}

func (w *world) createKeyBody(st step) string {
	body := map[string]any{"name": w.keyName(st.slot), "permissions": permSets[st.perms]}
	if st.desc >= 0 {
		body["description"] = descriptions[st.desc]
	}
	switch st.bad {
	case 1:
		body["name"] = ""
	case 2:
		body["permissions"] = []string{"root"}
	case 3:
		delete(body, "name")
	case 4:
		body["description"] = strings.Repeat("d", 501)
	case 5:
		body["rate_limit_override"] = 0
	}
	return bodyJSON(body)
}

func (w *world) patchBody(st step) string {
	switch st.bad {
	case 1:
		return `{"name":""}`
	case 2:
		return `{"permissions":["root"]}`
	case 3:
		return `{"status":"paused"}`
	case 4:
		return `{"rate_limit_override":0}`
	case 5:
		return `[]`
	case 6:
		return bodyJSON(map[string]any{"description": strings.Repeat("d", 501)})
	}
	body := map[string]any{}
	if st.to >= 0 {
		body["name"] = w.keyName(st.to)
	}
	switch {
	case st.desc == -2:
		body["description"] = nil
	case st.desc >= 0:
		body["description"] = descriptions[st.desc]
	}
	if st.perms >= 0 {
		body["permissions"] = permSets[st.perms]
	}
	if st.status != "" {
		body["status"] = st.status
	}
	return bodyJSON(body)
}

// Pacer spaces requests to at most a rate per second (none when every is 0).
type Pacer struct {
	every time.Duration
	next  time.Time
}

func NewPacer(rate float64) Pacer {
	if rate <= 0 {
		return Pacer{}
	}
	return Pacer{every: time.Duration(float64(time.Second) / rate)}
}

func (p *Pacer) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil || p.every == 0 {
		return err
	}
	if d := time.Until(p.next); d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
	}
	// From the time the request goes, not the time it was due: a late wake-up does not let
	// the next request catch up, so no two requests are closer than every.
	p.next = time.Now().Add(p.every)
	return nil
}
