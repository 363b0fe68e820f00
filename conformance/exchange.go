package conformance

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mixpeekkit/mixpeekkit"
)

// Exchange is one request and its answer, as a report shows them: the Authorization header,
// every secret value the run sent and every plaintext key it received are redacted, and so is
// whatever the kit's redaction rule hides in a body (secret-holding members at any depth,
// anything shaped like a plaintext key; the README states the rule).
type Exchange struct {
	// Operation is the operation of openapi.yaml the request addresses ("" when none).
	Operation    mixpeekkit.OperationID `json:"operation,omitempty"`
	Method       string                 `json:"method"`
	URL          string                 `json:"url"`
	Auth         string                 `json:"authorization"` // the scheme only: "Bearer [REDACTED]", or "(none)"
	RequestBody  string                 `json:"request_body,omitempty"`
	Status       int                    `json:"status"`
	ContentType  string                 `json:"content_type,omitempty"`
	ResponseBody string                 `json:"response_body,omitempty"`
	Error        string                 `json:"error,omitempty"`
	// Curl is the request as a shell command that sends it again, with $MIXPEEK_API_KEY,
	// $MIXPEEK_PEER_API_KEY, $KEY and $SECRET_VALUE for what a report must not show.
	Curl string          `json:"curl,omitempty"`
	JSON map[string]any  // the decoded body (unredacted; never exported)
	Raw  json.RawMessage // the body as received (unredacted; never exported)
}

// String is the exchange as a text report shows it: "> " lines for the request, "< " lines
// for the answer.
func (e *Exchange) String() string {
	var b strings.Builder
	if e.Curl != "" {
		fmt.Fprintf(&b, "  $ %s\n", e.Curl)
	}
	fmt.Fprintf(&b, "  > %s %s\n  > Authorization: %s", e.Method, e.URL, e.Auth)
	if e.RequestBody != "" {
		fmt.Fprintf(&b, "\n  > %s", e.RequestBody)
	}
	if e.Error != "" {
		fmt.Fprintf(&b, "\n  < error: %s", e.Error)
		return b.String()
	}
	fmt.Fprintf(&b, "\n  < %d %s", e.Status, e.ContentType)
	if e.ResponseBody != "" {
		fmt.Fprintf(&b, "\n  < %s", e.ResponseBody)
	}
	return b.String()
}

// Field reads a top-level Field of the answer.
func (e *Exchange) Field(name string) any { return e.JSON[name] }

// Str reads a top-level string field of the answer ("" when absent or not a string).
func (e *Exchange) Str(name string) string { s, _ := e.JSON[name].(string); return s }

// ErrorType is error.type of an ErrorResponse answer.
func (e *Exchange) ErrorType() string {
	m, _ := e.JSON["error"].(map[string]any)
	s, _ := m["type"].(string)
	return s
}
