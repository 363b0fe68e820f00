package mockserver

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
)

const alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// idGen makes identifiers and key material from one random source. The source may be a
// seeded, non-thread-safe reader (deterministic tests), so every read holds the lock.
type idGen struct {
	mu  sync.Mutex
	src io.Reader
}

func (g *idGen) read(n int) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := make([]byte, n)
	if _, err := io.ReadFull(g.src, b); err != nil {
		return nil, fmt.Errorf("random source: %w", err)
	}
	return b, nil
}

// alnum returns prefix followed by n characters from [A-Za-z0-9], unbiased.
func (g *idGen) alnum(prefix string, n int) (string, error) {
	out := make([]byte, 0, len(prefix)+n)
	out = append(out, prefix...)
	for len(out) < len(prefix)+n {
		b, err := g.read(n)
		if err != nil {
			return "", err
		}
		for _, c := range b {
			// 248 = 4*62: rejecting the rest keeps every character equally likely.
			if c < 248 && len(out) < len(prefix)+n {
				out = append(out, alphanumerics[c%62])
			}
		}
	}
	return string(out), nil
}

// apiKeyMaterial returns a new plaintext API key: "sk_" and 43 url-safe characters
// (32 random bytes).
func (g *idGen) apiKeyMaterial() (string, error) {
	b, err := g.read(32)
	if err != nil {
		return "", err
	}
	return "sk_" + base64.RawURLEncoding.EncodeToString(b), nil
}

// hashKey is what the store keeps of a plaintext key: its lowercase hex SHA-256.
func hashKey(plaintext string) string {
	sum := sha256.Sum256([]byte(plaintext))
	return hex.EncodeToString(sum[:])
}

// keyPrefix is the part of a key that may be shown again: 10 characters and "...".
func keyPrefix(plaintext string) string {
	return plaintext[:10] + "..."
}

// ids of the four kinds of record, as BEHAVIOR.md fixes their shapes.
func (g *idGen) keyID() (string, error)      { return g.alnum("key_", 15) }
func (g *idGen) userID() (string, error)     { return g.alnum("usr_", 15) }
func (g *idGen) orgID() (string, error)      { return g.alnum("org_", 15) }
func (g *idGen) internalID() (string, error) { return g.alnum("int_", 24) }
