package suite

import (
	"fmt"
	"strings"

	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// CurlCommand is the one form of a request as a shell command: auth is the Authorization
// header's value with $PLACEHOLDERS for what must not be shown ("" for none), and placeholders
// turns the single-quoted body into one where those stand for the values.
func CurlCommand(method, url, auth, body string, placeholders func(quoted string) string) string {
	var b strings.Builder
	b.WriteString("curl -sS")
	if method != "GET" {
		b.WriteString(" -X " + method)
	}
	b.WriteString(" " + ShellQuote(url))
	if auth != "" {
		fmt.Fprintf(&b, ` -H "Authorization: %s"`, auth)
	}
	if body != "" {
		b.WriteString(" -H 'Content-Type: application/json' -d " + placeholders(ShellQuote(body)))
	}
	return b.String()
}

// curlOf is a request a check sent, as a shell command: the run's keys are
// $MIXPEEK_API_KEY and $MIXPEEK_PEER_API_KEY, a key an earlier answer of the check gave the
// variable keyVars names ($KEY_1), any other key $KEY, and a secret value of the body
// $SECRET_VALUE.
func (s *Suite) curlOf(r Request, shownBody string, keyVars map[string]string) string {
	auth := ""
	if r.Auth != "" {
		scheme, cred, found := strings.Cut(r.Auth, " ")
		switch {
		case !found:
			auth = dquoteSafe(s.Redact(r.Auth))
		case cred == s.APIKey:
			auth = scheme + " $MIXPEEK_API_KEY"
		case s.PeerAPIKey != "" && cred == s.PeerAPIKey:
			auth = scheme + " $MIXPEEK_PEER_API_KEY"
		case keyVars[cred] != "":
			auth = scheme + " $" + keyVars[cred]
		case s.Redact(cred) != cred:
			auth = scheme + " $KEY"
		default:
			auth = dquoteSafe(scheme + " " + cred)
		}
	}
	return CurlCommand(r.Method, s.Base.Redacted()+r.Path, auth, shownBody, func(q string) string {
		return strings.ReplaceAll(q, sensitive.Redacted, `'"$SECRET_VALUE"'`)
	})
}

// dquoteSafe escapes s for the inside of a double-quoted shell word.
func dquoteSafe(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`").Replace(s)
}

// ShellQuote quotes s for a POSIX shell.
func ShellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// setupStep is a request of a check that changed something (not a read; answered 2xx), as a
// line of a reproduction: a shell command, which keeps the key the answer gives in a variable.
type setupStep struct {
	ex   *Exchange
	line string
}

// noteSetup keeps a request that changed something for the reproduction of a later failure of
// the check, and names the key its answer gave: the curl of each request that uses it then
// says $KEY_n, which the step's line sets.
func (t *T) noteSetup(r Request, ex *Exchange) {
	if t.keyVars == nil {
		t.keyVars = map[string]string{}
	}
	ex.Curl = t.S.curlOf(r, ex.RequestBody, t.keyVars)
	if r.Method == "GET" || ex.Status < 200 || ex.Status > 299 {
		return
	}
	line := ex.Curl
	if k, ok := ex.JSON["key"].(string); ok && k != "" {
		name := fmt.Sprintf("KEY_%d", len(t.keyVars)+1)
		t.keyVars[k] = name
		line = name + `=$(` + ex.Curl + ` | sed -n 's/.*"key": *"\([^"]*\)".*/\1/p')`
	}
	t.setup = append(t.setup, setupStep{ex: ex, line: line})
}

// reproducible is ex with the requests of its check that set it up in front of its curl (nil
// for nil): they were cleaned up when the report is read, so the failure alone would not
// reproduce.
func (t *T) reproducible(ex *Exchange) *Exchange {
	if ex == nil || ex.Curl == "" {
		return ex
	}
	var lines []string
	for _, st := range t.setup {
		if st.ex == ex {
			break
		}
		lines = append(lines, st.line)
	}
	if len(lines) == 0 {
		return ex
	}
	c := *ex
	c.Curl = "# set up by the check (cleaned up since), then the request:\n" + strings.Join(lines, "\n") + "\n" + ex.Curl
	return &c
}
