package collector

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/billing-exporter/billing-exporter/internal/expo"
	"github.com/billing-exporter/billing-exporter/scrape"
)

// rendered is an account's billing values as text lines, by family index,
// from a scrape that failed nothing and during which the client's
// generation stayed gen: it read fresh cached answers only.
type rendered struct {
	gen   uint64
	hits  uint64 // the cache hits that scrape counted
	lines [][]byte
}

// fanOutPerSlot is how many accounts a scrape renders at once per slot of
// max_concurrency: enough to keep every slot busy while accounts between
// requests decode and render.
const fanOutPerSlot = 4

// dueScraper is a Scraper with work to do even while every cached answer
// is fresh (Acefone renewing its login token).
type dueScraper interface{ due() bool }

// AppendText scrapes every account and calls add once per billing family
// that has series, in name order, with the family in the text format:
// what Collect yields, without a protobuf message per series (issue 7).
// An account whose cached answers have not changed since a scrape that
// failed nothing, and have not expired, is not scraped again: its lines
// from then are reused, as kube-state-metrics keeps its objects' text.
func (e *Exporter) AppendText(ctx context.Context, add func(name string, text []byte)) {
	per := make([][][]byte, len(e.targets))
	var wg sync.WaitGroup
	// A few accounts per upstream slot are in flight, not all of them: the
	// rest would only wait for a slot, each on its own goroutine stack (at
	// N = 10,000 a cold scrape peaked at 850 MiB of RSS instead of 330).
	slots := make(chan struct{}, fanOutPerSlot*max(e.cfg.MaxConcurrency, 1))
	for i, t := range e.targets {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			per[i] = e.renderTarget(ctx, t)
		}()
	}
	wg.Wait()
	for _, f := range byName {
		n := 0
		for _, lines := range per {
			n += len(lines[f.idx])
		}
		if n == 0 {
			continue
		}
		text := expo.AppendHeader(make([]byte, 0, n+len(f.help)+2*len(f.name)+32), f.name, f.help, "gauge")
		for _, lines := range per {
			text = append(text, lines[f.idx]...)
		}
		add(f.name, text)
	}
}

// renderTarget is scrapeTarget in text, reusing the account's last
// rendered billing values when nothing they came from has changed.
func (e *Exporter) renderTarget(ctx context.Context, t *target) [][]byte {
	start := time.Now()
	t.mu.Lock()
	r := t.rendered
	t.mu.Unlock()
	var billing [][]byte
	var err error
	if r != nil && r.gen == t.client.Generation() && t.client.Fresh() && !isDue(t.scraper) {
		// What running the scraper would have counted: its cache hits.
		t.client.CountHits(r.hits)
		billing = r.lines
	} else {
		gen := t.client.Generation()
		var hits atomic.Uint64
		em := newEmitter(t.acct.Provider, t.acct.Name)
		err = runScraper(scrape.CountingHits(ctx, &hits), t.scraper, em)
		billing = em.lines()
		r = nil
		if err == nil && t.client.Generation() == gen {
			r = &rendered{gen: gen, hits: hits.Load(), lines: billing}
		}
		t.mu.Lock()
		t.rendered = r
		t.mu.Unlock()
	}
	em := newEmitter(t.acct.Provider, t.acct.Name)
	e.health(t, em, err, time.Since(start).Seconds())
	out := em.lines() // health families only: the scrapers never emit them
	for i, b := range billing {
		if len(b) > 0 {
			out[i] = b
		}
	}
	return out
}

func isDue(s Scraper) bool {
	d, ok := s.(dueScraper)
	return ok && d.due()
}
