package suite

import (
	"encoding/json"

	"github.com/mixpeekkit/mixpeekkit"
)

// Exchange is one request and its answer: what a report shows of them (package conformance's
// Exchange, which documents the fields), and the answer as received, for the checks.
type Exchange struct {
	Operation                              mixpeekkit.OperationID
	Method, URL, Auth, RequestBody         string
	Status                                 int
	ContentType, ResponseBody, Error, Curl string
	JSON                                   map[string]any  // the decoded answer (unredacted: never shown)
	Raw                                    json.RawMessage // the answer as received (unredacted: never shown)
}

// Field reads a top-level member of the answer.
func (e *Exchange) Field(name string) any { return e.JSON[name] }

// Str reads a top-level string member of the answer ("" when absent or not a string).
func (e *Exchange) Str(name string) string { s, _ := e.JSON[name].(string); return s }

// ErrorType is error.type of an ErrorResponse answer.
func (e *Exchange) ErrorType() string {
	m, _ := e.JSON["error"].(map[string]any)
	s, _ := m["type"].(string)
	return s
}
