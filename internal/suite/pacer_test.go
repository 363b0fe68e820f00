package suite

import (
	"net/http"
	"testing"
	"time"
)

// Retry-After is read as seconds or an HTTP date, and never makes a wait longer than
// MaxRetryWait, however large (an overflowing number included) or shorter than 0.
func TestRetryAfter(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for value, want := range map[string]time.Duration{
		"":                        time.Second,
		"0":                       0,
		"3":                       3 * time.Second,
		"3600":                    MaxRetryWait,
		"9223372037":              MaxRetryWait,
		"18446744074":             MaxRetryWait,
		"99999999999999999999999": MaxRetryWait,
		"-5":                      time.Second,
		"soon":                    time.Second,
		now.Add(4 * time.Second).Format(http.TimeFormat): 4 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):      0,
		now.Add(100 * time.Hour).Format(http.TimeFormat): MaxRetryWait,
	} {
		resp := &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{}}
		if value != "" {
			resp.Header.Set("Retry-After", value)
		}
		if got, again := retryAfter(resp, now); !again || got != want {
			t.Errorf("Retry-After %q: wait %s (%v), want %s", value, got, again, want)
		}
	}
	if _, again := retryAfter(&http.Response{StatusCode: http.StatusInternalServerError}, now); again {
		t.Error("a 500 is asked again")
	}
}

// A run waits at most RetryBudget in all for retries.
func TestRetryBudget(t *testing.T) {
	var r retries
	n := 0
	for r.allow(MaxRetryWait) {
		n++
	}
	if want := int(RetryBudget / MaxRetryWait); n != want || r.allow(time.Second) {
		t.Errorf("%d waits of %s allowed, want %d and then none", n, MaxRetryWait, want)
	}
}
