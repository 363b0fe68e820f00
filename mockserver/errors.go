package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/mixpeekkit/mixpeekkit/internal/apierror"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// The kinds of refusal a Server method can meet, for errors.Is: every refusal wraps one, with
// a message that never holds a secret value or a plaintext key. Over HTTP each is answered
// with the status in parentheses.
var (
	// ErrBadRequest: the request cannot be carried out as asked (400).
	ErrBadRequest = errors.New("bad request")
	// ErrNotFound: no such organization, user, key, secret, fault or endpoint (404).
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the request breaks openapi.yaml, or control.yaml (422).
	ErrInvalid = errors.New("invalid")
)

// The kinds only the HTTP edge meets.
var (
	errKindUnauthorized     = errors.New("unauthorized")           // no valid API key or control token (401)
	errKindForbidden        = errors.New("forbidden")              // the key lacks the permission, or the admin-key is protected (403)
	errKindAlreadyExists    = errors.New("already exists")         // the name is taken (409)
	errKindMethodNotAllowed = errors.New("method not allowed")     // (405)
	errKindUnsupportedMedia = errors.New("unsupported media type") // a control body that is not JSON (415)
	errKindInternal         = errors.New("internal error")         // (500)
	// The statuses a fault may answer outside the contract: what a client's retry logic meets.
	errKindTooManyRequests = errors.New("too many requests")   // (429)
	errKindBadGateway      = errors.New("bad gateway")         // (502)
	errKindUnavailable     = errors.New("service unavailable") // (503)
	errKindGatewayTimeout  = errors.New("gateway timeout")     // (504)
)

// refusal is a refused request or Server method call: its kind (one of the Err variables,
// which errors.Is sees through Unwrap), a message, and details that name the resources
// involved (the ErrorResponse's error.details). Neither ever holds a secret value or a
// plaintext key, so a refusal is safe to log and to answer with.
type refusal struct {
	kind       error
	message    string
	details    map[string]any
	violations []violation // ErrInvalid: the entries of the 422 body
}

func (e *refusal) Error() string { return e.message }

func (e *refusal) Unwrap() error { return e.kind }

// statusTable is the one place where a kind of error becomes an HTTP status and an
// ErrorResponse error.type.
var statusTable = []struct {
	kind   error
	status int
	typ    string
}{
	{ErrBadRequest, http.StatusBadRequest, "BadRequestError"},
	{errKindUnauthorized, http.StatusUnauthorized, "UnauthorizedError"},
	{errKindForbidden, http.StatusForbidden, "ForbiddenError"},
	{ErrNotFound, http.StatusNotFound, "NotFoundError"},
	{errKindAlreadyExists, http.StatusConflict, "AlreadyExistsError"},
	{ErrInvalid, http.StatusUnprocessableEntity, ""}, // an HTTPValidationError body
	{errKindMethodNotAllowed, http.StatusMethodNotAllowed, "MethodNotAllowedError"},
	{errKindUnsupportedMedia, http.StatusUnsupportedMediaType, "UnsupportedMediaTypeError"},
	{errKindTooManyRequests, http.StatusTooManyRequests, "TooManyRequestsError"},
	{errKindBadGateway, http.StatusBadGateway, "BadGatewayError"},
	{errKindUnavailable, http.StatusServiceUnavailable, "ServiceUnavailableError"},
	{errKindGatewayTimeout, http.StatusGatewayTimeout, "GatewayTimeoutError"},
	{errKindInternal, http.StatusInternalServerError, "InternalServerError"}, // last: the default
}

// answerOf renders an error as the contract declares it: the status, and an HTTPValidationError
// body for a 422 or an ErrorResponse for every other status. An error that is not a refusal
// (the random source, encryption) is a 500 that carries its text, which holds no request data.
func answerOf(err error) (int, any) {
	var e *refusal
	if !errors.As(err, &e) {
		e = errInternalf("the mock server failed: %v", err)
	}
	row := statusTable[len(statusTable)-1]
	for _, r := range statusTable {
		if errors.Is(e.kind, r.kind) {
			row = r
			break
		}
	}
	if row.kind == ErrInvalid {
		return row.status, httpValidationError{Detail: e.violations}
	}
	// A name from the request (a secret name, a key name) may be a plaintext key pasted by
	// mistake: an error never answers it back.
	// Read back as plain JSON first, so that a value of a named string type (an OperationID)
	// is a string the redaction sees.
	var details map[string]any
	if e.details != nil {
		data, _ := json.Marshal(e.details)
		var plain any
		_ = json.Unmarshal(data, &plain)
		details, _ = sensitive.RedactJSON(plain).(map[string]any)
	}
	return row.status, apierror.New(row.status, row.typ, sensitive.RedactKeys(e.message), details)
}

// kindOf is the kind of error an HTTP status stands for (a fault's status).
func kindOf(status int) error {
	for _, r := range statusTable {
		if r.status == status {
			return r.kind
		}
	}
	return errKindInternal
}

type httpValidationError struct {
	Detail []violation `json:"detail"`
}

// violation is one entry of a 422 body, as FastAPI writes it.
type violation struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// The named errors of the store and the request path.

func newError(kind error, details map[string]any, format string, args ...any) *refusal {
	return &refusal{kind: kind, message: fmt.Sprintf(format, args...), details: details}
}

func errUnauthorized(msg string) *refusal { return newError(errKindUnauthorized, nil, "%s", msg) }

func errBadRequest(msg string, details map[string]any) *refusal {
	return newError(ErrBadRequest, details, "%s", msg)
}

func errInternalf(format string, args ...any) *refusal {
	return newError(errKindInternal, nil, format, args...)
}

func errMissingPermission(need permission) *refusal {
	return newError(errKindForbidden, map[string]any{"required_permission": string(need)},
		"this API key lacks the %q permission", need)
}

func errAdminKeyProtected(action string) *refusal {
	return newError(errKindForbidden, map[string]any{"key_name": adminKeyName}, "the %s cannot be %s", adminKeyName, action)
}

func errKeyRevokedForGood(name string) *refusal {
	return errBadRequest("a revoked API key cannot be reactivated; create a new key",
		map[string]any{"key_name": name, "status": statusRevoked})
}

func errStatusNotSettable(status string) *refusal {
	return newError(ErrBadRequest, map[string]any{"status": status}, "status %s cannot be set: it follows from expires_at", status)
}

func errKeyStaysExpired(name string) *refusal {
	return errBadRequest("the key stays expired: set a later expires_at to make it active",
		map[string]any{"key_name": name, "status": statusExpired})
}

// errKeyNameTaken refuses a rename onto a live key's name (PATCH declares no 409). The
// admin-key's name is reserved in the whole organization.
func errKeyNameTaken(name string) *refusal {
	return newError(ErrBadRequest, map[string]any{"key_name": name}, "the name %q is already taken by a live API key", name)
}

func errBodyTooLarge(limit int) *refusal {
	return newError(ErrBadRequest, nil, "the request body is larger than %d bytes", limit)
}

func errBodyTooManyValues(limit int) *refusal {
	return newError(ErrBadRequest, nil, "the request body holds more than %d JSON values", limit)
}

func errBodyUnreadable() *refusal { return errBadRequest("the request body could not be read", nil) }

func errSecretNotFound(name string) *refusal {
	return newError(ErrNotFound, map[string]any{"resource": "secret", "secret_name": name}, "secret %q not found", name)
}

func errSecretExists(name string) *refusal {
	return newError(errKindAlreadyExists, map[string]any{"resource": "secret", "secret_name": name}, "secret %q already exists", name)
}

func errUserNotFound(email string) *refusal {
	return newError(ErrNotFound, map[string]any{"resource": "user", "user_email": email}, "user %q not found in this organization", email)
}

func errKeyNotFound(email, name string) *refusal {
	return newError(ErrNotFound, map[string]any{"resource": "api_key", "user_email": email, "key_name": name},
		"API key %q not found for user %q", name, email)
}

func errKeyExists(email, name string) *refusal {
	return newError(errKindAlreadyExists, map[string]any{"resource": "api_key", "user_email": email, "key_name": name},
		"API key %q already exists for user %q", name, email)
}

func errOrgExists(id string) *refusal {
	return newError(errKindAlreadyExists, map[string]any{"resource": "organization", "organization_id": id}, "organization %q already exists", id)
}

func errTooManyTenants(limit int) *refusal {
	return errBadRequest(fmt.Sprintf("the mock holds at most %d created organizations (-max-tenants): delete some (DELETE /_mock/orgs/{id}) or reset", limit), map[string]any{"limit": limit})
}

func errOrgNotFound(id string) *refusal {
	return newError(ErrNotFound, map[string]any{"resource": "organization", "organization_id": id}, "organization %q not found", id)
}

func errFaultNotFound(id string) *refusal {
	return newError(ErrNotFound, map[string]any{"resource": "fault", "fault_id": id}, "fault %q not found", id)
}

func errRouteNotFound() *refusal {
	return newError(ErrNotFound, map[string]any{"resource": "endpoint"}, "no such endpoint")
}

func errMethodNotAllowedOn(method string) *refusal {
	return newError(errKindMethodNotAllowed, nil, "method %s is not allowed on this endpoint", method)
}

// errInvalid is a Go caller's breach of a control.yaml schema, which over HTTP the contract
// check answers with a 422 before any handler runs.
func errInvalid(msg string) *refusal {
	return &refusal{kind: ErrInvalid, message: msg, violations: []violation{{Loc: []any{"body"}, Msg: msg, Type: "value_error"}}}
}

// maxViolations is how many entries a 422 lists: FastAPI lists every violation, so a body of
// 200,000 bad items would get an answer of megabytes; the mock lists the first ones and a last
// entry that says how many it left out (docs/behavior.md).
const maxViolations = 50

func errValidation(v []violation) *refusal { return errValidationOf(v, 0) }

// errValidationOf is errValidation of v and of more violations that were counted, not
// rendered.
func errValidationOf(v []violation, more int) *refusal {
	if left := len(v) - maxViolations + more; left > 0 {
		listed := v[:min(len(v), maxViolations)]
		v = append(slices.Clip(listed), violation{Loc: []any{"body"}, Type: "too_many_errors",
			Msg: fmt.Sprintf("and %d more violations, not listed: the mock lists the first %d", left, maxViolations)})
	}
	return &refusal{kind: ErrInvalid, message: "the request breaks its OpenAPI document", violations: v}
}

// errFault is the answer of a status fault: the error the status stands for, with the body
// the contract declares for it.
func errFault(h *faultHit) *refusal {
	msg := fmt.Sprintf("fault %s injected by the mock", h.ID)
	if kind := kindOf(h.Status); kind != ErrInvalid {
		return newError(kind, map[string]any{"fault_id": h.ID}, "%s", msg)
	}
	return errValidation([]violation{{Loc: []any{"body"}, Msg: msg, Type: "value_error"}})
}
