package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/getkin/kin-openapi/routers"
	"github.com/gorilla/mux"
)

// operation is one of the 9 operations of openapi.yaml, as this server serves it.
type operation struct {
	id      string // operationId in openapi.yaml
	method  string
	path    string     // the same template as openapi.yaml
	need    permission // what the calling key must grant
	success int        // the one success status the contract declares
	handle  func(*Server, *call) (any, error)
	route   *routers.Route
}

// operations is the table of the contract's operations: the only place a success status is
// chosen.
func operations() []*operation {
	const (
		secrets = "/v1/organizations/secrets"
		secret  = secrets + "/{secret_name}"
		keys    = "/v1/organizations/users/{user_email}/api-keys"
		key     = keys + "/{key_name}"
	)
	return []*operation{
		{"create_secret_v1_organizations_secrets_post", http.MethodPost, secrets, permAdmin, http.StatusCreated, (*Server).createSecret, nil},
		{"list_secrets_v1_organizations_secrets_get", http.MethodGet, secrets, permRead, http.StatusOK, (*Server).listSecrets, nil},
		{"update_secret_v1_organizations_secrets__secret_name__put", http.MethodPut, secret, permAdmin, http.StatusOK, (*Server).updateSecret, nil},
		{"delete_secret_v1_organizations_secrets__secret_name__delete", http.MethodDelete, secret, permAdmin, http.StatusOK, (*Server).deleteSecret, nil},
		{"create_api_key_v1_organizations_users__user_email__api_keys_post", http.MethodPost, keys, permAdmin, http.StatusOK, (*Server).createKey, nil},
		{"list_api_keys_v1_organizations_users__user_email__api_keys_get", http.MethodGet, keys, permAdmin, http.StatusOK, (*Server).listKeys, nil},
		{"update_api_key_v1_organizations_users__user_email__api_keys__key_name__patch", http.MethodPatch, key, permAdmin, http.StatusOK, (*Server).updateKey, nil},
		{"delete_api_key_v1_organizations_users__user_email__api_keys__key_name__delete", http.MethodDelete, key, permAdmin, http.StatusOK, (*Server).deleteKey, nil},
		{"rotate_api_key_v1_organizations_users__user_email__api_keys__key_name__rotate_post", http.MethodPost, key + "/rotate", permAdmin, http.StatusOK, (*Server).rotateKey, nil},
	}
}

// routes builds the router: the 9 operations, checked against openapi.yaml, and the control
// API under /_mock/.
func (s *Server) routes() (*mux.Router, error) {
	// Encoded paths: a %2F inside a secret name must not split the path. No cleaning: mux
	// would answer "//v1/..." or ".../secrets/." with a bodiless 301 that clients follow as
	// a GET, and a secret named "." could not be reached.
	r := mux.NewRouter().UseEncodedPath().SkipClean(true)
	for _, op := range operations() {
		op.route = s.contract.Route(op.id)
		if op.route == nil || op.route.Path != op.path || op.route.Method != op.method {
			return nil, fmt.Errorf("mockserver: operation %s is not %s %s in openapi.yaml", op.id, op.method, op.path)
		}
		if op.route.Operation.Responses.Status(op.success) == nil {
			return nil, fmt.Errorf("mockserver: openapi.yaml does not declare %d for %s", op.success, op.id)
		}
		// Path before method: gorilla/mux v1.8.1 loses a 405 when a method matcher runs first.
		r.Path(op.path).Methods(op.method).Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			s.serveOperation(op, w, req)
		}))
	}
	s.controlRoutes(r)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.writeError(w, errRouteNotFound())
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.writeError(w, errMethodNotAllowed(req.Method))
	})
	return r, nil
}

// writeError answers with an error outside the contract's operations.
func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	s.write(w, e.status(), mustMarshal(e.body()), nil)
}

// write is the only place that writes an answer: every answer is JSON.
func (s *Server) write(w http.ResponseWriter, status int, data []byte, header http.Header) {
	for k, v := range header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode answer: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// mustMarshal encodes the server's own error bodies, which are plain data and cannot fail.
func mustMarshal(v any) []byte {
	b, err := marshal(v)
	if err != nil {
		return []byte(`{"success":false,"status":500,"error":{"type":"InternalServerError","message":"encode failure","details":null}}`)
	}
	return b
}
