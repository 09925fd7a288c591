package collector

import (
	"context"

	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/prometheus/client_golang/prometheus"
)

// What the external tests of the engine reach inside it.

// NewReference is the reference collector of e.
func NewReference(e *Exporter) prometheus.Collector { return reference{e} }

// reference is the billing families through client_golang alone: every
// account scraped (never reused), each series a const metric, gathered by
// a pedantic Registry. It is what the hand-written text is held to.
type reference struct{ e *Exporter }

func (r reference) desc(f *provider.Family) *prometheus.Desc {
	return prometheus.NewDesc(f.Name, f.Help, f.Names, nil)
}

func (r reference) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range catalog {
		ch <- r.desc(f)
	}
}

func (r reference) Collect(ch chan<- prometheus.Metric) {
	for _, t := range r.e.targets {
		em := provider.NewEmitter(t.acct.Provider, t.acct.Name, t.limits)
		err := runScraper(context.Background(), t.scraper, em)
		r.e.health(t, err, 0) // records the last success, as a scrape does
		up := 1.0
		if err != nil {
			up = 0
		}
		em.Gauge(upFamily, up)
		em.Gauge(scrapeDurationFamily, 0)
		if last := t.lastSuccess.Load(); last != 0 {
			em.Gauge(lastSuccessFamily, float64(last)/1e9)
		}
		for cur, v := range t.acct.Alerts.MinBalance {
			em.Gauge(balanceThresholdFamily, v, cur)
		}
		for cur, v := range t.acct.Alerts.MonthlyBudget {
			em.Gauge(costBudgetFamily, v, cur)
		}
		em.Each(func(f *provider.Family, v float64, values []string) {
			ch <- prometheus.MustNewConstMetric(r.desc(f), prometheus.GaugeValue, v, values...)
		})
	}
}

// WrapScrapers replaces each account's scraper with wrap's.
func WrapScrapers(e *Exporter, wrap func(account string, s provider.Scraper) provider.Scraper) {
	for _, t := range e.targets {
		t.scraper = wrap(t.acct.Name, t.scraper)
	}
}

// SameTarget reports whether a and b hold the very same i-th account,
// client and cache included.
func SameTarget(a, b *Exporter, i int) bool { return a.targets[i] == b.targets[i] }

// LogInterval is how long a failure stays quiet after it is logged.
const LogInterval = logInterval

// MaxLogKeys is how many distinct failures an account logs in one interval.
const MaxLogKeys = maxLogKeys
