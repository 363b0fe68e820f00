package determinism_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/determinism"
)

func TestRand(t *testing.T) {
	read := func(seed int64) []byte {
		b := make([]byte, 64)
		if _, err := io.ReadFull(determinism.Rand(seed), b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(read(7), read(7)) || bytes.Equal(read(7), read(8)) {
		t.Error("Rand: the same seed must give the same bytes, another seed others")
	}
}

func TestParseClock(t *testing.T) {
	real := time.Date(2026, 5, 5, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return real }
	frozen, err := determinism.ParseClock("frozen:2030-01-01T00:00:00+02:00", now)
	if err != nil {
		t.Fatal(err)
	}
	running, err := determinism.ParseClock("2030-01-01T00:00:00Z", now)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := frozen(); !got.Equal(want.Add(-2*time.Hour)) || got.Location() != time.UTC {
		t.Errorf("frozen clock: %v", got)
	}
	if got := running(); !got.Equal(want) {
		t.Errorf("running clock at start: %v", got)
	}
	real = real.Add(90 * time.Second)
	if got := running(); !got.Equal(want.Add(90 * time.Second)) {
		t.Errorf("running clock after 90 s: %v", got)
	}
	if got := frozen(); !got.Equal(want.Add(-2 * time.Hour)) {
		t.Errorf("the frozen clock moved: %v", got)
	}
	for _, bad := range []string{"", "tomorrow", "frozen:", "frozen:2030-01-01"} {
		if _, err := determinism.ParseClock(bad, now); err == nil || !strings.Contains(err.Error(), "RFC 3339") {
			t.Errorf("ParseClock(%q): %v", bad, err)
		}
	}
}
