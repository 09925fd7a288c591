package serve

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/internal/expo"
	"github.com/billing-exporter/billing-exporter/internal/series"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// demoHandler is Text over the demo, wired as the binary wires it, and
// the demo's number of accounts.
func demoHandler(t *testing.T) (http.Handler, int) {
	t.Helper()
	demo, err := collector.StartDemo(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(demo.Close)
	shared := prometheus.NewRegistry()
	collector.NewSelfMetrics(shared)
	exp, err := collector.New(demo.Config, collector.Options{Metrics: scrape.NewMetrics(shared)})
	if err != nil {
		t.Fatal(err)
	}
	return Text(func() *collector.Exporter { return exp }, shared, Options{MaxTimeout: 20 * time.Second}), len(demo.Config.Accounts)
}

// get serves one scrape and parses it, asking for gzip or not.
func get(t *testing.T, h http.Handler, gz bool) map[string]*dto.MetricFamily {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if gz {
		r.Header.Set("Accept-Encoding", "gzip")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 || w.Header().Get("Content-Type") != expo.ContentType {
		t.Fatalf("status %d, Content-Type %q", w.Code, w.Header().Get("Content-Type"))
	}
	var body io.Reader = w.Body
	if enc := w.Header().Get("Content-Encoding"); gz != (enc == "gzip") {
		t.Fatalf("Accept-Encoding gzip %v, Content-Encoding %q", gz, enc)
	}
	if gz {
		zr, err := gzip.NewReader(w.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = zr
	}
	text, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := series.Parse(string(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	mfs := map[string]*dto.MetricFamily{}
	for _, mf := range parsed {
		mfs[mf.GetName()] = mf
	}
	return mfs
}

// /metrics serves, gzipped or not, the billing families of every account,
// the upstream counters and the exporter's own metrics, in a text that
// Prometheus' parser reads.
func TestTextServesEverything(t *testing.T) {
	h, accounts := demoHandler(t)
	for _, gz := range []bool{true, false} {
		mfs := get(t, h, gz)
		for _, name := range []string{"billing_up", "billing_balance", "billing_upstream_requests_total",
			"billing_upstream_errors_total", "billing_upstream_request_duration_seconds",
			"billing_exporter_config_last_reload_successful", "billing_exporter_build_info", "go_goroutines"} {
			if mfs[name] == nil {
				t.Errorf("gzip %v: no %s", gz, name)
			}
		}
		if n := len(mfs["billing_up"].GetMetric()); n != accounts {
			t.Errorf("gzip %v: %d billing_up series, want one per demo account (%d)", gz, n, accounts)
		}
	}
}

// Accept-Encoding is read as promhttp reads it.
func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"gzip": true, "deflate, gzip;q=0.5": true, "GZIP": true,
		"": false, "deflate": false, "gzip;q=0": false, "gzip; q=0.000": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", header, got, want)
		}
	}
}
