// Package mockservertest gives each Go test its own running mock: one call, an isolated
// server on a loopback port, closed by t.Cleanup, with its URL, the admin key, the owner's
// email, a ready *http.Client, and helpers to inspect what the code under test stored.
//
//	func TestMyClient(t *testing.T) {
//		mock := mockservertest.NewServer(t)
//		client := mypkg.New(mock.URL, mock.AdminKey)
//		... exercise client ...
//		if got := mock.SecretValue(t, "stripe_api_key"); got != "sk_test_1" { ... }
//	}
//
// Every answer is checked against openapi.yaml (strict mode): an answer that breaks the
// contract comes back as a 500 naming the violation.
package mockservertest

import (
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit/mockserver"
)

// Server is a running mock. The embedded *mockserver.Server gives the rest of the inspection
// and control: State, Requests, AddFault, AdvanceClock, CreateOrganization, Reset...
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

	ts *httptest.Server
}

// Option adjusts a server before it starts.
type Option func(*mockserver.Options)

// WithSeed serves the given data (from package fixtures: a file, the builders) instead of the
// default organization. Its first organization's admin-key must have a plaintext.
func WithSeed(seed mockserver.Seed) Option {
	return func(o *mockserver.Options) { o.Seed = &seed }
}

// WithClock sets the mock's clock.
func WithClock(now func() time.Time) Option {
	return func(o *mockserver.Options) { o.Clock = now }
}

// DeterministicTime is the time of a Deterministic server's fixed clock.
var DeterministicTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// DeterministicEncryptionKey is the encryption key of a Deterministic server (the Fernet
// specification's test key).
const DeterministicEncryptionKey = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="

// Deterministic fixes the clock at DeterministicTime (move it with AdvanceClock), seeds IDs
// and keys from seed, and fixes the encryption key: the same requests get the same answers,
// byte for byte, in every run.
func Deterministic(seed int64) Option {
	return func(o *mockserver.Options) {
		o.Clock = func() time.Time { return DeterministicTime }
		o.Rand = &lockedReader{r: rand.New(rand.NewSource(seed))}
		o.EncryptionKey = DeterministicEncryptionKey
	}
}

// WithFaults installs faults from the start (see mockserver.FaultSpec); AddFault adds more.
func WithFaults(specs ...mockserver.FaultSpec) Option {
	return func(o *mockserver.Options) { o.Faults = append(o.Faults, specs...) }
}

// WithOptions changes any option of the mock (journal size, logger, encryption key...).
func WithOptions(change func(*mockserver.Options)) Option { return Option(change) }

// NewServer starts a mock for the test and closes it when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("mockservertest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a mock outside a test (examples, tools). Close it when done.
func Start(opts ...Option) (*Server, error) {
	o := mockserver.Options{StrictResponses: true}
	for _, f := range opts {
		f(&o)
	}
	if o.EncryptionKey == "" {
		// A fixed key: a test's mock needs no secrecy, and a random one would log a warning.
		o.EncryptionKey = DeterministicEncryptionKey
	}
	srv, err := mockserver.New(o)
	if err != nil {
		return nil, err
	}
	s := &Server{Server: srv}
	orgs := srv.Organizations()
	s.OrganizationID, s.OwnerEmail = orgs[0].ID, orgs[0].OwnerEmail
	s.AdminKey = mockserver.DevAdminKey
	if o.Seed != nil {
		s.AdminKey = ""
		for _, u := range o.Seed.Organizations[0].Users {
			for _, k := range u.Keys {
				if k.Name == "admin-key" && k.Status != "revoked" && s.AdminKey == "" {
					s.AdminKey = k.Key
				}
			}
		}
		if s.AdminKey == "" {
			return nil, errors.New("the seed's first organization has no admin-key with a plaintext key")
		}
	} else if o.AdminKey != "" {
		s.AdminKey = o.AdminKey
	}
	s.ts = httptest.NewServer(srv)
	s.URL = s.ts.URL
	return s, nil
}

// Close stops the server and waits for requests in flight.
func (s *Server) Close() { s.ts.Close() }

// Client is an *http.Client that sends the admin key with every request that has no
// Authorization header of its own.
func (s *Server) Client() *http.Client { return s.ClientWithKey(s.AdminKey) }

// ClientWithKey is an *http.Client that sends key with every request that has no
// Authorization header of its own.
func (s *Server) ClientWithKey(key string) *http.Client {
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

// SecretValue is the decrypted value of a secret of the first organization: the only place a
// stored value can be read. It fails the test when there is no such secret.
func (s *Server) SecretValue(t testing.TB, name string) string {
	t.Helper()
	v, err := s.Server.SecretValue(s.OrganizationID, name)
	if err != nil {
		t.Fatalf("mockservertest: secret %q: %v", name, err)
	}
	return v
}

// Keys lists the current API keys of a user of the first organization, revoked ones
// included, with their status.
func (s *Server) Keys(email string) []mockserver.APIKey {
	for _, o := range s.State().Organizations {
		if o.ID != s.OrganizationID {
			continue
		}
		for _, u := range o.Users {
			if strings.EqualFold(u.Email, email) {
				return u.APIKeys
			}
		}
	}
	return nil
}

// Journal lists the requests the mock received (secret values and keys redacted), oldest first.
func (s *Server) Journal() []mockserver.JournalEntry {
	return s.Requests(mockserver.JournalFilter{})
}

// Describe is a one-line summary, for test logs.
func (s *Server) Describe() string {
	return fmt.Sprintf("mock at %s (organization %s, owner %s)", s.URL, s.OrganizationID, s.OwnerEmail)
}

type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}
