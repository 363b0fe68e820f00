package recfmt

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// ShapeOf is the shape of a decoded JSON value: "string", "integer", "number", "boolean" or
// "null" for a scalar; for an object, an object with the same members and the shape of each;
// for an array, a one-item array with the shape of its items merged (an empty array for an
// empty one). Items of different scalar shapes merge into a union, "integer|string"; objects
// merge member by member.
func ShapeOf(v any) any {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			return "number"
		}
		return "integer"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = ShapeOf(e)
		}
		return out
	case []any:
		if len(x) == 0 {
			return []any{}
		}
		item := ShapeOf(x[0])
		for _, e := range x[1:] {
			item = merge(item, ShapeOf(e))
		}
		return []any{item}
	}
	return fmt.Sprintf("%T", v)
}

// ShapeOfJSON is the shape of a JSON document ("" shape, nil, when data is not JSON).
func ShapeOfJSON(data []byte) (json.RawMessage, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return json.Marshal(ShapeOf(v))
}

// merge is the shape of items of shape a and shape b.
func merge(a, b any) any {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		out := make(map[string]any, len(am))
		for k, v := range am {
			out[k] = v
		}
		for k, v := range bm {
			if w, ok := out[k]; ok {
				out[k] = merge(w, v)
			} else {
				out[k] = v
			}
		}
		return out
	}
	aa, aok := a.([]any)
	ba, bok := b.([]any)
	if aok && bok {
		switch {
		case len(aa) == 0:
			return ba
		case len(ba) == 0:
			return aa
		}
		return []any{merge(aa[0], ba[0])}
	}
	return union(a, b)
}

// union is the scalar union of two shapes, "a|b" sorted; a composite is named "object" or
// "array" in a union.
func union(a, b any) any {
	set := map[string]bool{}
	for _, s := range []any{a, b} {
		for _, part := range strings.Split(scalarName(s), "|") {
			set[part] = true
		}
	}
	parts := make([]string, 0, len(set))
	for p := range set {
		parts = append(parts, p)
	}
	sort.Strings(parts)
	return strings.Join(parts, "|")
}

func scalarName(s any) string {
	switch x := s.(type) {
	case string:
		return x
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprint(s)
}

// Difference is one way an answer's shape differs from the recorded one.
type Difference struct {
	// Path is where: member names from the answer's root, "[]" for an array's items (none
	// for the whole answer).
	Path []string
	// Missing: the recorded member is not in the answer. Otherwise the types differ:
	// Recorded and Actual name them ("an object", "string", "null", ...).
	Missing          bool
	Recorded, Actual string
}

func (d Difference) String() string {
	place := strings.ReplaceAll(strings.Join(d.Path, "."), ".[]", "[]")
	if place == "" {
		place = "the answer"
	}
	if d.Missing {
		return fmt.Sprintf("%s: missing (recorded %s)", place, d.Recorded)
	}
	return fmt.Sprintf("%s: recorded %s, got %s", place, d.Recorded, d.Actual)
}

// Compare lists how the actual shape differs from the recorded one: a recorded member the
// answer does not have, or another type (null included) at the same place. Members the
// recording does not have are no difference (a server may add members); a member of type
// "integer" where "number" was recorded is the same type. Inside arrays, a union matches when
// the two share a type: an item the recording never saw is not a difference. Whether the
// contract allows a difference is the caller's to judge.
func Compare(recorded, actual json.RawMessage) ([]Difference, error) {
	var r, a any
	if err := json.Unmarshal(recorded, &r); err != nil {
		return nil, fmt.Errorf("recorded shape: %w", err)
	}
	if err := json.Unmarshal(actual, &a); err != nil {
		return nil, fmt.Errorf("actual shape: %w", err)
	}
	var out []Difference
	compare(nil, r, a, false, &out)
	return out, nil
}

func compare(at []string, r, a any, inArray bool, out *[]Difference) {
	differ := func() {
		*out = append(*out, Difference{Path: slices.Clone(at), Recorded: describe(r), Actual: describe(a)})
	}
	switch rx := r.(type) {
	case map[string]any:
		ax, ok := a.(map[string]any)
		if !ok {
			differ()
			return
		}
		for _, k := range slices.Sorted(maps.Keys(rx)) {
			av, ok := ax[k]
			if !ok {
				*out = append(*out, Difference{Path: append(slices.Clone(at), k), Missing: true, Recorded: describe(rx[k])})
				continue
			}
			compare(append(slices.Clone(at), k), rx[k], av, inArray, out)
		}
	case []any:
		ax, ok := a.([]any)
		if !ok {
			differ()
			return
		}
		if len(rx) == 0 || len(ax) == 0 {
			return // nothing recorded to compare with, or an empty list now
		}
		compare(append(slices.Clone(at), "[]"), rx[0], ax[0], true, out)
	case string:
		as, ok := a.(string)
		if !ok || !sameScalar(rx, as, inArray) {
			differ()
		}
	}
}

// sameScalar says whether scalar shapes match: equal (number accepting integer), or, in an
// array, overlapping.
func sameScalar(r, a string, overlap bool) bool {
	norm := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, p := range strings.Split(s, "|") {
			if p == "integer" {
				p = "number"
			}
			m[p] = true
		}
		return m
	}
	rs, as := norm(r), norm(a)
	if overlap {
		for p := range as {
			if rs[p] {
				return true
			}
		}
		return false
	}
	if len(rs) != len(as) {
		return false
	}
	for p := range as {
		if !rs[p] {
			return false
		}
	}
	return true
}

func describe(s any) string {
	switch x := s.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return x
	}
	return fmt.Sprint(s)
}
