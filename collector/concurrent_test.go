package collector_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/series"
	"github.com/prometheus/client_golang/prometheus"
)

// billingText is the billing series of a scrape, one line each, without
// those that describe the scrape itself (up, duration, upstream counters).
func billingText(t *testing.T, h *collectortest.Harness) string {
	t.Helper()
	var b strings.Builder
	for _, mf := range h.Snapshot() {
		name := mf.GetName()
		if !strings.HasPrefix(name, "billing_") || strings.HasPrefix(name, "billing_upstream_") ||
			name == "billing_up" || name == "billing_scrape_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			b.WriteString(name + "{" + series.Key(m) + "} " + m.GetGauge().String() + "\n")
		}
	}
	return b.String()
}

// Every provider's accounts scraped through /metrics and /probe at once,
// warm and while an endpoint of each provider fails (so
// that no rendered text is reused and every scrape reads the cached
// answers), run clean under -race and leave what the cache serves as it
// was: no scrape changes what another reads.
func TestConcurrentScrapesOfEveryProviderShareNothing(t *testing.T) {
	// No retries: a failing endpoint answers at once, and the test waits
	// on no backoff.
	h, demo, _ := demoHarness(t, func(c *config.Config) {
		retries := 0
		c.Global.Retries = &retries
	})
	h.Scrape() // cold
	h.Scrape() // warm

	concurrently := func(what string) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan string, 64)
		for i := range 8 {
			wg.Go(func() {
				for range 4 {
					if i%2 == 0 {
						if _, err := collectortest.GatherParsed(context.Background(), h.Exp, prometheus.NewRegistry()); err != nil {
							errs <- err.Error()
						}
						continue
					}
					for _, a := range demo.Config.Accounts {
						if _, ok := h.Exp.Probe(context.Background(), a.Name); !ok {
							errs <- "no account " + a.Name
						}
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Errorf("%s: %s", what, e)
		}
	}

	warm := billingText(t, h)
	concurrently("warm")
	h.Scrape()
	if got := billingText(t, h); got != warm {
		t.Errorf("warm: the billing series changed under concurrent scrapes:\n%s\nwant\n%s", got, warm)
	}

	failing := map[string]string{} // provider -> path template
	for _, p := range collector.Providers {
		for _, ep := range p.Endpoints {
			if ep.TTL == 0 { // refreshed at the account's TTL, the demo's 5s
				failing[p.Name] = ep.Path
				break
			}
		}
	}
	demo.Server.SetFault(func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		// Below the mount point of an account, wherever the demo mounted it.
		for rest := r.URL.Path; rest != ""; {
			for _, tmpl := range failing {
				if r.Method == http.MethodGet && collectortest.MatchPath(tmpl, rest) {
					w.WriteHeader(http.StatusBadGateway)
					return true
				}
			}
			i := strings.IndexByte(rest[1:], '/')
			if i < 0 {
				break
			}
			rest = rest[i+1:]
		}
		return false
	})
	h.Clock.Advance(time.Minute) // past the demo's cache TTL: every refresh of those endpoints fails
	h.Scrape()
	for _, a := range demo.Config.Accounts {
		if up := h.Value("billing_up", map[string]string{"account": a.Name}); up != 0 {
			t.Fatalf("%s: billing_up %v with its first endpoint failing", a.Name, up)
		}
	}
	stale := billingText(t, h)
	concurrently("failing")
	h.Scrape()
	if got := billingText(t, h); got != stale {
		t.Errorf("failing: the billing series served from the cache changed under concurrent scrapes:\n%s\nwant\n%s", got, stale)
	}
}
