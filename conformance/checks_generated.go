package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/contract"
)

// The generated checks: for each operation of openapi.yaml, one check of its negative cases
// and one of its positive cases (generated.go makes them from the schemas), each case a
// request of its own, each failure labelled with its case.

// generatedChecks are made from the embedded openapi.yaml when the package loads.
var generatedChecks = generatedChecksOf(contract.OpenAPI())

// generatedChecksOf makes the checks of a contract: one per operation and kind that has cases.
func generatedChecksOf(c *contract.Contract, err error) []Check {
	if err != nil {
		return []Check{{ID: "generated/contract", Category: "generated",
			Description: "openapi.yaml parses, so requests can be generated from it",
			Run:         func(t *T) { t.Fatalf(nil, "%v", err) }}}
	}
	var checks []Check
	for _, op := range withoutRefusedByBehaviour(generate(c.Doc)) {
		for _, kind := range []caseKind{negative, positive} {
			cases := op.casesOf(kind)
			if len(cases) == 0 {
				continue
			}
			checks = append(checks, Check{ID: "generated/" + op.short + "/" + string(kind), Category: "generated",
				Description: describe(op, kind, cases),
				Run:         func(t *T) { t.runGenerated(op, kind, cases) }})
		}
	}
	return checks
}

func describe(op *genOp, kind caseKind, cases []genCase) string {
	requests := fmt.Sprintf("%d requests", len(cases))
	if len(cases) == 1 {
		requests = "1 request"
	}
	what := map[bool]string{true: "member", false: "parameter"}
	body := cases[0].in == "body"
	for _, c := range cases {
		if (c.in == "body") != body {
			what[body] = "member or parameter"
		}
	}
	if kind == negative {
		return fmt.Sprintf("%s %s: %s generated from openapi.yaml, each breaking one rule of one %s (required, type, "+
			"null, length, enum, minimum, format): 422 with a detail entry whose loc names it, and nothing changes",
			op.method, op.path, requests, what[body])
	}
	effect := ""
	if body && op.item != "" && (op.creates() || op.inPath) {
		effect = ", and a read shows the effect"
	}
	return fmt.Sprintf("%s %s: %s generated from openapi.yaml, each with one %s at an edge its schema allows "+
		"(maxLength, minimum, each enum value, null where nullable): %d%s", op.method, op.path, requests, what[body], op.success, effect)
}

// refusedByBehaviour are the positive cases the schemas allow but the behaviour reference
// (docs/behavior.md) refuses: they are not generated. Each names its operation, place and value.
var refusedByBehaviour = []struct {
	op, where string
	value     any
	why       string
}{
	{"update-api-key", "body.status", "expired", "expiry follows from expires_at and cannot be set: PATCH answers 400 (docs/behavior.md, Updating a key)"},
}

func withoutRefusedByBehaviour(ops []*genOp) []*genOp {
	for _, op := range ops {
		kept := op.cases[:0:0]
		for _, c := range op.cases {
			refused := false
			for _, r := range refusedByBehaviour {
				refused = refused || (c.kind == positive && r.op == op.short && r.where == where(c.in, c.at) &&
					c.val.kind == valLiteral && c.val.lit == r.value)
			}
			if !refused {
				kept = append(kept, c)
			}
		}
		op.cases = kept
	}
	return ops
}

// collection is how the run makes, reads and cleans up the resources one path parameter
// names: the suite's link between openapi.yaml's paths and the resources of a run.
type collection struct {
	// create makes a new resource of the run: its name, and the resource as the answer shows
	// it (nil when the answer does not).
	create func(t *T) (string, map[string]any)
	track  func(t *T, name string) // registers a name for cleanup, before it is sent
	// read lists the resources by name (nil models when the read shows names only); all
	// also those that can no longer be changed (revoked keys).
	read func(t *T, all bool) (map[string]map[string]any, *Exchange)
	live func(model map[string]any) bool // whether the resource can still be changed
	// release removes a resource the check no longer needs, so the reads of later checks
	// stay short; cleanup would remove it too.
	release func(t *T, name string)
}

var collections = map[string]collection{
	"key_name": {
		create: func(t *T) (string, map[string]any) {
			ex := t.NewKey("read")
			return ex.Str("name"), ex.JSON
		},
		track: func(t *T, name string) { t.TrackKey(name) },
		read:  func(t *T, all bool) (map[string]map[string]any, *Exchange) { return t.ListedKeys(all) },
		live:  func(m map[string]any) bool { return m["status"] == nil || m["status"] == "active" },
		release: func(t *T, name string) {
			if t.Call("DELETE", t.KeyPath(name), nil).Status == http.StatusOK {
				t.Untrack(name, false)
			}
		},
	},
	"secret_name": {
		create: func(t *T) (string, map[string]any) {
			name, _ := t.NewSecret(Bearer(t.S.Cfg.APIKey))
			return name, nil
		},
		track: func(t *T, name string) { t.TrackSecret(name, Bearer(t.S.Cfg.APIKey)) },
		read: func(t *T, _ bool) (map[string]map[string]any, *Exchange) {
			names, ex := t.ListedSecrets(Bearer(t.S.Cfg.APIKey))
			out := map[string]map[string]any{}
			for _, n := range names {
				out[n] = nil
			}
			return out, ex
		},
		live: func(map[string]any) bool { return true },
		release: func(t *T, name string) {
			if t.Call("DELETE", SecretPath(name), nil).Status == http.StatusOK {
				t.Untrack(name, true)
			}
		},
	},
}

// Untrack forgets a key (or a secret) the check itself removed, so cleanup does not remove it
// again; cleanup still lists what is left with the run's prefix.
func (t *T) Untrack(name string, secret bool) {
	r := &t.S.resources
	r.mu.Lock()
	defer r.mu.Unlock()
	if secret {
		delete(r.secrets, name)
	} else {
		delete(r.keys, name)
	}
}

// runMaker makes a run's values for the generator.
type runMaker struct{ t *T }

func (m runMaker) newName() string   { return m.t.Name("gen") }
func (m runMaker) runPrefix() string { return m.t.S.Prefix }
func (m runMaker) newSecret(n int) string {
	v := RandomSuffix(n)
	if n >= 4 {
		v = "ctv-" + RandomSuffix(n-4)
	}
	if n >= minRedacted {
		m.t.S.Known.AddSent(v)
	}
	return v
}

// genRun is one generated check on its way.
type genRun struct {
	t      *T
	op     *genOp
	coll   *collection // nil when the operation names no resource
	target string      // the resource an operation on an existing one acts on ("" until made)
	before map[string]any
}

func (t *T) runGenerated(op *genOp, kind caseKind, cases []genCase) {
	g := &genRun{t: t, op: op}
	if c, ok := collections[op.item]; ok {
		g.coll = &c
	} else if op.item != "" {
		t.Fatalf(nil, "the suite does not know the resources that %s names", op.item)
	}
	if kind == negative {
		g.negatives(cases)
	} else {
		g.positives(cases)
	}
}

// inCase runs f and labels the failures it records with the case.
func (t *T) inCase(c genCase, f func()) {
	n := len(t.Res.Failures)
	defer func() {
		for i := n; i < len(t.Res.Failures); i++ {
			t.Res.Failures[i].Message = "[" + c.label + "] " + t.Res.Failures[i].Message
		}
	}()
	f()
}

// ensureTarget makes the resource the operation acts on, when it needs one and has none, and
// reads it.
func (g *genRun) ensureTarget() {
	if !g.op.inPath || g.target != "" {
		return
	}
	g.target, _ = g.coll.create(g.t)
	models, ex := g.coll.read(g.t, false)
	m, ok := models[g.target]
	if !ok {
		g.t.Fatalf(ex, "the resource %q made to work with is not listed", g.target)
	}
	g.before = m
}

// send builds the case's request (nil: the smallest valid one) and sends it as the run's
// admin key; the names it carries are registered for cleanup first.
func (g *genRun) send(c *genCase, target string) (*builtRequest, *Exchange) {
	t := g.t
	vals := map[string]string{"user_email": url.QueryEscape(t.S.Cfg.UserEmail)}
	if g.op.inPath {
		vals[g.op.item] = url.PathEscape(target)
	}
	b, err := g.op.build(c, runMaker{t}, vals)
	if err != nil {
		t.Errorf(nil, "cannot build the request: %v", err)
		return nil, nil
	}
	if g.coll != nil {
		for _, n := range b.names {
			g.coll.track(t, n)
		}
	}
	r := Request{Method: g.op.method, Path: b.path, Auth: Bearer(t.S.Cfg.APIKey)}
	if b.hasBody {
		data, err := json.Marshal(b.body)
		if err != nil {
			t.Errorf(nil, "cannot encode the request: %v", err)
			return nil, nil
		}
		r.Body = string(data)
	}
	return b, t.Do(r)
}

func success(status int) bool { return status >= 200 && status < 300 }

// negatives sends each negative case: each must answer 422 naming its place. Then one read
// shows that none changed anything: no resource under a name a refused request carried, and
// the resource the requests targeted as it was.
func (g *genRun) negatives(cases []genCase) {
	t := g.t
	type sent struct {
		c     genCase
		names []string
		loose []string
	}
	var done []sent
	var listedBefore map[string]map[string]any
	if g.coll != nil && g.op.creates() {
		listedBefore, _ = g.coll.read(t, false)
	}
	for _, c := range cases {
		t.inCase(c, func() {
			if g.coll != nil {
				g.ensureTarget()
			}
			b, ex := g.send(&c, g.target)
			if ex == nil {
				return
			}
			t.Invalid(ex, c.loc()...)
			done = append(done, sent{c, b.names, b.loose})
			if success(ex.Status) && g.op.inPath {
				// Accepted: what follows needs a resource in a known state.
				g.target = ""
			}
		})
	}
	if g.coll == nil || (!g.op.creates() && !g.op.inPath) {
		return
	}
	models, ex := g.coll.read(t, false)
	defer g.releaseTarget()
	for _, d := range done {
		t.inCase(d.c, func() {
			for _, n := range d.names {
				switch _, ok := models[n]; {
				case !ok || n == g.target:
				case g.op.creates():
					t.Errorf(ex, "the refused request created %q: it is listed", n)
				default:
					t.Errorf(ex, "the refused request renamed a resource to %q: it is listed", n)
				}
			}
			for _, n := range d.loose {
				if _, ok := models[n]; ok && listedBefore != nil {
					if _, was := listedBefore[n]; !was {
						t.Errorf(ex, "the refused request created %q, a name without the run's prefix: cleanup leaves it, remove it by hand", n)
					}
				}
			}
		})
	}
	if g.target != "" {
		now, ok := models[g.target]
		switch {
		case !ok:
			t.Errorf(ex, "%q, which the refused requests targeted, is no longer listed", g.target)
		case g.before != nil:
			if diff := changedMembers(g.before, now); len(diff) > 0 {
				t.Errorf(ex, "the refused requests changed %q: %s", g.target, strings.Join(diff, ", "))
			}
		}
	}
}

// releaseTarget removes the resource the check worked on, if any.
func (g *genRun) releaseTarget() {
	if g.target != "" {
		g.coll.release(g.t, g.target)
		g.target = ""
	}
}

// changedMembers lists the members whose value differs (last_used_at aside: it records use).
func changedMembers(before, after map[string]any) []string {
	var out []string
	for k := range merged(before, after) {
		if k != "last_used_at" && !reflect.DeepEqual(before[k], after[k]) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func merged(a, b map[string]any) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// positives sends each positive case: each must answer the operation's success status, and
// a read must show what it sent.
func (g *genRun) positives(cases []genCase) {
	if g.coll != nil && g.op.inPath {
		g.changes(cases)
		return
	}
	t := g.t
	type created struct {
		c    genCase
		name string
		body any
	}
	var made []created
	for _, c := range cases {
		t.inCase(c, func() {
			b, ex := g.send(&c, "")
			if ex == nil || !t.WantStatus(ex, g.op.success) {
				return
			}
			if g.coll != nil && g.op.creates() && len(b.names) == 1 {
				made = append(made, created{c, b.names[0], b.body})
			}
		})
	}
	if len(made) == 0 {
		return
	}
	// One read shows every resource made.
	models, ex := g.coll.read(t, false)
	for _, m := range made {
		t.inCase(m.c, func() {
			model, ok := models[m.name]
			if !ok {
				t.Errorf(ex, "the created resource %q is not listed", m.name)
				return
			}
			g.effect(m.c, m.body, model, nil, ex)
		})
	}
	for _, m := range made {
		g.coll.release(t, m.name)
	}
}

// slots is how many resources the positive cases of a change share: each round sends one
// case to each, then one read shows the effect of all of them (the next round changes them
// again), so a check needs a read per round, not per case.
const slots = 8

// slot is a resource the positive cases of a change act on, as the last read showed it.
type slot struct {
	name  string
	model map[string]any
}

// changes sends the positive cases of an operation that changes an existing resource, in
// rounds over a few resources of the run.
func (g *genRun) changes(cases []genCase) {
	t := g.t
	ss := make([]slot, min(slots, len(cases)))
	defer func() {
		for _, s := range ss {
			if s.name != "" {
				g.coll.release(t, s.name)
			}
		}
	}()
	type sent struct {
		c    genCase
		s    *slot
		name string // the resource's name after the change
		body any
	}
	for start := 0; start < len(cases); start += len(ss) {
		round := cases[start:min(start+len(ss), len(cases))]
		// Resources for the round: new ones where a case revoked one. Until a read shows
		// one, it is as its create answer showed it.
		for i := range round {
			if ss[i].name == "" {
				name, model := g.coll.create(t)
				ss[i] = slot{name: name, model: model}
			}
		}
		var done []sent
		for i, c := range round {
			t.inCase(c, func() {
				s := &ss[i]
				b, ex := g.send(&c, s.name)
				if ex == nil || !t.WantStatus(ex, g.op.success) {
					return
				}
				name := s.name
				if len(b.names) == 1 {
					name = b.names[0] // renamed
				}
				done = append(done, sent{c, s, name, b.body})
			})
		}
		if len(done) == 0 {
			continue
		}
		models, ex := g.coll.read(t, false)
		var all map[string]map[string]any // also what can no longer be changed, read when needed
		for _, d := range done {
			t.inCase(d.c, func() {
				model, ok := models[d.name]
				if !ok && all == nil {
					all, ex = g.coll.read(t, true)
				}
				if !ok {
					model, ok = all[d.name]
				}
				if !ok {
					t.Errorf(ex, "after the change, nothing named %q is listed", d.name)
					*d.s = slot{}
					return
				}
				g.effect(d.c, d.body, model, d.s.model, ex)
				if g.coll.live(model) {
					*d.s = slot{name: d.name, model: model}
				} else {
					*d.s = slot{} // revoked: the next round makes another
				}
			})
		}
	}
}

// effect checks that the read shows the value the case sent at its place: the same value (a
// date-time the same instant), or for null an empty value or the one before. A read that
// shows names only shows no effect beyond the name.
func (g *genRun) effect(c genCase, body any, model, before map[string]any, ex *Exchange) {
	if model == nil {
		return
	}
	if c.val.kind == valSpread {
		g.spreadEffect(c, model, ex)
		return
	}
	sent, _ := valueAt(normalize(body), c.at)
	got, present := valueAt(model, c.at)
	if sent == nil {
		old, _ := valueAt(before, c.at)
		if !present || empty(got) || (before != nil && reflect.DeepEqual(got, old)) {
			return
		}
		t := g.t
		t.Errorf(ex, "%s was sent as null; the read shows %s, neither empty nor the value before", where(c.in, c.at), shown(got))
		return
	}
	if !present {
		g.t.Errorf(ex, "the read does not show %s", where(c.in, c.at))
		return
	}
	if s, ok := sent.(string); ok {
		if g, ok := got.(string); ok && sameInstant(s, g) {
			return
		}
	}
	if !reflect.DeepEqual(sent, got) {
		g.t.Errorf(ex, "%s: sent %s, the read shows %s", where(c.in, c.at), shown(sent), shown(got))
	}
}

// spreadEffect checks that the read shows each value a spread case sent, in any item and in
// any order (a server may keep a list as a set).
func (g *genRun) spreadEffect(c genCase, model map[string]any, ex *Exchange) {
	i := lastIndex(c.at)
	list, _ := valueAt(model, c.at[:i])
	items, _ := list.([]any)
	var shownValues []any
	for _, item := range items {
		if v, ok := valueAt(item, c.at[i+1:]); ok {
			shownValues = append(shownValues, v)
		}
	}
	var missing []string
	for _, want := range c.val.lits {
		if !slices.Contains(shownValues, normalize(want)) {
			missing = append(missing, jsonText(want))
		}
	}
	if len(missing) > 0 {
		g.t.Errorf(ex, "the read does not show %s among %s", strings.Join(missing, ", "), where(c.in, c.at[:i]))
	}
}

// shown is a value as a failure message shows it: JSON, with a long string shortened.
func shown(v any) string {
	if s, ok := v.(string); ok && len(s) > 40 {
		return fmt.Sprintf("a string of %d characters starting %q", len(s), s[:20])
	}
	return jsonText(v)
}

// normalize is v as decoding its JSON gives it (numbers as float64).
func normalize(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	_ = json.Unmarshal(data, &out)
	return out
}

// valueAt is the value at a place of a decoded JSON value.
func valueAt(v any, at []any) (any, bool) {
	for _, seg := range at {
		switch s := seg.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[s]; !ok {
				return nil, false
			}
		case int:
			a, ok := v.([]any)
			if !ok || s >= len(a) {
				return nil, false
			}
			v = a[s]
		}
	}
	return v, true
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func sameInstant(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}
