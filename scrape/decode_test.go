package scrape

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// decodeField decodes {"field": raw} and returns the error, which must name
// the field when the value is refused.
func decodeField[T any](t *testing.T, raw string) (T, error) {
	t.Helper()
	var doc struct {
		Field T `json:"field"`
	}
	err := json.Unmarshal([]byte(`{"field": `+raw+`}`), &doc)
	if err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || te.Field != "field" {
			t.Errorf("%s: error %v is not a type error naming the field", raw, err)
		}
	}
	return doc.Field, err
}

func TestFloat(t *testing.T) {
	for _, tc := range []struct {
		raw   string
		want  float64
		valid bool
		err   bool
	}{
		{raw: `12.5`, want: 12.5, valid: true},
		{raw: `-3`, want: -3, valid: true},
		{raw: `0`, want: 0, valid: true},
		{raw: `1e3`, want: 1000, valid: true},
		{raw: `"12.50"`, want: 12.5, valid: true},
		{raw: `" 7 "`, want: 7, valid: true},
		{raw: `"-0.01"`, want: -0.01, valid: true},
		{raw: `null`},
		{raw: `""`},
		{raw: `"  "`},
		{raw: `"n/a"`, err: true},
		{raw: `"1,234.56"`, err: true},
		{raw: `"NaN"`, err: true},
		{raw: `"Infinity"`, err: true},
		{raw: `"1e400"`, err: true},
		{raw: `true`, err: true},
		{raw: `{}`, err: true},
		{raw: `[1]`, err: true},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := decodeField[Float](t, tc.raw)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v", err)
			}
			if err == nil && (got.Valid != tc.valid || got.V != tc.want) {
				t.Errorf("got %+v, want %v valid=%v", got, tc.want, tc.valid)
			}
		})
	}
	_, err := decodeField[Float](t, `"lots"`)
	if got := describeJSONError(err, nil); got != `field field: got "lots" where number is expected` {
		t.Errorf("described as %q", got)
	}
}

func TestBool(t *testing.T) {
	for _, tc := range []struct {
		raw         string
		want, valid bool
		err         bool
	}{
		{raw: `true`, want: true, valid: true},
		{raw: `false`, valid: true},
		{raw: `1`, want: true, valid: true},
		{raw: `0`, valid: true},
		{raw: `"1"`, want: true, valid: true},
		{raw: `"0"`, valid: true},
		{raw: `"TRUE"`, want: true, valid: true},
		{raw: `"yes"`, want: true, valid: true},
		{raw: `"no"`, valid: true},
		{raw: `null`},
		{raw: `""`},
		{raw: `2`, err: true},
		{raw: `"maybe"`, err: true},
		{raw: `[]`, err: true},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := decodeField[Bool](t, tc.raw)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v", err)
			}
			if err == nil && (got.Valid != tc.valid || got.V != tc.want) {
				t.Errorf("got %+v", got)
			}
		})
	}
	if (Bool{V: true}).Float64() != 1 || (Bool{}).Float64() != 0 {
		t.Error("Float64")
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct {
		raw, want string
		err       bool
	}{
		{raw: `"abc"`, want: "abc"},
		{raw: `12345`, want: "12345"},
		{raw: `-7`, want: "-7"},
		{raw: `"\u00e9"`, want: "é"},
		{raw: `null`, want: ""},
		{raw: `true`, err: true},
		{raw: `{"id": 1}`, err: true},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := decodeField[String](t, tc.raw)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v", err)
			}
			if err == nil && string(got) != tc.want {
				t.Errorf("got %q", got)
			}
		})
	}
}

// utc is the time an RFC 3339 text names, for tables of expected times.
func utc(s string) time.Time {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestTime(t *testing.T) {
	kolkata := time.FixedZone("IST", 5*3600+1800)
	for _, tc := range []struct {
		name, raw string
		loc       *time.Location // zone for zone-less values
		want      time.Time      // zero: not Valid
		err       bool
	}{
		{name: "unix number", raw: `1714558830`, want: utc("2024-05-01T10:20:30Z")},
		{name: "unix fractional", raw: `1714558830.5`, want: utc("2024-05-01T10:20:30.5Z")},
		{name: "unix string", raw: `"1714558830"`, want: utc("2024-05-01T10:20:30Z")},
		{name: "unix milliseconds", raw: `1714558830123`, want: utc("2024-05-01T10:20:30.123Z")},
		{name: "unix ignores loc", raw: `1714558830`, loc: kolkata, want: utc("2024-05-01T10:20:30Z")},
		{name: "ISO Z", raw: `"2024-05-01T10:20:30Z"`, want: utc("2024-05-01T10:20:30Z")},
		{name: "ISO Z 7 digits", raw: `"2024-05-01T10:20:30.1234567Z"`, want: utc("2024-05-01T10:20:30.1234567Z")},
		{name: "ISO 7 digits no zone", raw: `"2024-05-01T10:20:30.1234567"`, want: utc("2024-05-01T10:20:30.1234567Z")},
		{name: "ISO no zone in UTC", raw: `"2024-05-01T10:20:30"`, want: utc("2024-05-01T10:20:30Z")},
		{name: "ISO no zone in loc", raw: `"2024-05-01T10:20:30"`, loc: kolkata, want: utc("2024-05-01T04:50:30Z")},
		{name: "ISO offset", raw: `"2024-05-01T10:20:30+05:30"`, loc: time.UTC, want: utc("2024-05-01T04:50:30Z")},
		{name: "ISO offset ignores loc", raw: `"2024-05-01T10:20:30-04:00"`, loc: kolkata, want: utc("2024-05-01T14:20:30Z")},
		{name: "ISO minutes", raw: `"2024-05-01T10:20"`, want: utc("2024-05-01T10:20:00Z")},
		{name: "SQL datetime in loc", raw: `"2024-05-01 10:20:30"`, loc: kolkata, want: utc("2024-05-01T04:50:30Z")},
		{name: "SQL datetime", raw: `"2024-05-01 10:20:30"`, want: utc("2024-05-01T10:20:30Z")},
		{name: "date only in loc", raw: `"2024-05-01"`, loc: kolkata, want: utc("2024-04-30T18:30:00Z")},
		{name: "null", raw: `null`},
		{name: "empty", raw: `""`},
		{name: "zero SQL", raw: `"0000-00-00 00:00:00"`},
		{name: "zero .NET", raw: `"0001-01-01T00:00:00"`},
		{name: "zero unix", raw: `0`},
		{name: "negative unix", raw: `-1`},
		{name: "after 9999", raw: `1e300`, err: true},
		{name: "garbage", raw: `"soon"`, err: true},
		{name: "bool", raw: `true`, err: true},
		{name: "object", raw: `{"date": 1}`, err: true},
		{name: "day first", raw: `"01/05/2024"`, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeField[Time](t, tc.raw)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			if got.Valid != !tc.want.IsZero() {
				t.Fatalf("Valid = %v", got.Valid)
			}
			if !got.Valid {
				return
			}
			if in := got.In(tc.loc); !in.Equal(tc.want) {
				t.Errorf("In = %v, want %v", in, tc.want)
			}
			want := float64(tc.want.UnixNano()) / 1e9
			if u := got.Unix(tc.loc); math.Abs(u-want) > 1e-6 {
				t.Errorf("Unix = %f, want %f", u, want)
			}
		})
	}
	_, err := decodeField[Time](t, `"soon"`)
	if err == nil || !strings.Contains(describeJSONError(err, nil), `field field: got "soon" where date is expected`) {
		t.Errorf("garbage described as %v", err)
	}
}

// Dates of any year 1–9999 come out as their exact unix seconds: UnixNano,
// which overflows outside 1678–2262, would turn them into other dates.
func TestFarDatesExactSeconds(t *testing.T) {
	plus3 := time.FixedZone("+03", 3*3600)
	for _, tc := range []struct {
		raw   string
		loc   *time.Location
		want  float64
		valid bool
	}{
		// .NET's "never expires", as DocSpace sends it.
		{raw: `"9999-12-31T23:59:59.9999999"`, want: 253402300799.9999999, valid: true},
		{raw: `"2300-01-01T00:00:00"`, want: float64(time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC).Unix()), valid: true},
		{raw: `"2300-01-01 00:00:00"`, loc: plus3, want: float64(time.Date(2300, 1, 1, 0, 0, 0, 0, plus3).Unix()), valid: true},
		{raw: `"1600-01-01T00:00:00+03:00"`, want: float64(time.Date(1600, 1, 1, 0, 0, 0, 0, plus3).Unix()), valid: true},
		{raw: `"0002-06-01T12:00:00Z"`, want: float64(time.Date(2, 6, 1, 12, 0, 0, 0, time.UTC).Unix()), valid: true},
		// Acefone's unix seconds in the year 2286.
		{raw: `9999999999`, want: 9999999999, valid: true},
		{raw: `"9999999999"`, want: 9999999999, valid: true},
		// .NET's unset value, with or without a zone: no date.
		{raw: `"0001-01-01T00:00:00Z"`},
		{raw: `"0001-01-01T00:00:00+00:00"`},
		{raw: `"0001-01-01T00:00:00"`},
	} {
		var v Time
		if err := v.UnmarshalJSON([]byte(tc.raw)); err != nil {
			t.Errorf("%s: %v", tc.raw, err)
			continue
		}
		if v.Valid != tc.valid {
			t.Errorf("%s: Valid = %v, want %v", tc.raw, v.Valid, tc.valid)
			continue
		}
		if !v.Valid {
			continue
		}
		if got := v.Unix(tc.loc); math.Abs(got-tc.want) > 1e-6*math.Max(1, math.Abs(tc.want)/1e9) {
			t.Errorf("%s: Unix = %.7f, want %.7f", tc.raw, got, tc.want)
		}
	}
}

// One rule tells unix seconds from milliseconds: up to the last second of
// the year 9999 a number is seconds, above it milliseconds. Acefone's
// "never" in seconds is 9999-12-31, not a day in 1978, and today's
// millisecond timestamps stay milliseconds.
func TestNumericDateSecondsUpToYear9999MillisecondsAbove(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want time.Time
	}{
		// Seconds: the boundary itself, with and without a fraction, as
		// a number and as a string.
		{`253402300799`, utc("9999-12-31T23:59:59Z")},
		{`"253402300799"`, utc("9999-12-31T23:59:59Z")},
		{`253402300799.5`, utc("9999-12-31T23:59:59.5Z")},
		{`253402300798`, utc("9999-12-31T23:59:58Z")},
		{`99999999999`, utc("5138-11-16T09:46:39Z")},
		{`100000000000`, utc("5138-11-16T09:46:40Z")},
		// Milliseconds: just above the boundary, and today's.
		{`253402300800`, utc("1978-01-11T21:31:40.8Z")},
		{`1764892800000`, utc("2025-12-05T00:00:00Z")},
		{`"1764892800000"`, utc("2025-12-05T00:00:00Z")},
		{`253402300799999`, utc("9999-12-31T23:59:59.999Z")},
	} {
		var v Time
		if err := v.UnmarshalJSON([]byte(tc.raw)); err != nil || !v.Valid {
			t.Errorf("%s: valid %v, err %v", tc.raw, v.Valid, err)
			continue
		}
		if got := v.In(nil); !got.Equal(tc.want) {
			t.Errorf("%s: read as %v, want %v", tc.raw, got, tc.want)
		}
	}
	// Past the year 9999 in milliseconds: no date.
	var v Time
	if err := v.UnmarshalJSON([]byte(`253402300800000`)); err == nil || v.Valid {
		t.Errorf("10000-01-01 in milliseconds: valid %v, err %v; want a type error", v.Valid, err)
	}
}

func TestTypeErrorForOtherDecoders(t *testing.T) {
	err := TypeError([]byte(`{"x": 1}`), "list")
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Type.Name() != "list" {
		t.Fatalf("got %#v", err)
	}
	long := TypeError([]byte(`"`+strings.Repeat("a", 100)+`"`), "number").(*json.UnmarshalTypeError)
	if len(long.Value) > 50 {
		t.Errorf("value not shortened: %d bytes", len(long.Value))
	}
}

// The fuzz targets check that no input panics, that a refused value is
// always a type error (so that json names the field), and that an accepted
// value is usable: finite numbers, instants whose Unix is finite.

func FuzzFloat(f *testing.F) {
	for _, s := range []string{`1`, `"2.5"`, `null`, `""`, `"x"`, `1e308`, `"1e400"`, `"NaN"`, `" -0 "`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v Float
		err := v.UnmarshalJSON(b)
		checkTypeError(t, b, err)
		if err == nil && v.Valid && (math.IsNaN(v.V) || math.IsInf(v.V, 0)) {
			t.Errorf("%q accepted as %v", b, v.V)
		}
		if err != nil && v.Valid {
			t.Errorf("%q refused but Valid", b)
		}
	})
}

func FuzzBool(f *testing.F) {
	for _, s := range []string{`true`, `0`, `"1"`, `"yes"`, `null`, `""`, `2`, `"maybe"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v Bool
		err := v.UnmarshalJSON(b)
		checkTypeError(t, b, err)
		if err != nil && v.Valid {
			t.Errorf("%q refused but Valid", b)
		}
	})
}

func FuzzTime(f *testing.F) {
	for _, s := range []string{`1714558830`, `"1714558830"`, `1714558830123`, `"2024-05-01T10:20:30.1234567Z"`,
		`"2024-05-01T10:20:30"`, `"2024-05-01 10:20:30"`, `"2024-05-01"`, `"2024-05-01T10:20:30+05:30"`,
		`null`, `""`, `"0000-00-00 00:00:00"`, `"soon"`, `-1`, `1e300`,
		`"9999-12-31T23:59:59.9999999"`, `"2300-01-01T00:00:00"`, `"1600-01-01T00:00:00+03:00"`, `9999999999`,
		`253402300799`, `253402300800`, `253402300799999`} {
		f.Add([]byte(s))
	}
	loc := time.FixedZone("IST", 5*3600+1800)
	f.Fuzz(func(t *testing.T, b []byte) {
		var v Time
		err := v.UnmarshalJSON(b)
		checkTypeError(t, b, err)
		if err != nil && v.Valid {
			t.Errorf("%q refused but Valid", b)
		}
		if v.Valid {
			for _, l := range []*time.Location{nil, loc} {
				if u := v.Unix(l); math.IsNaN(u) || math.IsInf(u, 0) {
					t.Errorf("%q: Unix = %v", b, u)
				} else if want := v.In(l).Unix(); math.Abs(u-float64(want)) > 1 {
					t.Errorf("%q: Unix = %v, want %d", b, u, want)
				}
			}
		}
	})
}

func checkTypeError(t *testing.T, b []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Type == nil {
		t.Errorf("%q: %v is not a type error", b, err)
	}
}
