package mockserver

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// decodeBody reads a body that openapi.yaml has already accepted into v, a pointer to a struct
// whose json tags are the contract's property names. The contract check has also written the
// defaults of openapi.yaml into the body (an API key's permissions), so no handler repeats one.
//
// Only members whose names match a tag exactly are read: encoding/json would also take
// "Secret_Name" for secret_name, a member the contract check never looked at. Of duplicate
// members the last wins, as in Python. A member Go cannot hold although the schema allows it
// (a leap second, an integer beyond int64) is a 422 at its place.
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
	known := jsonTags(reflect.TypeOf(v).Elem())
	names := make([]string, 0, len(members))
	for name := range members {
		if known[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		one, _ := json.Marshal(map[string]json.RawMessage{name: members[name]})
		if err := json.Unmarshal(one, v); err != nil {
			return errValidation([]violation{{Loc: []any{"body", name},
				Msg: "Input is valid for " + c.op.doc.Name + " but out of the range this server can hold", Type: "value_error"}})
		}
	}
	return nil
}

// jsonTags is the set of json names of a struct's fields.
func jsonTags(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
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
