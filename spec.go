// Package mixpeekkit is the root of the Mixpeek secrets and API-key contract-test kit.
//
// It holds the contract, openapi.yaml, as embedded bytes, so the mock server, the tests, the
// conformance suite and users all load the same document.
package mixpeekkit

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// OpenAPI is the contract: the bytes of openapi.yaml at the root of this module.
//
//go:embed openapi.yaml
var OpenAPI []byte

// LoadContract parses and validates openapi.yaml and returns a fresh document.
//
// The document's `servers` are cleared: kin-openapi matches a request against the server
// URLs, and an absolute URL would stop routing on 127.0.0.1 or any other host.
// Every call returns a new document, so callers may change theirs freely.
func LoadContract(ctx context.Context) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, err := loader.LoadFromData(OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: parse: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("openapi.yaml: invalid: %w", err)
	}
	doc.Servers = nil
	return doc, nil
}
