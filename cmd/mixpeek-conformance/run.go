package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"text/tabwriter"
	"time"

	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/internal/cli"
)

type options struct {
	cfg          conformance.Config
	list         bool
	format       string
	out          string
	mockClock    bool
	controlToken string
}

// mirrors pairs each flag with its environment variable.
var mirrors = []cli.Mirror{
	{Flag: "base-url", Env: "MIXPEEK_BASE_URL"},
	{Flag: "api-key", Env: "MIXPEEK_API_KEY"},
	{Flag: "user-email", Env: "MIXPEEK_USER_EMAIL"},
	{Flag: "peer-api-key", Env: "MIXPEEK_PEER_API_KEY"},
	{Flag: "destructive", Env: "MIXPEEK_CONFORMANCE_DESTRUCTIVE"},
	{Flag: "run", Env: "MIXPEEK_CONFORMANCE_RUN"},
	{Flag: "prefix", Env: "MIXPEEK_CONFORMANCE_PREFIX"},
	{Flag: "timeout", Env: "MIXPEEK_CONFORMANCE_TIMEOUT"},
	{Flag: "format", Env: "MIXPEEK_CONFORMANCE_FORMAT"},
	{Flag: "out", Env: "MIXPEEK_CONFORMANCE_OUT"},
	{Flag: "explore", Env: "MIXPEEK_CONFORMANCE_EXPLORE"},
	{Flag: "seed", Env: "MIXPEEK_CONFORMANCE_SEED"},
	{Flag: "rate", Env: "MIXPEEK_CONFORMANCE_RATE"},
	{Flag: "mock-clock", Env: "MIXPEEK_CONFORMANCE_MOCK_CLOCK"},
	{Flag: "control-token", Env: "MIXPEEK_MOCK_CONTROL_TOKEN"},
}

// defaultRate paces the exploration: 20 requests per second keeps a long walk, and the
// replays that shrink a failure, gentle on a shared staging server.
const defaultRate = 20

func parse(args []string, getenv func(string) string, stdout io.Writer) (options, error) {
	fs := flag.NewFlagSet("mixpeek-conformance", flag.ContinueOnError)
	o := options{format: "text"}
	o.cfg.RequestTimeout = 10 * time.Second
	o.cfg.Rate = defaultRate
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
	fs.IntVar(&o.cfg.Explore, "explore", 0, "after the checks of behaviour, a random walk of `N` operations checked against a model of the run's secrets and keys (0: no exploration)")
	fs.Int64Var(&o.cfg.Seed, "seed", 0, "seed of the exploration: the same seed draws the same walk (0: a random seed, shown in the report)")
	fs.Float64Var(&o.cfg.Rate, "rate", o.cfg.Rate, "requests per second of the exploration, its walk and its shrinking (0: unbounded)")
	fs.BoolVar(&o.mockClock, "mock-clock", false, "the target is this project's mock: the expiry check moves its clock (POST /_mock/clock, for every organization it holds) instead of waiting 3 s")
	fs.StringVar(&o.controlToken, "control-token", "", "the mock's control token, for -mock-clock when the mock has one")
	fs.BoolVar(&o.list, "list", false, "list the checks and exit")
	intro := "Usage: mixpeek-conformance -base-url URL -api-key KEY -user-email EMAIL [flags]\n\nChecks a server of the Mixpeek secrets and API-key endpoints against the contract."
	if _, err := cli.Parse(fs, intro, mirrors, args, getenv, stdout); err != nil {
		return o, err
	}
	switch {
	case o.format != "text" && o.format != "json" && o.format != "junit":
		return o, errors.New("-format must be text, json or junit")
	case o.cfg.RequestTimeout <= 0:
		return o, errors.New("-timeout must be positive")
	case o.cfg.Explore < 0:
		return o, errors.New("-explore must be 0 or more")
	case o.cfg.Rate < 0 || math.IsNaN(o.cfg.Rate) || math.IsInf(o.cfg.Rate, 0):
		return o, errors.New("-rate must be 0 (unbounded) or a positive number")
	case !o.list && (o.cfg.BaseURL == "" || o.cfg.APIKey == "" || o.cfg.UserEmail == ""):
		return o, errors.New("-base-url, -api-key and -user-email are required (or MIXPEEK_BASE_URL, MIXPEEK_API_KEY, MIXPEEK_USER_EMAIL)")
	case o.list && o.format == "junit":
		return o, errors.New("-list writes text or json, not junit")
	case o.controlToken != "" && !o.mockClock:
		return o, errors.New("-control-token is only used with -mock-clock")
	}
	if o.mockClock {
		o.cfg.Sleep = conformance.MockClock(o.cfg.BaseURL, o.controlToken, o.cfg.HTTPClient)
	}
	// A -run that selects nothing is refused before anything is sent.
	if _, err := conformance.Select(o.cfg.Run); err != nil {
		return o, flagError(err)
	}
	return o, nil
}

// flags are the flags of the Config fields the suite may refuse.
var flags = map[string]string{"BaseURL": "base-url", "APIKey": "api-key", "UserEmail": "user-email", "Run": "run",
	"Prefix": "prefix", "Explore": "explore", "Rate": "rate", "RequestTimeout": "timeout"}

// flagError words a refused Config field as its flag and environment variable.
func flagError(err error) error {
	var ce *conformance.ConfigError
	if !errors.As(err, &ce) || flags[ce.Field] == "" {
		return err
	}
	name := "-" + flags[ce.Field]
	for _, m := range mirrors {
		if m.Flag == flags[ce.Field] {
			name += " (or " + m.Env + ")"
		}
	}
	return fmt.Errorf("%s %s", name, ce.Problem)
}

// run is the command: it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (code int) {
	if len(args) > 0 && args[0] == "spec-diff" {
		return specDiff(args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "replay" {
		return replay(ctx, args[1:], getenv, stdout, stderr)
	}
	o, err := parse(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "mixpeek-conformance:", err)
		return 2
	}
	if o.list {
		return list(stdout, o.cfg.Run, o.format)
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
	// The header: on the report for text, on stderr beside a JSON or JUnit report.
	progress := stderr
	if o.format == "text" {
		progress = out
		o.cfg.OnResult = func(r conformance.Result) { fmt.Fprintln(out, r.String()) }
	}
	o.cfg.OnStart = func(p conformance.Plan) { fmt.Fprintln(progress, p.String()) }
	rep, err := conformance.Run(ctx, o.cfg)
	if rep == nil && err != nil && o.format != "text" {
		rep = conformance.Aborted(o.cfg, err) // a CI system reads why nothing was checked
	}
	if rep != nil {
		if werr := write(out, o.format, rep); werr != nil {
			fmt.Fprintln(stderr, "mixpeek-conformance:", werr)
			return 2
		}
		if o.format != "text" || o.out != "" {
			fmt.Fprintln(stderr, rep.Closing())
		}
	}
	switch {
	case err != nil:
		fmt.Fprintln(stderr, "mixpeek-conformance:", flagError(err))
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

// list writes the checks -run selects, as a table or as JSON.
func list(w io.Writer, run, format string) int {
	checks, err := conformance.Select(run)
	if err != nil {
		return 2 // parse refused it already
	}
	if format == "json" {
		type entry struct {
			ID          string `json:"id"`
			Category    string `json:"category"`
			Description string `json:"description"`
			Destructive bool   `json:"destructive,omitempty"`
			NeedsPeer   bool   `json:"needs_peer,omitempty"`
		}
		out := make([]entry, len(checks))
		for i, c := range checks {
			out[i] = entry{c.ID, c.Category, c.Description, c.Destructive, c.NeedsPeer}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return 2
		}
		return 0
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range checks {
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
