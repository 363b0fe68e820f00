package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

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
