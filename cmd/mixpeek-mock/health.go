package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/cli"
)

// health is `mixpeek-mock health`: it asks a running mock for GET /_mock/health and succeeds
// when the mock answers {"status":"ok"}. It is the container image's health check, which has
// no curl: it needs nothing but this binary.
func health(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("mixpeek-mock health", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "the mock's listen address (an address of every interface, 0.0.0.0 or [::], is asked at 127.0.0.1)")
	timeout := fs.Duration("timeout", 2*time.Second, "how long to wait for the answer")
	intro := "Usage: mixpeek-mock health [-addr HOST:PORT]\n\nExits 0 when the mock at -addr answers GET /_mock/health with {\"status\":\"ok\"}, 1 otherwise."
	if _, err := cli.Parse(fs, intro, []cli.Mirror{{Flag: "addr", Env: "MIXPEEK_MOCK_ADDR"}}, args, getenv, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err}
	}
	base, _, err := dialable(*addr)
	if err != nil {
		return usageError{fmt.Errorf("-addr: %w", err)}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	url := base + "/_mock/health"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usageError{err}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<10)).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.Status != "ok" {
		return fmt.Errorf("health: %s answered %d, not {\"status\":\"ok\"}", url, resp.StatusCode)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
