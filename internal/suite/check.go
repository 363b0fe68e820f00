package suite

import (
	"context"
	"fmt"
	"time"
)

// Check is one requirement of the contract, verified by requests (Run).
type Check struct {
	ID, Category, Description string
	Destructive               bool // runs only with Config.Destructive
	NeedsPeer                 bool // runs only with Config.PeerAPIKey
	// Shared: what the check creates outlives it (a replay's calls build on each other);
	// otherwise a check removes what it created when it ends, so that no check sees another's
	// leftovers.
	Shared bool
	Run    func(*T)
}

// Status is the outcome of one check.
type Status string

// The outcomes; Errored is a run that stopped before its first check.
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Skip    Status = "skip"
	Errored Status = "error"
)

// Result is what one check found.
type Result struct {
	ID, Category, Description string
	Status                    Status
	SkipReason                string
	Failures                  []Failure
	Duration                  time.Duration
	Note                      string // what the check adds to its outcome, e.g. an exploration's seed
}

// Failure is one violation, with the exchange that proved it (nil when none).
type Failure struct {
	Message  string
	Exchange *Exchange
}

// T is one check on its way: it makes requests and records failures. The checks call it t,
// as tests call their *testing.T.
type T struct {
	Ctx   context.Context
	S     *Suite
	Check Check
	Res   *Result

	// What a failure's reproduction needs (curl.go): the requests of the check that changed
	// something, in order, and the variables that stand for the keys their answers gave.
	setup   []setupStep
	keyVars map[string]string
	// own is what the check created (resources.go), removed when it ends.
	own []owned
}

// stopCheck ends a check early (Fatalf, Skip), like testing's FailNow.
type stopCheck struct{}

// RunCheck runs one check, or says why it is skipped. A check that panics fails with the
// panic's value; one stopped by Fatalf keeps the failures it recorded.
func (s *Suite) RunCheck(ctx context.Context, c Check) (res Result) {
	res = Result{ID: c.ID, Category: c.Category, Description: c.Description, Status: Pass}
	switch {
	case c.Destructive && !s.Destructive:
		res.Status, res.SkipReason = Skip, "destructive: enable with Config.Destructive"
		return res
	case c.NeedsPeer && s.PeerAPIKey == "":
		res.Status, res.SkipReason = Skip, "needs a peer organization's admin key (Config.PeerAPIKey)"
		return res
	}
	start := time.Now()
	t := &T{Ctx: context.WithValue(ctx, checkKey{}, c.ID), S: s, Check: c, Res: &res}
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(stopCheck); !ok {
				res.Failures = append(res.Failures, Failure{Message: fmt.Sprintf("the check itself failed: %v", v)})
			}
		}
		if len(res.Failures) > 0 && res.Status != Skip {
			res.Status = Fail
		}
		if !c.Shared {
			t.removeOwn()
		}
		res.Duration = time.Since(start)
	}()
	c.Run(t)
	return res
}

// Errorf records a failure, with the exchange that proved it (nil when none): its curl is
// preceded by the requests of the check that set it up, so that it reproduces when pasted.
func (t *T) Errorf(ex *Exchange, format string, args ...any) {
	t.Res.Failures = append(t.Res.Failures, Failure{Message: t.S.Redact(fmt.Sprintf(format, args...)), Exchange: t.reproducible(ex)})
}

// Fatalf records a failure and ends the check.
func (t *T) Fatalf(ex *Exchange, format string, args ...any) {
	t.Errorf(ex, format, args...)
	panic(stopCheck{})
}

// Skip ends the check as skipped, for the reason given.
func (t *T) Skip(reason string) {
	t.Res.Status, t.Res.SkipReason = Skip, reason
	panic(stopCheck{})
}
