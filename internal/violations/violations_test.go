package violations

import (
	"fmt"
	"testing"
)

// The log keeps the latest Max violations, counts every one, and forgets all on Clear.
func TestLogKeepsTheLatestAndCountsAll(t *testing.T) {
	var l Log
	for i := range Max + 5 {
		l.Record(Violation{Operation: "op", Direction: "request", Rule: "lax-coercion", Pointer: fmt.Sprintf("/body/%d", i)})
	}
	l.Record(Violation{Operation: "a", Direction: "response", Rule: "type"})
	vs := l.Violations()
	if len(vs) != Max || vs[0].Pointer != "/body/6" || vs[Max-1].Operation != "a" {
		t.Errorf("kept %d, first %+v, last %+v", len(vs), vs[0], vs[len(vs)-1])
	}
	counts := l.Counts()
	if l.Total() != Max+6 || len(counts) != 2 || counts[0].Operation != "a" || counts[1].Count != Max+5 {
		t.Errorf("total %d, counts %+v", l.Total(), counts)
	}
	l.Clear()
	if l.Total() != 0 || len(l.Violations()) != 0 || len(l.Counts()) != 0 {
		t.Errorf("after Clear: %+v", l.Listing())
	}
}
