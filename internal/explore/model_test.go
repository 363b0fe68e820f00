package explore

import (
	"testing"

	"github.com/mixpeekkit/mixpeekkit"
)

// The walk's operations are the contract's 9, in mixpeekkit.Operations' order.
func TestOpKindsAreTheOperations(t *testing.T) {
	ops := mixpeekkit.Operations()
	if len(ops) != int(numOps) {
		t.Fatalf("%d operations, %d kinds", len(ops), numOps)
	}
	for k, want := range map[opKind]string{opCreateSecret: "create secret", opPatchKey: "update api key", opDeleteKey: "delete api key", opRotateKey: "rotate api key"} {
		if got := k.name(); got != want {
			t.Errorf("kind %d is %q, want %q", k, got, want)
		}
	}
}
