package collector_test

import (
	"bytes"
	"cmp"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/docspace"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// upstreamCalls runs rounds of `scrapers` concurrent scrapes, 15 s apart on
// the test clock, against DocSpace fakes, and counts vendor requests.
// Whether concurrent scrapes overlap (and share one request) or not (and
// find a warm cache), the count is the same; scrape's TestCoalescing holds
// the overlap itself.
func upstreamCalls(t *testing.T, scrapers, rounds int) int {
	t.Helper()
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	cfg := &config.Config{Global: config.Global{CacheTTL: config.Duration(5 * time.Minute)}}
	for _, name := range []string{"a", "b"} {
		cfg.Accounts = append(cfg.Accounts, config.Account{Name: name, Provider: "docspace",
			BaseURL: srv.Mount("/"+name, docspace.NewFake(docspaceKey)), APIKey: docspaceKey})
	}
	h := collectortest.New(t, cfg)
	for i := 0; i < rounds; i++ {
		var wg sync.WaitGroup
		for s := 0; s < scrapers; s++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.ScrapeWithin(10 * time.Second)
			}()
		}
		wg.Wait()
		if up := h.Value("billing_up", map[string]string{"account": "a"}); up != 1 {
			t.Fatalf("round %d: billing_up = %v", i, up)
		}
		h.Clock.Advance(15 * time.Second)
	}
	return len(srv.Requests())
}

// TestUpstreamCallsIndependentOfScrapers is the cache contract: two
// Prometheus replicas scraping every 15 s make exactly as many upstream
// calls as one. Over 60 rounds (15 simulated minutes) each account reads
// its six 5-minute endpoints at 0, 5 and 10 minutes and its two 1-hour
// endpoints (quotas, currencies) once: 6×3 + 2 = 20 calls per account.
func TestUpstreamCallsIndependentOfScrapers(t *testing.T) {
	t.Parallel()
	const want = 2 * (6*3 + 2)
	one := upstreamCalls(t, 1, 60)
	two := upstreamCalls(t, 2, 60)
	if one != want || two != want {
		t.Errorf("upstream calls: one scraper %d, two scrapers %d; want exactly %d for both", one, two, want)
	}
}

// TestNeverAnsweredExportsNoValues: a starting exporter whose vendor is
// down must not read as zero money, whatever the provider.
func TestNeverAnsweredExportsNoValues(t *testing.T) {
	for _, p := range []string{"docspace", "acefone", "acefone-login", "qovery"} {
		t.Run(p, func(t *testing.T) {
			srv := sandbox.NewServer()
			t.Cleanup(srv.Close)
			srv.SetFault(func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
				if r.Method != http.MethodGet {
					return false // logins work; the billing endpoints do not
				}
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			})
			acct, _ := faultAccounts()[p].account(t, srv, "a")
			retries := 0
			h := collectortest.New(t, &config.Config{Global: config.Global{Retries: &retries}, Accounts: []config.Account{acct}})
			h.Scrape()
			for _, mf := range h.Snapshot() {
				switch name := mf.GetName(); {
				case name == "billing_up", name == "billing_scrape_duration_seconds", strings.HasPrefix(name, "billing_upstream_"):
				case strings.HasPrefix(name, "billing_"):
					t.Errorf("%s exported before any answer: %v", name, mf.GetMetric())
				}
			}
			if up := h.Value("billing_up", nil); up != 0 {
				t.Errorf("billing_up = %v", up)
			}
			if n := h.Count("billing_last_success_timestamp_seconds", nil); n != 0 {
				t.Errorf("last success exported before any success")
			}
		})
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
		Accounts: []config.Account{{Name: "a", Provider: "docspace", BaseURL: srv.Mount("/a", docspace.NewFake(docspaceKey)), APIKey: docspaceKey}}}
	h := collectortest.New(t, cfg)
	h.Scrape()
	first := h.Value("billing_last_success_timestamp_seconds", nil)
	if want := float64(h.Clock.Now().Unix()); first != want {
		t.Errorf("billing_last_success_timestamp_seconds = %v, want the scrape's time %v", first, want)
	}
	srv.SetFault(func(w http.ResponseWriter, _ *http.Request, _ http.Handler) bool {
		w.WriteHeader(http.StatusBadGateway)
		return true
	})
	h.Clock.Advance(30 * time.Minute)
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v during the outage, want 0", up)
	}
	if v := h.Value("billing_balance", map[string]string{"currency": "USD", "wallet": ""}); v != 1500.75 {
		t.Errorf("stale balance = %v, want the last good 1500.75", v)
	}
	if v := h.Value("billing_last_success_timestamp_seconds", nil); v != first {
		t.Errorf("last success moved during the outage: %v -> %v", first, v)
	}
	if h.Value("billing_upstream_cache_lookups_total", map[string]string{"result": "stale"}) == 0 {
		t.Error("no stale lookup counted")
	}
	h.Clock.Advance(31 * time.Minute) // 61 minutes after the last good answer
	h.Scrape()
	if n := h.Count("billing_balance", nil); n != 0 {
		t.Errorf("balance still exported past max_stale (%d series)", n)
	}
}

// TestCacheTTLOverrides: global.cache_ttl, an account's cache_ttl and its
// endpoint_cache_ttl decide how often each endpoint is read; the built-in
// hour of plan lists and currencies applies unless configured otherwise
// and is never shorter than the account's TTL.
func TestCacheTTLOverrides(t *testing.T) {
	t.Parallel()
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	two := config.Duration(2 * time.Minute)
	cfg := &config.Config{Global: config.Global{CacheTTL: config.Duration(5 * time.Minute)}, Accounts: []config.Account{
		{Name: "plain", Provider: "docspace", BaseURL: srv.Mount("/plain", docspace.NewFake(docspaceKey)), APIKey: docspaceKey},
		{Name: "custom", Provider: "docspace", BaseURL: srv.Mount("/custom", docspace.NewFake(docspaceKey)), APIKey: docspaceKey,
			CacheTTL: &two, EndpointCacheTTL: map[string]config.Duration{
				"customer/balance": config.Duration(30 * time.Second), "quotas": config.Duration(10 * time.Minute)}},
	}}
	h := collectortest.New(t, cfg)
	h.ScrapeEvery(80, 15*time.Second) // 20 minutes of 15 s scrapes
	count := srv.RequestsPerPath()
	const api = "/api/2.0/portal/payment/"
	for path, want := range map[string]int{
		// global cache_ttl 5m, quotas and currencies 1h
		"/plain" + api + "customerinfo": 4, "/plain" + api + "customer/balance": 4, "/plain" + api + "quota": 4,
		"/plain" + api + "topupsettings": 4, "/plain" + api + "quotas": 1, "/plain" + api + "currencies": 1,
		// account cache_ttl 2m; balance 30s and quotas 10m configured; currencies keep their hour
		"/custom" + api + "customerinfo": 10, "/custom" + api + "customer/balance": 40, "/custom" + api + "quota": 10,
		"/custom" + api + "topupsettings": 10, "/custom" + api + "quotas": 2, "/custom" + api + "currencies": 1,
	} {
		if count[path] != want {
			t.Errorf("%s read %d times in 20 minutes, want %d", path, count[path], want)
		}
	}
}

// holdAndCount is a fault that records the most requests in flight at
// once, in all and per account (the first path segment). It holds every
// request until the exporter cannot send another one: the global cap, or
// every account's cap, is reached (counting only requests still to come),
// so that the maximum is what the caps allow, on any machine.
type holdAndCount struct {
	caps     map[string]int // "" is the global cap
	left     map[string]int // requests still to come or in flight, "" in all
	mu       sync.Mutex
	gate     chan struct{} // closed when the requests in flight saturate the caps
	now, max map[string]int
}

func newHoldAndCount(caps, requests map[string]int) *holdAndCount {
	c := &holdAndCount{caps: caps, left: map[string]int{}, gate: make(chan struct{}), now: map[string]int{}, max: map[string]int{}}
	for acct, n := range requests {
		c.left[acct] += n
		c.left[""] += n
	}
	return c
}

// saturatedLocked: no further request can start before one ends.
func (c *holdAndCount) saturatedLocked() bool {
	if c.now[""] >= min(c.caps[""], c.left[""]) {
		return true
	}
	for acct, left := range c.left {
		if acct != "" && c.now[acct] < min(c.caps[acct], left) {
			return false
		}
	}
	return true
}

func (c *holdAndCount) fault(_ http.ResponseWriter, r *http.Request, _ http.Handler) bool {
	acct := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0]
	c.mu.Lock()
	for _, k := range []string{"", acct} {
		c.now[k]++
		c.max[k] = max(c.max[k], c.now[k])
	}
	gate := c.gate
	if c.saturatedLocked() {
		close(c.gate)
		c.gate = make(chan struct{})
	}
	c.mu.Unlock()
	<-gate
	c.mu.Lock()
	for _, k := range []string{"", acct} {
		c.now[k]--
		c.left[k]--
	}
	c.mu.Unlock()
	return false
}

// TestConcurrencyLimitsFromConfig: global.max_concurrency bounds requests
// in flight across accounts, account_max_concurrency per account, and an
// account's max_concurrency overrides the latter.
func TestConcurrencyLimitsFromConfig(t *testing.T) {
	run := func(t *testing.T, g config.Global, accts map[string]int) map[string]int {
		srv := sandbox.NewServer()
		t.Cleanup(srv.Close)
		// Each DocSpace account reads its six endpoints once.
		caps := map[string]int{"": cmp.Or(g.MaxConcurrency, config.DefaultMaxConcurrency)}
		requests := map[string]int{}
		for _, name := range []string{"a", "b", "c"} {
			caps[name] = cmp.Or(accts[name], g.AccountMaxConcurrency, config.DefaultAccountMaxConc)
			requests[name] = len(docspace.Provider.Endpoints)
		}
		c := newHoldAndCount(caps, requests)
		srv.SetFault(c.fault)
		cfg := &config.Config{Global: g}
		for _, name := range []string{"a", "b", "c"} {
			cfg.Accounts = append(cfg.Accounts, config.Account{Name: name, Provider: "docspace",
				BaseURL: srv.Mount("/"+name, docspace.NewFake(docspaceKey)), APIKey: docspaceKey, MaxConcurrency: accts[name]})
		}
		h := collectortest.New(t, cfg)
		h.Scrape()
		for _, name := range []string{"a", "b", "c"} {
			if up := h.Value("billing_up", map[string]string{"account": name}); up != 1 {
				t.Errorf("%s: billing_up = %v", name, up)
			}
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.max
	}
	t.Run("global", func(t *testing.T) {
		// Three accounts of six endpoints each, four at a time per account.
		if got := run(t, config.Global{MaxConcurrency: 2}, nil)[""]; got != 2 {
			t.Errorf("at most %d requests in flight, want 2 (global.max_concurrency)", got)
		}
	})
	t.Run("per account", func(t *testing.T) {
		got := run(t, config.Global{AccountMaxConcurrency: 3}, map[string]int{"a": 1})
		if got["a"] != 1 || got["b"] != 3 || got["c"] != 3 {
			t.Errorf("most requests in flight per account %v, want a:1 (max_concurrency) b:3 c:3 (account_max_concurrency)", got)
		}
	})
}

// TestRequestsPerMinuteFromConfig: an account's requests_per_minute is a
// token bucket (ten seconds' worth at once); calls that find it empty
// before their deadline fail as rate_limited without reaching the vendor.
func TestRequestsPerMinuteFromConfig(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	timeout := config.Duration(time.Second)
	cfg := &config.Config{Accounts: []config.Account{{Name: "a", Provider: "docspace", Timeout: &timeout,
		BaseURL: srv.Mount("/a", docspace.NewFake(docspaceKey)), APIKey: docspaceKey, RequestsPerMinute: 6}}}
	h := collectortest.New(t, cfg)
	h.ScrapeWithin(5 * time.Second)
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests reached the vendor, want 1 (6 per minute, one at once)", n)
	}
	if n, want := h.Value("billing_upstream_errors_total", map[string]string{"reason": "rate_limited"}), float64(len(docspace.Provider.Endpoints)-1); n != want {
		t.Errorf("rate_limited errors: %v, want %v", n, want)
	}
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v", up)
	}
}

// TestScrapeDeadlineAnswersWithWhatItHas: a scrape whose deadline (from
// X-Prometheus-Scrape-Timeout-Seconds) comes before the request timeout
// returns at its deadline with every endpoint and account that answered.
func TestScrapeDeadlineAnswersWithWhatItHas(t *testing.T) {
	t.Parallel()
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	release := make(chan struct{})
	srv.SetFault(func(_ http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		if strings.HasPrefix(r.URL.Path, "/slow/") && strings.HasSuffix(r.URL.Path, "/quota") {
			<-release // a vendor slower than any scrape, until the test frees it
		}
		return false
	})
	free := sync.OnceFunc(func() { close(release) })
	t.Cleanup(free)
	cfg := &config.Config{Global: config.Global{Timeout: config.Duration(time.Minute)}, Accounts: []config.Account{
		{Name: "slow", Provider: "docspace", BaseURL: srv.Mount("/slow", docspace.NewFake(docspaceKey)), APIKey: docspaceKey},
		{Name: "fast", Provider: "docspace", BaseURL: srv.Mount("/fast", docspace.NewFake(docspaceKey)), APIKey: docspaceKey},
	}}
	h := collectortest.New(t, cfg)
	// Not a speed target: far below the one-minute request timeout that
	// the scrape would otherwise wait out.
	if took := h.ScrapeWithin(time.Second); took > 20*time.Second {
		t.Errorf("the scrape took %v; its deadline was 1s", took)
	}
	if up := h.Value("billing_up", map[string]string{"account": "slow"}); up != 0 {
		t.Errorf("slow: billing_up = %v", up)
	}
	if up := h.Value("billing_up", map[string]string{"account": "fast"}); up != 1 {
		t.Errorf("fast: billing_up = %v", up)
	}
	if v := h.Value("billing_balance", map[string]string{"account": "slow", "currency": "USD", "wallet": ""}); v != 1500.75 {
		t.Errorf("slow account's balance = %v: endpoints that answered must be exported", v)
	}
	if n := h.Count("billing_plan_info", map[string]string{"account": "slow"}); n != 0 {
		t.Errorf("the endpoint that did not answer exports %d plan series", n)
	}
	if n := h.Value("billing_upstream_errors_total", map[string]string{"account": "slow", "reason": "timeout"}); n != 1 {
		t.Errorf("timeout errors of the slow account: %v, want 1", n)
	}
	if logs := h.Logs.String(); !strings.Contains(logs, "account=slow") || !strings.Contains(logs, "endpoint=quota") ||
		!strings.Contains(logs, "reason=timeout") {
		t.Errorf("the log does not name the account, endpoint and reason:\n%s", logs)
	}

	// The request the deadline left behind goes on: once the vendor
	// answers, the next scrape has it. Waiting for it here also ends the
	// request before the server closes, which would make it retry past
	// the end of the test.
	free()
	h.Scrape()
	if up := h.Value("billing_up", map[string]string{"account": "slow"}); up != 1 {
		t.Errorf("slow, once its vendor answered: billing_up = %v", up)
	}
}

// TestMaxResponseBytesFromConfig: global.max_response_bytes bounds every
// answer; the default (10 MiB) takes a padded answer the small limit refuses.
func TestMaxResponseBytesFromConfig(t *testing.T) {
	for _, tc := range []struct {
		limit int64
		up    float64
	}{{0, 1}, {1024, 0}} {
		t.Run(fmt.Sprint(tc.limit), func(t *testing.T) {
			srv := sandbox.NewServer()
			t.Cleanup(srv.Close)
			srv.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
				if !strings.HasSuffix(r.URL.Path, "/customerinfo") {
					return false
				}
				garble(func(b []byte) []byte { return append(b, bytes.Repeat([]byte(" "), 4096)...) })(w, r, next, 1)
				return true
			})
			cfg := &config.Config{Global: config.Global{MaxResponseBytes: tc.limit}, Accounts: []config.Account{{Name: "a",
				Provider: "docspace", BaseURL: srv.Mount("/a", docspace.NewFake(docspaceKey)), APIKey: docspaceKey}}}
			h := collectortest.New(t, cfg)
			h.Scrape()
			if up := h.Value("billing_up", nil); up != tc.up {
				t.Errorf("billing_up = %v, want %v", up, tc.up)
			}
			if n := h.Value("billing_upstream_errors_total", map[string]string{"reason": "too_large"}); (n > 0) != (tc.up == 0) {
				t.Errorf("too_large errors: %v", n)
			}
		})
	}
}
