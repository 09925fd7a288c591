package collector_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// countingScraper counts the runs of a scraper, keeping its due.
type countingScraper struct {
	provider.Scraper
	runs atomic.Int64
}

func (c *countingScraper) Scrape(ctx context.Context, e *provider.Emitter) error {
	c.runs.Add(1)
	return c.Scraper.Scrape(ctx, e)
}

// demoHarness is a harness on the demo's accounts, the demo's vendors
// on the harness's clock, with each scraper counting its runs.
func demoHarness(t *testing.T, edit func(*config.Config)) (*collectortest.Harness, *sandbox.Demo, map[string]*countingScraper) {
	t.Helper()
	clock := collectortest.NewClock()
	demo, err := collector.StartDemo(clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(demo.Close)
	cfg := *demo.Config
	if edit != nil {
		edit(&cfg)
	}
	h := collectortest.NewOn(t, &cfg, clock)
	runs := map[string]*countingScraper{}
	collector.WrapScrapers(h.Exp, func(account string, s provider.Scraper) provider.Scraper {
		runs[account] = &countingScraper{Scraper: s}
		return runs[account]
	})
	return h, demo, runs
}

// step scrapes once and checks how often acct's scraper ran and whether
// it was up.
func step(t *testing.T, h *collectortest.Harness, what string, c *countingScraper, acct string, wantRuns int64, wantUp float64) {
	t.Helper()
	before := c.runs.Load()
	h.Scrape()
	if got := c.runs.Load() - before; got != wantRuns {
		t.Errorf("%s: scraper ran %d times, want %d", what, got, wantRuns)
	}
	if up := h.Value("billing_up", map[string]string{"account": acct}); up != wantUp {
		t.Errorf("%s: billing_up %v, want %v", what, up, wantUp)
	}
}

// An account's rendered values are reused while its cached answers stand,
// and not after a refresh, nor while or after it fails; a reused scrape
// counts no cache lookups, as it made none.
func TestTextReuseAndInvalidation(t *testing.T) {
	h, demo, runs := demoHarness(t, nil)
	main := runs["docspace-main"]
	step := func(what string, wantRuns int64, wantUp float64) {
		t.Helper()
		step(t, h, what, main, "docspace-main", wantRuns, wantUp)
	}
	hits := func() float64 {
		v, _ := h.Find("billing_upstream_cache_lookups_total", map[string]string{"account": "docspace-main", "result": "hit"})
		return v
	}
	balance := map[string]string{"account": "docspace-main", "currency": "USD", "wallet": ""}

	step("cold", 1, 1)
	h0, cold := hits(), h.Value("billing_balance", balance)
	step("warm", 0, 1)
	h1 := hits()
	if h1 != h0 {
		t.Errorf("cache hits: a reused scrape counted %v", h1-h0)
	}
	if reused := h.Value("billing_balance", balance); reused != cold {
		t.Errorf("reused balance %v, the scrape it reuses %v", reused, cold)
	}
	for name, c := range runs {
		want := int64(1)
		switch name {
		case "acefone-uk":
			want = 2 // its login is a call the cache does not hold: its cold scrape is not reused
		}
		if c.runs.Load() != want {
			t.Errorf("%s ran %d times in two scrapes, want %d", name, c.runs.Load(), want)
		}
	}

	// The cache expires: the scraper refreshes, and what it rendered from
	// the answers it cached is what the next ones reuse.
	h.Clock.Advance(6 * time.Second)
	step("refresh", 1, 1)
	step("reused again", 0, 1)

	// A failure: stale answers, up 0, never reused.
	demo.Server.SetFault(sandbox.FailUnder("/docspace/main"))
	h.Clock.Advance(6 * time.Second)
	step("failing", 1, 0)
	step("still failing", 1, 0)
	demo.Server.SetFault(nil)
	step("recovered", 1, 1)
	step("reused after recovery", 0, 1)
}

// Acefone renews its login token before it expires even while the
// dashboard's cached answer is fresh: a reused scrape must not skip that.
func TestTextRunsAcefoneWhenTokenDue(t *testing.T) {
	h, _, runs := demoHarness(t, func(cfg *config.Config) {
		cfg.Global.CacheTTL = config.Duration(2 * time.Hour) // answers outlive the 1h token
	})
	step := func(what string, want int64) {
		t.Helper()
		step(t, h, what, runs["acefone-uk"], "acefone-uk", want, 1)
	}
	step("cold", 1)
	step("warm", 1)
	step("reused", 0)
	h.Clock.Advance(56 * time.Minute) // within tokenMargin of the token's end
	step("token due", 1)
	step("after renewal", 1)
	step("reused again", 0)
}
