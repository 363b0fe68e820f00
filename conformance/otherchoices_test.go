package conformance_test

import (
	"bytes"
	"context"
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
