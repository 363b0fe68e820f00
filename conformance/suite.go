package conformance

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/contract"
)

// Suite is one run: the server, the selected checks, and the state each concern keeps.
type Suite struct {
	Cfg      Config
	Base     *url.URL
	Contract *contract.Contract
	client   *http.Client
	Prefix   string  // Config.Prefix and the run ID
	checks   []Check // selected, in the order of Checks
	Seed     int64   // the exploration's seed (explore.go), 0 when the run does not explore

	Known     KnownSecrets // what a report must never show (redact.go)
	echoes    echoLog      // answers that contained a secret value the run sent (sender.go)
	resources resources    // what the run created, for cleanup (resources.go)
	cleaned   sync.Once
}

// Start checks the config, loads the contract, selects the checks and makes sure the
// credentials work.
func Start(ctx context.Context, cfg Config) (*Suite, error) {
	for _, f := range []struct{ field, value string }{{"BaseURL", cfg.BaseURL}, {"APIKey", cfg.APIKey}, {"UserEmail", cfg.UserEmail}} {
		if f.value == "" {
			return nil, &ConfigError{Field: f.field, Problem: "is required"}
		}
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, &ConfigError{Field: "BaseURL", Problem: "must be an http or https URL, such as http://127.0.0.1:8080"}
	}
	checks, err := Select(cfg.Run)
	if err != nil {
		return nil, err
	}
	if err := checkExplore(cfg); err != nil {
		return nil, err
	}
	c, err := contract.OpenAPI()
	if err != nil {
		return nil, err
	}
	s := &Suite{Cfg: cfg, Base: base, Contract: c, client: cfg.HTTPClient, Prefix: cfg.Prefix}
	if s.client == nil {
		s.client = http.DefaultClient
	}
	if s.Cfg.RequestTimeout == 0 {
		s.Cfg.RequestTimeout = 10 * time.Second
	}
	if s.Cfg.Sleep == nil {
		s.Cfg.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	s.Known.Add(cfg.APIKey, cfg.PeerAPIKey)
	// A run ID always follows the prefix, so a run never takes another run's names (nor an
	// older resource's) for its own.
	switch {
	case s.Prefix == "":
		s.Prefix = "ct" + RandomSuffix(6)
	case !prefixRE.MatchString(s.Prefix):
		return nil, &ConfigError{Field: "Prefix", Problem: "must be 1 to 40 of A-Z a-z 0-9 _ -"}
	default:
		s.Prefix += "-" + RandomSuffix(6)
	}
	if err := s.preflight(ctx); err != nil {
		return nil, err
	}
	s.checks = checks
	s.Seed = s.exploreSeed()
	return s, nil
}

var prefixRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// ConfigError is a Config the suite refuses: which field and why. The command words it with
// its flag and environment variable instead of the field.
type ConfigError struct {
	Field   string // "BaseURL", "Run", ...
	Problem string // "is required", "matches no check", ...
}

func (e *ConfigError) Error() string { return "conformance: Config." + e.Field + " " + e.Problem }

// Select is the checks a run with Config.Run = run would run, in their order: all of them
// for "", those whose ID matches the regular expression otherwise. A pattern that is not a
// regular expression, or that matches no check, is a *ConfigError: a run of no checks would
// pass while checking nothing.
func Select(run string) ([]Check, error) {
	if run == "" {
		return Checks(), nil
	}
	sel, err := regexp.Compile(run)
	if err != nil {
		return nil, &ConfigError{Field: "Run", Problem: "is not a regular expression: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")}
	}
	var out []Check
	for _, c := range Checks() {
		if sel.MatchString(c.ID) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, &ConfigError{Field: "Run", Problem: fmt.Sprintf("%q matches no check (the checks are listed by -list, or Checks())", run)}
	}
	return out, nil
}

// RunChecks is the order of a run, for Run and Test alike: the safe checks, then cleanup,
// then the destructive checks, which could cost the admin-key that cleanup needs. each runs
// one check; no check starts once ctx is done, but cleanup always runs. leftovers receives
// what cleanup could not remove.
func (s *Suite) RunChecks(ctx context.Context, each func(Check), leftovers func([]string)) {
	var safe, destructive []Check
	for _, c := range s.checks {
		if c.Destructive {
			destructive = append(destructive, c)
		} else {
			safe = append(safe, c)
		}
	}
	runAll := func(checks []Check) {
		for _, c := range checks {
			if ctx.Err() != nil {
				return
			}
			each(c)
		}
	}
	runAll(safe)
	s.CleanupOnce(leftovers)
	runAll(destructive)
}

// CleanupOnce runs cleanup and hands leftovers what it could not remove, the first time it is
// called; later calls do nothing.
func (s *Suite) CleanupOnce(leftovers func([]string)) {
	s.cleaned.Do(func() { leftovers(s.Cleanup()) })
}

// RandomSuffix is n lowercase letters and digits from crypto/rand.
func RandomSuffix(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
