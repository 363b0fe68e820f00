package conformance_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
	"github.com/mixpeekkit/mixpeekkit/mockserver/mockservertest"
)

const (
	ownerEmail = "owner@org-a.test"
	peerEmail  = "owner@org-b.test"
)

var (
	ownerKey = "sk_" + strings.Repeat("A", 43)
	peerKey  = "sk_" + strings.Repeat("B", 43)
)

// newMock is the mock of every run here: two organizations, so the isolation checks run.
func newMock(t *testing.T) *mockservertest.Server {
	t.Helper()
	return mockservertest.NewServerWithOptions(t, mockserver.Options{Seed: fixtures.SeedOf(
		fixtures.Org("A", ownerEmail, ownerKey), fixtures.Org("B", peerEmail, peerKey))})
}

// long marks a test that only make test-all runs (go test without -short): the explorations
// of thousands of steps and the mutants run against the whole suite. make test keeps a
// shorter form of each where one proves the same thing.
func long(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("long: make test-all runs it")
	}
}

// steps is a walk's length: n, or a tenth of it under -short (make test).
func steps(n int) int {
	if testing.Short() {
		return n / 10
	}
	return n
}

// liveLeftovers is every secret, and every key of an owner not revoked, whose name has the
// prefix.
func liveLeftovers(t *testing.T, mock *mockservertest.Server, prefix string) []string {
	t.Helper()
	var out []string
	for _, o := range mock.Organizations() {
		names, err := mock.SecretNames(o.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if strings.HasPrefix(name, prefix) {
				out = append(out, name)
			}
		}
		keys, err := mock.APIKeys(o.ID, o.OwnerEmail)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if strings.HasPrefix(k.Name, prefix) && k.Status != "revoked" {
				out = append(out, k.Name)
			}
		}
	}
	return out
}

func config(url string) conformance.Config {
	return conformance.Config{BaseURL: url, APIKey: ownerKey, UserEmail: ownerEmail, PeerAPIKey: peerKey, Destructive: true}
}

// mockConfig is config for a mock of this process: the suite's waits move the mock's clock
// instead of sleeping.
func mockConfig(mock *mockservertest.Server) conformance.Config {
	cfg := config(mock.URL)
	cfg.Sleep = func(_ context.Context, d time.Duration) error { return mock.AdvanceClock(d) }
	return cfg
}

// The mock passes every check, through the go test entry point.
func TestMockConforms(t *testing.T) {
	cfg := mockConfig(newMock(t))
	var seen []string
	cfg.OnResult = func(r conformance.Result) { seen = append(seen, r.ID) }
	conformance.Test(t, cfg)
	if len(seen) != len(allChecks()) {
		t.Errorf("OnResult saw %d checks of %d", len(seen), len(allChecks()))
	}
}

func TestRunReportsEveryCheckAndCleansUp(t *testing.T) {
	mock := newMock(t)
	var progress []string
	cfg := mockConfig(mock)
	cfg.Explore = 300 // so every check runs, the exploration too, and its names are cleaned up
	cfg.OnResult = func(r conformance.Result) { progress = append(progress, r.ID) }
	rep, err := conformance.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Status != conformance.Pass {
			t.Errorf("%s: %s %v", r.ID, r.Status, r.Failures)
		}
	}
	if len(rep.Results) != len(allChecks()) || len(progress) != len(rep.Results) || rep.Passed != len(rep.Results) {
		t.Errorf("%d results, %d progress calls, %d passed, %d checks", len(rep.Results), len(progress), rep.Passed, len(allChecks()))
	}
	if len(rep.Leftovers) != 0 {
		t.Errorf("leftovers: %v", rep.Leftovers)
	}
	// Nothing the run created is left: no secret, no live key with the prefix.
	if left := liveLeftovers(t, mock, rep.Prefix); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	// And every key it made carries the prefix.
	for _, o := range mock.Organizations() {
		keys, _ := mock.APIKeys(o.ID, o.OwnerEmail)
		for _, k := range keys {
			if !strings.HasPrefix(k.Name, rep.Prefix) && k.Name != "admin-key" {
				t.Errorf("key %s without the prefix", k.Name)
			}
		}
	}
}

// Every promise of the behaviour reference is in the promise table of docs/mixpeek-conformance.md, and every check
// the table names exists.
func TestEveryPromiseHasACheck(t *testing.T) {
	doc, err := os.ReadFile("../docs/behavior.md")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../docs/mixpeek-conformance.md")
	if err != nil {
		t.Fatal(err)
	}
	promised := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^- \*\*(B\d\d)\*\* `).FindAllStringSubmatch(string(doc), -1) {
		promised[m[1]] = true
	}
	checks := map[string]bool{}
	for _, c := range allChecks() {
		checks[c.ID] = true
	}
	tabled := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\| (B\d\d) [^|]*\| ([^\n]*) \|$`).FindAllStringSubmatch(string(readme), -1) {
		tabled[m[1]] = true
		if !promised[m[1]] {
			t.Errorf("the promise table has %s, which the behaviour reference does not promise", m[1])
		}
		named := regexp.MustCompile("`([a-z-]+/[a-z0-9-]+)`").FindAllStringSubmatch(m[2], -1)
		for _, n := range named {
			if !checks[n[1]] {
				t.Errorf("%s: the promise table names check %s, which the suite does not have", m[1], n[1])
			}
		}
		if len(named) == 0 && !strings.Contains(m[2], "not observable") && !strings.Contains(m[2], "**open**") {
			t.Errorf("%s names no check and says neither why it is not observable nor that it is open", m[1])
		}
	}
	if len(promised) < 40 {
		t.Fatalf("the reference lists %d promises: the pattern no longer finds them", len(promised))
	}
	for id := range promised {
		if !tabled[id] {
			t.Errorf("promise %s has no row in the promise table", id)
		}
	}
}

// A check's description is what -list and every report show a user of the command: the
// contract's words, never a name of the code (a rename once wrote suite.Bearer into one).
func TestCheckDescriptionsNameNoGoIdentifier(t *testing.T) {
	goName := regexp.MustCompile(`\b[a-z]+\.[A-Z][A-Za-z]+\b`)
	for _, c := range allChecks() {
		if m := goName.FindString(c.Description); m != "" {
			t.Errorf("%s: the description names %s: %q", c.ID, m, c.Description)
		}
	}
}

// allChecks is every check, in the order a run runs them.
func allChecks() []conformance.Check {
	checks, err := conformance.Checks("")
	if err != nil {
		panic(err)
	}
	return checks
}
