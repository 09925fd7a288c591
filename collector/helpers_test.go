package collector

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/billing-exporter/billing-exporter/internal/testlog"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// harness is an exporter wired to fakes, with its logs captured.
type harness struct {
	t        *testing.T
	exp      *Exporter
	reg      prometheus.Gatherer // exporter first, then upstream metrics, as cmd serves them
	upstream *prometheus.Registry
	metrics  *scrape.Metrics
	logs     *testlog.Buffer
	clock    *fakeClock
	mu       sync.Mutex
	last     []*dto.MetricFamily // the latest scrape; value, count and expect read it
}

// gatherers serves the exporter first, then the upstream metrics, as cmd does.
func gatherers(exp *Exporter, upstream *prometheus.Registry) prometheus.Gatherer {
	billing := prometheus.NewRegistry()
	billing.MustRegister(exp)
	return prometheus.Gatherers{billing, upstream}
}

// scrape collects once (upstream calls happen here) and keeps the result.
func (h *harness) scrape() {
	h.t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.t.Fatalf("gather: %v", err)
	}
	h.mu.Lock()
	h.last = mfs
	h.mu.Unlock()
}

func (h *harness) snapshot() []*dto.MetricFamily {
	h.mu.Lock()
	last := h.last
	h.mu.Unlock()
	if last == nil {
		h.scrape()
		return h.snapshot()
	}
	return last
}

// newHarness validates cfg as Load would (defaults, secrets) and builds
// the exporter. Caching is off unless the test sets global.cache_ttl.
// scrapedDemo is a harness on the demo's accounts after one scrape.
func scrapedDemo(t *testing.T) (*harness, *sandbox.Demo) {
	t.Helper()
	demo, err := sandbox.StartDemo(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(demo.Close)
	h := newHarness(t, demo.Config)
	h.scrape()
	return h, demo
}

func newHarness(t *testing.T, cfg *config.Config) *harness {
	t.Helper()
	if cfg.Global.CacheTTL == 0 {
		cfg.Global.CacheTTL = config.Duration(time.Nanosecond) // effectively no cache
	}
	if err := cfg.Validate(func(string) (string, bool) { return "", false }); err != nil {
		t.Fatalf("config: %v", err)
	}
	h := &harness{t: t, logs: &testlog.Buffer{}, clock: newFakeClock()}
	// Every test built on a harness also proves that no configured key or
	// password shows in its logs or in the last scrape's metrics.
	var secrets []string
	for _, a := range cfg.Accounts {
		secrets = append(secrets, string(a.APIKey), string(a.Password))
	}
	t.Cleanup(func() { h.checkNoSecret(secrets...) })
	upstream := prometheus.NewRegistry()
	h.metrics = scrape.NewMetrics(upstream)
	exp, err := New(cfg, Options{Logger: log.NewLogfmtLogger(h.logs), Metrics: h.metrics, Now: h.clock.Now})
	if err != nil {
		t.Fatalf("collector.New: %v", err)
	}
	h.exp = exp
	h.upstream = upstream
	h.reg = gatherers(exp, upstream)
	return h
}

// expect compares the named families of the latest scrape with want
// (exposition text, HELP and TYPE lines included).
func (h *harness) expect(want string, names ...string) {
	h.t.Helper()
	mfs := h.snapshot()
	g := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return mfs, nil })
	if err := testutil.GatherAndCompare(g, strings.NewReader(want), names...); err != nil {
		h.t.Error(err)
	}
}

// value returns the value of the one series of name matching labels
// (a subset), failing when there is none or several.
func (h *harness) value(name string, labels map[string]string) float64 {
	h.t.Helper()
	v, n := h.find(name, labels)
	if n != 1 {
		h.t.Fatalf("%s%v: %d matching series, want 1", name, labels, n)
	}
	return v
}

// count returns how many series of name match labels.
func (h *harness) count(name string, labels map[string]string) int {
	h.t.Helper()
	_, n := h.find(name, labels)
	return n
}

func (h *harness) find(name string, labels map[string]string) (float64, int) {
	h.t.Helper()
	mfs := h.snapshot()
	var v float64
	n := 0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, want := range labels {
				if have[k] != want {
					continue series
				}
			}
			n++
			switch {
			case m.Gauge != nil:
				v = m.GetGauge().GetValue()
			case m.Counter != nil:
				v = m.GetCounter().GetValue()
			}
		}
	}
	return v, n
}

// text renders the latest scrape.
func (h *harness) text() string {
	h.t.Helper()
	var buf bytes.Buffer
	mfs := h.snapshot()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			buf.WriteString(mf.GetName())
			buf.WriteString(m.String())
			buf.WriteByte('\n')
		}
	}
	return buf.String()
}

// scrapeWithin scrapes under a deadline, as a Prometheus scrape with a
// timeout header does, keeps the result and returns how long it took.
func (h *harness) scrapeWithin(d time.Duration) time.Duration {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	billing := prometheus.NewRegistry()
	billing.MustRegister(h.exp.WithContext(ctx))
	mfs, err := prometheus.Gatherers{billing, h.upstream}.Gather()
	took := time.Since(start)
	if err != nil {
		h.t.Fatalf("gather: %v", err)
	}
	h.mu.Lock()
	h.last = mfs
	h.mu.Unlock()
	return took
}

// assertNoSecret fails if any secret appears in logs or metrics.
func (h *harness) assertNoSecret(secrets ...string) {
	h.t.Helper()
	text := h.text() + h.logs.String()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			h.t.Errorf("a secret (%d chars) appears in logs or metrics", len(s))
		}
	}
}

// checkNoSecret is assertNoSecret on whatever was scraped so far, without
// scraping: for cleanups, after the test's own scrapes.
func (h *harness) checkNoSecret(secrets ...string) {
	h.t.Helper()
	h.mu.Lock()
	scraped := h.last != nil
	h.mu.Unlock()
	if scraped {
		h.assertNoSecret(secrets...)
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(h.logs.String(), s) {
			h.t.Errorf("a secret (%d chars) appears in the logs", len(s))
		}
	}
}

// fakeClock is a settable clock for cache and timestamp tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
