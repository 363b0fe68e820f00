package memtest_test

import (
	"testing"

	"github.com/mixpeekkit/mixpeekkit/internal/memtest"
)

var sink []byte

func TestAllocatedCountsWhatFAllocates(t *testing.T) {
	small := memtest.Allocated(func() { sink = make([]byte, 1<<10) })
	large := memtest.Allocated(func() { sink = make([]byte, 8<<20) })
	if large < 8<<20 || large > 9<<20 || small > 64<<10 {
		t.Errorf("1 KiB counted as %d bytes, 8 MiB as %d", small, large)
	}
}
