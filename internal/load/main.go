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
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

const (
	adminKey = "sk_mixpeek_mock_development_admin_key_do_not_use"
	email    = "admin@example.com"
	secrets  = "/v1/organizations/secrets"
	keys     = "/v1/organizations/users/" + email + "/api-keys"
)

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

// startMock starts the mock binary on a free loopback port.
func startMock(bin string) (*target, error) {
	t, err := startProcess("mock", exec.Command(bin, "-addr", "127.0.0.1:0", "-log-format", "json"), "")
	if t != nil {
		t.stateful = true
	}
	return t, err
}

// startProcess starts cmd and waits for its first answer. It serves on base when base is
// given, else on the address of its first stdout line ("listening on URL"), whose time from
// launch it records.
func startProcess(name string, cmd *exec.Cmd, base string) (*target, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = io.Discard
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &target{name: name, cmd: cmd, base: base}
	if base == "" {
		sc := bufio.NewScanner(stdout)
		if !sc.Scan() {
			_ = cmd.Process.Kill()
			return nil, fmt.Errorf("%s printed nothing", name)
		}
		t.listen = time.Since(began)
		var ok bool
		if t.base, ok = strings.CutPrefix(sc.Text(), "listening on "); !ok {
			_ = cmd.Process.Kill()
			return nil, fmt.Errorf("%s's first line: %q", name, sc.Text())
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if err := firstAnswer(t.base, began); err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	t.startup = time.Since(began)
	return t, nil
}

// startPrism installs Prism into dir/prism (once) and starts it on the same openapi.yaml.
func startPrism(dir string) (*target, error) {
	if _, err := exec.LookPath("npm"); err != nil {
		return nil, errors.New("npm is not installed (Debian: apt-get install npm)")
	}
	prefix := filepath.Join(dir, "prism")
	bin := filepath.Join(prefix, "node_modules", ".bin", "prism")
	if _, err := os.Stat(bin); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", prefix, "@stoplight/prism-cli@5")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("npm install @stoplight/prism-cli: %v: %s", err, lastLines(b, 3))
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	spec, err := filepath.Abs("openapi.yaml")
	if err != nil {
		return nil, err
	}
	return startProcess("prism", exec.Command(bin, "mock", "-h", "127.0.0.1", "-p", strconv.Itoa(port), spec),
		"http://127.0.0.1:"+strconv.Itoa(port))
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// firstAnswer waits for the first answer to a list of secrets, for at most a minute.
func firstAnswer(base string, began time.Time) error {
	c := &http.Client{Timeout: time.Second}
	for time.Since(began) < time.Minute {
		req, _ := http.NewRequest("GET", base+secrets, nil)
		req.Header.Set("Authorization", "Bearer "+adminKey)
		if resp, err := c.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return errors.New("no answer within a minute")
}

func stop(t *target) {
	_ = t.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = t.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = t.cmd.Process.Kill()
	}
}

// step is one request of a scenario.
type step struct {
	method, path, body string
}

// steps is the scenario's requests for worker w's iteration i. The mix creates, updates and
// deletes a secret of its own, lists secrets and keys, creates a key, rotates it and deletes
// it (as a client does: the live keys stay few, the revoked ones pile up in the store).
func steps(scenario string, w, i int) []step {
	if scenario == "list-secrets" {
		return []step{{"GET", secrets, ""}}
	}
	s := fmt.Sprintf("load_w%d_i%d", w, i)
	return []step{
		{"GET", secrets, ""},
		{"POST", secrets, `{"secret_name":"` + s + `","secret_value":"v1"}`},
		{"PUT", secrets + "/" + s, `{"secret_value":"v2"}`},
		{"DELETE", secrets + "/" + s, ""},
		{"GET", keys, ""},
		{"POST", keys, `{"name":"` + s + `","permissions":["read"]}`},
		{"POST", keys + "/" + s + "/rotate", ""},
		{"DELETE", keys + "/" + s, ""},
	}
}

// shape is a request's route, by method and path form: the ceiling's key for a body.
func shape(method, path string) string {
	p := strings.TrimPrefix(path, "/v1/organizations/")
	parts := strings.Split(p, "/")
	switch {
	case parts[0] == "secrets" && len(parts) == 1:
		return method + " secrets"
	case parts[0] == "secrets":
		return method + " secrets/{name}"
	case len(parts) == 3: // users/{email}/api-keys
		return method + " api-keys"
	case len(parts) == 5: // users/{email}/api-keys/{name}/rotate
		return method + " api-keys/{name}/rotate"
	}
	return method + " api-keys/{name}"
}

// Body is an answer the ceiling gives.
type Body struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// record runs the mix once against the mock, after seeding 20 secrets (so list-secrets lists
// some), and returns each route's answer.
func record(base string) (map[string]Body, error) {
	c := &http.Client{}
	for i := range 20 {
		if _, _, err := send(c, base, step{"POST", secrets, fmt.Sprintf(`{"secret_name":"seeded_%02d","secret_value":"v"}`, i)}); err != nil {
			return nil, err
		}
	}
	out := map[string]Body{}
	for _, s := range steps("mix", 999, 0) {
		status, body, err := send(c, base, s)
		if err != nil {
			return nil, err
		}
		if status >= 300 {
			return nil, fmt.Errorf("recording: %s %s answered %d: %s", s.method, s.path, status, body)
		}
		out[shape(s.method, s.path)] = Body{status, string(body)}
	}
	return out, nil
}

func send(c *http.Client, base string, s step) (int, []byte, error) {
	var body io.Reader
	if s.body != "" {
		body = strings.NewReader(s.body)
	}
	req, err := http.NewRequest(s.method, base+s.path, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+adminKey)
	if s.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, b, err
}

// serveCeiling is the ceiling: net/http and fixed answers, nothing else.
func serveCeiling(bodyFile string) {
	raw, err := os.ReadFile(bodyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var bodies map[string]Body
	if err := json.Unmarshal(raw, &bodies); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		b, ok := bodies[shape(r.Method, r.URL.Path)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(b.Status)
		_, _ = io.WriteString(w, b.Body)
	}))
}

// drive runs scenario against t with conns connections: a warm-up, then a measurement of at
// most duration and maxRequests requests.
func drive(t *target, scenario string, conns int, warmup, duration time.Duration, maxRequests int64) Result {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	var count, errs atomic.Int64
	var mu sync.Mutex
	var latencies []time.Duration
	measuring := atomic.Bool{}
	deadline := time.Now().Add(warmup + duration)
	go func() { time.Sleep(warmup); measuring.Store(true) }()
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for i := 0; time.Now().Before(deadline); i++ {
				for _, s := range steps(scenario, w+conns*1000, i) {
					on := measuring.Load()
					if on && count.Load() >= maxRequests {
						mu.Lock()
						latencies = append(latencies, mine...)
						mu.Unlock()
						return
					}
					began := time.Now()
					status, _, err := send(client, t.base, s)
					took := time.Since(began)
					if on {
						count.Add(1)
						mine = append(mine, took)
						if err != nil || status >= 500 || (t.stateful && status >= 400) {
							errs.Add(1)
						}
					}
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	start := time.Now()
	wg.Wait()
	elapsed := time.Since(start) - warmup
	if elapsed <= 0 {
		elapsed = time.Millisecond
	}
	slices.Sort(latencies)
	r := Result{Target: t.name, Scenario: scenario, Connections: conns, Requests: count.Load(), Errors: errs.Load(),
		ReqPerSec: float64(count.Load()) / elapsed.Seconds(), RSSKiB: rss(t.cmd.Process.Pid)}
	if n := len(latencies); n > 0 {
		r.P50Micros = float64(latencies[n/2].Microseconds())
		r.P99Micros = float64(latencies[min(n-1, n*99/100)].Microseconds())
	}
	return r
}

// rss is the resident set of a process in KiB (Linux), 0 when unknown.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func machine() string {
	cpus := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpus = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs, %s", numCPU(), cpus)
}

func report(w io.Writer, res Results) {
	fmt.Fprintf(w, "machine: %s; date %s\n", res.Machine, res.Date)
	fmt.Fprintf(w, "start-up (launch to first answer):")
	for _, name := range []string{"mock", "ceiling", "prism"} {
		if v, ok := res.Startup[name]; ok {
			fmt.Fprintf(w, " %s %.1f ms;", name, v)
		}
	}
	fmt.Fprintf(w, " mock launch to its listening line %.1f ms\n\n", res.Listening)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tconns\ttarget\treq/s\tp50 µs\tp99 µs\tRSS MiB\terrors\tmock/ceiling\tmock/prism\t")
	by := map[string]Result{}
	for _, r := range res.Runs {
		by[fmt.Sprintf("%s/%d/%s", r.Scenario, r.Connections, r.Target)] = r
	}
	for _, r := range res.Runs {
		ratio := func(other string) string {
			o, ok := by[fmt.Sprintf("%s/%d/%s", r.Scenario, r.Connections, other)]
			m := by[fmt.Sprintf("%s/%d/mock", r.Scenario, r.Connections)]
			if !ok || r.Target != "mock" || o.ReqPerSec == 0 {
				return ""
			}
			return fmt.Sprintf("%.2f×", m.ReqPerSec/o.ReqPerSec)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.0f\t%.0f\t%.0f\t%.1f\t%d\t%s\t%s\t\n", r.Scenario, r.Connections, r.Target,
			r.ReqPerSec, r.P50Micros, r.P99Micros, float64(r.RSSKiB)/1024, r.Errors, ratio("ceiling"), ratio("prism"))
	}
	_ = tw.Flush()
	for _, n := range res.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func lastLines(b []byte, n int) string {
	ls := strings.Split(strings.TrimSpace(string(bytes.TrimSpace(b))), "\n")
	return strings.Join(ls[max(0, len(ls)-n):], " | ")
}

func numCPU() int { return runtime.NumCPU() }
