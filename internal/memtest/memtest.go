// Package memtest measures what code allocates, for the tests that hold a budget of memory:
// bytes allocated do not depend on how busy the machine is, as times do.
package memtest

import "runtime"

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
