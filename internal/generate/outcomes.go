package generate

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

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
		inCase(t, c, func() {
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
		inCase(t, d.c, func() {
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
		inCase(t, c, func() {
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
		inCase(t, m.c, func() {
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
			inCase(t, c, func() {
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
			inCase(t, d.c, func() {
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
func (g *genRun) effect(c genCase, body any, model, before map[string]any, ex *suite.Exchange) {
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
func (g *genRun) spreadEffect(c genCase, model map[string]any, ex *suite.Exchange) {
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
