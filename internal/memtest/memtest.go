// Package memtest serves the tests that hold a budget of memory: it measures what code
// allocates (bytes allocated do not depend on how busy the machine is, as times do), and makes
// the hostile inputs they share.
package memtest

import (
	"fmt"
	"runtime"
	"strings"
)

// Allocated is how many bytes f allocates (runtime.MemStats.TotalAlloc, after a collection),
// in the whole process: a test that measures runs nothing in parallel.
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// AliasBomb is YAML that costs little to send and much to expand: after head, an anchor a0 of
// keys member names of keyLen bytes each, an anchor a1 of fan1 aliases to a0, and a list of
// fan2 aliases to a1 (so every name is reached fan1 × fan2 times). The YAML library's own
// alias check, which counts values, not bytes, lets it by.
func AliasBomb(head string, keys, keyLen, fan1, fan2 int) string {
	var b strings.Builder
	b.WriteString(head + "a0: &a0\n")
	for i := range keys {
		fmt.Fprintf(&b, "  ? k%02d%s\n  : 0\n", i, strings.Repeat("x", keyLen))
	}
	b.WriteString("a1: &a1 [" + strings.Repeat("*a0, ", fan1-1) + "*a0]\n")
	b.WriteString("a2: [" + strings.Repeat("*a1, ", fan2-1) + "*a1]\n")
	return b.String()
}
