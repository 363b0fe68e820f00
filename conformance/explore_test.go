package conformance_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
	"github.com/mixpeekkit/mixpeekkit/mockserver/mockservertest"
)

// exploreConfig runs the exploration alone against url, with a fixed seed and unpaced. It
// needs no peer, so a run sends one request before it (preflight) and two after (cleanup's
// listings, when nothing is left).
func exploreConfig(url string, steps int, seed int64) conformance.Config {
	cfg := config(url)
	cfg.Run, cfg.Explore, cfg.Seed, cfg.PeerAPIKey = "^explore/", steps, seed, ""
	return cfg
}

// A walk of a few thousand steps against the mock meets no answer the model refuses; the
// subtest's log shows the seed and the pace (steps per second).
func TestExploreMockConforms(t *testing.T) {
	t.Parallel() // a mock of its own
	n := steps(3000)
	cfg := exploreConfig(newMock(t).URL, n, 1)
	var res conformance.Result
	cfg.OnResult = func(r conformance.Result) { res = r }
	conformance.Test(t, cfg)
	if res.Status != conformance.Pass || !strings.HasPrefix(res.Note, fmt.Sprintf("seed 1: %d steps in ", n)) {
		t.Errorf("exploration %s, note %q", res.Status, res.Note)
	}
}

// log records every request a wrapped mock receives, as "METHOD path?query", with the run's
// prefix replaced by P once it is known.
type log struct {
	mu   sync.Mutex
	reqs []string
	at   []time.Time
}

func (l *log) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.reqs = append(l.reqs, r.Method+" "+r.URL.RequestURI())
		l.at = append(l.at, time.Now())
		l.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (l *log) requests(prefix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.reqs {
		out = append(out, strings.ReplaceAll(r, prefix, "P"))
	}
	return out
}

// The same seed draws the same walk: the same requests in the same order (names aside,
// which carry each run's own ID). Seed 0 draws a random seed, shown in the report.
func TestExploreSameSeedSameWalk(t *testing.T) {
	t.Parallel() // a mock of its own
	walk := func(seed int64) (*conformance.Report, []string) {
		mock, l := newMock(t), &log{}
		mock.Wrap(l.wrap)
		rep, err := conformance.Run(context.Background(), exploreConfig(mock.URL, 300, seed))
		if err != nil {
			t.Fatal(err)
		}
		if r := rep.Results[0]; r.Status != conformance.Pass {
			t.Fatalf("exploration %s: %v", r.Status, r.Failures)
		}
		return rep, l.requests(rep.Prefix)
	}
	rep1, first := walk(42)
	rep2, second := walk(42)
	if rep1.Seed != 42 || rep2.Seed != 42 {
		t.Errorf("seeds %d and %d, want 42", rep1.Seed, rep2.Seed)
	}
	if len(first) < 300 || !slices.Equal(first, second) {
		t.Errorf("seed 42 drew different walks (%d and %d requests)", len(first), len(second))
	}
	_, other := walk(43)
	if slices.Equal(first, other) {
		t.Error("seeds 42 and 43 drew the same walk")
	}
	rep, _ := walk(0)
	if rep.Seed == 0 || !strings.Contains(rep.Results[0].Note, "seed ") {
		t.Errorf("seed 0: report seed %d, note %q; want the random seed used", rep.Seed, rep.Results[0].Note)
	}
}

// sendTimes records when the client sends each request: what a rate bounds (arrival times
// at the server add the machine's scheduling noise).
type sendTimes struct {
	mu sync.Mutex
	at []time.Time
}

func (s *sendTimes) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.at = append(s.at, time.Now())
	s.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// Rate bounds the exploration's requests per second.
func TestExploreRateBoundsRequests(t *testing.T) {
	mock, l := newMock(t), &sendTimes{}
	cfg := exploreConfig(mock.URL, 15, 1)
	cfg.HTTPClient = &http.Client{Transport: l}
	cfg.Rate = 40
	rep, err := conformance.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Results[0].Status != conformance.Pass {
		t.Fatalf("exploration: %v", rep.Results[0].Failures)
	}
	// Preflight comes first and cleanup's two listings last; the rest is the exploration's.
	l.mu.Lock()
	at := l.at[1 : len(l.at)-2]
	l.mu.Unlock()
	if len(at) < 15 {
		t.Fatalf("%d requests", len(at))
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < 24*time.Millisecond { // 40/s is 25 ms: the pacer spaces sends from when each went (1 ms for the steps between pacer and transport)
			t.Errorf("requests %d and %d are %s apart at Rate 40", i-1, i, gap)
		}
	}
}

// Without Explore the check is skipped and the walk sends nothing; bad settings are refused.
func TestExploreSkippedAndRefused(t *testing.T) {
	mock, l := newMock(t), &log{}
	mock.Wrap(l.wrap)
	cfg := exploreConfig(mock.URL, 0, 0)
	rep, err := conformance.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Results[0]; r.Status != conformance.Skip || !strings.Contains(r.SkipReason, "Config.Explore") || rep.Seed != 0 {
		t.Errorf("%s (%s), seed %d; want skipped, no seed", r.Status, r.SkipReason, rep.Seed)
	}
	if n := len(l.requests(rep.Prefix)); n != 3 { // preflight and cleanup's two listings
		t.Errorf("%d requests without exploration, want 3", n)
	}
	for _, bad := range []conformance.Config{{Explore: -1}, {Rate: -0.5}} {
		cfg := config(mock.URL)
		cfg.Explore, cfg.Rate = bad.Explore, bad.Rate
		if _, err := conformance.Run(context.Background(), cfg); err == nil {
			t.Errorf("Explore %d, Rate %v: no error", bad.Explore, bad.Rate)
		}
	}
}

// The walk names only what carries the run's prefix, never the admin-key, and leaves
// nothing behind.
func TestExploreStaysInItsNames(t *testing.T) {
	t.Parallel() // a mock of its own
	mock, l := newMock(t), &log{}
	mock.Wrap(l.wrap)
	rep, err := conformance.Run(context.Background(), exploreConfig(mock.URL, steps(1000), 5))
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile(`/(secrets|api-keys)/([^/?]+)`)
	for _, r := range l.requests(rep.Prefix) {
		if strings.Contains(r, "admin-key") {
			t.Errorf("the walk touched the admin-key: %s", r)
		}
		if m := named.FindStringSubmatch(r); m != nil && !strings.HasPrefix(m[2], "P-") {
			t.Errorf("a name without the run's prefix: %s", r)
		}
	}
	if left := liveLeftovers(t, mock, rep.Prefix); len(left) > 0 || len(rep.Leftovers) > 0 {
		t.Errorf("left behind: %v (reported: %v)", left, rep.Leftovers)
	}
}

// A failure that does not happen again when replayed is reported unshrunk, as such.
func TestExploreFlakyFailureNotShrunk(t *testing.T) {
	t.Parallel() // a mock of its own
	var mu sync.Mutex
	lists := 0
	mock := newMock(t)
	mock.Wrap(bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
		a := forward(next, r, b)
		mu.Lock()
		defer mu.Unlock()
		if r.Method == "GET" && isSecrets(r) && a.status == 200 {
			if lists++; lists == 8 { // once only
				m := a.json()
				m["count"] = m["count"].(float64) + 1
				return a.status, a.header, m
			}
		}
		return a.status, a.header, a.body
	}))
	rep, err := conformance.Run(context.Background(), exploreConfig(mock.URL, 1000, 2))
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if r.Status != conformance.Fail || !strings.Contains(r.Note, "not again in a replay") ||
		!strings.Contains(r.Failures[0].Message, "did not fail again when replayed") {
		t.Fatalf("%s, note %q: %v", r.Status, r.Note, r.Failures)
	}
	if r.Failures[0].Exchange == nil || r.Failures[0].Exchange.Status != 200 {
		t.Errorf("no exchange of the failing list: %+v", r.Failures[0].Exchange)
	}
}

// A cancelled walk stops at once, reports nothing as failed, and the run cleans up.
func TestExploreCancelledCleansUp(t *testing.T) {
	t.Parallel() // a mock of its own
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	n := 0
	mock := newMock(t)
	mock.Wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			mu.Lock()
			defer mu.Unlock()
			if n++; n == 200 {
				cancel()
			}
		})
	})
	rep, err := conformance.Run(ctx, exploreConfig(mock.URL, 100000, 9))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want the cancellation", err)
	}
	for _, r := range rep.Results {
		if r.Status == conformance.Fail {
			t.Errorf("%s failed after the cancellation: %v", r.ID, r.Failures)
		}
	}
	if left := liveLeftovers(t, mock, rep.Prefix); len(left) > 0 || len(rep.Leftovers) > 0 {
		t.Errorf("left behind: %v (reported: %v)", left, rep.Leftovers)
	}
}

// BenchmarkExploreStep measures the walk against the local mock, in steps per second.
func BenchmarkExploreStep(b *testing.B) {
	mock := mockservertest.NewServerWithOptions(b, mockserver.Options{Seed: fixtures.SeedOf(
		fixtures.Org("A", ownerEmail, ownerKey), fixtures.Org("B", peerEmail, peerKey))})
	cfg := exploreConfig(mock.URL, b.N, 1)
	b.ResetTimer()
	rep, err := conformance.Run(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	r := rep.Results[0]
	if r.Status != conformance.Pass {
		b.Fatalf("exploration %s: %v", r.Status, r.Failures)
	}
	b.ReportMetric(float64(b.N)/r.Duration.Seconds(), "steps/s")
}

// A run cancelled while a failing walk is being shrunk reports no verdict on the exploration
// (neither a pass nor an unfinished failure), and cleans up.
func TestExploreCancelledWhileShrinking(t *testing.T) {
	long(t)      // the walk finds the bug after hundreds of steps
	t.Parallel() // a mock of its own
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mock := newMock(t)
	broken := sequenceBugs()[2].wrap() // rotate after a rename restores the old name
	mock.Wrap(func(next http.Handler) http.Handler {
		h := broken(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "-x3-") { // the second replay
				cancel()
			}
			h.ServeHTTP(w, r)
		})
	})
	rep, err := conformance.Run(ctx, exploreConfig(mock.URL, 3000, 7))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want the cancellation", err)
	}
	for _, r := range rep.Results {
		t.Errorf("%s reported %s after the cancellation: %s", r.ID, r.Status, r.Note)
	}
	if left := liveLeftovers(t, mock, rep.Prefix); len(left) > 0 || len(rep.Leftovers) > 0 {
		t.Errorf("left behind: %v (reported: %v)", left, rep.Leftovers)
	}
}

// A secret value echoed to the exploration fails it, and the safety check that runs after it
// reports the echo too.
func TestExploreEchoReachesSafetyCheck(t *testing.T) {
	t.Parallel() // a mock of its own
	mock := newMock(t)
	mock.Wrap(bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
		a := forward(next, r, b)
		if r.Method == "PUT" && a.status == 200 && strings.Contains(r.URL.Path, "-x") {
			var req map[string]any
			_ = json.Unmarshal(b, &req)
			m := a.json()
			m["value"] = req["secret_value"] // an echo only on the exploration's updates
			return a.status, a.header, m
		}
		return a.status, a.header, a.body
	}))
	cfg := exploreConfig(mock.URL, 1000, 4)
	cfg.Run = "^(explore/|safety/no-secret-value-echoed$)"
	rep, err := conformance.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 || rep.Failed != 2 {
		t.Fatalf("%d results, %d failed; want both to fail: %+v", len(rep.Results), rep.Failed, rep.Results)
	}
	if msg := rep.Results[1].Failures[0].Message; !strings.Contains(msg, "explore/random-walk: PUT ") {
		t.Errorf("the safety check does not name the exploration's echo: %s", msg)
	}
}
