package mockserver

// The canaries of the fuzz targets: the secrets no answer, log line or journal entry may
// show, in every form an encoder may write them.

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// needle is a piece of a canary, in each form an encoder may write it.
type needle struct {
	text  string
	forms [][]byte
}

// canary is a secret no answer, log line or journal entry may show: each of its needles
// (the whole, or windows of 16 bytes when it is longer; a key's first 10 characters are its
// public key_prefix and are left out).
type canary struct {
	what    string
	needles []needle
}

func newCanary(what, secret string) canary {
	text := secret
	if sensitive.IsKey(secret) {
		text = secret[10:]
	}
	c := canary{what: what}
	const window = 16
	if len(text) <= window {
		c.needles = []needle{newNeedle(text)}
		return c
	}
	for i := 0; ; i += window / 2 {
		if i+window >= len(text) {
			c.needles = append(c.needles, newNeedle(text[len(text)-window:]))
			return c
		}
		c.needles = append(c.needles, newNeedle(text[i:i+window]))
	}
}

// without is c without the needles for which drop is true.
func (c canary) without(drop func(text string) bool) canary {
	out := canary{what: c.what}
	for _, n := range c.needles {
		if !drop(n.text) {
			out.needles = append(out.needles, n)
		}
	}
	return out
}

func newNeedle(text string) needle {
	n := needle{text: text}
	add := func(f string) {
		for _, have := range n.forms {
			if string(have) == f {
				return
			}
		}
		n.forms = append(n.forms, []byte(f))
	}
	add(text)
	quoted, _ := json.Marshal(text) // as encoding/json and the journal write it: <>& escaped
	add(string(quoted[1 : len(quoted)-1]))
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // as the answers are written
	_ = enc.Encode(text)
	add(strings.TrimSuffix(b.String(), "\n")[1 : b.Len()-2])
	q := strconv.Quote(text) // as %q and the text log write it
	add(q[1 : len(q)-1])
	return n
}

func (n needle) in(b []byte) bool {
	for _, f := range n.forms {
		if bytes.Contains(b, f) {
			return true
		}
	}
	return false
}

// encodings is s as it is, and as each encoder the mock uses would write it: an answer that
// repeats what the request sent may show it in any of these forms (a name with an invalid
// byte is "\xca…" in a message, "\ufffd…" in a JSON string).
func encodings(s string) string {
	var b strings.Builder
	b.WriteString(s + "\x00" + strconv.Quote(s) + "\x00" + strings.ToValidUTF8(s, "\uFFFD") + "\x00")
	for _, html := range []bool{true, false} {
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		_ = enc.Encode(s)
	}
	return b.String()
}

// lenientUnescape decodes every valid %XX (and "+" as a space when plus is set), and leaves
// everything else as it is, as Python's unquote does: what a reader of a journaled path or
// query would see.
func lenientUnescape(s string, plus bool) string {
	if !strings.Contains(s, "%") && !(plus && strings.Contains(s, "+")) {
		return s
	}
	unhex := func(c byte) (byte, bool) {
		switch {
		case '0' <= c && c <= '9':
			return c - '0', true
		case 'a' <= c && c <= 'f':
			return c - 'a' + 10, true
		case 'A' <= c && c <= 'F':
			return c - 'A' + 10, true
		}
		return 0, false
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b.WriteByte(hi<<4 | lo)
				i += 2
				continue
			}
		}
		if s[i] == '+' && plus {
			b.WriteByte(' ')
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// fuzzVocabulary is the text the mock may write of its own (its documents and sources, the
// kit's packages it uses): a piece of a string the fuzzer sends that is part of it cannot be
// told from the mock's own words, so it is no needle.
var fuzzVocabulary = sync.OnceValue(func() []byte {
	var out bytes.Buffer
	for _, pattern := range []string{"*.go", "control.yaml", "../*.go", "../openapi.yaml", "../fixtures/*.go",
		"../fixtures/default.json", "../internal/*/*.go"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				panic(err)
			}
			out.Write(data)
			out.WriteByte(0)
		}
	}
	if out.Len() == 0 {
		panic("fuzz: no source found for the vocabulary")
	}
	for _, t := range []time.Time{fuzzClockBase, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		out.WriteString(t.Format(time.RFC3339Nano) + "\x00" + t.Format(time.RFC3339) + "\x00")
	}
	return out.Bytes()
})
