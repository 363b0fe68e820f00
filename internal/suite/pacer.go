package suite

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Pacer spaces requests to at most a rate per second (none when every is 0). One pacer paces
// a whole run: every request of every engine, cleanup and retries included, goes through it.
type Pacer struct {
	mu    sync.Mutex
	every time.Duration
	next  time.Time
}

// newPacer paces at rate requests per second (0: unbounded), with 1% to spare.
func newPacer(rate float64) *Pacer {
	if rate <= 0 {
		return &Pacer{}
	}
	return &Pacer{every: time.Duration(1.01 * float64(time.Second) / rate)}
}

// Wait waits until the next request may go, or ctx ends.
func (p *Pacer) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil || p.every == 0 {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := sleep(ctx, time.Until(p.next)); err != nil {
		return err
	}
	// From the time the request goes, not the time it was due: a late wake-up does not let
	// the next request catch up, so no two requests are closer than every.
	p.next = time.Now().Add(p.every)
	return nil
}

// Burst waits until n requests may go at once (the caller sends them without Wait): a second
// after the last request, so that no second holds more than the rate, n being at most the
// rate; false when the rate is below n (unbounded: at once).
func (p *Pacer) Burst(ctx context.Context, n int) (bool, error) {
	if p.every == 0 {
		return true, ctx.Err()
	}
	if time.Duration(n)*p.every > time.Second*101/100 {
		return false, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := sleep(ctx, time.Until(p.next.Add(time.Second-p.every))); err != nil {
		return false, err
	}
	p.next = time.Now().Add(time.Second)
	return true, nil
}

// Done marks the end of a request the pace let go (its answer read, or its failure): the next
// goes no sooner than every after it. The server stamps a request between its sending and its
// answer, so two stamps are then always at least every apart, whatever the latency of each.
func (p *Pacer) Done() {
	if p.every == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if after := time.Now().Add(p.every); after.After(p.next) {
		p.next = after
	}
}

// Pace is the time the run leaves between two requests (0: unbounded): a check that races the
// server's clock leaves room for it.
func (s *Suite) Pace() time.Duration { return s.pace.every }

// sleep waits d in real time, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// The retries of a request the server asks to wait for (429, 503): at most MaxRetries, each
// after its Retry-After (whole seconds or an HTTP date), at most MaxRetryWait, or one second
// when the answer gives none; and at most RetryBudget of waiting in a whole run, after which
// an answer that asks to wait counts as it is (a server that keeps asking cannot stretch a run
// without bound).
const (
	MaxRetries   = 3
	MaxRetryWait = 10 * time.Second
	RetryBudget  = 2 * time.Minute
)

// retryAfter is how long to wait before asking again, after an answer that asks to wait; false
// for any other answer.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	wait := time.Second
	if v := resp.Header.Get("Retry-After"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			wait = time.Duration(min(n, int64(MaxRetryWait/time.Second))) * time.Second
		} else if err != nil && errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(v, "-") {
			wait = MaxRetryWait // more seconds than an int64 holds
		} else if at, err := http.ParseTime(v); err == nil {
			wait = at.Sub(now)
		}
	}
	return min(max(wait, 0), MaxRetryWait), true
}

// retries is the list of requests a run retried, for every report, and the waiting they cost.
type retries struct {
	mu    sync.Mutex
	list  []string
	spent time.Duration
}

// allow takes wait from the run's RetryBudget, or says the budget is spent.
func (r *retries) allow(wait time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spent+wait > RetryBudget {
		return false
	}
	r.spent += wait
	return true
}

func (r *retries) add(checkID, method, path string, status int, wait time.Duration, attempt int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, fmt.Sprintf("%s: %s %s answered %d; asked again after %s (retry %d of at most %d)",
		checkID, method, path, status, wait, attempt, MaxRetries))
}

// Retries lists the requests the run asked again because the server asked to wait, each with
// its check, status and wait.
func (s *Suite) Retries() []string {
	s.retried.mu.Lock()
	defer s.retried.mu.Unlock()
	return append([]string(nil), s.retried.list...)
}

// checkKey carries the ID of the check a request is sent for, for the list of retries.
type checkKey struct{}

// checkOf is the ID of the check ctx runs ("" outside one).
func checkOf(ctx context.Context) string { id, _ := ctx.Value(checkKey{}).(string); return id }
