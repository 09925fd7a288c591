package docspace_test

import (
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/docspace"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const docspaceKey = "sk-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// newDocSpaceHarness serves the given portals (name -> fake) and builds an
// exporter with one account each.
func newDocSpaceHarness(t *testing.T, portals map[string]*docspace.Fake) (*collectortest.Harness, *sandbox.Server) {
	t.Helper()
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	cfg := &config.Config{}
	for name, fake := range portals {
		cfg.Accounts = append(cfg.Accounts, config.Account{Name: name, Provider: "docspace",
			BaseURL: srv.Mount("/"+name, fake), APIKey: config.Secret(fake.APIKey)})
	}
	return collectortest.New(t, cfg), srv
}

func TestDocSpaceFullPortal(t *testing.T) {
	h, srv := newDocSpaceHarness(t, map[string]*docspace.Fake{"main": docspace.NewFake(docspaceKey)})
	h.Expect(`
# HELP billing_balance Money left to spend in the account's currency: a prepaid balance, negative when money is owed. wallet names a balance kept apart for one use (ai: AI credits), empty for the account's main balance. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_balance gauge
billing_balance{account="main",currency="EUR",provider="docspace",wallet=""} 230.5
billing_balance{account="main",currency="USD",provider="docspace",wallet=""} 1500.75
# HELP billing_up 1 if every endpoint of the account answered as the API intends during this scrape (fresh or cached answers), 0 if any failed.
# TYPE billing_up gauge
billing_up{account="main",provider="docspace"} 1
# HELP billing_plan_info Current or active plan, value 1. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_plan_info gauge
billing_plan_info{account="main",organization="",organization_id="",plan="Business",provider="docspace"} 1
# HELP billing_plan_trial 1 if the current plan is a trial. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_plan_trial gauge
billing_plan_trial{account="main",plan="Business",provider="docspace"} 0
# HELP billing_plan_due_timestamp_seconds When the plan renews or ends, Unix time. Absent when the vendor gives none. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_plan_due_timestamp_seconds gauge
billing_plan_due_timestamp_seconds{account="main",organization="",organization_id="",plan="Business",provider="docspace"} 1.7855424e+09
# HELP billing_plan_price Price of the current plan in its currency. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_plan_price gauge
billing_plan_price{account="main",currency="USD",plan="Business",provider="docspace"} 15
# HELP billing_quota_limit_bytes Limit of a quota feature measured in bytes, e.g. storage. Unlimited features have no series. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_quota_limit_bytes gauge
billing_quota_limit_bytes{account="main",feature="total_size",provider="docspace"} 1.073741824e+11
# HELP billing_quota_used_bytes Usage of a quota feature measured in bytes. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_quota_used_bytes gauge
billing_quota_used_bytes{account="main",feature="total_size",provider="docspace"} 5.36870912e+09
# HELP billing_quota_limit Limit of a quota feature that counts things, e.g. users or rooms. Unlimited features have no series. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_quota_limit gauge
billing_quota_limit{account="main",feature="users",provider="docspace"} 100
# HELP billing_quota_used Usage of a quota feature that counts things. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_quota_used gauge
billing_quota_used{account="main",feature="room",provider="docspace"} 7
billing_quota_used{account="main",feature="users",provider="docspace"} 12
# HELP billing_topup_enabled 1 if automatic top-up of the balance is on. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_topup_enabled gauge
billing_topup_enabled{account="main",provider="docspace"} 1
# HELP billing_topup_min_balance Balance under which the account tops up automatically. Absent until a currency is configured. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_topup_min_balance gauge
billing_topup_min_balance{account="main",currency="USD",provider="docspace"} 50
# HELP billing_topup_target_balance Balance an automatic top-up restores. Absent until a currency is configured. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_topup_target_balance gauge
billing_topup_target_balance{account="main",currency="USD",provider="docspace"} 500
# HELP billing_payment_method_state State of the account's payment method, one series per state: 1 for the current state, 0 for the others. none: no payment method on file; set: one is on file; expired: the one on file has expired. All 0 when the vendor reports a state not listed here. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_payment_method_state gauge
billing_payment_method_state{account="main",provider="docspace",state="expired"} 0
billing_payment_method_state{account="main",provider="docspace",state="none"} 0
billing_payment_method_state{account="main",provider="docspace",state="set"} 1
# HELP billing_last_credit_amount Amount of the last credit (top-up) of the balance. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_last_credit_amount gauge
billing_last_credit_amount{account="main",currency="USD",provider="docspace"} 500
# HELP billing_available_plan_price Price of each plan the account can buy, in its currency. Served from a cache up to 1h old (or cache_ttl if longer), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_available_plan_price gauge
billing_available_plan_price{account="main",currency="USD",plan="Business",provider="docspace"} 15
billing_available_plan_price{account="main",currency="USD",plan="Startup",provider="docspace"} 0
# HELP billing_supported_currency_info Currencies the account can pay in, value 1. symbol is the sign, e.g. $. Served from a cache up to 1h old (or cache_ttl if longer), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_supported_currency_info gauge
billing_supported_currency_info{account="main",country="DE",name="Euro",provider="docspace",symbol="€"} 1
billing_supported_currency_info{account="main",country="US",name="US Dollar",provider="docspace",symbol="$"} 1
`, "billing_balance", "billing_up", "billing_plan_info", "billing_plan_trial", "billing_plan_due_timestamp_seconds",
		"billing_plan_price", "billing_quota_limit_bytes", "billing_quota_used_bytes", "billing_quota_limit", "billing_quota_used",
		"billing_topup_enabled", "billing_topup_min_balance", "billing_topup_target_balance", "billing_payment_method_state",
		"billing_last_credit_amount", "billing_available_plan_price", "billing_supported_currency_info")

	// lastCredit.date "2026-07-05T10:11:12.1234567Z": Z and 7 fractional digits.
	if got, want := h.Value("billing_last_credit_timestamp_seconds", nil), 1783246272.1234567; got != want {
		t.Errorf("last credit timestamp = %v, want %v", got, want)
	}
	// No refresh=true: the portal's own caches are short and it drops
	// them when the data changes (ADR 0006).
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet || !r.HasAuth || r.Query != "" {
			t.Errorf("unexpected request %+v", r)
		}
	}
	if n := len(srv.Requests()); n != 6 {
		t.Errorf("%d upstream requests, want 6 (one per endpoint)", n)
	}
}

func TestDocSpaceDueDateForms(t *testing.T) {
	for _, tc := range []struct {
		name, due string
		want      float64
		present   bool
	}{
		{"no offset is UTC", "2026-08-01T00:00:00", 1785542400, true},
		{"Z with 7 fractional digits", "2026-07-05T10:11:12.1234567Z", 1783246272.1234567, true},
		{"explicit offset", "2026-08-01T02:00:00+02:00", 1785542400, true},
		{"omitted", "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := docspace.NewFake(docspaceKey)
			q := docspace.QuotaBusiness()
			if tc.due == "" {
				delete(q, "dueDate") // the server omits nulls
			} else {
				q["dueDate"] = tc.due
			}
			fake.Set(docspace.Quota.Name, docspace.OK(q))
			h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
			n := h.Count("billing_plan_due_timestamp_seconds", nil)
			if !tc.present {
				if n != 0 {
					t.Fatalf("omitted dueDate gave %d series", n)
				}
				if up := h.Value("billing_up", nil); up != 1 {
					t.Errorf("billing_up = %v, want 1", up)
				}
				return
			}
			if got := h.Value("billing_plan_due_timestamp_seconds", map[string]string{"plan": "Business"}); got != tc.want {
				t.Errorf("due = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDocSpaceTopUpNeverConfigured(t *testing.T) {
	fake := docspace.NewFake(docspaceKey)
	fake.Set(docspace.TopUp.Name, docspace.OK(map[string]any{
		"enabled": false, "minBalance": 0, "upToBalance": 0, "lastModified": "2026-11-24T09:00:00"}))
	h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
	if v := h.Value("billing_topup_enabled", nil); v != 0 {
		t.Errorf("billing_topup_enabled = %v, want 0", v)
	}
	for _, name := range []string{"billing_topup_min_balance", "billing_topup_target_balance"} {
		if n := h.Count(name, nil); n != 0 {
			t.Errorf("%s: %d series for settings without a currency, want none", name, n)
		}
	}
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("billing_up = %v, want 1", up)
	}
}

func TestDocSpaceBadKey(t *testing.T) {
	good := docspace.NewFake(docspaceKey)
	wrong := "sk-ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	cfg := &config.Config{Accounts: []config.Account{
		{Name: "bad", Provider: "docspace", BaseURL: srv.Mount("/bad", docspace.NewFake(docspaceKey)), APIKey: config.Secret(wrong)},
		{Name: "good", Provider: "docspace", BaseURL: srv.Mount("/good", good), APIKey: docspaceKey},
	}}
	h := collectortest.New(t, cfg)
	if up := h.Value("billing_up", map[string]string{"account": "bad"}); up != 0 {
		t.Errorf("bad key: billing_up = %v, want 0", up)
	}
	if n := h.Count("billing_balance", map[string]string{"account": "bad"}); n != 0 {
		t.Errorf("bad key exported %d balances", n)
	}
	// The other account is intact.
	if up := h.Value("billing_up", map[string]string{"account": "good"}); up != 1 {
		t.Errorf("good account: billing_up = %v, want 1", up)
	}
	if v := h.Value("billing_balance", map[string]string{"account": "good", "currency": "USD", "wallet": ""}); v != 1500.75 {
		t.Errorf("good account balance = %v", v)
	}
	logs := h.Logs.String()
	for _, want := range []string{`account=bad`, `endpoint=customerinfo`, `status=401`, `reason=auth`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if v := h.Value("billing_upstream_errors_total", map[string]string{"account": "bad", "reason": "auth"}); v != 6 {
		t.Errorf("auth errors = %v, want 6 (one per endpoint)", v)
	}
	h.AssertNoSecret(wrong, docspaceKey)
}

func TestDocSpacePortalWithoutBilling(t *testing.T) {
	fake := docspace.NewFake(docspaceKey)
	fake.NoBilling()
	h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"selfhosted": fake})
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("billing_up = %v, want 1: the 403 'Tariff service is not configured' is an answer", up)
	}
	for _, name := range []string{"billing_balance", "billing_payment_method_state"} {
		if n := h.Count(name, nil); n != 0 {
			t.Errorf("%s: %d series without billing", name, n)
		}
	}
	// Quota and top-up still come through.
	if v := h.Value("billing_quota_limit", map[string]string{"feature": "users"}); v != 100 {
		t.Errorf("quota limit = %v", v)
	}
	if v := h.Value("billing_topup_min_balance", map[string]string{"currency": "USD"}); v != 50 {
		t.Errorf("topup min = %v", v)
	}
	if strings.Contains(h.Logs.String(), "scrape failed") {
		t.Errorf("a portal without billing logged a failure:\n%s", h.Logs.String())
	}
}

func TestDocSpaceOtherForbiddenIsAFailure(t *testing.T) {
	fake := docspace.NewFake(docspaceKey)
	fake.Set(docspace.Balance.Name, docspace.ErrorReply(http.StatusForbidden, "Access denied"))
	h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v, want 0 for 403 Access denied", up)
	}
	if !strings.Contains(h.Logs.String(), `detail="Access denied"`) {
		t.Errorf("log lacks the vendor message:\n%s", h.Logs.String())
	}
}

func TestDocSpaceNullPayloadAndTolerantNumbers(t *testing.T) {
	fake := docspace.NewFake(docspaceKey)
	fake.Set(docspace.CustomerInfo.Name, docspace.OK(nil)) // no billing customer yet
	fake.Set(docspace.Balance.Name, docspace.OK(map[string]any{
		"accountCurrency": "USD", "subAccounts": []any{map[string]any{"currency": "usd", "amount": "42.10"}}}))
	fake.Set(docspace.Quota.Name, docspace.OK(map[string]any{"id": -7, "trial": true, "features": []any{}}))
	h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
	if v := h.Value("billing_balance", map[string]string{"currency": "USD", "wallet": ""}); v != 42.10 {
		t.Errorf("balance from a numeric string = %v", v)
	}
	if n := h.Count("billing_payment_method_state", nil); n != 0 {
		t.Errorf("null customerinfo payload exported %d series", n)
	}
	if v := h.Value("billing_plan_trial", map[string]string{"plan": "id -7"}); v != 1 {
		t.Errorf("untitled quota: trial = %v", v)
	}
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("billing_up = %v", up)
	}
}

func TestDocSpaceWrongShapeNamesTheField(t *testing.T) {
	fake := docspace.NewFake(docspaceKey)
	fake.Set(docspace.Balance.Name, docspace.OK(map[string]any{
		"subAccounts": []any{map[string]any{"currency": "USD", "amount": "lots"}}}))
	h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v, want 0", up)
	}
	logs := h.Logs.String()
	if !strings.Contains(logs, "endpoint=customer/balance") || !strings.Contains(logs, "response.subAccounts.amount") {
		t.Errorf("decode error does not name endpoint and field:\n%s", logs)
	}
	// The rest of the portal still shows.
	if v := h.Value("billing_quota_limit", map[string]string{"feature": "users"}); v != 100 {
		t.Errorf("quota limit = %v", v)
	}
}

func TestDocSpaceLint(t *testing.T) {
	h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"a": docspace.NewFake(docspaceKey), "b": docspace.NewFake(docspaceKey)})
	problems, err := testutil.GatherAndLint(h.Reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// quota price.isoCurrencySymbol should hold the ISO code but DocSpace puts
// the sign there in places (currencies does it always): signs map to codes,
// three-byte signs such as "₽" included, and an unknown sign drops only the
// price, never the plan.
func TestDocSpacePriceCurrencyFromSign(t *testing.T) {
	for _, tc := range []struct {
		name, iso, sign string
		want            string // "" = no price series
		value           float64
	}{
		{"ISO code", "USD", "$", "USD", 15},
		{"dollar sign in isoCurrencySymbol", "$", "$", "USD", 15},
		{"rouble sign, three bytes", "₽", "₽", "RUB", 990},
		{"rupee sign, three bytes", "₹", "₹", "INR", 1200},
		{"lowercase code", "eur", "€", "EUR", 12},
		{"sign only in currencySymbol", "", "£", "GBP", 9},
		{"unknown sign", "¤", "¤", "", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := docspace.QuotaBusiness()
			q["price"] = map[string]any{"value": tc.value, "currencySymbol": tc.sign, "isoCurrencySymbol": tc.iso}
			fake := docspace.NewFake(docspaceKey)
			fake.Set(docspace.Quota.Name, docspace.OK(q))
			h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
			if tc.want == "" {
				if n := h.Count("billing_plan_price", nil); n != 0 {
					t.Errorf("%d price series for an unknown currency", n)
				}
			} else if got := h.Value("billing_plan_price", map[string]string{"plan": "Business", "currency": tc.want}); got != tc.value {
				t.Errorf("price = %v, want %v %s", got, tc.value, tc.want)
			}
			if v := h.Value("billing_plan_info", map[string]string{"plan": "Business"}); v != 1 {
				t.Errorf("plan info = %v", v)
			}
			if up := h.Value("billing_up", nil); up != 1 {
				t.Errorf("billing_up = %v", up)
			}
		})
	}
}

// paymentMethodStatus is a code; each known code sets its state to 1 and
// the others to 0. An unknown code is a state the exporter cannot name: all
// three are 0, so that no alert takes it for one of them, yet the series
// stay, unlike a customerinfo without the field (ADR 0015).
func TestDocSpacePaymentMethodState(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sent    any
		current string // "" = every state 0
	}{
		{"none", 0, "none"}, {"set", 1, "set"}, {"expired", 2, "expired"}, {"expired as a string", "2", "expired"},
		{"unknown code", 7, ""}, {"negative code", -1, ""}, {"fraction", 1.5, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := docspace.NewFake(docspaceKey)
			fake.Set(docspace.CustomerInfo.Name, docspace.OK(map[string]any{"portalId": "p", "paymentMethodStatus": tc.sent}))
			h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
			if n := h.Count("billing_payment_method_state", nil); n != 3 {
				t.Errorf("%d series, want one per state", n)
			}
			for _, state := range []string{"none", "set", "expired"} {
				want := 0.0
				if state == tc.current {
					want = 1
				}
				if got := h.Value("billing_payment_method_state", map[string]string{"state": state}); got != want {
					t.Errorf("billing_payment_method_state{state=%q} = %v, want %v", state, got, want)
				}
			}
			if up := h.Value("billing_up", nil); up != 1 {
				t.Errorf("billing_up = %v", up)
			}
		})
	}
}

// A customerinfo without paymentMethodStatus says nothing about the payment
// method: no series, rather than a state.
func TestDocSpacePaymentMethodStateAbsent(t *testing.T) {
	fake := docspace.NewFake(docspaceKey)
	fake.Set(docspace.CustomerInfo.Name, docspace.OK(map[string]any{"portalId": "p"}))
	h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
	if n := h.Count("billing_payment_method_state", nil); n != 0 {
		t.Errorf("%d series without paymentMethodStatus, want none", n)
	}
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("billing_up = %v", up)
	}
}

// -1 means unlimited for size and count features: the limit has no series
// (README, ADR 0005), usage still has one; flags never have either.
func TestDocSpaceUnlimitedQuotas(t *testing.T) {
	q := docspace.QuotaBusiness()
	q["features"] = []any{
		map[string]any{"id": "total_size", "title": "Storage", "value": -1, "type": "size",
			"used": map[string]any{"value": 1073741824, "title": "1 GB"}},
		map[string]any{"id": "users", "title": "Admins/Power users", "value": "-1", "type": "count",
			"used": map[string]any{"value": 3, "title": "3"}},
		map[string]any{"id": "file_size", "title": "File size", "value": 1048576000, "type": "size"},
		map[string]any{"id": "aiagent", "title": "AI agents", "value": 0, "type": "count",
			"used": map[string]any{"value": 0, "title": "0"}},
		map[string]any{"id": "audit", "title": "Audit trail", "value": false, "type": "flag"},
	}
	fake := docspace.NewFake(docspaceKey)
	fake.Set(docspace.Quota.Name, docspace.OK(q))
	h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
	h.Expect(`
# HELP billing_quota_limit_bytes Limit of a quota feature measured in bytes, e.g. storage. Unlimited features have no series. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_quota_limit_bytes gauge
billing_quota_limit_bytes{account="p",feature="file_size",provider="docspace"} 1.048576e+09
# HELP billing_quota_used_bytes Usage of a quota feature measured in bytes. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_quota_used_bytes gauge
billing_quota_used_bytes{account="p",feature="total_size",provider="docspace"} 1.073741824e+09
# HELP billing_quota_limit Limit of a quota feature that counts things, e.g. users or rooms. Unlimited features have no series. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_quota_limit gauge
billing_quota_limit{account="p",feature="aiagent",provider="docspace"} 0
# HELP billing_quota_used Usage of a quota feature that counts things. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_quota_used gauge
billing_quota_used{account="p",feature="aiagent",provider="docspace"} 0
billing_quota_used{account="p",feature="users",provider="docspace"} 3
`, "billing_quota_limit_bytes", "billing_quota_used_bytes", "billing_quota_limit", "billing_quota_used")
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("billing_up = %v", up)
	}
}

// .NET's DateTime.MaxValue, which DocSpace sends as the due date of a plan
// that never expires (no zone, 7 fractional digits), is read exactly: the
// account stays up and the due date is 9999-12-31T23:59:59.9999999Z, not
// an error, a zero or a date clamped to some nearer year.
func TestDocSpaceNeverExpiringDueDateIsExact(t *testing.T) {
	t.Parallel()
	fake := docspace.NewFake(docspaceKey)
	quota := docspace.QuotaBusiness()
	quota["dueDate"] = "9999-12-31T23:59:59.9999999"
	fake.Set(docspace.Quota.Name, docspace.OK(quota))
	h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"d": fake})
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 1 {
		t.Fatalf("billing_up = %v\n%s", up, h.Logs.String())
	}
	// 253402300799.9999999 is 253402300800 in a float64.
	if got := h.Value("billing_plan_due_timestamp_seconds", nil); math.Abs(got-253402300800) > 1e-3 {
		t.Errorf("billing_plan_due_timestamp_seconds = %v, want 253402300800 (9999-12-31T23:59:59.9999999Z)", got)
	}
}

// The spec leaves a feature's value and used.value untyped: a flag's are
// booleans, and any other JSON value is valid too. A feature the exporter
// does not export never fails the quota; an amount feature whose value is
// not a number has no series, and the account stays up.
func TestDocSpaceFeatureValuesOfAnyType(t *testing.T) {
	q := docspace.QuotaBusiness()
	q["features"] = []any{
		map[string]any{"id": "audit", "type": "flag", "value": true, "used": map[string]any{"value": true}},
		map[string]any{"id": "sso", "type": "flag", "value": false, "used": map[string]any{"value": map[string]any{"on": false}}},
		map[string]any{"id": "backup", "type": "flag", "value": "yes", "used": map[string]any{"value": []any{1, "a"}}},
		map[string]any{"id": "thirdparty", "type": "flag", "value": nil, "used": map[string]any{"value": nil, "title": "n/a"}},
		map[string]any{"id": "users", "type": "count", "value": "100", "used": map[string]any{"value": "12"}},
		map[string]any{"id": "room", "type": "count", "value": 50, "used": map[string]any{"value": true}},
		map[string]any{"id": "total_size", "type": "size", "value": map[string]any{"bytes": 1}, "used": map[string]any{"value": 1024}},
		map[string]any{"id": "file_size", "type": "size", "value": 1048576000},
		map[string]any{"id": "oddity", "type": "gauge", "value": 3, "used": map[string]any{"value": 1}},
	}
	fake := docspace.NewFake(docspaceKey)
	fake.Set(docspace.Quota.Name, docspace.OK(q))
	h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
	h.Expect(`
# HELP billing_quota_limit_bytes Limit of a quota feature measured in bytes, e.g. storage. Unlimited features have no series. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_quota_limit_bytes gauge
billing_quota_limit_bytes{account="p",feature="file_size",provider="docspace"} 1.048576e+09
# HELP billing_quota_used_bytes Usage of a quota feature measured in bytes. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_quota_used_bytes gauge
billing_quota_used_bytes{account="p",feature="total_size",provider="docspace"} 1024
# HELP billing_quota_limit Limit of a quota feature that counts things, e.g. users or rooms. Unlimited features have no series. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_quota_limit gauge
billing_quota_limit{account="p",feature="room",provider="docspace"} 50
billing_quota_limit{account="p",feature="users",provider="docspace"} 100
# HELP billing_quota_used Usage of a quota feature that counts things. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_quota_used gauge
billing_quota_used{account="p",feature="users",provider="docspace"} 12
`, "billing_quota_limit_bytes", "billing_quota_used_bytes", "billing_quota_limit", "billing_quota_used")
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("billing_up = %v\n%s", up, h.Logs.String())
	}
}
