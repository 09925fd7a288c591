package telnyx_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/telnyx"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const telnyxKey = "KEY0123456789ABCDEF0123456789ABCDEF_testOnlyKey"

// newTelnyxHarness serves the given accounts (name -> fake) and builds an
// exporter with one account each, under cfg's global settings (nil:
// defaults).
func newTelnyxHarness(t *testing.T, accounts map[string]*telnyx.Fake, cfg *config.Config) (*collectortest.Harness, *sandbox.Server) {
	t.Helper()
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	if cfg == nil {
		cfg = &config.Config{}
	}
	for name, fake := range accounts {
		cfg.Accounts = append(cfg.Accounts, config.Account{Name: name, Provider: "telnyx",
			BaseURL: srv.Mount("/"+name, fake), APIKey: config.Secret(fake.APIKey)})
	}
	return collectortest.New(t, cfg), srv
}

func TestTelnyxFullAccount(t *testing.T) {
	h, srv := newTelnyxHarness(t, map[string]*telnyx.Fake{"main": telnyx.NewFake(telnyxKey)}, nil)
	const note = " Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail."
	h.Expect(`
# HELP billing_balance Money left to spend in the account's currency: a prepaid balance, negative when money is owed. wallet names a balance kept apart for one use (ai: AI credits), empty for the account's main balance.`+note+`
# TYPE billing_balance gauge
billing_balance{account="main",currency="USD",provider="telnyx",wallet=""} 300
# HELP billing_credit_limit Credit limit of the account: how far the balance may go below zero.`+note+`
# TYPE billing_credit_limit gauge
billing_credit_limit{account="main",currency="USD",provider="telnyx"} 100
# HELP billing_due_charges Charges due on the account, to be paid.`+note+`
# TYPE billing_due_charges gauge
billing_due_charges{account="main",currency="USD",provider="telnyx"} 10
# HELP billing_available_credit Money the account can still spend as the vendor states it: the balance plus the credit limit.`+note+`
# TYPE billing_available_credit gauge
billing_available_credit{account="main",currency="USD",provider="telnyx"} 400
# HELP billing_topup_enabled 1 if automatic top-up of the balance is on.`+note+`
# TYPE billing_topup_enabled gauge
billing_topup_enabled{account="main",provider="telnyx"} 1
# HELP billing_topup_min_balance Balance under which the account tops up automatically. Absent until a currency is configured.`+note+`
# TYPE billing_topup_min_balance gauge
billing_topup_min_balance{account="main",currency="USD",provider="telnyx"} 104
# HELP billing_topup_target_balance Balance an automatic top-up restores. Absent until a currency is configured.`+note+`
# TYPE billing_topup_target_balance gauge
billing_topup_target_balance{account="main",currency="USD",provider="telnyx"} 208
# HELP billing_up 1 if every endpoint of the account answered as the API intends during this scrape (fresh or cached answers), 0 if any failed.
# TYPE billing_up gauge
billing_up{account="main",provider="telnyx"} 1
`, "billing_balance", "billing_credit_limit", "billing_due_charges", "billing_available_credit",
		"billing_topup_enabled", "billing_topup_min_balance", "billing_topup_target_balance", "billing_up")

	paths := map[string]bool{}
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet || !r.HasAuth {
			t.Errorf("%s %s (auth %v): the exporter only reads, with its key", r.Method, r.Path, r.HasAuth)
		}
		paths[r.Path] = true
	}
	for _, p := range []string{"/main/v2/balance", "/main/v2/payment/auto_recharge_prefs"} {
		if !paths[p] {
			t.Errorf("%s was not read (read %v)", p, paths)
		}
	}
}

// Amounts are decimal strings: trailing zeros, signs and digits beyond
// float64's survive as the nearest float64, and the top-up target, a sum
// of two of them, is the exact sum rounded once.
func TestTelnyxAmounts(t *testing.T) {
	for _, tc := range []struct {
		name                                       string
		balance, creditLimit, available, pending   any
		threshold, recharge                        any
		wantBalance, wantLimit, wantAvail, wantDue float64
		wantMin, wantTarget                        float64
	}{
		{"many decimals", "12.3400", "0.0000", "12.3400", "0.0100", "0.10", "0.20",
			12.34, 0, 12.34, 0.01, 0.1, 0.3},
		{"negative balance", "-5.10", "50.00", "44.90", "5.10", "-1.50", "10.25",
			-5.1, 50, 44.9, 5.1, -1.5, 8.75},
		{"big values", "123456789012345.67", "9007199254740993.00", "9007322711530005.67", "1000000000000.00", "100000000000000.10", "0.20",
			123456789012345.67, 9007199254740993, 9007322711530005.67, 1e12, 100000000000000.1, 100000000000000.3},
		{"JSON numbers", 300.5, 100, 400.5, 0, 104, 0.5,
			300.5, 100, 400.5, 0, 104, 104.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := telnyx.NewFake(telnyxKey)
			fake.Set(telnyx.Balance.Name, telnyx.OK(map[string]any{"balance": tc.balance, "credit_limit": tc.creditLimit,
				"available_credit": tc.available, "pending": tc.pending, "currency": "USD", "record_type": "balance"}))
			fake.Set(telnyx.AutoRechargePrefs.Name, telnyx.OK(map[string]any{"enabled": false,
				"threshold_amount": tc.threshold, "recharge_amount": tc.recharge}))
			h, _ := newTelnyxHarness(t, map[string]*telnyx.Fake{"a": fake}, nil)
			usd := map[string]string{"currency": "USD"}
			for _, c := range []struct {
				name string
				want float64
			}{
				{"billing_balance", tc.wantBalance}, {"billing_credit_limit", tc.wantLimit},
				{"billing_available_credit", tc.wantAvail}, {"billing_due_charges", tc.wantDue},
				{"billing_topup_min_balance", tc.wantMin}, {"billing_topup_target_balance", tc.wantTarget},
			} {
				if got := h.Value(c.name, usd); got != c.want {
					t.Errorf("%s = %v, want %v", c.name, got, c.want)
				}
			}
			if got := h.Value("billing_topup_enabled", nil); got != 0 {
				t.Errorf("billing_topup_enabled = %v, want 0", got)
			}
			if up := h.Value("billing_up", nil); up != 1 {
				t.Errorf("billing_up = %v\n%s", up, h.Logs.String())
			}
		})
	}
}

// A field that is null or absent gives no series; the account stays up.
func TestTelnyxNullsAndAbsentFields(t *testing.T) {
	families := []string{"billing_balance", "billing_credit_limit", "billing_available_credit", "billing_due_charges",
		"billing_topup_enabled", "billing_topup_min_balance", "billing_topup_target_balance"}
	for _, tc := range []struct {
		name           string
		balance, prefs sandbox.Reply
		want           []string // families with a series
	}{
		{"null amounts", telnyx.OK(map[string]any{"balance": nil, "credit_limit": "10.00", "available_credit": nil, "pending": nil, "currency": "EUR"}),
			telnyx.OK(map[string]any{"enabled": nil, "threshold_amount": "5.00", "recharge_amount": nil}),
			[]string{"billing_credit_limit", "billing_topup_min_balance"}},
		{"absent amounts", telnyx.OK(map[string]any{"pending": "", "currency": "eur", "record_type": "balance"}),
			telnyx.OK(map[string]any{"enabled": true, "recharge_amount": "5.00"}),
			[]string{"billing_topup_enabled"}},
		{"null data", telnyx.OK(nil), telnyx.OK(nil), nil},
		{"empty objects", sandbox.Reply{Body: map[string]any{}}, sandbox.Reply{Body: map[string]any{}}, nil},
		// Without a currency no amount means anything, the preferences' neither.
		{"no currency", telnyx.OK(map[string]any{"balance": "1.00", "credit_limit": "0.00", "currency": nil}),
			telnyx.OK(telnyx.PrefsData(true, "10.00", "20.00")), []string{"billing_topup_enabled"}},
		{"currency not a code", telnyx.OK(map[string]any{"balance": "1.00", "currency": "US Dollar"}),
			telnyx.OK(telnyx.PrefsData(false, "10.00", "20.00")), []string{"billing_topup_enabled"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := telnyx.NewFake(telnyxKey)
			fake.Set(telnyx.Balance.Name, tc.balance)
			fake.Set(telnyx.AutoRechargePrefs.Name, tc.prefs)
			h, _ := newTelnyxHarness(t, map[string]*telnyx.Fake{"a": fake}, nil)
			for _, name := range families {
				want := 0
				for _, w := range tc.want {
					if w == name {
						want = 1
					}
				}
				if n := h.Count(name, nil); n != want {
					t.Errorf("%s: %d series, want %d", name, n, want)
				}
			}
			if n := h.Count("billing_credit_limit", map[string]string{"currency": "EUR"}); tc.name == "null amounts" && n != 1 {
				t.Errorf("credit limit not in EUR: %s", h.Text())
			}
			if up := h.Value("billing_up", nil); up != 1 {
				t.Errorf("billing_up = %v\n%s", up, h.Logs.String())
			}
		})
	}
}

// An account without auto recharge preferences answers 404: no top-up
// series, and the account is up.
func TestTelnyxNoPreferences(t *testing.T) {
	fake := telnyx.NewFake(telnyxKey)
	fake.NoPreferences()
	h, _ := newTelnyxHarness(t, map[string]*telnyx.Fake{"a": fake}, nil)
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("billing_up = %v, want 1: a 404 of the preferences means there are none\n%s", up, h.Logs.String())
	}
	for _, name := range []string{"billing_topup_enabled", "billing_topup_min_balance", "billing_topup_target_balance"} {
		if n := h.Count(name, nil); n != 0 {
			t.Errorf("%s: %d series without preferences", name, n)
		}
	}
	if v := h.Value("billing_balance", map[string]string{"currency": "USD"}); v != 300 {
		t.Errorf("billing_balance = %v", v)
	}
	if strings.Contains(h.Logs.String(), "scrape failed") {
		t.Errorf("an account without preferences logged a failure:\n%s", h.Logs.String())
	}
}

// A 404 of the balance is a failure, not an answer.
func TestTelnyxBalanceNotFoundIsAFailure(t *testing.T) {
	fake := telnyx.NewFake(telnyxKey)
	fake.Set(telnyx.Balance.Name, telnyx.ErrorReply(http.StatusNotFound, "10005", "Resource not found", "No such thing."))
	h, _ := newTelnyxHarness(t, map[string]*telnyx.Fake{"a": fake}, nil)
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v, want 0", up)
	}
	if v := h.Value("billing_upstream_errors_total", map[string]string{"reason": "not_found"}); v != 1 {
		t.Errorf("not_found errors = %v, want 1", v)
	}
}

// Without the balance's currency the preferences' amounts cannot be
// placed: only whether recharge is on shows.
func TestTelnyxPreferencesWithoutBalance(t *testing.T) {
	fake := telnyx.NewFake(telnyxKey)
	fake.Set(telnyx.Balance.Name, telnyx.ErrorReply(http.StatusForbidden, "10010", "Authorization failed", "The key may not read the balance."))
	h, _ := newTelnyxHarness(t, map[string]*telnyx.Fake{"a": fake}, nil)
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v, want 0", up)
	}
	if v := h.Value("billing_topup_enabled", nil); v != 1 {
		t.Errorf("billing_topup_enabled = %v, want 1", v)
	}
	for _, name := range []string{"billing_balance", "billing_topup_min_balance", "billing_topup_target_balance"} {
		if n := h.Count(name, nil); n != 0 {
			t.Errorf("%s: %d series without the balance's currency", name, n)
		}
	}
	logs := h.Logs.String()
	for _, want := range []string{"endpoint=balance", "status=403", "reason=forbidden", `Authorization failed: The key may not read the balance. (10010)`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestTelnyxWrongKey(t *testing.T) {
	wrong := "KEYFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF_wrongTestKey"
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	cfg := &config.Config{Accounts: []config.Account{
		{Name: "bad", Provider: "telnyx", BaseURL: srv.Mount("/bad", telnyx.NewFake(telnyxKey)), APIKey: config.Secret(wrong)},
		{Name: "good", Provider: "telnyx", BaseURL: srv.Mount("/good", telnyx.NewFake(telnyxKey)), APIKey: telnyxKey},
	}}
	h := collectortest.New(t, cfg)
	if up := h.Value("billing_up", map[string]string{"account": "bad"}); up != 0 {
		t.Errorf("wrong key: billing_up = %v, want 0", up)
	}
	if v := h.Value("billing_upstream_errors_total", map[string]string{"account": "bad", "reason": "auth"}); v != 2 {
		t.Errorf("auth errors = %v, want 2 (one per endpoint)", v)
	}
	for _, name := range []string{"billing_balance", "billing_topup_enabled"} {
		if n := h.Count(name, map[string]string{"account": "bad"}); n != 0 {
			t.Errorf("wrong key exported %d %s series", n, name)
		}
	}
	if up := h.Value("billing_up", map[string]string{"account": "good"}); up != 1 {
		t.Errorf("other account: billing_up = %v, want 1", up)
	}
	logs := h.Logs.String()
	for _, want := range []string{"account=bad", "status=401", "reason=auth", "Authentication failed", "(10009)"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	h.AssertNoSecret(wrong, telnyxKey)
}

// A 429 whose Retry-After the request cannot wait out is not retried,
// and no request goes to the account's API until it ends, whatever
// scrapes in between; the last good answer stands in meanwhile.
func TestTelnyxRateLimited(t *testing.T) {
	var limited atomic.Bool
	fake := telnyx.NewFake(telnyxKey)
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		if limited.Load() && strings.HasSuffix(r.URL.Path, "/v2/balance") {
			sandbox.Reply{Status: http.StatusTooManyRequests, Header: map[string]string{"Retry-After": "120"},
				Body: map[string]any{"errors": []any{map[string]any{"code": "10011", "title": "Too many requests"}}}}.Write(w)
			return true
		}
		return false
	})
	h := collectortest.New(t, &config.Config{Accounts: []config.Account{
		{Name: "a", Provider: "telnyx", BaseURL: srv.Mount("/a", fake), APIKey: telnyxKey}}})
	requests := func(code string) float64 {
		v, _ := h.Find("billing_upstream_requests_total", map[string]string{"endpoint": "balance", "code": code})
		return v
	}
	rateLimited := func() float64 {
		return h.Value("billing_upstream_errors_total", map[string]string{"reason": "rate_limited"})
	}
	// The preferences, cached for an hour, are not asked again below:
	// only the balance meets the 429.
	h.Scrape()
	h.Clock.Advance(time.Minute)
	limited.Store(true)

	h.Scrape()
	if n := requests("429"); n != 1 {
		t.Errorf("balance answered 429 %v times, want 1: a Retry-After past the request's timeout is not waited for", n)
	}
	if v := rateLimited(); v != 1 {
		t.Errorf("rate_limited errors = %v, want 1", v)
	}
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v, want 0", up)
	}
	if v := h.Value("billing_balance", nil); v != 300 {
		t.Errorf("billing_balance = %v, want the last good 300", v)
	}

	h.Clock.Advance(119 * time.Second)
	h.Scrape()
	if n := requests("429"); n != 1 {
		t.Errorf("balance called during its Retry-After: %v answers of 429", n)
	}
	if v := rateLimited(); v != 2 {
		t.Errorf("rate_limited errors = %v, want 2: refused without a call", v)
	}

	h.Clock.Advance(time.Second)
	limited.Store(false)
	h.Scrape()
	if n := requests("200"); n != 2 {
		t.Errorf("balance answered 200 %v times, want 2: once before the 429, once after its Retry-After", n)
	}
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("billing_up = %v after the Retry-After\n%s", up, h.Logs.String())
	}
}

// A Retry-After of 0 is honoured at once: the request is retried and
// the scrape succeeds.
func TestTelnyxRetriedAfterRateLimit(t *testing.T) {
	fake := telnyx.NewFake(telnyxKey)
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	var limited atomic.Bool
	limited.Store(true)
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		if strings.HasSuffix(r.URL.Path, "/v2/balance") && limited.Swap(false) {
			sandbox.Reply{Status: http.StatusTooManyRequests, Header: map[string]string{"Retry-After": "0"},
				Body: map[string]any{"errors": []any{map[string]any{"code": "10011", "title": "Too many requests"}}}}.Write(w)
			return true
		}
		return false
	})
	h := collectortest.New(t, &config.Config{Accounts: []config.Account{
		{Name: "a", Provider: "telnyx", BaseURL: srv.Mount("/a", fake), APIKey: telnyxKey}}})
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("billing_up = %v, want 1 after the retry\n%s", up, h.Logs.String())
	}
	for code, want := range map[string]float64{"429": 1, "200": 1} {
		if v := h.Value("billing_upstream_requests_total", map[string]string{"endpoint": "balance", "code": code}); v != want {
			t.Errorf("balance answered %s %v times, want %v", code, v, want)
		}
	}
	if v := h.Value("billing_upstream_errors_total", map[string]string{"reason": "rate_limited"}); v != 0 {
		t.Errorf("rate_limited errors = %v after a successful retry", v)
	}
}

func TestTelnyxLint(t *testing.T) {
	without := telnyx.NewFake(telnyxKey)
	without.NoPreferences()
	h, _ := newTelnyxHarness(t, map[string]*telnyx.Fake{"a": telnyx.NewFake(telnyxKey), "b": without}, nil)
	problems, err := testutil.GatherAndLint(h.Reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
