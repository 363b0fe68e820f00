package recfmt

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Symbol kinds.
const (
	KindSecret = "secret"
	KindKey    = "key"
	KindUser   = "user"
)

// Admin is the credential symbol of the organization's admin-key: a replay's own key.
const Admin = "$admin"

// Strings calls f with every string of a decoded JSON value (object members' values, not
// their names), depth first; it stops at f's first error.
func Strings(v any, f func(string) error) error {
	switch x := v.(type) {
	case string:
		return f(x)
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if err := Strings(x[k], f); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := Strings(e, f); err != nil {
				return err
			}
		}
	}
	return nil
}

// CredentialBase is the key symbol of a credential symbol ("$key1" for "$key1@2"), Admin
// for Admin, "" for what is not a credential symbol.
func CredentialBase(s string) string {
	if s == Admin {
		return s
	}
	base, n, found := strings.Cut(s, "@")
	if KindOf(base) != KindKey {
		return ""
	}
	if found {
		if i, err := strconv.Atoi(n); err != nil || i < 2 || strconv.Itoa(i) != n {
			return ""
		}
	}
	return base
}

// Filled is the size of a recorded JSON body once its value placeholders are filled in: its
// bytes outside white space, each "$value:N" string holding N bytes between its quotes. It
// reads the text and decodes nothing but the strings that hold an escape, so it costs no more
// than the body whatever the body holds. body is valid JSON (the recording's decoder checked
// it).
func Filled(body []byte) int {
	n := 0
	for i := 0; i < len(body); {
		switch body[i] {
		case ' ', '\t', '\r', '\n':
			i++
		case '"':
			end := stringEnd(body, i)
			n += stringSize(body[i:end])
			i = end
		default:
			n++
			i++
		}
	}
	return n
}

// stringEnd is the index just past the string that starts at body[start] (a quote).
func stringEnd(body []byte, start int) int {
	for i := start + 1; i < len(body); i++ {
		switch body[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(body)
}

// stringSize is the size of a string of a body, quotes included, once filled in: a value
// placeholder holds N bytes, any other string the bytes it is written with.
func stringSize(raw []byte) int {
	var s string
	switch {
	case len(raw) < 3 || raw[1] != '$' && raw[1] != '\\':
		return len(raw) // no placeholder: its first character is no $, written or escaped
	case bytes.IndexByte(raw, '\\') >= 0: // "\u0024value:9" is a placeholder too
		if json.Unmarshal(raw, &s) != nil {
			return len(raw)
		}
	case bytes.HasPrefix(raw, []byte(`"$value:`)):
		s = string(raw[1 : len(raw)-1])
	default:
		return len(raw)
	}
	if tok, err := ParseToken(s); err == nil && tok.Kind == TokenValue {
		return 2 + tok.Size
	}
	return len(raw)
}
