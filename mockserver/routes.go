package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/gorilla/mux"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
)

// operation is one operation of an OpenAPI document, as this server serves it: one of the 9
// of openapi.yaml, or one of the control API's.
type operation struct {
	id      string     // operationId in the document
	method  string     // from the document
	path    string     // the document's template
	need    permission // what the calling key must grant (contract operations)
	success int        // the one success status the document declares
	handle  func(*Server, *call) (any, error)
	control bool // a control API operation: the control token, not an API key
	open    bool // a control operation that needs no control token
	route   *routers.Route
	doc     *contract.Contract
}

// bodySchema is the schema of the operation's JSON request body (nil when it takes none).
func (op *operation) bodySchema() *openapi3.Schema {
	if rb := op.route.Operation.RequestBody; rb != nil && rb.Value != nil {
		if mt := rb.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			return mt.Schema.Value
		}
	}
	return nil
}

// operations is the table of the contract's operations (mixpeekkit.Operations, their method
// and path from openapi.yaml): what each needs, its handler, and its success status, the only
// place one is chosen.
func operations() []*operation {
	table := map[mixpeekkit.OperationID]*operation{
		mixpeekkit.OpCreateSecret: {need: permAdmin, success: http.StatusCreated, handle: (*Server).createSecret},
		mixpeekkit.OpListSecrets:  {need: permRead, success: http.StatusOK, handle: (*Server).listSecrets},
		mixpeekkit.OpUpdateSecret: {need: permAdmin, success: http.StatusOK, handle: (*Server).updateSecret},
		mixpeekkit.OpDeleteSecret: {need: permAdmin, success: http.StatusOK, handle: (*Server).deleteSecret},
		mixpeekkit.OpCreateAPIKey: {need: permAdmin, success: http.StatusOK, handle: (*Server).createKey},
		mixpeekkit.OpListAPIKeys:  {need: permAdmin, success: http.StatusOK, handle: (*Server).listKeys},
		mixpeekkit.OpUpdateAPIKey: {need: permAdmin, success: http.StatusOK, handle: (*Server).updateKey},
		mixpeekkit.OpDeleteAPIKey: {need: permAdmin, success: http.StatusOK, handle: (*Server).deleteKey},
		mixpeekkit.OpRotateAPIKey: {need: permAdmin, success: http.StatusOK, handle: (*Server).rotateKey},
	}
	c, err := contract.OpenAPI()
	var out []*operation
	for _, id := range mixpeekkit.Operations() {
		op := table[id]
		if op == nil {
			op = &operation{} // no handler: routes refuses to start
		}
		op.id = string(id)
		if err == nil {
			if r := c.Route(op.id); r != nil {
				op.method, op.path = r.Method, r.Path
			}
		}
		out = append(out, op)
	}
	return out
}

// routes builds the router: the 9 operations and the control API, each checked against its
// document. It is built once per process and every server shares it (compiling its patterns
// would be most of what New costs): a handler finds its server in the request's context.
var routes = sync.OnceValues(func() (*mux.Router, error) {
	c, err := contract.OpenAPI()
	if err != nil {
		return nil, err
	}
	ctl, err := loadControl()
	if err != nil {
		return nil, err
	}
	// Encoded paths: a %2F inside a secret name must not split the path. No cleaning: mux
	// would answer "//v1/..." or ".../secrets/." with a bodiless 301 that clients follow as
	// a GET, and a secret named "." could not be reached.
	r := mux.NewRouter().UseEncodedPath().SkipClean(true)
	add := func(op *operation, doc *contract.Contract) error {
		op.doc, op.route = doc, doc.Route(op.id)
		switch {
		case op.route == nil:
			return fmt.Errorf("mockserver: operation %s is not in its OpenAPI document", op.id)
		case op.handle == nil:
			return fmt.Errorf("mockserver: operation %s has no handler", op.id)
		}
		op.method, op.path = op.route.Method, op.route.Path
		if op.route.Operation.Responses.Status(op.success) == nil {
			return fmt.Errorf("mockserver: the document does not declare %d for %s", op.success, op.id)
		}
		// Path before method: gorilla/mux v1.8.1 loses a 405 when a method matcher runs first.
		r.Path(op.path).Methods(op.method).Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			serverOf(req).serveOperation(op, w, req)
		}))
		return nil
	}
	for _, op := range operations() {
		if err := add(op, c); err != nil {
			return nil, err
		}
	}
	for _, op := range controlOperations() {
		if err := add(op, ctl); err != nil {
			return nil, err
		}
	}
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		serverOf(req).writeError(w, errRouteNotFound())
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Allow", strings.Join(allowedMethods(r, req), ", "))
		serverOf(req).writeError(w, errMethodNotAllowedOn(req.Method))
	})
	return r, nil
})

// allowedMethods are the methods the router serves on the request's path, for a 405's Allow.
func allowedMethods(r *mux.Router, req *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := req.Clone(req.Context())
		probe.Method = m
		var match mux.RouteMatch
		if r.Match(probe, &match) && match.MatchErr == nil {
			out = append(out, m)
		}
	}
	return out
}

type serverKey struct{}

// serverOf is the server a request came through (ServeHTTP puts it in the context).
func serverOf(r *http.Request) *Server { return r.Context().Value(serverKey{}).(*Server) }

// writeError answers with an error outside a handler: no route, a panic, a broken answer.
func (s *Server) writeError(w http.ResponseWriter, err error) {
	status, body := answerOf(err)
	s.write(w, status, mustMarshal(body), nil)
}

// write is the only place that writes an answer: JSON unless header says otherwise (the
// control API's YAML document).
func (s *Server) write(w http.ResponseWriter, status int, data []byte, header http.Header) {
	for k, v := range header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
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
