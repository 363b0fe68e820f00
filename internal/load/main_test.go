package main

import (
	"fmt"
	"testing"
)

// Every request of the mix maps to its own route for the ceiling, and names are unique per
// worker and iteration, so the mix never collides with itself on the stateful mock.
func TestStepsAndShapes(t *testing.T) {
	mix := steps("mix", 3, 7)
	want := []string{"GET secrets", "POST secrets", "PUT secrets/{name}", "DELETE secrets/{name}",
		"GET api-keys", "POST api-keys", "POST api-keys/{name}/rotate", "DELETE api-keys/{name}"}
	if len(mix) != len(want) {
		t.Fatalf("%d steps, want %d", len(mix), len(want))
	}
	seen := map[string]bool{}
	for i, s := range mix {
		if got := shape(s.method, s.path); got != want[i] {
			t.Errorf("step %d (%s %s): shape %q, want %q", i, s.method, s.path, got, want[i])
		}
		seen[shape(s.method, s.path)] = true
	}
	if len(seen) != len(want) {
		t.Errorf("%d distinct routes for %d steps", len(seen), len(want))
	}
	if a, b := fmt.Sprint(steps("mix", 1, 2)), fmt.Sprint(steps("mix", 2, 1)); a == b {
		t.Error("two workers' iterations use the same names")
	}
	if l := steps("list-secrets", 0, 0); len(l) != 1 || shape(l[0].method, l[0].path) != "GET secrets" {
		t.Errorf("list-secrets: %v", l)
	}
}
