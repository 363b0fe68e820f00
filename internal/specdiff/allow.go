package specdiff

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Allowance explains the differences at one pointer of ours: a divergence documented on
// purpose. Kind, when set, limits it to differences of that kind. Kind "note" documents a
// divergence the comparison does not see (a behaviour: the mock refuses a value the enum at
// the pointer allows; or a part of the document it does not compare, such as security): it
// explains no difference, and is stale only when its pointer is gone.
type Allowance struct {
	Pointer string `json:"pointer"`
	Kind    string `json:"kind,omitempty"`
	Reason  string `json:"reason"`
}

// ParseAllowList reads an allow-list: a YAML or JSON list of {pointer, kind, reason}, each
// with a pointer (starting with /) and a reason.
func ParseAllowList(data []byte) ([]Allowance, error) {
	list, err := parseAllowList(data)
	return list, withoutKeys(err)
}

func parseAllowList(data []byte) ([]Allowance, error) {
	j, err := toJSON(data)
	if err != nil {
		return nil, err
	}
	var list []Allowance
	if err := json.Unmarshal(j, &list); err != nil {
		return nil, errors.New("not a list of {pointer, kind, reason}")
	}
	for i, a := range list {
		switch {
		case len(a.Pointer) == 0 || a.Pointer[0] != '/':
			return nil, fmt.Errorf("entry %d: pointer %q is not a JSON pointer (it starts with /)", i+1, a.Pointer)
		case a.Reason == "":
			return nil, fmt.Errorf("entry %d (%s): no reason", i+1, a.Pointer)
		}
	}
	return list, nil
}

// Explained is a difference with the reason the allow-list gives for it ("" when none).
type Explained struct {
	Difference
	Reason string `json:"reason,omitempty"`
}

// Result is a comparison with its allow-list applied.
type Result struct {
	Differences []Explained `json:"differences"`
	// Stale lists the allowances that explain no difference: the divergence they document
	// is gone, and the entry should go too.
	Stale []Allowance `json:"stale"`
	// Notes lists the divergences the comparison does not see (kind "note") at pointers that
	// exist.
	Notes []Allowance `json:"notes"`
}

// Unexplained counts the differences no allowance explains.
func (r Result) Unexplained() int {
	n := 0
	for _, d := range r.Differences {
		if d.Reason == "" {
			n++
		}
	}
	return n
}

// Note is the kind of an allowance that documents a divergence the comparison does not see.
const Note = "note"

// Explain applies an allow-list to differences between ours and the upstream document.
func Explain(diffs []Difference, allow []Allowance, ours *Document) Result {
	used := make([]bool, len(allow))
	r := Result{Differences: make([]Explained, 0, len(diffs)), Stale: []Allowance{}, Notes: []Allowance{}}
	for i, a := range allow {
		if a.Kind == Note && ours.Has(a.Pointer) {
			r.Notes, used[i] = append(r.Notes, a), true
		}
	}
	for _, d := range diffs {
		e := Explained{Difference: d}
		for i, a := range allow {
			if a.Kind != Note && a.Pointer == d.Ours && (a.Kind == "" || a.Kind == d.Kind) {
				e.Reason, used[i] = a.Reason, true
				break
			}
		}
		r.Differences = append(r.Differences, e)
	}
	for i, a := range allow {
		if !used[i] {
			r.Stale = append(r.Stale, a)
		}
	}
	return r
}
