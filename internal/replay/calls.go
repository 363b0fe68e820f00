package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/jsonbody"

	"github.com/mixpeekkit/mixpeekkit/internal/rules"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
	"github.com/mixpeekkit/mixpeekkit/internal/suite"
)

// setupCall sends one setup request and records it; it says whether the server answered want.
func (rp *replayer) setupCall(ctx context.Context, op mixpeekkit.OperationID, want int, build func(*suite.T) suite.Request, then func(*suite.Exchange)) bool {
	rp.setups++
	res := rp.s.RunCheck(ctx, suite.Check{ID: fmt.Sprintf("setup/%d-%s", rp.setups, contract.ShortName(string(op))), Category: "setup", Shared: true,
		Description: fmt.Sprintf("creating what the recording starts with: %s as %s answers %d", contract.ShortName(string(op)), recfmt.Admin, want),
		Run: func(t *suite.T) {
			r := build(t)
			before := len(t.Res.Failures)
			ex := t.Do(r)
			if ex.Status != want {
				t.Errorf(ex, "status: want %d to create what the recording starts with, got %d", want, ex.Status)
				firstOf(t.Res.Failures[before:])
			} else if then != nil {
				then(ex)
			}
		}})
	rp.each(res)
	return res.Status == suite.Pass
}

// firstOf moves the last failure of fs to the front: the difference from the recording comes
// before what the contract check of the same answer found.
func firstOf(fs []suite.Failure) {
	if n := len(fs); n > 1 {
		last := fs[n-1]
		copy(fs[1:], fs[:n-1])
		fs[0] = last
	}
}

// mutating are the operations that change a key: on the literal admin-key, only with
// Config.Destructive.
var mutating = []mixpeekkit.OperationID{mixpeekkit.OpUpdateAPIKey, mixpeekkit.OpRotateAPIKey, mixpeekkit.OpDeleteAPIKey}

// play replays one call: it passes when the answer has the recorded status, the recorded
// shape where the contract fixes it (the differences it leaves open are the result's note),
// for a list the recorded names of the replay's own, and validates against openapi.yaml; it
// is skipped when the state does not allow the call.
func (rp *replayer) play(ctx context.Context, c recfmt.Call) suite.Result {
	op := contract.ShortName(string(c.Operation))
	check := suite.Check{ID: fmt.Sprintf("replay/%d-%s", c.Seq, op), Category: "replay", Shared: true,
		Description: fmt.Sprintf("call %d, %s as %s, answers as recorded: %d, with the recorded shape", c.Seq, op, c.As, c.Status)}
	r, skip := rp.request(c)
	if rp.stuck != "" {
		skip = rp.stuck
	}
	check.Run = func(t *suite.T) {
		if skip != "" {
			t.Skip(skip)
		}
		rp.track(t, c)
		before := len(t.Res.Failures)
		ex := t.Do(r)
		diffs, allowed := rp.compare(c, ex)
		if len(allowed) > 0 {
			t.Res.Note = "the contract allows these differences from the recording: " + strings.Join(allowed, "; ")
		}
		if len(diffs) > 0 {
			actual, _ := recfmt.ShapeOfJSON(ex.Raw)
			var recorded bytes.Buffer
			_ = json.Compact(&recorded, c.Response.Shape)
			t.Errorf(ex, "recorded %d %s\nactual   %d %s\n- %s", c.Status, recorded.String(), ex.Status, actual, strings.Join(diffs, "\n- "))
			firstOf(t.Res.Failures[before:])
		}
		if key := ex.Str("key"); c.Issues != "" && key != "" && ex.Status == c.Status {
			rp.creds[c.Issues] = key
		}
		rp.noteRevoked(c, ex)
	}
	return rp.s.RunCheck(ctx, check)
}

// request builds the request of a recorded call, or says why the replay cannot send it. The
// reason may quote the recording, which shows no key in a report (anything shaped like one is
// redacted).
func (rp *replayer) request(c recfmt.Call) (suite.Request, string) {
	r, skip := rp.build(c)
	return r, sensitive.RedactKeys(skip)
}

func (rp *replayer) build(c recfmt.Call) (suite.Request, string) {
	key, ok := rp.creds[c.As]
	if !ok {
		return suite.Request{}, fmt.Sprintf("%s is a key this replay does not have (the call that issued it answered otherwise, or it came from the mock's fixtures for another user or already expired)", c.As)
	}
	route := rp.s.Contract.Route(string(c.Operation))
	if route == nil {
		return suite.Request{}, fmt.Sprintf("%s is not an operation of openapi.yaml", c.Operation)
	}
	path := route.Path
	for name, v := range c.Params {
		value, skip := rp.nameOf(name, v, recfmt.ParamKind(name))
		if skip != "" {
			return suite.Request{}, skip
		}
		if name == "key_name" && value == rules.AdminKeyName && slices.Contains(mutating, c.Operation) && !rp.s.Destructive {
			return suite.Request{}, "changes the admin-key: enable with Config.Destructive"
		}
		escaped := url.PathEscape(value)
		if name == "user_email" {
			escaped = url.QueryEscape(value)
		}
		path = strings.Replace(path, "{"+name+"}", escaped, 1)
	}
	if strings.Contains(path, "{") {
		return suite.Request{}, "the recording lacks a path parameter of " + string(c.Operation)
	}
	if c.Query != "" {
		path += "?" + c.Query
	}
	r := suite.Request{Method: route.Method, Path: path, Auth: suite.Bearer(key)}
	if c.ContentType != "" {
		tok, err := recfmt.ParseToken(c.ContentType)
		switch {
		case err != nil:
			return suite.Request{}, err.Error()
		case tok.Kind == recfmt.TokenValue: // a Content-Type not kept: one as long, that means nothing
			r.ContentType = suite.RandomSuffix(max(tok.Size, 1))
		default:
			r.ContentType = tok.Text
		}
	}
	switch {
	case c.NotJSON > recfmt.MaxRequestBody:
		return suite.Request{}, fmt.Sprintf("the recorded body_not_json is %d bytes: a request body has at most %d", c.NotJSON, recfmt.MaxRequestBody)
	case c.NotJSON > 0:
		r.Body = strings.Repeat("x", c.NotJSON)
		if r.ContentType == "" {
			r.ContentType = "application/json"
		}
	case len(c.Body) > 0:
		v, ok := jsonbody.Decode(c.Body)
		if !ok {
			return suite.Request{}, "the recorded body is not JSON"
		}
		m, _ := v.(map[string]any)
		// A name that is not a string is no name: sent as recorded, the server refuses it.
		if member, kind, ok := recfmt.NameMember(c.Operation); ok && m != nil && isString(m[member]) {
			value, skip := rp.nameOf(member, m[member].(string), kind)
			switch {
			case skip != "":
				return suite.Request{}, skip
			case value == rules.AdminKeyName && !rp.s.Destructive:
				// A server that took it would have a second admin-key, which cleanup cannot
				// tell from the first.
				return suite.Request{}, "names a key admin-key: enable with Config.Destructive"
			}
			m[member] = recfmt.Literal(value) // resolved below as the literal it now is
		}
		// Measured before it is built: names under the prefix and instants are longer than
		// their symbols, and a value placeholder stands for up to 1 MiB.
		if n := rp.size(v); n > recfmt.MaxRequestBody {
			return suite.Request{}, fmt.Sprintf("the body would be %d bytes with the replay's names and values: a request body has at most %d", n, recfmt.MaxRequestBody)
		}
		body, err := rp.resolve(v)
		if err != nil {
			return suite.Request{}, err.Error()
		}
		data, err := json.Marshal(body)
		if err != nil {
			return suite.Request{}, err.Error()
		}
		r.Body = string(data)
	}
	return r, ""
}

func isString(v any) bool { _, ok := v.(string); return ok }

// nameOf is the name the replay sends for a recorded name (a path parameter, or the body
// member that names what is created) of a kind, or why it cannot send one: only symbols of
// that kind map to the replay's own names; a literal is sent only when it can name nothing
// (empty; over 100 bytes, then under the prefix, still too long) or is the admin-key.
func (rp *replayer) nameOf(what, recorded, kind string) (string, string) {
	tok, err := recfmt.ParseToken(recorded)
	if err != nil {
		return "", err.Error()
	}
	switch {
	case tok.Kind == recfmt.TokenSymbol && recfmt.KindOf(tok.Text) == kind:
		if d := rp.rec.Symbols[tok.Text]; d.Kind == recfmt.KindUser && d.Seeded && !d.Owner {
			return "", fmt.Sprintf("%s is a user of the mock's fixtures; a replay cannot create users", tok.Text)
		}
		return rp.name(tok.Text), ""
	case tok.Kind != recfmt.TokenLiteral:
		return "", fmt.Sprintf("the %s %q is not a %s symbol", what, recorded, kind)
	case tok.Text == "" || (kind == recfmt.KindKey && tok.Text == rules.AdminKeyName):
		return tok.Text, ""
	case len(tok.Text) > 100 && kind != recfmt.KindUser:
		return rp.namePrefix() + tok.Text, ""
	}
	return "", fmt.Sprintf("the %s %q is a literal name outside the run's prefix: a replay touches only its own names", what, tok.Text)
}

// resolve turns the symbols and placeholders of a recorded body into the replay's values.
func (rp *replayer) resolve(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := rp.resolve(e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := rp.resolve(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case string:
		tok, err := recfmt.ParseToken(x)
		if err != nil {
			return nil, err
		}
		switch tok.Kind {
		case recfmt.TokenSymbol:
			return rp.name(tok.Text), nil
		case recfmt.TokenValue:
			return rp.freshValue(tok.Size), nil
		case recfmt.TokenNow:
			return rp.instant(tok.Offset), nil
		}
		return tok.Text, nil
	}
	return v, nil
}

// freshValue is a new random value of n bytes, known to the redaction before it is sent
// (a value under 8 bytes is not remembered: it would redact common words).
func (rp *replayer) freshValue(n int) string {
	if n == 0 {
		return ""
	}
	v := suite.RandomSuffix(n)
	if n >= 8 {
		rp.s.Known.AddSent(v)
	}
	return v
}

// track registers every name of the replay a call sends, before it is sent: a server that
// creates where it should not is cleaned up too.
func (rp *replayer) track(t *suite.T, c recfmt.Call) {
	syms := []string{}
	for _, v := range c.Params {
		syms = append(syms, v)
	}
	if len(c.Body) > 0 {
		v, _ := jsonbody.Decode(c.Body)
		_ = recfmt.Strings(v, func(s string) error { syms = append(syms, s); return nil })
	}
	for _, s := range syms {
		switch recfmt.KindOf(s) {
		case recfmt.KindSecret:
			t.TrackSecret(rp.name(s), suite.Bearer(rp.s.APIKey))
		case recfmt.KindKey:
			t.TrackKey(rp.name(s))
		}
	}
}

// compare lists how an answer differs from the recorded one where the contract fixes it
// (diffs), and the differences of shape it leaves open (allowed): a server that makes the
// contract's other choices passes.
func (rp *replayer) compare(c recfmt.Call, ex *suite.Exchange) (diffs, allowed []string) {
	if ex.Status != c.Status {
		if name := rp.reusedName(c); name != "" && (ex.Status == http.StatusConflict || openRefusal(ex.Status)) {
			if c.Operation == mixpeekkit.OpCreateAPIKey {
				if rp.refused == nil {
					rp.refused = map[string]bool{}
				}
				rp.refused[name] = true
			}
			return nil, []string{fmt.Sprintf("status: recorded %d, got %d (%s was a revoked key's name: whether it may be used again is the server's choice, P8)", c.Status, ex.Status, name)}
		}
		if c.Operation == mixpeekkit.OpUpdateAPIKey && openRefusal(c.Status) && openRefusal(ex.Status) {
			// Which refusal a PATCH gets where the promises leave it open (B30, B34) is the
			// server's choice: the recording does not say which case its 400 was.
			return nil, []string{fmt.Sprintf("status: recorded %d, got %d (a refused PATCH: the promises leave its status open, B30 and B34)", c.Status, ex.Status)}
		}
		return []string{fmt.Sprintf("status: recorded %d, got %d", c.Status, ex.Status)}, nil
	}
	actual, err := recfmt.ShapeOfJSON(ex.Raw)
	if err != nil {
		return []string{"the answer is not JSON"}, nil
	}
	shape, err := recfmt.Compare(c.Response.Shape, actual)
	if err != nil {
		return []string{err.Error()}, nil
	}
	schema := rp.s.Contract.ResponseSchema(string(c.Operation), ex.Status)
	for _, d := range shape {
		if fixed(schema, d) {
			diffs = append(diffs, "shape: "+d.String())
		} else {
			allowed = append(allowed, d.String())
		}
	}
	if c.Response.ErrorType != "" && ex.ErrorType() != c.Response.ErrorType {
		diffs = append(diffs, fmt.Sprintf("error.type: recorded %q, got %q", c.Response.ErrorType, ex.ErrorType()))
	}
	if c.Response.Listed != nil {
		got := rp.listed(c.Operation, ex)
		// The live key of a name whose create the server refused by its choice (P8) is not
		// there to list.
		want := slices.DeleteFunc(slices.Clone(*c.Response.Listed), func(entry string) bool {
			sym, status, _ := strings.Cut(entry, " ")
			return rp.refused[sym] && status == "active"
		})
		if !slices.Equal(got, want) {
			diffs = append(diffs, fmt.Sprintf("listed: recorded [%s], got [%s]", strings.Join(want, " "), strings.Join(got, " ")))
		}
	}
	return diffs, allowed
}

// fixed says whether the contract fixes what a difference of shape changes, so that the answer
// no longer gives what the recorded call relied on: a member the schema requires is gone, or
// a member the schema declares has another type (null only where it is not nullable). A member
// the schema leaves optional, null where it is nullable, and anything it does not declare are
// the server's choice. (A fixed difference is usually a contract violation too; this names it
// against the recording.)
func fixed(schema *openapi3.Schema, d recfmt.Difference) bool {
	parent, at := (*openapi3.Schema)(nil), schema
	for _, p := range d.Path {
		parent = at
		if p == "[]" {
			at = contract.Items(parent)
		} else {
			at = contract.Property(parent, p)
		}
	}
	if d.Missing {
		last := d.Path[len(d.Path)-1]
		return last != "[]" && contract.Required(parent, last)
	}
	if at == nil {
		return false // a member the contract does not declare
	}
	if hasNull(d.Recorded) || hasNull(d.Actual) {
		return !contract.Nullable(at)
	}
	return contract.Unwrap(at).Type != nil
}

// noteRevoked remembers the key a call revoked, by its symbol: a DELETE, or a PATCH to
// status revoked, that the server answered 200.
func (rp *replayer) noteRevoked(c recfmt.Call, ex *suite.Exchange) {
	var body struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal(c.Body, &body)
	if ex.Status != http.StatusOK || !(c.Operation == mixpeekkit.OpDeleteAPIKey || c.Operation == mixpeekkit.OpUpdateAPIKey && body.Status == "revoked") {
		return
	}
	if rp.revoked == nil {
		rp.revoked = map[string]bool{}
	}
	rp.revoked[c.Params["key_name"]] = true
}

// reusedName is the key symbol a create or a rename gives, when this replay saw a key of that
// name revoked ("" otherwise): the recorded success may then be a refusal (P8).
func (rp *replayer) reusedName(c recfmt.Call) string {
	if c.Operation != mixpeekkit.OpCreateAPIKey && c.Operation != mixpeekkit.OpUpdateAPIKey {
		return ""
	}
	var body struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(c.Body, &body) != nil || !rp.revoked[body.Name] || c.Params["key_name"] == body.Name {
		return ""
	}
	return body.Name
}

// openRefusal says whether a status is one the promises leave open for a refused PATCH.
func openRefusal(status int) bool {
	return slices.Contains(rules.RenameOntoTakenName, status) || slices.Contains(rules.ReviveRevokedKey, status)
}

// hasNull says whether a shape's type (a union, "null|string") includes null.
func hasNull(shape string) bool { return slices.Contains(strings.Split(shape, "|"), "null") }

// listed is what a list answer holds of the replay's names, as a recording writes it.
func (rp *replayer) listed(op mixpeekkit.OperationID, ex *suite.Exchange) []string {
	out := []string{}
	switch op {
	case mixpeekkit.OpListSecrets:
		names, _ := ex.Field("secrets").([]any)
		for _, n := range names {
			name, _ := n.(string)
			if sym := rp.symbolOf(recfmt.KindSecret, name); sym != "" {
				out = append(out, sym)
			}
		}
	case mixpeekkit.OpListAPIKeys:
		results, _ := ex.Field("results").([]any)
		for _, r := range results {
			k, _ := r.(map[string]any)
			name, _ := k["name"].(string)
			status, _ := k["status"].(string)
			if sym := rp.symbolOf(recfmt.KindKey, name); sym != "" {
				out = append(out, sym+" "+status)
			}
		}
	}
	sort.Strings(out)
	return out
}
