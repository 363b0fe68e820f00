package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/internal/cli"
)

// defaultRate paces every request of a run: 10 requests per second keeps a whole run (some 430
// requests, about 45 s), a long walk and the replays that shrink a failure gentle on a shared
// staging server. -rate 0 lifts it, for a server of one's own.
const defaultRate = 10

// flags is the one table of the command's flags that set a Config field, with their
// environment mirrors: run and replay declare theirs from it, and a refusal of the library
// (an error of Config.Validate, whose message names Config.Field) is worded with them.
var flags = []struct {
	flag, env, field string
}{
	{"base-url", "MIXPEEK_BASE_URL", "BaseURL"},
	{"api-key", "MIXPEEK_API_KEY", "APIKey"},
	{"user-email", "MIXPEEK_USER_EMAIL", "UserEmail"},
	{"peer-api-key", "MIXPEEK_PEER_API_KEY", "PeerAPIKey"},
	{"destructive", "MIXPEEK_CONFORMANCE_DESTRUCTIVE", "Destructive"},
	{"run", "MIXPEEK_CONFORMANCE_RUN", "Run"},
	{"prefix", "MIXPEEK_CONFORMANCE_PREFIX", "Prefix"},
	{"timeout", "MIXPEEK_CONFORMANCE_TIMEOUT", "RequestTimeout"},
	{"explore", "MIXPEEK_CONFORMANCE_EXPLORE", "Explore"},
	{"seed", "MIXPEEK_CONFORMANCE_SEED", "Seed"},
	{"rate", "MIXPEEK_CONFORMANCE_RATE", "Rate"},
	{"mock-clock", "MIXPEEK_CONFORMANCE_MOCK_CLOCK", "Sleep"},
	// Flags of the command alone.
	{"format", "MIXPEEK_CONFORMANCE_FORMAT", ""},
	{"out", "MIXPEEK_CONFORMANCE_OUT", ""},
	{"control-token", "MIXPEEK_MOCK_CONTROL_TOKEN", ""},
	{"recording", "MIXPEEK_RECORDING", ""},
}

// common are the settings of run and replay alike.
type common struct {
	cfg          conformance.Config
	format       string
	out          string
	mockClock    bool
	controlToken string
}

// declare declares the flags run and replay share on fs, into c: the target, the prefix, the
// pace and the report. No environment value becomes a default: flag prints defaults, and
// keys must not be.
func (c *common) declare(fs *flag.FlagSet, formats string) {
	c.format = "text"
	c.cfg.RequestTimeout, c.cfg.Rate = 10*time.Second, defaultRate
	fs.StringVar(&c.cfg.BaseURL, "base-url", "", "server under test, e.g. http://127.0.0.1:8080")
	fs.StringVar(&c.cfg.APIKey, "api-key", "", "an admin API key")
	fs.StringVar(&c.cfg.UserEmail, "user-email", "", "the owner of -api-key")
	fs.BoolVar(&c.cfg.Destructive, "destructive", false, "also rotate and delete the admin-key, which a non-conforming server would lose")
	fs.StringVar(&c.cfg.Prefix, "prefix", "", "name prefix of everything the run creates (default: random per run)")
	fs.DurationVar(&c.cfg.RequestTimeout, "timeout", c.cfg.RequestTimeout, "timeout of each request")
	fs.Float64Var(&c.cfg.Rate, "rate", c.cfg.Rate, "requests per second of the whole run: checks, exploration, replay, cleanup, retries (0: unbounded)")
	fs.StringVar(&c.format, "format", c.format, "report format: "+formats)
	fs.StringVar(&c.out, "out", "", "write the report to this file instead of stdout")
	fs.BoolVar(&c.mockClock, "mock-clock", false, "the target is this project's mock: move its clock (POST /_mock/clock, for every organization it holds) instead of waiting")
	fs.StringVar(&c.controlToken, "control-token", "", "the mock's control token, for -mock-clock when the mock has one")
}

// parse parses args with the mirrors of the flags fs declares, then checks what the library
// cannot: the format, and the flags that only go with others.
func (c *common) parse(fs *flag.FlagSet, intro string, args []string, getenv func(string) string, stdout io.Writer, formats ...string) error {
	if _, err := cli.Parse(fs, intro, mirrorsOf(fs), args, getenv, stdout); err != nil {
		return err
	}
	known := false
	for _, f := range formats {
		known = known || c.format == f
	}
	switch {
	case !known:
		return fmt.Errorf("-format must be %s", strings.Join(formats, ", "))
	case c.controlToken != "" && !c.mockClock:
		return errors.New("-control-token is only used with -mock-clock")
	case c.mockClock:
		c.cfg.Sleep = mockClock(c.cfg.BaseURL, c.controlToken, c.cfg.HTTPClient)
	}
	return nil
}

// mirrorsOf is the environment mirrors of the flags fs declares.
func mirrorsOf(fs *flag.FlagSet) []cli.Mirror {
	var mirrors []cli.Mirror
	for _, f := range flags {
		if fs.Lookup(f.flag) != nil {
			mirrors = append(mirrors, cli.Mirror{Flag: f.flag, Env: f.env})
		}
	}
	return mirrors
}

// output is where the report goes: stdout, or the -out file, which done closes.
func (c *common) output(stdout io.Writer) (w io.Writer, done func() error, err error) {
	if c.out == "" {
		return stdout, func() error { return nil }, nil
	}
	f, err := os.Create(c.out)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

// usage words a refusal of the library ("conformance: Config.Rate must be ...") with the
// command's flag and its environment variable instead of the Config field.
func usage(err error) error {
	if err == nil {
		return nil
	}
	msg := strings.TrimPrefix(err.Error(), "conformance: ")
	for _, f := range flags {
		if rest, ok := strings.CutPrefix(msg, "Config."+f.field+" "); ok && f.field != "" {
			return fmt.Errorf("-%s (or %s) %s", f.flag, f.env, words(rest))
		}
	}
	return errors.New(words(err.Error()))
}

// words is a message of the library in the command's terms: Config.Destructive is
// -destructive, and so on, and conformance.Checks is -list.
func words(s string) string {
	for _, f := range flags {
		if f.field != "" {
			s = strings.ReplaceAll(s, "Config."+f.field, "-"+f.flag)
		}
	}
	return strings.ReplaceAll(s, "conformance.Checks", "-list")
}

// wordResult is a result in the command's terms (words).
func wordResult(r conformance.Result) conformance.Result {
	r.SkipReason, r.Note = words(r.SkipReason), words(r.Note)
	failures := make([]conformance.Failure, len(r.Failures))
	for i, f := range r.Failures {
		failures[i] = conformance.Failure{Message: words(f.Message), Exchange: f.Exchange}
	}
	r.Failures = failures
	return r
}

// wordReport is a report in the command's terms (words).
func wordReport(rep *conformance.Report) {
	for i := range rep.Results {
		rep.Results[i] = wordResult(rep.Results[i])
	}
}

// deliver writes the report of a run, a replay or a sweep in the command's terms, in its
// format, to w: always for JSON and JUnit (a CI system reads why nothing was checked), and
// for text unless the run stopped before its first check (the error says why); the summary
// line goes to stderr when the report does not end on the terminal.
func (c *common) deliver(w, stderr io.Writer, rep *conformance.Report) error {
	wordReport(rep)
	if aborted(rep) && c.format == "text" {
		return nil
	}
	var err error
	switch c.format {
	case "json":
		err = rep.WriteJSON(w)
	case "junit":
		err = rep.WriteJUnit(w)
	default:
		err = rep.WriteText(w)
	}
	if err == nil && (c.format != "text" || c.out != "") {
		fmt.Fprintln(stderr, rep.Summary())
	}
	return err
}
