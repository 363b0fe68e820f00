package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

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
