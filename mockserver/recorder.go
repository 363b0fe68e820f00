package mockserver

// The recording (package recording, docs/recording.md) is what a consumer's calls to one
// organization look like once every value the consumer chose is a symbol or a placeholder:
// it can be committed and replayed against any server. The mock keeps one per organization,
// bounded like the journal, and builds it after each answer from what the request path
// learned (the caller's key hash, the raw body) and the answer's bytes. Nothing of a secret
// value or a plaintext key is kept: a value is its length, a key its hash, only to recognise
// the key when it is presented later.

import (
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mixpeekkit/mixpeekkit/internal/contract"

	"github.com/mixpeekkit/mixpeekkit/internal/jsonbody"

	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/sensitive"
)

// recorders are the recordings of every organization.
type recorders struct {
	mu        sync.Mutex
	off       bool
	limit     int // calls of each recording
	byteLimit int // bytes of JSON of each recording
	byOrg     map[string]*recorder
}

// recorder is one organization's recording and the symbol tables that make it.
type recorder struct {
	rec       recfmt.Recording
	limit     int
	byteLimit int
	bytes     int               // the calls' JSON so far
	full      bool              // a call went past a bound: the recording ends there
	names     map[string]string // "secret:" + name, "key:" + email + ":" + name → symbol
	emails    map[string]string // email → symbol
	creds     map[string]string // key hash → credential symbol
	issued    map[string]int    // key symbol → keys issued under it
	counters  map[string]int    // kind → symbols made
}

// newRecorder starts the recording of an organization from its initial state (what a replay
// creates first): its secrets and its keys get seeded symbols, its owner is $user.
func newRecorder(init *organization, limit, byteLimit int, now time.Time) *recorder {
	rc := &recorder{
		rec:       recfmt.Recording{Format: recfmt.Format, Version: recfmt.Version, Symbols: map[string]recfmt.Symbol{}, Calls: []recfmt.Call{}},
		limit:     limit,
		byteLimit: byteLimit,
		names:     map[string]string{},
		emails:    map[string]string{},
		creds:     map[string]string{},
		issued:    map[string]int{},
		counters:  map[string]int{},
	}
	if init == nil {
		return rc
	}
	if k := adminKeyOf(init); k != nil {
		rc.emails[strings.ToLower(k.user.Email)] = recfmt.Owner
		rc.rec.Symbols[recfmt.Owner] = recfmt.Symbol{Kind: recfmt.KindUser, Owner: true}
		rc.creds[k.Hash] = recfmt.Admin
	}
	for _, u := range init.users {
		user := rc.symbol(recfmt.KindUser, "", u.Email, true)
		for _, k := range u.keys {
			if rc.creds[k.Hash] == recfmt.Admin {
				continue
			}
			sym := rc.symbol(recfmt.KindKey, u.Email, k.Name, true)
			if recfmt.KindOf(sym) != recfmt.KindKey { // a name that stays literal (admin-key of another user)
				continue
			}
			perms := make([]string, len(k.Permissions))
			for i, p := range k.Permissions {
				perms[i] = string(p)
			}
			seeded := recfmt.SeededKey{Permissions: perms, Status: k.status(now)}
			if k.ExpiresAt != nil {
				seeded.Expires = recfmt.Now(k.ExpiresAt.Sub(now).Round(time.Second))
			}
			s := rc.rec.Symbols[sym]
			s.User, s.Keys = user, append(s.Keys, seeded)
			rc.rec.Symbols[sym] = s
			rc.creds[k.Hash] = rc.credential(sym)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(init.secrets)) {
		rc.symbol(recfmt.KindSecret, "", name, true)
	}
	return rc
}

// maxRecordedEmail is the longest text the recorder takes for an email (RFC 5321's bound on
// a path, 256, with room): a longer one is kept literal, out of its tables, which would
// otherwise hold every such text a client sends.
const maxRecordedEmail = 320

// nameKey is where the names map keeps a name: secret names are the organization's, key
// names each user's (user is the user's email).
func nameKey(kind, user, name string) string {
	if kind == recfmt.KindKey {
		return kind + ":" + strings.ToLower(user) + ":" + name // emails match in any case, as the mock's do
	}
	return kind + ":" + name
}

// symbol is the symbol of a name (an email for KindUser; a key name is of the user whose
// email is user), made on first sight; a name the contract refuses (empty, or over 100
// characters, counted as the contract counts them), and the protected admin-key, stay literal:
// a replay sends them as they are (a long one under its prefix), with anything shaped like a
// key in them masked (the same length of x).
func (rc *recorder) symbol(kind, user, name string, seeded bool) string {
	if kind == recfmt.KindUser {
		if len(name) > maxRecordedEmail { // no email: kept out of the table, as a name too long is
			return recfmt.Literal(sensitive.MaskKeys(name))
		}
		if s, ok := rc.emails[strings.ToLower(name)]; ok {
			return s
		}
	} else {
		if n := utf8.RuneCountInString(name); n < 1 || n > 100 || (kind == recfmt.KindKey && name == adminKeyName) {
			return recfmt.Literal(sensitive.MaskKeys(name))
		}
		if s, ok := rc.names[nameKey(kind, user, name)]; ok {
			return s
		}
	}
	rc.counters[kind]++
	s := recfmt.SymbolOf(kind, rc.counters[kind])
	rc.bytes += len(name) + len(s) + 40 // the table's entry, and the symbol's in the recording
	if kind == recfmt.KindUser {
		rc.emails[strings.ToLower(name)] = s
	} else {
		rc.names[nameKey(kind, user, name)] = s
	}
	rc.rec.Symbols[s] = recfmt.Symbol{Kind: kind, Seeded: seeded}
	return s
}

// credential is the next credential symbol of a key symbol: $key1, then $key1@2...
func (rc *recorder) credential(sym string) string {
	rc.issued[sym]++
	if n := rc.issued[sym]; n > 1 {
		return sym + "@" + strconv.Itoa(n)
	}
	return sym
}

// exchange is what the request path hands the recorder about one answered call.
type exchange struct {
	op          mixpeekkit.OperationID
	keyHash     string
	vars        map[string]string // raw (escaped) path parameters
	query       string            // as the journal shows it (redacted)
	queryNames  []string          // the query parameters the operation declares
	contentType string
	hasBody     bool
	body        any  // the request body decoded (numbers as json.Number), when it is JSON
	notJSON     int  // the length of a body that is not (see decodeForRecording)
	unkeepable  bool // a body of more values than the mock reads: the recording ends
	bodySchema  *openapi3.Schema
	now         time.Time
	status      int
	answer      any // the answer decoded
	shape       json.RawMessage
}

// decodeForRecording decodes a request body and an answer, the part of recording a call that
// needs no symbol table (done before the recorders' lock is taken).
func (x *exchange) decodeForRecording(body, answer []byte) {
	if body != nil {
		x.hasBody = true
		if len(body) <= maxBody && tooManyValues(body) {
			x.unkeepable = true // a replay could not tell it from a body too large
			return
		}
		v, ok := jsonbody.Decode(body)
		switch {
		case !ok || len(body) > maxBody:
			// Not JSON (jsonbody's rule), or too large: its length only, and a replay sends
			// that many bytes of not-JSON.
			x.notJSON = len(body)
		case hasHugeNumber(v, 0):
			x.unkeepable = true // a number common JSON readers cannot read
		default:
			x.body = v
		}
	}
	_ = json.Unmarshal(answer, &x.answer)
	x.shape, _ = json.Marshal(recfmt.ShapeOf(x.answer))
}

// add records one call.
func (rc *recorder) add(x exchange) {
	as, ok := rc.creds[x.keyHash]
	switch {
	case rc.ended():
		rc.rec.Dropped++
		return
	case !ok:
		return // a key this recording never saw issued (documented: not recorded)
	case x.unkeepable:
		rc.full = true
		rc.rec.Dropped++
		return
	}
	c := recfmt.Call{Operation: x.op, As: as, Status: x.status, Query: declaredQuery(x.query, x.queryNames)}
	user := ""
	if raw, ok := x.vars["user_email"]; ok {
		user, _ = url.PathUnescape(raw)
	}
	for name, raw := range x.vars {
		v, err := url.PathUnescape(raw)
		kind := recfmt.ParamKind(name)
		if c.Params == nil {
			c.Params = map[string]string{}
		}
		if err != nil || kind == "" {
			c.Params[name] = recfmt.Literal(sensitive.MaskKeys(raw))
			continue
		}
		c.Params[name] = rc.symbol(kind, user, v, false)
	}
	if x.hasBody {
		c.ContentType = recordedContentType(x.contentType)
		c.NotJSON = x.notJSON // 0 for no body at all: none is sent again
		if x.notJSON == 0 && x.body != nil {
			c.Body, _ = json.Marshal(rc.placeholders(x.op, user, x.body, x.bodySchema, x.now, 0))
		}
	}
	resp := &recfmt.Response{Shape: x.shape}
	m, _ := x.answer.(map[string]any)
	if x.status >= 400 {
		e, _ := m["error"].(map[string]any)
		resp.ErrorType, _ = e["type"].(string)
	}
	if x.status == http.StatusOK {
		switch x.op {
		case mixpeekkit.OpListSecrets:
			resp.Listed = rc.listed(m["secrets"], func(item any) string {
				name, _ := item.(string)
				return rc.names[nameKey(recfmt.KindSecret, "", name)]
			})
		case mixpeekkit.OpListAPIKeys:
			resp.Listed = rc.listed(m["results"], func(item any) string {
				k, _ := item.(map[string]any)
				name, _ := k["name"].(string)
				status, _ := k["status"].(string)
				if s := rc.names[nameKey(recfmt.KindKey, user, name)]; s != "" {
					return s + " " + status
				}
				return ""
			})
		case mixpeekkit.OpCreateAPIKey, mixpeekkit.OpRotateAPIKey:
			if key, _ := m["key"].(string); key != "" {
				name, _ := m["name"].(string)
				if sym := rc.symbol(recfmt.KindKey, user, name, false); recfmt.KindOf(sym) == recfmt.KindKey {
					c.Issues = rc.credential(sym)
					rc.creds[sensitive.Hash(key)] = c.Issues
				}
			}
		}
	}
	c.Response = resp
	rc.push(c)
}

// listed is what a list held of the recording's names, sorted.
func (rc *recorder) listed(items any, symbol func(any) string) *[]string {
	out := []string{}
	list, _ := items.([]any)
	for _, it := range list {
		if s := symbol(it); s != "" {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return &out
}

// maxRecordedDepth is how deep a recorded body nests: anything deeper is null (the contract's
// bodies nest 3 levels; what is deeper is refused by any server, and a replay still is).
const maxRecordedDepth = 32

// placeholders is a request body as a recording keeps it: the names the consumer chose are
// symbols, an instant is its offset from the mock's clock, a string of an enum (permissions,
// status) is kept, and every other string (values, descriptions, IDs, whatever a member the
// schema does not declare holds) is its length only. depth is v's, from 0 at the top.
func (rc *recorder) placeholders(op mixpeekkit.OperationID, user string, v any, schema *openapi3.Schema, now time.Time, depth int) any {
	if depth >= maxRecordedDepth {
		return nil
	}
	schema = contract.Unwrap(schema)
	top := depth == 0
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		undeclared := 0
		for _, k := range slices.Sorted(maps.Keys(x)) {
			e := x[k]
			p, secret := contract.Member(schema, k)
			if member, kind, names := recfmt.NameMember(op); top && names && k == member {
				if s, ok := e.(string); ok {
					out[k] = rc.symbol(kind, user, s, false)
					continue
				}
			}
			switch {
			case p == nil: // a member the schema does not declare: its name is no more kept than its value
				undeclared++
				out["$member"+strconv.Itoa(undeclared)] = hidden(e, depth+1)
			case secret:
				out[k] = hidden(e, depth+1)
			default:
				out[k] = rc.placeholders(op, user, e, p, now, depth+1)
			}
		}
		return out
	case []any:
		items := contract.Items(schema)
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = rc.placeholders(op, user, e, items, now, depth+1)
		}
		return out
	case string:
		switch {
		case schema == nil || sensitive.HasKey(x):
		case slices.Contains(schema.Enum, any(x)):
			return recfmt.Literal(x) // a value of the enum: permissions, status
		case schema.Format == "date-time":
			if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return recfmt.Now(t.Sub(now).Round(time.Second))
			}
		}
		return recfmt.Value(len(x))
	}
	return v
}

// declaredQuery is the query string with the parameters the operation declares only (the
// others are ignored by the API, and may hold anything), each value kept when it is one a
// boolean takes (the only kind of query parameter of the contract) and replaced by as many x
// otherwise; none when it does not parse.
func declaredQuery(raw string, declared []string) string {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return ""
	}
	for name, values := range q {
		if !slices.Contains(declared, name) {
			delete(q, name)
			continue
		}
		for i, v := range values {
			if !slices.Contains(boolWords, strings.ToLower(v)) {
				values[i] = strings.Repeat("x", len(v))
			}
		}
	}
	return q.Encode()
}

// boolWords are the values FastAPI reads as a boolean.
var boolWords = []string{"true", "false", "1", "0", "yes", "no", "on", "off", "t", "f", "y", "n"}

// recordedContentType is a request's Content-Type as a recording keeps it: "" for JSON (what a
// replay sends by default), a common media type with a common charset as it is, and anything
// else as a value placeholder of its length (it may hold anything).
func recordedContentType(ct string) string {
	if ct == "" {
		return ""
	}
	media, params, err := mime.ParseMediaType(ct)
	charset := strings.ToLower(params["charset"])
	switch {
	case err != nil || !slices.Contains(commonMediaTypes, media) || (charset != "" && !slices.Contains(commonCharsets, charset)):
		return recfmt.Value(len(ct))
	case media == "application/json" && charset == "":
		return ""
	case charset != "":
		return mime.FormatMediaType(media, map[string]string{"charset": charset})
	}
	return media
}

var (
	commonMediaTypes = []string{"application/json", "text/plain", "text/html", "application/xml", "text/xml",
		"application/x-www-form-urlencoded", "multipart/form-data", "application/octet-stream", "application/merge-patch+json", "application/problem+json"}
	commonCharsets = []string{"utf-8", "utf8", "us-ascii", "iso-8859-1", "latin1", "utf-16", "utf-16le", "utf-16be", "windows-1252"}
)

// maxRecordedNumber is the longest number a recording keeps as it is: Python's json module
// reads no integer of more digits. A call that sends a longer one ends the recording.
const maxRecordedNumber = 4300

// hasHugeNumber says whether v holds a number longer than maxRecordedNumber in the part a
// recording keeps (to maxRecordedDepth). depth is v's.
func hasHugeNumber(v any, depth int) bool {
	if depth >= maxRecordedDepth {
		return false
	}
	switch x := v.(type) {
	case json.Number:
		return len(x) > maxRecordedNumber
	case map[string]any:
		for _, e := range x {
			if hasHugeNumber(e, depth+1) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasHugeNumber(e, depth+1) {
				return true
			}
		}
	}
	return false
}

// hidden is a value with every string replaced by a value placeholder of its length, every
// number by 0 (its digits may be a card number or a PIN), and every member name by $member1,
// $member2... (in the order of the names); what nests deeper than maxRecordedDepth is null.
// depth is v's.
func hidden(v any, depth int) any {
	if depth >= maxRecordedDepth {
		return nil
	}
	switch x := v.(type) {
	case string:
		return recfmt.Value(len(x))
	case json.Number, float64:
		return 0
	case map[string]any:
		out := make(map[string]any, len(x))
		for i, k := range slices.Sorted(maps.Keys(x)) {
			out["$member"+strconv.Itoa(i+1)] = hidden(x[k], depth+1)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = hidden(e, depth+1)
		}
		return out
	}
	return v
}
