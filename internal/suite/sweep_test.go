package suite

import "testing"

// The names a sweep takes are shaped like a run's: never a name that merely starts with the
// prefix.
func TestRunNames(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		yes    []string
		no     []string
	}{
		{"ci", []string{"ci-k3x9qa-secret-1", "ci-000000-gen-7xxx"}, []string{"ci-runner", "ci-prod-db", "ci-prod01", "cik3x9qa-secret-1", "ci", "ci-K3X9QA-x"}},
		{"ci-k3x9qa", []string{"ci-k3x9qa-secret-1", "ci-k3x9qa-x1-k1"}, []string{"ci-k3x9qa", "ci-k3x9qb-secret-1"}},
		{"ct", []string{"ctk3x9qa-secret-1", "ct-k3x9qa-key-2"}, []string{"ct-runner", "ctx-secret", "ctk3x9q-a"}},
		{"ctk3x9qa", []string{"ctk3x9qa-key-1"}, []string{"ctk3x9qb-key-1", "ctk3x9qa"}},
		{"a.b", []string{"a.b-k3x9qa-x"}, []string{"axb-k3x9qa-x"}},
	} {
		re := runNames(tc.prefix)
		for _, n := range tc.yes {
			if !re.MatchString(n) {
				t.Errorf("prefix %q: %q is a run's name", tc.prefix, n)
			}
		}
		for _, n := range tc.no {
			if re.MatchString(n) {
				t.Errorf("prefix %q: %q is no run's name", tc.prefix, n)
			}
		}
	}
}
