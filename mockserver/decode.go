package mockserver

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// decodeBody reads a body that its document has already accepted into v, a pointer to a struct
// whose json tags are the document's property names. The contract check has also written the
// document's defaults into the body (an API key's permissions), so no handler repeats one.
//
// At every depth, only members whose names match a tag exactly are read: encoding/json would
// also take "Secret_Name" for secret_name, or "RESOURCE_TYPE" for a scope's resource_type,
// members the contract check never looked at. Of duplicate members the last wins, as in
// Python. A member Go cannot hold, or could not answer back, although the schema allows it (a
// leap second, an integer beyond int64, a date-time past year 9999 in UTC) is a 422 at its place.
func decodeBody(c *call, v any) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &members); err != nil {
		loc := []any{"body", 0}
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			loc[1] = int(max(syntax.Offset-1, 0))
		}
		return errValidation([]violation{{Loc: loc, Msg: "JSON decode error", Type: "json_invalid"}})
	}
	fields := jsonFields(reflect.TypeOf(v).Elem())
	names := make([]string, 0, len(members))
	for name := range members {
		if _, known := fields[name]; known {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		one, _ := json.Marshal(map[string]json.RawMessage{name: exactJSON(members[name], fields[name])})
		if err := json.Unmarshal(one, v); err != nil {
			return errValidation([]violation{{Loc: []any{"body", name},
				Msg: "Input is valid for " + c.op.doc.Name + " but out of the range this server can hold", Type: "value_error"}})
		}
	}
	return nil
}

// jsonFields maps the json names of a struct's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			out[name] = t.Field(i).Type
		}
	}
	return out
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// exactJSON is raw, a JSON value to be decoded into a t, with every object that becomes a
// struct keeping only the members named exactly as one of its fields (the last of duplicates).
// A value of another shape is left as it is, for decoding to refuse.
func exactJSON(raw json.RawMessage, t reflect.Type) json.RawMessage {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if o, ok := reflect.Zero(t).Interface().(interface{ elemType() reflect.Type }); ok {
		return exactJSON(raw, o.elemType()) // an optional[T] holds a T
	}
	switch {
	case t.Kind() == reflect.Struct && !reflect.PointerTo(t).Implements(unmarshalerType):
		var members map[string]json.RawMessage
		if json.Unmarshal(raw, &members) != nil || members == nil {
			return raw
		}
		kept := map[string]json.RawMessage{}
		for name, ft := range jsonFields(t) {
			if m, ok := members[name]; ok {
				kept[name] = exactJSON(m, ft)
			}
		}
		out, _ := json.Marshal(kept)
		return out
	case t.Kind() == reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil || items == nil {
			return raw
		}
		for i := range items {
			items[i] = exactJSON(items[i], t.Elem())
		}
		out, _ := json.Marshal(items)
		return out
	}
	return raw
}

// integer is a JSON integer as pydantic reads one: 5, 5.0 and 5e0 are all 5.
type integer int

func (n *integer) UnmarshalJSON(b []byte) error {
	if i, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		*n = integer(i)
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt64/2 {
		return errors.New("not an integer this server can hold")
	}
	*n = integer(f)
	return nil
}

// instant is a date-time of a request as the mock keeps it: in UTC, at microsecond precision.
// One that falls outside the years 1 to 9999 once in UTC could not be answered back (RFC 3339
// has four-digit years, and pydantic's datetime starts at year 1), so it is refused.
type instant struct{ time.Time }

func (t *instant) UnmarshalJSON(b []byte) error {
	if err := t.Time.UnmarshalJSON(b); err != nil {
		return err
	}
	t.Time = t.Time.UTC().Truncate(time.Microsecond)
	if y := t.Year(); y < 1 || y > 9999 {
		return errors.New("a date-time outside the years 1 to 9999 in UTC")
	}
	return nil
}
