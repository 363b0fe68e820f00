package conformance

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

// Status is the outcome of one check.
type Status string

// The outcomes; Errored is a run that could not start (its one result says why).
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Skip    Status = "skip"
	Errored Status = "error"
)

// Result is what one check found.
type Result struct {
	ID          string        `json:"id"`
	Category    string        `json:"category"`
	Description string        `json:"description"`
	Status      Status        `json:"status"`
	SkipReason  string        `json:"skip_reason,omitempty"`
	Failures    []Failure     `json:"failures,omitempty"`
	Duration    time.Duration `json:"duration_ns"`
	// Note is what the check adds to its outcome, e.g. an exploration's seed and pace.
	Note string `json:"note,omitempty"`
}

// String is the one line a text report shows for a finished check: "PASS id (12ms)",
// "FAIL id (12ms)" or "SKIP id (why)"; a pass or a failure ends with ": note" when it has one.
func (r Result) String() string {
	note := ""
	if r.Note != "" {
		note = ": " + r.Note
	}
	switch r.Status {
	case Skip:
		return fmt.Sprintf("SKIP %s (%s)", r.ID, r.SkipReason)
	case Fail:
		return fmt.Sprintf("FAIL %s (%s)%s", r.ID, r.Duration.Round(time.Millisecond), note)
	case Errored:
		return fmt.Sprintf("ERROR %s: %s", r.ID, r.SkipReason)
	}
	return fmt.Sprintf("PASS %s (%s)%s", r.ID, r.Duration.Round(time.Millisecond), note)
}

// Failure is one violation, with the exchange that proved it (redacted: see Exchange).
type Failure struct {
	Message  string    `json:"message"`
	Exchange *Exchange `json:"exchange,omitempty"`
}

// text is the message, followed by the exchange when there is one, as a text report shows it.
func (f Failure) text() string {
	if f.Exchange == nil {
		return f.Message
	}
	return f.Message + "\n" + f.Exchange.text()
}

// Report is the outcome of a run.
type Report struct {
	BaseURL string `json:"base_url"`
	// Prefix starts the name of everything the run created: Config.Prefix and the run ID.
	Prefix string `json:"prefix"`
	// Seed is the seed of the run's exploration (Config.Seed, -seed), 0 when it did not explore.
	Seed    int64    `json:"seed,omitempty"`
	Results []Result `json:"results"`
	// Leftovers are resources the run created and could not clean up.
	Leftovers []string `json:"leftovers,omitempty"`
	// Revoked names the run's API keys the server still lists, revoked: a key cannot be
	// deleted, so every run leaves its keys behind, under its prefix (mixpeek-conformance
	// sweep finds what is live).
	Revoked []string `json:"revoked_keys,omitempty"`
	// Retries lists the requests asked again because the server asked to wait (429, 503, with
	// its Retry-After): the check, the request, the status and the wait.
	Retries []string `json:"retries,omitempty"`
	Passed  int      `json:"passed"`
	Failed  int      `json:"failed"`
	Skipped int      `json:"skipped"`
	// Duration is the whole run, from the first request to the end of cleanup.
	Duration time.Duration `json:"duration_ns"`
}

// OK reports whether no check failed, nothing was left behind and the run could start.
func (r *Report) OK() bool { return r.Failed == 0 && r.errored() == 0 && len(r.Leftovers) == 0 }

// errored is 1 for a run that could not start (its one result says why), else 0.
func (r *Report) errored() int {
	n := 0
	for _, res := range r.Results {
		if res.Status == Errored {
			n++
		}
	}
	return n
}

func (r *Report) add(res Result) {
	r.Results = append(r.Results, res)
	switch res.Status {
	case Pass:
		r.Passed++
	case Fail:
		r.Failed++
	case Skip:
		r.Skipped++
	}
}

// Summary is the closing line: "N passed, M failed, K skipped in 1.234s" (with ", 1 error"
// for a run that could not start).
func (r *Report) Summary() string {
	s := fmt.Sprintf("%d passed, %d failed, %d skipped", r.Passed, r.Failed, r.Skipped)
	if n := r.errored(); n > 0 {
		s += fmt.Sprintf(", %d error", n)
	}
	return s + " in " + r.Duration.Round(time.Millisecond).String()
}

// WriteText writes the report for a terminal: each failed check with its description, its
// failures and the exchanges that proved them, then the leftovers and the summary line. (The
// line of each result as it finishes is Result.String, for Config.OnResult.)
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, res := range r.Results {
		if res.Status != Fail {
			continue
		}
		fmt.Fprintf(&b, "\n--- FAIL %s [%s]\n    requires: %s\n", res.ID, res.Category, res.Description)
		for _, f := range res.Failures {
			fmt.Fprintf(&b, "    %s\n", strings.ReplaceAll(f.text(), "\n", "\n    "))
		}
	}
	if len(r.Leftovers) > 0 {
		fmt.Fprintf(&b, "\ncould not clean up (prefix %s):\n", r.Prefix)
		for _, l := range r.Leftovers {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	if len(r.Revoked) > 0 {
		fmt.Fprintf(&b, "\nleft behind (a key cannot be deleted, only revoked): %d revoked API keys: %s\n",
			len(r.Revoked), namesCounted(r.Revoked))
	}
	if len(r.Retries) > 0 {
		fmt.Fprintf(&b, "\nasked again, the server asking to wait (%d):\n    %s\n", len(r.Retries), strings.Join(r.Retries, "\n    "))
	}
	fmt.Fprintf(&b, "\n%s\n", r.Summary())
	_, err := io.WriteString(w, b.String())
	return err
}

// namesCounted is a sorted list of names as a line: each quoted, with how many times it
// comes when more than once ("a" ×3, "b").
func namesCounted(names []string) string {
	var parts []string
	for i := 0; i < len(names); {
		j := i
		for j < len(names) && names[j] == names[i] {
			j++
		}
		part := strconv.Quote(names[i])
		if j-i > 1 {
			part += fmt.Sprintf(" ×%d", j-i)
		}
		parts = append(parts, part)
		i = j
	}
	return strings.Join(parts, ", ")
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

type junitSuites struct {
	XMLName xml.Name   `xml:"testsuites"`
	Suites  []junitSet `xml:"testsuite"`
}

type junitSet struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
	Out      string      `xml:"system-out,omitempty"`
}

type junitCase struct {
	Class   string        `xml:"classname,attr"`
	Name    string        `xml:"name,attr"`
	Time    string        `xml:"time,attr"`
	Failure *junitFailure `xml:"failure,omitempty"`
	Error   *junitFailure `xml:"error,omitempty"`
	Skipped *junitFailure `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML, one testcase per check, for CI systems.
func (r *Report) WriteJUnit(w io.Writer) error {
	set := junitSet{Name: "mixpeek-conformance", Tests: len(r.Results), Failures: r.Failed, Errors: r.errored(), Skipped: r.Skipped}
	var total time.Duration
	for _, res := range r.Results {
		total += res.Duration
		c := junitCase{Class: res.Category, Name: res.ID, Time: seconds(res.Duration)}
		switch res.Status {
		case Fail:
			var text []string
			for _, f := range res.Failures {
				text = append(text, f.text())
			}
			c.Failure = &junitFailure{Message: res.Description, Text: strings.Join(text, "\n\n")}
		case Skip:
			c.Skipped = &junitFailure{Message: res.SkipReason}
		case Errored:
			c.Error = &junitFailure{Message: res.SkipReason, Text: res.Description}
		}
		set.Cases = append(set.Cases, c)
	}
	if len(r.Leftovers) > 0 {
		set.Tests++
		set.Failures++
		set.Cases = append(set.Cases, junitCase{Class: "cleanup", Name: "cleanup/leftovers", Time: "0",
			Failure: &junitFailure{Message: "resources the run could not clean up", Text: strings.Join(r.Leftovers, "\n")}})
	}
	set.Time = seconds(max(total, r.Duration))
	var out []string
	if len(r.Revoked) > 0 {
		out = append(out, fmt.Sprintf("left behind, revoked: %d API keys\n%s", len(r.Revoked), strings.Join(r.Revoked, "\n")))
	}
	if len(r.Retries) > 0 {
		out = append(out, fmt.Sprintf("asked again, the server asking to wait:\n%s", strings.Join(r.Retries, "\n")))
	}
	set.Out = strings.Join(out, "\n\n")
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSet{set}}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// Exchange is one request and its answer, as a report shows them: the Authorization header,
// every secret value the run sent and every plaintext key it received are redacted, and so is
// whatever the kit's redaction rule hides in a body (secret-holding members at any depth,
// anything shaped like a plaintext key; docs/mixpeek-conformance.md states the rule).
type Exchange struct {
	// Operation is the operation of openapi.yaml the request addresses ("" when none).
	Operation    mixpeekkit.OperationID `json:"operation,omitempty"`
	Method       string                 `json:"method"`
	URL          string                 `json:"url"`
	Auth         string                 `json:"authorization"` // the scheme only: "Bearer [REDACTED]", or "(none)"
	RequestBody  string                 `json:"request_body,omitempty"`
	Status       int                    `json:"status"`
	ContentType  string                 `json:"content_type,omitempty"`
	ResponseBody string                 `json:"response_body,omitempty"`
	Error        string                 `json:"error,omitempty"`
	// Curl is the request as a shell command that sends it again, with $MIXPEEK_API_KEY,
	// $MIXPEEK_PEER_API_KEY, $KEY and $SECRET_VALUE for what a report must not show. In a
	// failure it is a script: the requests of the check that set it up first (a key one of
	// them creates kept in $KEY_1, ...), then the request, so that it reproduces when pasted.
	Curl string `json:"curl,omitempty"`
}

// text is the exchange as a text report shows it: "> " lines for the request, "< " lines for
// the answer.
func (e *Exchange) text() string {
	var b strings.Builder
	for _, line := range strings.Split(e.Curl, "\n") {
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			fmt.Fprintf(&b, "  %s\n", line)
		default:
			fmt.Fprintf(&b, "  $ %s\n", line)
		}
	}
	fmt.Fprintf(&b, "  > %s %s\n  > Authorization: %s", e.Method, e.URL, e.Auth)
	if e.RequestBody != "" {
		fmt.Fprintf(&b, "\n  > %s", e.RequestBody)
	}
	if e.Error != "" {
		fmt.Fprintf(&b, "\n  < error: %s", e.Error)
		return b.String()
	}
	fmt.Fprintf(&b, "\n  < %d %s", e.Status, e.ContentType)
	if e.ResponseBody != "" {
		fmt.Fprintf(&b, "\n  < %s", e.ResponseBody)
	}
	return b.String()
}

// resultOf is a result of the engines as a report shows it.
func resultOf(r suite.Result) Result {
	out := Result{ID: r.ID, Category: r.Category, Description: r.Description, Status: Status(r.Status),
		SkipReason: r.SkipReason, Duration: r.Duration, Note: r.Note}
	for _, f := range r.Failures {
		out.Failures = append(out.Failures, Failure{Message: f.Message, Exchange: exchangeOf(f.Exchange)})
	}
	return out
}

func exchangeOf(e *suite.Exchange) *Exchange {
	if e == nil {
		return nil
	}
	return &Exchange{Operation: e.Operation, Method: e.Method, URL: e.URL, Auth: e.Auth, RequestBody: e.RequestBody,
		Status: e.Status, ContentType: e.ContentType, ResponseBody: e.ResponseBody, Error: e.Error, Curl: e.Curl}
}
