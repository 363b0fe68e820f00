package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/mixpeekkit/mixpeekkit/conformance"
)

// sweep is `mixpeek-conformance sweep`: it removes what runs left under a prefix (the secrets,
// and the live keys of -user-email), or lists them with -dry-run. It returns the exit code: 0
// when nothing is left (or the dry run listed), 1 when something could not be removed, 2 on a
// usage or connection error.
func sweep(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (code int) {
	fs := flag.NewFlagSet("mixpeek-conformance sweep", flag.ContinueOnError)
	var c common
	c.declare(fs, "text, json or junit")
	fs.StringVar(&c.cfg.PeerAPIKey, "peer-api-key", "", "an admin key of the peer organization of the runs: its secrets under the prefix too")
	dryRun := fs.Bool("dry-run", false, "list what would be removed, and change nothing")
	intro := "Usage: mixpeek-conformance sweep -prefix P -base-url URL -api-key KEY -user-email EMAIL [-dry-run] [flags]\n\n" +
		"Removes what conformance runs left on a server under the prefix P: the secrets and the live API keys\n" +
		"of -user-email whose names are shaped like a run's: P-… for a run's whole prefix (its report says it,\n" +
		"ci-k3x9qa), P-RUNID-… for the -prefix runs were made with (ci; ct for the default), RUNID being 6\n" +
		"lowercase letters and digits. Never the admin-key, nor the key it runs with. At least 2 characters."
	fail := func(err error) int {
		fmt.Fprintln(stderr, "mixpeek-conformance sweep:", err)
		return 2
	}
	if err := c.parse(fs, intro, args, getenv, stdout, "text", "json", "junit"); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return fail(err)
	}
	if c.cfg.Prefix == "" {
		return fail(errors.New("-prefix is required (or MIXPEEK_CONFORMANCE_PREFIX): the prefix of the runs whose leftovers to remove"))
	}
	if err := c.cfg.Validate(); err != nil {
		return fail(usage(err))
	}
	w, done, err := c.output(stdout)
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err := done(); err != nil {
			code = max(code, fail(err))
		}
	}()
	if c.format == "text" {
		c.cfg.OnResult = func(r conformance.Result) { fmt.Fprintln(w, wordResult(r).String()) }
	}
	rep, err := conformance.Sweep(ctx, c.cfg, *dryRun)
	if werr := c.deliver(w, stderr, rep); werr != nil {
		return fail(werr)
	}
	switch {
	case err != nil:
		return fail(usage(err))
	case !rep.OK():
		return 1
	}
	return 0
}
