package serve

import (
	"context"
	"fmt"
	"net/http"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// Metrics is what Text serves, through client_golang alone: the reference
// Text is tested against. A registry per request runs the billing
// collector under the scrape's own deadline, as mysqld_exporter does.
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

type stdLogger struct{ l log.Logger }

func (s stdLogger) Println(v ...any) { level.Error(s.l).Log("msg", fmt.Sprint(v...)) }
