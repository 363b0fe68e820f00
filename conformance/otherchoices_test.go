package conformance_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/internal/otherchoices"
)

// The suite, with an exploration, passes against a server that takes the other side of every
// open choice: it judges by the contract alone.
func TestOtherChoicesPassTheSuite(t *testing.T) {
	mock := newMock(t)
	mock.Wrap(otherchoices.Wrap)
	cfg := mockConfig(mock)
	cfg.Explore, cfg.Seed = steps(3000), 1
	report, err := conformance.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() || report.Skipped != 0 {
		var text bytes.Buffer
		_ = report.WriteText(&text)
		t.Errorf("the suite against the other choices:\n%s", text.String())
	}
}

// Every committed recording replays green against the other choices: the differences of
// shape the contract leaves open are notes, never failures.
func TestOtherChoicesPassTheReplay(t *testing.T) {
	for _, name := range exampleRecordings {
		t.Run(name, func(t *testing.T) {
			rec := loadRecording(t, name)
			mock := newMock(t)
			mock.Wrap(otherchoices.Wrap)
			report, err := conformance.Replay(context.Background(), replayConfig(mock.URL), public(t, rec))
			if err != nil {
				t.Fatal(err)
			}
			var text bytes.Buffer
			_ = report.WriteText(&text)
			if !report.OK() || report.Skipped != 0 || len(calls(report)) != len(rec.Calls) {
				t.Fatalf("the replay against the other choices:\n%s", text.String())
			}
			notes := 0
			for _, r := range report.Results {
				if strings.Contains(r.Note, "the contract allows these differences") {
					notes++
				}
			}
			if notes == 0 {
				t.Errorf("no call noted a difference the contract allows (the variant leaves out null members):\n%s", text.String())
			}
		})
	}
}

// A recording of the refusals whose status the promises leave open (a rename onto a taken
// name, B30; a revoked key made active, B34) and of a revoked key's name used again (P8)
// replays green against the other choices, which answer 422, 404 and 409 there.
func TestOtherChoicesPassAReplayOfTheOpenRefusals(t *testing.T) {
	mock := newMock(t)
	org := mock.Organizations()[0].ID
	client := mock.Client(ownerKey)
	keys := mock.URL + "/v1/organizations/users/owner%40org-a.test/api-keys"
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", keys, `{"name": "k1"}`, 200},
		{"POST", keys, `{"name": "k2"}`, 200},
		{"PATCH", keys + "/k2", `{"name": "k1"}`, 400},
		{"DELETE", keys + "/k2", ``, 200},
		{"PATCH", keys + "/k2", `{"status": "active"}`, 400},
		{"POST", keys, `{"name": "k2"}`, 200},
		{"GET", keys, ``, 200},
	} {
		req, _ := http.NewRequest(c.method, c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != c.want {
			t.Fatalf("%s %s: %v %v, want %d", c.method, c.path, err, resp, c.want)
		}
		resp.Body.Close()
	}
	rec, err := mock.Recording(org)
	if err != nil {
		t.Fatal(err)
	}
	other := newMock(t)
	other.Wrap(otherchoices.Wrap)
	report, err := conformance.Replay(context.Background(), replayConfig(other.URL), rec)
	var text bytes.Buffer
	_ = report.WriteText(&text)
	if err != nil || !report.OK() || report.Skipped != 0 {
		t.Fatalf("%v\n%s", err, text.String())
	}
	notes := 0
	for _, r := range report.Results {
		if strings.Contains(r.Note, "status: recorded") {
			notes++
		}
	}
	if notes != 3 {
		t.Errorf("%d calls noted an open status, want the rename, the reactivation and the name used again:\n%+v", notes, report.Results)
	}
}
