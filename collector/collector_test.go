package collector_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/collector/acefone"
	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/docspace"
	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/collector/qovery"
	"github.com/billing-exporter/billing-exporter/collector/telnyx"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/readme"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// panicky is a provider whose collector panics, to prove the fan-out
// contains it.
type panicky struct{}

func (panicky) Scrape(context.Context, *provider.Emitter) error { panic("boom") }
func (panicky) Due() time.Time                                  { return time.Time{} }

func TestPanicInOneAccountHidesNoOther(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	cfg := &config.Config{Accounts: []config.Account{
		{Name: "a", Provider: "docspace", BaseURL: srv.Mount("/a", docspace.NewFake(docspaceKey)), APIKey: docspaceKey},
		{Name: "b", Provider: "docspace", BaseURL: srv.Mount("/b", docspace.NewFake(docspaceKey)), APIKey: docspaceKey},
	}}
	h := collectortest.New(t, cfg)
	collector.WrapScrapers(h.Exp, func(account string, s provider.Scraper) provider.Scraper {
		if account == "a" {
			return panicky{}
		}
		return s
	})
	h.Scrape()
	if up := h.Value("billing_up", map[string]string{"account": "a"}); up != 0 {
		t.Errorf("panicking account: billing_up = %v", up)
	}
	if up := h.Value("billing_up", map[string]string{"account": "b"}); up != 1 {
		t.Errorf("other account: billing_up = %v", up)
	}
	if !strings.Contains(h.Logs.String(), "collector panicked: boom") {
		t.Errorf("panic not logged:\n%s", h.Logs.String())
	}
}

func TestFailureLogsAreRateLimited(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		if strings.HasSuffix(r.URL.Path, "/currencies") {
			w.WriteHeader(http.StatusNotFound)
			return true
		}
		return false
	})
	cfg := &config.Config{Accounts: []config.Account{{Name: "a", Provider: "docspace",
		BaseURL: srv.Mount("/a", docspace.NewFake(docspaceKey)), APIKey: docspaceKey}}}
	h := collectortest.New(t, cfg)
	h.ScrapeEvery(10, 15*time.Second)
	if n := strings.Count(h.Logs.String(), "endpoint=currencies"); n != 1 {
		t.Errorf("a dead endpoint was logged %d times in 10 scrapes within 5 minutes, want once", n)
	}
	h.Clock.Advance(5 * time.Minute)
	h.Scrape()
	if n := strings.Count(h.Logs.String(), "endpoint=currencies"); n != 2 {
		t.Errorf("after 5 minutes the failure was logged %d times in all, want 2", n)
	}
}

// failing is a scraper that fails two endpoints on every scrape, without
// calling anyone.
type failing struct{ provider, account string }

func (f failing) Scrape(context.Context, *provider.Emitter) error {
	fail := func(endpoint string, reason scrape.Reason) error {
		return &scrape.Error{Provider: f.provider, Account: f.account, Endpoint: endpoint, Reason: reason}
	}
	return errors.Join(fail("organization", scrape.ReasonTransport), fail("organization/currentCost", scrape.ReasonTimeout))
}
func (failing) Due() time.Time { return time.Time{} }

// 10,000 failing accounts, two failures each, log each failure once per
// window, as one account does: the limiter does not forget what it let
// through while there is much of it.
func TestFailureLogsHoldAtTenThousandAccounts(t *testing.T) {
	t.Parallel()
	const n = 10000
	cfg := &config.Config{}
	for i := range n {
		cfg.Accounts = append(cfg.Accounts, config.Account{Name: fmt.Sprintf("q%05d", i), Provider: "qovery",
			BaseURL: "http://127.0.0.1:1", APIKey: "qov-unused"})
	}
	h := collectortest.New(t, cfg)
	collector.WrapScrapers(h.Exp, func(account string, _ provider.Scraper) provider.Scraper {
		return failing{"qovery", account}
	})
	logged := func() int { return strings.Count(h.Logs.String(), "msg=\"scrape failed\"") }
	scrape := func() {
		t.Helper()
		if _, err := h.Exp.Gather(context.Background(), prometheus.NewRegistry()); err != nil {
			t.Fatal(err)
		}
	}
	scrape()
	if got := logged(); got != 2*n {
		t.Fatalf("first scrape logged %d failures, want %d", got, 2*n)
	}
	for range 3 {
		h.Clock.Advance(time.Minute)
		scrape()
	}
	if got := logged(); got != 2*n {
		t.Errorf("%d failures logged after 4 scrapes within %v, want %d: each once", got, collector.LogInterval, 2*n)
	}
	h.Clock.Advance(collector.LogInterval)
	scrape()
	if got := logged(); got != 4*n {
		t.Errorf("%d failures logged once the window passed, want %d", got, 4*n)
	}
}

// changing fails with a message of its own on every scrape.
type changing struct{ n *atomic.Int64 }

func (c changing) Scrape(context.Context, *provider.Emitter) error {
	return fmt.Errorf("the vendor said something new, %d", c.n.Add(1))
}
func (changing) Due() time.Time { return time.Time{} }

// An account whose failures never repeat logs a bounded number of them per
// window: its messages cannot grow the limiter without end.
func TestFailureLogsOfEverChangingMessagesAreBounded(t *testing.T) {
	h := collectortest.New(t, &config.Config{Accounts: []config.Account{docspaceAccount(newServer(t), "a")}})
	var n atomic.Int64
	collector.WrapScrapers(h.Exp, func(string, provider.Scraper) provider.Scraper { return changing{&n} })
	for range 2 * collector.MaxLogKeys {
		if _, err := h.Exp.Gather(context.Background(), prometheus.NewRegistry()); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Count(h.Logs.String(), "something new"); got != collector.MaxLogKeys {
		t.Errorf("%d distinct failures logged in one window, want %d", got, collector.MaxLogKeys)
	}
}

func TestReloadKeepsUnchangedAccountsCaches(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	acct := func(name string) config.Account {
		return config.Account{Name: name, Provider: "docspace", BaseURL: srv.Mount("/"+name, docspace.NewFake(docspaceKey)), APIKey: docspaceKey}
	}
	keep, drop, added := acct("keep"), acct("drop"), acct("new")
	cfg := &config.Config{Global: config.Global{CacheTTL: config.Duration(time.Hour)}, Accounts: []config.Account{keep, drop}}
	h := collectortest.New(t, cfg)
	h.Scrape()
	before := len(srv.Requests())

	next := &config.Config{Global: config.Global{CacheTTL: config.Duration(time.Hour)}, Accounts: []config.Account{keep, added}}
	if err := next.Validate(func(string) (string, bool) { return "", false }, collector.ConfigProviders()); err != nil {
		t.Fatal(err)
	}
	exp, err := h.Exp.Reload(next)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(accountNames(exp), ","); got != "keep,new" {
		t.Fatalf("accounts after reload = %s", got)
	}
	if !collector.SameTarget(exp, h.Exp, 0) {
		t.Error("unchanged account was rebuilt: its cache is lost")
	}
	if h.Count("billing_upstream_cache_lookups_total", map[string]string{"account": "drop"}) == 0 {
		t.Fatal("test setup: dropped account had no upstream series")
	}
	// Swap the harness over to the reloaded exporter.
	h.Use(exp)
	h.Scrape()
	if n, want := len(srv.Requests())-before, len(docspace.Provider.Endpoints); n != want {
		t.Errorf("reload made %d upstream requests, want %d (only the new account's endpoints)", n, want)
	}
	if n := h.Count("billing_up", map[string]string{"account": "drop"}); n != 0 {
		t.Error("removed account still exported")
	}
	if n := h.Count("billing_upstream_cache_lookups_total", map[string]string{"account": "drop"}); n != 0 {
		t.Error("removed account's upstream series still exported")
	}

	bad := &config.Config{Accounts: []config.Account{{Name: "x", Provider: "nope"}}}
	if _, err := h.Exp.Reload(bad); err == nil {
		t.Error("reload accepted an unknown provider")
	}
}

// validated is cfg as Load leaves it, for Reload.
func validated(t *testing.T, cfg *config.Config) *config.Config {
	t.Helper()
	if err := cfg.Validate(func(string) (string, bool) { return "", false }, collector.ConfigProviders()); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// A key changed in the config keeps the account's cache: the reload calls
// no vendor, and once an answer is due the request carries the new key,
// which the vendor now takes alone. A reload that fails after the key
// changed leaves the running exporter on the old key.
func TestReloadWithNewKeyKeepsCache(t *testing.T) {
	const newKey = "sk-fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	srv := newServer(t)
	var portal atomic.Pointer[docspace.Fake] // swapped for one that takes the new key
	portal.Store(docspace.NewFake(docspaceKey))
	var withOld, withNew atomic.Int64
	rotating := config.Account{Name: "rotating", Provider: "docspace", APIKey: docspaceKey,
		BaseURL: srv.Mount("/rotating", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.Header.Get("Authorization") {
			case "Bearer " + docspaceKey:
				withOld.Add(1)
			case "Bearer " + newKey:
				withNew.Add(1)
			}
			portal.Load().ServeHTTP(w, r)
		}))}
	steady := docspaceAccount(srv, "steady")
	global := config.Global{CacheTTL: config.Duration(time.Hour)}
	h := collectortest.New(t, &config.Config{Global: global, Accounts: []config.Account{rotating, steady}})
	h.Scrape()
	rotated := rotating
	rotated.APIKey = newKey

	bad := steady
	bad.EndpointCacheTTL = map[string]config.Duration{"no-such-endpoint": config.Duration(time.Hour)}
	if _, err := h.Exp.Reload(validated(t, &config.Config{Global: global, Accounts: []config.Account{rotated, bad}})); err == nil {
		t.Fatal("reload with an unknown endpoint succeeded")
	}
	h.Clock.Advance(2 * time.Hour)
	h.Scrape()
	if withNew.Load() != 0 || h.Value("billing_up", map[string]string{"account": "rotating"}) != 1 {
		t.Fatalf("after a failed reload the running exporter sent the new key %d times", withNew.Load())
	}

	portal.Store(docspace.NewFake(newKey))
	old, before := withOld.Load(), len(srv.Requests())
	next, err := h.Exp.Reload(validated(t, &config.Config{Global: global, Accounts: []config.Account{rotated, steady}}))
	if err != nil {
		t.Fatal(err)
	}
	if collector.SameTarget(next, h.Exp, 0) || !collector.SameTarget(next, h.Exp, 1) {
		t.Fatal("want the rotated account rekeyed and the other kept as it was")
	}
	h.Use(next)
	h.Scrape()
	if n := len(srv.Requests()) - before; n != 0 || h.Value("billing_up", map[string]string{"account": "rotating"}) != 1 {
		t.Errorf("a new key cost %d upstream requests; want the cache kept", n)
	}
	h.Clock.Advance(2 * time.Hour)
	h.Scrape()
	if h.Value("billing_up", map[string]string{"account": "rotating"}) != 1 || withNew.Load() == 0 || withOld.Load() != old {
		t.Errorf("after the TTL: %d requests with the new key, %d more with the old; want only the new",
			withNew.Load(), withOld.Load()-old)
	}
}

// A new Acefone password logs in again at the next scrape, with the new
// password, while the dashboard's cached answer still stands.
func TestReloadWithNewPasswordLogsInAgain(t *testing.T) {
	srv := newServer(t)
	fake := acefone.NewFake("", "ops@example.com", "old-password")
	url := srv.Mount("/uk", fake)
	account := func(password string) config.Account {
		return config.Account{Name: "uk", Provider: "acefone", BaseURL: url,
			Settings: config.Settings{"username": config.Setting("ops@example.com"), "password": config.Setting(password)}}
	}
	global := config.Global{CacheTTL: config.Duration(time.Hour)}
	h := collectortest.New(t, &config.Config{Global: global, Accounts: []config.Account{account("old-password")}})
	h.Scrape()
	dashboards := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if strings.HasSuffix(r.Path, "/v1/billing/dashboard") {
				n++
			}
		}
		return n
	}
	before := dashboards()
	if fake.Logins() != 1 || before == 0 {
		t.Fatalf("test setup: %d logins, %d dashboard reads", fake.Logins(), before)
	}

	fake.SetPassword("new-password")
	next, err := h.Exp.Reload(validated(t, &config.Config{Global: global, Accounts: []config.Account{account("new-password")}}))
	if err != nil {
		t.Fatal(err)
	}
	h.Use(next)
	h.Scrape()
	if fake.Logins() != 2 || dashboards() != before || h.Value("billing_up", map[string]string{"account": "uk"}) != 1 {
		t.Errorf("after a new password: %d logins, %d more dashboard reads; want one login with it and the cached dashboard",
			fake.Logins(), dashboards()-before)
	}
}

func TestEndpointCacheTTLKeysAreEndpointNames(t *testing.T) {
	srv := sandbox.NewServer()
	defer srv.Close()
	cfg := func(key string) *config.Config {
		c := &config.Config{Accounts: []config.Account{{Name: "q", Provider: "qovery",
			BaseURL: srv.Mount("/q/"+strings.ReplaceAll(key, "/", "-"), qovery.NewFake("tok")), APIKey: "tok",
			EndpointCacheTTL: map[string]config.Duration{key: config.Duration(time.Hour)}}}}
		if err := c.Validate(func(string) (string, bool) { return "", false }, collector.ConfigProviders()); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, err := collector.New(cfg("organization/invoice"), collector.Options{}); err != nil {
		t.Errorf("a real endpoint name is refused: %v", err)
	}
	_, err := collector.New(cfg("invoice"), collector.Options{})
	if err == nil || !strings.Contains(err.Error(), `accounts[0] "q": endpoint_cache_ttl: "invoice" is not a qovery endpoint`) ||
		!strings.Contains(err.Error(), "organization/invoice") {
		t.Errorf("unknown endpoint name: %v; want the account, the field and the valid names", err)
	}
}

// Every endpoint a scrape reads (logins aside, which are never cached) can
// be named in endpoint_cache_ttl.
func TestCachedEndpointsListEveryEndpointRead(t *testing.T) {
	h, _, _ := demoHarness(t, nil)
	h.Scrape()
	mfs := h.Snapshot()
	seen := 0
	for _, mf := range mfs {
		if mf.GetName() != "billing_upstream_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if strings.HasPrefix(l["endpoint"], "auth/") {
				continue
			}
			seen++
			if !slices.ContainsFunc(endpoints(l["provider"]), func(ep scrape.Endpoint) bool { return ep.Name == l["endpoint"] }) {
				t.Errorf("%s endpoint %q is read but not in its provider's endpoints", l["provider"], l["endpoint"])
			}
		}
	}
	if seen < 10 {
		t.Fatalf("only %d endpoints read; the demo should read every provider's", seen)
	}
}

// A failure is logged once per 5 minutes with provider, account, endpoint,
// status, reason and detail, even when the vendor's message changes on
// every answer (request ids, times).
func TestFailureLogNamesEverythingOnce(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	var n atomic.Int64
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		if !strings.HasSuffix(r.URL.Path, "/currencies") {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = fmt.Fprintf(w, `{"error":{"message":"internal error, request id %d"}}`, n.Add(1))
		return true
	})
	retries := 0
	cfg := &config.Config{Global: config.Global{Retries: &retries}, Accounts: []config.Account{{Name: "a", Provider: "docspace",
		BaseURL: srv.Mount("/a", docspace.NewFake(docspaceKey)), APIKey: docspaceKey}}}
	h := collectortest.New(t, cfg)
	h.ScrapeEvery(10, 15*time.Second)
	var lines []string
	for _, l := range strings.Split(h.Logs.String(), "\n") {
		if strings.Contains(l, "endpoint=currencies") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || n.Load() < 2 {
		t.Fatalf("%d failures logged in %d lines, want 1:\n%s", n.Load(), len(lines), h.Logs.String())
	}
	for _, want := range []string{"level=warn", "provider=docspace", "account=a", "endpoint=currencies", "status=500",
		"reason=server", `detail="internal error, request id 1"`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("log line lacks %s: %s", want, lines[0])
		}
	}
}

// A vendor that lists the same thing twice must not make the registry
// refuse the scrape over a duplicate series: the same value again is
// dropped, another value is an ambiguous answer and a failure.
func TestDuplicateSeries(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	conflicting, repeated := docspace.NewFake(docspaceKey), docspace.NewFake(docspaceKey)
	conflicting.Set(docspace.Balance.Name, docspace.OK(map[string]any{"subAccounts": []any{
		map[string]any{"currency": "usd", "amount": 1}, map[string]any{"currency": "USD", "amount": 2}}}))
	usd := map[string]any{"isoCountryCode": "US", "isoCurrencySymbol": "$", "currencyNativeName": "US Dollar"}
	repeated.Set(docspace.Currencies.Name, docspace.OK([]any{usd, usd}))
	h := collectortest.New(t, &config.Config{Accounts: []config.Account{
		{Name: "conflicting", Provider: "docspace", BaseURL: srv.Mount("/c", conflicting), APIKey: docspaceKey},
		{Name: "repeated", Provider: "docspace", BaseURL: srv.Mount("/r", repeated), APIKey: docspaceKey},
	}})
	h.Scrape() // fails the test if the registry refuses a series
	if up := h.Value("billing_up", map[string]string{"account": "conflicting"}); up != 0 {
		t.Errorf("conflicting: billing_up = %v, want 0", up)
	}
	if v := h.Value("billing_balance", map[string]string{"account": "conflicting", "currency": "USD", "wallet": ""}); v != 1 {
		t.Errorf("conflicting: balance %v, want the first value", v)
	}
	if !strings.Contains(h.Logs.String(), `billing_balance{currency=\"USD\",wallet=\"\"} twice with different values (1, 2)`) {
		t.Errorf("the log does not name the ambiguous series:\n%s", h.Logs.String())
	}
	if up := h.Value("billing_up", map[string]string{"account": "repeated"}); up != 1 {
		t.Errorf("repeated: billing_up = %v, want 1", up)
	}
	if n := h.Count("billing_supported_currency_info", map[string]string{"account": "repeated"}); n != 1 {
		t.Errorf("repeated: %d currency series, want 1", n)
	}
}

// shortDuration writes 5m and 1h rather than 5m0s and 1h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Every billing value's HELP says it may come from a cache and for how
// long, with the defaults of the config package.
func TestHelpSaysValuesMayBeCached(t *testing.T) {
	for _, want := range []string{"cache_ttl old (default " + shortDuration(config.DefaultCacheTTL) + ")",
		"max_stale (default " + shortDuration(config.DefaultMaxStale) + ")"} {
		if !strings.Contains(provider.CacheNote, want) {
			t.Errorf("provider.CacheNote %q does not say %q", provider.CacheNote, want)
		}
	}
	// Families of the hourly endpoints (plan lists, currencies,
	// organization details) say so.
	hourly := map[string]bool{"billing_available_plan_price": true, "billing_supported_currency_info": true,
		"billing_deployment_restricted": true, "billing_info": true}
	values := 0
	for _, f := range collector.Families() {
		help := f.Help
		note := provider.CacheNote
		if hourly[f.Name] {
			note = provider.ListCacheNote
		}
		switch {
		case f.Health >= 0:
			if strings.Contains(help, provider.CacheNote) || strings.Contains(help, provider.ListCacheNote) {
				t.Errorf("%s describes the scrape itself, yet says it is cached", f.Name)
			}
		case !strings.Contains(help, note):
			t.Errorf("%s: HELP does not say values may be cached, and for how long (%q): %s", f.Name, note, help)
		default:
			values++
		}
	}
	if values < 20 {
		t.Errorf("only %d value families", values)
	}
}

// upstreamCallsPerHour scrapes acct every 15 s for an hour with the
// default TTLs and counts requests to the vendor.
func upstreamCallsPerHour(t *testing.T, acct func(srv *sandbox.Server) config.Account) int {
	t.Helper()
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	h := collectortest.New(t, &config.Config{Global: config.Global{CacheTTL: config.Duration(config.DefaultCacheTTL)},
		Accounts: []config.Account{acct(srv)}})
	for i := 0; i < 240; i++ {
		h.Scrape()
		if up := h.Value("billing_up", nil); up != 1 {
			t.Fatalf("billing_up = %v\n%s", up, h.Logs.String())
		}
		h.Clock.Advance(15 * time.Second)
	}
	return len(srv.Requests())
}

// The "Protecting vendor APIs" section states the config package's
// defaults, and its call estimates are what an hour of scrapes costs.
func TestReadmeProtectingVendorAPIs(t *testing.T) {
	t.Parallel()
	text := strings.Join(strings.Fields(readme.Section(t, "Protecting vendor APIs")), " ")
	for _, want := range []string{
		"`cache_ttl` (default " + shortDuration(config.DefaultCacheTTL) + ")",
		"cluster lists for " + shortDuration(docspace.Quotas.TTL),
		"`global.max_concurrency` (" + fmt.Sprint(config.DefaultMaxConcurrency) + ")",
		"`account_max_concurrency` (" + fmt.Sprint(config.DefaultAccountMaxConc) + ")",
		"`max_stale` (default " + shortDuration(config.DefaultMaxStale) + ")",
		"`max_response_bytes` (" + fmt.Sprint(config.DefaultMaxResponseBytes>>20) + " MiB)",
		"`requests_per_minute`", "`Retry-After`", "X-Prometheus-Scrape-Timeout-Seconds",
		"(at most " + shortDuration(scrape.MaxRetryAfter) + ")",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("README's Protecting vendor APIs section does not say %s", want)
		}
	}
	// Each provider's row states what an hour of scrapes of its benchmark
	// fixture costs; the variants below are the other figures rows state.
	rows := map[string]string{}
	for _, line := range strings.Split(readme.Section(t, "Protecting vendor APIs"), "\n") {
		if cells := strings.Split(line, "|"); len(cells) > 2 {
			rows[strings.ToLower(strings.TrimSpace(cells[1]))] = line
		}
	}
	for _, p := range collector.Providers {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			row, ok := rows[p.Name]
			if !ok {
				t.Fatalf("README's calls-per-hour table has no row for %s", p.Name)
			}
			got := upstreamCallsPerHour(t, func(srv *sandbox.Server) config.Account { return fixtureAccount(t, srv, p, "a") })
			if !regexp.MustCompile(`(^|[^0-9.,])` + fmt.Sprint(got) + `([^0-9]|$)`).MatchString(row) {
				t.Errorf("an hour of scrapes of the fixture made %d upstream calls; the README row says %s", got, row)
			}
		})
	}
	type estimate struct {
		variant, readme string // what the README says of it
		want            int
		acct            func(srv *sandbox.Server) config.Account
	}
	cases := []estimate{
		{"acefone without due data", "2 × 12 = 24", 24, func(srv *sandbox.Server) config.Account {
			fake := acefone.NewFake(acefoneKey, "", "")
			dash := acefone.DashboardDoc()
			delete(dash, "due_charges")
			fake.Set("billing/dashboard", sandbox.Reply{Body: dash})
			return config.Account{Name: "a", Provider: "acefone", BaseURL: srv.Mount("/a", fake), APIKey: acefoneKey}
		}},
		{"telnyx without auto recharge preferences", "12 + 1 = 13, with or without saved preferences", 13, func(srv *sandbox.Server) config.Account {
			acct := fixtureAccount(t, srv, &telnyx.Provider, "t")
			fake := telnyx.NewFake(string(acct.APIKey))
			fake.NoPreferences()
			acct.BaseURL = srv.Mount("/t-none", fake)
			return acct
		}},
	}
	for _, tc := range cases {
		t.Run(tc.variant, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(text, tc.readme) {
				t.Errorf("README does not say %q", tc.readme)
			}
			if got := upstreamCallsPerHour(t, tc.acct); got != tc.want {
				t.Errorf("an hour of scrapes made %d upstream calls; README says %d", got, tc.want)
			}
		})
	}
}

// Every provider's series pass promlint side by side.
func TestLintAllProviders(t *testing.T) {
	srv := newServer(t)
	cfg := &config.Config{}
	for _, p := range collector.Providers {
		cfg.Accounts = append(cfg.Accounts, fixtureAccount(t, srv, p, p.Name))
	}
	h := collectortest.New(t, cfg)
	h.Scrape()
	for _, p := range collector.Providers {
		if up := h.Value("billing_up", map[string]string{"account": p.Name}); up != 1 {
			t.Errorf("%s: billing_up = %v", p.Name, up)
		}
	}
	problems, err := testutil.GatherAndLint(h.Reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
