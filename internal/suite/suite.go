// Package suite is the runtime the conformance engines share (package conformance is its
// public face): one run against a server, each check on its way (T), the one place a request
// is sent and its answer checked against openapi.yaml, what a report may show (redaction), and
// what the run created (tracked before it is sent, cleaned up at the end). The engines are
// internal/checks (the fixed checks), internal/generate (checks made from openapi.yaml's
// schemas), internal/explore (the model-based walk) and internal/replay (a consumer's
// recording).
package suite

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/randtext"

	"github.com/mixpeekkit/mixpeekkit/internal/contract"
)

// Config is a run's settings, checked and completed by package conformance: every field is
// set (Client, RequestTimeout, Sleep), and Prefix is the whole prefix of the run's names.
type Config struct {
	Base                          *url.URL
	APIKey, UserEmail, PeerAPIKey string
	Client                        *http.Client
	RequestTimeout                time.Duration
	Sleep                         func(ctx context.Context, d time.Duration) error
	Prefix                        string
	Destructive                   bool
	Explore                       int     // the exploration's steps (0: none)
	Seed                          int64   // the exploration's seed (0 when the run does not explore)
	Rate                          float64 // requests per second of the whole run (0: unbounded)
	// Sweeping: the run only lists and removes what carries a prefix, so preflight sends no
	// write (it does not probe the peer key with a create).
	Sweeping bool
}

// Suite is one run: its settings and the state each concern keeps.
type Suite struct {
	Config
	Contract *contract.Contract

	Known     KnownSecrets // what a report must never show (redact.go)
	echoes    echoLog      // answers that contained a secret value the run sent (sender.go)
	resources resources    // what the run created, for cleanup (resources.go)
	cleaned   sync.Once
	pace      *Pacer  // every request of the run (pacer.go)
	retried   retries // the requests asked again (pacer.go)
}

// Start makes sure the server answers and the credentials work (preflight.go), and returns
// the run.
func Start(ctx context.Context, cfg Config) (*Suite, error) {
	c, err := contract.OpenAPI()
	if err != nil {
		return nil, err
	}
	s := &Suite{Config: cfg, Contract: c, pace: newPacer(cfg.Rate)}
	s.Known.Add(cfg.APIKey, cfg.PeerAPIKey)
	if err := s.preflight(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// RunChecks is the order of a run: the safe checks, then cleanup, then the destructive
// checks, which could cost the admin-key that cleanup needs. each runs one check; no check
// starts once ctx is done, but cleanup always runs. leftovers receives what cleanup could not
// remove: after the safe checks, and again after the destructive ones when they made names.
func (s *Suite) RunChecks(ctx context.Context, checks []Check, each func(Check), leftovers func([]string)) {
	var safe, destructive []Check
	for _, c := range checks {
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
	named := s.namesMade()
	runAll(destructive)
	if s.namesMade() != named {
		// The destructive checks remove what they create; a server that does not let them
		// (or lost the admin-key) leaves it, and cleanup says so a second time.
		leftovers(s.Cleanup())
	}
}

// CleanupOnce runs cleanup and hands leftovers what it could not remove, the first time it is
// called; later calls do nothing.
func (s *Suite) CleanupOnce(leftovers func([]string)) {
	s.cleaned.Do(func() { leftovers(s.Cleanup()) })
}

// RunID is the random part of a run's prefix: RunIDLength lowercase letters and digits.
func RunID() string { return RandomSuffix(RunIDLength) }

// RunIDLength is the length of a run ID.
const RunIDLength = 6

// RandomSuffix is n lowercase letters and digits from crypto/rand, each equally likely: the
// run IDs, the names and the secret values of every engine.
func RandomSuffix(n int) string {
	s, err := randtext.Draw(rand.Reader, "abcdefghijklmnopqrstuvwxyz0123456789", n)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return s
}
