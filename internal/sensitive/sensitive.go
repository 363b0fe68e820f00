// Package sensitive is the one definition of what is secret in this kit and how it is
// handled: the shape of a plaintext API key and what is kept of one (its SHA-256 hash and a
// short prefix), and which JSON members, query parameters and strings a log, the mock's
// request journal or a conformance report must never show. The mock, the fixture loader and
// the conformance suite all use it, so a rule changes here or nowhere.
package sensitive

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Redacted replaces whatever is not shown.
const Redacted = "[REDACTED]"

// KeyRule words the shape of a plaintext key, for error messages (which never repeat a key).
const KeyRule = `"sk_" followed by at least 40 characters of A-Z a-z 0-9 _ -`

// KeyPattern is the shape of a plaintext key as a regular expression (control.yaml's admin_key
// pattern is the same, and a test holds them equal).
const KeyPattern = `^sk_[A-Za-z0-9_-]{40,}$`

var (
	keyRE = regexp.MustCompile(KeyPattern)
	// keyInTextRE finds anything shaped like a plaintext key inside a longer text. It asks for
	// fewer characters than a valid key, so a cut or mistyped key is caught too; a key_prefix
	// ("sk_AbCdEfG...", 7 characters after sk_) is too short to match.
	keyInTextRE = regexp.MustCompile(`sk_[A-Za-z0-9_-]{20,}`)
)

// IsKey reports whether s has the shape of a plaintext API key (see KeyRule).
func IsKey(s string) bool { return keyRE.MatchString(s) }

// NewKey makes a new plaintext key from random: "sk_" and 43 url-safe characters (32 bytes).
func NewKey(random io.Reader) (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", fmt.Errorf("random source: %w", err)
	}
	return "sk_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// KeyFrom derives a valid plaintext key from a label: "sk_test_" and 40 hex digits of a
// SHA-256 of the label. The same label always gives the same key; for fixtures and tests only.
func KeyFrom(label string) string {
	sum := sha256.Sum256([]byte("mixpeekkit test key: " + label))
	return "sk_test_" + hex.EncodeToString(sum[:])[:40]
}

// Hash is what is kept of a plaintext key, and what APIKeyModel.key_hash shows: the
// lowercase hex SHA-256 of the key.
func Hash(plaintext string) string {
	sum := sha256.Sum256([]byte(plaintext))
	return hex.EncodeToString(sum[:])
}

// Prefix is the part of a key that may be shown again (APIKeyModel.key_prefix): its first 10
// characters and "...", 13 in all.
func Prefix(plaintext string) string { return plaintext[:min(10, len(plaintext))] + "..." }

// HasKey reports whether s contains anything shaped like a plaintext key (a cut one too).
func HasKey(s string) bool { return keyInTextRE.MatchString(s) }

// RedactKeys replaces everything shaped like a plaintext key in s.
func RedactKeys(s string) string { return keyInTextRE.ReplaceAllString(s, Redacted) }

// MaskKeys replaces everything shaped like a plaintext key in s by as many x: the text keeps
// its length (a recording's literal name too long for the contract stays too long).
func MaskKeys(s string) string {
	return keyInTextRE.ReplaceAllStringFunc(s, func(k string) string { return strings.Repeat("x", len(k)) })
}

// RedactPath returns an escaped URL path with every segment whose decoded form holds anything
// shaped like a plaintext key replaced whole: a key escaped as sk_%4C… or sk%5F… is found too.
func RedactPath(escaped string) string {
	segs := strings.Split(escaped, "/")
	for i, seg := range segs {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			dec = seg
		}
		if HasKey(dec) || HasKey(seg) {
			segs[i] = Redacted
		}
	}
	return strings.Join(segs, "/")
}

// secretMembers are the JSON members and query parameters whose values are secret, whatever
// their letter case: the contract's secret_value and key, the mock's admin_key, and the
// names a client is likely to put a secret under by mistake.
var secretMembers = []string{"secret_value", "value", "key", "admin_key", "api_key", "token", "password", "plaintext", "authorization"}

// SecretMember reports whether a JSON member or query parameter of that name holds a secret.
func SecretMember(name string) bool {
	for _, m := range secretMembers {
		if strings.EqualFold(name, m) {
			return true
		}
	}
	return false
}

// RedactJSON returns a copy of a decoded JSON value (encoding/json's any) in which every
// secret member's value, whatever it holds, is Redacted, and everything shaped like a key, in
// a string or a member name, is replaced. v is not changed.
func RedactJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			switch {
			case SecretMember(k):
				out[k] = Redacted
			case HasKey(k):
				out[Redacted] = Redacted
			default:
				out[k] = RedactJSON(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = RedactJSON(e)
		}
		return out
	case string:
		return RedactKeys(x)
	}
	return v
}

// RedactQuery returns a raw query with the values of secret parameters Redacted and
// everything shaped like a key replaced, in names and values. A query that does not parse is
// not kept at all.
func RedactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "[unparseable query, not kept]"
	}
	out := url.Values{}
	for k, vs := range q {
		for _, v := range vs {
			if SecretMember(k) {
				v = Redacted
			}
			out.Add(RedactKeys(k), RedactKeys(v))
		}
	}
	return out.Encode()
}

// Cut is a text that may be long (a body in the journal or in a report) as a surface shows it:
// its first max bytes (to the last whole character), then "… [cut: N bytes in all]", N being
// total; the text as it is when it is not longer than max.
func Cut(text string, max, total int) string {
	if len(text) <= max {
		return text
	}
	for max > 0 && !utf8.RuneStart(text[max]) {
		max--
	}
	return text[:max] + fmt.Sprintf("… [cut: %d bytes in all]", total)
}
