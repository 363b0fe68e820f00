package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// answering is an upstream that answers every request with status and body, as JSON.
func answering(t *testing.T, status int, body string) *httptest.Server {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(up.Close)
	return up
}

// shown lists the violations as "pointer rule", sorted.
func shown(p *Proxy) []string {
	var out []string
	for _, v := range p.Violations() {
		out = append(out, v.Pointer+" "+v.Rule)
	}
	slices.Sort(out)
	return out
}

// noneShown fails when any of the texts holds one of the values.
func noneShown(t *testing.T, texts map[string]string, values ...string) {
	t.Helper()
	for where, text := range texts {
		for _, v := range values {
			if strings.Contains(text, v) {
				t.Errorf("%s shows %q:\n%s", where, v, text)
			}
		}
	}
}

// A secret value or a key used as a member name, or a secret value inside a longer string, is
// flagged, and no pointer, log line, listing or 502 shows it.
func TestSecretsAndKeysInAnswersAreFlaggedAndNeverShown(t *testing.T) {
	answer := `{"secret_name": "s1", "created": true, "` + secretValue + `": "x", "note": "stored ` + secretValue + ` for you",
		"` + plantedKey + `": "y", "nested": {"` + secretValue + `": ["` + plantedKey + `"]}}`
	want := []string{
		"/body/[REDACTED] " + RulePlaintextKey, // the key as a name
		"/body/[REDACTED] " + RuleSecretValue,  // the value as a name
		"/body/nested/[REDACTED] " + RuleSecretValue,
		"/body/nested/[REDACTED]/0 " + RulePlaintextKey,
		"/body/note " + RuleSecretValue, // inside a longer string
		"/status declared status",
	}
	for _, strict := range []bool{false, true} {
		up := answering(t, http.StatusOK, answer)
		p, srv, logs := newProxy(t, up.URL, Options{Strict: strict})
		resp := send(t, "POST", srv.URL+"/v1/organizations/secrets", `{"secret_name": "s1", "secret_value": "`+secretValue+`"}`)
		got, _ := io.ReadAll(resp.Body)
		if diff := slices.Compare(shown(p), want); diff != 0 {
			t.Errorf("strict %v: violations\n%q\nwant\n%q", strict, shown(p), want)
		}
		texts := map[string]string{"the log": logs.String(), "the listing": get(t, srv.URL+"/_mock/violations")}
		if strict {
			texts["the 502"] = string(got)
			isErrorResponse(t, got, http.StatusBadGateway)
		}
		noneShown(t, texts, secretValue, plantedKey, ownerKey)
	}
}

// A secret value shorter than minEchoLen counts only where a whole string is that value; one
// of minEchoLen bytes is found inside a longer string too.
func TestShortSecretValuesCountOnlyWhole(t *testing.T) {
	short, bound := strings.Repeat("s", minEchoLen-1), "b"+strings.Repeat("7", minEchoLen-1)
	answer := `{"secret_name": "s1", "whole": "` + short + `", "inside": "x` + short + `x", "at_the_bound": "x` + bound + `x"}`
	up := answering(t, http.StatusOK, answer)
	p, srv, _ := newProxy(t, up.URL, Options{})
	send(t, "PUT", srv.URL+"/v1/organizations/secrets/s1", `{"secret_value": "`+short+`"}`)
	send(t, "PUT", srv.URL+"/v1/organizations/secrets/s1", `{"secret_value": "`+bound+`"}`)
	var got []string
	for _, v := range shown(p) {
		if strings.HasSuffix(v, RuleSecretValue) {
			got = append(got, v)
		}
	}
	// The first answer meets the short value only, the second both.
	want := []string{"/body/at_the_bound " + RuleSecretValue, "/body/whole " + RuleSecretValue, "/body/whole " + RuleSecretValue}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// A member name of maxPointerSegment bytes is shown; a longer one is not.
func TestLongMemberNamesAreNotShown(t *testing.T) {
	fits, over := strings.Repeat("n", maxPointerSegment), strings.Repeat("o", maxPointerSegment+1)
	answer := `{"secret_name": "s1", "` + fits + `": "` + secretValue + `", "` + over + `": "` + secretValue + `"}`
	up := answering(t, http.StatusOK, answer)
	p, srv, _ := newProxy(t, up.URL, Options{})
	send(t, "PUT", srv.URL+"/v1/organizations/secrets/s1", `{"secret_value": "`+secretValue+`"}`)
	want := []string{"/body/" + fits + " " + RuleSecretValue, "/body/[REDACTED] " + RuleSecretValue}
	slices.Sort(want)
	if got := shown(p); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// The search for secret values inside texts stops at its budget, and says so: a pointer
// segment not searched to its end is not shown.
func TestEchoSearchBudget(t *testing.T) {
	s := newSecretStore()
	value := "prefix__" + strings.Repeat("v", 100)
	s.remember(value)
	// Each "prefix__" that is not the value costs one confirmation of len(value) bytes.
	decoys := strings.Repeat("prefix__", 10)
	text := decoys + value
	cost := 10*(len(value)+minEchoLen) + len(value) + minEchoLen
	if found, complete := s.holds(text, &budget{left: cost}); !found || !complete {
		t.Errorf("with a budget of exactly %d: found %v complete %v", cost, found, complete)
	}
	if found, complete := s.holds(text, &budget{left: cost - 1}); found || complete {
		t.Errorf("with a budget of %d: found %v complete %v, want neither", cost-1, found, complete)
	}
	p := &Proxy{secrets: s}
	if got := p.segment(text[:maxPointerSegment], &budget{}); got != sensitive.Redacted {
		t.Errorf("a segment not searched is shown: %q", got)
	}
	if got := p.segment("plain", &budget{}); got != "plain" {
		t.Errorf("a segment with no candidate: %q", got)
	}
}

// Whatever the violation, a segment of its pointer that holds a secret value or a key is
// not shown; the contract's own names are.
func TestEveryPointerHoldsNoSecret(t *testing.T) {
	p := &Proxy{secrets: newSecretStore()}
	p.secrets.remember(secretValue)
	ex := &exchange{p: p, r: httptest.NewRequest("GET", "/", nil), shown: newBudget()}
	ex.add("request", 200, pointerProblem("/body/"+secretValue+"/a~1b/x"+plantedKey, "lax-coercion"))
	ex.add("response", 200, problem{root: "/body", segs: []string{"in " + secretValue + " it", "0", "a/b~c"}, rule: "type"})
	ex.add("response", 200, problem{root: "/query/include_revoked", rule: "type"})
	var got []string
	for _, v := range ex.found {
		got = append(got, v.Pointer)
	}
	want := []string{"/body/[REDACTED]/a~1b/[REDACTED]", "/body/[REDACTED]/0/a~1b~0c", "/query/include_revoked"}
	if !slices.Equal(got, want) {
		t.Errorf("pointers %q, want %q", got, want)
	}
}
