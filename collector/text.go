package collector

import (
	"bufio"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/internal/expo"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/prometheus/client_golang/prometheus"
)

// rendered is an account's billing values as text lines, from a scrape
// that failed nothing and read only answers the cache holds fresh: until
// one expires or the scraper has work due, a scrape writes the same.
type rendered struct {
	until time.Time
	lines provider.Lines
}

// scraped is what one scrape writes of an account, unchanged once rendered:
// its billing lines and its health lines (by health slot).
type scraped struct {
	billing provider.Lines
	health  [healthSlots][]byte
}

// Gather scrapes every account under ctx and returns what /metrics serves,
// in name order: the billing families and the upstream counters (after the
// scrape, so counting its calls) written by hand, and what shared gathers.
// An error names what could not be served; the rest is returned.
func (e *Exporter) Gather(ctx context.Context, shared prometheus.Gatherer) ([]expo.Family, error) {
	fams := append(e.render(ctx), e.opt.Metrics.Text()...)
	mfs, err := shared.Gather()
	fams, merr := expo.Merge(fams, mfs)
	return fams, errors.Join(err, merr)
}

// fanOutPerSlot is how many accounts a scrape renders at once per slot of
// max_concurrency: enough to keep every slot busy while accounts between
// requests decode and render.
const fanOutPerSlot = 4

// render scrapes every account and returns the billing families that have
// series, in name order. A family's lines are written from the accounts'
// own lines, not copied into one buffer per family, which would copy the
// whole answer once more per scrape.
func (e *Exporter) render(ctx context.Context) []expo.Family {
	per := make([]scraped, len(e.targets))
	var wg sync.WaitGroup
	// A few accounts per upstream slot are in flight, not all of them: the
	// rest would only wait for a slot, each on its own goroutine stack.
	slots := make(chan struct{}, fanOutPerSlot*max(e.cfg.MaxConcurrency, 1))
	for i, t := range e.targets {
		if s, ok := e.reuse(t); ok {
			per[i] = s // no goroutine for an account that runs no scraper
			continue
		}
		slots <- struct{}{}
		wg.Go(func() {
			per[i] = e.renderTarget(ctx, t)
			<-slots
		})
	}
	wg.Wait()
	var fams []expo.Family
	for _, f := range catalog {
		of := func(s *scraped) []byte {
			if f.Health >= 0 {
				return s.health[f.Health]
			}
			return s.billing.Of(f)
		}
		i := 0
		for i < len(per) && len(of(&per[i])) == 0 {
			i++
		}
		if i == len(per) {
			continue // no account has series of f
		}
		fams = append(fams, expo.Family{Name: f.Name, Text: f.Header,
			Series: func(w *bufio.Writer) {
				for i := range per {
					_, _ = w.Write(of(&per[i]))
				}
			}})
	}
	return fams
}

// reuse is the account's scrape from its last rendered billing values,
// if they still stand.
func (e *Exporter) reuse(t *target) (scraped, bool) {
	start := time.Now()
	r := t.rendered.Load()
	if r == nil || !e.opt.Now().Before(r.until) {
		return scraped{}, false
	}
	return scraped{billing: r.lines, health: e.health(t, nil, time.Since(start).Seconds())}, true
}

// renderTarget scrapes an account and renders its series, keeping them
// for reuse while the answers they come from stand.
func (e *Exporter) renderTarget(ctx context.Context, t *target) scraped {
	start := time.Now()
	var reads scrape.Reads
	em := provider.NewEmitter(t.acct.Provider, t.acct.Name, t.limits)
	err := runScraper(scrape.Recording(ctx, &reads), t.scraper, em)
	if em.Exceeded() {
		e.opt.Metrics.CountError(t.acct.Provider, t.acct.Name, scrape.ReasonTooLarge)
	}
	billing := em.Lines()
	var r *rendered
	if until, ok := reads.Until(); ok && err == nil {
		if due := t.scraper.Due(); !due.IsZero() && due.Before(until) {
			until = due
		}
		r = &rendered{until: until, lines: billing}
	}
	t.rendered.Store(r)
	return scraped{billing: billing, health: e.health(t, err, time.Since(start).Seconds())}
}

// Target is one account as service discovery lists it.
type Target struct {
	Name, Provider string
}

// Targets lists the accounts this exporter serves, in configuration order.
func (e *Exporter) Targets() []Target {
	out := make([]Target, 0, len(e.targets))
	for _, t := range e.targets {
		out = append(out, Target{Name: t.acct.Name, Provider: t.acct.Provider})
	}
	return out
}

// Probe is Gather for the one account named account, its billing and
// health families only, through the same clients, caches and reuse as
// every other scrape: an account read through both costs one upstream
// request. It reports false, calling nothing, if no account has that name.
func (e *Exporter) Probe(ctx context.Context, account string) ([]expo.Family, bool) {
	for _, t := range e.targets {
		if t.acct.Name == account {
			one := *e
			one.targets = []*target{t}
			return one.render(ctx), true
		}
	}
	return nil, false
}
