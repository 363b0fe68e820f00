package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/conformance"
)

// replay is `mixpeek-conformance replay`: recordings of a consumer's calls to the mock,
// replayed one after the other against a server, in one report. It returns the exit code: 0
// when every call answers as recorded, 1 when one differs (or cleanup left something), 2 on a
// usage, recording or connection error.
func replay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (code int) {
	fs := flag.NewFlagSet("mixpeek-conformance replay", flag.ContinueOnError)
	var c common
	c.declare(fs, "text, json or junit")
	var paths recordingList
	fs.Var(&paths, "recording", "the recordings to replay (mockservertest's RecordTo, GET /_mock/recording): a `FILE` or a directory, whose *.json files (so *.recording.json) are replayed in name order, its subdirectories not read; repeat the flag or separate paths by commas")
	intro := "Usage: mixpeek-conformance replay -recording FILE|DIR[,FILE|DIR...] [-recording ...] -base-url URL -api-key KEY -user-email EMAIL [flags]\n\n" +
		"Replays the calls a consumer's tests made to the mock against a server, and reports each call\n" +
		"the server answers with another status or shape: one report of every recording, each result\n" +
		"named by its file (replay/rotate.recording.json/5-list_secrets). Every recording is read\n" +
		"before the first request: one that cannot be read stops the command (exit 2) with nothing sent."
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
	if len(paths) == 0 {
		return fail(errors.New("-recording is required (or MIXPEEK_RECORDING)"))
	}
	if err := c.cfg.Validate(); err != nil {
		return fail(usage(err))
	}
	files, err := recordingFiles(paths)
	if err != nil {
		return fail(err)
	}
	if err := checkRecordings(files); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fail(errors.New(line))
		}
		return 2
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
	var label string // the file being replayed
	if c.format == "text" {
		progress = w
		c.cfg.OnResult = func(r conformance.Result) {
			r.ID = fileID(label, r.ID)
			fmt.Fprintln(w, wordResult(r).String())
		}
	}
	c.cfg.OnStart = func(r *conformance.Report) {
		fmt.Fprintf(progress, "replaying %s against %s, prefix %s\n", label, r.BaseURL, r.Prefix)
	}
	began := time.Now()
	all := &conformance.Report{Results: []conformance.Result{}}
	for i, f := range files {
		label = f.label
		rec, err := readRecording(f.path)
		if err == nil {
			var rep *conformance.Report
			rep, err = conformance.Replay(ctx, c.cfg, rec)
			merge(all, rep, f.label)
			err = usage(err)
		}
		if err != nil {
			all.Duration = time.Since(began)
			if werr := c.deliver(w, stderr, all); werr != nil {
				fail(werr)
			}
			if len(files) > 1 {
				err = fmt.Errorf("replaying %s: %w (%s not replayed)", f.label, err, plural(len(files)-i-1, "more recording"))
			}
			return fail(err)
		}
	}
	all.Duration = time.Since(began)
	if werr := c.deliver(w, stderr, all); werr != nil {
		return fail(werr)
	}
	if !all.OK() {
		for _, r := range all.Results {
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
