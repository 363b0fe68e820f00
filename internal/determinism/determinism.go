// Package determinism is the one home of what makes a mock repeatable: a seeded source of
// IDs and key material, and the clock settings (a clock that runs from a given instant, or
// one that stands still until moved). mixpeek-mock's -seed and -clock, a fixture file's
// mock settings and mockservertest.Deterministic all come here.
package determinism

import (
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Rand is a source of bytes that gives the same bytes for the same seed (ChaCha8 from
// math/rand/v2, seeded with seed): the same requests then get the same IDs and keys in every
// run. It is safe for concurrent use. Never for anything but tests: its keys are predictable.
func Rand(seed int64) io.Reader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], uint64(seed))
	return &lockedReader{r: rand.NewChaCha8(s)}
}

type lockedReader struct {
	mu sync.Mutex
	r  *rand.ChaCha8
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

// Frozen is a clock that shows t (in UTC) until the mock moves it.
func Frozen(t time.Time) func() time.Time {
	t = t.UTC()
	return func() time.Time { return t }
}

// Earliest and Latest bound what a mock's clock shows: the instants an RFC 3339 timestamp
// (and the upstream's Python datetime) can express, years 1 to 9999. A running clock that
// reaches Latest stands still there; a setting or a move beyond either is refused.
var (
	Earliest = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	Latest   = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// Clamp is t (in UTC) kept within Earliest and Latest.
func Clamp(t time.Time) time.Time {
	t = t.UTC()
	switch {
	case t.Before(Earliest):
		return Earliest
	case t.After(Latest):
		return Latest
	}
	return t
}

// OutOfRange words why an instant outside Earliest and Latest is refused.
const OutOfRange = "the clock shows instants from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z only (what a timestamp can express)"

// ParseClock reads a clock setting: an RFC 3339 instant starts the clock there, from where it
// runs at the pace of now (the real clock, time.Now); "frozen:" and an instant is Frozen at
// that instant.
func ParseClock(s string, now func() time.Time) (func() time.Time, error) {
	text, frozen := strings.CutPrefix(s, "frozen:")
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return nil, errors.New("not an instant: use RFC 3339, such as 2030-01-01T00:00:00Z, or frozen:2030-01-01T00:00:00Z to keep the clock still")
	}
	if !Clamp(t).Equal(t) {
		return nil, errors.New(OutOfRange)
	}
	if frozen {
		return Frozen(t), nil
	}
	t, start := t.UTC(), now()
	return func() time.Time { return t.Add(now().Sub(start)) }, nil
}
