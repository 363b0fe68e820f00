// Package explore is the exploration of the conformance suite (explore/random-walk): a
// model-based random walk over the 9 operations. The walk draws Config.Explore steps
// (model.go), predicts each answer from its model of what the run's server holds (predict.go),
// and stops at the first answer the model does not accept. That walk is then shrunk to the
// shortest sequence of its steps that still fails (shrink.go), each replay in a world of fresh
// names, and reported step by step as curl commands. Like every check it names everything
// after the run's prefix and tracks it for cleanup, and it never names the admin-key; its
// requests are paced by Config.Rate.
package explore

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

// Checks is the exploration, one check.
var Checks = []suite.Check{
	{ID: "explore/random-walk", Category: "explore",
		Description: "a random walk of Config.Explore operations, valid and invalid, by the admin key, read keys, revoked and rotated-away keys, gets the answers a model of the run's secrets and keys predicts; a failing walk is shrunk to its shortest failing sequence, shown as curl commands",
		Run:         explore},
}

// explorer is one exploration: its walk and the replays that shrink it.
type explorer struct {
	t        *suite.T
	s        *suite.Suite
	worlds   int // worlds made so far, which numbers their names
	requests int // requests sent so far
}

func explore(t *suite.T) {
	s := t.S
	if s.Explore == 0 || s.Seed == 0 {
		t.Skip("exploration: enable with Config.Explore")
	}
	x := &explorer{t: t, s: s}
	rng := rand.New(rand.NewPCG(uint64(s.Seed), 0x6d697870656b))
	start := time.Now()
	steps, w, mm, err := x.walk(rng, s.Explore)
	took := time.Since(start)
	rate := float64(len(steps)) / max(took.Seconds(), 1e-9)
	switch {
	case t.Ctx.Err() != nil:
		// An incomplete walk proves nothing either way: Run drops the failure of a check cut
		// short by the run's context.
		t.Errorf(nil, "exploration (seed %d) interrupted after %d of %d steps", s.Seed, len(steps), s.Explore)
		return
	case err != nil:
		t.Res.Note = fmt.Sprintf("seed %d: stopped at step %d of %d", s.Seed, len(steps), s.Explore)
		t.Errorf(w.lastExchange, "exploration (seed %d), step %d: %v", s.Seed, len(steps), err)
		return
	case mm == nil:
		t.Res.Note = fmt.Sprintf("seed %d: %d steps in %s (%.0f steps/s)", s.Seed, len(steps), took.Round(time.Millisecond), rate)
		return
	}
	orig := fmt.Sprintf("the walk (seed %d) broke the model at step %d of %d:\n  %s: %s", s.Seed, len(steps), s.Explore, mm.stepText(w), mm.text())
	sh := x.shrink(steps, w, mm)
	if t.Ctx.Err() != nil {
		mm.ex.ResponseBody = s.Show(mm.ex.Raw)
		t.Errorf(mm.ex, "%s\n(shrinking interrupted)", orig)
		return
	}
	t.Res.Note = fmt.Sprintf("seed %d: failed at step %d of %d, shrunk to %s", s.Seed, len(steps), s.Explore, suite.Plural(len(sh.kept), "step"))
	if !sh.reproduced {
		t.Res.Note = fmt.Sprintf("seed %d: failed at step %d of %d, not again in a replay", s.Seed, len(steps), s.Explore)
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
	lastExchange *suite.Exchange
}

// played is one step as a world played it.
type played struct {
	at      int // the step's index in the walk
	st      step
	key     int // asKey: the index of the step whose key it sent
	r       suite.Request
	skipped bool // it authenticates with a key that no step of this world gave
	status  int
	changed bool // the answer changed the model
}

func (x *explorer) newWorld() *world {
	x.worlds++
	w := &world{x: x, tag: fmt.Sprintf("%s-x%d", x.s.Prefix, x.worlds), m: model{secrets: map[string]bool{}},
		plain: map[int]string{}, lineage: map[int]int{}, plains: map[string]bool{}, token: suite.RandomSuffix(16), sent: map[string]bool{}}
	for i := range valueSlots {
		v := fmt.Sprintf("ctv-%s-%d", w.token, i)
		x.s.Known.AddSent(v)
		w.values = append(w.values, v)
	}
	x.known(w)
	return w
}

// known gives a world a state of its own before its first step, the same in the walk and in
// every replay, so that what the walk finds does not depend on what other checks left: its
// secrets created out of their sorted order, a key of its own revoked, and an expired key
// (with a name outside the world's, so the model need not follow expiry: it only shows in
// the lists the walk reads). Each is in the model only as the server answered it.
func (x *explorer) known(w *world) {
	admin := x.t.AdminAuth()
	keep := func(name string, secret bool) {
		if secret {
			x.t.TrackSecret(name, admin)
			w.secrets = append(w.secrets, name)
		} else {
			x.t.TrackKey(name)
			w.keys = append(w.keys, name)
		}
		w.sent[name] = true
	}
	for _, slot := range []int{2, 0, 1} {
		name := w.secretName(slot)
		keep(name, true)
		ex, _, err := x.send(suite.Request{Method: "POST", Path: suite.SecretsPath, Auth: admin,
			Body: map[string]any{"secret_name": name, "secret_value": w.values[slot%len(w.values)]}})
		if err == nil && ex.Status == http.StatusCreated {
			w.m.secrets[name] = true
		}
	}
	name := w.keyName(keySlots - 1)
	keep(name, false)
	ex, _, err := x.send(suite.Request{Method: "POST", Path: x.t.KeysPath(), Auth: admin, Body: map[string]any{"name": name, "permissions": []string{"read"}}})
	if err == nil && ex.Status == http.StatusOK {
		if k := ex.Str("key"); k != "" {
			x.s.Known.Add(k)
		}
		rec := &keyRec{made: -1, name: name, live: true, plain: ex.Str("key"), perms: []string{"read"}, keyID: ex.Str("key_id")}
		w.m.keys = append(w.m.keys, rec)
		if del, _, err := x.send(suite.Request{Method: "DELETE", Path: x.t.KeyPath(name), Auth: admin}); err == nil && del.Status == http.StatusOK {
			rec.live = false
		}
	}
	expired := w.tag + "e-expired"
	keep(expired, false)
	x.send(suite.Request{Method: "POST", Path: x.t.KeysPath(), Auth: admin, Body: map[string]any{"name": expired, "expires_at": "2000-01-01T00:00:00Z"}})
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
	ex       *suite.Exchange
	st       step
}

// sig is what a replay must fail with to count as the same failure.
func (mm *mismatch) sig() string {
	return fmt.Sprintf("%s/%s/%d", mm.st.op.name(), mm.kind, mm.ex.Status)
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
func (w *world) judge(st step, r suite.Request, p prediction, ex *suite.Exchange, header http.Header) (mm *mismatch, changed bool) {
	if k := ex.Str("key"); k != "" {
		w.x.s.Known.Add(k) // redacted from every report from now on
	}
	mm = &mismatch{p: p, ex: ex, st: st}
	if err := w.x.s.CheckAnswer(w.x.t.Ctx, r, ex, header); err != nil {
		mm.kind, mm.problems = "contract", []string{err.Error()}
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
func (w *world) leaks(st step, ex *suite.Exchange) []string {
	var out []string
	if bytes.Contains(ex.Raw, []byte(w.token)) {
		out = append(out, "the answer contains a secret value the walk sent")
		// The run's echo log too, which safety/no-secret-value-echoed reports after the
		// exploration (sender.go looks for echoes of every value, too slow for a walk).
		w.x.s.NoteEcho("explore/random-walk", ex)
	}
	made := ""
	if (st.op == opCreateKey || st.op == opRotateKey) && ex.Status == http.StatusOK {
		made = ex.Str("key")
	}
	secret := func(s string) bool {
		return w.plains[s] || s == w.x.s.APIKey || (s == w.x.s.PeerAPIKey && s != "")
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

// send sends one request of the exploration (Send paces it by Config.Rate).
func (x *explorer) send(r suite.Request) (*suite.Exchange, *http.Response, error) {
	x.requests++
	return x.s.Send(x.t.Ctx, r)
}
