// Package serve serves /metrics: the billing collector under the
// scrape's deadline, gathered with the exporter's own metrics. The binary
// and the benchmark harness (bench/) serve through the same code: Text.
package serve

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-kit/log"
)

// Options are the serving settings of the metrics endpoint.
type Options struct {
	Logger log.Logger // errors while gathering or encoding; nil discards
	// TimeoutOffset is subtracted from Prometheus' scrape timeout so that
	// the answer arrives before Prometheus gives up.
	TimeoutOffset float64
	// MaxTimeout bounds a scrape, and is the deadline when Prometheus
	// sends no timeout header.
	MaxTimeout time.Duration
}

// ScrapeTimeout is Prometheus' own timeout less the offset, never above
// limit and never so small that nothing can answer.
func ScrapeTimeout(r *http.Request, offset float64, limit time.Duration) time.Duration {
	timeout := limit
	if v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
			t := time.Duration((s - offset) * float64(time.Second))
			t = min(max(t, 100*time.Millisecond), timeout)
			timeout = t
		}
	}
	return timeout
}
