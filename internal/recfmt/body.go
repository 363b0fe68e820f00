package recfmt

import (
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
