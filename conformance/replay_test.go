package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/conformance"
	"github.com/mixpeekkit/mixpeekkit/recording"
)

// The committed recordings of the example consumer: what its tests did against the mock.
var exampleRecordings = []string{"put", "rotate"}

func loadRecording(t *testing.T, name string) *recording.Recording {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", "secretsclient", "testdata", name+".recording.json"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := recording.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Calls) < 5 {
		t.Fatalf("%s: %d calls: the example's recording is not what its tests make", name, len(rec.Calls))
	}
	return rec
}

// replayConfig is config without the peer (a replay does not use it) and with a prefix the
// test can look for.
func replayConfig(url string) conformance.Config {
	cfg := config(url)
	cfg.PeerAPIKey, cfg.Prefix = "", "rp"
	return cfg
}

// The example's recordings replay against the mock: every call passes, none is skipped, and
// nothing the replay made is left behind.
func TestReplayExampleRecordingsAgainstMock(t *testing.T) {
	for _, name := range exampleRecordings {
		t.Run(name, func(t *testing.T) {
			rec := loadRecording(t, name)
			mock := newMock(t)
			report, err := conformance.Replay(context.Background(), replayConfig(mock.URL), rec)
			if err != nil {
				t.Fatal(err)
			}
			var text bytes.Buffer
			if err := report.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if !report.OK() || len(report.Calls) != len(rec.Calls) {
				t.Fatalf("the replay against the mock differs (%d of %d calls):\n%s", len(report.Calls), len(rec.Calls), text.String())
			}
			for _, c := range report.Calls {
				if c.Status != conformance.Pass || c.ActualStatus != c.RecordedStatus || c.Exchange == nil || c.Exchange.Curl == "" {
					t.Errorf("call %d: %s %d/%d %v", c.Seq, c.Status, c.RecordedStatus, c.ActualStatus, c.Exchange)
				}
			}
			if left := liveLeftovers(t, mock, report.Prefix); len(left) > 0 {
				t.Errorf("the replay left %v", left)
			}
			if !strings.Contains(text.String(), "0 fail, 0 skipped") {
				t.Errorf("text report: %s", text.String())
			}
		})
	}
}

// Each broken variant of the mock fails the replay first at the call that shows the break,
// found from the recording (not written down), with the recorded and actual status and shape.
func TestReplayFindsBrokenVariants(t *testing.T) {
	isCreateSecret := func(r *http.Request) bool { return r.Method == "POST" && isSecrets(r) }
	cases := []struct {
		name, recording string
		wrap            func(http.Handler) http.Handler
		// first is the first call of the recording the break shows in.
		first func(c recording.Call) bool
		want  string // in the first difference
	}{
		{"create secret answers 200", "put", variantWrap(t, "create secret answers 200"),
			func(c recording.Call) bool { return c.Operation == mixpeekkit.OpCreateSecret && c.Status == 201 },
			"status: recorded 201, got 200"},
		{"rotation does not revoke the old key", "rotate", variantWrap(t, "rotated key still valid"),
			func(c recording.Call) bool { return c.Operation == mixpeekkit.OpListSecrets && c.Status == 401 },
			"status: recorded 401, got 200"},
		{"list misses a secret", "put", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if r.Method == "GET" && isSecrets(r) && a.status == 200 {
				return 200, a.header, map[string]any{"secrets": []string{}, "count": 0}
			}
			return a.status, a.header, a.body
		}), func(c recording.Call) bool {
			return c.Operation == mixpeekkit.OpListSecrets && c.Response.Listed != nil && len(*c.Response.Listed) > 0
		}, "listed: recorded [$secret1], got []"},
		{"not-found error type renamed", "put", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if a.status == 404 {
				m := a.json()
				m["error"].(map[string]any)["type"] = "ResourceMissing"
				return a.status, a.header, m
			}
			return a.status, a.header, a.body
		}), func(c recording.Call) bool { return c.Status == 404 }, `error.type: recorded "NotFoundError", got "ResourceMissing"`},
		{"create secret drops a member", "put", bug(func(next http.Handler, r *http.Request, b []byte) (int, http.Header, any) {
			a := forward(next, r, b)
			if isCreateSecret(r) && a.status == 201 {
				m := a.json()
				delete(m, "created")
				return a.status, a.header, m
			}
			return a.status, a.header, a.body
		}), func(c recording.Call) bool { return c.Operation == mixpeekkit.OpCreateSecret && c.Status == 201 },
			"shape: created: missing (recorded boolean)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := loadRecording(t, tc.recording)
			i := slices.IndexFunc(rec.Calls, tc.first)
			if i < 0 {
				t.Fatalf("the %s recording has no call that shows this break", tc.recording)
			}
			mock := newMock(t)
			mock.Wrap(tc.wrap)
			report, err := conformance.Replay(context.Background(), replayConfig(mock.URL), rec)
			if err != nil {
				t.Fatal(err)
			}
			d := report.FirstDifference()
			var text bytes.Buffer
			_ = report.WriteText(&text)
			if report.OK() || d == nil || d.Seq != rec.Calls[i].Seq {
				t.Fatalf("first difference %+v, want call %d:\n%s", d, rec.Calls[i].Seq, text.String())
			}
			if !slices.Contains(d.Differences, tc.want) {
				t.Errorf("differences %q, want %q", d.Differences, tc.want)
			}
			if d.RecordedStatus != rec.Calls[i].Status || d.ActualStatus != d.Exchange.Status || len(d.RecordedShape) == 0 || len(d.ActualShape) == 0 {
				t.Errorf("the difference lacks the recorded or actual status and shape: %+v", d)
			}
			if !strings.Contains(text.String(), "first difference: call "+strconv.Itoa(d.Seq)) || !strings.Contains(text.String(), "$ curl") {
				t.Errorf("text report:\n%s", text.String())
			}
			if left := liveLeftovers(t, mock, report.Prefix); len(left) > 0 {
				t.Errorf("the replay left %v", left)
			}
			var js bytes.Buffer
			if err := report.WriteJSON(&js); err != nil || !json.Valid(js.Bytes()) {
				t.Errorf("JSON report: %v", err)
			}
		})
	}
}

func variantWrap(t *testing.T, name string) func(http.Handler) http.Handler {
	for _, v := range variants() {
		if v.name == name {
			return v.wrap
		}
	}
	t.Fatalf("no variant %q", name)
	return nil
}
