//go:build bench

package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/series"
	"github.com/billing-exporter/billing-exporter/internal/serve"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// InProc is the exporter built in this process, served by the handler
// cmd/billing-exporter serves it with (internal/serve), with a shared
// registry of the exporter's own and upstream metrics. It measures what an out-of-process
// run cannot: allocations per scrape, and simulated time.
type InProc struct {
	Exp     *collector.Exporter
	Shared  *prometheus.Registry
	Handler http.Handler
}

// NewInProc builds the exporter for cfg with clock now (nil = time.Now).
func NewInProc(cfg *config.Config, now func() time.Time) (*InProc, error) {
	shared := prometheus.NewRegistry()
	collector.NewSelfMetrics(shared)
	exp, err := collector.New(cfg, collector.Options{Metrics: scrape.NewMetrics(shared), Now: now})
	if err != nil {
		return nil, err
	}
	ip := &InProc{Exp: exp, Shared: shared}
	ip.Handler = serve.Text(func() *collector.Exporter { return exp }, shared, serve.Options{MaxTimeout: 10 * time.Minute})
	return ip, nil
}

// PrometheusAccept is the Accept header of Prometheus 3 with its default
// scrape_protocols and UTF-8 names (scrape.acceptHeader): the exporter
// negotiates the same format as it would with a real server.
const PrometheusAccept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6," +
	"application/openmetrics-text;version=0.0.1;q=0.5," +
	"text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4," +
	"text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

// countingWriter is a ResponseWriter that discards the body and counts it.
type countingWriter struct {
	h    http.Header
	n    int
	code int
}

func (w *countingWriter) Header() http.Header         { return w.h }
func (w *countingWriter) WriteHeader(code int)        { w.code = code }
func (w *countingWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }

// ScrapeDiscard serves one /metrics request as Prometheus sends it (gzip
// accepted) and returns the bytes served.
func (ip *InProc) ScrapeDiscard() (int, error) {
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	r.Header.Set("Accept", PrometheusAccept)
	r.Header.Set("Accept-Encoding", "gzip")
	r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "600")
	w := &countingWriter{h: http.Header{}, code: 200}
	ip.Handler.ServeHTTP(w, r)
	if w.code != 200 {
		return w.n, fmt.Errorf("scrape answered %d", w.code)
	}
	return w.n, nil
}

// Gather scrapes once as /metrics does, without the exporter's own
// metrics, and parses the answer.
func (ip *InProc) Gather() ([]*dto.MetricFamily, error) {
	fams, err := ip.Exp.Gather(context.Background(), prometheus.NewRegistry())
	if err != nil {
		return nil, err
	}
	return series.ParseFamilies(fams)
}

// UpCount counts accounts with billing_up 1 and all billing_up series.
func UpCount(mfs []*dto.MetricFamily) (up, total int) {
	for _, mf := range mfs {
		if mf.GetName() != "billing_up" {
			continue
		}
		for _, m := range mf.GetMetric() {
			total++
			if m.GetGauge().GetValue() == 1 {
				up++
			}
		}
	}
	return up, total
}

// UpCountText does the same on exposition text.
func UpCountText(body []byte) (up, total int) {
	for _, line := range bytes.Split(body, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("billing_up{")) {
			continue
		}
		total++
		if bytes.HasSuffix(line, []byte(" 1")) {
			up++
		}
	}
	return up, total
}

// SeriesCount counts the samples of exposition text: all, and those of
// billing values (billing_*, without the exporter's upstream and own
// metrics).
func SeriesCount(body []byte) (all, billing int) {
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		all++
		if strings.HasPrefix(line, "billing_") && !strings.HasPrefix(line, "billing_upstream_") &&
			!strings.HasPrefix(line, "billing_exporter_") {
			billing++
		}
	}
	return all, billing
}

// Get fetches url with the headers Prometheus sends and returns the body
// as received: gzip bytes when gzipped is true and the server compressed.
// Decode the body with Body. timeout is sent as Prometheus' scrape timeout
// and, with a margin, bounds the request here too, so that a hung exporter
// fails the run instead of holding it until go test's own timeout.
func Get(client *http.Client, url string, gzipped bool, timeout time.Duration) (Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Accept", PrometheusAccept)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", fmt.Sprintf("%.0f", timeout.Seconds()))
	if gzipped {
		// Set by hand, Go's transport leaves the body compressed.
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := client.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	wire, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, err
	}
	if resp.StatusCode != 200 {
		return Response{}, fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, wire)
	}
	return Response{Wire: wire, gzipped: resp.Header.Get("Content-Encoding") == "gzip"}, nil
}

// Response is a body as it came over the wire.
type Response struct {
	Wire    []byte
	gzipped bool
}

// Body is the decoded body.
func (r Response) Body() ([]byte, error) {
	if !r.gzipped {
		return r.Wire, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.Wire))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
