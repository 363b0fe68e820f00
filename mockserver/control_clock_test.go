package mockserver_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestClock(t *testing.T) {
	h := newHarness(t)
	h.createKey(map[string]any{"name": "short", "expires_at": "2026-01-02T04:00:00Z"})
	if r := h.ctl("POST", "/_mock/clock", map[string]any{"advance": "1h"}); r.status != http.StatusOK || r.json(t)["now"] != "2026-01-02T04:04:05Z" {
		t.Fatalf("advance: %d %s", r.status, r.raw)
	}
	if s := listKeys(t, h, "")["short"]["status"]; s != "expired" {
		t.Errorf("after the clock moved past expires_at: %v", s)
	}
	if r := h.ctl("POST", "/_mock/clock", map[string]any{"set": "2030-05-06T07:08:09Z"}); r.json(t)["now"] != "2030-05-06T07:08:09Z" {
		t.Errorf("set: %s", r.raw)
	}
	if r := h.ctl("GET", "/_mock/clock", nil); r.json(t)["now"] != "2030-05-06T07:08:09Z" {
		t.Errorf("get: %s", r.raw)
	}
	for _, body := range []map[string]any{{}, {"advance": "-1h"}, {"advance": "soon"}, {"advance": "1h", "set": "2030-01-01T00:00:00Z"}} {
		if r := h.ctl("POST", "/_mock/clock", body); r.status != http.StatusBadRequest {
			t.Errorf("%v: %d", body, r.status)
		}
	}
	if r := h.ctl("POST", "/_mock/clock", map[string]any{"set": "tomorrow"}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("set: tomorrow: %d", r.status)
	}
}

func TestClockRefusesToWrap(t *testing.T) {
	h := newHarness(t)
	for _, body := range []map[string]any{{"set": "2500-01-01T00:00:00Z"}, {"set": "1500-01-01T00:00:00Z"}, {"advance": "2562047h"}} {
		if r := h.ctl("POST", "/_mock/clock", body); r.status != 400 {
			t.Errorf("%v: %d %s", body, r.status, r.raw)
		}
	}
	h.ctl("POST", "/_mock/clock", map[string]any{"advance": "876000h"}) // 100 years
	h.ctl("POST", "/_mock/clock", map[string]any{"advance": "350400h"}) // 40 more
	if r := h.ctl("POST", "/_mock/clock", map[string]any{"advance": "8760h"}); r.status != 400 {
		t.Errorf("past 140 years: %d", r.status)
	}
	if now := h.ctl("GET", "/_mock/clock", nil).json(t)["now"].(string); !strings.HasPrefix(now, "2165-") {
		t.Errorf("now %s", now)
	}
}
