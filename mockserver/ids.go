package mockserver

import (
	"fmt"
	"io"
	"sync"

	"github.com/mixpeekkit/mixpeekkit/internal/randtext"
)

const alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// idGen makes identifiers, and is the random source of key material, from one source. The
// source may be a seeded, non-thread-safe reader (deterministic tests), so every read holds
// the lock.
type idGen struct {
	mu  sync.Mutex
	src io.Reader
}

// Read fills p from the source, whole or not at all.
func (g *idGen) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, err := io.ReadFull(g.src, p); err != nil {
		return 0, fmt.Errorf("random source: %w", err)
	}
	return len(p), nil
}

// alnum returns prefix followed by n characters from [A-Za-z0-9], unbiased.
func (g *idGen) alnum(prefix string, n int) (string, error) {
	s, err := randtext.Draw(g, alphanumerics, n)
	return prefix + s, err
}

// IDs of the four kinds of record, in the shapes of the behaviour reference.
func (g *idGen) keyID() (string, error)      { return g.alnum("key_", 15) }
func (g *idGen) userID() (string, error)     { return g.alnum("usr_", 15) }
func (g *idGen) orgID() (string, error)      { return g.alnum("org_", 15) }
func (g *idGen) internalID() (string, error) { return g.alnum("int_", 24) }
