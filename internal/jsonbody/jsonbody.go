// Package jsonbody is the one rule of the kit for "is this body JSON": the mock's contract
// check, its journal and its recorder, and the recording's reader all decide with Decode, so
// they never disagree on one body.
package jsonbody

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Decode decodes a body when it is JSON as the kit reads it: one value and nothing after it
// but white space, in text that encoding/json carries unchanged (FirstInvalidText), numbers
// kept as json.Number with all their digits (1e400 is a number a server may take that a
// float64 cannot hold). ok is false for anything else.
func Decode(body []byte) (v any, ok bool) {
	if FirstInvalidText(body) >= 0 {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false // something after the value
	}
	return v, true
}

// FirstInvalidText is the byte offset of the first place where data is not text JSON can
// carry unchanged (invalid UTF-8, including overlong forms and encoded surrogates, or a \u
// escape of a lone surrogate inside a string), or -1 when there is none.
func FirstInvalidText(data []byte) int {
	inString := false
	for i := 0; i < len(data); {
		c := data[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				return i
			}
			i += size
			continue
		}
		switch {
		case c == '"':
			inString = !inString
		case c == '\\' && inString && i+1 < len(data):
			if data[i+1] != 'u' {
				i += 2
				continue
			}
			r, ok := hex4(data, i+2)
			switch {
			case !ok:
				// malformed: the JSON parser refuses it
			case utf16.IsSurrogate(r) && r < 0xDC00: // a high surrogate needs a low one next
				if low, ok := hex4(data, i+8); !ok || i+7 >= len(data) || data[i+6] != '\\' || data[i+7] != 'u' || low < 0xDC00 || low > 0xDFFF {
					return i
				}
				i += 12
				continue
			case utf16.IsSurrogate(r):
				return i // a low surrogate alone
			}
			i += 6
			continue
		}
		i++
	}
	return -1
}

// hex4 reads the 4 hex digits of a \u escape at data[at:].
func hex4(data []byte, at int) (rune, bool) {
	if at+4 > len(data) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(data[at:at+4]), 16, 32)
	return rune(n), err == nil
}

// Count scans JSON text without decoding it, as far as two bounds let it: values counts every
// value and every member name (an object or an array is one value, each of its members or
// elements one more, each member name one more), and tooDeep says that objects and arrays
// nest deeper than maxDepth. It stops at the first bound passed (values is then
// maxValues+1), and at is the offset of the byte where it stopped (len(data) when it read
// all). Text that is not JSON is counted all the same: the decoder that follows refuses it.
// The budgets of the mock's bodies, the proxy's answers and the documents the tools read
// (package docbudget) all count with it.
func Count(data []byte, maxDepth, maxValues int) (values int, tooDeep bool, at int) {
	depth := 0
	inString, escaped := false, false
	expectValue := true // the next significant byte may start a value
	for i, b := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
			continue
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			if depth++; depth > maxDepth {
				return values, true, i
			}
			values++
			expectValue = true
		case '}', ']':
			depth--
			expectValue = false
		case ',', ':':
			expectValue = true
		case '"':
			inString = true
			values++
			expectValue = false
		default:
			if expectValue {
				values++
			}
			expectValue = false
		}
		if values > maxValues {
			return values, false, i
		}
	}
	return values, false, len(data)
}
