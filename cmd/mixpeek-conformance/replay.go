package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/internal/cli"
	"github.com/mixpeekkit/mixpeekkit/recording"
)

// replay is `mixpeek-conformance replay`: a recording of a consumer's calls to the mock,
// replayed against a server. It returns the exit code: 0 when every call answers as recorded,
// 1 when one differs (or cleanup left something), 2 on a usage, recording or connection error.
func replay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (code int) {
	fs := flag.NewFlagSet("mixpeek-conformance replay", flag.ContinueOnError)
	var cfg conformance.Config
	cfg.RequestTimeout, cfg.Rate = 10*time.Second, defaultRate
	file := fs.String("recording", "", "the recording to replay (mockservertest's RecordTo, GET /_mock/recording)")
	fs.StringVar(&cfg.BaseURL, "base-url", "", "server under test, e.g. https://staging.example")
	fs.StringVar(&cfg.APIKey, "api-key", "", "an admin API key")
	fs.StringVar(&cfg.UserEmail, "user-email", "", "the owner of -api-key: the recording's $user")
	fs.BoolVar(&cfg.Destructive, "destructive", false, "also replay the recorded updates, rotations and deletions of the admin-key")
	fs.StringVar(&cfg.Prefix, "prefix", "", "name prefix of everything the replay creates (default: random per run)")
	fs.DurationVar(&cfg.RequestTimeout, "timeout", cfg.RequestTimeout, "timeout of each request")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "requests per second (0: unbounded)")
	mockClock := fs.Bool("mock-clock", false, "the target is this project's mock: the recording's clock moves move its clock (POST /_mock/clock) instead of being waited for (up to 30 s) or skipping what follows")
	controlToken := fs.String("control-token", "", "the mock's control token, for -mock-clock when the mock has one")
	format := fs.String("format", "text", "report format: text or json")
	out := fs.String("out", "", "write the report to this file instead of stdout")
	intro := "Usage: mixpeek-conformance replay -recording FILE -base-url URL -api-key KEY -user-email EMAIL [flags]\n\nReplays the calls a consumer's tests made to the mock against a server, and reports the first\ncall the server answers with another status or shape."
	mirrors := []cli.Mirror{
		{Flag: "recording", Env: "MIXPEEK_RECORDING"},
		{Flag: "base-url", Env: "MIXPEEK_BASE_URL"},
		{Flag: "api-key", Env: "MIXPEEK_API_KEY"},
		{Flag: "user-email", Env: "MIXPEEK_USER_EMAIL"},
		{Flag: "destructive", Env: "MIXPEEK_CONFORMANCE_DESTRUCTIVE"},
		{Flag: "prefix", Env: "MIXPEEK_CONFORMANCE_PREFIX"},
		{Flag: "timeout", Env: "MIXPEEK_CONFORMANCE_TIMEOUT"},
		{Flag: "rate", Env: "MIXPEEK_CONFORMANCE_RATE"},
		{Flag: "format", Env: "MIXPEEK_CONFORMANCE_FORMAT"},
		{Flag: "out", Env: "MIXPEEK_CONFORMANCE_OUT"},
		{Flag: "mock-clock", Env: "MIXPEEK_CONFORMANCE_MOCK_CLOCK"},
		{Flag: "control-token", Env: "MIXPEEK_MOCK_CONTROL_TOKEN"},
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "mixpeek-conformance replay:", err)
		return 2
	}
	if _, err := cli.Parse(fs, intro, mirrors, args, getenv, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return fail(err)
	}
	switch {
	case *file == "":
		return fail(errors.New("-recording is required (or MIXPEEK_RECORDING)"))
	case *format != "text" && *format != "json":
		return fail(errors.New("-format must be text or json"))
	case cfg.RequestTimeout <= 0:
		return fail(errors.New("-timeout must be positive"))
	case cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0):
		return fail(errors.New("-rate must be 0 (unbounded) or a positive number"))
	case cfg.BaseURL == "" || cfg.APIKey == "" || cfg.UserEmail == "":
		return fail(errors.New("-base-url, -api-key and -user-email are required (or MIXPEEK_BASE_URL, MIXPEEK_API_KEY, MIXPEEK_USER_EMAIL)"))
	}
	switch {
	case *controlToken != "" && !*mockClock:
		return fail(errors.New("-control-token is only used with -mock-clock"))
	case *mockClock:
		cfg.Sleep = conformance.MockClock(cfg.BaseURL, *controlToken, cfg.HTTPClient)
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return fail(fmt.Errorf("-recording: %w", err))
	}
	rec, err := recording.Parse(data)
	if err != nil {
		return fail(fmt.Errorf("-recording %s: %w", *file, err))
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fail(err)
		}
		defer func() {
			if err := f.Close(); err != nil {
				code = max(code, fail(err))
			}
		}()
		w = f
	}
	report, err := conformance.Replay(ctx, cfg, rec)
	if report != nil {
		write := report.WriteText
		if *format == "json" {
			write = report.WriteJSON
		}
		if werr := write(w); werr != nil {
			return fail(werr)
		}
	}
	switch {
	case err != nil:
		return fail(flagError(err))
	case !report.OK():
		if d := report.FirstDifference(); d != nil && (*format != "text" || *out != "") {
			fmt.Fprintf(stderr, "mixpeek-conformance replay: the server differs from the recording first at call %d (%s): %s\n",
				d.Seq, d.Operation, strings.Join(d.Differences, "; "))
		}
		return 1
	}
	return 0
}
