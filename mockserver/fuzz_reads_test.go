package mockserver

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// controlReads reads, through the control API, every surface that shows what earlier requests
// left (the journal, the recording, the state, the lax violations, the clock, the faults, the
// organizations), as a test harness reads them after any input: each must answer 200, valid
// against control.yaml. It returns the answers, for the canary check.
func (fs *fuzzServer) controlReads(t testing.TB, where string) []byte {
	t.Helper()
	var out []byte
	for _, target := range []string{"/_mock/requests", "/_mock/requests?limit=3&status=0", "/_mock/recording", "/_mock/state",
		"/_mock/violations", "/_mock/clock", "/_mock/faults", "/_mock/orgs"} {
		fr := fs.ctl("GET", target, nil)
		req, _ := fr.build()
		rec := httptest.NewRecorder()
		fs.s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("%s, then GET %s: %d %s", where, target, rec.Code, rec.Body)
		}
		fs.checkContract(t, where+", then GET "+target, req, rec)
		out = append(append(out, rec.Body.Bytes()...), 0)
	}
	return out
}

// FuzzControl sends any request to an operation of the control API: any method, a query, a
// body with any Content-Type, and the headers a web page sends (Origin, Host), with or without
// the control token.
func FuzzControl(f *testing.F) {
	fs := newFuzzServer(f)
	for _, seed := range []struct {
		index                           uint8
		method, query, body, ct, origin string
		host                            string
		token                           bool
	}{
		{2, "POST", "", "", "text/plain", "https://evil.example", "", false},
		{2, "POST", "", "", "", "", "evil.example:8080", false},
		{5, "POST", "", `{}`, "application/json", "null", "", true},
		{5, "POST", "", `{"name":"` + strings.Repeat("n", 5000) + `"}`, "application/json", "", "", true},
		{11, "POST", "", `{"latency_ms":1,"path":"` + strings.Repeat("*", 3000) + `"}`, "application/json", "", "", true},
		{14, "POST", "", `{"advance":"2562047h"}`, "application/json", "", "", true},
		{14, "POST", "", `{"set":"9999-12-31T23:59:59.999999999Z"}`, "application/json", "", "", true},
		{8, "GET", "limit=-1&status=0&method=get", "", "", "", "", true},
		{16, "GET", "organization_id=" + strings.Repeat("%00", 100), "", "", "", "", true},
		{2, "POST", "", "null", "application/json; charset=utf-8", "http://mock.test", "", true},
	} {
		f.Add(seed.index, seed.method, seed.query, []byte(seed.body), seed.ct, seed.origin, seed.host, seed.token)
	}
	ops := controlOperations()
	f.Fuzz(func(t *testing.T, index uint8, method, query string, body []byte, contentType, origin, host string, token bool) {
		fs.begin()
		op, target := fs.operation(ops[int(index)%len(ops)].id)
		if strings.Contains(target, "{") { // organization_id, fault_id: a seeded one and flt_1
			target = strings.NewReplacer("{organization_id}", fs.s.Organizations()[0].ID, "{fault_id}", "flt_1").Replace(target)
		}
		if query != "" {
			target += "?" + query
		}
		if method == "" {
			method = op.method
		}
		fr := fs.ctl(strings.ToUpper(method), target, body)
		fr.schema = op.bodySchema()
		if !token {
			fr.header = nil
		}
		for name, value := range map[string]string{"Content-Type": contentType, "Origin": origin, "Host": host} {
			if value != "" {
				fr.header = append(fr.header, [2]string{name, value})
			}
		}
		if op.id == "mock_create_org" {
			fr.creates = "admin_key"
		}
		if r, ok := fs.do(t, fr); ok && r.status/100 == 2 {
			fs.controlReads(t, fmt.Sprintf("%s %s", fr.method, fr.target))
		}
	})
}
