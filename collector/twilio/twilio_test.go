package twilio_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/twilio"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const (
	accountSID = "AC5f2a9c0e8b7d6a1f3e4c5b6a7d8e9f01"
	authToken  = "9c1e5b7f3a2d4e6f8a0b1c2d3e4f5a6b"
	keySID     = "SK0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	keySecret  = "Qh7Lr2Wm9Xc4Vb6Nz1Kp8Tj3Fd5Gs0Ya"
	subSID     = "AC00000000000000000000000000000a5b"
)

// newHarness is a harness of acct as Twilio account "tw" on fake; without
// credentials of its own it reads with the Account SID and auth token.
func newHarness(t *testing.T, fake *twilio.Fake, acct config.Account) (*collectortest.Harness, *sandbox.Server) {
	t.Helper()
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	acct.Name, acct.Provider, acct.BaseURL = "tw", "twilio", srv.Mount("/tw", fake)
	if acct.Options == nil && acct.APIKey == "" {
		acct.Options = &twilio.Options{Username: accountSID, Password: authToken}
	}
	h := collectortest.New(t, &config.Config{Accounts: []config.Account{acct}})
	// The harness checks the configured secrets, api_key's "<SID>:<secret>"
	// whole; the secrets alone must not show either.
	t.Cleanup(func() { h.CheckNoSecret(authToken, keySecret) })
	return h, srv
}

func scrapeUp(t *testing.T, h *collectortest.Harness) {
	t.Helper()
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 1 {
		t.Fatalf("billing_up = %v\n%s", up, h.Logs.String())
	}
}

func TestTwilioBalanceAndMonthTotal(t *testing.T) {
	h, srv := newHarness(t, twilio.NewFake(accountSID, authToken), config.Account{})
	scrapeUp(t, h)
	h.Expect(`
# HELP billing_balance Money left to spend in the account's currency: a prepaid balance, negative when money is owed. wallet names a balance kept apart for one use (ai: AI credits), empty for the account's main balance. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_balance gauge
billing_balance{account="tw",currency="USD",provider="twilio",wallet=""} 125.42
# HELP billing_current_cost Cost so far of the current billing period, in its currency. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_current_cost gauge
billing_current_cost{account="tw",currency="USD",organization="",organization_id="",provider="twilio"} 63.4135
`, "billing_balance", "billing_current_cost")

	// Two reads, both GETs with credentials, the usage one for the total
	// alone; never the Account resource, whose answer holds the auth token.
	want := map[string]string{
		"/tw/2010-04-01/Accounts/" + accountSID + "/Balance.json":                 "",
		"/tw/2010-04-01/Accounts/" + accountSID + "/Usage/Records/ThisMonth.json": "Category=totalprice",
	}
	reqs := srv.Requests()
	if len(reqs) != len(want) {
		t.Errorf("%d requests, want %d: %+v", len(reqs), len(want), reqs)
	}
	for _, r := range reqs {
		query, ok := want[r.Path]
		if !ok || r.Query != query || r.Method != http.MethodGet || !r.HasAuth {
			t.Errorf("request %+v; want a GET with credentials of one of %v", r, want)
		}
	}
}

// The other ways to give the credentials: api_key as "<SID>:<secret>",
// an API key with the account it reads, a subaccount read with its
// parent's auth token (no balance of its own: no series, still up).
func TestTwilioCredentials(t *testing.T) {
	for _, tc := range []struct {
		name    string
		acct    config.Account
		account string // the SID in the paths
		balance bool
		cost    float64
	}{
		{"api_key SID:token", config.Account{APIKey: accountSID + ":" + authToken}, accountSID, true, 63.4135},
		{"API key", config.Account{Options: &twilio.Options{Username: keySID, Password: keySecret, AccountSID: accountSID}}, accountSID, true, 63.4135},
		{"API key in api_key", config.Account{APIKey: keySID + ":" + keySecret, Options: &twilio.Options{AccountSID: accountSID}}, accountSID, true, 63.4135},
		{"subaccount", config.Account{Options: &twilio.Options{Username: accountSID, Password: authToken, AccountSID: subSID}}, subSID, false, 7.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := twilio.NewFake(accountSID, authToken)
			fake.AddKey(keySID, keySecret)
			fake.AddSubaccount(subSID)
			h, srv := newHarness(t, fake, tc.acct)
			scrapeUp(t, h)
			if n := h.Count("billing_balance", nil); (n == 1) != tc.balance {
				t.Errorf("%d balance series, want one: %v", n, tc.balance)
			}
			if got := h.Value("billing_current_cost", map[string]string{"currency": "USD"}); got != tc.cost {
				t.Errorf("billing_current_cost = %v, want %v", got, tc.cost)
			}
			for _, r := range srv.Requests() {
				if !strings.HasPrefix(r.Path, "/tw/2010-04-01/Accounts/"+tc.account+"/") {
					t.Errorf("request to %s, want account %s", r.Path, tc.account)
				}
			}
		})
	}
}

// Amounts are decimal strings (balance) or numbers that may come as
// strings (price): every digit counts, signs included.
func TestTwilioMoney(t *testing.T) {
	for _, tc := range []struct {
		name          string
		balance, cost any
		wantB, wantC  float64
	}{
		{"trailing zeros", "12.3400", 12.34, 12.34, 12.34},
		{"negative: money owed, a refund", "-5.10", "-2.50", -5.1, -2.5},
		{"many decimals", "0.0000001", "63.648512345", 1e-7, 63.648512345},
		{"big", "123456789012.3456", "98765432109.87654", 123456789012.3456, 98765432109.87654},
		{"price as a string, as the spec's example", "0.05", "0", 0.05, 0},
		{"zero", "0.00", 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := twilio.NewFake(accountSID, authToken)
			fake.SetBalance(accountSID, map[string]any{"account_sid": accountSID, "balance": tc.balance, "currency": "USD"})
			fake.SetUsage(accountSID, twilio.UsageRecord(accountSID, "totalprice", tc.cost, "usd"))
			h, _ := newHarness(t, fake, config.Account{})
			scrapeUp(t, h)
			if got := h.Value("billing_balance", map[string]string{"currency": "USD"}); got != tc.wantB {
				t.Errorf("billing_balance = %v, want %v", got, tc.wantB)
			}
			if got := h.Value("billing_current_cost", map[string]string{"currency": "USD"}); got != tc.wantC {
				t.Errorf("billing_current_cost = %v, want %v", got, tc.wantC)
			}
		})
	}
}

// Currencies are ISO codes, upper-cased (price_unit comes as "usd");
// anything else is no series rather than a label of free text.
func TestTwilioCurrencies(t *testing.T) {
	fake := twilio.NewFake(accountSID, authToken)
	fake.SetBalance(accountSID, map[string]any{"account_sid": accountSID, "balance": "10.00", "currency": "gbp"})
	fake.SetUsage(accountSID, twilio.UsageRecord(accountSID, "totalprice", 4.5, "eur"))
	h, _ := newHarness(t, fake, config.Account{})
	scrapeUp(t, h)
	if got := h.Value("billing_balance", map[string]string{"currency": "GBP"}); got != 10 {
		t.Errorf("billing_balance{GBP} = %v", got)
	}
	if got := h.Value("billing_current_cost", map[string]string{"currency": "EUR"}); got != 4.5 {
		t.Errorf("billing_current_cost{EUR} = %v", got)
	}

	fake.SetBalance(accountSID, map[string]any{"balance": "10.00", "currency": "US Dollar"})
	fake.SetUsage(accountSID, twilio.UsageRecord(accountSID, "totalprice", 4.5, "$"))
	h2, _ := newHarness(t, fake, config.Account{})
	scrapeUp(t, h2)
	if n := h2.Count("billing_balance", nil) + h2.Count("billing_current_cost", nil); n != 0 {
		t.Errorf("%d series with a currency that is not a code", n)
	}
}

// A field absent or null gives no series, and the account stays up.
func TestTwilioAbsentAndNull(t *testing.T) {
	record := func(edit func(map[string]any)) map[string]any {
		r := twilio.UsageRecord(accountSID, "totalprice", 12.5, "usd")
		edit(r)
		return r
	}
	for _, tc := range []struct {
		name    string
		balance map[string]any
		records []map[string]any
		page    any // the whole usage answer, instead of records
	}{
		{name: "null balance (a subaccount)", balance: map[string]any{"account_sid": accountSID, "balance": nil, "currency": nil}},
		{name: "balance without currency", balance: map[string]any{"balance": "3.50", "currency": nil}},
		{name: "currency without balance", balance: map[string]any{"currency": "USD"}},
		{name: "empty balance", balance: map[string]any{"balance": "", "currency": "USD"}},
		{name: "no usage this month", records: []map[string]any{}},
		{name: "null price", records: []map[string]any{record(func(r map[string]any) { r["price"] = nil })}},
		{name: "no price_unit", records: []map[string]any{record(func(r map[string]any) { delete(r, "price_unit") })}},
		{name: "null category", records: []map[string]any{record(func(r map[string]any) { r["category"] = nil })}},
		{name: "only other categories", records: []map[string]any{twilio.UsageRecord(accountSID, "sms", 3, "usd")}},
		{name: "null usage_records", page: map[string]any{"page": 0, "page_size": 50, "usage_records": nil}},
		{name: "empty object", page: map[string]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := twilio.NewFake(accountSID, authToken)
			family := "billing_current_cost"
			switch {
			case tc.balance != nil:
				fake.SetBalance(accountSID, tc.balance)
				family = "billing_balance"
			case tc.page != nil:
				fake.Set(twilio.ThisMonth.Name, sandbox.Reply{Body: tc.page})
			default:
				fake.SetUsage(accountSID, tc.records...)
			}
			h, _ := newHarness(t, fake, config.Account{})
			scrapeUp(t, h)
			if n := h.Count(family, nil); n != 0 {
				t.Errorf("%s: %d series, want none", family, n)
			}
			other := map[string]string{"billing_balance": "billing_current_cost", "billing_current_cost": "billing_balance"}[family]
			if n := h.Count(other, nil); n != 1 {
				t.Errorf("%s: %d series; the other endpoint's value must stand", other, n)
			}
		})
	}
}

// The exporter filters on the category too: were the vendor to ignore the
// query, a part of the total (or its double) must not pass for the total.
func TestTwilioTotalAmongOtherCategories(t *testing.T) {
	fake := twilio.NewFake(accountSID, authToken)
	all := []map[string]any{
		twilio.UsageRecord(accountSID, "calls", 41.2, "usd"),
		twilio.UsageRecord(accountSID, "totalprice", 63.4135, "usd"),
		twilio.UsageRecord(accountSID, "sms", 18.7635, "usd"),
	}
	fake.Set(twilio.ThisMonth.Name, sandbox.Reply{Body: map[string]any{"page": 0, "page_size": 50, "next_page_uri": nil, "usage_records": all}})
	h, _ := newHarness(t, fake, config.Account{})
	scrapeUp(t, h)
	if got := h.Value("billing_current_cost", nil); got != 63.4135 {
		t.Errorf("billing_current_cost = %v, want the totalprice record's 63.4135", got)
	}
}

// A wrong token: 401 with Twilio's error body, billing_up 0, an auth
// error per endpoint, the vendor's message and code in the log.
func TestTwilioWrongToken(t *testing.T) {
	h, _ := newHarness(t, twilio.NewFake(accountSID, authToken),
		config.Account{Options: &twilio.Options{Username: accountSID, Password: "00000000000000000000000000000000"}})
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v", up)
	}
	if got := h.Value("billing_upstream_errors_total", map[string]string{"reason": "auth"}); got != 2 {
		t.Errorf("auth errors: %v, want 2 (one per endpoint)", got)
	}
	for _, ep := range twilio.Provider.Endpoints {
		if got := h.Value("billing_upstream_requests_total", map[string]string{"endpoint": ep.Name, "code": "401"}); got != 1 {
			t.Errorf("%s: %v requests answered 401, want 1 (a 401 is not retried)", ep.Name, got)
		}
	}
	if n := h.Count("billing_balance", nil) + h.Count("billing_current_cost", nil); n != 0 {
		t.Errorf("%d value series from an account that never answered", n)
	}
	logs := h.Logs.String()
	for _, want := range []string{"status=401", "reason=auth", "Authenticate (Twilio error 20003)"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// Whatever the vendor echoes of the credentials (the secret, the Basic
// header) is scrubbed: the harness knows only api_key as configured.
func TestTwilioEchoedSecretsScrubbed(t *testing.T) {
	header := base64.StdEncoding.EncodeToString([]byte(accountSID + ":" + authToken))
	fake := twilio.NewFake(accountSID, authToken)
	fake.Set(twilio.Balance.Name, twilio.ErrorReply(http.StatusBadRequest, 20001, "Invalid token "+authToken+" in Basic "+header))
	h, _ := newHarness(t, fake, config.Account{APIKey: accountSID + ":" + authToken})
	h.Scrape()
	logs := h.Logs.String()
	if !strings.Contains(logs, "Invalid token <secret> in Basic <secret>") {
		t.Errorf("the vendor's message is not in the log with its secrets scrubbed:\n%s", logs)
	}
	h.AssertNoSecret(authToken, header)
}

// 429 with Retry-After: a wait that fits the scrape is waited out and the
// request retried once; a longer one is remembered, and no request goes
// out before it ends, while the last good answers stand in.
func TestTwilioRetryAfter(t *testing.T) {
	t.Run("waited out", func(t *testing.T) {
		h, srv := newHarness(t, twilio.NewFake(accountSID, authToken), config.Account{})
		var n atomic.Int32
		srv.SetFault(func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
			if strings.HasSuffix(r.URL.Path, "/Balance.json") && n.Add(1) == 1 {
				twilio.TooManyRequests("1").Write(w)
				return true
			}
			return false
		})
		h.ScrapeWithin(time.Minute)
		if up := h.Value("billing_up", nil); up != 1 {
			t.Errorf("billing_up = %v\n%s", up, h.Logs.String())
		}
		for code, want := range map[string]float64{"429": 1, "200": 1} {
			if got := h.Value("billing_upstream_requests_total", map[string]string{"endpoint": "Balance", "code": code}); got != want {
				t.Errorf("Balance requests answered %s: %v, want %v", code, got, want)
			}
		}
		if got, _ := h.Find("billing_upstream_errors_total", map[string]string{"reason": "rate_limited"}); got != 0 {
			t.Errorf("rate_limited errors: %v after a successful retry", got)
		}
	})

	t.Run("remembered", func(t *testing.T) {
		h, srv := newHarness(t, twilio.NewFake(accountSID, authToken), config.Account{})
		var limited atomic.Bool
		srv.SetFault(func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
			if limited.Load() && strings.HasSuffix(r.URL.Path, "/Balance.json") {
				twilio.TooManyRequests("120").Write(w)
				return true
			}
			return false
		})
		requests := func(endpoint, code string) float64 {
			v, _ := h.Find("billing_upstream_requests_total", map[string]string{"endpoint": endpoint, "code": code})
			return v
		}
		h.ScrapeWithin(time.Minute)
		limited.Store(true)
		h.Clock.Advance(time.Minute)

		// 120 s cannot be waited out within the scrape: one 429, no retry.
		h.ScrapeWithin(10 * time.Second)
		if got := requests("Balance", "429"); got != 1 {
			t.Fatalf("Balance answered 429 %v times, want 1", got)
		}
		if up := h.Value("billing_up", nil); up != 0 {
			t.Errorf("billing_up = %v while rate limited", up)
		}
		if got := h.Value("billing_balance", nil); got != 125.42 {
			t.Errorf("billing_balance = %v, want the last good 125.42", got)
		}

		// A minute on, still inside the Retry-After: nothing reaches Twilio
		// (whether the usage read of the scrape before went out depends on
		// which answered first), and both endpoints count as held back.
		sent := len(srv.Requests())
		limitedBefore := h.Value("billing_upstream_errors_total", map[string]string{"reason": "rate_limited"})
		h.Clock.Advance(time.Minute)
		h.ScrapeWithin(10 * time.Second)
		if n := len(srv.Requests()); n != sent {
			t.Errorf("%d requests during the Retry-After, want none", n-sent)
		}
		if got := h.Value("billing_upstream_errors_total", map[string]string{"reason": "rate_limited"}) - limitedBefore; got != 2 {
			t.Errorf("%v more rate_limited errors, want 2 (both endpoints held back)", got)
		}
		if got := h.Value("billing_current_cost", nil); got != 63.4135 {
			t.Errorf("billing_current_cost = %v, want the last good 63.4135", got)
		}

		// Past it, the account is read again.
		limited.Store(false)
		h.Clock.Advance(time.Minute)
		h.ScrapeWithin(10 * time.Second)
		if up := h.Value("billing_up", nil); up != 1 {
			t.Errorf("billing_up = %v after the Retry-After\n%s", up, h.Logs.String())
		}
		if got := requests("Balance", "200"); got != 2 {
			t.Errorf("Balance answered 200 %v times, want 2", got)
		}
	})
}

// Twilio's series pass promlint.
func TestTwilioLint(t *testing.T) {
	h, _ := newHarness(t, twilio.NewFake(accountSID, authToken), config.Account{})
	scrapeUp(t, h)
	problems, err := testutil.GatherAndLint(h.Reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
