// Package recfmt holds the rules of the recording format (package recording) that the mock's
// recorder and the replay share: the tokens a recorded string stands for (symbols,
// placeholders, literals), the names each operation carries, and the shapes of answers.
package recfmt

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mixpeekkit/mixpeekkit"
)

// A string in a call's body or parameters is one of:
//
//	$secret1, $key2, $user, $user3   a symbol: a name or an email the consumer chose
//	$value:24                        a secret value of 24 bytes (never the value itself)
//	$now+1h0m0s, $now-5m0s           an instant, relative to the mock's clock at the call
//	$$...                            a literal string that starts with $ (one $ dropped)
//	anything else                    a literal string
//
// Token reads one; Literal, Value and Now write them.

// TokenKind is what a string of a recording stands for.
type TokenKind int

const (
	TokenLiteral TokenKind = iota
	TokenSymbol
	TokenValue
	TokenNow
)

// Token is a string of a recording, read.
type Token struct {
	Kind   TokenKind
	Text   string        // the literal (unescaped) or the symbol
	Size   int           // TokenValue: the value's length in bytes
	Offset time.Duration // TokenNow: from the clock at the call
}

var symbolRE = regexp.MustCompile(`^\$(?:(?:secret|key)[1-9][0-9]*|user(?:[1-9][0-9]*)?)$`)

// IsSymbol says whether s is a symbol.
func IsSymbol(s string) bool { return symbolRE.MatchString(s) }

// KindOf is the kind of a symbol (KindSecret, KindKey, KindUser), "" for what is not one.
func KindOf(symbol string) string {
	switch {
	case !IsSymbol(symbol):
		return ""
	case strings.HasPrefix(symbol, "$secret"):
		return KindSecret
	case strings.HasPrefix(symbol, "$key"):
		return KindKey
	}
	return KindUser
}

// SymbolOf is the nth symbol of a kind: $secret3, $key1, $user2.
func SymbolOf(kind string, n int) string { return fmt.Sprintf("$%s%d", kind, n) }

// Owner is the symbol of the admin-key's owner.
const Owner = "$user"

// Literal writes a literal string.
func Literal(s string) string {
	if strings.HasPrefix(s, "$") {
		return "$" + s
	}
	return s
}

// Value writes the placeholder of a secret value of n bytes.
func Value(n int) string { return "$value:" + strconv.Itoa(n) }

// Now writes the placeholder of the instant d from the clock at the call.
func Now(d time.Duration) string {
	if d < 0 {
		return "$now" + d.String()
	}
	return "$now+" + d.String()
}

// ParseToken reads a string of a recording.
func ParseToken(s string) (Token, error) {
	switch {
	case !strings.HasPrefix(s, "$"):
		return Token{Kind: TokenLiteral, Text: s}, nil
	case strings.HasPrefix(s, "$$"):
		return Token{Kind: TokenLiteral, Text: s[1:]}, nil
	case IsSymbol(s):
		return Token{Kind: TokenSymbol, Text: s}, nil
	case strings.HasPrefix(s, "$value:"):
		n, err := strconv.Atoi(s[len("$value:"):])
		if err != nil || n < 0 || n > 1<<20 {
			return Token{}, fmt.Errorf("recording: %q is not a value placeholder ($value:N, N a length in bytes)", s)
		}
		return Token{Kind: TokenValue, Size: n}, nil
	case strings.HasPrefix(s, "$now"):
		d, err := time.ParseDuration(strings.TrimPrefix(s[len("$now"):], "+"))
		if err != nil {
			return Token{}, fmt.Errorf("recording: %q is not an instant placeholder ($now+1h0m0s)", s)
		}
		return Token{Kind: TokenNow, Offset: d}, nil
	}
	return Token{}, fmt.Errorf("recording: %q starts with $ but is no placeholder (a literal $ is written $$)", s)
}

// ParamKind is the kind of symbol a path parameter carries ("" for one that carries none).
func ParamKind(param string) string {
	switch param {
	case "secret_name":
		return KindSecret
	case "key_name":
		return KindKey
	case "user_email":
		return KindUser
	}
	return ""
}

// NameMember is the body member that names what an operation creates or renames, and the
// kind of its symbol (ok false for an operation whose body names nothing).
func NameMember(op mixpeekkit.OperationID) (member, kind string, ok bool) {
	switch op {
	case mixpeekkit.OpCreateSecret:
		return "secret_name", KindSecret, true
	case mixpeekkit.OpCreateAPIKey, mixpeekkit.OpUpdateAPIKey:
		return "name", KindKey, true
	}
	return "", "", false
}
