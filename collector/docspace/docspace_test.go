package docspace_test

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

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
billing_balance{account="main",currency="USD",provider="docspace",wallet="ai"} 25.5
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
# HELP billing_payment_state Whether the account is paid up, one series per state: 1 for the current state, 0 for the others. trial: on a trial; paid: paid up; grace: past due, still working until the grace period ends; unpaid: past the grace period, restricted by the vendor. All 0 when the vendor reports a state not listed here. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_payment_state gauge
billing_payment_state{account="main",organization="",organization_id="",provider="docspace",state="grace"} 0
billing_payment_state{account="main",organization="",organization_id="",provider="docspace",state="paid"} 1
billing_payment_state{account="main",organization="",organization_id="",provider="docspace",state="trial"} 0
billing_payment_state{account="main",organization="",organization_id="",provider="docspace",state="unpaid"} 0
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
		"billing_payment_state", "billing_last_credit_amount", "billing_available_plan_price", "billing_supported_currency_info",
		"billing_grace_period_end_timestamp_seconds")

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
	if n := len(srv.Requests()); n != len(docspace.Provider.Endpoints) {
		t.Errorf("%d upstream requests, want %d (one per endpoint)", n, len(docspace.Provider.Endpoints))
	}
}

// The plan's due date is the tariff's dueDate, an ApiDateTime: local time
// with the portal's offset, or Z; a date without a zone is read as UTC.
// Users who are not admins get the tariff without dates: no series, and
// the account stays up.
func TestDocSpacePlanDueFromTariff(t *testing.T) {
	for _, tc := range []struct {
		name, due string
		want      float64
		present   bool
	}{
		{"portal offset, 7 fractional digits", "2026-08-01T03:00:00.0000000+03:00", 1785542400, true},
		{"Z with 7 fractional digits", "2026-07-05T10:11:12.1234567Z", 1783246272.1234567, true},
		{"negative offset", "2026-07-31T19:00:00.0000000-05:00", 1785542400, true},
		{"no offset is UTC", "2026-08-01T00:00:00", 1785542400, true},
		{"omitted for a user who is not an admin", "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := docspace.NewFake(docspaceKey)
			tariff := docspace.TariffDoc(docspace.TariffPaid, docspace.PlanDue, time.Time{})
			if tc.due == "" {
				delete(tariff, "dueDate") // the server omits nulls
				delete(tariff, "delayDueDate")
			} else {
				tariff["dueDate"] = tc.due
			}
			fake.Set(docspace.Tariff.Name, docspace.OK(tariff))
			h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
			n := h.Count("billing_plan_due_timestamp_seconds", nil)
			if !tc.present {
				if n != 0 {
					t.Fatalf("omitted dueDate gave %d series", n)
				}
				if v := h.Value("billing_payment_state", map[string]string{"state": "paid"}); v != 1 {
					t.Errorf("payment state without dates: paid = %v", v)
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

// In the server a quota gets a dueDate only from a pay-as-you-go wallet
// item (TariffService.GetTariffAsync sets due dates on wallet rows only):
// the plan's due date is the tariff's, whatever the quota says, and a
// portal whose quota has none still has one.
func TestDocSpaceWalletItemDueDateIsNotThePlans(t *testing.T) {
	walletDue := time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC)
	for name, quota := range map[string]map[string]any{
		"quota without dueDate":              docspace.QuotaBusiness(),
		"quota with a wallet item's dueDate": docspace.WithWalletItem(docspace.QuotaBusiness(), walletDue),
	} {
		t.Run(name, func(t *testing.T) {
			fake := docspace.NewFake(docspaceKey)
			fake.Set(docspace.Quota.Name, docspace.OK(quota))
			h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
			if got, want := h.Value("billing_plan_due_timestamp_seconds", map[string]string{"plan": "Business"}), float64(docspace.PlanDue.Unix()); got != want {
				t.Errorf("plan due = %v, want the tariff's %v", got, want)
			}
		})
	}
}

// A trial portal: the quota says trial and has no dueDate, the tariff
// says Trial until a date. The plan is due on the tariff's date, flagged
// as a trial, and the payment state is trial: BillingTrialEndingSoon's
// input.
func TestDocSpaceTrialEndsOnTheTariffsDate(t *testing.T) {
	ends := time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC)
	fake := docspace.NewFake(docspaceKey)
	q := docspace.QuotaBusiness()
	q["title"], q["trial"] = "Business (trial)", true
	fake.Set(docspace.Quota.Name, docspace.OK(q))
	fake.Set(docspace.Tariff.Name, docspace.OK(docspace.TariffDoc(docspace.TariffTrial, ends, time.Time{})))
	h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
	plan := map[string]string{"plan": "Business (trial)"}
	if got := h.Value("billing_plan_due_timestamp_seconds", plan); got != float64(ends.Unix()) {
		t.Errorf("trial due = %v, want %v", got, ends.Unix())
	}
	if got := h.Value("billing_plan_trial", plan); got != 1 {
		t.Errorf("billing_plan_trial = %v", got)
	}
	if got := h.Value("billing_payment_state", map[string]string{"state": "trial"}); got != 1 {
		t.Errorf("billing_payment_state{state=trial} = %v", got)
	}
}

// TariffState is a code: 0 Trial, 1 Paid, 2 Delay (past due, working until
// delayDueDate: grace), 3 NotPaid (restricted: unpaid). Each sets its
// state to 1 and the others to 0; a code the exporter does not know sets
// all four to 0 (ADR 0015); a tariff without state has no series. The
// grace period's end is delayDueDate, when the server sends a date: the
// server's zero date, which it sends for a tariff never past due, is none.
func TestDocSpacePaymentState(t *testing.T) {
	due := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	delay := due.AddDate(0, 0, 7)
	for _, tc := range []struct {
		name     string
		state    any // nil: no state in the answer
		delay    time.Time
		current  string // "" = every state 0
		states   int
		graceEnd float64 // 0 = no series
	}{
		{"trial", docspace.TariffTrial, time.Time{}, "trial", 4, 0},
		{"paid", docspace.TariffPaid, time.Time{}, "paid", 4, 0},
		{"delay is grace", docspace.TariffDelay, delay, "grace", 4, float64(delay.Unix())},
		{"not paid is unpaid", docspace.TariffNotPaid, delay, "unpaid", 4, float64(delay.Unix())},
		{"code as a string", "2", delay, "grace", 4, float64(delay.Unix())},
		{"unknown code", 9, time.Time{}, "", 4, 0},
		{"no state", nil, time.Time{}, "", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tariff := docspace.TariffDoc(docspace.TariffPaid, due, tc.delay)
			tariff["state"] = tc.state
			fake := docspace.NewFake(docspaceKey)
			fake.Set(docspace.Tariff.Name, docspace.OK(tariff))
			h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
			if n := h.Count("billing_payment_state", nil); n != tc.states {
				t.Errorf("%d series, want %d", n, tc.states)
			}
			if tc.states > 0 {
				for _, state := range []string{"trial", "paid", "grace", "unpaid"} {
					want := 0.0
					if state == tc.current {
						want = 1
					}
					if got := h.Value("billing_payment_state", map[string]string{"state": state}); got != want {
						t.Errorf("billing_payment_state{state=%q} = %v, want %v", state, got, want)
					}
				}
			}
			if tc.graceEnd == 0 {
				if n := h.Count("billing_grace_period_end_timestamp_seconds", nil); n != 0 {
					t.Errorf("%d grace period series without a delayDueDate", n)
				}
			} else if got := h.Value("billing_grace_period_end_timestamp_seconds", nil); got != tc.graceEnd {
				t.Errorf("grace period end = %v, want %v", got, tc.graceEnd)
			}
			if up := h.Value("billing_up", nil); up != 1 {
				t.Errorf("billing_up = %v\n%s", up, h.Logs.String())
			}
		})
	}
}

// The tariff fails alone: the plan keeps its name, loses its due date and
// the account is down; the other endpoints' values stay.
func TestDocSpaceTariffFailing(t *testing.T) {
	fake := docspace.NewFake(docspaceKey)
	fake.Set(docspace.Tariff.Name, docspace.ErrorReply(http.StatusInternalServerError, "Internal error"))
	h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v, want 0", up)
	}
	if n := h.Count("billing_plan_due_timestamp_seconds", nil) + h.Count("billing_payment_state", nil); n != 0 {
		t.Errorf("%d tariff series from a failed tariff", n)
	}
	if v := h.Value("billing_plan_info", map[string]string{"plan": "Business"}); v != 1 {
		t.Errorf("plan info = %v", v)
	}
	if !strings.Contains(h.Logs.String(), "endpoint=tariff") {
		t.Errorf("log does not name the tariff:\n%s", h.Logs.String())
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
	if v := h.Value("billing_upstream_errors_total", map[string]string{"account": "bad", "reason": "auth"}); v != float64(len(docspace.Provider.Endpoints)) {
		t.Errorf("auth errors = %v, want %d (one per endpoint)", v, len(docspace.Provider.Endpoints))
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
	// Quota, top-up and tariff still come through: the server's default
	// tariff, paid and never due (ADR 0019).
	if v := h.Value("billing_quota_limit", map[string]string{"feature": "users"}); v != 100 {
		t.Errorf("quota limit = %v", v)
	}
	if v := h.Value("billing_payment_state", map[string]string{"state": "paid"}); v != 1 {
		t.Errorf("payment state paid = %v", v)
	}
	if v := h.Value("billing_plan_due_timestamp_seconds", nil); math.Abs(v-253402300800) > 1e-3 {
		t.Errorf("plan due = %v, want 9999-12-31T23:59:59.9999999Z", v)
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

// A plan that never ends is due on .NET's DateTime.MaxValue. The tariff
// sends its dueDate as ApiDateTime, which writes MaxValue as the zero date
// 0001-01-01T00:00:00.0000000Z, as it does MinValue; MinValue makes the
// tariff NotPaid, so a trial or paid tariff with the zero date never ends
// and is due on 9999-12-31T23:59:59.9999999Z, exactly (ADR 0013, 0018). A
// date in 9999 is read as sent; an unpaid tariff's zero date is no date.
func TestDocSpaceNeverEndingPlanIsDueIn9999(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		state int
		due   string
		want  float64 // 0: no series
	}{
		{"paid, zero date", docspace.TariffPaid, "0001-01-01T00:00:00.0000000Z", 253402300800},
		{"trial, zero date", docspace.TariffTrial, "0001-01-01T00:00:00.0000000Z", 253402300800},
		{"a date in 9999", docspace.TariffPaid, "9999-12-31T23:59:59.9999999", 253402300800},
		{"unpaid, zero date", docspace.TariffNotPaid, "0001-01-01T00:00:00.0000000Z", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tariff := docspace.TariffDoc(tc.state, time.Time{}, time.Time{})
			tariff["dueDate"] = tc.due
			fake := docspace.NewFake(docspaceKey)
			fake.Set(docspace.Tariff.Name, docspace.OK(tariff))
			h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"d": fake})
			h.Scrape()
			if up := h.Value("billing_up", nil); up != 1 {
				t.Fatalf("billing_up = %v\n%s", up, h.Logs.String())
			}
			if tc.want == 0 {
				if n := h.Count("billing_plan_due_timestamp_seconds", nil); n != 0 {
					t.Errorf("%d due date series for no date", n)
				}
				return
			}
			// 253402300799.9999999 is 253402300800 in a float64.
			if got := h.Value("billing_plan_due_timestamp_seconds", nil); math.Abs(got-tc.want) > 1e-3 {
				t.Errorf("billing_plan_due_timestamp_seconds = %v, want %v (9999-12-31T23:59:59.9999999Z)", got, tc.want)
			}
		})
	}
}

// AI credits are a balance of their own, customer/aibalance, shaped as
// customer/balance: billing_balance{wallet="ai"} beside the main wallet's
// wallet="" series. Their lastCredit is not the portal's. A portal without
// AI credits (null response) or without a payment service (403 "Tariff
// service is not configured") has no AI series and stays up; any other
// error fails the account.
func TestDocSpaceAICredits(t *testing.T) {
	for _, tc := range []struct {
		name string
		rep  sandbox.Reply
		want float64 // -1: no AI series
		up   float64
	}{
		{"credits", docspace.OK(docspace.AIBalanceDoc(7.25)), 7.25, 1},
		{"as a numeric string", docspace.OK(map[string]any{"subAccounts": []any{map[string]any{"currency": "usd", "amount": "12.3400"}}}), 12.34, 1},
		{"null response", docspace.OK(nil), -1, 1},
		{"no sub-accounts", docspace.OK(map[string]any{"accountNumber": 1}), -1, 1},
		{"payment service not configured", docspace.ErrorReply(http.StatusForbidden, "Tariff service is not configured"), -1, 1},
		{"another error", docspace.ErrorReply(http.StatusForbidden, "Access denied"), -1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := docspace.NewFake(docspaceKey)
			fake.Set(docspace.AIBalance.Name, tc.rep)
			h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
			ai := map[string]string{"wallet": "ai"}
			if tc.want < 0 {
				if n := h.Count("billing_balance", ai); n != 0 {
					t.Errorf("%d AI balance series", n)
				}
			} else if got := h.Value("billing_balance", map[string]string{"wallet": "ai", "currency": "USD"}); got != tc.want {
				t.Errorf("AI balance = %v, want %v", got, tc.want)
			}
			if got := h.Value("billing_balance", map[string]string{"wallet": "", "currency": "USD"}); got != 1500.75 {
				t.Errorf("main balance = %v", got)
			}
			if got := h.Value("billing_last_credit_amount", map[string]string{"currency": "USD"}); got != 500 {
				t.Errorf("last credit = %v, want the main wallet's 500", got)
			}
			if up := h.Value("billing_up", nil); up != tc.up {
				t.Errorf("billing_up = %v, want %v\n%s", up, tc.up, h.Logs.String())
			}
		})
	}
}

// Money strings decode exactly, with their zeros, signs and size.
func TestDocSpaceBalanceStrings(t *testing.T) {
	fake := docspace.NewFake(docspaceKey)
	fake.Set(docspace.Balance.Name, docspace.OK(map[string]any{"subAccounts": []any{
		map[string]any{"currency": "USD", "amount": "12.3400"},
		map[string]any{"currency": "EUR", "amount": "-5.10"},
		map[string]any{"currency": "RUB", "amount": "98765432109.99"},
	}}))
	h, _ := newDocSpaceHarness(t, map[string]*docspace.Fake{"p": fake})
	for cur, want := range map[string]float64{"USD": 12.34, "EUR": -5.10, "RUB": 98765432109.99} {
		if got := h.Value("billing_balance", map[string]string{"currency": cur, "wallet": ""}); got != want {
			t.Errorf("%s balance = %v, want %v", cur, got, want)
		}
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
