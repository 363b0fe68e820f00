package explore

import (
	"fmt"
	"strings"

	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

// maxReplays bounds the replays that shrink one failing walk.
const maxReplays = 300

// shrunk is what shrinking found: the steps kept, and the replay that failed with them.
type shrunk struct {
	kept       []int     // indices of the walk's steps
	w          *world    // the replay of kept that failed (nil when no replay failed)
	mm         *mismatch // how it failed
	replays    int
	requests   int
	reproduced bool // the walk's steps up to the failure failed again in fresh names
	exhausted  bool // maxReplays ran out before the sequence was 1-minimal
}

// shrink replays subsequences of the failing walk (delta debugging, ddmin) in worlds of fresh
// names, and keeps the shortest that still fails as the walk did: the same operation, the same
// kind of mismatch, the same status. A replay stops at its first mismatch, and what follows it
// is dropped.
func (x *explorer) shrink(steps []step, walk *world, orig *mismatch) shrunk {
	sig := orig.sig()
	first := x.requests
	var res shrunk
	tried := map[string][]int{} // a tried sequence → what of it failed (nil: it passed)
	fails := func(idx []int) ([]int, bool) {
		key := fmt.Sprint(idx)
		if cut, ok := tried[key]; ok {
			return cut, cut != nil
		}
		if res.replays >= maxReplays || x.t.Ctx.Err() != nil {
			res.exhausted = true
			return nil, false
		}
		res.replays++
		w := x.newWorld()
		var cut []int
		var mm *mismatch
		for p, i := range idx {
			m, err := w.do(i, steps[i])
			if err != nil {
				break
			}
			if m != nil {
				if m.sig() == sig {
					cut, mm = idx[:p+1], m
				}
				break
			}
		}
		x.tidy(w)
		tried[key] = cut
		if cut != nil && (res.w == nil || len(cut) <= len(res.kept)) {
			res.kept, res.w, res.mm = cut, w, mm
		}
		return cut, cut != nil
	}
	// Start from the shortest of three candidates that fails: the steps that changed the model
	// in the failing step's domain (secrets, keys), all steps that changed it, all steps. On
	// a server whose bug hides in an answer the model accepted, the first two pass, and only
	// cost a replay each.
	last := walk.log[len(walk.log)-1]
	var mine, changed, all []int
	for _, p := range walk.log {
		all = append(all, p.at)
		if p.changed || p.at == last.at {
			changed = append(changed, p.at)
			if domains(p.st)&domains(last.st) != 0 {
				mine = append(mine, p.at)
			}
		}
	}
	res.kept = all
	for _, c := range [][]int{mine, changed, all} { // a candidate equal to one tried is not replayed again
		if cut, ok := fails(c); ok {
			res.reproduced = true
			ddmin(cut, fails)
			break
		}
	}
	res.requests = x.requests - first
	return res
}

// domains is what a step reads or changes: 1 the secrets, 2 the keys.
func domains(st step) int {
	d := 0
	switch st.op {
	case opCreateSecret, opListSecrets, opUpdateSecret, opDeleteSecret:
		d |= 1
	default:
		d |= 2
	}
	if st.auth == asKey {
		d |= 2
	}
	return d
}

// ddmin is Zeller's delta debugging: it returns a subsequence of c that still fails and from
// which no chunk of the last granularity can be removed. fails reports whether a sequence
// fails, and the part of it up to the failure.
func ddmin(c []int, fails func([]int) ([]int, bool)) []int {
	n := 2
	for len(c) >= 2 {
		chunks := split(c, n)
		reduced := false
		for _, ch := range chunks {
			if cut, ok := fails(ch); ok {
				c, n, reduced = cut, 2, true
				break
			}
		}
		if !reduced && n > 2 {
			for i := range chunks {
				var rest []int
				for j, ch := range chunks {
					if j != i {
						rest = append(rest, ch...)
					}
				}
				if cut, ok := fails(rest); ok {
					c, n, reduced = cut, max(n-1, 2), true
					break
				}
			}
		}
		if !reduced {
			if n >= len(c) {
				break
			}
			n = min(2*n, len(c))
		}
	}
	return c
}

// split cuts c into n chunks of nearly equal length.
func split(c []int, n int) [][]int {
	var out [][]int
	for i := range n {
		lo, hi := i*len(c)/n, (i+1)*len(c)/n
		if lo < hi {
			out = append(out, c[lo:hi])
		}
	}
	return out
}

// story is the report of a shrunk failure: the steps kept, numbered, each with what it does,
// what it got, and a curl command that replays it, with placeholders for the keys and secret
// values.
func (x *explorer) story(sh shrunk, walked int) string {
	var b strings.Builder
	switch {
	case !sh.reproduced:
		fmt.Fprintf(&b, "the walk's %d steps did not fail again when replayed in fresh names (%d requests): not shrunk", walked, sh.requests)
		return b.String()
	case sh.exhausted:
		fmt.Fprintf(&b, "shrunk from %d steps to %d, then stopped after %d replays (%d requests)", walked, len(sh.kept), sh.replays, sh.requests)
	default:
		fmt.Fprintf(&b, "shrunk from %d steps to %d in %s (%d requests)", walked, len(sh.kept), suite.Plural(sh.replays, "replay"), sh.requests)
	}
	w := sh.w
	// $KEY_n: each key a later step authenticates with, numbered as the steps give them.
	vars := map[string]string{}
	used := map[int]bool{}
	for _, p := range w.log {
		if p.st.auth == asKey {
			used[p.key] = true
		}
	}
	for _, p := range w.log {
		if k, ok := w.plain[p.at]; ok && used[p.at] {
			vars[k] = fmt.Sprintf("$KEY_%d", len(vars)+1)
		}
	}
	var steps strings.Builder
	for n, p := range w.log {
		fmt.Fprintf(&steps, "\n  %d. %s", n+1, w.describe(p, vars))
		switch {
		case p.skipped:
			steps.WriteString(" (not sent: no step gave its key)")
			continue
		case n == len(w.log)-1:
			fmt.Fprintf(&steps, " → %s", sh.mm.text())
		default:
			fmt.Fprintf(&steps, " → %d", p.status)
		}
		cmd := w.curl(p.r, vars)
		if k, ok := w.plain[p.at]; ok && vars[k] != "" {
			cmd = fmt.Sprintf("%s=$(%s | jq -r .key)", strings.TrimPrefix(vars[k], "$"), cmd)
		} else {
			cmd = strings.Replace(cmd, "curl -sS", "curl -sS -i", 1)
		}
		fmt.Fprintf(&steps, "\n     %s", cmd)
	}
	// The legend names only the placeholders the steps use.
	legend := []string{"API_KEY to the run's admin key"}
	if strings.Contains(steps.String(), "$VALUE_") {
		legend = append(legend, "VALUE_n to any text")
	}
	if strings.Contains(steps.String(), "$UNKNOWN_KEY") {
		legend = append(legend, "UNKNOWN_KEY to a key the server never issued")
	}
	keys := ""
	if len(vars) > 0 {
		keys = "; KEY_n is the key a step's answer gives"
	}
	fmt.Fprintf(&b, "; to replay it by hand, set %s%s (the names are the replay's own, since removed: any fresh names will do):%s",
		strings.Join(legend, ", "), keys, steps.String())
	return b.String()
}

// describe says what a step does, in words.
func (w *world) describe(p played, vars map[string]string) string {
	st := p.st
	var b strings.Builder
	b.WriteString(st.op.name())
	switch st.op {
	case opCreateSecret, opUpdateSecret, opDeleteSecret:
		fmt.Fprintf(&b, " %q", w.secretName(st.slot))
	case opCreateKey:
		if perms := permSets[st.perms]; len(perms) == 0 {
			fmt.Fprintf(&b, " %q with no permissions", w.keyName(st.slot))
		} else {
			fmt.Fprintf(&b, " %q with permissions %s", w.keyName(st.slot), quoteAll(perms))
		}
		if st.desc >= 0 {
			fmt.Fprintf(&b, " and description %q", descriptions[st.desc])
		}
	case opListKeys:
		if st.revoked != "" && st.bad == 0 {
			b.WriteString(" with include_revoked=" + st.revoked)
		}
	case opPatchKey:
		fmt.Fprintf(&b, " %q", w.keyName(st.slot))
		var set []string
		if st.to >= 0 {
			set = append(set, fmt.Sprintf("name %q", w.keyName(st.to)))
		}
		switch {
		case st.desc == -2:
			set = append(set, "description null")
		case st.desc >= 0:
			set = append(set, fmt.Sprintf("description %q", descriptions[st.desc]))
		}
		if st.perms >= 0 {
			set = append(set, "permissions "+quoteAll(permSets[st.perms]))
		}
		if st.status != "" {
			set = append(set, "status "+st.status)
		}
		if len(set) == 0 && st.bad == 0 {
			set = append(set, "nothing")
		}
		if len(set) > 0 {
			b.WriteString(": set " + strings.Join(set, ", "))
		}
	case opRotateKey, opDeleteKey:
		fmt.Fprintf(&b, " %q", w.keyName(st.slot))
	}
	if st.nobody {
		b.WriteString(" of a user not in the organization")
	}
	if st.bad > 0 {
		b.WriteString(", with " + badWhy[st.op][st.bad])
	}
	switch st.auth {
	case asKey:
		if v := vars[w.plain[p.key]]; v != "" {
			b.WriteString(" as " + v)
		} else {
			fmt.Fprintf(&b, " as the key step %d gave", p.key+1)
		}
	case asNone:
		b.WriteString(" with no Authorization header")
	case asUnknown:
		b.WriteString(" as a key never issued ($UNKNOWN_KEY)")
	}
	return b.String()
}

// curl is a request as a shell command, with placeholders for every key and secret value.
func (w *world) curl(r suite.Request, vars map[string]string) string {
	auth := ""
	if r.Auth != "" {
		key := strings.TrimPrefix(r.Auth, "Bearer ")
		v := vars[key]
		switch {
		case key == w.x.s.APIKey:
			v = "$API_KEY"
		case key == suite.UnknownKey:
			v = "$UNKNOWN_KEY"
		case v == "":
			v = "$KEY" // a key no later step needs a name for
		}
		auth = "Bearer " + v
	}
	body, _ := r.Body.(string)
	return suite.CurlCommand(r.Method, w.x.s.Base.Redacted()+r.Path, auth, body, func(q string) string {
		for i, v := range w.values {
			q = strings.ReplaceAll(q, v, fmt.Sprintf(`'"$VALUE_%d"'`, i+1))
		}
		return q
	})
}
