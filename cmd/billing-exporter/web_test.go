package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/internal/series"
)

// A vendor that never answers cannot hold /metrics past Prometheus' own
// timeout: the exporter answers with billing_up 0 before Prometheus gives
// up, even though the request timeout and --scrape.max-timeout are a
// minute.
func TestScrapeAnswersWithinPrometheusTimeout(t *testing.T) {
	release := make(chan struct{})
	vendor := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(vendor.Close)
	t.Cleanup(func() { close(release) })

	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfgFile, fmt.Sprintf("global:\n  timeout: 1m\naccounts:\n  - name: hanging\n    provider: docspace\n    base_url: %s\n    api_key: %q\n",
		vendor.URL, docspaceKey))
	e := start(t, "--config.file="+cfgFile, "--scrape.max-timeout=1m")

	req, err := http.NewRequest(http.MethodGet, "http://"+e.addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "2")
	// Without the header's deadline the scrape would wait the full minute.
	c := &http.Client{Timeout: 20 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("/metrics with a 2 s Prometheus timeout did not answer: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := string(b)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d\n%s", resp.StatusCode, body)
	}
	if v, ok := series.Sample(body, `billing_up{account="hanging",provider="docspace"}`); !ok || v != 0 {
		t.Errorf("billing_up of the hanging account = %v (present %v), want 0", v, ok)
	}
	if _, ok := series.Sample(body, "billing_exporter_config_last_reload_successful"); !ok {
		t.Error("the exporter's own metrics are missing from the answer")
	}
}
