// Package mixpeekkit is the contract of the Mixpeek organization secrets and API-key
// endpoints: openapi.yaml, embedded, and the IDs of its 9 operations.
//
// The mock server (package mockserver), the conformance suite (package conformance) and the
// tests all read this one document. Load it with any OpenAPI 3.0 library; with kin-openapi:
//
//	doc, err := openapi3.NewLoader().LoadFromData(mixpeekkit.OpenAPI())
package mixpeekkit

import _ "embed"

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the bytes of openapi.yaml (a copy: the caller may change it).
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }

// OperationID is the operationId of one of the contract's operations. The mock's journal and
// faults, and the conformance suite's reports, name operations with it.
type OperationID string

// The 9 operations of openapi.yaml, with the IDs the upstream document gives them, each
// declared alone so that go doc lists every one.

const OpCreateSecret OperationID = "create_secret_v1_organizations_secrets_post"

const OpListSecrets OperationID = "list_secrets_v1_organizations_secrets_get"

const OpUpdateSecret OperationID = "update_secret_v1_organizations_secrets__secret_name__put"

const OpDeleteSecret OperationID = "delete_secret_v1_organizations_secrets__secret_name__delete"

const OpCreateAPIKey OperationID = "create_api_key_v1_organizations_users__user_email__api_keys_post"

const OpListAPIKeys OperationID = "list_api_keys_v1_organizations_users__user_email__api_keys_get"

const OpUpdateAPIKey OperationID = "update_api_key_v1_organizations_users__user_email__api_keys__key_name__patch"

const OpDeleteAPIKey OperationID = "delete_api_key_v1_organizations_users__user_email__api_keys__key_name__delete"

const OpRotateAPIKey OperationID = "rotate_api_key_v1_organizations_users__user_email__api_keys__key_name__rotate_post"

// Operations lists the 9 operations: the secrets ones, then the API-key ones.
func Operations() []OperationID {
	return []OperationID{OpCreateSecret, OpListSecrets, OpUpdateSecret, OpDeleteSecret,
		OpCreateAPIKey, OpListAPIKeys, OpUpdateAPIKey, OpDeleteAPIKey, OpRotateAPIKey}
}
