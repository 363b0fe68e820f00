package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

// usageError is a bad flag or setting: exit code 2.
type usageError struct{ error }

var errHelp = flag.ErrHelp

// config is what the flags and their environment mirrors set.
type config struct {
	addr, adminKey, adminEmail, logFormat string
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("mixpeek-mock", flag.ContinueOnError)
	// flag's own error report would repeat the one line exitCode prints; usage goes out
	// only for -help.
	fs.SetOutput(io.Discard)
	envOr := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c config
	fs.StringVar(&c.addr, "addr", envOr("MIXPEEK_MOCK_ADDR", "127.0.0.1:8080"), "listen address; port 0 picks a free port (env MIXPEEK_MOCK_ADDR)")
	// No environment default here: flag prints defaults in its usage, and a key must not be.
	fs.StringVar(&c.adminKey, "admin-key", "", "plaintext of the default organization's admin-key (env MIXPEEK_MOCK_ADMIN_KEY; default: the documented development key)")
	fs.StringVar(&c.adminEmail, "admin-email", envOr("MIXPEEK_MOCK_ADMIN_EMAIL", mockserver.DefaultAdminEmail), "owner of the default organization (env MIXPEEK_MOCK_ADMIN_EMAIL)")
	fs.StringVar(&c.logFormat, "log-format", envOr("MIXPEEK_MOCK_LOG_FORMAT", "text"), "log format on stderr: text or json (env MIXPEEK_MOCK_LOG_FORMAT)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: mixpeek-mock [flags]\n\nServes the Mixpeek organization secrets and API-key endpoints from memory.\nENCRYPTION_KEY: Fernet keys (url-safe base64, 32 bytes), comma-separated, newest first.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.Usage()
			return c, errHelp
		}
		return c, usageError{fmt.Errorf("%w (see -help)", err)}
	}
	if fs.NArg() > 0 {
		// Not echoed: a stray argument is often a value meant for a flag, a key included.
		return c, usageError{fmt.Errorf("unexpected positional argument (%d given): every setting is a flag, see -help", fs.NArg())}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["admin-key"] {
		c.adminKey = getenv("MIXPEEK_MOCK_ADMIN_KEY")
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return c, usageError{fmt.Errorf("-log-format must be text or json")}
	}
	if c.adminKey != "" && !mockserver.ValidKeyMaterial(c.adminKey) {
		return c, usageError{errors.New(`-admin-key must be "sk_" followed by at least 40 characters of A-Z a-z 0-9 _ -`)}
	}
	return c, nil
}

// run serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if c.logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	srv, err := mockserver.New(mockserver.Options{
		EncryptionKey:   getenv("ENCRYPTION_KEY"),
		AdminKey:        c.adminKey,
		AdminEmail:      c.adminEmail,
		Logger:          slog.New(handler),
		StrictResponses: true,
	})
	if err != nil {
		return usageError{err}
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return usageError{fmt.Errorf("listen: %w", err)}
	}
	base := "http://" + ln.Addr().String()
	printBanner(stdout, base, c)

	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	fmt.Fprintln(stdout, "mixpeek-mock: stopped")
	return nil
}

// printBanner tells how to authenticate. It shows the development key, which is public; a key
// given with -admin-key is the user's own and is not printed.
func printBanner(w io.Writer, base string, c config) {
	fmt.Fprintf(w, "listening on %s\n", base)
	fmt.Fprintf(w, "organization owner: %s\n", c.adminEmail)
	key := mockserver.DevAdminKey
	if c.adminKey != "" {
		fmt.Fprintln(w, "admin key: the one given with -admin-key / MIXPEEK_MOCK_ADMIN_KEY (not printed)")
		key = "$MIXPEEK_MOCK_ADMIN_KEY"
	} else {
		fmt.Fprintf(w, "admin key (development only, documented): %s\n", key)
	}
	fmt.Fprintf(w, "try: curl -s -H \"Authorization: Bearer %s\" %s/v1/organizations/secrets\n", key, base)
}
