// Package generate makes checks from openapi.yaml's request schemas: for each operation, its
// negative cases (a request that breaks one rule of one member: 422 naming it, and nothing
// changes) and its positive cases (one member at an edge its schema allows: the success
// status, and a read shows the effect). cases.go reads the schemas; checks.go runs the cases.
package generate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/mixpeekkit/mixpeekkit/internal/suite"

	"github.com/mixpeekkit/mixpeekkit/internal/contract"
)

// The generated checks: for each operation of openapi.yaml, one check of its negative cases
// and one of its positive cases (generated.go makes them from the schemas), each case a
// request of its own, each failure labelled with its case.

// Checks are the generated checks of the embedded openapi.yaml, made the first time they are
// asked for (not when the package loads: a program that imports the suite and never lists
// or runs it pays nothing).
var Checks = sync.OnceValue(func() []suite.Check { return generatedChecksOf(contract.OpenAPI()) })

// generatedChecksOf makes the checks of a contract: one per operation and kind that has cases.
func generatedChecksOf(c *contract.Contract, err error) []suite.Check {
	if err != nil {
		return []suite.Check{{ID: "generated/contract", Category: "generated",
			Description: "openapi.yaml parses, so requests can be generated from it",
			Run:         func(t *suite.T) { t.Fatalf(nil, "%v", err) }}}
	}
	var checks []suite.Check
	for _, op := range withoutRefusedByBehaviour(generate(c.Doc)) {
		for _, kind := range []caseKind{negative, positive} {
			cases := op.casesOf(kind)
			if len(cases) == 0 {
				continue
			}
			checks = append(checks, suite.Check{ID: "generated/" + op.short + "/" + string(kind), Category: "generated",
				Description: describe(op, kind, cases),
				Run:         func(t *suite.T) { runGenerated(t, op, kind, cases) }})
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
	create func(t *suite.T) (string, map[string]any)
	track  func(t *suite.T, name string) // registers a name for cleanup, before it is sent
	// read lists the resources by name (nil models when the read shows names only); all
	// also those that can no longer be changed (revoked keys).
	read func(t *suite.T, all bool) (map[string]map[string]any, *suite.Exchange)
	live func(model map[string]any) bool // whether the resource can still be changed
	// release removes a resource the check no longer needs, so the reads of later checks
	// stay short; cleanup would remove it too.
	release func(t *suite.T, name string)
}

var collections = map[string]collection{
	"key_name": {
		// A key with every field a PATCH can change or clear set, so that a read shows what
		// a PATCH of null, an empty list or an edge value did.
		create: func(t *suite.T) (string, map[string]any) {
			name := t.Name("key")
			t.TrackKey(name)
			ex := t.Call("POST", t.KeysPath(), map[string]any{"name": name, "permissions": []string{"read"},
				"description": "set before it is changed", "expires_at": "2099-01-01T00:00:00Z", "rate_limit_override": 5,
				"scopes": []any{map[string]any{"resource_type": "organization", "resource_id": "conformance"}}})
			if ex.Status != http.StatusOK || ex.Str("key") == "" {
				t.Fatalf(ex, "creating an API key to work with: want 200 with a key, got %d", ex.Status)
			}
			return name, ex.JSON
		},
		track: func(t *suite.T, name string) { t.TrackKey(name) },
		read:  func(t *suite.T, all bool) (map[string]map[string]any, *suite.Exchange) { return t.ListedKeys(all) },
		live:  func(m map[string]any) bool { return m["status"] == nil || m["status"] == "active" },
		release: func(t *suite.T, name string) {
			if t.Call("DELETE", t.KeyPath(name), nil).Status == http.StatusOK {
				t.Untrack(name, false)
			}
		},
	},
	"secret_name": {
		create: func(t *suite.T) (string, map[string]any) {
			name, _ := t.NewSecret(t.AdminAuth())
			return name, nil
		},
		track: func(t *suite.T, name string) { t.TrackSecret(name, t.AdminAuth()) },
		read: func(t *suite.T, _ bool) (map[string]map[string]any, *suite.Exchange) {
			names, ex := t.ListedSecrets(t.AdminAuth())
			out := map[string]map[string]any{}
			for _, n := range names {
				out[n] = nil
			}
			return out, ex
		},
		live: func(map[string]any) bool { return true },
		release: func(t *suite.T, name string) {
			if t.Call("DELETE", suite.SecretPath(name), nil).Status == http.StatusOK {
				t.Untrack(name, true)
			}
		},
	},
}

// runMaker makes a run's values for the generator.
type runMaker struct{ t *suite.T }

func (m runMaker) newName() string   { return m.t.Name("gen") }
func (m runMaker) runPrefix() string { return m.t.S.Prefix }
func (m runMaker) newSecret(n int) string {
	v := suite.RandomSuffix(n)
	if n >= 4 {
		v = "ctv-" + suite.RandomSuffix(n-4)
	}
	if n >= minRedacted {
		m.t.S.Known.AddSent(v)
	}
	return v
}

// genRun is one generated check on its way.
type genRun struct {
	t      *suite.T
	op     *genOp
	coll   *collection // nil when the operation names no resource
	target string      // the resource an operation on an existing one acts on ("" until made)
	before map[string]any
}

func runGenerated(t *suite.T, op *genOp, kind caseKind, cases []genCase) {
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
func inCase(t *suite.T, c genCase, f func()) {
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
func (g *genRun) send(c *genCase, target string) (*builtRequest, *suite.Exchange) {
	t := g.t
	vals := map[string]string{"user_email": url.QueryEscape(t.S.UserEmail)}
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
	r := suite.Request{Method: g.op.method, Path: b.path, Auth: t.AdminAuth()}
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
