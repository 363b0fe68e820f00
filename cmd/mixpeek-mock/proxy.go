package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/proxy"
)

// runProxy is -proxy-to: a validating proxy until ctx ends, then a summary of the violations
// on stdout. It returns an error (exit code 1) when any was seen.
func runProxy(ctx context.Context, c config, log *slog.Logger, stdout io.Writer) error {
	upstream, _ := url.Parse(c.proxyTo) // parse checked it
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return usageError{fmt.Errorf("-addr: %w", err)}
	}
	p, err := proxy.New(proxy.Options{Upstream: upstream, Strict: c.proxyStrict, Header: c.proxyHeader,
		Timeout: c.proxyTimeout, Logger: log})
	if err != nil {
		ln.Close()
		return usageError{fmt.Errorf("-proxy-to: %w", err)}
	}
	base, allInterfaces, err := dialable(ln.Addr().String())
	if err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(stdout, "listening on %s\n", base)
	if allInterfaces {
		fmt.Fprintf(stdout, "bound to every interface (-addr %s): other machines reach it by this machine's address\n", c.addr)
	}
	mode := "answers passed on as they are"
	if c.proxyStrict {
		mode = "a non-conforming answer is replaced by a 502 (-proxy-strict)"
	}
	fmt.Fprintf(stdout, "proxying to %s: every request and answer checked against openapi.yaml; %s\n", upstream, mode)
	fmt.Fprintln(stdout, "the violations seen are listed at /_mock/violations (DELETE clears them), and summed up when the proxy stops")
	fmt.Fprintf(stdout, "try: curl -sS %s/_mock/violations\n", base)

	hs := &http.Server{Handler: p, ReadHeaderTimeout: min(10*time.Second, c.readTimeout), MaxHeaderBytes: maxHeaderBytes,
		ReadTimeout: c.readTimeout, WriteTimeout: max(c.writeTimeout, c.proxyTimeout+10*time.Second), IdleTimeout: c.idleTimeout}
	if err := serve(ctx, hs, limitListener(ln, c.maxConnections)); err != nil {
		return err
	}
	counts := p.Counts()
	fmt.Fprintf(stdout, "mixpeek-mock: stopped; %d contract violations seen\n", p.Total())
	for _, n := range counts {
		fmt.Fprintf(stdout, "  %5d  %s %s: %s\n", n.Count, n.Operation, n.Direction, n.Rule)
	}
	if p.Total() > 0 {
		return fmt.Errorf("%d contract violations seen through the proxy", p.Total())
	}
	return nil
}
