package main

import (
	"testing"

	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
)

// The mock records by default (GET /_mock/recording); -no-recording and its environment
// mirror turn it off.
func TestRecordingFlag(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		env   map[string]string
		calls int
	}{
		{"default", nil, nil, 1},
		{"flag", []string{"-no-recording"}, nil, 0},
		{"environment", nil, map[string]string{"MIXPEEK_MOCK_NO_RECORDING": "true"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := start(t, append([]string{"-addr", "127.0.0.1:0"}, tc.args...), tc.env)
			if status, _ := in.get(t, "/v1/organizations/secrets", devAdminKey); status != 200 {
				t.Fatalf("list: %d", status)
			}
			status, body := in.get(t, "/_mock/recording", "")
			if status != 200 {
				t.Fatalf("GET /_mock/recording: %d %s", status, body)
			}
			rec, err := recfmt.Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.Calls) != tc.calls {
				t.Errorf("%d calls recorded, want %d: %s", len(rec.Calls), tc.calls, body)
			}
		})
	}
}
