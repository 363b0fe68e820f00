package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit"
)

func specDiffCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(t.Context(), append([]string{"spec-diff"}, args...), envOf(env), &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSpecDiff(t *testing.T) {
	ours := writeFile(t, "openapi.yaml", mixpeekkit.OpenAPI())
	// A planted drift: upstream shortens a request limit (a client of ours may send 100).
	drifted := bytes.Replace(mixpeekkit.OpenAPI(), []byte("maxLength: 100"), []byte("maxLength: 50"), 1)
	if bytes.Equal(drifted, mixpeekkit.OpenAPI()) {
		t.Fatal("openapi.yaml has no maxLength: 100 to change")
	}
	upstream := writeFile(t, "upstream.yaml", drifted)

	t.Run("a document against itself", func(t *testing.T) {
		code, out, errOut := specDiffCmd(t, nil, "-ours", ours, "-upstream", ours)
		if code != 0 || !strings.HasSuffix(out, "0 differences: 0 explained, 0 unexplained; 0 stale allow-list entries\n") || errOut != "" {
			t.Errorf("exit %d, want 0 and no difference:\n%s%s", code, out, errOut)
		}
	})
	t.Run("the built-in allow-list against openapi.yaml itself is stale", func(t *testing.T) {
		code, out, _ := specDiffCmd(t, map[string]string{"MIXPEEK_UPSTREAM_SPEC": ours}, "-v")
		entries := strings.Count(string(upstreamDivergences), "- pointer:")
		notes := strings.Count(string(upstreamDivergences), "kind: note")
		if code != 1 || strings.Count(out, "\nSTALE ") != entries-notes || strings.Count(out, "\nnoted ") != notes || notes == 0 {
			t.Errorf("exit %d, want 1, %d STALE lines and %d notes (a note stands while its pointer does):\n%s", code, entries-notes, notes, out)
		}
	})
	t.Run("a drift is unexplained", func(t *testing.T) {
		code, out, _ := specDiffCmd(t, nil, "-ours", ours, "-upstream", upstream)
		if code != 1 || !strings.Contains(out, "UNEXPLAINED breaking limit: maxLength 100, upstream 50") {
			t.Errorf("exit %d, want 1 and the breaking limit:\n%s", code, out)
		}
		code, out, _ = specDiffCmd(t, nil, "-ours", ours, "-upstream", upstream, "-format", "json")
		var r struct {
			Unexplained int `json:"unexplained"`
			Differences []struct {
				Ours, Upstream, Kind string
				Breaking             bool
			} `json:"differences"`
			Stale []any `json:"stale"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("JSON output: %v\n%s", err, out)
		}
		if code != 1 || r.Unexplained == 0 || r.Unexplained != len(r.Differences) || !r.Differences[0].Breaking ||
			!strings.HasSuffix(r.Differences[0].Ours, "/maxLength") || r.Differences[0].Upstream == "" || r.Stale == nil {
			t.Errorf("exit %d, JSON %+v", code, r)
		}
	})
	t.Run("an allow-list explains it", func(t *testing.T) {
		_, out, _ := specDiffCmd(t, nil, "-ours", ours, "-upstream", upstream, "-format", "json")
		var r struct {
			Differences []struct{ Ours, Kind string } `json:"differences"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		var list []map[string]string
		for _, d := range r.Differences {
			list = append(list, map[string]string{"pointer": d.Ours, "kind": d.Kind, "reason": "shortened on purpose"})
		}
		data, _ := json.Marshal(list)
		allow := writeFile(t, "allow.json", data)
		code, out, _ := specDiffCmd(t, nil, "-ours", ours, "-upstream", upstream, "-allow", allow, "-v")
		if code != 0 || !strings.Contains(out, "because shortened on purpose") || strings.Contains(out, "UNEXPLAINED") {
			t.Errorf("exit %d, want 0, every difference explained:\n%s", code, out)
		}
	})
	t.Run("usage and parse errors", func(t *testing.T) {
		bad := writeFile(t, "bad.yaml", []byte("openapi: [unclosed"))
		badAllow := writeFile(t, "allow.yaml", []byte("- {pointer: /a}"))
		for _, tc := range []struct {
			args []string
			want string
		}{
			{nil, "-upstream is required (or MIXPEEK_UPSTREAM_SPEC)"},
			{[]string{"-upstream", filepath.Join(t.TempDir(), "missing.json")}, "-upstream: open"},
			{[]string{"-upstream", bad}, "neither JSON nor YAML"},
			{[]string{"-upstream", ours, "-ours", bad}, "neither JSON nor YAML"},
			{[]string{"-upstream", ours, "-format", "xml"}, "-format must be text or json"},
			{[]string{"-upstream", ours, "-allow", badAllow}, "entry 1 (/a): no reason"},
			{[]string{"-upstream", ours, "-no-such-flag"}, "no-such-flag"},
		} {
			code, out, errOut := specDiffCmd(t, nil, tc.args...)
			if code != 2 || out != "" || !strings.HasPrefix(errOut, "mixpeek-conformance spec-diff: ") || !strings.Contains(errOut, tc.want) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, out, errOut, tc.want)
			}
		}
	})
	t.Run("help", func(t *testing.T) {
		code, out, _ := specDiffCmd(t, nil, "-help")
		if code != 0 || !strings.Contains(out, "Usage: mixpeek-conformance spec-diff -upstream FILE|URL") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
}
