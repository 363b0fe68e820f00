package lax

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The integers of pydantic's lax mode, from pydantic-core's str_as_int and float_as_int.
func TestInt(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
		bad  *Problem
	}{
		{json.Number("5"), "5", nil},
		{json.Number("-0"), "0", nil},
		{json.Number("5.0"), "5", nil},
		{json.Number("1e3"), "1000", nil},
		{json.Number("92233720368547758070"), "92233720368547758070", nil}, // Python's ints are unbounded
		{json.Number("5.5"), "", IntFromFloat},
		{json.Number("8.25e37"), "", IntParsingSize},
		{json.Number("1e400"), "", FiniteNumber},
		{true, "1", nil},
		{false, "0", nil},
		{"5", "5", nil},
		{" 5 ", "5", nil},
		{"+5", "5", nil},
		{"-5", "-5", nil},
		{"05", "5", nil},
		{"-05", "-5", nil},
		{"000", "0", nil},
		{"5.00", "5", nil},
		{"1_000", "1000", nil},
		{"0_7", "7", nil},
		{"5.5", "", IntParsing},
		{"1e3", "", IntParsing},
		{"5.", "", IntParsing},
		{"_1", "", IntParsing},
		{"1__0", "", IntParsing},
		{"1_", "", IntParsing},
		{"+-1", "", IntParsing},
		{"--1", "", IntParsing},
		{"0x10", "", IntParsing},
		{"", "", IntParsing},
		{"five", "", IntParsing},
		{strings.Repeat("9", 4301), "", IntParsingSize},
		{strings.Repeat(" ", 5000) + "5", "5", nil},       // the bound is jiter's, on digits
		{strings.Repeat("0", 5000) + "5", "5", nil},       // leading zeros are cleaned away
		{"+" + strings.Repeat("1", 4400), "", IntParsing}, // cleaned, then too long: int_parsing
		{json.Number(strings.Repeat("9", 4301)), "", TooManyDigits},
		{json.Number(strings.Repeat("9", 4300)), strings.Repeat("9", 4300), nil},
		{nil, "", IntType},
		{[]any{json.Number("5")}, "", IntType},
		{map[string]any{}, "", IntType},
	} {
		got, bad := Int(tc.in)
		if got != tc.want || bad != tc.bad {
			t.Errorf("Int(%#v) = %q, %v; want %q, %v", tc.in, got, bad, tc.want, tc.bad)
		}
	}
}

// The date-times of pydantic's lax mode, from speedate's DateTime::parse_bytes and
// pydantic-core's datetime_from_date.
func TestDateTime(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339Nano, s); return v }
	for _, tc := range []struct {
		in   any
		want string
		bad  *Problem
	}{
		{"2030-01-02T03:04:05Z", "2030-01-02T03:04:05Z", nil},
		{"2030-01-02t03:04:05z", "2030-01-02T03:04:05Z", nil},
		{"2030-01-02 03:04:05Z", "2030-01-02T03:04:05Z", nil},
		{"2030-01-02_03:04:05Z", "2030-01-02T03:04:05Z", nil},
		{"2030-01-02T03:04Z", "2030-01-02T03:04:00Z", nil},
		{"2030-01-02T03:04:05", "2030-01-02T03:04:05Z", nil},
		{"2030-01-02T03:04:05.1234567Z", "2030-01-02T03:04:05.123456Z", nil},
		{"2030-01-02T03:04:05,5Z", "2030-01-02T03:04:05.5Z", nil},
		{"2030-01-02T03:04:05+02:00", "2030-01-02T01:04:05Z", nil},
		{"2030-01-02T03:04:05+0200", "2030-01-02T01:04:05Z", nil},
		{"2030-01-02T03:04:05\u221202:00", "2030-01-02T05:04:05Z", nil},
		{"2030-01-02", "2030-01-02T00:00:00Z", nil},
		{"1893553445", "2030-01-02T03:04:05Z", nil},
		{"1893553445.5", "2030-01-02T03:04:05.5Z", nil},
		{json.Number("1893553445"), "2030-01-02T03:04:05Z", nil},
		{json.Number("1893553445000"), "2030-01-02T03:04:05Z", nil},
		{json.Number("1893553445.25"), "2030-01-02T03:04:05.25Z", nil},
		{"2030-01-02T03:04:60Z", "", DatetimeDate},
		{"2030-02-30T00:00:00Z", "", DatetimeDate},
		{"2030-01-02T24:00:00Z", "", DatetimeDate},
		{"2030-01-02T03:04:05+24:00", "", DatetimeDate},
		{"2030-01-02T03:04:05.Z", "", DatetimeDate},
		{"2030-01-02T03:04:05Zjunk", "", DatetimeDate},
		{"30-01-02", "", DatetimeDate},
		{"tomorrow", "", DatetimeDate},
		{"", "", DatetimeDate},
		{json.Number("1e300"), "", DatetimeParse},
		{json.Number("99999999999999999999"), "", DatetimeParse},
		{"99999999999999999999", "", DatetimeDate},
		{true, "", DatetimeType},
		{[]any{}, "", DatetimeType},
	} {
		got, bad := DateTime(tc.in)
		if bad != tc.bad || (bad == nil && !got.Equal(at(tc.want))) || (bad == nil && got.Location() != time.UTC) {
			t.Errorf("DateTime(%#v) = %v, %v; want %s, %v", tc.in, got, bad, tc.want, tc.bad)
		}
	}
}

// The booleans pydantic reads from text, str_as_bool.
func TestBool(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "True": true, "YES": true, "on": true, "1": true, "t": true, "Y": true,
		"false": false, "FALSE": false, "No": false, "off": false, "0": false, "f": false, "n": false} {
		if got, bad := Bool(in); bad != nil || got != want {
			t.Errorf("Bool(%q) = %v, %v", in, got, bad)
		}
	}
	for _, in := range []string{"", " true", "2", "truthy", "nope", "01"} {
		if _, bad := Bool(in); bad != BoolParsing {
			t.Errorf("Bool(%q) accepted", in)
		}
	}
}
