// Package mockservertest gives each Go test its own running mock: one call, an isolated
// server on a loopback port, closed by t.Cleanup, with its URL, the admin key, the owner's
// email and a ready *http.Client. The embedded *mockserver.Server gives every inspection and
// control method (SecretValue, APIKeys, Requests, AddFault, AdvanceClock...).
//
//	func TestMyClient(t *testing.T) {
//		mock := mockservertest.NewServer(t)
//		client := mypkg.New(mock.URL, mock.AdminKey)
//		... exercise client ...
//		got, err := mock.SecretValue(mock.OrganizationID, "stripe_api_key")
//	}
//
// Every answer is checked against openapi.yaml (strict mode): an answer that breaks the
// contract comes back as a 500 naming the violation.
package mockservertest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit/fixtures"
	"github.com/mixpeekkit/mixpeekkit/internal/determinism"

	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

// Server is a running mock.
type Server struct {
	*mockserver.Server
	// URL is the base URL, e.g. http://127.0.0.1:54321.
	URL string
	// AdminKey is the plaintext admin-key of the first organization.
	AdminKey string
	// OwnerEmail is the owner of that key.
	OwnerEmail string
	// OrganizationID is the first organization's ID.
	OrganizationID string

	ts      *httptest.Server
	wrapMu  sync.Mutex // one Wrap at a time: each wraps what the last one left
	handler atomic.Pointer[http.Handler]
}

// NewServer starts a mock of the default organization for the test, and closes it when the
// test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	return NewServerWithOptions(t, mockserver.Options{})
}

// NewServerWithOptions starts a mock configured by opts for the test, and closes it when the
// test ends. Its answers are always checked against openapi.yaml (opts.StrictResponses is
// set), and without an EncryptionKey it uses a fixed one (a test's mock needs no secrecy).
func NewServerWithOptions(t testing.TB, opts mockserver.Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("mockservertest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a mock outside a test (examples, tools), as NewServerWithOptions does. Close it
// when done.
func Start(opts mockserver.Options) (*Server, error) {
	opts.StrictResponses = true
	if opts.EncryptionKey == "" {
		// A fixed key: a random one would log a warning.
		opts.EncryptionKey = deterministicKey
	}
	if len(opts.Seed.Organizations) == 0 {
		seed, err := fixtures.Default()
		if err != nil {
			return nil, err
		}
		opts.Seed = seed
	}
	first := opts.Seed.Organizations[0]
	if first.AdminKey() == "" {
		return nil, errors.New("the seed's first organization has no live admin-key with a plaintext key")
	}
	srv, err := mockserver.New(opts)
	if err != nil {
		return nil, err
	}
	s := &Server{Server: srv, AdminKey: first.AdminKey(), OwnerEmail: first.OwnerEmail()}
	s.OrganizationID = srv.Organizations()[0].ID
	var h http.Handler = srv
	s.handler.Store(&h)
	s.ts = httptest.NewServer(s)
	s.URL = s.ts.URL
	return s, nil
}

// ServeHTTP serves a request as the server at URL does: through the middleware of Wrap, then
// the mock.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.handler.Load()).ServeHTTP(w, r)
}

// Wrap puts middleware around the handler that serves the requests from now on (around any
// middleware wrapped before), at URL and through ServeHTTP alike: to record, delay or alter
// what passes between the code under test and the mock.
func (s *Server) Wrap(middleware func(http.Handler) http.Handler) {
	s.wrapMu.Lock()
	defer s.wrapMu.Unlock()
	h := middleware(*s.handler.Load())
	s.handler.Store(&h)
}

// writeRecording writes the recording of the first organization's calls (docs/recording.md)
// to path, creating its directory: the file mixpeek-conformance replay -recording reads.
func (s *Server) writeRecording(path string) error {
	rec, err := s.Recording(s.OrganizationID)
	if err != nil {
		return err
	}
	data, err := rec.Marshal()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// RecordTo writes the recording of the first organization's calls to path when the test
// ends, unless it failed (a failed test's calls are no contract to replay); a recording that
// cannot be written fails the test. Commit the file beside the test: the same calls write the
// same bytes, so a diff shows what the consumer's use of the API changed.
func (s *Server) RecordTo(t testing.TB, path string) {
	t.Helper()
	t.Cleanup(func() {
		if t.Failed() || t.Skipped() {
			return
		}
		if err := s.writeRecording(path); err != nil {
			t.Errorf("mockservertest: writing the recording: %v", err)
		}
	})
}

// Close stops the server and waits for requests in flight, whose fault latencies end at once.
func (s *Server) Close() {
	s.EndLatencies()
	s.ts.Close()
}

// Client is an *http.Client that sends key (mock.AdminKey, or a key of the fixtures) with
// every request that has no Authorization header of its own.
func (s *Server) Client(key string) *http.Client {
	return &http.Client{Transport: &bearer{key: key, next: s.ts.Client().Transport}}
}

type bearer struct {
	key  string
	next http.RoundTripper
}

func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.key)
	}
	return b.next.RoundTrip(r)
}

// deterministicKey is the encryption key of a deterministic mock, and of any mock given none:
// the Fernet specification's test key.
const deterministicKey = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="

// Deterministic returns options under which the same requests get the same answers, byte for
// byte, in every run: the clock stands at 2026-01-01T00:00:00Z until moved (AdvanceClock,
// SetClock), IDs and keys come from a source seeded with seed, and the encryption key is
// fixed. Set Seed (the data) and the other fields on the result as needed.
func Deterministic(seed int64) mockserver.Options {
	return mockserver.Options{
		Clock:         determinism.Frozen(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		Rand:          determinism.Rand(seed),
		EncryptionKey: deterministicKey,
	}
}
