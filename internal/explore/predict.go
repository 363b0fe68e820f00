package explore

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/mixpeekkit/mixpeekkit/internal/rules"
	"github.com/mixpeekkit/mixpeekkit/internal/suite"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// outcome is one answer the model accepts for a step: its status, the error type an error
// answer must carry ("" when any), what else the body must show, and how the model changes
// once the answer matched. Where the contract and the behaviour reference leave a choice
// open, a step has several outcomes and the server's answer picks one.
type outcome struct {
	status int
	typ    string
	check  func(ex *suite.Exchange) []string
	apply  func(ex *suite.Exchange)
}

// prediction is what the model expects of a step, and why, in words for a report.
type prediction struct {
	outs []outcome
	why  string
}

func (p prediction) want() string {
	var s []string
	for _, o := range p.outs {
		w := fmt.Sprint(o.status)
		if o.typ != "" && o.typ != validationError {
			w += " " + o.typ
		}
		s = append(s, w)
	}
	return strings.Join(s, " or ")
}

func refused(why string, status int, typ string) prediction {
	return prediction{outs: []outcome{{status: status, typ: typ}}, why: why}
}

// anyOf accepts each status, with no further check and no change.
func anyOf(why string, statuses ...int) prediction {
	p := prediction{why: why}
	for _, s := range statuses {
		p.outs = append(p.outs, outcome{status: s})
	}
	return p
}

// validationError marks the 422 outcome: an HTTPValidationError, not an ErrorResponse.
const validationError = "HTTPValidationError"

// predict is the model's expectation of step i, in the order a server checks a request (S2):
// authentication, permission, the contract check of the request, then the operation.
func (w *world) predict(i int, st step) prediction {
	m := &w.m
	switch st.auth {
	case asNone:
		return refused("no Authorization header", http.StatusUnauthorized, "UnauthorizedError")
	case asUnknown:
		return refused("a key the server never issued", http.StatusUnauthorized, "UnauthorizedError")
	case asKey:
		plain := w.plain[w.keyFor(st)]
		k := m.holder(plain)
		if k == nil {
			why := "the key was rotated away"
			for _, r := range m.keys {
				if r.plain == plain {
					why = "the key was revoked"
				}
			}
			return refused(why, http.StatusUnauthorized, "UnauthorizedError")
		}
		if st.op == opListSecrets && !k.can("read") {
			return refused("the key has neither read nor admin", http.StatusForbidden, "ForbiddenError")
		}
		if st.op != opListSecrets && !k.can("admin") {
			return refused("the key is not an admin key", http.StatusForbidden, "ForbiddenError")
		}
	}
	if st.bad > 0 {
		return refused("the request breaks the contract", http.StatusUnprocessableEntity, validationError)
	}
	switch st.op {
	case opCreateSecret:
		name := w.secretName(st.slot)
		if m.secrets[name] {
			return refused("the secret exists", http.StatusConflict, "AlreadyExistsError")
		}
		return prediction{why: "a new secret", outs: []outcome{{status: http.StatusCreated,
			check: secretAnswer(name, "created"),
			apply: func(*suite.Exchange) { m.secrets[name] = true }}}}
	case opListSecrets:
		return prediction{why: "the walk's secrets are " + quoteAll(m.secretNames()), outs: []outcome{{status: http.StatusOK, check: w.secretList}}}
	case opUpdateSecret, opDeleteSecret:
		name := w.secretName(st.slot)
		if !m.secrets[name] {
			return refused("the secret does not exist", http.StatusNotFound, "NotFoundError")
		}
		if st.op == opUpdateSecret {
			return prediction{why: "the secret exists", outs: []outcome{{status: http.StatusOK, check: secretAnswer(name, "updated")}}}
		}
		return prediction{why: "the secret exists", outs: []outcome{{status: http.StatusOK, check: secretAnswer(name, "deleted"),
			apply: func(*suite.Exchange) { delete(m.secrets, name) }}}}
	case opCreateKey:
		return w.predictCreateKey(i, st)
	case opListKeys:
		if st.nobody {
			return refused("the user is not in the organization", http.StatusNotFound, "NotFoundError")
		}
		return prediction{why: "the walk's keys", outs: []outcome{{status: http.StatusOK,
			check: func(ex *suite.Exchange) []string { return w.keyList(ex, st.revoked == "true") }}}}
	case opPatchKey:
		return w.predictPatch(st)
	case opRotateKey:
		return w.predictRotate(i, st)
	case opDeleteKey:
		k := m.live(w.keyName(st.slot))
		if k == nil {
			return refused("no live key has the name", http.StatusNotFound, "NotFoundError")
		}
		return prediction{why: "a live key has the name", outs: []outcome{{status: http.StatusOK,
			check: func(ex *suite.Exchange) []string {
				if ex.Field("success") != true {
					return []string{"success is not true"}
				}
				return nil
			},
			apply: func(*suite.Exchange) { k.live = false }}}}
	}
	panic(fmt.Sprintf("conformance: no prediction for operation %d", st.op))
}

func (w *world) predictCreateKey(i int, st step) prediction {
	m := &w.m
	name := w.keyName(st.slot)
	if st.nobody {
		return refused("the user is not in the organization", http.StatusNotFound, "NotFoundError")
	}
	if m.live(name) != nil {
		return refused("a live key has the name", http.StatusConflict, "AlreadyExistsError")
	}
	want := &keyRec{made: i, name: name, live: true, perms: sorted(permSets[st.perms])}
	if st.desc >= 0 {
		want.desc = descriptions[st.desc]
	}
	why := "no live key has the name"
	var outs []outcome
	if m.revokedOnly(name) {
		// Whether a revoked key's name may be used again is open (P8: the mock says yes); a
		// server that keeps names for good refuses the create, and nothing changes.
		why = "only a revoked key has the name, which the server may let be used again, or not"
		outs = append(outs, outcome{status: http.StatusConflict, typ: "AlreadyExistsError"})
	}
	return prediction{why: why, outs: append(outs, outcome{status: http.StatusOK,
		check: func(ex *suite.Exchange) []string {
			probs := newKeyProblems(ex, "")
			return append(probs, keyProblems(ex.JSON, want, ex.Str("key"), []string{want.desc})...)
		},
		apply: func(ex *suite.Exchange) {
			k := *want
			k.plain, k.keyID = ex.Str("key"), ex.Str("key_id")
			m.keys = append(m.keys, &k)
			w.gave(i, k.plain, i)
		}})}
}

func (w *world) predictPatch(st step) prediction {
	m := &w.m
	name := w.keyName(st.slot)
	k := m.live(name)
	switch {
	case k == nil && st.status == "active" && m.revokedOnly(name):
		// The reference answers 400 (a revoked key cannot be made active again); a server may
		// as well find no live key of the name (404).
		return anyOf("only a revoked key has the name: it cannot be made active again", rules.ReviveRevokedKey...)
	case k == nil:
		return refused("no live key has the name", http.StatusNotFound, "NotFoundError")
	}
	after := *k
	if st.to >= 0 {
		after.name = w.keyName(st.to)
	}
	descs := []string{k.desc}
	switch {
	case st.desc == -2:
		descs = []string{k.desc, ""} // whether null clears the description is open (P6)
	case st.desc >= 0:
		descs = []string{descriptions[st.desc]}
	}
	if st.perms >= 0 {
		after.perms = sorted(permSets[st.perms])
	}
	status := "active"
	if st.status == "revoked" {
		status, after.live = "revoked", false
	}
	ok := outcome{status: http.StatusOK,
		check: func(ex *suite.Exchange) []string {
			var probs []string
			if _, has := ex.JSON["key"]; has {
				probs = append(probs, "the answer has a key member: only create and rotate may show a plaintext")
			}
			return append(probs, keyProblemsStatus(ex.JSON, &after, k.plain, descs, status)...)
		},
		apply: func(ex *suite.Exchange) {
			*k = after
			k.desc = descOf(ex.JSON)
		}}
	if st.to >= 0 && m.live(after.name) != nil {
		// Which 4xx a rename onto a taken name gets is open (B30).
		return anyOf("another live key has the new name", rules.RenameOntoTakenName...)
	}
	if st.to >= 0 && after.name != k.name && m.revokedOnly(after.name) {
		// Whether a revoked key's name may be taken again is open (P8): the rename may be
		// refused as one onto a taken name is.
		p := anyOf("only a revoked key has the new name, which the server may let be taken again, or not",
			rules.RenameOntoTakenName...)
		p.outs = append(p.outs, ok)
		return p
	}
	return prediction{why: "a live key has the name", outs: []outcome{ok}}
}

func (w *world) predictRotate(i int, st step) prediction {
	m := &w.m
	k := m.live(w.keyName(st.slot))
	if k == nil {
		return refused("no live key has the name", http.StatusNotFound, "NotFoundError")
	}
	return prediction{why: "a live key has the name", outs: []outcome{{status: http.StatusOK,
		check: func(ex *suite.Exchange) []string {
			probs := newKeyProblems(ex, k.plain)
			// Name and key_id stay (S8). Whether rotate keeps permissions and description is the mock's choice (P10): the
			// answer says what the key has now.
			after := *k
			if p, ok := stringList(ex.JSON["permissions"]); ok {
				after.perms = sorted(p)
			}
			return append(probs, keyProblems(ex.JSON, &after, ex.Str("key"), []string{descOf(ex.JSON)})...)
		},
		apply: func(ex *suite.Exchange) {
			k.plain = ex.Str("key")
			if p, ok := stringList(ex.JSON["permissions"]); ok {
				k.perms = sorted(p)
			}
			k.desc = descOf(ex.JSON)
			w.gave(i, k.plain, k.made)
		}}}}
}

// newKeyProblems checks the plaintext of a create or rotate answer (S6): shaped like a key, not
// the one it replaces, and the hash and prefix that follow from it.
func newKeyProblems(ex *suite.Exchange, old string) []string {
	key := ex.Str("key")
	var probs []string
	switch {
	case !sensitive.IsKey(key):
		return []string{"key is not sk_ followed by at least 40 url-safe characters"}
	case old != "" && key == old:
		probs = append(probs, "key is the plaintext it should replace")
	}
	if p, ok := ex.JSON["key_prefix"].(string); ok && p != sensitive.Prefix(key) {
		probs = append(probs, "key_prefix is not the key's first 10 characters and \"...\"")
	}
	return probs
}

// keyProblems checks an active key as an answer or a list shows it.
func keyProblems(obj map[string]any, want *keyRec, plain string, descs []string) []string {
	return keyProblemsStatus(obj, want, plain, descs, "active")
}

// keyProblemsStatus checks a key as an answer or a list shows it against the model: name,
// status, permissions (as a set), description (one of descs), and key_hash, the SHA-256 of
// its current plaintext.
func keyProblemsStatus(obj map[string]any, want *keyRec, plain string, descs []string, status string) []string {
	var probs []string
	if n, _ := obj["name"].(string); n != want.name {
		probs = append(probs, fmt.Sprintf("name is %q, want %q", n, want.name))
	}
	if s, ok := obj["status"].(string); ok && s != status || !ok && status != "active" {
		probs = append(probs, fmt.Sprintf("status is %v, want %s", obj["status"], status))
	}
	if p, ok := stringList(obj["permissions"]); ok && !slices.Equal(sorted(p), want.perms) {
		probs = append(probs, fmt.Sprintf("permissions are %q, want %q", p, want.perms))
	}
	if d := descOf(obj); !slices.Contains(descs, d) {
		probs = append(probs, fmt.Sprintf("description is %q, want %s", d, quoteAll(descs)))
	}
	if h, _ := obj["key_hash"].(string); plain != "" && h != sensitive.Hash(plain) {
		probs = append(probs, "key_hash is not the SHA-256 of the key's current plaintext")
	}
	if id, ok := obj["key_id"].(string); ok && want.keyID != "" && id != want.keyID {
		probs = append(probs, fmt.Sprintf("key_id is %q, want %q", id, want.keyID))
	}
	return probs
}

// secretAnswer checks a SecretResponse: the name, and the flag of the operation true.
func secretAnswer(name, flag string) func(ex *suite.Exchange) []string {
	return func(ex *suite.Exchange) []string {
		var probs []string
		if got := ex.Str("secret_name"); got != name {
			probs = append(probs, fmt.Sprintf("secret_name is %q, want %q", got, name))
		}
		if ex.Field(flag) != true {
			probs = append(probs, flag+" is not true")
		}
		return probs
	}
}

// secretList checks a list of secrets: the world's names, each once, the whole list sorted,
// and count right.
func (w *world) secretList(ex *suite.Exchange) []string {
	raw, ok := ex.Field("secrets").([]any)
	if !ok {
		return []string{"no secrets list"}
	}
	var all, mine []string
	for _, v := range raw {
		n, _ := v.(string)
		all = append(all, n)
		if strings.HasPrefix(n, w.tag+"-") {
			mine = append(mine, n)
		}
	}
	var probs []string
	if want := w.m.secretNames(); !slices.Equal(sorted(mine), want) {
		probs = append(probs, fmt.Sprintf("the walk's secrets listed are %s, want %s", quoteAll(mine), quoteAll(want)))
	}
	if c, ok := ex.Field("count").(float64); !ok || int(c) != len(all) {
		probs = append(probs, fmt.Sprintf("count is %v for %d names", ex.Field("count"), len(all)))
	}
	if !sort.StringsAreSorted(all) {
		probs = append(probs, "the names are not sorted")
	}
	return probs
}

// keyList checks a list of keys: the world's keys by name and status (revoked ones only with
// include_revoked=true), each live one as the model holds it, no key member, total right.
func (w *world) keyList(ex *suite.Exchange, withRevoked bool) []string {
	raw, ok := ex.Field("results").([]any)
	if !ok {
		return []string{"no results list"}
	}
	var probs []string
	if t, ok := ex.Field("total").(float64); !ok || int(t) != len(raw) {
		probs = append(probs, fmt.Sprintf("total is %v for %d results", ex.Field("total"), len(raw)))
	}
	var got, want []string
	live := map[string]map[string]any{}
	for _, r := range raw {
		k, _ := r.(map[string]any)
		if _, has := k["key"]; has {
			probs = append(probs, fmt.Sprintf("key %v is listed with a key member", k["name"]))
		}
		name, _ := k["name"].(string)
		if !strings.HasPrefix(name, w.tag+"-") {
			continue
		}
		status, _ := k["status"].(string)
		got = append(got, name+" ("+status+")")
		if status == "active" {
			live[name] = k
		}
	}
	for _, k := range w.m.keys {
		switch {
		case k.live:
			want = append(want, k.name+" (active)")
		case withRevoked:
			want = append(want, k.name+" (revoked)")
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		probs = append(probs, fmt.Sprintf("the walk's keys listed are %s, want %s", listOrNone(got), listOrNone(want)))
		return probs
	}
	for _, k := range w.m.keys {
		if k.live {
			for _, p := range keyProblems(live[k.name], k, k.plain, []string{k.desc}) {
				probs = append(probs, "listed key "+k.name+": "+p)
			}
		}
	}
	return probs
}

// errorProblems checks an error answer: an ErrorResponse of the type, its status the HTTP
// status, success not true; or, for 422, an HTTPValidationError with at least one entry.
func errorProblems(ex *suite.Exchange, typ string) []string {
	if typ == validationError {
		if d, ok := ex.Field("detail").([]any); !ok || len(d) == 0 {
			return []string{"a 422 must carry detail: a list of {loc, msg, type}"}
		}
		return nil
	}
	var probs []string
	if got := ex.ErrorType(); got != typ {
		probs = append(probs, fmt.Sprintf("error.type is %q, want %q", got, typ))
	}
	if got, _ := ex.Field("status").(float64); int(got) != ex.Status {
		probs = append(probs, fmt.Sprintf("ErrorResponse.status is %v, the HTTP status %d", ex.Field("status"), ex.Status))
	}
	if ex.Field("success") == true {
		probs = append(probs, "ErrorResponse.success is true")
	}
	return probs
}

// descOf is a key's description as an answer shows it: "" when absent.
func descOf(obj map[string]any) string {
	d, _ := obj["description"].(string)
	return d
}

func stringList(v any) ([]string, bool) {
	raw, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(raw))
	for _, x := range raw {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out, true
}

func sorted(list []string) []string {
	out := append([]string{}, list...)
	sort.Strings(out)
	return out
}

func listOrNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

func quoteAll(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	b, _ := json.Marshal(list)
	return string(b)
}
