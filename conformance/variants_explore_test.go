package conformance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/conformance"
)

// keyNameOf is the key name a request's path names ("" when none).
func keyNameOf(r *http.Request) string {
	_, rest, ok := strings.Cut(r.URL.Path, "/api-keys/")
	if !ok {
		return ""
	}
	return strings.TrimSuffix(rest, "/rotate")
}

// sequenceBugs are bugs that only a sequence of three or more operations shows, which no
// fixed check performs: each wrap makes a fresh broken mock (its own state).
func sequenceBugs() []struct {
	name string
	ops  int // the fewest operations that show the bug
	wrap func() func(http.Handler) http.Handler
} {
	return []struct {
		name string
		ops  int
		wrap func() func(http.Handler) http.Handler
	}{
		// create a key, rename it, delete it under its new name, authenticate with it.
		{"a renamed key keeps working once deleted", 4, func() func(http.Handler) http.Handler {
			var mu sync.Mutex
			plain := map[string]string{} // key name → its plaintext, from create and rotate answers
			renamed := map[string]bool{} // names a rename gave
			zombies := map[string]bool{} // plaintexts of renamed keys deleted since, still accepted
			return bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
				mu.Lock()
				defer mu.Unlock()
				if zombies[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] {
					// The revocation never reached the renamed key: it works as the reader it was.
					if r.Method == "GET" && isSecrets(r) {
						r.Header.Set("Authorization", "Bearer "+ownerKey)
						return pass(next, r, b)
					}
					return 403, nil, errorBody(403, "ForbiddenError")
				}
				a := forward(next, r, b)
				name, m := keyNameOf(r), a.json()
				switch {
				case a.status != 200:
				case m["key"] != nil:
					plain[m["name"].(string)] = m["key"].(string)
				case r.Method == "PATCH" && m["name"] != name:
					n, _ := m["name"].(string)
					plain[n], renamed[n] = plain[name], true
					delete(plain, name)
				case r.Method == "DELETE" && renamed[name] && plain[name] != "":
					zombies[plain[name]] = true
				}
				return a.status, a.header, a.body
			})
		}},
		// delete a secret, create it again, list (the world starts with its own secrets).
		{"a secret created again is listed twice", 3, func() func(http.Handler) http.Handler {
			var mu sync.Mutex
			deleted, twice := map[string]bool{}, map[string]bool{}
			return bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
				mu.Lock()
				defer mu.Unlock()
				a := forward(next, r, b)
				switch {
				case r.Method == "DELETE" && strings.HasPrefix(r.URL.Path, "/v1/organizations/secrets/") && a.status == 200:
					name := strings.TrimPrefix(r.URL.Path, "/v1/organizations/secrets/")
					deleted[name] = true
					delete(twice, name)
				case r.Method == "POST" && isSecrets(r) && a.status == 201:
					var req map[string]any
					_ = json.Unmarshal(b, &req)
					name, _ := req["secret_name"].(string)
					twice[name] = deleted[name]
				case r.Method == "GET" && isSecrets(r) && a.status == 200:
					m := a.json()
					names, _ := m["secrets"].([]any)
					out := []string{}
					for _, n := range names {
						s, _ := n.(string)
						out = append(out, s)
						if twice[s] {
							out = append(out, s) // the old entry of the name was never dropped
						}
					}
					sort.Strings(out)
					m["secrets"], m["count"] = out, len(out)
					return a.status, a.header, m
				}
				return a.status, a.header, a.body
			})
		}},
		// create a key, rename it, rotate it.
		{"rotate after a rename restores the old name", 3, func() func(http.Handler) http.Handler {
			var mu sync.Mutex
			before := map[string]string{} // name a rename gave → the key's name before it
			return bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
				mu.Lock()
				defer mu.Unlock()
				a := forward(next, r, b)
				name := keyNameOf(r)
				switch {
				case r.Method == "PATCH" && a.status == 200:
					if n, _ := a.json()["name"].(string); n != name {
						old, ok := before[name]
						if !ok {
							old = name
						}
						before[n] = old
						delete(before, name)
					}
				case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/rotate") && a.status == 200 && before[name] != "":
					// The rotation rebuilds the key from a stale record, under its old name.
					old := before[name]
					patch := r.Clone(r.Context())
					patch.Method, patch.URL.Path = "PATCH", strings.TrimSuffix(r.URL.Path, "/rotate")
					patch.Header.Set("Content-Type", "application/json")
					if p := forward(next, patch, []byte(fmt.Sprintf(`{"name":%q}`, old))); p.status == 200 {
						delete(before, name)
						m := a.json()
						m["name"] = old
						return a.status, a.header, m
					}
				}
				return a.status, a.header, a.body
			})
		}},
	}
}

var failedAt = regexp.MustCompile(`failed at step (\d+) of \d+, shrunk to (\d+) steps?`)

// exploreResult is the exploration's result in a report.
func exploreResult(t *testing.T, rep *conformance.Report) conformance.Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.ID == "explore/random-walk" {
			return r
		}
	}
	t.Fatalf("no explore/random-walk result in %d results", len(rep.Results))
	return conformance.Result{}
}

// Each sequence bug passes every fixed check and fails the exploration, with a fixed seed,
// within the step budget; the failure is shrunk to the few steps that show it, each a curl
// command with placeholders for keys and values.
func TestExplorationFindsSequenceBugs(t *testing.T) {
	long(t)
	const budget, seed = 3000, 7
	var mu sync.Mutex
	longest := 0
	t.Run("bugs", func(t *testing.T) {
		for _, v := range sequenceBugs() {
			t.Run(v.name, func(t *testing.T) {
				t.Parallel() // each variant wraps a mock of its own
				exploreFinds(t, v.wrap(), v.ops, budget, seed, func(walked int) {
					mu.Lock()
					defer mu.Unlock()
					longest = max(longest, walked)
				})
			})
		}
	})
	t.Logf("longest walk before a failure: %d steps", longest)
}

// exploreFinds runs the whole suite, exploration included, against the mock wrapped in a
// sequence bug, and checks that only the exploration fails, shrunk to ops..6 steps shown as
// curl commands without a key or a secret value; walkedTo receives the walk's length.
func exploreFinds(t *testing.T, wrap func(http.Handler) http.Handler, ops, budget int, seed int64, walkedTo func(int)) {
	mock := newMock(t)
	mock.Wrap(wrap)
	cfg := mockConfig(mock)
	cfg.Explore, cfg.Seed = budget, seed
	rep, err := conformance.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Status == conformance.Fail && r.ID != "explore/random-walk" {
			t.Errorf("the fixed check %s caught the bug: it is not one only exploration finds", r.ID)
		}
	}
	res := exploreResult(t, rep)
	if res.Status != conformance.Fail || len(res.Failures) != 1 {
		t.Fatalf("exploration: %s, %d failures, want one failure (%s)", res.Status, len(res.Failures), res.Note)
	}
	m := failedAt.FindStringSubmatch(res.Note)
	if m == nil {
		t.Fatalf("note %q", res.Note)
	}
	var walked, kept int
	fmt.Sscan(m[1], &walked)
	fmt.Sscan(m[2], &kept)
	walkedTo(walked)
	msg := res.Failures[0].Message
	t.Logf("seed %d: failed after %d steps, shrunk to %d\n%s", rep.Seed, walked, kept, msg)
	if kept < ops || kept > 6 {
		t.Errorf("shrunk to %d steps, want %d to 6", kept, ops)
	}
	for n := 1; n <= kept; n++ {
		if !strings.Contains(msg, fmt.Sprintf("\n  %d. ", n)) {
			t.Errorf("step %d is not shown", n)
		}
	}
	if got := strings.Count(msg, "curl -sS"); got != kept {
		t.Errorf("%d curl commands for %d steps", got, kept)
	}
	if rep.Seed != seed || !strings.Contains(res.Note, fmt.Sprintf("seed %d", seed)) {
		t.Errorf("report seed %d, note %q; want seed %d", rep.Seed, res.Note, seed)
	}
	for _, leak := range []string{ownerKey, peerKey, "ctv-"} {
		if f := res.Failures[0]; strings.Contains(f.Message, leak) || (f.Exchange != nil && strings.Contains(fmt.Sprint(*f.Exchange), leak)) {
			t.Errorf("the failure shows %q", leak)
		}
	}
	if left := liveLeftovers(t, mock, rep.Prefix); len(left) != 0 || len(rep.Leftovers) != 0 {
		t.Errorf("left behind: %v, reported %v", left, rep.Leftovers)
	}
}

// Exploration alone also finds the single-request bugs of variants_test.go that a walk of
// ordinary operations meets.
func TestExplorationAloneFindsFixedCheckBugs(t *testing.T) {
	long(t)
	found := map[string]bool{
		"create secret answers 200":             true,
		"echoed secret value":                   true,
		"duplicate overwrites":                  true,
		"rotated key still valid":               true,
		"wrong key_hash":                        true,
		"plaintext key in the list":             true,
		"a read key may write":                  true,
		"revoked keys listed by default":        true,
		"PATCH resets fields not sent":          true,
		"secret count off by one":               true,
		"deleted key keeps working":             true,
		"update of a missing secret creates it": true,
		"a read key manages keys":               true,
		"rotate keeps the old key_prefix":       true,
	}
	for _, v := range variants() {
		if !found[v.name] {
			continue
		}
		delete(found, v.name)
		t.Run(v.name, func(t *testing.T) {
			t.Parallel() // each variant wraps a mock of its own
			mock := newMock(t)
			mock.Wrap(v.wrap)
			rep, err := conformance.Run(context.Background(), exploreConfig(mock.URL, 1000, 3))
			if err != nil {
				t.Fatal(err)
			}
			res := exploreResult(t, rep)
			if res.Status != conformance.Fail {
				t.Fatalf("exploration %s (%s)", res.Status, res.Note)
			}
			m := failedAt.FindStringSubmatch(res.Note)
			if m == nil {
				t.Fatalf("note %q", res.Note)
			}
			t.Logf("%s: %s", res.Note, strings.SplitN(res.Failures[0].Message, "\n", 3)[1])
		})
	}
	for name := range found {
		t.Errorf("no variant %q in variants_test.go", name)
	}
}
