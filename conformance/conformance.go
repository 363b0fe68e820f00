// Package conformance drives any implementation of the Mixpeek organization secrets and
// API-key endpoints (the real API, a staging server, or a fake) through openapi.yaml and the
// behaviour reference (docs/behavior.md), and reports every violation, check by check.
//
// The suite is black-box: it uses only the 9 operations of the contract, so the same run works
// against staging. Everything it creates is named after Config.Prefix and a random run ID, and
// is deleted (secrets) or revoked (keys) when the safe checks are done, also after a failure
// or a cancelled context. It never changes or deletes a resource without its run's name,
// except the probes of the protected admin-key: a PATCH with the key's own values always, and
// rotate and delete, which would cost a non-conforming server that key, only with
// Config.Destructive (after cleanup, which needs it).
//
// Run checks a server; Replay replays a consumer's recording against one (package
// recording); Test runs the checks as subtests of a Go test. Each returns a Report.
package conformance

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
	"github.com/mixpeekkit/mixpeekkit/internal/replay"
	"github.com/mixpeekkit/mixpeekkit/internal/suite"
	"github.com/mixpeekkit/mixpeekkit/recording"
)

// Check is one requirement of the contract, verified by requests.
type Check struct {
	ID          string // its category, a slash and a name: secrets/create-returns-201
	Description string
	Destructive bool // runs only with Config.Destructive
	NeedsPeer   bool // runs only with Config.PeerAPIKey
}

// Checks lists the checks a run with Config.Run = run runs, in the order they run
// (destructive ones last, after cleanup): all of them for "". A pattern that is not a regular
// expression, or that matches no check, is refused as Validate refuses it.
func Checks(run string) ([]Check, error) {
	selected, err := selectChecks(run)
	var out []Check
	for _, c := range selected {
		out = append(out, Check{ID: c.ID, Description: c.Description, Destructive: c.Destructive, NeedsPeer: c.NeedsPeer})
	}
	return out, err
}

// Run runs the selected checks against cfg.BaseURL and reports them. It returns an error when
// the suite cannot run (a Config that Validate refuses, a server it cannot reach, credentials
// it refuses: the report then holds one result of status Errored that says why) and when ctx
// is cancelled (the report holds the checks done so far, and cleanup has run).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	return execute(ctx, cfg, nil, func(r *run) {
		r.s.RunChecks(ctx, r.checks, func(c suite.Check) {
			res := r.s.RunCheck(ctx, c)
			if ctx.Err() != nil && res.Status == suite.Fail {
				return // interrupted mid-check: an incomplete result, not a finding
			}
			r.add(res)
		}, func(leftovers []string) { r.report.Leftovers = append(r.report.Leftovers, leftovers...) })
	})
}

// execute starts a run of cfg (begin; adjust, when not nil, changes its settings) and hands it
// to body, which cleans up. The report's
// Duration is the whole, from the first request to the end of cleanup.
func execute(ctx context.Context, cfg Config, adjust func(*suite.Config), body func(*run)) (*Report, error) {
	began := time.Now()
	r, err := begin(ctx, cfg, adjust)
	if err != nil {
		return r.aborted(cfg, err), err
	}
	defer func() {
		r.report.Duration = time.Since(began)
		r.report.Revoked, r.report.Retries = r.s.Revoked(), r.s.Retries()
	}()
	if cfg.OnStart != nil {
		cfg.OnStart(r.report)
	}
	body(r)
	if err := ctx.Err(); err != nil {
		return r.report, fmt.Errorf("conformance: interrupted after %d results (cleanup done): %w", len(r.report.Results), err)
	}
	return r.report, nil
}

// Test runs the suite as subtests of t, one per check, named by check ID. Skipped checks are
// reported with t.Skip, and what cleanup could not remove with t.Errorf. Cleanup is also
// registered with t.Cleanup, so a test that stops early still cleans up; an interrupted go
// test (Ctrl-C) ends without it: the run's prefix names what to remove.
func Test(t *testing.T, cfg Config) {
	t.Helper()
	ctx := t.Context()
	r, err := begin(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	leftovers := func(leftovers []string) {
		for _, l := range leftovers {
			t.Errorf("conformance: could not clean up %s", l)
		}
	}
	// The cleanup of t.Cleanup runs after t's context is cancelled: the suite's cleanup uses a
	// context of its own.
	t.Cleanup(func() {
		r.s.CleanupOnce(leftovers)
		for _, retry := range r.s.Retries() {
			t.Log("conformance: asked again: " + retry)
		}
		if revoked := r.s.Revoked(); len(revoked) > 0 {
			t.Logf("conformance: left behind, revoked (a key cannot be deleted): %d API keys named %s-…", len(revoked), r.s.Prefix)
		}
	})
	r.s.RunChecks(ctx, r.checks, func(c suite.Check) {
		t.Run(c.ID, func(t *testing.T) {
			res := r.add(r.s.RunCheck(ctx, c))
			if res.Note != "" {
				t.Log(res.Note)
			}
			switch res.Status {
			case Skip:
				t.Skip(res.SkipReason)
			case Fail:
				for _, f := range res.Failures {
					t.Error(f.text())
				}
			}
		})
	}, leftovers)
}

// Replay replays a recording against the server of cfg, one result per recorded call (and one
// per setup call that creates what the recording starts with): a call passes when the answer
// has the recorded status and shape (and, for a list, the recorded names of the replay's own)
// and validates against openapi.yaml, and is skipped when the state does not allow it (a key
// the server did not issue). docs/recording.md describes the rules. Like Run, it touches
// nothing outside its prefix (the admin-key only with Config.Destructive), paces its requests
// by Config.Rate, cleans up everything it created, and returns an error only when it could
// not replay or was interrupted. Config.Run and Config.Explore do not apply; Config.Sleep,
// when set, moves the target's clock at the recording's clock moves.
func Replay(ctx context.Context, cfg Config, rec *recording.Recording) (*Report, error) {
	doc, err := replayable(rec)
	if err != nil {
		return (&run{}).aborted(cfg, err), err
	}
	movesClock := cfg.Sleep != nil
	cfg.Run, cfg.Explore = "", 0
	return execute(ctx, cfg, nil, func(r *run) {
		rep := r.report
		defer r.s.CleanupOnce(func(left []string) { rep.Leftovers = append(rep.Leftovers, left...) })
		rep.Leftovers = replay.Replay(ctx, r.s, doc, movesClock, func(res suite.Result) { r.add(res) })
	})
}

// replayable is the recording as the replay reads it.
func replayable(rec *recording.Recording) (*recfmt.Recording, error) {
	doc, err := recfmt.From(rec)
	if err != nil {
		return nil, fmt.Errorf("conformance: no recording to replay: %w", err)
	}
	return doc, nil
}

// run is one run of Run, Test or Replay on its way: the suite and the report it fills.
type run struct {
	s      *suite.Suite
	checks []suite.Check
	report *Report
	cfg    Config
}

// Sweep removes what runs left on the server under cfg.Prefix (required: 2 to 40 of A-Z a-z
// 0-9 _ -): the secrets of cfg.APIKey's organization (and of cfg.PeerAPIKey's, when set) and
// the live API keys of cfg.UserEmail whose names are shaped like a run's: Report.Prefix and a
// dash for one run; for Config.Prefix (all runs made with it), the prefix, a dash, a run ID of
// 6 lowercase letters and digits, and a dash. It never touches the admin-key, the key it runs
// with, or any other name. Each resource found is a result
// (sweep/secret/NAME, sweep/api-key/NAME); with dryRun they are listed as skipped and nothing
// changes. What is still there afterwards is the report's Leftovers. Revoked keys cannot be
// removed: they stay, listed only with include_revoked.
func Sweep(ctx context.Context, cfg Config, dryRun bool) (*Report, error) {
	switch {
	case cfg.Prefix == "":
		err := configError("Prefix", "is required to sweep: the prefix of the runs whose leftovers to remove")
		return (&run{}).aborted(cfg, err), err
	case len(cfg.Prefix) < 2:
		err := configError("Prefix", "must be at least 2 characters to sweep, so that it cannot take names it did not make")
		return (&run{}).aborted(cfg, err), err
	}
	prefix := cfg.Prefix
	cfg.Run, cfg.Explore = "", 0
	return execute(ctx, cfg, func(s *suite.Config) { s.Sweeping = true }, func(r *run) {
		r.report.Prefix = prefix
		r.report.Leftovers = r.s.Sweep(ctx, prefix, dryRun, func(res suite.Result) { r.add(res) })
	})
}

// begin validates cfg, selects the checks, and starts the suite (its preflight requests),
// with its settings changed by adjust when it is not nil (a sweep's).
func begin(ctx context.Context, cfg Config, adjust func(*suite.Config)) (*run, error) {
	settings, checks, err := cfg.settings()
	if err != nil {
		return &run{}, err
	}
	if adjust != nil {
		adjust(&settings)
	}
	s, err := suite.Start(ctx, settings)
	if err != nil {
		return &run{report: &Report{BaseURL: settings.Base.Redacted(), Prefix: settings.Prefix}}, err
	}
	return &run{s: s, checks: checks, cfg: cfg, report: &Report{BaseURL: s.Base.Redacted(), Prefix: s.Prefix, Seed: s.Seed}}, nil
}

// add puts a result in the report and hands it to Config.OnResult.
func (r *run) add(res suite.Result) Result {
	out := resultOf(res)
	r.report.add(out)
	if r.cfg.OnResult != nil {
		r.cfg.OnResult(out)
	}
	return out
}

// aborted is the report of a run that stopped before its first check with err: one result of
// status Errored that says why, so that a CI system reading the JSON or JUnit report sees why
// nothing was checked. Its text never holds the run's keys.
func (r *run) aborted(cfg Config, err error) *Report {
	rep := r.report
	if rep == nil {
		rep = &Report{BaseURL: redactedURL(cfg.BaseURL), Prefix: cfg.Prefix}
	}
	why := redactKeys(err.Error(), cfg.APIKey, cfg.PeerAPIKey)
	rep.Results = []Result{{ID: "setup", Category: "setup", Status: Errored, SkipReason: why,
		Description: "the suite can run: the settings are valid, the server answers, and the API key is an admin key of the user",
		Failures:    []Failure{{Message: why}}}}
	return rep
}
