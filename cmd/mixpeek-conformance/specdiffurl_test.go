package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/specdiff"
)

// drifted is openapi.yaml with every maxLength of 100 shortened to 50 (several differences),
// and an allow-list that explains all of them but the last in pointer order, with a stale
// entry and a note.
func drifted(t *testing.T) (ours, upstream, allow string, diffs int) {
	t.Helper()
	ours = writeFile(t, "openapi.yaml", mixpeekkit.OpenAPI())
	upstream = writeFile(t, "upstream.yaml", bytes.ReplaceAll(mixpeekkit.OpenAPI(), []byte("maxLength: 100"), []byte("maxLength: 50")))
	_, out, _ := specDiffCmd(t, nil, "-ours", ours, "-upstream", upstream, "-format", "json")
	var r struct {
		Differences []struct{ Ours, Kind string } `json:"differences"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Differences) < 3 {
		t.Fatalf("want 3 differences or more: %v\n%s", err, out)
	}
	list := []map[string]string{
		{"pointer": "/components/schemas/Gone", "reason": "a divergence that is gone"},
		{"pointer": "/components/schemas/CreateSecretRequest", "kind": "note", "reason": "a note"},
	}
	for _, d := range r.Differences[:len(r.Differences)-1] {
		list = append(list, map[string]string{"pointer": d.Ours, "kind": d.Kind, "reason": "shortened on purpose"})
	}
	data, _ := json.Marshal(list)
	return ours, upstream, writeFile(t, "allow.json", data), len(r.Differences)
}

// The text report lists what needs a look first: the unexplained difference and the stale
// entry, then the count of the explained ones; -v lists those, after.
func TestSpecDiffOrder(t *testing.T) {
	ours, upstream, allow, diffs := drifted(t)
	code, out, _ := specDiffCmd(t, nil, "-ours", ours, "-upstream", upstream, "-allow", allow)
	l := lines(out)
	want := []string{"comparing ", "UNEXPLAINED compatible limit: maxLength 100, upstream 50",
		"STALE       allow-list entry /components/schemas/Gone (any kind) explains no difference",
		strconv.Itoa(diffs-1) + " explained differences and 1 note of the allow-list, not listed (-v lists them, with their reasons)",
		strconv.Itoa(diffs) + " differences: " + strconv.Itoa(diffs-1) + " explained, 1 unexplained; 1 stale allow-list entries"}
	if code != 1 || len(l) != len(want) {
		t.Fatalf("exit %d, want 1 and %d lines:\n%s", code, len(want), out)
	}
	for i, w := range want {
		if !strings.HasPrefix(l[i], w) {
			t.Errorf("line %d is %q, want %q…", i+1, l[i], w)
		}
	}

	code, out, _ = specDiffCmd(t, nil, "-ours", ours, "-upstream", upstream, "-allow", allow, "-v")
	l = lines(out)
	if code != 1 || !strings.HasPrefix(l[1], "UNEXPLAINED ") || !strings.HasPrefix(l[2], "STALE ") ||
		strings.Count(out, "\nexplained   ") != diffs-1 || strings.Count(out, "because shortened on purpose") != diffs-1 ||
		!strings.Contains(out, "\nnoted       /components/schemas/CreateSecretRequest\n            because a note\n") ||
		strings.Contains(out, "not listed") || !strings.HasPrefix(l[len(l)-1], strconv.Itoa(diffs)+" differences: ") {
		t.Errorf("-v: exit %d, want the unexplained and the stale first, then each explained and the note:\n%s", code, out)
	}
}

// -upstream takes a URL: downloaded within its bounds, a 2xx only; neither the query nor the
// user information of the URL is shown.
func TestSpecDiffUpstreamURL(t *testing.T) {
	ours, upstream, allow, _ := drifted(t)
	doc, err := os.ReadFile(upstream)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "sk_TOKENINQUERY_must_never_be_printed_xxxxxxxxxxxxxxxx"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/openapi.yaml":
			w.Write(doc)
		case "/zeros": // streamed, never held: the bound and more
			buf := make([]byte, 32<<10)
			for n := 0; n <= specdiff.MaxDocument; n += len(buf) {
				if _, err := w.Write(buf); err != nil {
					return
				}
			}
		case "/declared": // a Content-Length over the bound, refused before a byte is read
			w.Header().Set("Content-Length", strconv.Itoa(specdiff.MaxDocument+1))
			w.WriteHeader(http.StatusOK)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	fromFile, fileOut, _ := specDiffCmd(t, nil, "-ours", ours, "-upstream", upstream, "-allow", allow)

	code, out, errOut := specDiffCmd(t, nil, "-ours", ours, "-upstream", srv.URL+"/openapi.yaml?token="+secret, "-allow", allow)
	if code != fromFile || code != 1 || strings.ReplaceAll(out, srv.URL+"/openapi.yaml?…", upstream) != fileOut {
		t.Errorf("from the URL: exit %d, want %d and the report of the file:\n%s%s\nfrom the file:\n%s", code, fromFile, out, errOut, fileOut)
	}
	code, out, _ = specDiffCmd(t, map[string]string{"MIXPEEK_UPSTREAM_SPEC": srv.URL + "/openapi.yaml"}, "-ours", ours, "-allow", allow, "-format", "json")
	if code != 1 || !strings.Contains(out, `"upstream": "`+srv.URL+`/openapi.yaml"`) {
		t.Errorf("from MIXPEEK_UPSTREAM_SPEC, JSON: exit %d\n%s", code, out)
	}
	userinfo := strings.Replace(srv.URL, "http://", "http://user:"+secret+"@", 1)
	for _, tc := range []struct{ url, want string }{
		{srv.URL + "/missing?token=" + secret, "-upstream " + srv.URL + "/missing?…: the server answered 404 Not Found, not the document (a 2xx answer)"},
		{userinfo + "/zeros", "-upstream " + srv.URL + "/zeros: the answer is larger than 16 MiB (16777216 bytes), the limit of spec-diff"},
		{srv.URL + "/declared", "-upstream " + srv.URL + "/declared: the answer is larger than 16 MiB"},
		{"http://127.0.0.1:1/openapi.yaml?token=" + secret, "-upstream http://127.0.0.1:1/openapi.yaml?…: GET failed: dial tcp 127.0.0.1:1: connect: connection refused"},
		{"https://", "-upstream URL: not a URL of the form https://host/path"},
	} {
		code, out, errOut := specDiffCmd(t, nil, "-upstream", tc.url)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, secret) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.url, code, errOut, tc.want)
		}
	}
}

// A download that does not end within its timeout is refused, saying so.
func TestFetchTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("openapi: 3.1.0\n")) // the headers and a start, then nothing
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	start := time.Now()
	_, _, err := fetchBounded(context.Background(), http.DefaultClient, srv.URL, specdiff.MaxDocument, 200*time.Millisecond)
	if err == nil || err.Error() != "no whole answer within 200ms, the limit of a download of spec-diff" || time.Since(start) > 5*time.Second {
		t.Errorf("%v after %s", err, time.Since(start))
	}
}

// -upstream, -ours and -allow are read through a reader bounded as spec-diff's reader is: a
// file of the bound is read (and refused by the reader, being neither JSON nor small enough
// YAML), one byte more is refused at once, naming the file.
func TestSpecDiffFileBound(t *testing.T) {
	dir := t.TempDir()
	sparse := func(name string, size int64) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, size); err != nil { // sparse: no disk
			t.Fatal(err)
		}
		return p
	}
	at, over := sparse("at.json", specdiff.MaxDocument), sparse("over.json", specdiff.MaxDocument+1)
	ours := writeFile(t, "openapi.yaml", mixpeekkit.OpenAPI())
	tooLarge := " is larger than 16 MiB (16777216 bytes), the limit of spec-diff"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-upstream", at}, "-upstream " + at + ": the document is not JSON, and larger than 4 MiB"},
		{[]string{"-upstream", over}, "-upstream: " + over + tooLarge},
		{[]string{"-upstream", ours, "-ours", over}, "-ours: " + over + tooLarge},
		{[]string{"-upstream", ours, "-allow", over}, "-allow: " + over + tooLarge},
	} {
		code, out, errOut := specDiffCmd(t, nil, tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}
