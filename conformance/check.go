package conformance

import (
	"context"
	"fmt"
	"time"
)

// T is one check on its way: it makes requests and records failures. The checks call
// it t, as tests call their *testing.T.
type T struct {
	Ctx   context.Context
	S     *Suite
	Check Check
	Res   *Result
}

// stopCheck ends a check early (Fatalf), like testing's FailNow.
type stopCheck struct{}

// RunCheck runs one check, or says why it is skipped. A check that panics fails with the panic's
// value; one stopped by Fatalf keeps the failures it recorded.
func (s *Suite) RunCheck(ctx context.Context, c Check) (res Result) {
	res = Result{ID: c.ID, Category: c.Category, Description: c.Description, Status: Pass}
	switch {
	case c.Destructive && !s.Cfg.Destructive:
		res.Status, res.SkipReason = Skip, "destructive: enable with Destructive (-destructive)"
		return res
	case c.NeedsPeer && s.Cfg.PeerAPIKey == "":
		res.Status, res.SkipReason = Skip, "needs a peer organization's admin key (PeerAPIKey, -peer-api-key)"
		return res
	}
	start := time.Now()
	t := &T{Ctx: ctx, S: s, Check: c, Res: &res}
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(stopCheck); !ok {
				res.Failures = append(res.Failures, Failure{Message: fmt.Sprintf("the check itself failed: %v", v)})
			}
		}
		if len(res.Failures) > 0 {
			res.Status = Fail
		}
		res.Duration = time.Since(start)
	}()
	c.Run(t)
	return res
}

// Errorf records a failure, with the exchange that proved it (nil when none).
func (t *T) Errorf(ex *Exchange, format string, args ...any) {
	t.Res.Failures = append(t.Res.Failures, Failure{Message: t.S.Redact(fmt.Sprintf(format, args...)), Exchange: ex})
}

// Fatalf records a failure and ends the check.
func (t *T) Fatalf(ex *Exchange, format string, args ...any) {
	t.Errorf(ex, format, args...)
	panic(stopCheck{})
}
