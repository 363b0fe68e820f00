// Package lax reads request values as the upstream server reads them: FastAPI hands the
// decoded JSON body and the query's text to pydantic v2, which validates them in lax mode. An
// integer may come as a string (" 5 ", "+5", "1_000", "5.00") or a boolean; a date-time as
// another ISO 8601 form, a date, or a Unix time; a boolean query value as yes, on, 1, t and
// their kin. The rules are pydantic-core's (str_as_int, float_as_int, str_as_bool) and
// speedate's (DateTime::parse_bytes), written down in docs/behavior.md, "Reading requests".
//
// Each function returns the value as the contract writes it, or the pydantic error type that
// refuses it; a value the contract check would refuse but pydantic accepts is a lax coercion,
// which the mock and the validating proxy list at GET /_mock/violations. Body and QueryBool
// read a whole request's values that way, for both.
package lax

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Problem is a pydantic error type with its message.
type Problem struct{ Type, Msg string }

// The problems of these rules, as pydantic words them.
var (
	IntType        = &Problem{"int_type", "Input should be a valid integer"}
	IntParsing     = &Problem{"int_parsing", "Input should be a valid integer, unable to parse string as an integer"}
	IntFromFloat   = &Problem{"int_from_float", "Input should be a valid integer, got a number with a fractional part"}
	IntParsingSize = &Problem{"int_parsing_size", "Unable to parse input string as an integer, exceeded maximum size"}
	FiniteNumber   = &Problem{"finite_number", "Input should be a finite number"}
	// TooManyDigits is no pydantic error: Python's json.loads refuses an integer of more than
	// 4300 digits, and FastAPI answers 400 "There was an error parsing the body".
	TooManyDigits = &Problem{"", "There was an error parsing the body"}
	DatetimeParse = &Problem{"datetime_parsing", "Input should be a valid datetime"}
	DatetimeType  = &Problem{"datetime_type", "Input should be a valid datetime"}
	DatetimeDate  = &Problem{"datetime_from_date_parsing", "Input should be a valid datetime or date"}
	BoolParsing   = &Problem{"bool_parsing", "Input should be a valid boolean, unable to interpret input"}
)

// maxIntText is pydantic's bound on the length of an integer's text (Python's int() limit).
const maxIntText = 4300

// jsonInt is the grammar of a JSON integer, which pydantic's parser (jiter) reads as it is.
var jsonInt = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// Int reads v, a decoded JSON value (numbers as json.Number), as pydantic reads an integer in
// lax mode, and returns its decimal text: an integer as it is; a number without a fraction
// (5.0, 1e3) as that integer, within 64 bits; true and false as 1 and 0; a string holding an
// integer, after trimming spaces, a leading + or zeros, a fraction of zeros and single
// underscores between digits. Integers beyond 64 bits come back too: the contract bounds them.
func Int(v any) (string, *Problem) {
	switch x := v.(type) {
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case json.Number:
		if jsonInt.MatchString(string(x)) {
			if digits(string(x)) > maxIntText {
				return "", TooManyDigits // Python's json.loads refuses the body
			}
			return canonical(string(x)), nil
		}
		f, err := strconv.ParseFloat(string(x), 64)
		switch {
		case math.IsInf(f, 0):
			return "", FiniteNumber // Python reads 1e400 as inf
		case err != nil:
			return "", IntType
		case f != math.Trunc(f):
			return "", IntFromFloat
		case !(float64(math.MinInt64) < f && f < float64(math.MaxInt64)):
			return "", IntParsingSize
		}
		return strconv.FormatInt(int64(f), 10), nil
	case string:
		if jsonInt.MatchString(x) {
			if digits(x) > maxIntText {
				return "", IntParsingSize // jiter's bound, on the text as it came
			}
			return canonical(x), nil
		}
		if s, ok := cleanInt(x); ok && jsonInt.MatchString(s) && digits(s) <= maxIntText {
			return canonical(s), nil
		}
		return "", IntParsing
	}
	return "", IntType
}

// cleanInt is pydantic-core's clean_int_str: the text of an integer without the decorations
// Python's int() allows, or false when nothing was taken away (the text is then no integer).
func cleanInt(s string) (string, bool) {
	before := len(s)
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		if strings.HasPrefix(rest, "-") {
			return "", false
		}
		s = rest
	}
	negative := false
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		if strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "+") {
			return "", false
		}
		negative, s = true, rest
	}
	s, ok := stripLeadingZeros(s)
	if !ok {
		return "", false
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if frac := s[i+1:]; frac != "" && strings.Trim(frac, "0") == "" {
			s = s[:i]
		}
	}
	sign := ""
	if negative {
		sign = "-"
	}
	if !strings.HasPrefix(s, "_") && !strings.HasSuffix(s, "_") && strings.Contains(s, "_") && !strings.Contains(s, "__") {
		return sign + strings.ReplaceAll(s, "_", ""), true
	}
	if before == len(s) {
		return "", false
	}
	return sign + s, true
}

// stripLeadingZeros is pydantic-core's strip_leading_zeros: "000" is "0", "00.0" is "0.0",
// "0_7" is "7"; false for text that does not start with a digit.
func stripLeadingZeros(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	switch c := s[0]; {
	case c == '0':
	case c >= '1' && c <= '9' || c == '-':
		return s, true
	default:
		return "", false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '0' || c == '_':
		case c >= '1' && c <= '9' || c == '-':
			return s[i:], true
		case c == '.':
			return s[i-1:], true
		default:
			return "", false
		}
	}
	return s[len(s)-1:], true
}

// msWatershed is speedate's bound above which a Unix time is in milliseconds.
const msWatershed = 20_000_000_000

// The Unix times of 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z, speedate's range.
const (
	unix0000 = -62_167_219_200
	unix9999 = 253_402_300_799
)

// DateTime reads v as pydantic reads a datetime in lax mode, and returns it in UTC at
// microsecond precision: a string in ISO 8601 form (YYYY-MM-DD, then T, t, a space or _, then
// HH:MM, optional :SS and a fraction after . or , of any length, cut to microseconds; then Z,
// z, or an offset ±HH:MM, ±HHMM or ±HH:MM with U+2212 as its minus); a date alone (midnight);
// a Unix time in seconds, or in milliseconds above 2e10, as a number or as a string. Without
// an offset the time is taken as UTC (pydantic keeps it naive; the mock has no other zone).
func DateTime(v any) (time.Time, *Problem) {
	switch x := v.(type) {
	case string:
		if t, ok := parseDateTime(x); ok {
			return t, nil
		}
		if t, ok := unixText(x); ok {
			return t, nil
		}
		if t, err := time.Parse("2006-01-02", x); err == nil {
			return t, nil
		}
		return time.Time{}, DatetimeDate
	case json.Number:
		if t, ok := unixText(string(x)); ok {
			return t, nil
		}
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			if t, ok := unixFloat(f); ok {
				return t, nil
			}
		}
		return time.Time{}, DatetimeParse // a number is no date either: the datetime's own error
	}
	return time.Time{}, DatetimeType
}

// dateTimeRE is speedate's DateTime::parse_bytes_rfc3339: date, separator, HH:MM, optional
// seconds and fraction, optional zone.
var dateTimeRE = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})[Tt _](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-]|\x{2212})(\d{2}):?(\d{2}))?$`)

func parseDateTime(s string) (time.Time, bool) {
	m := dateTimeRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	year, month, day, hour, minute, second := n(1), n(2), n(3), n(4), n(5), n(6)
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false
	}
	micro := 0
	if frac := m[7]; frac != "" {
		frac = (frac + "000000")[:6]
		micro, _ = strconv.Atoi(frac)
	}
	offset := 0
	if m[9] != "" {
		oh, om := n(10), n(11)
		if om > 59 || oh*3600+om*60 >= 24*3600 {
			return time.Time{}, false
		}
		offset = oh*3600 + om*60
		if m[9] != "+" {
			offset = -offset
		}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, micro*1000, time.FixedZone("", offset))
	return t.UTC(), true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// unixText is speedate's reading of a number's text as a Unix time: an integer (a leading +
// or - allowed), or a decimal with a point.
func unixText(s string) (time.Time, bool) {
	digits := strings.TrimLeft(s, "+-")
	if len(s)-len(digits) > 1 || digits == "" {
		return time.Time{}, false
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil && strings.Trim(digits, "0123456789") == "" {
		return unixInt(i)
	}
	if strings.Trim(digits, "0123456789.") == "" && strings.Count(digits, ".") == 1 {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return unixFloat(f)
		}
	}
	return time.Time{}, false
}

func unixInt(ts int64) (time.Time, bool) {
	sec, micro := ts, int64(0)
	if ts > msWatershed || ts < -msWatershed {
		sec, micro = ts/1000, (ts%1000)*1000
		if micro < 0 {
			sec, micro = sec-1, micro+1_000_000
		}
	}
	return unixAt(sec, micro)
}

func unixFloat(f float64) (time.Time, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	if math.Abs(f) > msWatershed {
		f /= 1000
	}
	sec := math.Floor(f)
	if sec < unix0000 || sec > unix9999 {
		return time.Time{}, false
	}
	return unixAt(int64(sec), int64(math.Round((f-sec)*1e6)))
}

func unixAt(sec, micro int64) (time.Time, bool) {
	if micro >= 1_000_000 {
		sec, micro = sec+micro/1_000_000, micro%1_000_000
	}
	if sec < unix0000 || sec > unix9999 {
		return time.Time{}, false
	}
	return time.Unix(sec, micro*1000).UTC(), true
}

// Bool reads a query value as pydantic reads a boolean from text: 1, t, y, on, yes, true are
// true and 0, f, n, off, no, false are false, the words in any letter case. Anything else,
// the empty text included, is refused.
func Bool(s string) (bool, *Problem) {
	switch strings.ToLower(s) {
	case "1", "t", "y", "on", "yes", "true":
		return true, nil
	case "0", "f", "n", "off", "no", "false":
		return false, nil
	}
	return false, BoolParsing
}

// canonical is an integer's text as the contract writes it: "-0" is "0" (JSON's grammar
// allows no other leading zero).
func canonical(text string) string {
	if text == "-0" {
		return "0"
	}
	return text
}

// digits is how many digits an integer's text has.
func digits(text string) int { return len(strings.TrimPrefix(text, "-")) }

// FitsInt64 says whether an integer's text (one Int returned) fits in 64 bits, the bound the
// contract puts on rate_limit_override (format: int64), where pydantic takes any integer.
func FitsInt64(text string) bool {
	_, err := strconv.ParseInt(text, 10, 64)
	return err == nil
}
