// Package cli is what the two commands share: flags with environment mirrors, parsed so that
// no error message repeats a value (a flag's value or a stray argument may be a key), and the
// version they print.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// Mirror pairs a flag with the environment variable that sets it when the flag is absent.
type Mirror struct{ Flag, Env string }

var invalidValue = regexp.MustCompile(`^invalid (?:boolean )?value .* for (?:flag )?(-[^:\s]+)`)

// booleans are the values a boolean flag or its environment mirror accepts (strconv.ParseBool).
const booleans = "1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False"

// Parse parses args into fs, then sets every flag that was not given from its environment
// mirror. Flags must be declared with their built-in defaults, never with environment values:
// flag prints defaults in its usage, and a key must not be. Parse adds -version. With -help it
// prints usage (intro, the mirrors, the flags) to out, with -version the command's name and
// Version(); either returns flag.ErrHelp (the caller exits 0). Every other error is one line
// that names the flag or the variable, never its value. It returns which flags were set, by
// flag or environment.
func Parse(fs *flag.FlagSet, intro string, mirrors []Mirror, args []string, getenv func(string) string, out io.Writer) (map[string]bool, error) {
	fs.SetOutput(io.Discard) // flag's own report would repeat the caller's one error line
	version := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), intro+"\n\nEvery flag has an environment mirror:")
		for _, m := range mirrors {
			fmt.Fprintf(fs.Output(), "  -%s\t%s\n", m.Flag, m.Env)
		}
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(out)
			fs.Usage()
			return nil, err
		}
		return nil, parseError(fs, err)
	}
	if *version {
		fmt.Fprintln(out, fs.Name(), Version())
		return nil, flag.ErrHelp
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected positional argument (%d given): every setting is a flag, see -help", fs.NArg())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, m := range mirrors {
		if v := getenv(m.Env); v != "" && !set[m.Flag] {
			if err := fs.Set(m.Flag, v); err != nil {
				return nil, fmt.Errorf("%s (for -%s): %s", m.Env, m.Flag, notValid(fs.Lookup(m.Flag)))
			}
			set[m.Flag] = true
		}
	}
	return set, nil
}

// flagName is a flag's name as an error may repeat it: a plain word, which no value is.
var flagName = regexp.MustCompile(`^-{1,2}[A-Za-z][A-Za-z0-9-]{0,39}$`)

// parseError words an error of flag.Parse in one line that names the flag, never a value: an
// argument may be a key given to a flag misspelt ("---admin-key=sk_..."), which flag's own
// messages repeat whole.
func parseError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s: %s", m[1], notValid(fs.Lookup(strings.TrimPrefix(m[1], "-"))))
	}
	for prefix, what := range map[string]string{
		"flag provided but not defined: ": "is not a flag of this command",
		"flag needs an argument: ":        "needs a value",
		"bad flag syntax: ":               "is not a flag",
	} {
		if name, ok := strings.CutPrefix(msg, prefix); ok {
			if !flagName.MatchString(name) {
				name = "an argument"
			}
			return fmt.Errorf("%s %s (see -help)", name, what)
		}
	}
	return fmt.Errorf("%s (see -help)", sensitive.RedactKeys(msg))
}

// notValid says that a value was refused and what the flag takes, by the flag's type.
func notValid(f *flag.Flag) string {
	g, _ := f.Value.(flag.Getter)
	if g == nil {
		return "not a valid value (see -help)"
	}
	switch g.Get().(type) {
	case bool:
		return "not a boolean: use one of " + booleans
	case time.Duration:
		return "not a duration: use a number with a unit, such as 30s, 1m30s or 500ms"
	case int, int64, uint, uint64:
		return "not a whole number"
	case float64:
		return "not a number"
	}
	return "not a valid value (see -help)"
}

// Stamped is the version a release build sets with
// -ldflags "-X github.com/mixpeekkit/mixpeekkit/internal/cli.Stamped=v1.2.3"; Version prefers it.
var Stamped string

// Version is the version of the running binary: the stamped one, else the module version of
// the build (go install module@v1.2.3), else the VCS revision the binary was built from (with
// "+dirty" when the tree had changes), else "(devel)".
func Version() string {
	if Stamped != "" {
		return Stamped
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "(devel)"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += "+dirty"
	}
	return "(devel) " + rev
}
