package serve

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/internal/expo"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Text serves what Metrics serves, but writes the billing families and
// the upstream counters (some 36,000 series at N = 1000) in the text
// format by hand, reusing each account's rendered billing values while
// its cached answers stand (collector.Exporter.AppendText). Only shared
// (process, Go, build info, reload state, the upstream duration
// histogram: upstream must not be registered on it) goes through
// client_golang. Through a Registry a warm scrape at N = 1000 took
// 175 ms; issue 7 asks for a p99 under 50 ms.
func Text(current func() *collector.Exporter, shared prometheus.Gatherer, upstream *scrape.Metrics, opt Options) http.Handler {
	logger := opt.Logger
	if logger == nil {
		logger = log.NewNopLogger()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), ScrapeTimeout(r, opt.TimeoutOffset, opt.MaxTimeout))
		defer cancel()
		writeText(w, r, gatherText(ctx, current(), shared, upstream, logger), logger)
	})
}

// writeText writes fams in the text format, gzipped if the client takes it.
func writeText(w http.ResponseWriter, r *http.Request, fams []textFamily, logger log.Logger) {
	w.Header().Set("Content-Type", expo.ContentType)
	var out io.Writer = w
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		gz := gzipPool.Get().(*gzip.Writer)
		gz.Reset(w)
		defer func() {
			if err := gz.Close(); err != nil {
				level.Error(logger).Log("msg", "writing metrics", "err", err)
			}
			gzipPool.Put(gz)
		}()
		out = gz
	}
	for _, f := range fams {
		if _, err := out.Write(f.text); err != nil {
			level.Error(logger).Log("msg", "writing metrics", "err", err)
			return
		}
	}
}

type textFamily struct {
	name string
	text []byte
}

// gatherText returns every family once, in name order.
func gatherText(ctx context.Context, exp *collector.Exporter, shared prometheus.Gatherer, upstream *scrape.Metrics, logger log.Logger) []textFamily {
	var fams []textFamily
	add := func(name string, text []byte) { fams = append(fams, textFamily{name, text}) }
	exp.AppendText(ctx, add)
	upstream.AppendText(add) // after the scrape, so counting its calls
	mfs, err := shared.Gather()
	if err != nil {
		// As promhttp.ContinueOnError: serve what was gathered.
		level.Error(logger).Log("msg", "error gathering metrics", "err", err)
	}
	for _, mf := range mfs {
		var buf bytes.Buffer
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			level.Error(logger).Log("msg", "error encoding metric family", "family", mf.GetName(), "err", err)
			continue
		}
		add(mf.GetName(), buf.Bytes())
	}
	slices.SortStableFunc(fams, func(a, b textFamily) int { return strings.Compare(a.name, b.name) })
	return slices.CompactFunc(fams, func(a, b textFamily) bool {
		if a.name == b.name {
			level.Error(logger).Log("msg", fmt.Sprintf("metric family %s gathered twice; the second dropped", b.name))
			return true
		}
		return false
	})
}

// BestSpeed: at N = 1000 the answer is some 7 MB of text; default
// compression spent more CPU on it than rendering does.
var gzipPool = sync.Pool{New: func() any {
	gz, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return gz
}}

// acceptsGzip reads Accept-Encoding as promhttp does for the one coding
// it offers: gzip, unless its q is 0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
