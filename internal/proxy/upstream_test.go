package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
	"github.com/mixpeekkit/mixpeekkit/mockserver/mockservertest"
)

// rawUpstream is an upstream that speaks HTTP by hand on each connection: serve gets it and a
// channel closed when the test ends. It returns the upstream's URL.
func rawUpstream(tb testing.TB, serve func(conn net.Conn, done <-chan struct{})) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	tb.Cleanup(func() { close(done); ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer conn.Close()
				serve(conn, done)
			})
		}
	})
	return "http://" + ln.Addr().String()
}

// switching is an upstream that answers every request 101 Switching Protocols and then holds
// the connection open for a minute (or until the test ends).
func switching(t *testing.T) string {
	return rawUpstream(t, func(conn net.Conn, done <-chan struct{}) {
		if _, err := http.ReadRequest(bufio.NewReader(conn)); err != nil {
			return
		}
		_, _ = io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		select {
		case <-done:
		case <-time.After(time.Minute):
		}
	})
}

// An upstream that switches protocols gets the client a 502 within the proxy's timeout, and
// is a violation.
func TestSwitchingProtocolsIsA502(t *testing.T) {
	for _, strict := range []bool{false, true} {
		p, srv, _ := newProxy(t, switching(t), Options{Strict: strict, Timeout: 300 * time.Millisecond, Header: true})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/organizations/secrets", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("strict %v: no answer: %v", strict, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(b), "answered 101, a status the contract does not have") ||
			resp.Header.Get("X-Mixpeek-Violations") != "1" {
			t.Errorf("strict %v: %d %v %s", strict, resp.StatusCode, err, b)
		}
		isErrorResponse(t, b, http.StatusBadGateway)
		if got := shown(p); !slices.Equal(got, []string{"/status declared status"}) || p.Violations()[0].Status != 101 {
			t.Errorf("strict %v: violations %q", strict, got)
		}
	}
}

// rawRequest sends a request line as it is (no client cleans or escapes it) and reads the
// answer.
func rawRequest(t *testing.T, addr, method, target string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n", method, target)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A path that leaves the upstream's path prefix once cleaned, in whatever encoding, is
// answered 404 as the contract answers an unknown path, and never sent.
func TestPathsThatLeaveThePrefixAreRefused(t *testing.T) {
	var mu sync.Mutex
	var got []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.RequestURI)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"secrets": [], "count": 0}`)
	}))
	t.Cleanup(up.Close)
	_, srv, _ := newProxy(t, up.URL+"/base/", Options{})
	addr := strings.TrimPrefix(srv.URL, "http://")
	mock := mockservertest.NewServerWithOptions(t, mockserver.Options{Seed: fixtures.SeedOf(fixtures.Org("A", ownerEmail, ownerKey))})
	_, unknown := rawRequest(t, strings.TrimPrefix(mock.URL, "http://"), "GET", "/no/such/path")
	refused := []string{
		"/../../etc/passwd", "/v1/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/x", "/..%2f..%2fetc/passwd",
		`/..\..\etc\passwd`, "/%5c..%5c..%5cetc", "/..;/..;/etc", "/%252e%252e/x", "/..", "/../basement/x",
		"/%25252e%25252e/x", // decoded maxDecodes times
	}
	for _, target := range refused {
		status, body := rawRequest(t, addr, "GET", target)
		if status != http.StatusNotFound || strings.TrimSpace(body) != strings.TrimSpace(unknown) {
			t.Errorf("%s: %d %s, want the mock's 404 %s", target, status, body, unknown)
		}
	}
	forwarded := []string{
		"/v1/organizations/secrets", "/v1/../v1/organizations/secrets", "/v1/organizations/secrets/..",
		"/v1/organizations/secrets/%2e", "/v1/organizations/secrets/a..b", "/%2525252e%2525252e/x", // one decode more than maxDecodes
	}
	for _, target := range forwarded {
		if status, body := rawRequest(t, addr, "GET", target); status != http.StatusOK {
			t.Errorf("%s: %d %s", target, status, body)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := make([]string, len(forwarded))
	for i, f := range forwarded {
		want[i] = "/base" + f
	}
	if !slices.Equal(got, want) {
		t.Errorf("the upstream got %q, want %q", got, want)
	}
}

// nested is a list answer whose secrets hold one value nested depth deep.
func nested(depth int) string {
	return `{"secrets": ` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `, "count": 0}`
}

// An answer nested deeper than maxAnswerDepth is one violation, too-deep; one at the bound is
// checked as usual.
func TestTooDeepAnswers(t *testing.T) {
	for _, tc := range []struct {
		depth int
		want  []string
	}{
		{maxAnswerDepth, []string{"/body/secrets/0 type"}},
		{maxAnswerDepth + 1, []string{"/body " + ruleTooDeep}},
	} {
		up := answering(t, http.StatusOK, nested(tc.depth))
		p, srv, _ := newProxy(t, up.URL, Options{})
		send(t, "GET", srv.URL+"/v1/organizations/secrets", "")
		if got := shown(p); !slices.Equal(got, tc.want) {
			t.Errorf("depth %d: %q, want %q", tc.depth, got, tc.want)
		}
		_, strict, _ := newProxy(t, up.URL, Options{Strict: true})
		resp := send(t, "GET", strict.URL+"/v1/organizations/secrets", "")
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(b), tc.want[0][strings.Index(tc.want[0], " ")+1:]) {
			t.Errorf("strict, depth %d: %d %s", tc.depth, resp.StatusCode, b)
		}
	}
}

// An answer lists at most maxExchangeViolations violations and one more for the rest; an answer
// of more than maxListedValues values is checked to its first problem.
func TestViolationsOfOneAnswerAreBounded(t *testing.T) {
	many := `{"secrets": [` + strings.TrimSuffix(strings.Repeat("1,", maxExchangeViolations+10), ",") + `], "count": 0}`
	up := answering(t, http.StatusOK, many)
	p, srv, logs := newProxy(t, up.URL, Options{})
	send(t, "GET", srv.URL+"/v1/organizations/secrets", "")
	vs := p.Violations()
	if len(vs) != maxExchangeViolations+1 || vs[maxExchangeViolations].Rule != ruleTooMany || vs[0].Pointer != "/body/secrets/0" ||
		strings.Count(logs.String(), "contract violation") != maxExchangeViolations+1 {
		t.Errorf("%d violations, the last %+v", len(vs), vs[len(vs)-1])
	}
	// Two problems (secrets/N, count), among values that number maxListedValues, and then
	// one value more.
	strs := strings.Repeat(`"a",`, maxListedValues-6) // and 6 more: {, secrets, [, 1, count, "0"
	for extra, want := range map[string]int{"": 2, `"a",`: 1} {
		body := `{"secrets": [` + strs + extra + `1], "count": "0"}`
		if _, values := shape([]byte(body)); values != maxListedValues+len(extra)/4 {
			t.Fatalf("%d values", values)
		}
		up := answering(t, http.StatusOK, body)
		p, srv, _ := newProxy(t, up.URL, Options{})
		send(t, "GET", srv.URL+"/v1/organizations/secrets", "")
		if got := shown(p); len(got) != want {
			t.Errorf("%d values: %q, want %d problems", maxListedValues+len(extra)/4, got, want)
		}
	}
}

// The answer of strict mode is the proxy's own: JSON, without the upstream's headers.
func TestStrictAnswerCarriesNoUpstreamHeader(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("X-Echo", secretValue)
		_, _ = io.WriteString(w, `{"secrets": "none", "count": 0}`)
	}))
	t.Cleanup(up.Close)
	_, srv, _ := newProxy(t, up.URL, Options{Strict: true})
	resp := send(t, "GET", srv.URL+"/v1/organizations/secrets", "")
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusBadGateway ||
		resp.Header.Get("X-Echo") != "" || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("%d %v %v", resp.StatusCode, resp.Header, err)
	}
}

// An answer of more than maxAnswerValues values is one violation, too-many-values; one at the
// bound is checked as usual.
func TestTooLargeAnswers(t *testing.T) {
	for _, tc := range []struct {
		values int
		want   []string
	}{
		{maxAnswerValues, []string{"/body/count type"}},
		{maxAnswerValues + 1, []string{"/body " + ruleTooManyValues}},
	} {
		body := `{"secrets": [` + strings.Repeat(`"a",`, tc.values-6) + `"a"], "count": "0"}` // and {, secrets, [, count, "0"
		if _, values := shape([]byte(body)); values != tc.values {
			t.Fatalf("%d values, want %d", values, tc.values)
		}
		up := answering(t, http.StatusOK, body)
		p, srv, _ := newProxy(t, up.URL, Options{})
		send(t, "GET", srv.URL+"/v1/organizations/secrets", "")
		if got := shown(p); !slices.Equal(got, tc.want) {
			t.Errorf("%d values: %q, want %q", tc.values, got, tc.want)
		}
	}
}
