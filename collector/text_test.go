package collector

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/prometheus/client_golang/prometheus"
)

// countingScraper counts the runs of a scraper, keeping its due.
type countingScraper struct {
	Scraper
	runs atomic.Int64
}

func (c *countingScraper) Scrape(ctx context.Context, e *Emitter) error {
	c.runs.Add(1)
	return c.Scraper.Scrape(ctx, e)
}

func (c *countingScraper) due() bool { return isDue(c.Scraper) }

// testClock is a clock tests move by hand (Unix nanoseconds), starting
// at a fixed instant.
func testClock() (*atomic.Int64, func() time.Time) {
	clock := new(atomic.Int64)
	clock.Store(time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return clock, func() time.Time { return time.Unix(0, clock.Load()) }
}

// An account's rendered values are reused while its cached answers stand,
// and not after a refresh, nor while or after it fails; reused scrapes
// count their cache hits as real ones do.
func TestTextReuseAndInvalidation(t *testing.T) {
	clock, now := testClock()
	demo, err := sandbox.StartDemo(now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(demo.Close)
	reg := prometheus.NewRegistry()
	exp, err := New(demo.Config, Options{Metrics: scrape.NewMetrics(reg), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var main *countingScraper
	for _, tg := range exp.targets {
		c := &countingScraper{Scraper: tg.scraper}
		tg.scraper = c
		if tg.acct.Name == "docspace-main" {
			main = c
		}
	}
	render := func() string {
		var b strings.Builder
		exp.AppendText(context.Background(), func(_ string, text []byte) { b.Write(text) })
		return b.String()
	}
	hits := func() float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if mf.GetName() == "billing_upstream_cache_lookups_total" && labels["account"] == "docspace-main" && labels["result"] == "hit" {
					return m.GetCounter().GetValue()
				}
			}
		}
		return 0
	}
	const up1 = `billing_up{account="docspace-main",provider="docspace"} 1`
	const up0 = `billing_up{account="docspace-main",provider="docspace"} 0`
	step := func(what string, wantRuns int64, wantLine string) string {
		t.Helper()
		before := main.runs.Load()
		text := render()
		if got := main.runs.Load() - before; got != wantRuns {
			t.Errorf("%s: scraper ran %d times, want %d", what, got, wantRuns)
		}
		if !strings.Contains(text, wantLine+"\n") {
			t.Errorf("%s: no line %s", what, wantLine)
		}
		return text
	}

	step("cold", 1, up1)
	h0 := hits()
	warm := step("warm", 1, up1)
	h1 := hits()
	reused := step("reused", 0, up1)
	h2 := hits()
	if h1-h0 == 0 || h2-h1 != h1-h0 {
		t.Errorf("cache hits: a scrape counted %v, a reused one %v", h1-h0, h2-h1)
	}
	if !strings.Contains(reused, "billing_balance{") || strings.Count(warm, "\n") != strings.Count(reused, "\n") {
		t.Errorf("reused text differs from the scrape it reuses:\n%s\n---\n%s", warm, reused)
	}
	for _, tg := range exp.targets {
		if c := tg.scraper.(*countingScraper); c.runs.Load() != 2 {
			t.Errorf("%s ran %d times in three scrapes, want 2", tg.acct.Name, c.runs.Load())
		}
	}

	// The cache expires: the scraper refreshes, then the scrape after
	// (which changed nothing) is what the next ones reuse.
	clock.Add(int64(6 * time.Second))
	step("refresh", 1, up1)
	step("after refresh", 1, up1)
	step("reused again", 0, up1)

	// A failure: stale answers, up 0, never reused.
	demo.Server.SetFault(sandbox.FailUnder("/docspace/main"))
	clock.Add(int64(6 * time.Second))
	step("failing", 1, up0)
	step("still failing", 1, up0)
	demo.Server.SetFault(nil)
	step("recovered", 1, up1)
	step("after recovery", 1, up1)
	step("reused after recovery", 0, up1)
}

// Acefone renews its login token before it expires even while the
// dashboard's cached answer is fresh: a reused scrape must not skip that.
func TestTextRunsAcefoneWhenTokenDue(t *testing.T) {
	clock, now := testClock()
	demo, err := sandbox.StartDemo(now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(demo.Close)
	cfg := *demo.Config
	cfg.Global.CacheTTL = config.Duration(2 * time.Hour) // answers outlive the 1h token
	exp, err := New(&cfg, Options{Metrics: scrape.NewMetrics(nil), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var acefone *countingScraper
	for _, tg := range exp.targets {
		if tg.acct.Name == "acefone-uk" {
			acefone = &countingScraper{Scraper: tg.scraper}
			tg.scraper = acefone
		}
	}
	step := func(what string, want int64) {
		t.Helper()
		before := acefone.runs.Load()
		var b strings.Builder
		exp.AppendText(context.Background(), func(_ string, text []byte) { b.Write(text) })
		if got := acefone.runs.Load() - before; got != want {
			t.Errorf("%s: acefone ran %d times, want %d", what, got, want)
		}
		if !strings.Contains(b.String(), `billing_up{account="acefone-uk",provider="acefone"} 1`+"\n") {
			t.Errorf("%s: acefone-uk not up", what)
		}
	}
	step("cold", 1)
	step("warm", 1)
	step("reused", 0)
	clock.Add(int64(56 * time.Minute)) // within tokenMargin of the token's end
	step("token due", 1)
	step("after renewal", 1)
	step("reused again", 0)
}
