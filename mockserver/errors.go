package mockserver

import (
	"fmt"
	"net/http"
)

// errorKind is what went wrong, independent of how it is rendered.
type errorKind int

const (
	kindBadRequest errorKind = iota
	kindUnauthorized
	kindForbidden
	kindNotFound
	kindConflict
	kindValidation
	kindMethodNotAllowed
	kindInternal
)

// errorTable is the one place where an error becomes a status code and an error.type.
var errorTable = map[errorKind]struct {
	status int
	typ    string
}{
	kindBadRequest:       {http.StatusBadRequest, "BadRequestError"},
	kindUnauthorized:     {http.StatusUnauthorized, "UnauthorizedError"},
	kindForbidden:        {http.StatusForbidden, "ForbiddenError"},
	kindNotFound:         {http.StatusNotFound, "NotFoundError"},
	kindConflict:         {http.StatusConflict, "AlreadyExistsError"},
	kindValidation:       {http.StatusUnprocessableEntity, ""}, // HTTPValidationError body
	kindMethodNotAllowed: {http.StatusMethodNotAllowed, "MethodNotAllowedError"},
	kindInternal:         {http.StatusInternalServerError, "InternalServerError"},
}

// apiError is what every step of the request path returns when it refuses a request.
// Its message and details name resources, never a secret value or a plaintext key.
type apiError struct {
	kind       errorKind
	message    string
	details    map[string]any
	validation []validationDetail // kindValidation only
}

func (e *apiError) Error() string { return e.message }

func (e *apiError) status() int { return errorTable[e.kind].status }

// body renders the error as the contract declares it: HTTPValidationError for 422,
// ErrorResponse for everything else.
func (e *apiError) body() any {
	if e.kind == kindValidation {
		return httpValidationError{Detail: e.validation}
	}
	return errorResponse{
		Success: false,
		Status:  e.status(),
		Error:   errorDetail{Type: errorTable[e.kind].typ, Message: e.message, Details: e.details},
	}
}

type errorResponse struct {
	Success bool        `json:"success"`
	Status  int         `json:"status"`
	Error   errorDetail `json:"error"`
}

type errorDetail struct {
	Type    string         `json:"type"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

type httpValidationError struct {
	Detail []validationDetail `json:"detail"`
}

type validationDetail struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// The named errors of the store and the request path. Conformance checks cite them by name.

func errUnauthorized(msg string) *apiError { return &apiError{kind: kindUnauthorized, message: msg} }

func errForbidden(msg string, details map[string]any) *apiError {
	return &apiError{kind: kindForbidden, message: msg, details: details}
}

func errMissingPermission(need permission) *apiError {
	return errForbidden(fmt.Sprintf("this API key lacks the %q permission", need),
		map[string]any{"required_permission": string(need)})
}

func errAdminKeyProtected(action string) *apiError {
	return errForbidden(fmt.Sprintf("the %s cannot be %s", adminKeyName, action),
		map[string]any{"key_name": adminKeyName})
}

func errBadRequest(msg string, details map[string]any) *apiError {
	return &apiError{kind: kindBadRequest, message: msg, details: details}
}

func errKeyRevokedForGood(name string) *apiError {
	return errBadRequest("a revoked API key cannot be reactivated; create a new key",
		map[string]any{"key_name": name, "status": statusRevoked})
}

func errStatusNotSettable(status string) *apiError {
	return errBadRequest(fmt.Sprintf("status %s cannot be set: it follows from expires_at", status),
		map[string]any{"status": status})
}

func errKeyStaysExpired(name string) *apiError {
	return errBadRequest("the key stays expired: set a later expires_at to make it active",
		map[string]any{"key_name": name, "status": statusExpired})
}

// errKeyNameTaken refuses a rename onto a live key's name (PATCH declares no 409). The
// admin-key's name is reserved in the whole organization.
func errKeyNameTaken(name string) *apiError {
	return errBadRequest(fmt.Sprintf("the name %q is already taken by a live API key", name),
		map[string]any{"key_name": name})
}

func errBodyTooLarge(limit int) *apiError {
	return errBadRequest(fmt.Sprintf("the request body is larger than %d bytes", limit), nil)
}

func errBodyUnreadable() *apiError { return errBadRequest("the request body could not be read", nil) }

func errSecretNotFound(name string) *apiError {
	return &apiError{kind: kindNotFound, message: fmt.Sprintf("secret %q not found", name),
		details: map[string]any{"resource": "secret", "secret_name": name}}
}

func errSecretExists(name string) *apiError {
	return &apiError{kind: kindConflict, message: fmt.Sprintf("secret %q already exists", name),
		details: map[string]any{"resource": "secret", "secret_name": name}}
}

func errUserNotFound(email string) *apiError {
	return &apiError{kind: kindNotFound, message: fmt.Sprintf("user %q not found in this organization", email),
		details: map[string]any{"resource": "user", "user_email": email}}
}

func errKeyNotFound(email, name string) *apiError {
	return &apiError{kind: kindNotFound, message: fmt.Sprintf("API key %q not found for user %q", name, email),
		details: map[string]any{"resource": "api_key", "user_email": email, "key_name": name}}
}

func errKeyExists(email, name string) *apiError {
	return &apiError{kind: kindConflict, message: fmt.Sprintf("API key %q already exists for user %q", name, email),
		details: map[string]any{"resource": "api_key", "user_email": email, "key_name": name}}
}

func errOrgExists(id string) *apiError {
	return &apiError{kind: kindConflict, message: fmt.Sprintf("organization %q already exists", id),
		details: map[string]any{"resource": "organization", "organization_id": id}}
}

func errOrgNotFound(id string) *apiError {
	return &apiError{kind: kindNotFound, message: fmt.Sprintf("organization %q not found", id),
		details: map[string]any{"resource": "organization", "organization_id": id}}
}

func errRouteNotFound() *apiError {
	return &apiError{kind: kindNotFound, message: "no such endpoint", details: map[string]any{"resource": "endpoint"}}
}

func errMethodNotAllowed(method string) *apiError {
	return &apiError{kind: kindMethodNotAllowed, message: fmt.Sprintf("method %s is not allowed on this endpoint", method)}
}

func errInternal(msg string) *apiError { return &apiError{kind: kindInternal, message: msg} }

func errValidation(details []validationDetail) *apiError {
	return &apiError{kind: kindValidation, message: "request does not match openapi.yaml", validation: details}
}
