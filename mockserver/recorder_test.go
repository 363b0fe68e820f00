package mockserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/mockserver"
	"github.com/mixpeekkit/mixpeekkit/recording"
)

func TestRecordingScratch(t *testing.T) {
	h := newHarness(t)
	keys := "/v1/organizations/users/admin%40example.com/api-keys"
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "stripe", "secret_value": "VALUE-1"})
	h.send("POST", secretsURL, adminKey, map[string]any{"secret_name": "stripe", "secret_value": "VALUE-1"})
	h.send("PUT", secretsURL+"/stripe", adminKey, map[string]any{"secret_value": "VALUE-22"})
	k := h.createKey(map[string]any{"name": "ci", "permissions": []string{"read"}, "expires_at": h.clock.Now().Add(time.Hour).Format(time.RFC3339)})
	h.send("GET", secretsURL, k["key"].(string), nil)
	rot := h.send("POST", keys+"/ci/rotate", adminKey, nil).json(t)
	h.send("GET", secretsURL, k["key"].(string), nil)
	h.send("GET", secretsURL, rot["key"].(string), nil)
	h.send("GET", keys, adminKey, nil)
	h.send("DELETE", secretsURL+"/stripe", adminKey, nil)
	r := h.ctl("GET", "/_mock/recording", nil)
	t.Logf("%s", r.raw)
	rec, err := recording.Parse(r.raw)
	if err != nil {
		t.Fatal(err)
	}
	_ = rec
	_ = strings.Contains
	_ = http.StatusOK
	_ = mixpeekkit.OpCreateSecret
	_ = mockserver.Options{}
}
