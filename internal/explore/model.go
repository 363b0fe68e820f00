package explore

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
)

// The exploration's model: what the server should hold of one world (one walk, or one replay
// of some of its steps) and the steps that change it. A step is a plain value: everything
// random about it is drawn when it is made, so the same steps replay the same requests, and
// what a step refers to (a secret or key slot, the key an earlier step's answer gave) is
// resolved in the world that plays it.

// opKind is one of the 9 operations of the contract: the nth of mixpeekkit.Operations.
type opKind uint8

const (
	opCreateSecret opKind = iota
	opListSecrets
	opUpdateSecret
	opDeleteSecret
	opCreateKey
	opListKeys
	opPatchKey
	opDeleteKey
	opRotateKey
	numOps
)

// name is the operation in words, for reports: "rotate api key".
func (k opKind) name() string {
	return strings.ReplaceAll(contract.ShortName(string(mixpeekkit.Operations()[k])), "_", " ")
}

// opWeights is how often the walk draws each operation.
var opWeights = [numOps]int{10, 10, 7, 9, 12, 10, 14, 8, 8}

// authKind is who calls.
type authKind uint8

const (
	asAdmin   authKind = iota // the run's admin key (Config.APIKey)
	asKey                     // a key an earlier step's answer gave: live, revoked or rotated away
	asNone                    // no Authorization header
	asUnknown                 // a key the server never issued
)

// The world's pools: a few names each, so the walk keeps meeting names it used before
// (create what exists, delete what was deleted, rename onto a taken name).
const (
	secretSlots = 3
	keySlots    = 3
	valueSlots  = 3
	recentKeys  = 6 // a step authenticating with a run key picks one of the last this many
)

// permSets are the permissions a walk gives its keys: never admin, so every key the
// exploration makes is at most a reader.
var permSets = [][]string{{"read"}, {"read", "write", "delete"}, {}}

// descriptions are the descriptions a walk sets.
var descriptions = []string{"ci", "rotated weekly", ""}

// step is one operation with every choice made.
type step struct {
	op      opKind
	auth    authKind
	from    int    // asKey: the index of the step whose answer gave the key
	lineage int    // asKey: the index of the step that created that key (see world.keyFor)
	slot    int    // the secret or key slot the step names
	to      int    // update API key: the slot to rename the key to (-1: no rename)
	bad     int    // 0: a valid request; n > 0: the n-th way this operation's request breaks the contract
	value   int    // the world's secret value sent (create and update secret)
	perms   int    // index in permSets (-1: not sent)
	desc    int    // index in descriptions (-1: not sent; -2: null)
	status  string // update API key: "active", "revoked" or "" (not sent)
	revoked string // list API keys: the include_revoked value ("": not sent)
	nobody  bool   // create or list API keys: of a user who is not in the organization
}

// badWays is how many ways each operation's request can break the contract (see body).
var badWays = [numOps]int{opCreateSecret: 6, opUpdateSecret: 3, opCreateKey: 5, opListKeys: 1, opPatchKey: 6}

// keyRec is one API key of the world, as the model holds it.
type keyRec struct {
	made  int // the index of the step that created it
	name  string
	live  bool
	plain string   // its current plaintext
	perms []string // sorted
	desc  string
	keyID string // as the create answer gave it ("" when it gave none)
}

func (k *keyRec) can(perm string) bool {
	return slices.Contains(k.perms, "admin") || slices.Contains(k.perms, perm)
}

// model is what a world's server should hold: its secrets (names only: values cannot be seen)
// and its keys, live and revoked, in the order they were made.
type model struct {
	secrets map[string]bool
	keys    []*keyRec
}

// live is the live key of that name, nil when none.
func (m *model) live(name string) *keyRec {
	for _, k := range m.keys {
		if k.live && k.name == name {
			return k
		}
	}
	return nil
}

// revokedOnly reports whether only revoked keys have the name.
func (m *model) revokedOnly(name string) bool {
	if m.live(name) != nil {
		return false
	}
	for _, k := range m.keys {
		if k.name == name {
			return true
		}
	}
	return false
}

// holder is the live key whose current plaintext this is, nil when none: the key is unknown,
// revoked or rotated away.
func (m *model) holder(plain string) *keyRec {
	for _, k := range m.keys {
		if k.live && k.plain == plain {
			return k
		}
	}
	return nil
}

func (m *model) secretNames() []string {
	names := make([]string, 0, len(m.secrets))
	for n := range m.secrets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// draw makes the next step of a walk. It looks at the model so that most steps meet existing
// names, but any step is valid to draw: the model predicts the answer whatever the state.
func (w *world) draw(rng *rand.Rand) step {
	st := step{to: -1, perms: -1, desc: -1, value: rng.IntN(valueSlots)}
	st.op = opKind(weighted(rng, opWeights[:]))
	if n := badWays[st.op]; n > 0 && rng.IntN(100) < 12 {
		st.bad = 1 + rng.IntN(n)
	}
	// Who calls.
	adminShare := 85
	if st.op == opListSecrets {
		adminShare = 45
	}
	switch p := rng.IntN(100); {
	case p < adminShare || len(w.producers) == 0:
		st.auth = asAdmin
	case p < 96:
		// Half the time a key that should still work, else one of the last given, which may
		// have been revoked or rotated away since.
		st.auth = asKey
		var live []int
		for _, i := range w.producers {
			if w.m.holder(w.plain[i]) != nil {
				live = append(live, i)
			}
		}
		recent := w.producers[max(0, len(w.producers)-recentKeys):]
		if len(live) > 0 && rng.IntN(2) == 0 {
			recent = live
		}
		st.from = recent[rng.IntN(len(recent))]
		st.lineage = w.lineage[st.from]
	case p < 98:
		st.auth = asNone
	default:
		st.auth = asUnknown
	}
	// What it names.
	switch st.op {
	case opCreateSecret:
		st.slot = rng.IntN(secretSlots)
	case opUpdateSecret, opDeleteSecret:
		st.slot = w.pickSecret(rng)
	case opCreateKey:
		st.slot = rng.IntN(keySlots)
		st.perms = rng.IntN(len(permSets))
		if rng.IntN(2) == 0 {
			st.desc = rng.IntN(len(descriptions))
		}
		st.nobody = rng.IntN(100) < 5
	case opListKeys:
		st.revoked = []string{"", "", "false", "true"}[rng.IntN(4)]
		st.nobody = rng.IntN(100) < 5
	case opPatchKey:
		st.slot = w.pickKey(rng)
		if rng.IntN(100) < 30 {
			// A rename is sent alone: whether a refused request changes nothing is the mock's
			// choice (P6), so a refused rename must carry nothing else.
			st.to = (st.slot + 1 + rng.IntN(keySlots-1)) % keySlots
			break
		}
		if rng.IntN(100) < 40 {
			st.desc = rng.IntN(len(descriptions))
			if rng.IntN(4) == 0 {
				st.desc = -2
			}
		}
		if rng.IntN(100) < 30 {
			st.perms = rng.IntN(len(permSets))
		}
		switch p := rng.IntN(100); {
		case p < 15:
			st.status = "active"
		case p < 27:
			st.status = "revoked"
		}
	case opRotateKey, opDeleteKey:
		st.slot = w.pickKey(rng)
	}
	return st
}

// pickSecret is mostly a slot whose secret exists.
func (w *world) pickSecret(rng *rand.Rand) int {
	var existing []int
	for i := range secretSlots {
		if w.m.secrets[w.secretName(i)] {
			existing = append(existing, i)
		}
	}
	if len(existing) > 0 && rng.IntN(100) < 70 {
		return existing[rng.IntN(len(existing))]
	}
	return rng.IntN(secretSlots)
}

// pickKey is mostly a slot with a live key, sometimes one that only revoked keys have.
func (w *world) pickKey(rng *rand.Rand) int {
	var live, revoked []int
	for i := range keySlots {
		switch name := w.keyName(i); {
		case w.m.live(name) != nil:
			live = append(live, i)
		case w.m.revokedOnly(name):
			revoked = append(revoked, i)
		}
	}
	switch p := rng.IntN(100); {
	case p < 70 && len(live) > 0:
		return live[rng.IntN(len(live))]
	case p < 85 && len(revoked) > 0:
		return revoked[rng.IntN(len(revoked))]
	}
	return rng.IntN(keySlots)
}

func weighted(rng *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := rng.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}
