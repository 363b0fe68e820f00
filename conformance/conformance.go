// Package conformance drives any implementation of the Mixpeek organization secrets and
// API-key endpoints (the real API, a staging server, or a fake) through openapi.yaml and
// BEHAVIOR.md, and reports every violation, check by check.
//
// The suite is black-box: it uses only the 9 operations of the contract, so the same run works
// against staging. Everything it creates carries Config.Prefix and is deleted (secrets) or
// revoked (keys) at the end of the run, also after a failure or a cancelled context. It never
// reads, changes or deletes a resource without the prefix, except the probes of the protected
// admin-key (and those that could damage a non-conforming server run only with Destructive).
//
// Like testing/fstest.TestFS, Run returns an error only when the suite could not run; failed
// checks are in the Report.
package conformance

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
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
	// Prefix starts the name of everything the run creates (random per run when empty).
	Prefix string
	// Run selects the checks whose ID matches this regular expression (all when empty).
	Run string
	// Destructive enables the checks that would damage a non-conforming server: rotating or
	// deleting the admin-key.
	Destructive bool
	// OnResult, when set, is called as each check finishes (progress for long runs).
	OnResult func(Result)
}

// Status is the outcome of one check.
type Status string

// The outcomes.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is what one check found.
type Result struct {
	ID          string        `json:"id"`
	Category    string        `json:"category"`
	Description string        `json:"description"`
	Status      Status        `json:"status"`
	SkipReason  string        `json:"skip_reason,omitempty"`
	Failures    []Failure     `json:"failures,omitempty"`
	Duration    time.Duration `json:"duration_ns"`
}

// Failure is one violation, with the exchange that proved it (secret values, plaintext keys
// and the Authorization header redacted).
type Failure struct {
	Message  string    `json:"message"`
	Exchange *Exchange `json:"exchange,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	BaseURL string   `json:"base_url"`
	Prefix  string   `json:"prefix"`
	Results []Result `json:"results"`
	// Leftovers are resources the run created and could not clean up.
	Leftovers []string `json:"leftovers,omitempty"`
	Passed    int      `json:"passed"`
	Failed    int      `json:"failed"`
	Skipped   int      `json:"skipped"`
}

// OK reports whether no check failed and nothing was left behind.
func (r *Report) OK() bool { return r.Failed == 0 && len(r.Leftovers) == 0 }

// Check is one requirement of the contract, verified by requests.
type Check struct {
	ID          string
	Category    string
	Description string
	// Destructive checks run only with Config.Destructive.
	Destructive bool
	// NeedsPeer checks run only with Config.PeerAPIKey.
	NeedsPeer bool
	run       func(*T)
}

// Categories, in the order the checks run.
var Categories = []string{"contract", "secrets", "api-keys", "auth", "permissions", "validation", "isolation", "safety"}

// Checks lists every check, in the order they run.
func Checks() []Check {
	var all []Check
	for _, group := range [][]Check{contractChecks, secretChecks, apiKeyChecks, authChecks, permissionChecks, validationChecks, isolationChecks, safetyChecks} {
		all = append(all, group...)
	}
	return all
}

// Run runs the selected checks against cfg.BaseURL. It returns an error only when the suite
// cannot run: a bad Config, a server it cannot reach, or credentials it refuses.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	s, checks, err := start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rep := &Report{BaseURL: s.base.Redacted(), Prefix: s.prefix}
	runAll := func(checks []Check) {
		for _, c := range checks {
			if ctx.Err() != nil {
				return
			}
			res := s.run(ctx, c)
			if ctx.Err() != nil && res.Status == Fail {
				return // interrupted mid-check: an incomplete result, not a finding
			}
			rep.add(res)
			if cfg.OnResult != nil {
				cfg.OnResult(res)
			}
		}
	}
	safe, destructive := split(checks)
	runAll(safe)
	rep.Leftovers = s.cleanup()
	// The probes that could cost the admin-key run after cleanup, which needs that key.
	runAll(destructive)
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("conformance: interrupted after %d checks (cleanup done): %w", len(rep.Results), err)
	}
	return rep, nil
}

func (r *Report) add(res Result) {
	r.Results = append(r.Results, res)
	switch res.Status {
	case Pass:
		r.Passed++
	case Fail:
		r.Failed++
	case Skip:
		r.Skipped++
	}
}

// Test runs the suite as subtests of t, one per check, named by check ID, and cleans up with
// t.Cleanup. Skipped checks are reported with t.Skip.
func Test(t *testing.T, cfg Config) {
	t.Helper()
	ctx := context.Background()
	s, checks, err := start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cleaned := false
	cleanup := func() {
		if cleaned {
			return
		}
		cleaned = true
		for _, l := range s.cleanup() {
			t.Errorf("conformance: could not clean up %s", l)
		}
	}
	// Also when the test stops early. An interrupted go test (Ctrl-C) ends without it: the
	// run's prefix names what to remove.
	t.Cleanup(cleanup)
	run := func(c Check) {
		t.Run(c.ID, func(t *testing.T) {
			res := s.run(ctx, c)
			switch res.Status {
			case Skip:
				t.Skip(res.SkipReason)
			case Fail:
				for _, f := range res.Failures {
					t.Error(f.String())
				}
			}
		})
	}
	safe, destructive := split(checks)
	for _, c := range safe {
		run(c)
	}
	cleanup()
	// The probes that could cost the admin-key run after cleanup, which needs that key.
	for _, c := range destructive {
		run(c)
	}
}

// start checks the config, loads the contract and makes sure the credentials work.
func start(ctx context.Context, cfg Config) (*suite, []Check, error) {
	if cfg.BaseURL == "" || cfg.APIKey == "" || cfg.UserEmail == "" {
		return nil, nil, errors.New("conformance: BaseURL, APIKey and UserEmail are required")
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, nil, fmt.Errorf("conformance: BaseURL must be an http or https URL")
	}
	var sel *regexp.Regexp
	if cfg.Run != "" {
		if sel, err = regexp.Compile(cfg.Run); err != nil {
			return nil, nil, fmt.Errorf("conformance: Run: %w", err)
		}
	}
	c, err := contract.Parse(ctx, "openapi.yaml", mixpeekkit.OpenAPI())
	if err != nil {
		return nil, nil, err
	}
	s := &suite{cfg: cfg, base: base, contract: c, client: cfg.HTTPClient, prefix: cfg.Prefix}
	if s.client == nil {
		s.client = http.DefaultClient
	}
	if s.cfg.RequestTimeout == 0 {
		s.cfg.RequestTimeout = 10 * time.Second
	}
	// A run ID always follows the prefix, so a run never takes another run's names (nor an
	// older resource's) for its own.
	switch {
	case s.prefix == "":
		s.prefix = "ct" + randomSuffix(6)
	case !prefixRE.MatchString(s.prefix):
		return nil, nil, errors.New("conformance: Prefix must be 1 to 40 of A-Z a-z 0-9 _ -")
	default:
		s.prefix += "-" + randomSuffix(6)
	}
	if err := s.preflight(ctx); err != nil {
		return nil, nil, err
	}
	var checks []Check
	for _, ch := range Checks() {
		if sel == nil || sel.MatchString(ch.ID) {
			checks = append(checks, ch)
		}
	}
	return s, checks, nil
}

var prefixRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// split separates the destructive checks, which run last.
func split(checks []Check) (safe, destructive []Check) {
	for _, c := range checks {
		if c.Destructive {
			destructive = append(destructive, c)
		} else {
			safe = append(safe, c)
		}
	}
	return safe, destructive
}

// randomSuffix is n lowercase letters and digits from crypto/rand.
func randomSuffix(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func (f Failure) String() string {
	if f.Exchange == nil {
		return f.Message
	}
	return f.Message + "\n" + f.Exchange.String()
}
