package scrape

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Vendors send the same field as a JSON number, a numeric string or null
// depending on the endpoint and the day. These types accept each form and
// remember whether a value was present, so that an absent value becomes an
// absent series rather than a zero.

// Float is a number that may arrive as a JSON number or a numeric string.
type Float struct {
	V     float64
	Valid bool
}

// UnmarshalJSON leaves f invalid for null and "", and refuses NaN and
// infinities.
func (f *Float) UnmarshalJSON(b []byte) error {
	*f = Float{}
	s, isString, null := scalar(b)
	if null || (isString && strings.TrimSpace(s) == "") {
		return nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return TypeError(b, "number")
	}
	*f = Float{V: v, Valid: true}
	return nil
}

// Bool accepts true/false, 1/0 and their string forms.
type Bool struct {
	V     bool
	Valid bool
}

// UnmarshalJSON leaves v invalid for null and "", and refuses other words.
func (v *Bool) UnmarshalJSON(b []byte) error {
	*v = Bool{}
	s, _, null := scalar(b)
	if null {
		return nil
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		*v = Bool{V: true, Valid: true}
	case "false", "0", "no":
		*v = Bool{V: false, Valid: true}
	case "":
	default:
		return TypeError(b, "boolean")
	}
	return nil
}

// Float64 returns 1 or 0.
func (v Bool) Float64() float64 {
	if v.V {
		return 1
	}
	return 0
}

// String accepts a JSON string or number (ids are sent both ways).
type String string

// UnmarshalJSON keeps a number as its text, so that an id keeps every digit;
// null is "".
func (v *String) UnmarshalJSON(b []byte) error {
	s, isString, null := scalar(b)
	switch {
	case null:
		*v = ""
	case isString || b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*v = String(s)
	default:
		return TypeError(b, "string")
	}
	return nil
}

// Time is an instant sent as unix seconds or milliseconds (number or
// string; maxUnixSecond tells which), as ISO 8601 with or without a zone
// and with up to 7 fractional digits (.NET), or as "YYYY-MM-DD HH:MM:SS".
// A value without a zone keeps its wall clock so that the provider can
// place it in the account's time zone. Any year 1–9999 comes out exact,
// .NET's "never" 9999-12-31 included (ADR 0013); 0001-01-01T00:00:00,
// .NET's unset value, is no date.
type Time struct {
	t     time.Time // wall clock read as UTC when !zoned
	zoned bool
	Valid bool
}

// A number up to maxUnixSecond, the last second of the year 9999 (its
// fraction included), is unix seconds; a larger one is unix milliseconds
// (ADR 0013). So every date a vendor may send in seconds reads as seconds,
// a "never" of 9999-12-31T23:59:59 included, and milliseconds read as
// milliseconds from 1978-01-11 on: no vendor sends an earlier date so.
const (
	maxUnixSecond = 253402300799
	// maxUnixMilli is 10000-01-01T00:00:00Z in milliseconds: any larger
	// number is no date.
	maxUnixMilli = (maxUnixSecond + 1) * 1e3
)

// timeLayouts are tried in order; only the first has a zone.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999",
	"2006-01-02 15:04:05.9999999",
	"2006-01-02T15:04",
	"2006-01-02",
}

// UnmarshalJSON leaves v invalid for the ways the APIs say "no date": null,
// "", a number up to 0, "0000-00-00 00:00:00" and .NET's unset value.
func (v *Time) UnmarshalJSON(b []byte) error {
	*v = Time{}
	s, isString, null := scalar(b)
	s = strings.TrimSpace(s)
	if null || s == "" || s == "0000-00-00 00:00:00" {
		return nil
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(n) && !math.IsInf(n, 0) {
		if n <= 0 {
			return nil // 0 is "no date" in the APIs that send numbers
		}
		// Whole units plus the fraction rounded to the microsecond: a
		// float64 near 1.7e12 holds no more, and n/1000 would add error.
		whole, frac := math.Modf(n)
		var t time.Time
		switch {
		case n < maxUnixSecond+1:
			t = time.Unix(int64(whole), 0).Add(time.Duration(math.Round(frac*1e6)) * time.Microsecond)
		case n < maxUnixMilli:
			t = time.UnixMilli(int64(whole)).Add(time.Duration(math.Round(frac*1e3)) * time.Microsecond)
		default:
			return TypeError(b, "date") // past the year 9999: not a date
		}
		*v = Time{t: t.UTC(), zoned: true, Valid: true}
		return nil
	}
	if !isString {
		return TypeError(b, "date")
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			// .NET's DateTime.MinValue, with or without a zone, is DocSpace's "no date".
			if !t.Equal(time.Date(1, time.January, 1, 0, 0, 0, 0, t.Location())) {
				*v = Time{t: t, zoned: layout == time.RFC3339Nano, Valid: true}
			}
			return nil
		}
	}
	return TypeError(b, "date")
}

// In returns the instant, reading a zone-less value in loc (UTC if nil).
func (v Time) In(loc *time.Location) time.Time {
	if v.zoned || loc == nil {
		return v.t
	}
	t := v.t
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
}

// Unix returns seconds since the epoch, with zone-less values read in loc,
// exact for any year 1–9999: time.Time.UnixNano overflows int64 outside
// 1678–2262, which turned .NET's "never" (9999-12-31) into a date in 1816.
func (v Time) Unix(loc *time.Location) float64 {
	t := v.In(loc)
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// scalar returns the text of a JSON string (unquoted) or other scalar.
func scalar(b []byte) (s string, isString, null bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return "", false, true
	}
	if b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err == nil {
			return str, true, false
		}
	}
	return string(b), false, false
}

// Named types whose names read well in decode errors ("… where number is expected").
type (
	number  struct{}
	boolean struct{}
	date    struct{}
	text    struct{}
	list    struct{}
)

var wantTypes = map[string]reflect.Type{
	"number": reflect.TypeOf(number{}), "boolean": reflect.TypeOf(boolean{}),
	"date": reflect.TypeOf(date{}), "string": reflect.TypeOf(text{}),
	"list": reflect.TypeOf(list{}),
}

// TypeError refuses b, which is not the want (number, boolean, date,
// string, list) a decoder expects. It is a *json.UnmarshalTypeError so
// that encoding/json adds the path of the offending field to it.
func TypeError(b []byte, want string) error {
	value := string(b[:min(len(b), 40)])
	if len(b) > 40 {
		value += "…"
	}
	return &json.UnmarshalTypeError{Value: value, Type: wantTypes[want]}
}

// decode unmarshals a body, wrapping errors with where they happened.
func (c *Client) decode(endpoint string, body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		c.opt.Metrics.countError(c, ReasonDecode)
		return c.Errorf(endpoint, 200, ReasonDecode, "%s", describeJSONError(err, body))
	}
	return nil
}

// checkShape decodes body into a fresh value of out's type, for the cache;
// out itself is left alone.
func (c *Client) checkShape(endpoint string, body []byte, out any) (any, error) {
	v := any(new(any))
	if t := reflect.TypeOf(out); t != nil && t.Kind() == reflect.Pointer {
		v = reflect.New(t.Elem()).Interface()
	}
	return v, c.decode(endpoint, body, v)
}

func describeJSONError(err error, body []byte) string {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return fmt.Sprintf("field %s: got %s where %s is expected", cmp.Or(te.Field, "(top level)"), te.Value, jsonKind(te.Type))
	}
	// encoding/json reports a cut-off body as a SyntaxError too.
	if strings.Contains(err.Error(), "unexpected end of JSON") {
		return fmt.Sprintf("truncated JSON (%d bytes)", len(body))
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("invalid JSON at byte %d of %d: %v", se.Offset, len(body), se)
	}
	return err.Error()
}

// jsonKind names the JSON a Go type expects, rather than the Go type,
// which for the anonymous structs of decoders is a line of noise.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for want, marker := range wantTypes { // our tolerant types' refusals
		if t == marker {
			return want
		}
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	}
	return t.String()
}
