package mockservertest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
)

// fakeT runs the cleanups RecordTo registers, with the outcome the test sets.
type fakeT struct {
	testing.TB
	failed   bool
	cleanups []func()
	errors   []string
}

func (f *fakeT) Helper()                           {}
func (f *fakeT) Cleanup(fn func())                 { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) Failed() bool                      { return f.failed }
func (f *fakeT) Skipped() bool                     { return false }
func (f *fakeT) Errorf(format string, args ...any) { f.errors = append(f.errors, format) }
func (f *fakeT) end() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestRecordTo(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		failed bool
		path   string
		wrote  bool
	}{
		{"a passing test writes", false, filepath.Join(dir, "new", "dir", "pass.recording.json"), true},
		{"a failed test does not", true, filepath.Join(dir, "fail.recording.json"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewServer(t)
			ft := &fakeT{TB: t, failed: tc.failed}
			s.RecordTo(ft, tc.path)
			resp, err := s.Client(s.AdminKey).Get(s.URL + "/v1/organizations/secrets")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			ft.end()
			data, err := os.ReadFile(tc.path)
			if !tc.wrote {
				if !os.IsNotExist(err) {
					t.Errorf("a failed test wrote its recording: %v", err)
				}
				return
			}
			if err != nil || len(ft.errors) > 0 {
				t.Fatalf("%v %v", err, ft.errors)
			}
			rec, err := recfmt.Parse(data)
			if err != nil || len(rec.Calls) != 1 || rec.Calls[0].As != recfmt.Admin {
				t.Errorf("the recording written: %v %s", err, data)
			}
			if strings.Contains(string(data), s.AdminKey) {
				t.Error("the recording holds the admin key")
			}
		})
	}
	// A path that cannot be written fails the test.
	s := NewServer(t)
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ft := &fakeT{TB: t}
	s.RecordTo(ft, filepath.Join(blocker, "x.json"))
	ft.end()
	if len(ft.errors) != 1 {
		t.Errorf("an unwritable path: %v", ft.errors)
	}
}
