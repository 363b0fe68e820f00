package cli

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func newSet() *flag.FlagSet {
	fs := flag.NewFlagSet("tool", flag.ContinueOnError)
	fs.Bool("strict", false, "be strict")
	fs.Duration("timeout", time.Second, "how long")
	fs.Int("size", 1, "how many")
	fs.Float64("rate", 1, "how fast")
	fs.String("name", "", "a name")
	return fs
}

var mirrors = []Mirror{{"strict", "TOOL_STRICT"}, {"timeout", "TOOL_TIMEOUT"}, {"size", "TOOL_SIZE"}, {"rate", "TOOL_RATE"}}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestHelpAndVersionGoToOut(t *testing.T) {
	for _, arg := range []string{"-help", "-version"} {
		var out bytes.Buffer
		_, err := Parse(newSet(), "Usage: tool", mirrors, []string{arg}, env(nil), &out)
		if !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("%s: err = %v, want flag.ErrHelp", arg, err)
		}
		want := "Usage: tool"
		if arg == "-version" {
			want = "tool " + Version() + "\n"
		}
		if !strings.HasPrefix(out.String(), want) {
			t.Errorf("%s printed %q, want it to start with %q", arg, out.String(), want)
		}
	}
}

func TestBadValuesSayWhatTheFlagTakes(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-strict=maybe"}, nil, "-strict: not a boolean: use one of 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False"},
		{nil, map[string]string{"TOOL_STRICT": "yes"}, "TOOL_STRICT (for -strict): not a boolean: use one of 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False"},
		{[]string{"-timeout", "5"}, nil, "-timeout: not a duration: use a number with a unit, such as 30s, 1m30s or 500ms"},
		{nil, map[string]string{"TOOL_TIMEOUT": "soon"}, "TOOL_TIMEOUT (for -timeout): not a duration: use a number with a unit, such as 30s, 1m30s or 500ms"},
		{[]string{"-size", "1.5"}, nil, "-size: not a whole number"},
		{nil, map[string]string{"TOOL_RATE": "fast"}, "TOOL_RATE (for -rate): not a number"},
	}
	for _, tt := range tests {
		_, err := Parse(newSet(), "Usage: tool", mirrors, tt.args, env(tt.env), &bytes.Buffer{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q, %v) = %v, want %q", tt.args, tt.env, err, tt.want)
		}
	}
}

func TestValueNeverRepeated(t *testing.T) {
	const secret = "sk_secret_value_that_must_not_echo"
	for _, args := range [][]string{{"-size", secret}, {"-strict=" + secret}, {secret}, {"-name", "x", secret},
		{"---name=" + secret}, {"-" + secret}, {"--" + secret + "=x"}, {"-=" + secret}} {
		_, err := Parse(newSet(), "Usage: tool", mirrors, args, env(nil), &bytes.Buffer{})
		if err == nil {
			t.Fatalf("Parse(%q) accepted it", args)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Parse(%q) error repeats the value: %v", args, err)
		}
	}
}

func TestVersionPrefersStamp(t *testing.T) {
	old := Stamped
	t.Cleanup(func() { Stamped = old })
	Stamped = "v9.8.7"
	if got := Version(); got != "v9.8.7" {
		t.Errorf("Version() = %q with Stamped set, want v9.8.7", got)
	}
	Stamped = ""
	if got := Version(); got == "" || got == "v9.8.7" {
		t.Errorf("Version() = %q without a stamp", got)
	}
}

// A flag error names the flag when it is a plain word, and says what is wrong.
func TestFlagErrorsNameTheFlag(t *testing.T) {
	for args, want := range map[string]string{
		"-nosuch":        "-nosuch is not a flag of this command (see -help)",
		"-name":          "-name needs a value (see -help)",
		"---name=x":      "an argument is not a flag (see -help)",
		"-sk_live_x=abc": "an argument is not a flag of this command (see -help)",
	} {
		_, err := Parse(newSet(), "Usage: tool", mirrors, []string{args}, env(nil), &bytes.Buffer{})
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q) = %v, want %q", args, err, want)
		}
	}
}
