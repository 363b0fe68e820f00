// Command mixpeek-conformance checks a server of the Mixpeek organization secrets and API-key
// endpoints (staging, production, or a fake) against the contract, check by check.
//
//	mixpeek-conformance -base-url https://staging.example -api-key sk_... -user-email you@example.com
//
// With -explore N it also walks N random operations against a model of the run's secrets and
// keys (-seed repeats a walk), and shrinks a failing walk to the few steps that show the bug,
// as curl commands. -rate paces every request of a run: 10 per second by default.
//
// Subcommands: replay (a consumer's recording against a server), sweep (what runs left under
// a prefix) and spec-diff (openapi.yaml against the upstream document).
//
// Every flag has an environment mirror (MIXPEEK_BASE_URL, MIXPEEK_API_KEY, ...). Exit codes: 0
// when every check passes, 1 when any fails (or something could not be cleaned up), 2 on usage
// or connection errors.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal stops gracefully; a second one ends the process at once.
	go func() { <-ctx.Done(); stop() }()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
