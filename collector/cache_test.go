package collector

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// upstreamCalls runs rounds of `scrapers` concurrent scrapes, 15 s apart on
// the test clock, against slow DocSpace fakes, and counts vendor requests.
func upstreamCalls(t *testing.T, scrapers, rounds int) int {
	t.Helper()
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	// Every answer takes a while, so that concurrent scrapes overlap and
	// must share one request rather than find a warm cache.
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		time.Sleep(20 * time.Millisecond)
		return false
	})
	cfg := &config.Config{Global: config.Global{CacheTTL: config.Duration(5 * time.Minute)}}
	for _, name := range []string{"a", "b"} {
		cfg.Accounts = append(cfg.Accounts, config.Account{Name: name, Provider: "docspace",
			BaseURL: srv.Mount("/"+name, sandbox.NewDocSpace(docspaceKey)), APIKey: docspaceKey})
	}
	h := newHarness(t, cfg)
	for i := 0; i < rounds; i++ {
		var wg sync.WaitGroup
		for s := 0; s < scrapers; s++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.scrapeWithin(10 * time.Second)
			}()
		}
		wg.Wait()
		if up := h.value("billing_up", map[string]string{"account": "a"}); up != 1 {
			t.Fatalf("round %d: billing_up = %v", i, up)
		}
		h.clock.Advance(15 * time.Second)
	}
	return len(srv.Requests())
}

// TestUpstreamCallsIndependentOfScrapers is the cache contract: two
// Prometheus replicas scraping every 15 s make exactly as many upstream
// calls as one. Over 60 rounds (15 simulated minutes) each account reads
// its four 5-minute endpoints at 0, 5 and 10 minutes and its two 1-hour
// endpoints (quotas, currencies) once: 4×3 + 2 = 14 calls per account.
func TestUpstreamCallsIndependentOfScrapers(t *testing.T) {
	const want = 2 * (4*3 + 2)
	one := upstreamCalls(t, 1, 60)
	two := upstreamCalls(t, 2, 60)
	if one != want || two != want {
		t.Errorf("upstream calls: one scraper %d, two scrapers %d; want exactly %d for both", one, two, want)
	}
}

// TestNeverAnsweredExportsNoValues: a starting exporter whose vendor is
// down must not read as zero money.
func TestNeverAnsweredExportsNoValues(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	retries := 0
	cfg := &config.Config{Global: config.Global{Retries: &retries}, Accounts: []config.Account{{Name: "a", Provider: "docspace",
		BaseURL: srv.Mount("/a", sandbox.NewDocSpace(docspaceKey)), APIKey: docspaceKey}}}
	h := newHarness(t, cfg)
	h.scrape()
	for _, mf := range h.snapshot() {
		switch mf.GetName() {
		case "billing_up", "billing_scrape_duration_seconds":
		default:
			if len(mf.GetName()) > 8 && mf.GetName()[:8] == "billing_" && mf.GetName()[:17] != "billing_upstream_" {
				t.Errorf("%s exported before any answer", mf.GetName())
			}
		}
	}
	if up := h.value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v", up)
	}
	if n := h.count("billing_last_success_timestamp_seconds", nil); n != 0 {
		t.Errorf("last success exported before any success")
	}
}

// TestStaleValuesWithinMaxStale: after a failed refresh the last good
// values stay (alerts do not flap) but billing_up drops at once; after
// max_stale they go.
func TestStaleValuesWithinMaxStale(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	retries := 0
	cfg := &config.Config{Global: config.Global{Retries: &retries, CacheTTL: config.Duration(5 * time.Minute), MaxStale: config.Duration(time.Hour)},
		Accounts: []config.Account{{Name: "a", Provider: "docspace", BaseURL: srv.Mount("/a", sandbox.NewDocSpace(docspaceKey)), APIKey: docspaceKey}}}
	h := newHarness(t, cfg)
	h.scrape()
	first := h.value("billing_last_success_timestamp_seconds", nil)
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		w.WriteHeader(http.StatusBadGateway)
		return true
	})
	h.clock.Advance(30 * time.Minute)
	h.scrape()
	if up := h.value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v during the outage, want 0", up)
	}
	if v := h.value("billing_balance", map[string]string{"currency": "USD"}); v != 1500.75 {
		t.Errorf("stale balance = %v, want the last good 1500.75", v)
	}
	if v := h.value("billing_last_success_timestamp_seconds", nil); v != first {
		t.Errorf("last success moved during the outage: %v -> %v", first, v)
	}
	if h.value("billing_upstream_cache_lookups_total", map[string]string{"result": "stale"}) == 0 {
		t.Error("no stale lookup counted")
	}
	h.clock.Advance(31 * time.Minute) // 61 minutes after the last good answer
	h.scrape()
	if n := h.count("billing_balance", nil); n != 0 {
		t.Errorf("balance still exported past max_stale (%d series)", n)
	}
}
