package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/mixpeekkit/mixpeekkit/conformance"
)

// run is the command: it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "spec-diff":
			return specDiff(ctx, args[1:], getenv, stdout, stderr)
		case "replay":
			return replay(ctx, args[1:], getenv, stdout, stderr)
		case "sweep":
			return sweep(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	return check(ctx, args, getenv, stdout, stderr)
}

// commands are the command's subcommands, one line each, as -help shows them first.
const commands = `Commands:
  (none)      check a server against the contract, check by check (the flags below)
  replay      run the calls a consumer's recording holds against a server
  sweep       remove what earlier runs left under their prefix
  spec-diff   compare openapi.yaml with the upstream OpenAPI document`

// options are the settings of a run of the checks.
type options struct {
	common
	list bool
}

// runFlags declares the flags of a run of the checks, into o.
func runFlags(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("mixpeek-conformance", flag.ContinueOnError)
	o.declare(fs, "text, json or junit")
	fs.StringVar(&o.cfg.PeerAPIKey, "peer-api-key", "", "an admin key of another organization: enables the isolation checks")
	fs.StringVar(&o.cfg.Run, "run", "", "run only the checks whose ID matches this regular expression")
	fs.IntVar(&o.cfg.Explore, "explore", 0, "after the checks of behaviour, a random walk of `N` operations checked against a model of the run's secrets and keys (0: no exploration)")
	fs.Int64Var(&o.cfg.Seed, "seed", 0, "seed of the exploration: the same seed draws the same walk (0: a random seed, shown in the report)")
	fs.BoolVar(&o.list, "list", false, "list the checks and exit")
	return fs
}

func parse(args []string, getenv func(string) string, stdout io.Writer) (options, error) {
	var o options
	fs := runFlags(&o)
	intro := "Usage: mixpeek-conformance [command] [flags]\n\n" + commands + "\n\nWith no command, checks a server (-base-url URL -api-key KEY -user-email EMAIL) against\nthe contract. Each command has its own -help."
	if err := o.parse(fs, intro, args, getenv, stdout, "text", "json", "junit"); err != nil {
		return o, err
	}
	if o.list {
		if o.format == "junit" {
			return o, errors.New("-list writes text or json, not junit")
		}
		_, err := conformance.Checks(o.cfg.Run)
		return o, usage(err)
	}
	// Every refusal of the library comes before anything is sent.
	if err := o.cfg.Validate(); err != nil {
		return o, usage(err)
	}
	return o, nil
}

// check runs the checks: 0 when every check passes, 1 when any fails (or cleanup left
// something), 2 on usage or connection errors.
func check(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (code int) {
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
	out, done, err := o.output(stdout)
	if err != nil {
		fmt.Fprintln(stderr, "mixpeek-conformance:", err)
		return 2
	}
	defer func() {
		if err := done(); err != nil {
			fmt.Fprintln(stderr, "mixpeek-conformance:", err)
			code = max(code, 2)
		}
	}()
	// The header: on the report for text, on stderr beside a JSON or JUnit report.
	progress := stderr
	if o.format == "text" {
		progress = out
		o.cfg.OnResult = func(r conformance.Result) { fmt.Fprintln(out, wordResult(r).String()) }
	}
	selected, _ := conformance.Checks(o.cfg.Run) // parse accepted it
	o.cfg.OnStart = func(r *conformance.Report) {
		fmt.Fprintf(progress, "checking %s: %s, prefix %s\n", r.BaseURL, plural(len(selected), "check"), r.Prefix)
	}
	rep, err := conformance.Run(ctx, o.cfg)
	if werr := o.deliver(out, stderr, rep); werr != nil {
		fmt.Fprintln(stderr, "mixpeek-conformance:", werr)
		return 2
	}
	switch {
	case err != nil:
		fmt.Fprintln(stderr, "mixpeek-conformance:", usage(err))
		return 2
	case !rep.OK():
		return 1
	}
	return 0
}

// list writes the checks -run selects, as a table or as JSON.
func list(w io.Writer, run, format string) int {
	checks, err := conformance.Checks(run)
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
			out[i] = entry{c.ID, category(c.ID), words(c.Description), c.Destructive, c.NeedsPeer}
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
		fmt.Fprintf(tw, "%s\t%s\t%s%s\n", c.ID, category(c.ID), words(c.Description), mark)
	}
	if err := tw.Flush(); err != nil {
		return 2
	}
	return 0
}

// category is the category of a check: its ID up to the slash.
func category(id string) string {
	c, _, _ := strings.Cut(id, "/")
	return c
}

// aborted says whether the run could not start: its one result says why.
func aborted(rep *conformance.Report) bool {
	return len(rep.Results) == 1 && rep.Results[0].Status == conformance.Errored
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
