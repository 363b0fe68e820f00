package mockserver

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mixpeekkit/mixpeekkit/internal/contract"
	"github.com/mixpeekkit/mixpeekkit/internal/lax"
)

// laxRead is what reading a request as pydantic reads it found: the places where a value the
// contract check would refuse was taken by lax parsing (JSON pointers, for GET
// /_mock/violations), and the values pydantic refuses, with its error types.
type laxRead struct {
	coerced  []string
	problems []violation
	// unparsable: the body holds what Python's json.loads refuses (an integer of more than
	// 4300 digits), which FastAPI answers with a 400.
	unparsable bool
}

// readBodyLax reads a JSON body as pydantic reads it in lax mode (internal/lax): every integer
// and date-time member, at any depth, is written as the contract writes it ("5" and true for
// an integer are 5 and 1; "2030-01-02 03:04:05" is 2030-01-02T03:04:05Z), so that the
// contract check and the handlers see what the upstream server would. A value pydantic refuses
// is left as it is, with its problem; so is a date-time outside the years 1 to 9999 once in UTC,
// which pydantic takes but could not be answered back. The body comes back unchanged when
// nothing was rewritten.
func readBodyLax(data []byte, schema *openapi3.Schema, doc string, read *laxRead) []byte {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return data // the contract check refuses it
	}
	rewritten := false
	var walk func(v any, s *openapi3.Schema, loc []any) any
	walk = func(v any, s *openapi3.Schema, loc []any) any {
		if v == nil || s == nil {
			return v
		}
		u := contract.Unwrap(s)
		switch {
		case u.Type.Is(openapi3.TypeInteger):
			text, bad := lax.Int(v)
			switch {
			case bad == lax.TooManyDigits:
				read.unparsable = true
				return v
			case bad == nil && u.Format == "int64" && !lax.FitsInt64(text):
				bad = lax.IntParsingSize // the contract's bound, where pydantic takes any integer
			}
			if bad != nil {
				read.problems = append(read.problems, violation{Loc: loc, Msg: bad.Msg, Type: bad.Type})
				return v
			}
			if _, isNumber := v.(json.Number); !isNumber {
				read.coerced = append(read.coerced, pointer(loc))
			}
			if n, _ := v.(json.Number); string(n) != text {
				rewritten = true
			}
			return json.Number(text)
		case u.Type.Is(openapi3.TypeString) && u.Format == "date-time":
			t, bad := lax.DateTime(v)
			if bad != nil {
				read.problems = append(read.problems, violation{Loc: loc, Msg: bad.Msg, Type: bad.Type})
				return v
			}
			if y := t.Year(); y < 1 || y > 9999 { // valid, but RFC 3339 has four-digit years
				read.problems = append(read.problems, violation{Loc: loc, Type: "value_error",
					Msg: "Input is valid for " + doc + " but out of the range this server can hold"})
				return v
			}
			text := t.Format(time.RFC3339Nano)
			if s, isString := v.(string); !isString || u.VisitJSON(s) != nil {
				read.coerced = append(read.coerced, pointer(loc))
			}
			if s, _ := v.(string); s != text {
				rewritten = true
			}
			return text
		}
		switch x := v.(type) {
		case map[string]any:
			for name, e := range x {
				x[name] = walk(e, contract.Property(s, name), append(append([]any{}, loc...), name))
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e, contract.Items(s), append(append([]any{}, loc...), i))
			}
		}
		return v
	}
	v = walk(v, schema, []any{"body"})
	if !rewritten {
		return data
	}
	out, err := json.Marshal(v)
	if err != nil {
		return data
	}
	return out
}

// readQueryBoolLax reads a boolean query value as pydantic reads one (lax.Bool): the words
// the contract writes, true and false, or a value only lax parsing takes (yes, On, 1, ...),
// which is a coercion; the empty value (?include_revoked=) is refused, as pydantic refuses it.
func readQueryBoolLax(name, value string, read *laxRead) string {
	b, bad := lax.Bool(value)
	if bad != nil {
		read.problems = append(read.problems, violation{Loc: []any{"query", name}, Msg: bad.Msg, Type: bad.Type})
		return value
	}
	text := strconv.FormatBool(b)
	if value != text {
		read.coerced = append(read.coerced, pointer([]any{"query", name}))
	}
	return text
}

// pointer is a loc as a JSON pointer: ["body", "scopes", 0, "resource_id"] is
// /body/scopes/0/resource_id.
func pointer(loc []any) string {
	var b strings.Builder
	for _, p := range loc {
		b.WriteByte('/')
		switch x := p.(type) {
		case int:
			b.WriteString(strconv.Itoa(x))
		case string:
			b.WriteString(strings.ReplaceAll(strings.ReplaceAll(x, "~", "~0"), "/", "~1"))
		}
	}
	return b.String()
}
