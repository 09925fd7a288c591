// Package serve serves /metrics: the billing collector under the
// scrape's deadline, gathered with the exporter's own metrics. The binary
// and the benchmark harness (bench/) serve through the same code: Text.
// Metrics is the same answer through client_golang alone, the reference
// Text is tested against.
package serve

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
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

// Metrics builds a registry per request so that the billing collector
// runs under the scrape's own deadline, as mysqld_exporter does, and on
// whichever exporter current returns when the scrape starts (a reload
// swaps it). shared holds what does not depend on the scrape.
func Metrics(current func() *collector.Exporter, shared prometheus.Gatherer, opt Options) http.Handler {
	logger := opt.Logger
	if logger == nil {
		logger = log.NewNopLogger()
	}
	opts := promhttp.HandlerOpts{ErrorLog: stdLogger{logger}, ErrorHandling: promhttp.ContinueOnError}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), ScrapeTimeout(r, opt.TimeoutOffset, opt.MaxTimeout))
		defer cancel()
		perScrape := prometheus.NewRegistry()
		perScrape.MustRegister(current().WithContext(ctx))
		promhttp.HandlerFor(disjoint{perScrape, shared}, opts).ServeHTTP(w, r)
	})
}

// disjoint gathers two registries whose metric names never overlap (the
// billing families; the process, Go and upstream ones) and merges their
// sorted families. Each registry has checked its own series: unlike
// prometheus.Gatherers, do not check and sort them all again (12% of a
// warm scrape's CPU at N = 1000, bench/RESULTS.md). A name in both is a
// bug: the second family is dropped with an error.
type disjoint [2]prometheus.Gatherer

func (d disjoint) Gather() ([]*dto.MetricFamily, error) {
	a, errA := d[0].Gather()
	b, errB := d[1].Gather()
	var errs prometheus.MultiError
	errs.Append(errA)
	errs.Append(errB)
	out := make([]*dto.MetricFamily, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		switch na, nb := a[0].GetName(), b[0].GetName(); {
		case na < nb:
			out, a = append(out, a[0]), a[1:]
		case na > nb:
			out, b = append(out, b[0]), b[1:]
		default:
			errs.Append(fmt.Errorf("metric family %s gathered twice; the second dropped", nb))
			b = b[1:]
		}
	}
	return append(append(out, a...), b...), errs.MaybeUnwrap()
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

type stdLogger struct{ l log.Logger }

func (s stdLogger) Println(v ...any) { level.Error(s.l).Log("msg", fmt.Sprint(v...)) }
