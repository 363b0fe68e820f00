package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"text/tabwriter"
	"time"

	"github.com/mixpeekkit/mixpeekkit/conformance"
)

type options struct {
	cfg    conformance.Config
	list   bool
	format string
	out    string
}

var invalidValue = regexp.MustCompile(`^invalid (?:boolean )?value .* for (?:flag )?(-[^:\s]+)`)

// mirrors pairs each flag with its environment variable.
var mirrors = [][2]string{
	{"base-url", "MIXPEEK_BASE_URL"},
	{"api-key", "MIXPEEK_API_KEY"},
	{"user-email", "MIXPEEK_USER_EMAIL"},
	{"peer-api-key", "MIXPEEK_PEER_API_KEY"},
	{"destructive", "MIXPEEK_CONFORMANCE_DESTRUCTIVE"},
	{"run", "MIXPEEK_CONFORMANCE_RUN"},
	{"prefix", "MIXPEEK_CONFORMANCE_PREFIX"},
	{"timeout", "MIXPEEK_CONFORMANCE_TIMEOUT"},
	{"format", "MIXPEEK_CONFORMANCE_FORMAT"},
	{"out", "MIXPEEK_CONFORMANCE_OUT"},
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("mixpeek-conformance", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the one error line is printed by run; usage only for -help
	o := options{format: "text"}
	o.cfg.RequestTimeout = 10 * time.Second
	// No environment value becomes a flag default: flag prints defaults, and keys must not be.
	fs.StringVar(&o.cfg.BaseURL, "base-url", "", "server under test, e.g. http://127.0.0.1:8080")
	fs.StringVar(&o.cfg.APIKey, "api-key", "", "an admin API key")
	fs.StringVar(&o.cfg.UserEmail, "user-email", "", "the owner of -api-key")
	fs.StringVar(&o.cfg.PeerAPIKey, "peer-api-key", "", "an admin key of another organization: enables the isolation checks")
	fs.BoolVar(&o.cfg.Destructive, "destructive", false, "also rotate and delete the admin-key, which a non-conforming server would lose")
	fs.StringVar(&o.cfg.Run, "run", "", "run only the checks whose ID matches this regular expression")
	fs.StringVar(&o.cfg.Prefix, "prefix", "", "name prefix of everything the run creates (default: random per run)")
	fs.DurationVar(&o.cfg.RequestTimeout, "timeout", o.cfg.RequestTimeout, "timeout of each request")
	fs.StringVar(&o.format, "format", o.format, "report format: text, json or junit")
	fs.StringVar(&o.out, "out", "", "write the report to this file instead of stdout")
	fs.BoolVar(&o.list, "list", false, "list the checks and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: mixpeek-conformance -base-url URL -api-key KEY -user-email EMAIL [flags]\n\nChecks a server of the Mixpeek secrets and API-key endpoints against the contract.\nEvery flag has an environment mirror:")
		for _, m := range mirrors {
			fmt.Fprintf(fs.Output(), "  -%s\t%s\n", m[0], m[1])
		}
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.Usage()
			return o, err
		}
		// flag's own message repeats the bad value, which may be a key: name the flag only.
		if m := invalidValue.FindStringSubmatch(err.Error()); m != nil {
			return o, fmt.Errorf("not a valid value for %s (see -help)", m[1])
		}
		return o, fmt.Errorf("%w (see -help)", err)
	}
	if fs.NArg() > 0 {
		// Not echoed: a stray argument is often a value meant for a flag, a key included.
		return o, fmt.Errorf("unexpected positional argument (%d given): every setting is a flag, see -help", fs.NArg())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, m := range mirrors {
		if v := getenv(m[1]); v != "" && !set[m[0]] {
			if err := fs.Set(m[0], v); err != nil {
				return o, fmt.Errorf("%s: not a valid value for -%s", m[1], m[0])
			}
		}
	}
	switch {
	case o.format != "text" && o.format != "json" && o.format != "junit":
		return o, errors.New("-format must be text, json or junit")
	case o.cfg.RequestTimeout <= 0:
		return o, errors.New("-timeout must be positive")
	case !o.list && (o.cfg.BaseURL == "" || o.cfg.APIKey == "" || o.cfg.UserEmail == ""):
		return o, errors.New("-base-url, -api-key and -user-email are required (or MIXPEEK_BASE_URL, MIXPEEK_API_KEY, MIXPEEK_USER_EMAIL)")
	}
	return o, nil
}

// run is the command: it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (code int) {
	o, err := parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "mixpeek-conformance:", err)
		return 2
	}
	if o.list {
		return list(stdout)
	}
	out := stdout
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			fmt.Fprintln(stderr, "mixpeek-conformance:", err)
			return 2
		}
		defer func() {
			if err := f.Close(); err != nil {
				fmt.Fprintln(stderr, "mixpeek-conformance:", err)
				code = max(code, 2)
			}
		}()
		out = f
	}
	if o.format == "text" {
		o.cfg.OnResult = func(r conformance.Result) { fmt.Fprintln(out, conformance.ProgressLine(r)) }
	}
	rep, err := conformance.Run(ctx, o.cfg)
	if rep != nil {
		if werr := write(out, o.format, rep); werr != nil {
			fmt.Fprintln(stderr, "mixpeek-conformance:", werr)
			return 2
		}
		if o.format != "text" || o.out != "" {
			fmt.Fprintln(stderr, rep.Summary())
		}
	}
	switch {
	case err != nil:
		fmt.Fprintln(stderr, "mixpeek-conformance:", err)
		return 2
	case !rep.OK():
		return 1
	}
	return 0
}

func write(w io.Writer, format string, rep *conformance.Report) error {
	switch format {
	case "json":
		return rep.WriteJSON(w)
	case "junit":
		return rep.WriteJUnit(w)
	}
	return rep.WriteFailures(w)
}

func list(w io.Writer) int {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range conformance.Checks() {
		mark := ""
		if c.Destructive {
			mark = " [destructive]"
		}
		if c.NeedsPeer {
			mark += " [needs peer]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s%s\n", c.ID, c.Category, c.Description, mark)
	}
	if err := tw.Flush(); err != nil {
		return 2
	}
	return 0
}
