package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The time-outs and the cap are read from flags and their environment mirrors.
func TestTimeoutFlags(t *testing.T) {
	c, err := parse([]string{"-read-timeout", "2s", "-write-timeout", "3m"}, envMap(map[string]string{
		"MIXPEEK_MOCK_IDLE_TIMEOUT": "4s", "MIXPEEK_MOCK_MAX_CONNECTIONS": "7"}), io.Discard)
	if err != nil || c.readTimeout != 2*time.Second || c.writeTimeout != 3*time.Minute || c.idleTimeout != 4*time.Second || c.maxConnections != 7 {
		t.Errorf("parse = %+v, %v", c, err)
	}
}

// A client that trickles a body, or keeps an idle connection, loses it to the time-outs; the
// mock goes on answering.
func TestSlowAndIdleConnectionsAreClosed(t *testing.T) {
	in := start(t, []string{"-addr", "127.0.0.1:0", "-read-timeout", "300ms", "-idle-timeout", "300ms"}, nil)
	host := strings.TrimPrefix(in.base, "http://")

	slow, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "POST /v1/organizations/secrets HTTP/1.1\r\nHost: mock\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	idle, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "GET /_mock/health HTTP/1.1\r\nHost: mock\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("health on the idle connection: %v %v", resp, err)
	}
	resp.Body.Close()
	for name, c := range map[string]net.Conn{"slow": slow, "idle": idle} {
		_ = c.SetReadDeadline(time.Now().Add(guard)) // a bound, not a measurement
		if _, err := io.ReadAll(c); err != nil {
			t.Errorf("the %s connection was not closed by the mock: %v", name, err)
		}
	}
	if status, _ := in.get(t, "/_mock/health", ""); status != http.StatusOK {
		t.Errorf("health after: %d", status)
	}
}

// At most n connections are served at once; the next is accepted once one of them closes.
func TestLimitListener(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := limitListener(raw, 2)
	defer l.Close()
	for range 3 {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first, _ := l.Accept()
	if _, err := l.Accept(); err != nil {
		t.Fatal(err)
	}
	third := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		third <- c
	}()
	select {
	case <-third:
		t.Fatal("a third connection was accepted while two were open")
	case <-time.After(50 * time.Millisecond): // a window to catch a wrong accept, not a measurement
	}
	first.Close()
	first.Close() // a second close gives no second slot back
	if c := <-third; c == nil {
		t.Fatal("no third connection after the first closed")
	}
	l.Close()
	if _, err := l.Accept(); err == nil {
		t.Error("Accept after Close")
	}
}

// A value given where another was expected (a key as -admin-email) is never printed whole.
func TestFlagErrorsHideKeys(t *testing.T) {
	key := "sk_CANARY" + strings.Repeat("k", 30)
	for _, args := range [][]string{{"-admin-email", key}, {"-addr", key}, {"-fixtures", "/x/" + key}} {
		var stderr bytes.Buffer
		err := run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard)
		exitCode(err, &stderr)
		if stderr.Len() == 0 || strings.Contains(stderr.String(), key) {
			t.Errorf("%v: %q", args, stderr.String())
		}
	}
}

// The mock's server reads at most 64 KiB of request line and headers.
func TestRequestLinesAreBounded(t *testing.T) {
	in := start(t, []string{"-addr", "127.0.0.1:0"}, nil)
	req, _ := http.NewRequest("GET", in.base+"/v1/organizations/secrets?"+strings.Repeat("a", 70<<10), nil)
	resp, err := in.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a 70 KiB request line: %d", resp.StatusCode)
	}
}
