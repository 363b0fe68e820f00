package proxy

import "strings"

// maxDecodes is how many times a server is taken to percent-decode a path (twice is the
// classic double-decoding bug; the third is a margin).
const maxDecodes = 3

// leavesPrefix reports whether a request's escaped path, put after the upstream's escaped
// path prefix, leaves that prefix once a server cleans it, in any of the ways servers read a
// path: decoded 0 to maxDecodes times (%2F as a slash or not), a backslash as a slash or
// not, a segment's ";parameters" dropped or not; then "." and ".." resolved. With no prefix
// there is nothing to leave.
func leavesPrefix(prefix, escaped string) bool {
	prefix = strings.TrimRight(prefix, "/")
	if prefix == "" || !strings.ContainsAny(escaped, `.%\`) {
		return false // nothing to leave, or no way to write a dot segment
	}
	for decodes := 0; decodes <= maxDecodes; decodes++ {
		for variant := 0; variant < 8; variant++ {
			slashes, backslashes, params := variant&1 != 0, variant&2 != 0, variant&4 != 0
			if decodes == 0 && slashes {
				continue // nothing decoded: the same as without
			}
			read := func(p string) []string {
				for range decodes {
					p = percentDecode(p, slashes)
				}
				return resolve(p, backslashes, params)
			}
			base, full := read(prefix), read(prefix+escaped)
			if len(full) < len(base) {
				return true
			}
			for i := range base {
				if full[i] != base[i] {
					return true
				}
			}
		}
	}
	return false
}

// percentDecode decodes every valid %XX of s; with slashes false, %2F stays as it is (a
// server that routes before it decodes a slash). An invalid escape stays as it is.
func percentDecode(s string, slashes bool) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			c := unhex(s[i+1])<<4 | unhex(s[i+2])
			if c != '/' || slashes {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// resolve is a path's segments once cleaned: empty and "." segments dropped, ".." taking the
// one before it away (none at the root).
func resolve(p string, backslashes, params bool) []string {
	if backslashes {
		p = strings.ReplaceAll(p, `\`, "/")
	}
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		if params {
			seg, _, _ = strings.Cut(seg, ";")
		}
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	return out
}
