package mixpeekkit_test

import (
	"os"
	"regexp"
	"slices"
	"testing"

	yaml "github.com/oasdiff/yaml3"
)

// action.yml and its script agree: every input the steps use is declared (and every declared
// one used), the variables the step sets are those the script reads, and the script exists.
func TestActionAndItsScriptAgree(t *testing.T) {
	data, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]struct {
			Description string `yaml:"description"`
		} `yaml:"inputs"`
		Outputs map[string]struct {
			Value string `yaml:"value"`
		} `yaml:"outputs"`
		Runs struct {
			Using string `yaml:"using"`
			Steps []struct {
				ID  string            `yaml:"id"`
				Run string            `yaml:"run"`
				Env map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	if action.Runs.Using != "composite" {
		t.Errorf("runs.using = %q", action.Runs.Using)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`inputs\.([a-z-]+)`).FindAllStringSubmatch(string(data), -1) {
		used[m[1]] = true
	}
	for name, in := range action.Inputs {
		if !used[name] || in.Description == "" {
			t.Errorf("input %s: used %v, description %q", name, used[name], in.Description)
		}
	}
	for name := range used {
		if _, ok := action.Inputs[name]; !ok {
			t.Errorf("the steps use inputs.%s, which is not declared", name)
		}
	}
	script, err := os.ReadFile("action/start-mock.sh")
	if err != nil {
		t.Fatal(err)
	}
	read := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{?(MIXPEEK_[A-Z_]+)`).FindAllStringSubmatch(string(script), -1) {
		read[m[1]] = true
	}
	var start []string
	for _, s := range action.Runs.Steps {
		if s.ID == "start" {
			if !regexp.MustCompile(`action/start-mock\.sh`).MatchString(s.Run) {
				t.Errorf("the start step runs %q", s.Run)
			}
			for k := range s.Env {
				start = append(start, k)
				if !read[k] {
					t.Errorf("the step sets %s, which the script does not read", k)
				}
			}
		}
	}
	for _, k := range []string{"MIXPEEK_MOCK_FIXTURES", "MIXPEEK_ACTION_API_KEY", "MIXPEEK_ACTION_PORT", "MIXPEEK_ACTION_ARGS"} {
		if !slices.Contains(start, k) {
			t.Errorf("the start step does not set %s", k)
		}
	}
	outputs := regexp.MustCompile(`echo "([a-z-]+)=`).FindAllStringSubmatch(string(script), -1)
	var written []string
	for _, m := range outputs {
		written = append(written, m[1])
	}
	for name, o := range action.Outputs {
		if !slices.Contains(written, name) || o.Value != "${{ steps.start.outputs."+name+" }}" {
			t.Errorf("output %s: the script writes %v; value %q", name, written, o.Value)
		}
	}
}
