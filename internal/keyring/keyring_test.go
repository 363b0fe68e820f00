package keyring

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
)

func newKey(t *testing.T) string {
	t.Helper()
	var k fernet.Key
	if err := k.Generate(); err != nil {
		t.Fatal(err)
	}
	return k.Encode()
}

func TestRotationKeepsOldTokensReadable(t *testing.T) {
	oldKey, newKeyText := newKey(t), newKey(t)
	before, err := Parse(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := before.Encrypt([]byte("s3cret"), time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	after, err := Parse(newKeyText + "," + oldKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := after.Decrypt(tok)
	if err != nil || string(got) != "s3cret" {
		t.Fatalf("old token after rotation: %q, %v", got, err)
	}
	// New tokens are made with the new key: the old ring alone cannot open them.
	tok2, err := after.Encrypt([]byte("v2"), time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := before.Decrypt(tok2); !errors.Is(err, ErrUndecryptable) {
		t.Fatalf("old ring opened a token of the new key: %v", err)
	}
	onlyNew, _ := Parse(newKeyText)
	if got, err := onlyNew.Decrypt(tok2); err != nil || string(got) != "v2" {
		t.Fatalf("new key alone: %q, %v", got, err)
	}
}

func TestTokensAreStandardFernet(t *testing.T) {
	key := newKey(t)
	r, err := Parse(key)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := r.Encrypt([]byte("value"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(tok, []byte("value")) {
		t.Fatal("token contains the plaintext")
	}
	// Any Fernet implementation given the key opens it: here fernet-go directly.
	msg := fernet.VerifyAndDecrypt(tok, 0, fernet.MustDecodeKeys(key))
	if string(msg) != "value" {
		t.Fatalf("fernet-go could not open the token: %q", msg)
	}
}

// The test vector of the Fernet specification (github.com/fernet/spec, verify.json): a token
// made by another implementation opens here.
func TestFernetSpecVector(t *testing.T) {
	r, err := Parse("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Decrypt([]byte("gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="))
	if err != nil || string(got) != "hello" {
		t.Fatalf("spec token: %q, %v", got, err)
	}
}

func TestEmptyPlaintextRoundTrips(t *testing.T) {
	r, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := r.Encrypt([]byte{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Decrypt(tok)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty plaintext: %q, %v", got, err)
	}
}

func TestParseRejectsBadKeysWithoutEchoingThem(t *testing.T) {
	good := newKey(t)
	for name, in := range map[string]string{
		"not base64":      "this-is-not-a-key!!",
		"wrong length":    "c2hvcnQ=",
		"empty":           "",
		"empty second":    good + ",",
		"std base64 only": strings.Repeat("+", 43) + "=",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(in)
			if err == nil {
				t.Fatal("accepted")
			}
			if in != "" && strings.Contains(err.Error(), strings.TrimSuffix(in, ",")) {
				t.Fatalf("error echoes the key: %v", err)
			}
			if !regexp.MustCompile(`^key \d of \d (is|:)`).MatchString(err.Error()) {
				t.Fatalf("error does not say which key: %v", err)
			}
		})
	}
}

func TestDecryptRejectsGarbage(t *testing.T) {
	r, _ := Generate()
	if _, err := r.Decrypt([]byte("gAAAAAnope")); !errors.Is(err, ErrUndecryptable) {
		t.Fatalf("got %v", err)
	}
}

// BenchmarkFernet is the cost of keeping a secret value (encrypt) and of reading it back
// (decrypt), for a 32-byte value.
func BenchmarkFernet(b *testing.B) {
	r, err := Generate()
	if err != nil {
		b.Fatal(err)
	}
	value := []byte("sk_test_0123456789abcdef01234567")
	b.Run("encrypt", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.Encrypt(value, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
	tok, err := r.Encrypt(value, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decrypt", func(b *testing.B) {
		for b.Loop() {
			if got, err := r.Decrypt(tok); err != nil || string(got) != string(value) {
				b.Fatalf("%q %v", got, err)
			}
		}
	})
}
