package conformance

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/checks"
	"github.com/mixpeekkit/mixpeekkit/internal/explore"
	"github.com/mixpeekkit/mixpeekkit/internal/generate"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

// Config says what to check and how. Validate tells whether Run would accept it.
type Config struct {
	// BaseURL is the server under test, e.g. http://127.0.0.1:8080 or https://staging.example/api.
	BaseURL string
	// APIKey is a key with the admin permission, of the user UserEmail.
	APIKey    string
	UserEmail string
	// PeerAPIKey is an admin key of a different organization; it enables the isolation checks.
	PeerAPIKey string
	// HTTPClient sends the requests (a new http.Client when nil); the run never follows a
	// redirect with it: a 3xx is an answer like any other.
	HTTPClient *http.Client
	// RequestTimeout bounds each request (10 s when zero).
	RequestTimeout time.Duration
	// Sleep waits d: the expiry check waits for a key to expire (about 3 s), a replay for the
	// recording's clock moves. When nil, the suite sleeps, cut short by the run's context. A
	// test of a fake whose clock can be moved may move it instead (mockservertest: AdvanceClock).
	Sleep func(ctx context.Context, d time.Duration) error
	// Prefix starts the name of everything the run creates: 1 to 40 of A-Z a-z 0-9 _ -,
	// always followed by a random run ID ("ct" and the run ID when empty).
	Prefix string
	// Run selects the checks whose ID matches this regular expression (all when empty).
	Run string
	// Destructive enables the checks that would damage a non-conforming server: rotating or
	// deleting the admin-key.
	Destructive bool
	// OnStart, when set, is called once the suite can run, before the first check, with the
	// report as it starts: the server (its URL without credentials), the prefix of everything
	// the run creates, and the exploration's seed.
	OnStart func(*Report)
	// OnResult, when set, is called as each check (or replayed call) finishes.
	OnResult func(Result)
	// Explore, when above 0, enables the check explore/random-walk: a random walk of that many
	// operations, each answer compared with what a model of the run's secrets and keys
	// predicts; a failing walk is shrunk to its shortest failing sequence of steps.
	Explore int
	// Seed makes the exploration repeatable (a random seed when 0; the report shows it).
	Seed int64
	// Rate bounds every request of the run (checks, exploration and its shrinking, replay,
	// cleanup, retries) to this many per second (0: unbounded). Set it against a shared
	// server: the command's default is 10.
	Rate float64
}

// Validate says whether Run would accept the Config, without sending anything: the required
// fields, the URL, the prefix, a Run pattern that selects at least one check (a run of none
// would pass while checking nothing), and numbers in range. A refusal names the field:
// "conformance: Config.Rate must be ...".
func (c Config) Validate() error {
	_, _, err := c.settings()
	return err
}

var prefixRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// settings is the Config checked and completed (defaults, the run ID, the exploration's
// seed), with the checks it selects.
func (c Config) settings() (suite.Config, []suite.Check, error) {
	bad := func(field, problem string) (suite.Config, []suite.Check, error) {
		return suite.Config{}, nil, configError(field, problem)
	}
	for _, f := range []struct{ field, value string }{{"BaseURL", c.BaseURL}, {"APIKey", c.APIKey}, {"UserEmail", c.UserEmail}} {
		if f.value == "" {
			return bad(f.field, "is required")
		}
	}
	base, err := url.Parse(strings.TrimRight(c.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return bad("BaseURL", "must be an http or https URL, such as http://127.0.0.1:8080")
	}
	switch {
	case c.Prefix != "" && !prefixRE.MatchString(c.Prefix):
		return bad("Prefix", "must be 1 to 40 of A-Z a-z 0-9 _ -")
	case c.RequestTimeout < 0:
		return bad("RequestTimeout", "must be positive (or 0: 10 s)")
	case c.Explore < 0:
		return bad("Explore", "must be 0 or more")
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return bad("Rate", "must be 0 (unbounded) or a positive number")
	}
	selected, err := selectChecks(c.Run)
	if err != nil {
		return suite.Config{}, nil, err
	}
	s := suite.Config{Base: base, APIKey: c.APIKey, UserEmail: c.UserEmail, PeerAPIKey: c.PeerAPIKey,
		Client: c.HTTPClient, RequestTimeout: c.RequestTimeout, Sleep: c.Sleep, Destructive: c.Destructive,
		Explore: c.Explore, Rate: c.Rate}
	// A redirect is an answer to judge, never followed: every request the server sees is one
	// the run paced.
	client := http.Client{}
	if c.HTTPClient != nil {
		client = *c.HTTPClient
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.Client = &client
	if s.RequestTimeout == 0 {
		s.RequestTimeout = 10 * time.Second
	}
	if s.Sleep == nil {
		s.Sleep = sleep
	}
	// A run ID always follows the prefix, so a run never takes another run's names (nor an
	// older resource's) for its own.
	s.Prefix = "ct" + suite.RunID()
	if c.Prefix != "" {
		s.Prefix = c.Prefix + "-" + suite.RunID()
	}
	s.Seed = exploreSeed(c, selected)
	return s, selected, nil
}

// configError is a refusal of a Config field.
func configError(field, problem string) error {
	return fmt.Errorf("conformance: Config.%s %s", field, problem)
}

// sleep waits d, cut short by ctx.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// exploreSeed is the seed of the run's exploration: Config.Seed, or a random one when that is
// 0; 0 when the run does not explore.
func exploreSeed(c Config, selected []suite.Check) int64 {
	explores := false
	for _, ch := range selected {
		explores = explores || ch.Category == "explore"
	}
	switch {
	case c.Explore == 0 || !explores:
		return 0
	case c.Seed != 0:
		return c.Seed
	}
	var b [8]byte
	_, _ = crand.Read(b[:])
	return 1 + int64(binary.LittleEndian.Uint64(b[:])%999_999_999) // short enough to type
}

// catalog is every check, in the order a run runs them: the checks of behaviour, the
// generated ones, then the exploration (after the checks of behaviour) and the safety checks,
// which then also vouch for it (the admin-key unchanged, no secret value echoed).
var catalog = sync.OnceValue(func() []suite.Check {
	var all []suite.Check
	for _, group := range [][]suite.Check{checks.Contract, checks.Secrets, checks.APIKeys, checks.KeyState, checks.Paths,
		checks.Auth, checks.Permissions, checks.Matrix, checks.Validation, generate.Checks(), checks.Isolation,
		explore.Checks, checks.Safety, checks.Scale} {
		all = append(all, group...)
	}
	// A category's checks together, in the order the categories first come.
	first := map[string]int{}
	for i, c := range all {
		if _, ok := first[c.Category]; !ok {
			first[c.Category] = i
		}
	}
	slices.SortStableFunc(all, func(a, b suite.Check) int { return first[a.Category] - first[b.Category] })
	return all
})

// selectChecks is the checks a run with Config.Run = run runs, in their order.
func selectChecks(run string) ([]suite.Check, error) {
	if run == "" {
		return catalog(), nil
	}
	sel, err := regexp.Compile(run)
	if err != nil {
		return nil, configError("Run", "is not a regular expression: "+strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	var out []suite.Check
	for _, c := range catalog() {
		if sel.MatchString(c.ID) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, configError("Run", fmt.Sprintf("%q matches no check (conformance.Checks lists them)", run))
	}
	return out, nil
}

// redactedURL is a base URL as a report shows it: without a password.
func redactedURL(s string) string {
	if u, err := url.Parse(strings.TrimRight(s, "/")); err == nil {
		return u.Redacted()
	}
	return ""
}

// redactKeys hides the keys given, and anything shaped like a key, in text.
func redactKeys(text string, keys ...string) string {
	for _, k := range keys {
		if k != "" {
			text = strings.ReplaceAll(text, k, sensitive.Redacted)
		}
	}
	return sensitive.RedactKeys(text)
}
