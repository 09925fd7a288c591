package serve

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The scrape deadline is Prometheus' own timeout less the offset, within
// [100ms, --scrape.max-timeout].
func TestScrapeTimeoutFromPrometheusHeader(t *testing.T) {
	const limit = 30 * time.Second
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"10", 9500 * time.Millisecond},
		{"2.5", 2 * time.Second},
		{"", limit},                     // no header: the flag's limit
		{"ten", limit},                  // unparsable: ignored
		{"-3", limit},                   // negative: ignored
		{"0", limit},                    // zero: ignored
		{"0.3", 100 * time.Millisecond}, // less than the offset: the floor
		{"600", limit},                  // longer than the limit: capped
	} {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if tc.header != "" {
			r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", tc.header)
		}
		if got := ScrapeTimeout(r, 0.5, limit); got != tc.want {
			t.Errorf("header %q: deadline %v, want %v", tc.header, got, tc.want)
		}
	}
}

// A timeout header too large for a Duration, infinite or not a number
// means --scrape.max-timeout, not an overflow clamped to the 100 ms floor.
func TestScrapeTimeoutHugeHeaderMeansLimit(t *testing.T) {
	const limit = 30 * time.Second
	for _, header := range []string{"1e10", "1e300", "Inf", "+Inf", "infinity", "NaN", "9223372036.854775807", "-Inf", "1e-400"} {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", header)
		if got := ScrapeTimeout(r, 0.5, limit); got != limit {
			t.Errorf("header %q: deadline %v, want %v", header, got, limit)
		}
	}
}
