package scrape

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Dates of any year 1–9999 come out as their exact unix seconds: UnixNano
// overflowed outside 1678–2262 and turned them into other dates.
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

// A redirect is not followed (it would re-send the key elsewhere); the
// error names its target, without the credentials a query may carry.
func TestRedirectErrorNamesTarget(t *testing.T) {
	for _, tc := range []struct{ location, want string }{
		{"https://login.example.com/sso?token=abc#x", "redirect to https://login.example.com/sso (not followed)"},
		{"/v2/balance", "/v2/balance (not followed)"},
	} {
		f := newFake(t, reply(http.StatusFound, "", "Location", tc.location))
		c := newClient(t, f, nil)
		_, err := c.GetJSON(context.Background(), balance, &balanceDoc{})
		e := scrapeErr(t, err)
		if e.Status != http.StatusFound || !strings.Contains(e.Detail, tc.want) {
			t.Errorf("Location %q: status %d detail %q, want it to contain %q", tc.location, e.Status, e.Detail, tc.want)
		}
		if strings.Contains(e.Detail, "token=abc") {
			t.Errorf("detail keeps the redirect's query: %q", e.Detail)
		}
	}
}

// A redirect's error says "redirect to ... (not followed)" once, and the
// vendor's message after it.
func TestRedirectNamedOnce(t *testing.T) {
	f := newFake(t, reply(http.StatusMovedPermanently, `{"message":"moved"}`, "Location", "https://api.example.com/v2"))
	c := newClient(t, f, nil)
	_, err := c.GetJSON(context.Background(), balance, &balanceDoc{})
	if got, want := scrapeErr(t, err).Detail, "redirect to https://api.example.com/v2 (not followed); moved"; got != want {
		t.Errorf("detail %q, want %q", got, want)
	}
}

// An error body that echoes a key URL-encoded (as a query or a header
// dump shows it) is scrubbed as well as the key itself.
func TestURLEncodedSecretScrubbed(t *testing.T) {
	const secret = "sk-ENC+SECRET/0123=="
	for _, body := range []string{
		`{"message":"bad header Bearer%20` + url.QueryEscape(secret) + `"}`,
		`{"message":"bad header Bearer%20` + url.PathEscape(secret) + `"}`,
		`{"message":"bad header Bearer%20sk-ENC%2bSECRET%2f0123%3d%3d"}`,
		`{"message":"bad header Bearer ` + secret + `"}`,
	} {
		f := newFake(t, reply(http.StatusUnauthorized, body))
		c := newClient(t, f, func(o *Options) { o.Secrets = []string{secret} })
		_, err := c.GetJSON(context.Background(), balance, &balanceDoc{})
		detail := scrapeErr(t, err).Detail
		if !strings.Contains(detail, "<secret>") || strings.Contains(detail, "SECRET") {
			t.Errorf("body %s: detail %q still shows the key", body, detail)
		}
	}
}
