// Package apierror is the one home of the contract's ErrorResponse: the body of every error
// answer but a 422, as the mock and the validating proxy write it.
package apierror

// Response is the contract's ErrorResponse.
type Response struct {
	Success bool   `json:"success"` // always false
	Status  int    `json:"status"`  // the HTTP status
	Error   Detail `json:"error"`
}

// Detail is the contract's ErrorDetail.
type Detail struct {
	Type    string         `json:"type"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

// New is the ErrorResponse of an answer of status: its error type (NotFoundError, ...), a
// message, and the details that name what is involved (nil writes null).
func New(status int, typ, message string, details map[string]any) Response {
	return Response{Status: status, Error: Detail{Type: typ, Message: message, Details: details}}
}
