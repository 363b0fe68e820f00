// Package conformance drives any implementation of the Mixpeek organization secrets and
// API-key endpoints (the real API, a staging server, or a fake) through openapi.yaml and the
// behaviour reference (docs/behavior.md), and reports every violation, check by check.
//
// The suite is black-box: it uses only the 9 operations of the contract, so the same run works
// against staging. Everything it creates is named after Config.Prefix and a random run ID, and
// is deleted (secrets) or revoked (keys) when the safe checks are done, also after a failure
// or a cancelled context. It lists secrets and keys to find its own, and never changes or
// deletes a resource without its run's name, except the probes of the protected admin-key: a
// PATCH with the key's own values always, and rotate and delete, which would cost a
// non-conforming server that key, only with Config.Destructive (after cleanup, which needs it).
//
// Run returns an error only when the suite could not run; failed checks are in the Report.
package conformance

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// Config says what to check and how.
type Config struct {
	// BaseURL is the server under test, e.g. http://127.0.0.1:8080 or https://staging.example/api.
	BaseURL string
	// APIKey is a key with the admin permission.
	APIKey string
	// UserEmail is the owner of APIKey.
	UserEmail string
	// PeerAPIKey is an admin key of a different organization; it enables the isolation checks.
	PeerAPIKey string
	// HTTPClient sends the requests (http.DefaultClient when nil).
	HTTPClient *http.Client
	// RequestTimeout bounds each request (10 s when zero).
	RequestTimeout time.Duration
	// Sleep waits d: the expiry check waits for a key to expire (about 3 s). When nil, the
	// suite sleeps, cut short by the run's context. A test of a fake whose clock can be moved
	// may move it instead (mockservertest: AdvanceClock; over HTTP, this project's mock: MockClock).
	Sleep func(ctx context.Context, d time.Duration) error
	// Prefix starts the name of everything the run creates: 1 to 40 of A-Z a-z 0-9 _ -,
	// always followed by a random run ID ("ct" and the run ID when empty).
	Prefix string
	// Run selects the checks whose ID matches this regular expression (all when empty); one
	// that matches no check is refused (Select).
	Run string
	// Destructive enables the checks that would damage a non-conforming server: rotating or
	// deleting the admin-key.
	Destructive bool
	// OnStart, when set, is called once the suite can run (the server answers and the
	// credentials work), before the first check: what the run is about to do.
	OnStart func(Plan)
	// OnResult, when set, is called as each check finishes (progress for long runs).
	OnResult func(Result)
	// Explore, when above 0, enables the check explore/random-walk, which runs after the
	// checks of behaviour and before the safety checks and cleanup: a random walk of that
	// many operations, each answer compared with what a model of the run's secrets and keys
	// predicts; a failing walk is shrunk to its shortest failing sequence of steps.
	Explore int
	// Seed makes the exploration repeatable: the same seed draws the same walk (a random
	// seed when 0; the report shows the seed used).
	Seed int64
	// Rate bounds the exploration to this many requests per second (its walk, the replays
	// that shrink a failure, and its tidying); 0 for unbounded. The other checks are not paced.
	Rate float64
}

// Plan is what a run is about to do: the server (its URL without credentials), the prefix of
// everything it creates, and how many checks it selected.
type Plan struct {
	BaseURL string
	Prefix  string
	Checks  int
}

// String is the header line of a run: "checking URL: N checks, prefix P".
func (p Plan) String() string {
	plural := "s"
	if p.Checks == 1 {
		plural = ""
	}
	return fmt.Sprintf("checking %s: %d check%s, prefix %s", p.BaseURL, p.Checks, plural, p.Prefix)
}

// Check is one requirement of the contract, verified by requests.
type Check struct {
	ID          string
	Category    string
	Description string
	// Destructive checks run only with Config.Destructive.
	Destructive bool
	// NeedsPeer checks run only with Config.PeerAPIKey.
	NeedsPeer bool
	Run       func(*T)
}

// groups are the checks by category, in the order they run.
var groups = []struct {
	category string
	checks   []Check
}{
	{"contract", contractChecks},
	{"secrets", secretChecks},
	{"api-keys", apiKeyChecks},
	{"auth", authChecks},
	{"permissions", permissionChecks},
	{"validation", validationChecks},
	{"generated", generatedChecks},
	{"isolation", isolationChecks},
	// The exploration runs after the checks of behaviour, and before the safety checks, which
	// then also vouch for it (the admin-key unchanged, no secret value echoed).
	{"explore", exploreChecks},
	{"safety", safetyChecks},
}

// Checks lists every check, in the order they run (destructive ones last, after cleanup).
func Checks() []Check {
	var all []Check
	for _, g := range groups {
		all = append(all, g.checks...)
	}
	return all
}

// Run runs the selected checks against cfg.BaseURL. It returns an error only when the suite
// cannot run: a bad Config, a server it cannot reach, or credentials it refuses. When ctx is
// cancelled, Run cleans up and returns the report so far with an error.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	began := time.Now()
	s, err := Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rep := &Report{BaseURL: s.Base.Redacted(), Prefix: s.Prefix, Seed: s.Seed}
	defer func() { rep.Duration = time.Since(began) }()
	if cfg.OnStart != nil {
		cfg.OnStart(Plan{BaseURL: rep.BaseURL, Prefix: s.Prefix, Checks: len(s.checks)})
	}
	s.RunChecks(ctx, func(c Check) {
		res := s.RunCheck(ctx, c)
		if ctx.Err() != nil && res.Status == Fail {
			return // interrupted mid-check: an incomplete result, not a finding
		}
		rep.add(res)
		if cfg.OnResult != nil {
			cfg.OnResult(res)
		}
	}, func(leftovers []string) { rep.Leftovers = leftovers })
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("conformance: interrupted after %d checks (cleanup done): %w", len(rep.Results), err)
	}
	return rep, nil
}

// Test runs the suite as subtests of t, one per check, named by check ID. Skipped checks are
// reported with t.Skip, and what cleanup could not remove with t.Errorf. Cleanup is also
// registered with t.Cleanup, so a test that stops early still cleans up; an interrupted go
// test (Ctrl-C) ends without it: the run's prefix names what to remove.
func Test(t *testing.T, cfg Config) {
	t.Helper()
	ctx := context.Background()
	s, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	leftovers := func(leftovers []string) {
		for _, l := range leftovers {
			t.Errorf("conformance: could not clean up %s", l)
		}
	}
	t.Cleanup(func() { s.CleanupOnce(leftovers) })
	s.RunChecks(ctx, func(c Check) {
		t.Run(c.ID, func(t *testing.T) {
			res := s.RunCheck(ctx, c)
			if cfg.OnResult != nil {
				cfg.OnResult(res)
			}
			if res.Note != "" {
				t.Log(res.Note)
			}
			switch res.Status {
			case Skip:
				t.Skip(res.SkipReason)
			case Fail:
				for _, f := range res.Failures {
					t.Error(f.String())
				}
			}
		})
	}, leftovers)
}
