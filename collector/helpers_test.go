package collector

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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

// harness is an exporter wired to fakes, with its logs captured. It
// scrapes through Exporter.Gather, what /metrics serves, and reads the
// answer back with expfmt's parser.
type harness struct {
	t       *testing.T
	exp     *Exporter
	reg     prometheus.Gatherer // scrapes once as /metrics does, and keeps the result
	shared  *prometheus.Registry
	metrics *scrape.Metrics
	logs    *testlog.Buffer
	clock   *fakeClock
	mu      sync.Mutex
	last    []*dto.MetricFamily // the latest scrape; value, count and expect read it
}

// scrape scrapes once (upstream calls happen here) and keeps the result.
func (h *harness) scrape() {
	h.t.Helper()
	h.scrapeCtx(context.Background())
}

func (h *harness) scrapeCtx(ctx context.Context) []*dto.MetricFamily {
	h.t.Helper()
	mfs, err := gatherParsed(ctx, h.exp, h.shared)
	if err != nil {
		h.t.Fatalf("scrape: %v", err)
	}
	h.mu.Lock()
	h.last = mfs
	h.mu.Unlock()
	return mfs
}

// gatherParsed is Exporter.Gather, what /metrics serves, read back with
// expfmt's parser: families by name, series by labels.
func gatherParsed(ctx context.Context, exp *Exporter, shared prometheus.Gatherer) ([]*dto.MetricFamily, error) {
	fams, err := exp.Gather(ctx, shared)
	if err != nil {
		return nil, err
	}
	return series.ParseFamilies(fams)
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
func newHarness(t *testing.T, cfg *config.Config) *harness {
	t.Helper()
	return newHarnessOn(t, cfg, newFakeClock())
}

// newHarnessOn is newHarness on a given clock, shared with fake vendors.
func newHarnessOn(t *testing.T, cfg *config.Config, clock *fakeClock) *harness {
	t.Helper()
	if cfg.Global.CacheTTL == 0 {
		cfg.Global.CacheTTL = config.Duration(time.Nanosecond) // effectively no cache
	}
	if err := cfg.Validate(func(string) (string, bool) { return "", false }); err != nil {
		t.Fatalf("config: %v", err)
	}
	h := &harness{t: t, logs: &testlog.Buffer{}, clock: clock}
	// Every test built on a harness also proves that no configured key or
	// password shows in its logs or in the last scrape's metrics.
	var secrets []string
	for _, a := range cfg.Accounts {
		secrets = append(secrets, a.Secrets()...)
	}
	t.Cleanup(func() { h.checkNoSecret(secrets...) })
	h.shared = prometheus.NewRegistry()
	h.metrics = scrape.NewMetrics(h.shared)
	exp, err := New(cfg, Options{Logger: log.NewLogfmtLogger(h.logs), Metrics: h.metrics, Now: h.clock.Now})
	if err != nil {
		t.Fatalf("collector.New: %v", err)
	}
	h.use(exp)
	return h
}

// use points the harness at exp, e.g. after a reload.
func (h *harness) use(exp *Exporter) {
	h.exp = exp
	h.reg = prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		return h.scrapeCtx(context.Background()), nil
	})
}

// accountNames lists the exporter's accounts, sorted.
func accountNames(exp *Exporter) []string {
	var names []string
	for _, t := range exp.targets {
		names = append(names, t.acct.Name)
	}
	slices.Sort(names)
	return names
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
	return series.Find(h.snapshot(), name, labels)
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
	h.scrapeCtx(ctx)
	return time.Since(start)
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

// fakeClock is the tests' settable clock.
type fakeClock = fakeclock.Clock

func newFakeClock() *fakeClock {
	return fakeclock.At(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
}
