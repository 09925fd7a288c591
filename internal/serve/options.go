// Package serve serves /metrics, /probe and /sd: the billing collector
// under the scrape's deadline, gathered with the exporter's own metrics.
// The binary and the benchmark harness (bench/) serve /metrics through the
// same code: Text.
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

// orNop is logger, or one that discards if logger is nil.
func orNop(logger log.Logger) log.Logger {
	if logger == nil {
		return log.NewNopLogger()
	}
	return logger
}

// ScrapeTimeout is Prometheus' own timeout less the offset, never above
// limit and never so small that nothing can answer. A header that is not
// a positive number (NaN, Inf, garbage) means limit. The comparison is in
// seconds: converting 1e10 s to a Duration first would overflow.
func ScrapeTimeout(r *http.Request, offset float64, limit time.Duration) time.Duration {
	s, err := strconv.ParseFloat(r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"), 64)
	if err != nil || !(s > 0) || s-offset >= limit.Seconds() {
		return limit
	}
	return min(max(time.Duration((s-offset)*float64(time.Second)), 100*time.Millisecond), limit)
}
