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
	t.Parallel()
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

// X-Prometheus-Scrape-Timeout-Seconds of 1e10 or Inf gives a scrape
// --scrape.max-timeout, not the 100 ms floor an overflow would fall to.
// The vendor holds its answer until a scrape at the floor, sent after this
// one reached the vendor, has given up: had this one got the floor too,
// it would have given up before.
func TestHugeScrapeTimeoutHeaderMeansMaxTimeout(t *testing.T) {
	for _, header := range []string{"1e10", "Inf"} {
		t.Run(header, func(t *testing.T) {
			p := newPortals(t)
			cfgFile := filepath.Join(t.TempDir(), "config.yml")
			writeFile(t, cfgFile, p.config("slow"))
			arrived := make(chan struct{}, 1)
			release := p.hold(arrived)
			e := start(t, "--config.file="+cfgFile, "--scrape.max-timeout=20s")
			t.Cleanup(release) // before the exporter stops: it waits for held scrapes

			scrape := func(header string) <-chan string {
				body := make(chan string, 1)
				go func() {
					defer close(body)
					req, _ := http.NewRequest(http.MethodGet, "http://"+e.addr+"/metrics", nil)
					req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", header)
					resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
					if err != nil {
						t.Errorf("scrape with timeout header %s: %v", header, err)
						return
					}
					defer func() { _ = resp.Body.Close() }()
					b, _ := io.ReadAll(resp.Body)
					body <- string(b)
				}()
				return body
			}
			huge := scrape(header)
			select {
			case <-arrived:
			case <-time.After(15 * time.Second):
				t.Fatal("the scrape never reached the vendor")
			}
			// 0.3 s less the 0.5 s offset: the floor.
			if v, ok := series.Sample(<-scrape("0.3"), `billing_up{account="slow",provider="docspace"}`); !ok || v != 0 {
				t.Fatalf("billing_up = %v (%v) of a scrape at the floor while the vendor holds its answer, want 0", v, ok)
			}
			release()
			if v, ok := series.Sample(<-huge, `billing_up{account="slow",provider="docspace"}`); !ok || v != 1 {
				t.Errorf("billing_up = %v (%v): the scrape did not get --scrape.max-timeout\n%s", v, ok, e.logs)
			}
		})
	}
}
