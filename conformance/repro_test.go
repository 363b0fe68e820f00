package conformance_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/conformance"
)

// A failure's curl reproduces when pasted into a shell, although cleanup removed what the
// check set up: the requests that set it up come first, the key one of them creates kept in a
// variable. (The curl here is testdata/curl, so the test needs no curl installed.)
func TestAFailureReproducesWhenPasted(t *testing.T) {
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "curl"), "./testdata/curl")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the test's curl: %v\n%s", err, out)
	}
	mock := newMock(t)
	mock.Wrap(variantWrap(t, "rotated key still valid"))
	cfg := mockConfig(mock)
	cfg.Run = "^auth/rotated-key-401$"
	report, _ := conformance.Run(context.Background(), cfg)
	if report.Failed != 1 || len(report.Results[0].Failures) == 0 {
		t.Fatalf("the check did not fail: %s", report.Summary())
	}
	var script string
	for _, f := range report.Results[0].Failures {
		if f.Exchange != nil && strings.Contains(f.Exchange.Curl, "KEY_2=$(") {
			script = f.Exchange.Curl
		}
	}
	if !strings.HasPrefix(script, "# set up by the check") || !strings.HasSuffix(script, `-H "Authorization: Bearer $KEY_1"`) {
		t.Fatalf("the failure of the rotated key is not shown with its set-up (create, rotate):\n%s", script)
	}
	sh := exec.Command("sh", "-c", script)
	sh.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"MIXPEEK_API_KEY="+ownerKey, "SECRET_VALUE=pasted")
	out, err := sh.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"count"`) || strings.Contains(string(out), "UnauthorizedError") {
		t.Errorf("the pasted script did not reproduce the answer (a rotated-away key listing secrets): %v\n%s\n--- script:\n%s", err, out, script)
	}
}
