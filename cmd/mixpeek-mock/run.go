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
	"net/url"
	"strings"
	"time"

	"github.com/fernet/fernet-go"

	"github.com/mixpeekkit/mixpeekkit/internal/keyring"
	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"

	"github.com/mixpeekkit/mixpeekkit/internal/rules"

	"github.com/mixpeekkit/mixpeekkit/internal/determinism"

	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/internal/cli"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

// usageError is a bad flag or setting: exit code 2.
type usageError struct{ error }

var errHelp = flag.ErrHelp

// config is what the flags and their environment mirrors set.
type config struct {
	addr, adminKey, adminEmail, logFormat, fixtures, controlToken string
	journalSize, maxConnections, maxTenants, recordingBytes       int
	allowHosts                                                    string
	readTimeout, writeTimeout, idleTimeout                        time.Duration
	proxyTo                                                       string
	proxyStrict, proxyHeader, noRecording                         bool
	proxyTimeout                                                  time.Duration
	seed                                                          int64
	seedSet                                                       bool
	clock                                                         string
	randomEncryptionKey                                           bool // no ENCRYPTION_KEY: one of this process
}

// mirrors pairs each flag with its environment variable.
var mirrors = []cli.Mirror{
	{Flag: "addr", Env: "MIXPEEK_MOCK_ADDR"},
	{Flag: "admin-key", Env: "MIXPEEK_MOCK_ADMIN_KEY"},
	{Flag: "admin-email", Env: "MIXPEEK_MOCK_ADMIN_EMAIL"},
	{Flag: "log-format", Env: "MIXPEEK_MOCK_LOG_FORMAT"},
	{Flag: "fixtures", Env: "MIXPEEK_MOCK_FIXTURES"},
	{Flag: "journal-size", Env: "MIXPEEK_MOCK_JOURNAL_SIZE"},
	{Flag: "recording-bytes", Env: "MIXPEEK_MOCK_RECORDING_BYTES"},
	{Flag: "max-tenants", Env: "MIXPEEK_MOCK_MAX_TENANTS"},
	{Flag: "allow-host", Env: "MIXPEEK_MOCK_ALLOW_HOST"},
	{Flag: "no-recording", Env: "MIXPEEK_MOCK_NO_RECORDING"},
	{Flag: "seed", Env: "MIXPEEK_MOCK_SEED"},
	{Flag: "clock", Env: "MIXPEEK_MOCK_CLOCK"},
	{Flag: "control-token", Env: "MIXPEEK_MOCK_CONTROL_TOKEN"},
	{Flag: "read-timeout", Env: "MIXPEEK_MOCK_READ_TIMEOUT"},
	{Flag: "write-timeout", Env: "MIXPEEK_MOCK_WRITE_TIMEOUT"},
	{Flag: "idle-timeout", Env: "MIXPEEK_MOCK_IDLE_TIMEOUT"},
	{Flag: "max-connections", Env: "MIXPEEK_MOCK_MAX_CONNECTIONS"},
	{Flag: "proxy-to", Env: "MIXPEEK_MOCK_PROXY_TO"},
	{Flag: "proxy-strict", Env: "MIXPEEK_MOCK_PROXY_STRICT"},
	{Flag: "proxy-header", Env: "MIXPEEK_MOCK_PROXY_HEADER"},
	{Flag: "proxy-timeout", Env: "MIXPEEK_MOCK_PROXY_TIMEOUT"},
}

func parse(args []string, getenv func(string) string, stdout io.Writer) (config, error) {
	fs := flag.NewFlagSet("mixpeek-mock", flag.ContinueOnError)
	def, err := fixtures.Default()
	if err != nil {
		return config{}, err
	}
	c := config{addr: "127.0.0.1:8080", adminEmail: def.Organizations[0].OwnerEmail(), logFormat: "text", journalSize: mockserver.DefaultJournalSize,
		readTimeout: 30 * time.Second, writeTimeout: 90 * time.Second, idleTimeout: 60 * time.Second, maxConnections: 512,
		maxTenants: mockserver.DefaultMaxTenants, recordingBytes: mockserver.DefaultRecordingBytes}
	// No environment value becomes a flag default: flag prints defaults, and keys must not be.
	fs.StringVar(&c.addr, "addr", c.addr, "listen address; port 0 picks a free port")
	fs.StringVar(&c.adminKey, "admin-key", "", "plaintext of the default organization's admin-key (default: the documented development key)")
	fs.StringVar(&c.adminEmail, "admin-email", c.adminEmail, "owner of the default organization")
	fs.StringVar(&c.logFormat, "log-format", c.logFormat, "log format on stderr: text or json")
	fs.StringVar(&c.fixtures, "fixtures", "", "seed data file (JSON or YAML) instead of the default organization")
	fs.IntVar(&c.journalSize, "journal-size", c.journalSize, "how many requests the journal (/_mock/requests) keeps")
	fs.IntVar(&c.recordingBytes, "recording-bytes", c.recordingBytes, "bytes of JSON each organization's recording keeps; the call that would go past them ends it")
	fs.IntVar(&c.maxTenants, "max-tenants", c.maxTenants, "how many organizations POST /_mock/orgs may create and hold at once")
	fs.StringVar(&c.allowHosts, "allow-host", "", "host names, comma-separated, under which the control API answers besides IP literals and localhost (a CI service name such as mock)")
	fs.BoolVar(&c.noRecording, "no-recording", false, "do not record each organization's calls (GET /_mock/recording, for mixpeek-conformance replay)")
	fs.Int64Var(&c.seed, "seed", 0, "make IDs and keys repeatable: the same seed and the same requests give the same answers (test use only: the keys are predictable)")
	fs.StringVar(&c.clock, "clock", "", "start the mock's clock at this RFC 3339 instant (frozen:INSTANT keeps it still until moved by POST /_mock/clock)")
	fs.StringVar(&c.controlToken, "control-token", "", "protect the control API: /_mock/ then needs Authorization: Bearer <token>")
	fs.DurationVar(&c.readTimeout, "read-timeout", c.readTimeout, "longest time to read a request, body included (headers: 10s at most)")
	fs.DurationVar(&c.writeTimeout, "write-timeout", c.writeTimeout, "longest time from the end of a request's headers to the end of its answer (fault latencies add up to 1m at most)")
	fs.DurationVar(&c.idleTimeout, "idle-timeout", c.idleTimeout, "how long an idle keep-alive connection stays open")
	fs.IntVar(&c.maxConnections, "max-connections", c.maxConnections, "connections served at once; more wait to be accepted")
	fs.StringVar(&c.proxyTo, "proxy-to", "", "be a validating proxy instead of a mock: forward every request to this URL and check both ways against the contract")
	fs.BoolVar(&c.proxyStrict, "proxy-strict", false, "with -proxy-to: answer 502 with the violations instead of a non-conforming answer")
	fs.BoolVar(&c.proxyHeader, "proxy-header", false, "with -proxy-to: add X-Mixpeek-Violations (the number found) to every answer")
	fs.DurationVar(&c.proxyTimeout, "proxy-timeout", 30*time.Second, "with -proxy-to: how long to wait for the upstream's answer (then 504)")
	intro := "Usage: mixpeek-mock [flags]\n       mixpeek-mock health [-addr HOST:PORT]   (exit 0 when the mock there is healthy)\n\nServes the Mixpeek organization secrets and API-key endpoints from memory.\nENCRYPTION_KEY: Fernet keys (url-safe base64, 32 bytes), comma-separated, newest first."
	set, err := cli.Parse(fs, intro, mirrors, args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return c, errHelp
	}
	if err != nil {
		return c, usageError{err}
	}
	c.seedSet = set["seed"]
	if c.clock != "" {
		if _, err := determinism.ParseClock(c.clock, time.Now); err != nil {
			return c, usageError{fmt.Errorf("-clock: %w", err)}
		}
	}
	switch {
	case c.logFormat != "text" && c.logFormat != "json":
		return c, usageError{fmt.Errorf("-log-format must be text or json")}
	case !rules.IsEmail(c.adminEmail):
		// An email is not a secret: repeating it shows the user what was read.
		return c, usageError{fmt.Errorf("-admin-email: %q is not an email address", c.adminEmail)}
	case c.adminKey != "" && !sensitive.IsKey(c.adminKey):
		return c, usageError{errors.New("-admin-key must be " + sensitive.KeyRule)}
	case c.fixtures != "" && (set["admin-key"] || set["admin-email"]):
		return c, usageError{errors.New("-admin-key and -admin-email set the default organization: with -fixtures, put them in the file")}
	case c.journalSize < 1:
		return c, usageError{errors.New("-journal-size must be at least 1")}
	case c.recordingBytes < 1 || c.recordingBytes > recfmt.MaxCallBytes:
		return c, usageError{fmt.Errorf("-recording-bytes must be from 1 to %d (16 MiB)", recfmt.MaxCallBytes)}
	case c.maxTenants < 1:
		return c, usageError{errors.New("-max-tenants must be at least 1")}
	case c.readTimeout <= 0 || c.writeTimeout <= 0 || c.idleTimeout <= 0:
		return c, usageError{errors.New("-read-timeout, -write-timeout and -idle-timeout must be positive")}
	case c.maxConnections < 1:
		return c, usageError{errors.New("-max-connections must be at least 1")}
	case c.proxyTo == "" && (set["proxy-strict"] || set["proxy-header"] || set["proxy-timeout"]):
		return c, usageError{errors.New("-proxy-strict, -proxy-header and -proxy-timeout go with -proxy-to")}
	case c.proxyTo != "" && (set["fixtures"] || set["admin-key"] || set["admin-email"] || set["journal-size"] || set["control-token"] || set["no-recording"] || set["seed"] || set["clock"] ||
		set["recording-bytes"] || set["max-tenants"] || set["allow-host"]):
		return c, usageError{errors.New("-proxy-to forwards to a real server: -fixtures, -admin-key, -admin-email, -journal-size, -recording-bytes, -max-tenants, -allow-host, -no-recording, -seed, -clock and -control-token are the mock's")}
	case c.proxyTimeout <= 0:
		return c, usageError{errors.New("-proxy-timeout must be positive")}
	}
	if c.proxyTo != "" {
		u, err := url.Parse(c.proxyTo)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return c, usageError{errors.New("-proxy-to must be an http or https URL with a host, and no user, query or fragment, such as https://api.mixpeek.com")}
		}
	}
	return c, nil
}

// seed is the data the command serves: the fixture file (returned too, to place the mock's
// errors in it), or the embedded default data set with -admin-key and -admin-email applied to
// its owner's admin-key.
func seed(c config) (fixtures.Seed, *fixtures.File, error) {
	if c.fixtures != "" {
		f, err := fixtures.LoadFile(c.fixtures)
		if err != nil {
			return fixtures.Seed{}, nil, err
		}
		return f.Seed, f, nil
	}
	s, err := fixtures.Default()
	if err != nil {
		return s, nil, err
	}
	s.Organizations[0] = s.Organizations[0].WithOwner(c.adminEmail, c.adminKey)
	return s, nil, nil
}

// startError words a refusal of mockserver.New in the user's terms: a problem of the data at
// its place in the fixture file, or as the -admin-key and -admin-email it came from.
func startError(err error, file *fixtures.File) error {
	var p *rules.Problem
	switch {
	case !errors.As(err, &p):
		return err
	case file != nil:
		return file.Locate(p)
	}
	return fmt.Errorf("-admin-key/-admin-email: %w", p)
}

// repeatable is the source of IDs and the clock of -seed and -clock, or of the fixture file's
// mock settings when the flags do not set them (nil: crypto/rand, the real clock).
func repeatable(c config, file *fixtures.File) (mockserver.Options, error) {
	var o mockserver.Options
	seed, seedSet, clock, where := c.seed, c.seedSet, c.clock, "-clock"
	if file != nil {
		if !seedSet && file.Mock.Seed != nil {
			seed, seedSet = *file.Mock.Seed, true
		}
		if clock == "" && file.Mock.Clock != "" {
			clock, where = file.Mock.Clock, c.fixtures+": mock.clock"
		}
	}
	if seedSet {
		o.Rand = determinism.Rand(seed)
	}
	if clock != "" {
		f, err := determinism.ParseClock(clock, time.Now)
		if err != nil {
			return o, fmt.Errorf("%s: %w", where, err)
		}
		o.Clock = f
	}
	return o, nil
}

// run serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "health" {
		return health(ctx, args[1:], getenv, stdout)
	}
	c, err := parse(args, getenv, stdout)
	if err != nil {
		return err
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if c.logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	if c.proxyTo != "" {
		return runProxy(ctx, c, slog.New(handler), stdout)
	}
	data, file, err := seed(c)
	if err != nil {
		return usageError{err}
	}
	// Listen first: every refusal (the address, the key, the data) is then the one line on
	// stderr, with nothing logged before it.
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return usageError{fmt.Errorf("-addr: %w", err)}
	}
	opts, err := repeatable(c, file)
	if err != nil {
		ln.Close()
		return usageError{err}
	}
	encryptionKey := getenv("ENCRYPTION_KEY")
	if encryptionKey != "" {
		if _, err := keyring.Parse(encryptionKey); err != nil {
			ln.Close()
			return usageError{fmt.Errorf("ENCRYPTION_KEY: %w", err)}
		}
	} else {
		// A key of this process, which the banner announces (the library would warn in the log).
		var k fernet.Key
		if err := k.Generate(); err != nil {
			ln.Close()
			return err
		}
		encryptionKey = k.Encode()
		c.randomEncryptionKey = true
	}
	srv, err := mockserver.New(mockserver.Options{
		Rand:             opts.Rand,
		Clock:            opts.Clock,
		EncryptionKey:    encryptionKey,
		Seed:             data,
		Logger:           slog.New(handler),
		StrictResponses:  true,
		JournalSize:      c.journalSize,
		DisableRecording: c.noRecording,
		ControlToken:     c.controlToken,
		RecordingBytes:   c.recordingBytes,
		MaxTenants:       c.maxTenants,
		AllowedHosts:     hostList(c.allowHosts),
	})
	if err != nil {
		ln.Close()
		return usageError{startError(err, file)}
	}
	base, allInterfaces, err := dialable(ln.Addr().String())
	if err != nil {
		ln.Close()
		return err
	}
	printBanner(stdout, base, allInterfaces, c, data, srv.Organizations())

	// Time-outs and a cap on connections: a slow or idle client cannot hold the mock's
	// connections, nor its file descriptors, for ever.
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: min(10*time.Second, c.readTimeout), MaxHeaderBytes: maxHeaderBytes,
		ReadTimeout: c.readTimeout, WriteTimeout: c.writeTimeout, IdleTimeout: c.idleTimeout}
	hs.RegisterOnShutdown(srv.EndLatencies) // fault latencies in flight end at once
	if err := serve(ctx, hs, limitListener(ln, c.maxConnections)); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "mixpeek-mock: stopped")
	return nil
}

// serve serves ln until ctx ends, then shuts hs down gracefully (10 s at most).
func serve(ctx context.Context, hs *http.Server, ln net.Listener) error {
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
	return nil
}

// dialable is the base URL a client on this machine can use for a listen address (host:port):
// an address of every interface (0.0.0.0, ::, or no host) is not one to dial, 127.0.0.1 is.
// It says whether that was the case. The banner and the health check both use it.
func dialable(addr string) (string, bool, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", false, err
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return "http://" + net.JoinHostPort("127.0.0.1", port), true, nil
	}
	return "http://" + net.JoinHostPort(host, port), false, nil
}

// printBanner tells how to authenticate, and ends with a try: line that works as printed. It
// shows the development key (the default data set's), which is public; any other key (given
// with -admin-key or in a fixture file) is the user's own and is not printed: the try: line
// then asks the open health endpoint, and the line before it shows where the key goes.
func printBanner(w io.Writer, base string, allInterfaces bool, c config, data fixtures.Seed, orgs []mockserver.Organization) {
	fmt.Fprintf(w, "listening on %s\n", base)
	if allInterfaces {
		fmt.Fprintf(w, "bound to every interface (-addr %s): other machines reach it by this machine's address\n", c.addr)
	}
	devKey := ""
	if def, err := fixtures.Default(); err == nil {
		devKey = def.Organizations[0].AdminKey()
	}
	shown := ""
	for i, o := range orgs {
		if i == 0 {
			fmt.Fprintf(w, "organization owner: %s\n", o.OwnerEmail)
		} else {
			fmt.Fprintf(w, "organization %q (%s) owner: %s\n", o.Name, o.ID, o.OwnerEmail)
		}
		for _, u := range data.Organizations[i].Users {
			for _, k := range u.Keys {
				if k.Plaintext == devKey && devKey != "" && shown == "" {
					shown = k.Plaintext
				}
			}
		}
	}
	if c.controlToken != "" {
		fmt.Fprintln(w, "control API: /_mock/ needs the control token (not printed); /_mock/health is open")
	}
	if c.randomEncryptionKey {
		fmt.Fprintln(w, "encryption: a random key of this process (set ENCRYPTION_KEY to read the stored tokens after it ends)")
	}
	secrets := base + "/v1/organizations/secrets"
	switch {
	case shown != "":
		fmt.Fprintf(w, "admin key (development only, documented): %s\n", shown)
		fmt.Fprintf(w, "try: curl -s -H \"Authorization: Bearer %s\" %s\n", shown, secrets)
		return
	case c.fixtures != "":
		fmt.Fprintf(w, "admin keys: those of the fixture file (not printed); with one: curl -s -H \"Authorization: Bearer <key>\" %s\n", secrets)
	default:
		fmt.Fprintf(w, "admin key: the one given with -admin-key / MIXPEEK_MOCK_ADMIN_KEY (not printed); with it: curl -s -H \"Authorization: Bearer <key>\" %s\n", secrets)
	}
	fmt.Fprintf(w, "try: curl -s %s/_mock/health\n", base)
}

// maxHeaderBytes bounds a request's line and headers (Go's server answers 431 past it): the
// contract's requests need a few hundred bytes, and a request line of Go's default megabyte
// costs tens of megabytes to route, journal and check.
const maxHeaderBytes = 64 << 10

// hostList reads -allow-host: names separated by commas, spaces ignored.
func hostList(s string) []string {
	var out []string
	for _, h := range strings.Split(s, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}
