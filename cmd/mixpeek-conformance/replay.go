package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/recording"
)

// replay is `mixpeek-conformance replay`: a recording of a consumer's calls to the mock,
// replayed against a server. It returns the exit code: 0 when every call answers as recorded,
// 1 when one differs (or cleanup left something), 2 on a usage, recording or connection error.
func replay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (code int) {
	fs := flag.NewFlagSet("mixpeek-conformance replay", flag.ContinueOnError)
	var c common
	c.declare(fs, "text, json or junit")
	file := fs.String("recording", "", "the recording to replay (mockservertest's RecordTo, GET /_mock/recording)")
	intro := "Usage: mixpeek-conformance replay -recording FILE -base-url URL -api-key KEY -user-email EMAIL [flags]\n\nReplays the calls a consumer's tests made to the mock against a server, and reports each call\nthe server answers with another status or shape."
	fail := func(err error) int {
		fmt.Fprintln(stderr, "mixpeek-conformance replay:", err)
		return 2
	}
	if err := c.parse(fs, intro, args, getenv, stdout, "text", "json", "junit"); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return fail(err)
	}
	if *file == "" {
		return fail(errors.New("-recording is required (or MIXPEEK_RECORDING)"))
	}
	if err := c.cfg.Validate(); err != nil {
		return fail(usage(err))
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return fail(fmt.Errorf("-recording: %w", err))
	}
	rec, err := recording.Parse(data)
	if err != nil {
		return fail(fmt.Errorf("-recording %s: %w", *file, err))
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
	progress := stderr
	if c.format == "text" {
		progress = w
		c.cfg.OnResult = func(r conformance.Result) { fmt.Fprintln(w, wordResult(r).String()) }
	}
	c.cfg.OnStart = func(r *conformance.Report) {
		fmt.Fprintf(progress, "replaying %s against %s, prefix %s\n", *file, r.BaseURL, r.Prefix)
	}
	rep, err := conformance.Replay(ctx, c.cfg, rec)
	if werr := c.deliver(w, stderr, rep); werr != nil {
		return fail(werr)
	}
	switch {
	case err != nil:
		return fail(usage(err))
	case !rep.OK():
		for _, r := range rep.Results {
			if r.Status == conformance.Fail && (c.format != "text" || c.out != "") {
				fmt.Fprintf(stderr, "mixpeek-conformance replay: the server differs from the recording first at %s: %s\n",
					r.ID, strings.SplitN(r.Failures[0].Message, "\n", 2)[0])
				break
			}
		}
		return 1
	}
	return 0
}
