package serve

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"

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
//
// BestSpeed: the answer grows with the accounts, and default compression
// spends more CPU on it than rendering does. Each answer gets a fresh
// writer rather than one from a pool: a compressor holds over a megabyte
// of tables, a pooled one stays live between scrapes that come seconds
// apart, and the GC lets the heap grow to twice what is live, so a pool
// costs about twice its size in resident memory to save an allocation
// per scrape.
func writeText(w http.ResponseWriter, r *http.Request, fams []expo.Family, logger log.Logger) {
	w.Header().Set("Content-Type", expo.ContentType)
	var out io.Writer = w
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed) // a valid level: no error
		defer func() {
			if err := gz.Close(); err != nil {
				level.Error(logger).Log("msg", "writing metrics", "err", err)
			}
		}()
		out = gz
	}
	if err := expo.Write(out, fams); err != nil {
		level.Error(logger).Log("msg", "writing metrics", "err", err)
	}
}

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
