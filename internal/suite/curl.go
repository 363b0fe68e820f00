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
// $MIXPEEK_API_KEY and $MIXPEEK_PEER_API_KEY, any other key $KEY, and a secret value of the
// body $SECRET_VALUE.
func (s *Suite) curlOf(r Request, shownBody string) string {
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
