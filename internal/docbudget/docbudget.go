// Package docbudget bounds what reading a JSON or YAML document may cost, before it is decoded:
// how deep it nests, how many values it holds, and, for YAML, what its aliases expand to. The
// YAML library's own check of aliases counts values, not the bytes each one costs, so a few
// hundred kilobytes of aliases to long member names decode into gigabytes; here every scalar
// and member name reached through an alias counts its bytes each time. The fixture loader,
// the recording reader and spec-diff's reader share it.
package docbudget

import (
	"bytes"
	"fmt"
	"regexp"
	"unicode/utf8"

	yaml "github.com/oasdiff/yaml3"

	"github.com/mixpeekkit/mixpeekkit/internal/jsonbody"
)

// Limits bound a document. Every limit applies as given: zero allows nothing.
type Limits struct {
	// Bytes bounds the text of a YAML document's scalars and member names with every alias
	// followed: each counts its length each time it is reached. (Not used for JSON, which has
	// no aliases: its size is the caller's to bound.)
	Bytes int
	// Values bounds the values and member names, each counted each time it is reached (in
	// YAML, through every alias that reaches it).
	Values int
	// Depth bounds the nesting of mappings and lists (objects and arrays): [[1]] nests 2 deep.
	Depth int
}

// Error is a document over one of its limits: the problem in words, which quote no data, and
// where it was found (line and column from 1; columns count characters).
type Error struct {
	Line, Column int
	Problem      string
}

func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Problem)
}

// Size words a number of bytes for a message: "2 MiB (2097152 bytes)", or "1048577 bytes".
func Size(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB (%d bytes)", n>>20, n)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB (%d bytes)", n>>10, n)
	}
	return fmt.Sprintf("%d bytes", n)
}

// TrimBOM drops a UTF-8 byte-order mark at the start of data (editors on Windows write one).
func TrimBOM(data []byte) []byte { return bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) }

// YAML reads the first document of data into a node tree and checks it against the limits
// (CheckYAML). A syntax error is the library's, whose words may quote the data (YAMLProblem
// keeps them only when they do not).
func YAML(data []byte, l Limits) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if err := CheckYAML(&doc, l); err != nil {
		return nil, err
	}
	return &doc, nil
}

// CheckYAML walks a node tree as a decoder would, following every alias, and refuses it (an
// *Error) once it passes one of the limits. The walk ends there, so it costs at most the
// limits whatever the aliases, and allocates nothing.
func CheckYAML(root *yaml.Node, l Limits) error {
	c := &yamlCheck{l: l}
	return c.walk(root, 0)
}

type yamlCheck struct {
	l             Limits
	bytes, values int
	aliased       bool       // an alias was followed
	via           *yaml.Node // the outermost alias being followed: where an expansion is placed
}

func (c *yamlCheck) walk(n *yaml.Node, depth int) error {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, child := range n.Content {
			if err := c.walk(child, depth); err != nil {
				return err
			}
		}
		return nil
	case yaml.AliasNode:
		c.aliased = true
		if c.via != nil {
			return c.walk(n.Alias, depth)
		}
		c.via = n
		err := c.walk(n.Alias, depth)
		c.via = nil
		return err
	case yaml.MappingNode, yaml.SequenceNode:
		if depth++; depth > c.l.Depth {
			return c.fail(n, fmt.Sprintf("the data nests deeper than %d levels", c.l.Depth))
		}
	}
	if c.values++; c.values > c.l.Values {
		return c.fail(n, c.words(fmt.Sprintf("%d values", c.l.Values)))
	}
	if c.bytes += len(n.Value); c.bytes > c.l.Bytes {
		return c.fail(n, c.words(Size(c.l.Bytes)+" of text"))
	}
	for _, child := range n.Content {
		if err := c.walk(child, depth); err != nil {
			return err
		}
	}
	return nil
}

// words says what passed a limit: the aliases, when the walk followed one, or the data.
func (c *yamlCheck) words(limit string) string {
	if c.aliased {
		return "the aliases of the data expand to more than " + limit
	}
	return "the data holds more than " + limit
}

// fail places a problem: at the outermost alias being followed, else at n.
func (c *yamlCheck) fail(n *yaml.Node, problem string) error {
	at := n
	if c.via != nil {
		at = c.via
	}
	return &Error{Line: at.Line, Column: at.Column, Problem: problem}
}

// CheckJSON scans JSON text, without decoding it, for its nesting (l.Depth) and its number of
// values and member names (l.Values), and refuses it (an *Error) once it passes one. Text
// that is not JSON is scanned all the same: the decoder that follows reports it.
func CheckJSON(data []byte, l Limits) error {
	values, tooDeep, at := jsonbody.Count(data, l.Depth, l.Values)
	switch {
	case tooDeep:
		return jsonError(data, at, fmt.Sprintf("the data nests deeper than %d levels", l.Depth))
	case values > l.Values:
		return jsonError(data, at, fmt.Sprintf("the data holds more than %d values", l.Values))
	}
	return nil
}

// jsonError places a problem at a byte offset of data.
func jsonError(data []byte, offset int, problem string) error {
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return &Error{Line: line, Column: col, Problem: problem}
}

var (
	yamlProblemText = regexp.MustCompile(`^yaml: (?:line \d+: )?(.+)$`)
	// plainWords is a message of the library that quotes no data: words, and at most single
	// punctuation marks in quotes ("did not find expected ',' or '}'").
	plainWords  = regexp.MustCompile(`^[A-Za-z ,()<>-]+$`)
	quotedMarks = regexp.MustCompile(`'[^A-Za-z0-9\s']'`)
)

// YAMLProblem is the YAML library's words for a syntax error, without its "yaml: line N:"
// start, or "" when they may quote the data (some messages do, and data may hold secret values
// and keys).
func YAMLProblem(err error) string {
	m := yamlProblemText.FindStringSubmatch(err.Error())
	if m == nil || !plainWords.MatchString(quotedMarks.ReplaceAllString(m[1], "")) {
		return ""
	}
	return m[1]
}
