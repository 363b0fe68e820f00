package specdiff

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/oasdiff/yaml"

	"github.com/mixpeekkit/mixpeekkit/internal/docbudget"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// MaxDocument bounds a document spec-diff reads (the upstream document, -ours, the
// allow-list): a published OpenAPI document is a few MB. A larger one is refused: Parse and
// ParseAllowList refuse it, and the command reads no more of a file or a download.
const MaxDocument = 16 << 20

// maxYAMLDocument bounds a document in YAML, which costs up to a hundred times its size in
// memory to read (JSON costs a fraction of that).
const maxYAMLDocument = 4 << 20

// maxExpanded bounds the text of a YAML document's scalars and member names with every alias
// followed, each time it is reached: twice the largest YAML document, so that aliases may
// repeat a schema but not multiply the document (a few hundred KB of aliases to long names
// would expand to gigabytes).
const maxExpanded = 2 * maxYAMLDocument

// maxValues bounds the values and member names of a document, YAML aliases followed: a
// document of 16 MiB holds about a million.
const maxValues = 1_000_000

// maxDepth bounds how deep the mappings and lists of a document nest: the schemas of an
// OpenAPI document nest a dozen levels, and a comparison walks them all.
const maxDepth = 64

// limits are the bounds docbudget checks before a document is decoded.
var limits = docbudget.Limits{Bytes: maxExpanded, Values: maxValues, Depth: maxDepth}

// toJSON returns JSON as it is (a YAML parser refuses some valid JSON, such as an escaped
// surrogate pair: "\ud83d\ude00"), and YAML converted to JSON, each once within its limits. A
// byte-order mark is read as nothing.
func toJSON(data []byte) ([]byte, error) {
	data = docbudget.TrimBOM(data)
	if len(data) > MaxDocument {
		return nil, fmt.Errorf("the document is larger than %s, the limit of spec-diff", docbudget.Size(MaxDocument))
	}
	if json.Valid(data) {
		if err := docbudget.CheckJSON(data, limits); err != nil {
			return nil, overLimit(err)
		}
		return data, nil
	}
	if len(data) > maxYAMLDocument {
		return nil, fmt.Errorf("the document is not JSON, and larger than %s, the limit of spec-diff for YAML", docbudget.Size(maxYAMLDocument))
	}
	if _, err := docbudget.YAML(data, limits); err != nil {
		return nil, notYAML(err)
	}
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, notYAML(err)
	}
	return j, nil
}

// overLimit words a document over one of its limits (a *docbudget.Error) with its place.
func overLimit(err error) error {
	var e *docbudget.Error
	if !errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("line %d, column %d: %s, the limit of spec-diff", e.Line, e.Column, e.Problem)
}

// notYAML words a document neither JSON nor YAML, or over a limit: the YAML library's words
// are kept only when they quote nothing of the document.
func notYAML(err error) error {
	var e *docbudget.Error
	if errors.As(err, &e) {
		return overLimit(err)
	}
	if problem := docbudget.YAMLProblem(err); problem != "" {
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			problem = "line " + m[1] + ": " + problem
		}
		return fmt.Errorf("neither JSON nor YAML: %s", problem)
	}
	return errors.New("neither JSON nor YAML (the YAML library's message is not shown: it quotes the document)")
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// withoutKeys is err with anything shaped like a plaintext key redacted: some messages quote
// what they refuse (a version, a pointer).
func withoutKeys(err error) error {
	if err == nil || !sensitive.HasKey(err.Error()) {
		return err
	}
	return errors.New(sensitive.RedactKeys(err.Error()))
}
