package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var exampleRecording = filepath.Join("..", "..", "examples", "secretsclient", "testdata", "rotate.recording.json")

func replayArgs(url string, extra ...string) []string {
	return append([]string{"replay", "-recording", exampleRecording, "-base-url", url, "-api-key", ownerKey,
		"-user-email", ownerEmail, "-rate", "0"}, extra...)
}

// The example's recording replays against the mock: exit 0, a line per call, no key shown.
func TestReplayCommandPasses(t *testing.T) {
	mock := newMock(t)
	code, out, errOut := runCmd(context.Background(), replayArgs(mock.URL, "-prefix", "cmdreplay"), nil)
	if code != 0 || !strings.Contains(out, "9 passed, 0 failed, 0 skipped") || strings.Count(out, "\nPASS replay/") != 9 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, ownerKey) {
		t.Errorf("the output shows the admin key")
	}
}

// A server whose rotation leaves the old key working fails the replay: exit 1, and the JSON
// report names the call and its curl form; stderr says which call.
func TestReplayCommandFails(t *testing.T) {
	mock := newMock(t)
	mock.Wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Every key but the admin's is accepted as the admin's: a 401 never comes.
			if a := r.Header.Get("Authorization"); a != "" && a != "Bearer "+ownerKey {
				r.Header.Set("Authorization", "Bearer "+ownerKey)
			}
			next.ServeHTTP(w, r)
		})
	})
	code, out, errOut := runCmd(context.Background(), replayArgs(mock.URL, "-format", "json"), nil)
	if code != 1 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var rep struct {
		Results []struct {
			ID       string `json:"id"`
			Status   string `json:"status"`
			Failures []struct {
				Message  string `json:"message"`
				Exchange struct {
					Status int    `json:"status"`
					Curl   string `json:"curl"`
				} `json:"exchange"`
			} `json:"failures"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err, out)
	}
	first := -1
	for i, c := range rep.Results {
		if c.Status == "fail" {
			first = i
			break
		}
	}
	if first < 0 || len(rep.Results[first].Failures) == 0 {
		t.Fatalf("no failing call: %s", out)
	}
	f := rep.Results[first].Failures[0]
	if !strings.HasPrefix(f.Message, "recorded ") || !strings.Contains(f.Message, fmt.Sprintf("actual   %d ", f.Exchange.Status)) || !strings.Contains(f.Exchange.Curl, "curl ") {
		t.Fatalf("the failing call lacks its statuses and curl: %+v", f)
	}
	if !strings.Contains(errOut, "first at "+rep.Results[first].ID) {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestReplayCommandUsage(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"format":"mixpeek-recording","version":2,"symbols":{},"calls":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"replay", "-base-url", "http://127.0.0.1:1", "-api-key", ownerKey, "-user-email", ownerEmail}, "-recording is required"},
		{[]string{"replay", "-recording", bad, "-base-url", "http://127.0.0.1:1", "-api-key", ownerKey, "-user-email", ownerEmail}, "version 2"},
		{[]string{"replay", "-recording", exampleRecording}, "-base-url (or MIXPEEK_BASE_URL) is required"},
		{[]string{"replay", "-recording", exampleRecording, "-base-url", "http://127.0.0.1:1", "-api-key", ownerKey, "-user-email", ownerEmail, "-format", "xml"}, "-format must be text, json, junit"},
	} {
		code, out, errOut := runCmd(context.Background(), tc.args, nil)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q (want %q), stdout %q", tc.args, code, errOut, tc.want, out)
		}
	}
}

// -mock-clock replays the recording's clock moves by moving the mock's clock.
func TestReplayCommandMockClock(t *testing.T) {
	rec := `{"format":"mixpeek-recording","version":1,"symbols":{"$key1":{"kind":"key"},"$user":{"kind":"user","owner":true}},"calls":[
{"seq":1,"operation_id":"create_api_key_v1_organizations_users__user_email__api_keys_post","as":"$admin","params":{"user_email":"$user"},"body":{"name":"$key1","expires_at":"$now+1h0m0s"},"status":200,"response":{"shape":{"key":"string"}},"issues":"$key1"},
{"seq":2,"clock":"2h0m0s"},
{"seq":3,"operation_id":"list_secrets_v1_organizations_secrets_get","as":"$key1","status":401,"response":{"shape":{"error":{"type":"string"}},"error_type":"UnauthorizedError"}}]}`
	file := filepath.Join(t.TempDir(), "clock.recording.json")
	if err := os.WriteFile(file, []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	mock := newMock(t)
	args := []string{"replay", "-recording", file, "-base-url", mock.URL, "-api-key", ownerKey, "-user-email", ownerEmail, "-rate", "0"}
	code, out, errOut := runCmd(context.Background(), append(args, "-mock-clock"), nil)
	if code != 0 || !strings.Contains(out, "2 passed, 0 failed, 0 skipped") {
		t.Fatalf("with -mock-clock: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCmd(context.Background(), args, nil)
	if code != 0 || !strings.Contains(out, "1 passed, 0 failed, 1 skipped") || !strings.Contains(out, "-mock-clock can move its clock") {
		t.Fatalf("without: exit %d\n%s", code, out)
	}
}
