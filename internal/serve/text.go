package serve

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/internal/expo"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
)

// Text serves /metrics: collector.Exporter.Gather under the scrape's
// deadline, gzipped when asked, in the text format written by hand, which
// is several times cheaper than a client_golang Registry
// (docs/adr/0010-metrics-written-by-hand.md).
func Text(current func() *collector.Exporter, shared prometheus.Gatherer, opt Options) http.Handler {
	logger := orNop(opt.Logger)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), ScrapeTimeout(r, opt.TimeoutOffset, opt.MaxTimeout))
		defer cancel()
		fams, err := current().Gather(ctx, shared)
		if err != nil {
			// As promhttp.ContinueOnError: serve what was gathered.
			level.Error(logger).Log("msg", "error gathering metrics", "err", err)
		}
		writeText(w, r, fams, logger)
	})
}

// writeText writes fams in the text format, gzipped if the client takes it.
func writeText(w http.ResponseWriter, r *http.Request, fams []expo.Family, logger log.Logger) {
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
	if err := expo.Write(out, fams); err != nil {
		level.Error(logger).Log("msg", "writing metrics", "err", err)
	}
}

// BestSpeed: the answer grows with the accounts, and default compression
// spends more CPU on it than rendering does.
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
