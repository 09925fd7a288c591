package serve

import (
	"bytes"
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
	"github.com/go-kit/log"
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

// serveGzipped serves fams once, to a client that takes gzip, and
// returns the answer decompressed.
func serveGzipped(t *testing.T, fams []expo.Family) []byte {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	w := httptest.NewRecorder()
	writeText(w, r, fams, log.NewNopLogger())
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// answerOf is one family whose text is n bytes of series lines or more.
func answerOf(n int) []expo.Family {
	line := []byte("billing_balance{provider=\"acefone\",account=\"a\",currency=\"INR\",wallet=\"\"} 1234.5\n")
	return []expo.Family{{Name: "billing_balance", Text: bytes.Repeat(line, n/len(line)+1)}}
}

// A small answer (a probe) puts its compressor back for the next; a large
// one (/metrics of every account) does not, so that no compressor stays
// live between large scrapes. A writer from the pool compresses as well
// as a new one. Not parallel: the count is the package's.
func TestCompressorPooledForSmallAnswersOnly(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
		kept int64
	}{
		{"small", 8 << 10, 1},
		{"at the limit", pooledAnswerBytes - 200, 1},
		{"large", 4 * pooledAnswerBytes, 0},
		{"small again", 1 << 10, 1},
	} {
		fams := answerOf(tc.size)
		before := compressors.kept.Load()
		got := serveGzipped(t, fams)
		if kept := compressors.kept.Load() - before; kept != tc.kept {
			t.Errorf("%s answer (%d bytes): %d compressors put back, want %d", tc.name, len(got), kept, tc.kept)
		}
		if !bytes.Equal(got, fams[0].Text) {
			t.Errorf("%s answer: %d bytes decompressed, want the %d written", tc.name, len(got), len(fams[0].Text))
		}
	}
}
