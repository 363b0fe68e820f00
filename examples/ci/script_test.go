package ci_test

// The CI recipe, run as a user's repository runs it: a copy of run-with-mock.sh with the
// example fixtures or the user's own, the binaries on PATH.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// recipe builds the two commands and copies the script (and, when example is set, the example
// fixtures) into a directory of its own.
func recipe(t *testing.T, example bool) (dir, bin string) {
	t.Helper()
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the recipe needs %s: %v", tool, err)
		}
	}
	dir, bin = t.TempDir(), t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "github.com/mixpeekkit/mixpeekkit/cmd/mixpeek-mock", "github.com/mixpeekkit/mixpeekkit/cmd/mixpeek-conformance")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	files := []string{"run-with-mock.sh"}
	if example {
		files = append(files, "fixtures.yaml")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, bin
}

// run runs the script in dir with env (and PATH holding bin) and returns its exit code and
// what it wrote to stdout and stderr.
func run(t *testing.T, dir, bin string, env map[string]string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"run-with-mock.sh"}, args...)...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String()
}

// The client sees the environment the script sets; long tests run the suite as the default
// client, short ones a client that prints what it was given.
const printEnv = `echo "key=$MIXPEEK_API_KEY email=$MIXPEEK_USER_EMAIL peer=$MIXPEEK_PEER_API_KEY"; curl -fsS -o /dev/null -H "Authorization: Bearer $MIXPEEK_API_KEY" "$MIXPEEK_BASE_URL/v1/organizations/secrets"`

func TestRecipeWithTheExampleFixtures(t *testing.T) {
	dir, bin := recipe(t, true)
	code, out := run(t, dir, bin, nil, "bash", "-c", printEnv)
	if code != 0 || !strings.Contains(out, "key=sk_ci_admin_key_for_the_mock_only_0000000000000000 email=ci-owner@example.com peer=sk_ci_peer_admin_key") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	// An empty peer key turns the peer off.
	code, out = run(t, dir, bin, map[string]string{"MIXPEEK_PEER_API_KEY": ""}, "bash", "-c", printEnv)
	if code != 0 || !strings.Contains(out, " peer=\n") {
		t.Errorf("with MIXPEEK_PEER_API_KEY empty: exit %d:\n%s", code, out)
	}
	// The client's exit code comes through, with the mock's log.
	if code, out = run(t, dir, bin, nil, "bash", "-c", "exit 3"); code != 3 || !strings.Contains(out, "the mock's log") {
		t.Errorf("a failing client: exit %d:\n%s", code, out)
	}
	if !testing.Short() {
		if code, out = run(t, dir, bin, map[string]string{"MIXPEEK_PEER_API_KEY": ""}); code != 0 || !strings.Contains(out, "passed") {
			t.Errorf("the suite without a peer: exit %d:\n%s", code, out)
		}
	}
}

// With fixtures of the user's own, the example keys are not filled in: the suite needs the
// user's, and says so; given them (and no peer), it passes.
func TestRecipeWithYourOwnFixtures(t *testing.T) {
	dir, bin := recipe(t, false)
	own := filepath.Join(dir, "mine.yaml")
	const key = "sk_my_own_admin_key_for_the_mock_only_000000000000"
	fixture := "organizations:\n  - name: Mine\n    users:\n      - email: me@mine.test\n        api_keys:\n          - name: admin-key\n            key: " + key + "\n            permissions: [admin]\n"
	if err := os.WriteFile(own, []byte(fixture), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MIXPEEK_MOCK_FIXTURES": own}
	code, out := run(t, dir, bin, env)
	if code != 2 || !strings.Contains(out, "set MIXPEEK_API_KEY and MIXPEEK_USER_EMAIL") {
		t.Errorf("the suite without keys: exit %d:\n%s", code, out)
	}
	env["MIXPEEK_API_KEY"], env["MIXPEEK_USER_EMAIL"] = key, "me@mine.test"
	code, out = run(t, dir, bin, env, "bash", "-c", printEnv)
	if code != 0 || !strings.Contains(out, "key="+key+" email=me@mine.test peer=\n") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if !testing.Short() {
		if code, out = run(t, dir, bin, env); code != 0 || !strings.Contains(out, "passed") {
			t.Errorf("the suite with your own fixtures: exit %d:\n%s", code, out)
		}
	}
}
