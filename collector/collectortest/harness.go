// Package collectortest builds exporters wired to fake vendors for the
// tests of the engine and of each provider, as net/http/httptest does for
// servers. A Harness scrapes through Exporter.Gather, what /metrics
// serves, and reads the answer back with expfmt's parser.
package collectortest

import (
	"bytes"
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/fakeclock"
	"github.com/billing-exporter/billing-exporter/internal/series"
	"github.com/billing-exporter/billing-exporter/internal/testlog"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// Harness is an exporter wired to fakes, with its logs captured.
type Harness struct {
	t       testing.TB
	Exp     *collector.Exporter
	Reg     prometheus.Gatherer // scrapes once as /metrics does, and keeps the result
	Shared  *prometheus.Registry
	Metrics *scrape.Metrics
	Logs    *testlog.Buffer
	Clock   *fakeclock.Clock
	mu      sync.Mutex
	last    []*dto.MetricFamily // the latest scrape; Value, Count and Expect read it
}

// Scrape scrapes once (upstream calls happen here) and keeps the result.
func (h *Harness) Scrape() {
	h.t.Helper()
	h.ScrapeCtx(context.Background())
}

// ScrapeEvery scrapes n times, moving the clock on by every after each
// scrape, as Prometheus would at that interval.
func (h *Harness) ScrapeEvery(n int, every time.Duration) {
	h.t.Helper()
	for range n {
		h.Scrape()
		h.Clock.Advance(every)
	}
}

// ScrapeCtx is Scrape under ctx; it returns what it scraped.
func (h *Harness) ScrapeCtx(ctx context.Context) []*dto.MetricFamily {
	h.t.Helper()
	mfs, err := GatherParsed(ctx, h.Exp, h.Shared)
	if err != nil {
		h.t.Fatalf("scrape: %v", err)
	}
	h.mu.Lock()
	h.last = mfs
	h.mu.Unlock()
	return mfs
}

// GatherParsed is Exporter.Gather, what /metrics serves, read back with
// expfmt's parser: families by name, series by labels.
func GatherParsed(ctx context.Context, exp *collector.Exporter, shared prometheus.Gatherer) ([]*dto.MetricFamily, error) {
	fams, err := exp.Gather(ctx, shared)
	if err != nil {
		return nil, err
	}
	return series.ParseFamilies(fams)
}

// Snapshot is the latest scrape, scraping once if there was none.
func (h *Harness) Snapshot() []*dto.MetricFamily {
	h.mu.Lock()
	last := h.last
	h.mu.Unlock()
	if last == nil {
		h.Scrape()
		return h.Snapshot()
	}
	return last
}

// New validates cfg as Load would (defaults, secrets) and builds
// the exporter. Caching is off unless the test sets global.cache_ttl.
func New(t testing.TB, cfg *config.Config) *Harness {
	t.Helper()
	return NewOn(t, cfg, NewClock())
}

// NewOn is New on a given clock, shared with fake vendors.
func NewOn(t testing.TB, cfg *config.Config, clock *fakeclock.Clock) *Harness {
	t.Helper()
	if cfg.Global.CacheTTL == 0 {
		cfg.Global.CacheTTL = config.Duration(time.Nanosecond) // effectively no cache
	}
	if err := cfg.Validate(func(string) (string, bool) { return "", false }, collector.ConfigProviders()); err != nil {
		t.Fatalf("config: %v", err)
	}
	h := &Harness{t: t, Logs: &testlog.Buffer{}, Clock: clock}
	// Every test built on a harness also proves that no configured key or
	// password shows in its logs or in the last scrape's metrics.
	var secrets []string
	for _, a := range cfg.Accounts {
		secrets = append(secrets, a.Secrets()...)
	}
	slices.Sort(secrets) // accounts may share a key: each is looked for once
	secrets = slices.Compact(secrets)
	t.Cleanup(func() { h.CheckNoSecret(secrets...) })
	h.Shared = prometheus.NewRegistry()
	h.Metrics = scrape.NewMetrics(h.Shared)
	exp, err := collector.New(cfg, collector.Options{Logger: log.NewLogfmtLogger(h.Logs), Metrics: h.Metrics, Now: h.Clock.Now})
	if err != nil {
		t.Fatalf("collector.New: %v", err)
	}
	h.Use(exp)
	return h
}

// Use points the harness at exp, e.g. after a reload.
func (h *Harness) Use(exp *collector.Exporter) {
	h.Exp = exp
	h.Reg = prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		return h.ScrapeCtx(context.Background()), nil
	})
}

// Expect compares the named families of the latest scrape with want
// (exposition text, HELP and TYPE lines included).
func (h *Harness) Expect(want string, names ...string) {
	h.t.Helper()
	mfs := h.Snapshot()
	g := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return mfs, nil })
	if err := testutil.GatherAndCompare(g, strings.NewReader(want), names...); err != nil {
		h.t.Error(err)
	}
}

// Value returns the value of the one series of name matching labels
// (a subset), failing when there is none or several.
func (h *Harness) Value(name string, labels map[string]string) float64 {
	h.t.Helper()
	v, n := h.Find(name, labels)
	if n != 1 {
		h.t.Fatalf("%s%v: %d matching series, want 1", name, labels, n)
	}
	return v
}

// Count returns how many series of name match labels.
func (h *Harness) Count(name string, labels map[string]string) int {
	h.t.Helper()
	_, n := h.Find(name, labels)
	return n
}

// Find is the value of the first series of name matching labels and how many match.
func (h *Harness) Find(name string, labels map[string]string) (float64, int) {
	h.t.Helper()
	return series.Find(h.Snapshot(), name, labels)
}

// Text renders the latest scrape.
func (h *Harness) Text() string {
	h.t.Helper()
	var buf bytes.Buffer
	mfs := h.Snapshot()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			buf.WriteString(mf.GetName())
			buf.WriteString(m.String())
			buf.WriteByte('\n')
		}
	}
	return buf.String()
}

// ScrapeWithin scrapes under a deadline, as a Prometheus scrape with a
// timeout header does, keeps the result and returns how long it took.
func (h *Harness) ScrapeWithin(d time.Duration) time.Duration {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	h.ScrapeCtx(ctx)
	return time.Since(start)
}

// AssertNoSecret fails if any secret appears in logs or metrics, as it is
// or base64-encoded.
func (h *Harness) AssertNoSecret(secrets ...string) {
	h.t.Helper()
	text := h.Text() + h.Logs.String()
	for _, s := range secrets {
		if leaks(text, s) {
			h.t.Errorf("a secret (%d chars) appears in logs or metrics", len(s))
		}
	}
}

// leaks reports whether text holds secret, as it is or in a base64 form.
func leaks(text, secret string) bool {
	if secret == "" {
		return false
	}
	for _, form := range []string{secret, base64.RawStdEncoding.EncodeToString([]byte(secret)), base64.RawURLEncoding.EncodeToString([]byte(secret))} {
		if strings.Contains(text, form) {
			return true
		}
	}
	return false
}

// CheckNoSecret is AssertNoSecret on whatever was scraped so far, without
// scraping: for cleanups, after the test's own scrapes.
func (h *Harness) CheckNoSecret(secrets ...string) {
	h.t.Helper()
	h.mu.Lock()
	scraped := h.last != nil
	h.mu.Unlock()
	if scraped {
		h.AssertNoSecret(secrets...)
		return
	}
	logs := h.Logs.String()
	for _, s := range secrets {
		if leaks(logs, s) {
			h.t.Errorf("a secret (%d chars) appears in the logs", len(s))
		}
	}
}

// NewClock is a fake clock at a fixed time, for harnesses and fakes.
func NewClock() *fakeclock.Clock {
	return fakeclock.At(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
}
