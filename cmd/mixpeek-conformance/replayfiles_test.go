package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
)

var exampleRecordings = filepath.Join("..", "..", "examples", "secretsclient", "testdata")

// recordingsDir is a directory of the example's two recordings, a file that is not *.json and a
// subdirectory whose recording is not read.
func recordingsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"put.recording.json", "rotate.recording.json"} {
		data, err := os.ReadFile(filepath.Join(exampleRecordings, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not a recording"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "broken.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

type replayJSON struct {
	Results []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"results"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

var summaryLine = regexp.MustCompile(`(?m)^\d+ passed, \d+ failed, \d+ skipped in `)

// Several recordings, a directory among them, make one report: each result named by its file,
// the totals summed, one summary line; in JUnit a test case per call.
func TestReplayCommandSeveralRecordings(t *testing.T) {
	mock := newMock(t)
	dir := recordingsDir(t)
	base := []string{"replay", "-base-url", mock.URL, "-api-key", ownerKey, "-user-email", ownerEmail, "-rate", "0"}
	put, rotate := filepath.Join(exampleRecordings, "put.recording.json"), filepath.Join(exampleRecordings, "rotate.recording.json")
	alone := map[string]replayJSON{}
	for _, f := range []string{put, rotate} {
		code, out, errOut := runCmd(context.Background(), append(base, "-recording", f, "-format", "json"), nil)
		var rep replayJSON
		if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || len(rep.Results) == 0 {
			t.Fatalf("%s alone: exit %d, %v\n%s\n%s", f, code, err, out, errOut)
		}
		alone[filepath.Base(f)] = rep
	}
	wantResults := len(alone["put.recording.json"].Results) + len(alone["rotate.recording.json"].Results)
	wantPassed := alone["put.recording.json"].Passed + alone["rotate.recording.json"].Passed

	t.Run("json, a directory", func(t *testing.T) {
		code, out, errOut := runCmd(context.Background(), append(base, "-recording", dir, "-format", "json"), nil)
		var rep replayJSON
		if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
			t.Fatalf("exit %d, %v\n%s\n%s", code, err, out, errOut)
		}
		if len(rep.Results) != wantResults || rep.Passed != wantPassed || rep.Failed != 0 {
			t.Fatalf("%d results, %d passed; want %d and %d (the sum of each alone)", len(rep.Results), rep.Passed, wantResults, wantPassed)
		}
		// In name order: put's calls, then rotate's, each ID naming its file.
		for i, r := range rep.Results {
			file := "put.recording.json"
			if i >= len(alone[file].Results) {
				file = "rotate.recording.json"
			}
			if !strings.HasPrefix(r.ID, "replay/"+file+"/") {
				t.Errorf("result %d is %q, want it under replay/%s/", i, r.ID, file)
			}
		}
		if l := lines(errOut); len(summaryLine.FindAllString(errOut, -1)) != 1 || !summaryLine.MatchString(l[len(l)-1]) ||
			strings.Count(errOut, "replaying ") != 2 {
			t.Errorf("stderr: %q, want a line per recording, then one summary line", errOut)
		}
	})
	t.Run("text, the flag repeated and a comma list", func(t *testing.T) {
		// Each file named twice (alone and in its directory) is replayed once.
		code, out, errOut := runCmd(context.Background(), append(base, "-recording", rotate, "-recording", put+","+exampleRecordings), nil)
		if code != 0 || len(summaryLine.FindAllString(out, -1)) != 1 || !strings.HasSuffix(out, "\n") {
			t.Fatalf("exit %d, want 0 and one summary line:\n%s\n%s", code, out, errOut)
		}
		if !strings.Contains(out, "\n"+strconv.Itoa(wantPassed)+" passed, 0 failed, ") {
			t.Errorf("the summary is not the sum (%d passed):\n%s", wantPassed, out)
		}
		if strings.Count(out, "replaying ") != 2 || strings.Index(out, "replaying rotate.recording.json") > strings.Index(out, "replaying put.recording.json") {
			t.Errorf("want rotate, then put, each once:\n%s", out)
		}
		if n := strings.Count(out, "\nPASS replay/rotate.recording.json/"); n != alone["rotate.recording.json"].Passed {
			t.Errorf("%d lines of rotate's results, want %d:\n%s", n, alone["rotate.recording.json"].Passed, out)
		}
		noKeys(t, out, errOut)
	})
	t.Run("junit, from the environment", func(t *testing.T) {
		code, out, errOut := runCmd(context.Background(), append(base, "-format", "junit"), map[string]string{"MIXPEEK_RECORDING": put + ", " + rotate})
		var suites struct {
			Suites []struct {
				Tests int `xml:"tests,attr"`
				Cases []struct {
					Name string `xml:"name,attr"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal([]byte(out), &suites); err != nil || code != 0 {
			t.Fatalf("exit %d, %v\n%s\n%s", code, err, out, errOut)
		}
		if len(suites.Suites) != 1 || suites.Suites[0].Tests != wantResults || len(suites.Suites[0].Cases) != wantResults {
			t.Fatalf("want one suite of %d test cases: %+v", wantResults, suites)
		}
		files := map[string]int{}
		for _, c := range suites.Suites[0].Cases {
			files[strings.SplitN(c.Name, "/", 3)[1]]++
		}
		if files["put.recording.json"] != len(alone["put.recording.json"].Results) || files["rotate.recording.json"] != len(alone["rotate.recording.json"].Results) {
			t.Errorf("test cases per file: %v", files)
		}
	})
}

// A recording that cannot be read stops the command before a request is sent: exit 2, each
// such file named, the others not replayed.
func TestReplayCommandBadRecordings(t *testing.T) {
	mock := newMock(t)
	var requests atomic.Int64
	mock.Wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			next.ServeHTTP(w, r)
		})
	})
	dir := recordingsDir(t)
	notJSON := filepath.Join(dir, "a-not-json.json")
	if err := os.WriteFile(notJSON, []byte("{\"format\": "), 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(t.TempDir(), "huge.recording.json")
	if err := os.WriteFile(huge, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, recfmt.MaxFileSize+1); err != nil { // sparse: no disk
		t.Fatal(err)
	}
	empty := t.TempDir()
	base := []string{"replay", "-base-url", mock.URL, "-api-key", ownerKey, "-user-email", ownerEmail, "-rate", "0"}
	for _, tc := range []struct {
		recordings string
		want       []string
	}{
		{dir, []string{"-recording " + notJSON + ": recording: "}},
		{dir + "," + huge, []string{notJSON, "-recording: " + huge + " is larger than 32 MiB (33554432 bytes), the limit of a recording"}},
		{empty, []string{"-recording " + empty + ": the directory holds no *.json file"}},
		{filepath.Join(dir, "missing.json"), []string{"-recording: stat " + filepath.Join(dir, "missing.json") + ": no such file"}},
	} {
		code, out, errOut := runCmd(context.Background(), append(base, "-recording", tc.recordings), nil)
		if code != 2 || out != "" || strings.Count(errOut, "mixpeek-conformance replay: ") != len(tc.want) {
			t.Errorf("%s: exit %d, want 2 and %d errors; stdout %q, stderr %q", tc.recordings, code, len(tc.want), out, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s: stderr %q lacks %q", tc.recordings, errOut, w)
			}
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
}

// readBounded reads a file of the bound, and refuses one byte more, naming the file and the bound.
func TestReadBounded(t *testing.T) {
	dir := t.TempDir()
	at, over := filepath.Join(dir, "at.json"), filepath.Join(dir, "over.json")
	_ = os.WriteFile(at, []byte(strings.Repeat("x", 10)), 0o644)
	_ = os.WriteFile(over, []byte(strings.Repeat("x", 11)), 0o644)
	if data, err := readBounded(at, 10, "a test"); err != nil || len(data) != 10 {
		t.Errorf("at the bound: %d bytes, %v", len(data), err)
	}
	if _, err := readBounded(over, 10, "a test"); err == nil || err.Error() != over+" is larger than 10 bytes, the limit of a test" {
		t.Errorf("over the bound: %v", err)
	}
}

// Two files of one base name are labelled by the ends of their paths, long enough to differ;
// a file named twice is replayed once.
func TestRecordingFilesLabels(t *testing.T) {
	root := t.TempDir()
	var paths []string
	for _, p := range []string{"a/testdata/x.json", "b/testdata/x.json", "c/x.json", "y.json"} {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	files, err := recordingFiles(append(paths, filepath.Join(root, "c")))
	var labels []string
	for _, f := range files {
		labels = append(labels, f.label)
	}
	if want := "a/testdata/x.json b/testdata/x.json c/x.json y.json"; err != nil || strings.Join(labels, " ") != want {
		t.Fatalf("labels %v, %v; want %s", labels, err, want)
	}
}

// The connection refused at the first recording stops the replay: exit 2, the others not
// replayed, and said so.
func TestReplayCommandUnreachable(t *testing.T) {
	dir := recordingsDir(t)
	code, out, errOut := runCmd(context.Background(), []string{"replay", "-recording", dir, "-base-url", "http://127.0.0.1:1",
		"-api-key", ownerKey, "-user-email", ownerEmail, "-format", "json"}, nil)
	if code != 2 || !strings.Contains(errOut, "replaying put.recording.json: ") || !strings.Contains(errOut, "(1 more recording not replayed)") ||
		!strings.Contains(out, `"id": "replay/put.recording.json/setup"`) {
		t.Errorf("exit %d, want 2\n%s\n%s", code, out, errOut)
	}
	noKeys(t, out, errOut)
}
