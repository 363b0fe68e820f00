package replay

import (
	"testing"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
)

// A difference of shape fails a replay only where the contract fixes it; every other choice
// the contract leaves open passes.
func TestFixedIsWhatTheContractFixes(t *testing.T) {
	c, err := contract.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		op     mixpeekkit.OperationID
		status int
		d      recfmt.Difference
		fixed  bool
	}{
		// Open: details is an optional object or null; the SDK-only members are optional.
		{mixpeekkit.OpCreateSecret, 409, recfmt.Difference{Path: []string{"error", "details"}, Recorded: "an object", Actual: "null"}, false},
		{mixpeekkit.OpCreateSecret, 409, recfmt.Difference{Path: []string{"error", "details"}, Missing: true, Recorded: "an object"}, false},
		{mixpeekkit.OpCreateAPIKey, 200, recfmt.Difference{Path: []string{"allowed_origins"}, Missing: true, Recorded: "null"}, false},
		{mixpeekkit.OpListAPIKeys, 200, recfmt.Difference{Path: []string{"results", "[]", "subscription_id"}, Missing: true, Recorded: "null"}, false},
		{mixpeekkit.OpListAPIKeys, 200, recfmt.Difference{Path: []string{"results", "[]", "expires_at"}, Recorded: "null", Actual: "string"}, false},
		{mixpeekkit.OpCreateSecret, 201, recfmt.Difference{Path: []string{"created"}, Missing: true, Recorded: "boolean"}, false},
		{mixpeekkit.OpCreateSecret, 201, recfmt.Difference{Path: []string{"extra"}, Recorded: "string", Actual: "integer"}, false},
		// Fixed: a required member, a declared type, null where not nullable.
		{mixpeekkit.OpCreateSecret, 201, recfmt.Difference{Path: []string{"secret_name"}, Missing: true, Recorded: "string"}, true},
		{mixpeekkit.OpCreateAPIKey, 200, recfmt.Difference{Path: []string{"key"}, Missing: true, Recorded: "string"}, true},
		{mixpeekkit.OpListSecrets, 200, recfmt.Difference{Path: []string{"count"}, Recorded: "integer", Actual: "string"}, true},
		{mixpeekkit.OpListAPIKeys, 200, recfmt.Difference{Path: []string{"results", "[]", "name"}, Recorded: "string", Actual: "null"}, true},
		{mixpeekkit.OpListSecrets, 200, recfmt.Difference{Recorded: "an object", Actual: "an array"}, true},
		{mixpeekkit.OpDeleteSecret, 404, recfmt.Difference{Path: []string{"error", "message"}, Missing: true, Recorded: "string"}, true},
	} {
		schema := c.ResponseSchema(string(tc.op), tc.status)
		if schema == nil {
			t.Fatalf("%s declares no body for %d", tc.op, tc.status)
		}
		if got := fixed(schema, tc.d); got != tc.fixed {
			t.Errorf("%s %d %s: fixed = %v, want %v", contract.ShortName(string(tc.op)), tc.status, tc.d, got, tc.fixed)
		}
	}
}
