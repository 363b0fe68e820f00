package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/conformance"
)

// A -run that selects no check is a usage error, found before any request is sent: a green run
// of zero checks would check nothing.
func TestRunMatchingNothingIsAUsageError(t *testing.T) {
	var requests atomic.Int64
	counting := newMock(t)
	counting.Wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			next.ServeHTTP(w, r)
		})
	})
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{fullArgs(counting.URL, "-run", "^nosuch/"), nil, `mixpeek-conformance: -run (or MIXPEEK_CONFORMANCE_RUN) "^nosuch/" matches no check (-list lists them)`},
		{fullArgs(counting.URL), map[string]string{"MIXPEEK_CONFORMANCE_RUN": "zzz"}, `-run (or MIXPEEK_CONFORMANCE_RUN) "zzz" matches no check`},
		{fullArgs(counting.URL, "-run", "("), nil, "-run (or MIXPEEK_CONFORMANCE_RUN) is not a regular expression: missing closing )"},
		{[]string{"-list", "-run", "^nosuch/"}, nil, `"^nosuch/" matches no check`},
		{fullArgs(counting.URL, "-prefix", "no spaces"), nil, "-prefix (or MIXPEEK_CONFORMANCE_PREFIX) must be 1 to 40 of A-Z a-z 0-9 _ -"},
		{fullArgs(counting.URL, "-destructive=maybe"), nil, "-destructive: not a boolean: use one of 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False"},
		{[]string{"-api-key", ownerKey, "-user-email", ownerEmail, "-base-url", "ftp://x"}, nil, "-base-url (or MIXPEEK_BASE_URL) must be an http or https URL"},
	} {
		code, stdout, stderr := runCmd(context.Background(), tc.args, tc.env)
		if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
			t.Errorf("%q %v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tc.args, tc.env, code, stdout, stderr, tc.want)
		}
		for _, goName := range []string{"Config.", "conformance.", "BaseURL", "Prefix must"} {
			if strings.Contains(stderr, goName) {
				t.Errorf("%q: the message names a Go field (%s): %q", tc.args, goName, stderr)
			}
		}
		noKeys(t, stdout, stderr)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent for runs refused as usage errors", n)
	}
}

// -list honours -run and writes JSON with -format json.
func TestListHonoursRunAndFormat(t *testing.T) {
	want, err := conformance.Checks("^auth/")
	if err != nil || len(want) == 0 {
		t.Fatalf("Select: %v, %d checks", err, len(want))
	}
	code, stdout, stderr := runCmd(context.Background(), []string{"-list", "-run", "^auth/"}, nil)
	if got := lines(stdout); code != 0 || stderr != "" || len(got) != len(want) {
		t.Fatalf("exit %d, stderr %q, %d lines for %d auth checks:\n%s", code, stderr, len(got), len(want), stdout)
	}
	for i, l := range lines(stdout) {
		if !strings.HasPrefix(l, want[i].ID+" ") {
			t.Errorf("line %d: %q, want %s", i, l, want[i].ID)
		}
	}
	code, stdout, stderr = runCmd(context.Background(), []string{"-list", "-run", "^auth/", "-format", "json"}, nil)
	var listed []struct {
		ID, Category, Description string
		Destructive               bool
		NeedsPeer                 bool `json:"needs_peer"`
	}
	if err := json.Unmarshal([]byte(stdout), &listed); code != 0 || err != nil || stderr != "" {
		t.Fatalf("exit %d, %v, stderr %q:\n%s", code, err, stderr, stdout)
	}
	if len(listed) != len(want) {
		t.Fatalf("%d checks in the JSON list, want %d", len(listed), len(want))
	}
	for i, c := range listed {
		if c.ID != want[i].ID || c.Category != strings.SplitN(want[i].ID, "/", 2)[0] || c.Description != want[i].Description || c.NeedsPeer != want[i].NeedsPeer {
			t.Errorf("entry %d: %+v, want %+v", i, c, want[i])
		}
	}
}

type junitErrorDoc struct {
	Suites []struct {
		Tests  int `xml:"tests,attr"`
		Errors int `xml:"errors,attr"`
		Cases  []struct {
			Name  string `xml:"name,attr"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// A run that stops before its first check still writes its JSON or JUnit report: a valid
// document with one error case that says why.
func TestReportWhenTheRunCannotStart(t *testing.T) {
	closedURL := closedURL(t)
	mock := newMock(t)
	wrongKey := "sk_REFUSEDKEY_never_printed_" + strings.Repeat("r", 20)
	for _, tc := range []struct {
		name string
		args []string
		why  string
	}{
		{"target down", []string{"-base-url", closedURL, "-api-key", ownerKey, "-user-email", ownerEmail}, "cannot reach " + closedURL},
		{"key refused", []string{"-base-url", mock.URL, "-api-key", wrongKey, "-user-email", ownerEmail}, "the API key was refused (401)"},
	} {
		for _, format := range []string{"json", "junit"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "report."+format)
				code, stdout, stderr := runCmd(context.Background(), append(tc.args, "-format", format, "-out", path), nil)
				if code != 2 || !strings.Contains(stderr, tc.why) {
					t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.why)
				}
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if format == "json" {
					var rep conformance.Report
					if err := json.Unmarshal(data, &rep); err != nil {
						t.Fatalf("not JSON: %v\n%s", err, data)
					}
					if rep.OK() || len(rep.Results) != 1 || rep.Results[0].Status != conformance.Errored || !strings.Contains(rep.Results[0].SkipReason, tc.why) || rep.OK() {
						t.Errorf("report %+v, want one error result saying %q", rep, tc.why)
					}
				} else {
					var doc junitErrorDoc
					if err := xml.Unmarshal(data, &doc); err != nil {
						t.Fatalf("not XML: %v\n%s", err, data)
					}
					if len(doc.Suites) != 1 || doc.Suites[0].Tests != 1 || doc.Suites[0].Errors != 1 || len(doc.Suites[0].Cases) != 1 ||
						doc.Suites[0].Cases[0].Error == nil || !strings.Contains(doc.Suites[0].Cases[0].Error.Message, tc.why) {
						t.Errorf("JUnit %+v, want one error case saying %q:\n%s", doc, tc.why, data)
					}
				}
				noKeys(t, stdout, stderr, string(data))
				if strings.Contains(string(data)+stderr, wrongKey) {
					t.Errorf("the refused key is shown:\n%s\n%s", data, stderr)
				}
			})
		}
	}
}

// A base URL whose path is wrong is diagnosed as such, not as an unknown user.
func TestWrongPathPrefixIsNamed(t *testing.T) {
	mock := newMock(t)
	code, _, stderr := runCmd(context.Background(), fullArgs(mock.URL+"/api"), nil)
	want := "no such endpoint at " + mock.URL + "/api/v1/organizations/secrets"
	if code != 2 || !strings.Contains(stderr, want) || strings.Contains(stderr, "not found with this API key") {
		t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, want)
	}
	// A user that does not exist, at the right URL, is still named as such.
	code, _, stderr = runCmd(context.Background(), []string{"-base-url", mock.URL, "-api-key", ownerKey, "-user-email", "nobody@org-a.test"}, nil)
	if code != 2 || !strings.Contains(stderr, `user "nobody@org-a.test" not found with this API key (404)`) {
		t.Errorf("unknown user: exit %d, stderr %q", code, stderr)
	}
}

// A time-out says which request timed out, after how long, and which flag sets it.
func TestTimeoutNamesTheRequest(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); slow.Close() })
	code, _, stderr := runCmd(context.Background(), []string{"-base-url", slow.URL, "-api-key", ownerKey, "-user-email", ownerEmail, "-timeout", "50ms"}, nil)
	want := "GET " + slow.URL + "/v1/organizations/users/owner%40org-a.test/api-keys timed out after 50ms (-timeout)"
	if code != 2 || !strings.Contains(stderr, want) || strings.Contains(stderr, "cannot reach") {
		t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, want)
	}
}
