package serve

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

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
