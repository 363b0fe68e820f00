package replay

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
)

// size is the length of the JSON of v once resolved (resolve, then json.Marshal), computed
// without drawing a value or building a string of it.
func (rp *replayer) size(v any) int {
	switch x := v.(type) {
	case map[string]any:
		n := 1 + max(len(x), 1) // the braces and the commas
		for k, e := range x {
			n += jsonStringSize(k) + 1 + rp.size(e)
		}
		return n
	case []any:
		n := 1 + max(len(x), 1)
		for _, e := range x {
			n += rp.size(e)
		}
		return n
	case string:
		tok, err := recfmt.ParseToken(x)
		switch {
		case err != nil:
			return 0 // resolve refuses it
		case tok.Kind == recfmt.TokenSymbol:
			return jsonStringSize(rp.name(tok.Text))
		case tok.Kind == recfmt.TokenValue:
			return 2 + tok.Size // letters and digits (suite.RandomSuffix)
		case tok.Kind == recfmt.TokenNow:
			return jsonStringSize(rp.instant(tok.Offset))
		}
		return jsonStringSize(tok.Text)
	case json.Number:
		return len(x)
	case bool:
		if x {
			return len("true")
		}
		return len("false")
	case nil:
		return len("null")
	}
	data, _ := json.Marshal(v) // no other type comes from a decoded body
	return len(data)
}

// jsonStringSize is the length of s as json.Marshal writes it: quoted, with " \ and the
// control characters escaped, < > & U+2028 U+2029 as \u escapes, and bad UTF-8 as \ufffd.
func jsonStringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '"' || b == '\\' || b == '\n' || b == '\r' || b == '\t' || b == '\b' || b == '\f':
				n += 2
			case b < 0x20 || b == '<' || b == '>' || b == '&':
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, width := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && width == 1 || r == '\u2028' || r == '\u2029' {
			n += 6
		} else {
			n += width
		}
		i += width
	}
	return n
}
