package mockserver

import (
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/determinism"
)

// now is the server's clock, moved by the control API, in UTC at microsecond precision (what
// the timestamps show), within what a timestamp can express (determinism.Clamp: a running
// clock that reaches the end of year 9999 stands still there).
func (s *Server) now() time.Time {
	s.clockMu.Lock()
	off := s.clockOffset
	s.clockMu.Unlock()
	return determinism.Clamp(s.clock().Add(off)).Truncate(time.Microsecond)
}

// Now is the time on the mock's clock (GET /_mock/clock): every timestamp and expiry decision
// follows it.
func (s *Server) Now() time.Time { return s.now() }

// maxClockShift bounds how far the clock may be moved from its source: a time.Duration holds
// about 292 years, and a move from one end of the range to the other (what the recordings
// mark) must fit in one.
const maxClockShift = 140 * 365 * 24 * time.Hour

// AdvanceClock moves the mock's clock forward by d. It refuses (ErrBadRequest) a negative d
// (SetClock moves it back) and a move that would take the clock more than 140 years from its
// source, or past the last instant a timestamp can show (9999-12-31T23:59:59.999999Z).
func (s *Server) AdvanceClock(d time.Duration) error {
	s.epoch.Lock()
	defer s.epoch.Unlock()
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	if d < 0 {
		return errBadRequest("the clock only moves forward by a non-negative duration; set it to go back", nil)
	}
	if d > maxClockShift || s.clockOffset > maxClockShift-d {
		return errBadRequest("the clock cannot be moved more than 140 years from its source", nil)
	}
	if s.clock().Add(s.clockOffset).After(determinism.Latest.Add(-d)) {
		return errBadRequest(determinism.OutOfRange, nil)
	}
	s.clockOffset += d
	s.clockMovedInRecordings(d)
	return nil
}

// SetClock makes the mock's clock show t now, and run on from there. t must be within 140
// years of the clock's source, and within the years 1 to 9999 (ErrBadRequest).
func (s *Server) SetClock(t time.Time) error {
	s.epoch.Lock()
	defer s.epoch.Unlock()
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	base := s.clock()
	if !determinism.Clamp(t).Equal(t) {
		return errBadRequest(determinism.OutOfRange, nil)
	}
	if t.Before(base.Add(-maxClockShift)) || t.After(base.Add(maxClockShift)) {
		return errBadRequest("the clock cannot be set more than 140 years from its source", nil)
	}
	before := s.clockOffset
	s.clockOffset = t.Sub(base)
	s.clockMovedInRecordings(s.clockOffset - before)
	return nil
}
