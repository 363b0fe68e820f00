// Package cli is what the two commands share: flags with environment mirrors, parsed so that
// no error message repeats a value (a flag's value or a stray argument may be a key).
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
)

// Mirror pairs a flag with the environment variable that sets it when the flag is absent.
type Mirror struct{ Flag, Env string }

var invalidValue = regexp.MustCompile(`^invalid (?:boolean )?value .* for (?:flag )?(-[^:\s]+)`)

// Parse parses args into fs, then sets every flag that was not given from its environment
// mirror. Flags must be declared with their built-in defaults, never with environment values:
// flag prints defaults in its usage, and a key must not be. With -help it prints usage (intro,
// the mirrors, the flags) to stderr and returns flag.ErrHelp; every other error is one line.
// It returns which flags were set, by flag or environment.
func Parse(fs *flag.FlagSet, intro string, mirrors []Mirror, args []string, getenv func(string) string, stderr io.Writer) (map[string]bool, error) {
	fs.SetOutput(io.Discard) // flag's own report would repeat the caller's one error line
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), intro+"\nEvery flag has an environment mirror:")
		for _, m := range mirrors {
			fmt.Fprintf(fs.Output(), "  -%s\t%s\n", m.Flag, m.Env)
		}
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.Usage()
			return nil, err
		}
		if m := invalidValue.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("not a valid value for %s (see -help)", m[1])
		}
		return nil, fmt.Errorf("%w (see -help)", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected positional argument (%d given): every setting is a flag, see -help", fs.NArg())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, m := range mirrors {
		if v := getenv(m.Env); v != "" && !set[m.Flag] {
			if err := fs.Set(m.Flag, v); err != nil {
				return nil, fmt.Errorf("%s: not a valid value for -%s", m.Env, m.Flag)
			}
			set[m.Flag] = true
		}
	}
	return set, nil
}
