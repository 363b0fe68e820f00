// Package keyring holds the Fernet keys that encrypt secret values at rest.
//
// A ring is an ordered list of keys, newest first: the first key encrypts, every key decrypts.
// That is the rule of Python's MultiFernet, so an encryption key can be rotated by putting the
// new key in front of the old one, with no loss.
package keyring

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fernet/fernet-go"
)

// Ring is an ordered set of Fernet keys. It is safe for concurrent use; it never changes.
type Ring struct {
	keys []*fernet.Key
}

// ErrUndecryptable is returned by Decrypt when no key of the ring opens the token.
var ErrUndecryptable = errors.New("keyring: token does not decrypt with any key of the ring")

// Parse reads a comma-separated list of url-safe base64 32-byte Fernet keys, newest first,
// the format of ENCRYPTION_KEY. Errors name the position of the bad key, never its text.
func Parse(s string) (*Ring, error) {
	parts := strings.Split(s, ",")
	r := &Ring{}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("key %d of %d is empty", i+1, len(parts))
		}
		raw, err := base64.URLEncoding.DecodeString(p)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("key %d of %d is not a url-safe base64 encoding of 32 bytes", i+1, len(parts))
		}
		k, err := fernet.DecodeKey(p)
		if err != nil {
			return nil, fmt.Errorf("key %d of %d: %v", i+1, len(parts), err)
		}
		r.keys = append(r.keys, k)
	}
	return r, nil
}

// Generate returns a ring of one new random key (the mock's when it is given none).
func Generate() (*Ring, error) {
	var k fernet.Key
	if err := k.Generate(); err != nil {
		return nil, fmt.Errorf("keyring: generate: %w", err)
	}
	return &Ring{keys: []*fernet.Key{&k}}, nil
}

// Encrypt makes a Fernet token of plaintext with the ring's first key, stamped with at.
func (r *Ring) Encrypt(plaintext []byte, at time.Time) ([]byte, error) {
	tok, err := fernet.EncryptAndSignAtTime(plaintext, r.keys[0], at)
	if err != nil {
		return nil, fmt.Errorf("keyring: encrypt: %w", err)
	}
	return tok, nil
}

// Decrypt opens a token with whichever key of the ring made it. Tokens never expire here
// (a ttl of 0, like Python's decrypt(ttl=None)).
func (r *Ring) Decrypt(token []byte) ([]byte, error) {
	msg := fernet.VerifyAndDecrypt(token, 0, r.keys)
	// fernet-go signals every failure with nil; an empty plaintext is a non-nil empty slice.
	if msg == nil {
		return nil, ErrUndecryptable
	}
	return msg, nil
}
