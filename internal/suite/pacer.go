package suite

import (
	"context"
	"time"
)

// Pacer spaces requests to at most a rate per second (none when every is 0).
// Pacer spaces requests to at most a rate per second (none when every is 0).
type Pacer struct {
	every time.Duration
	next  time.Time
}

// NewPacer paces at rate requests per second (0: unbounded).
func NewPacer(rate float64) Pacer {
	if rate <= 0 {
		return Pacer{}
	}
	return Pacer{every: time.Duration(float64(time.Second) / rate)}
}

// Wait waits until the next request may go, or ctx ends.
func (p *Pacer) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil || p.every == 0 {
		return err
	}
	if d := time.Until(p.next); d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
	}
	// From the time the request goes, not the time it was due: a late wake-up does not let
	// the next request catch up, so no two requests are closer than every.
	p.next = time.Now().Add(p.every)
	return nil
}
