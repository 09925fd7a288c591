package scrape

import "time"

// unixSeconds is t in seconds since the epoch for any year 1–9999.
// time.Time.UnixNano overflows int64 outside 1678–2262, which turned
// .NET's "never" (9999-12-31) into a date in 1816.
func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// isMinValue reports .NET's DateTime.MinValue, 0001-01-01T00:00:00 with
// or without a zone, which DocSpace sends for "no date".
func isMinValue(t time.Time) bool {
	y, m, d := t.Date()
	return y == 1 && m == time.January && d == 1 && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}
