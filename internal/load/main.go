// Command load is the project's load harness (make load): on loopback only, it starts the mock
// binary, a bare net/http server answering the same routes with the mock's own bodies (the
// ceiling: what any Go server could do at best), and Stoplight Prism on the same openapi.yaml
// when node and npm are there; it measures each one's start-up (launch to first answer) and
// drives each with the same requests at 1, 16 and 64 connections after a warm-up, bounded in
// time and in requests. It prints req/s, p50, p99 and RSS for each, the ratios mock/ceiling and
// mock/Prism, and writes the raw results as JSON.
//
//	go run ./internal/load [-duration 2s] [-warmup 500ms] [-max-requests 200000] [-prism=true] [-out .load/results.json]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/mixpeekkit/mixpeekkit/fixtures"
)

// The default organization (fixtures.Default, which the mock binary serves): its admin key and
// the paths the scenarios use.
var adminKey, email = defaultOwner()

const secrets = "/v1/organizations/secrets"

var keys = "/v1/organizations/users/" + email + "/api-keys"

func defaultOwner() (key, email string) {
	seed, err := fixtures.Default()
	if err != nil {
		panic(err)
	}
	return seed.Organizations[0].AdminKey(), seed.Organizations[0].OwnerEmail()
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-serve-ceiling" {
		serveCeiling(os.Args[2]) // the harness started itself as the ceiling
		return
	}
	duration := flag.Duration("duration", 2*time.Second, "how long each measurement runs")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "warm-up before each measurement")
	maxRequests := flag.Int64("max-requests", 200000, "at most this many requests per measurement")
	prism := flag.Bool("prism", true, "also measure Stoplight Prism (installed into .load/prism with npm)")
	out := flag.String("out", ".load/results.json", "where the raw results go")
	flag.Parse()
	if err := run(*duration, *warmup, *maxRequests, *prism, *out); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// target is one server under load.
type target struct {
	name     string
	cmd      *exec.Cmd
	base     string
	startup  time.Duration // launch to the first answer
	listen   time.Duration // launch to the listening line (the mock only)
	stateful bool
}

// Result is one measurement.
type Result struct {
	Target      string  `json:"target"`
	Scenario    string  `json:"scenario"`
	Connections int     `json:"connections"`
	Requests    int64   `json:"requests"`
	Errors      int64   `json:"errors"`
	ReqPerSec   float64 `json:"req_per_sec"`
	P50Micros   float64 `json:"p50_us"`
	P99Micros   float64 `json:"p99_us"`
	RSSKiB      int64   `json:"rss_kib"`
}

// Results are a whole run.
type Results struct {
	Date      string             `json:"date"`
	Machine   string             `json:"machine"`
	Startup   map[string]float64 `json:"startup_ms"`
	Listening float64            `json:"mock_listening_ms"`
	Runs      []Result           `json:"runs"`
	Notes     []string           `json:"notes,omitempty"`
}

func run(duration, warmup time.Duration, maxRequests int64, withPrism bool, out string) error {
	dir, err := filepath.Abs(".load")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	mockBin := filepath.Join(dir, "mixpeek-mock")
	if b, err := exec.Command("go", "build", "-o", mockBin, "./cmd/mixpeek-mock").CombinedOutput(); err != nil {
		return fmt.Errorf("build the mock: %v\n%s", err, b)
	}
	res := Results{Date: time.Now().UTC().Format(time.RFC3339), Machine: machine(), Startup: map[string]float64{}}

	mock, err := startMock(mockBin)
	if err != nil {
		return err
	}
	defer stop(mock)
	// The ceiling answers with the mock's own bodies: one pass of the mix, recorded.
	bodies, err := record(mock.base)
	if err != nil {
		return err
	}
	bodyFile := filepath.Join(dir, "ceiling-bodies.json")
	raw, _ := json.Marshal(bodies)
	if err := os.WriteFile(bodyFile, raw, 0o644); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ceiling, err := startProcess("ceiling", exec.Command(self, "-serve-ceiling", bodyFile), "")
	if err != nil {
		return err
	}
	defer stop(ceiling)
	targets := []*target{mock, ceiling}
	if withPrism {
		if p, err := startPrism(dir); err != nil {
			res.Notes = append(res.Notes, "Prism not measured: "+err.Error())
			fmt.Fprintln(os.Stderr, "load: Prism not measured:", err)
		} else {
			defer stop(p)
			targets = append(targets, p)
		}
	}
	for _, t := range targets {
		res.Startup[t.name] = ms(t.startup)
	}
	res.Listening = ms(mock.listen)
	for _, scenario := range []string{"list-secrets", "mix"} {
		for _, conns := range []int{1, 16, 64} {
			for _, t := range targets {
				r := drive(t, scenario, conns, warmup, duration, maxRequests)
				res.Runs = append(res.Runs, r)
			}
		}
	}
	report(os.Stdout, res)
	raw, _ = json.MarshalIndent(res, "", "  ")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(out, append(raw, '\n'), 0o644)
}
