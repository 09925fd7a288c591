package serve

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

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
	var err error
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		gz := compressors.get(w)
		counted := &countingWriter{w: gz}
		err = errors.Join(expo.Write(counted, fams), gz.Close())
		if counted.n <= pooledAnswerBytes {
			compressors.keep(gz)
		}
	} else {
		err = expo.Write(w, fams)
	}
	if err != nil {
		level.Error(logger).Log("msg", "writing metrics", "err", err)
	}
}

// compressorPool holds gzip writers (over a megabyte of tables each,
// whatever the level) that wrote small answers. BestSpeed: the answer
// grows with the accounts, and default compression spends more CPU on it
// than rendering does.
type compressorPool struct {
	pool sync.Pool
	// kept counts the writers put back: sync.Pool itself may drop any
	// (under the race detector it drops some on purpose), so this is what
	// shows which answers return theirs.
	kept atomic.Int64
}

var compressors compressorPool

// get is a writer compressing into w, pooled or new.
func (c *compressorPool) get(w io.Writer) *gzip.Writer {
	if gz, ok := c.pool.Get().(*gzip.Writer); ok {
		gz.Reset(w)
		return gz
	}
	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed) // a valid level: no error
	return gz
}

// keep puts a closed writer back, holding on to nothing it wrote to.
func (c *compressorPool) keep(gz *gzip.Writer) {
	gz.Reset(nil)
	c.kept.Add(1)
	c.pool.Put(gz)
}

// pooledAnswerBytes is the largest answer whose compressor goes back to
// the pool. Small answers (a /probe of one account) come many to a scrape
// interval, and reuse saves allocating and clearing the tables for each.
// A large one (/metrics of every account) comes once an interval per
// Prometheus: pooled, its compressor would sit live between scrapes, and
// the GC's heap goal, twice what is live, would double its cost in
// resident memory.
const pooledAnswerBytes = 64 << 10

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
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
