package mockserver

import (
	"crypto/subtle"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The control API can reset, seed and reconfigure the mock, so it answers only what a test
// harness sends, never a web page open on the same machine. guardControl runs before any
// control operation but health and the document: a request from another origin or to a host
// name the mock does not answer to is refused (403), then a missing control token (401), then
// a body that is not JSON (415).
func (s *Server) guardControl(r *http.Request, op *operation) error {
	if op.open {
		return nil
	}
	if why := s.crossSite(r); why != "" {
		return newError(errKindForbidden, nil, "the control API refuses %s; allow a host name with -allow-host (Options.AllowedHosts)", why)
	}
	if s.controlToken != "" {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.controlToken)) != 1 {
			return errUnauthorized("the control API needs Authorization: Bearer <control token>")
		}
	}
	if r.ContentLength != 0 && !isJSONMediaType(r.Header.Get("Content-Type")) {
		return newError(errKindUnsupportedMedia, nil, "a request to the control API with a body must send it as Content-Type: application/json")
	}
	return nil
}

// crossSite says why a control request may come from a web page ("" when it may not): an
// Origin that is neither the request's own host (and port) nor an allowed name, or, for a request that came over the network, a
// Host that is not an IP literal, localhost or an allowed name (the signature of DNS
// rebinding, where an attacker's name resolves to the mock's address).
func (s *Server) crossSite(r *http.Request) string {
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" || !(strings.EqualFold(u.Host, r.Host) || slices.Contains(s.allowedHosts, strings.ToLower(u.Hostname()))) {
			return "a request from a web page of another origin"
		}
	}
	if r.Context().Value(http.LocalAddrContextKey) == nil {
		return "" // served in process (httptest.NewRecorder): no network, no rebinding
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if !s.allowedHost(strings.Trim(host, "[]")) {
		return "the host name of this request"
	}
	return ""
}

// allowedHost says whether the control API answers to a host name: an IP literal, localhost
// (and its subdomains), or one of Options.AllowedHosts (any letter case).
func (s *Server) allowedHost(name string) bool {
	name = hostName(name)
	return net.ParseIP(name) != nil || name == "localhost" || strings.HasSuffix(name, ".localhost") ||
		slices.Contains(s.allowedHosts, name)
}

// isJSONMediaType says whether a Content-Type is application/json (with any parameters).
func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// hostName is a host name as the guard compares it: in lower case, without a final dot.
func hostName(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

func lowered(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = hostName(n)
	}
	return out
}
