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

// ParseClock reads a clock setting: an RFC 3339 instant starts the clock there, from where it
// runs at the pace of now (the real clock, time.Now); "frozen:" and an instant is Frozen at
// that instant.
func ParseClock(s string, now func() time.Time) (func() time.Time, error) {
	text, frozen := strings.CutPrefix(s, "frozen:")
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return nil, errors.New("not an instant: use RFC 3339, such as 2030-01-01T00:00:00Z, or frozen:2030-01-01T00:00:00Z to keep the clock still")
	}
	if frozen {
		return Frozen(t), nil
	}
	t, start := t.UTC(), now()
	return func() time.Time { return t.Add(now().Sub(start)) }, nil
}
