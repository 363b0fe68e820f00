package lax

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mixpeekkit/mixpeekkit/internal/contract"
)

// Read is what reading a request as pydantic reads it found: the places where a value the
// contract check would refuse was taken by lax parsing (JSON pointers: the mock's and the
// proxy's GET /_mock/violations list them, rule lax-coercion), and the values pydantic
// refuses, at FastAPI's loc, with their problems.
type Read struct {
	Coerced []string
	Refused []Refusal
	// Unparsable: the body holds what Python's json.loads refuses (an integer of more than
	// 4300 digits), which FastAPI answers with a 400.
	Unparsable bool
}

// Refusal is a value pydantic refuses, at its place (["body", "expires_at"]).
type Refusal struct {
	Loc []any
	*Problem
}

// Body reads a JSON body as pydantic reads it in lax mode: every integer
// and date-time member, at any depth, is written as the contract writes it ("5" and true for
// an integer are 5 and 1; "2030-01-02 03:04:05" is 2030-01-02T03:04:05Z), so that the
// contract check and the handlers see what the upstream server would. A value pydantic refuses
// is left as it is, with its problem; so is a date-time outside the years 1 to 9999 once in UTC,
// which pydantic takes but could not be answered back. The body comes back unchanged when
// nothing was rewritten.
func Body(data []byte, schema *openapi3.Schema, doc string, read *Read) []byte {
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
			text, bad := Int(v)
			switch {
			case bad == TooManyDigits:
				read.Unparsable = true
				return v
			case bad == nil && u.Format == "int64" && !FitsInt64(text):
				bad = IntParsingSize // the contract's bound, where pydantic takes any integer
			}
			if bad != nil {
				read.Refused = append(read.Refused, Refusal{loc, bad})
				return v
			}
			if _, isNumber := v.(json.Number); !isNumber {
				read.Coerced = append(read.Coerced, Pointer(loc))
			}
			if n, _ := v.(json.Number); string(n) != text {
				rewritten = true
			}
			return json.Number(text)
		case u.Type.Is(openapi3.TypeString) && u.Format == "date-time":
			t, bad := DateTime(v)
			if bad != nil {
				read.Refused = append(read.Refused, Refusal{loc, bad})
				return v
			}
			if y := t.Year(); y < 1 || y > 9999 { // valid, but RFC 3339 has four-digit years
				read.Refused = append(read.Refused, Refusal{loc, &Problem{"value_error",
					"Input is valid for " + doc + " but out of the range this server can hold"}})
				return v
			}
			text := t.Format(time.RFC3339Nano)
			if s, isString := v.(string); !isString || u.VisitJSON(s) != nil {
				read.Coerced = append(read.Coerced, Pointer(loc))
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

// QueryBool reads a boolean query value as pydantic reads one (Bool): the words the contract
// writes, true and false, or a value only lax parsing takes (yes, On, 1, ...), which is a
// coercion; the empty value (?include_revoked=) is refused, as pydantic refuses it.
func QueryBool(name, value string, read *Read) string {
	b, bad := Bool(value)
	if bad != nil {
		read.Refused = append(read.Refused, Refusal{[]any{"query", name}, bad})
		return value
	}
	text := strconv.FormatBool(b)
	if value != text {
		read.Coerced = append(read.Coerced, Pointer([]any{"query", name}))
	}
	return text
}

// Pointer is a loc as a JSON pointer: ["body", "scopes", 0, "resource_id"] is
// /body/scopes/0/resource_id.
func Pointer(loc []any) string {
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
