package mockserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Every row of the lax parsing table of docs/behavior.md: what the mock reads a value sent as,
// or the 422 type pydantic refuses it with, and whether it is listed at /_mock/violations as a
// lax coercion (only a value the contract check would refuse and pydantic takes is).
func TestLaxParsingTable(t *testing.T) {
	doc, err := os.ReadFile("../docs/behavior.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `(\\w+)` \\| `([^`]*)` \\| (`[^`]*`|422 `\\w+`) \\| (yes|no) \\|$").FindAllStringSubmatch(string(doc), -1)
	if len(rows) < 30 {
		t.Fatalf("the table has %d rows: the pattern no longer finds them", len(rows))
	}
	h := newHarness(t)
	h.createKey(map[string]any{"name": "revoked"})
	h.send("DELETE", adminKeys+"/revoked", adminKey, nil)
	for i, row := range rows {
		member, sent, readAs, listed := row[1], row[2], row[3], row[4] == "yes"
		t.Run(member+" "+sent, func(t *testing.T) {
			before := laxTotal(t, h)
			var r reply
			if member == "include_revoked" {
				r = h.send("GET", adminKeys+"?include_revoked="+url.QueryEscape(sent), adminKey, nil)
			} else {
				r = h.send("POST", adminKeys, adminKey, fmt.Sprintf(`{"name": "lax-%d", %q: %s}`, i, member, sent))
			}
			if typ, refused := strings.CutPrefix(readAs, "422 "); refused {
				typ = strings.Trim(typ, "`")
				found := false
				for _, d := range asList(r.json(t)["detail"]) {
					e, _ := d.(map[string]any)
					loc := asList(e["loc"])
					found = found || (e["type"] == typ && len(loc) > 1 && loc[1] == member)
				}
				if r.status != http.StatusUnprocessableEntity || !found {
					t.Errorf("want 422 %s at %s, got %d %s", typ, member, r.status, r.raw)
				}
			} else {
				var want any
				if err := json.Unmarshal([]byte(strings.Trim(readAs, "`")), &want); err != nil {
					t.Fatal(err)
				}
				var got any
				if member == "include_revoked" {
					got = strings.Contains(string(r.raw), `"name":"revoked"`)
				} else {
					got = r.json(t)[member]
				}
				if r.status != http.StatusOK || !cmp.Equal(want, got) {
					t.Errorf("want %s read as %v, got %d %s", sent, want, r.status, r.raw)
				}
			}
			if added := laxTotal(t, h) - before; added != map[bool]int{false: 0, true: 1}[listed] {
				t.Errorf("%d lax coercions listed, want listed: %v", added, listed)
			}
		})
	}
}

// Each lax coercion is listed in the proxy's shape, with the place, the operation and the
// answer's status, and without the value; a reset clears the list.
func TestLaxCoercionsAreListed(t *testing.T) {
	h := newHarness(t)
	h.send("POST", adminKeys, adminKey, `{"name": "k", "rate_limit_override": "7", "expires_at": "2030-01-02"}`)
	h.send("GET", adminKeys+"?include_revoked=yes", adminKey, nil)
	h.send("PATCH", adminKeys+"/absent", adminKey, `{"rate_limit_override": " 9 "}`)
	got := h.ctl("GET", "/_mock/violations", nil).json(t)
	var pointers []string
	for _, v := range asList(got["violations"]) {
		v := v.(map[string]any)
		if v["rule"] != "lax-coercion" || v["direction"] != "request" || v["method"] == "" {
			t.Errorf("violation %v", v)
		}
		pointers = append(pointers, fmt.Sprint(v["status"], " ", v["pointer"]))
	}
	want := []string{"200 /body/expires_at", "200 /body/rate_limit_override", "200 /query/include_revoked", "404 /body/rate_limit_override"}
	if diff := cmp.Diff(want, pointers, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" || got["total"] != float64(4) {
		t.Errorf("violations (-want +got):\n%s\n%v", diff, got)
	}
	if raw := h.ctl("GET", "/_mock/violations", nil).raw; strings.Contains(string(raw), "2030-01-02") || strings.Contains(string(raw), `"7"`) {
		t.Errorf("the list shows a value sent: %s", raw)
	}
	h.ctl("POST", "/_mock/reset", nil)
	if n := laxTotal(t, h); n != 0 {
		t.Errorf("%d violations after a reset", n)
	}
	h.send("POST", adminKeys, adminKey, `{"name": "k2", "rate_limit_override": "7"}`)
	if r := h.ctl("DELETE", "/_mock/violations", nil); r.json(t)["cleared"] != float64(1) || laxTotal(t, h) != 0 {
		t.Errorf("clear: %s", r.raw)
	}
}

func laxTotal(t *testing.T, h *harness) int {
	t.Helper()
	n, _ := h.ctl("GET", "/_mock/violations", nil).json(t)["total"].(float64)
	return int(n)
}

func asList(v any) []any { l, _ := v.([]any); return l }

// A query parameter given twice takes its last value, as Starlette reads it.
func TestARepeatedQueryParameterTakesTheLastValue(t *testing.T) {
	h := newHarness(t)
	h.createKey(map[string]any{"name": "revoked"})
	h.send("DELETE", adminKeys+"/revoked", adminKey, nil)
	for query, listed := range map[string]bool{
		"include_revoked=false&include_revoked=true":   true,
		"include_revoked=true&include_revoked=false":   false,
		"include_revoked=perhaps&include_revoked=true": true,
	} {
		r := h.send("GET", adminKeys+"?"+query, adminKey, nil)
		if r.status != http.StatusOK || strings.Contains(string(r.raw), `"name":"revoked"`) != listed {
			t.Errorf("%s: %d, revoked key listed %v, want %v", query, r.status, !listed, listed)
		}
	}
	if laxTotal(t, h) != 0 {
		t.Errorf("a value that was not read was listed as lax")
	}
}

// The integers pydantic takes beyond 64 bits are a 422 int_parsing_size (the contract's
// bound), quickly; one of more than 4300 digits is a 400, as FastAPI answers a body Python's
// JSON reader refuses. Neither writes anything.
func TestIntegersBeyondTheBound(t *testing.T) {
	h := newHarness(t)
	h.send("GET", secretsURL, adminKey, nil) // the admin-key's last use is set once (the clock stands)
	for body, want := range map[string]int{
		`{"name": "big", "rate_limit_override": ` + strings.Repeat("9", 400) + `}`:       422,
		`{"name": "big", "rate_limit_override": "` + strings.Repeat("9", 4300) + `"}`:    422,
		`{"name": "big", "rate_limit_override": ` + strings.Repeat("9", 1<<20-100) + `}`: 400,
		`{"name": "big", "rate_limit_override": "` + strings.Repeat("9", 4301) + `"}`:    422,
		`{"name": "big", "rate_limit_override": 9223372036854775807}`:                    200,
	} {
		before := h.state()
		r := h.send("POST", adminKeys, adminKey, body)
		if diff := cmp.Diff(before, h.state()); want != 200 && diff != "" {
			t.Errorf("%.80s…: a refused request changed the state:\n%s", body, diff)
		}
		if r.status != want {
			t.Errorf("%.80s…: %d %.200s, want %d", body, r.status, r.raw, want)
		}
		if want == 422 && !strings.Contains(string(r.raw), "int_parsing_size") {
			t.Errorf("%.80s…: %s, want int_parsing_size", body, r.raw)
		}
		if want == 200 {
			h.send("DELETE", adminKeys+"/big", adminKey, nil)
		}
	}
}
