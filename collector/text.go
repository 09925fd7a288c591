package collector

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/billing-exporter/billing-exporter/internal/expo"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/prometheus/client_golang/prometheus"
)

// rendered is an account's billing values as text lines, by family index,
// from a scrape that failed nothing and read only fresh cached answers:
// until one expires or the scraper has work due, a scrape writes the same.
type rendered struct {
	until time.Time
	lines [][]byte
}

// Gather scrapes every account under ctx and returns what /metrics serves,
// in name order: the billing families and the upstream counters (after the
// scrape, so counting its calls) written by hand, and what shared gathers.
// An error names what could not be served; the rest is returned.
func (e *Exporter) Gather(ctx context.Context, shared prometheus.Gatherer) ([]expo.Family, error) {
	var fams []expo.Family
	add := func(name string, text []byte) { fams = append(fams, expo.Family{Name: name, Text: text}) }
	e.appendText(ctx, add)
	e.opt.Metrics.AppendText(add)
	mfs, err := shared.Gather()
	fams, merr := expo.Merge(fams, mfs)
	return fams, errors.Join(err, merr)
}

// fanOutPerSlot is how many accounts a scrape renders at once per slot of
// max_concurrency: enough to keep every slot busy while accounts between
// requests decode and render.
const fanOutPerSlot = 4

// appendText scrapes every account and calls add once per billing family
// that has series, in name order, with the family in the text format.
func (e *Exporter) appendText(ctx context.Context, add func(name string, text []byte)) {
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
	parts := make([][]byte, len(per))
	for _, f := range byName {
		for i, lines := range per {
			parts[i] = lines[f.idx]
		}
		if text := expo.AppendFamily(nil, f.name, f.help, "gauge", parts...); len(text) > 0 {
			add(f.name, text)
		}
	}
}

// renderTarget scrapes an account and renders its series, reusing its
// last rendered billing values while they stand.
func (e *Exporter) renderTarget(ctx context.Context, t *target) [][]byte {
	start := time.Now()
	t.mu.Lock()
	r := t.rendered
	t.mu.Unlock()
	var billing [][]byte
	var err error
	if r != nil && e.now().Before(r.until) {
		billing = r.lines
	} else {
		var reads scrape.Reads
		em := newEmitter(t.acct.Provider, t.acct.Name)
		err = runScraper(scrape.Recording(ctx, &reads), t.scraper, em)
		billing = em.lines()
		r = nil
		if until, ok := reads.Until(); ok && err == nil {
			if due := t.scraper.Due(); !due.IsZero() && due.Before(until) {
				until = due
			}
			r = &rendered{until: until, lines: billing}
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
