package mockserver

import (
	"errors"
	"io"
	"math/rand"
	"strings"
	"sync"
	"time"
)

// SeededRand is a source of IDs and key material (Options.Rand) that gives the same bytes for
// the same seed: the same requests then get the same IDs and keys in every run. It is safe
// for concurrent use. Never for anything but tests: its keys are predictable.
func SeededRand(seed int64) io.Reader {
	return &lockedReader{r: rand.New(rand.NewSource(seed))}
}

type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

// ParseClock reads a clock setting (mixpeek-mock -clock, the fixture file's mock.clock): an
// RFC 3339 instant starts the mock's clock there, from where it runs at the real pace;
// "frozen:" and an instant keeps it standing there until moved (POST /_mock/clock,
// AdvanceClock). The result is an Options.Clock; now is the real clock (time.Now).
func ParseClock(s string, now func() time.Time) (func() time.Time, error) {
	text, frozen := strings.CutPrefix(s, "frozen:")
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return nil, errors.New("not an instant: use RFC 3339, such as 2030-01-01T00:00:00Z, or frozen:2030-01-01T00:00:00Z to keep the clock still")
	}
	t = t.UTC()
	if frozen {
		return func() time.Time { return t }, nil
	}
	start := now()
	return func() time.Time { return t.Add(now().Sub(start)) }, nil
}
