// Command mixpeek-mock serves the Mixpeek organization secrets and API-key endpoints from
// memory, refusing every request that breaks openapi.yaml.
//
//	mixpeek-mock [-addr 127.0.0.1:8080] [-admin-key sk_...] [-admin-email admin@example.com]
//	             [-fixtures FILE] [-journal-size N] [-control-token T] [-log-format text|json]
//
// Every flag has an environment mirror (MIXPEEK_MOCK_ADDR, ...); ENCRYPTION_KEY holds the
// Fernet key ring. Exit codes: 0 after a clean shutdown, 1 when serving fails, 2 on bad
// flags, a bad fixture file, a bad encryption key or an address it cannot listen on.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal stops gracefully; a second one ends the process at once.
	go func() { <-ctx.Done(); stop() }()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err on one line and maps it to the exit code.
func exitCode(err error, stderr io.Writer) int {
	var usage usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	case errors.As(err, &usage):
		// An error may repeat a value given where another was expected (a key as -admin-email).
		fmt.Fprintln(stderr, "mixpeek-mock:", sensitive.RedactKeys(err.Error()))
		return 2
	default:
		fmt.Fprintln(stderr, "mixpeek-mock:", sensitive.RedactKeys(err.Error()))
		return 1
	}
}
