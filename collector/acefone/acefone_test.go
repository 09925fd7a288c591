package acefone_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/acefone"
	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/docspace"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const (
	acefoneKey      = "acefone-long-lived-token-7f3a9c"
	acefoneLoginID  = "billing@example.com"
	acefonePassword = "correct horse battery staple"
)

// newHarness serves one fake; login selects username/password auth; mod
// may change the config.
func newHarness(t *testing.T, fake *acefone.Fake, login bool, tz string, mod ...func(*config.Config)) (*collectortest.Harness, *sandbox.Server) {
	t.Helper()
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	o := &acefone.Options{Timezone: tz}
	acct := config.Account{Name: "ace", Provider: "acefone", BaseURL: srv.Mount("/ace", fake), Options: o}
	if login {
		o.Username, o.Password = acefoneLoginID, acefonePassword
	} else {
		acct.APIKey = acefoneKey
	}
	cfg := &config.Config{Accounts: []config.Account{acct}}
	for _, m := range mod {
		m(cfg)
	}
	h := collectortest.New(t, cfg)
	fake.Now = h.Clock.Now
	// Login tokens the fake handed out are secrets too.
	t.Cleanup(func() { h.CheckNoSecret(fake.Tokens()...) })
	return h, srv
}

func unix(year int, month time.Month, day, hour int, loc *time.Location) float64 {
	return float64(time.Date(year, month, day, hour, 0, 0, 0, loc).Unix())
}

func TestAcefoneDashboard(t *testing.T) {
	h, srv := newHarness(t, acefone.NewFake(acefoneKey, acefoneLoginID, acefonePassword), false, "")
	h.Scrape()
	want := map[string]float64{
		"billing_balance":                        1520.5,
		"billing_credit_limit":                   500,
		"billing_due_charges":                    120.25,
		"billing_next_billing_timestamp_seconds": unix(2026, 12, 1, 0, time.UTC),
		"billing_due_timestamp_seconds":          unix(2026, 12, 5, 0, time.UTC),
		"billing_auto_charge_enabled":            1,
		"billing_up":                             1,
	}
	for name, v := range want {
		if got := h.Value(name, map[string]string{"provider": "acefone"}); got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	for _, name := range []string{"billing_balance", "billing_credit_limit", "billing_due_charges"} {
		if h.Count(name, map[string]string{"currency": "GBP"}) != 1 {
			t.Errorf("%s has no GBP series", name)
		}
	}
	if h.Value("billing_account_info", map[string]string{"billing_type": "Contract", "billing_cycle": "30 days"}) != 1 {
		t.Error("account info")
	}
	plan := map[string]string{"plan": "UK Unlimited"}
	for name, v := range map[string]float64{
		"billing_plan_info":                   1,
		"billing_plan_due_timestamp_seconds":  unix(2026, 12, 1, 0, time.UTC),
		"billing_plan_call_remaining_seconds": 3800 * 60,
		"billing_plan_call_consumed_seconds":  1200 * 60, // sent as "1200" minutes
		"billing_plan_call_assigned_seconds":  5000 * 60,
	} {
		if got := h.Value(name, plan); got != v {
			t.Errorf("%s{plan=UK Unlimited} = %v, want %v", name, got, v)
		}
	}
	if n := h.Count("billing_plan_info", map[string]string{"plan": "Starter"}); n != 0 {
		t.Error("a closed plan is exported")
	}
	subs := map[string]float64{"DID Subscriptions": 10, "Call Recording": 4.5}
	for name, v := range subs {
		if got := h.Value("billing_subscription_charge_per_month", map[string]string{"subscription": name, "currency": "GBP"}); got != v {
			t.Errorf("subscription %s = %v, want %v", name, got, v)
		}
	}
	if n := h.Count("billing_subscription_charge_per_month", map[string]string{"subscription": "Fax"}); n != 0 {
		t.Error("a closed subscription is exported")
	}
	// The dashboard had the due amount and date: due_charges is not read.
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet || strings.Contains(r.Path, "due_charges") {
			t.Errorf("unexpected request %s %s", r.Method, r.Path)
		}
	}
}

func TestAcefoneSeedSample(t *testing.T) {
	fake := acefone.NewFake(acefoneKey, acefoneLoginID, acefonePassword)
	fake.Set(acefone.Dashboard.Name, sandbox.Reply{Body: acefone.SeedSample()})
	h, _ := newHarness(t, fake, false, "")
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 1 {
		t.Fatalf("billing_up = %v\n%s", up, h.Logs.String())
	}
	if got := h.Value("billing_next_billing_timestamp_seconds", nil); got != 1584849600 {
		t.Errorf("unix next_billing_date = %v", got)
	}
	if n := h.Count("billing_due_timestamp_seconds", nil); n != 0 {
		t.Error("due_date null exported a due timestamp")
	}
	if got := h.Value("billing_due_charges", nil); got != 0 {
		t.Errorf("due charges = %v", got)
	}
	if got := h.Value("billing_subscription_charge_per_month", map[string]string{"subscription": "DID Subscriptions"}); got != 0 {
		t.Errorf("flat subscription charge = %v", got)
	}
	if n := h.Count("billing_plan_info", nil); n != 0 {
		t.Error("missing plans exported plans")
	}
	if got := h.Value("billing_auto_charge_enabled", nil); got != 0 {
		t.Errorf("auto charge = %v", got)
	}
}

func TestAcefoneTolerantDecoding(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	for _, tc := range []struct {
		name  string
		value any
		tz    string
		want  float64
		valid bool
	}{
		{"unix number", 1784851200, "", 1784851200, true},
		{"unix string", "1784851200", "", 1784851200, true},
		{"date-time string is UTC", "2026-07-01 00:00:00", "", unix(2026, 7, 1, 0, time.UTC), true},
		{"date-time string in the account's zone", "2026-07-01 00:00:00", "Europe/London", unix(2026, 7, 1, 0, london), true},
		{"null", nil, "", 0, false},
		{"empty string", "", "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := acefone.DashboardDoc()
			doc["next_billing_date"] = tc.value
			doc["balance"] = "17.05" // numbers as strings
			fake := acefone.NewFake(acefoneKey, acefoneLoginID, acefonePassword)
			fake.Set(acefone.Dashboard.Name, sandbox.Reply{Body: doc})
			h, _ := newHarness(t, fake, false, tc.tz)
			h.Scrape()
			if n := h.Count("billing_next_billing_timestamp_seconds", nil); (n == 1) != tc.valid {
				t.Fatalf("%d series, want valid=%v", n, tc.valid)
			}
			if tc.valid {
				if got := h.Value("billing_next_billing_timestamp_seconds", nil); got != tc.want {
					t.Errorf("next billing = %v, want %v", got, tc.want)
				}
			}
			if got := h.Value("billing_balance", nil); got != 17.05 {
				t.Errorf("balance from string = %v", got)
			}
		})
	}
}

func TestAcefoneDueChargesFallback(t *testing.T) {
	doc := acefone.DashboardDoc()
	doc["due_charges"], doc["due_date"] = nil, nil
	fake := acefone.NewFake(acefoneKey, acefoneLoginID, acefonePassword)
	fake.Set(acefone.Dashboard.Name, sandbox.Reply{Body: doc})
	h, _ := newHarness(t, fake, false, "")
	h.Scrape()
	if got := h.Value("billing_due_charges", map[string]string{"currency": "GBP"}); got != 120.25 {
		t.Errorf("due charges from due_charges total = %v", got)
	}
	if got := h.Value("billing_due_timestamp_seconds", nil); got != unix(2026, 12, 5, 0, time.UTC) {
		t.Errorf("soonest pending due date = %v", got)
	}
}

func TestAcefoneDuplicatePlanNames(t *testing.T) {
	doc := acefone.DashboardDoc()
	p := doc["plans"].(map[string]any)["active"].([]any)[0].(map[string]any)
	twin := map[string]any{}
	for k, v := range p {
		twin[k] = v
	}
	twin["id"], twin["minutes_remaining"] = 12, 1
	doc["plans"].(map[string]any)["active"] = []any{p, twin}
	fake := acefone.NewFake(acefoneKey, acefoneLoginID, acefonePassword)
	fake.Set(acefone.Dashboard.Name, sandbox.Reply{Body: doc})
	h, _ := newHarness(t, fake, false, "")
	h.Scrape()
	if h.Value("billing_plan_call_remaining_seconds", map[string]string{"plan": "UK Unlimited (11)"}) != 3800*60 ||
		h.Value("billing_plan_call_remaining_seconds", map[string]string{"plan": "UK Unlimited (12)"}) != 60 {
		t.Error("plans sharing a name are not told apart by id")
	}
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("billing_up = %v\n%s", up, h.Logs.String())
	}
}

func TestAcefoneLoginRefreshAndRelogin(t *testing.T) {
	fake := acefone.NewFake("", acefoneLoginID, acefonePassword)
	h, srv := newHarness(t, fake, true, "")
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 1 || fake.Logins() != 1 {
		t.Fatalf("first scrape: up %v, logins %d\n%s", up, fake.Logins(), h.Logs.String())
	}
	// Within the token's life: no new login.
	h.Clock.Advance(30 * time.Minute)
	h.Scrape()
	if fake.Logins() != 1 || fake.Refreshes() != 0 {
		t.Errorf("at 30m: logins %d refreshes %d, want 1 and 0", fake.Logins(), fake.Refreshes())
	}
	// Five minutes before expiry the token is refreshed, not replaced by a login.
	h.Clock.Advance(26 * time.Minute)
	h.Scrape()
	if fake.Logins() != 1 || fake.Refreshes() != 1 {
		t.Errorf("at 56m: logins %d refreshes %d, want 1 and 1", fake.Logins(), fake.Refreshes())
	}
	// The vendor drops every token: the 401 leads to one new login.
	fake.ExpireTokens()
	h.Clock.Advance(time.Second) // past the cached answer
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 1 || fake.Logins() != 2 {
		t.Errorf("after a 401: up %v, logins %d, want 1 and 2\n%s", up, fake.Logins(), h.Logs.String())
	}
	// A token too old to refresh: straight to a login.
	h.Clock.Advance(2 * time.Hour)
	h.Scrape()
	if fake.Logins() != 3 {
		t.Errorf("after expiry: logins %d, want 3", fake.Logins())
	}
	for _, r := range srv.Requests() {
		post := r.Path == "/ace/v1/auth/login" || r.Path == "/ace/v1/auth/refresh"
		if (r.Method == http.MethodPost) != post || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
			t.Errorf("unexpected request %s %s", r.Method, r.Path)
		}
	}
	h.AssertNoSecret(append(fake.Tokens(), acefonePassword)...)
}

func TestAcefoneRefreshFailureFallsBackToLogin(t *testing.T) {
	fake := acefone.NewFake("", acefoneLoginID, acefonePassword)
	h, _ := newHarness(t, fake, true, "")
	h.Scrape()
	fake.Set(acefone.Dashboard.Name, sandbox.Reply{Body: acefone.DashboardDoc()})
	// Refresh answers 401 while login still works: simulate by dropping tokens
	// server-side only (refresh needs a live token).
	fake.ExpireTokens()
	h.Clock.Advance(57 * time.Minute)
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 1 {
		t.Fatalf("billing_up = %v\n%s", up, h.Logs.String())
	}
	if fake.Refreshes() != 0 || fake.Logins() != 2 {
		t.Errorf("logins %d refreshes %d, want 2 and 0", fake.Logins(), fake.Refreshes())
	}
}

func TestAcefoneWrongPassword(t *testing.T) {
	fake := acefone.NewFake("", acefoneLoginID, "another password")
	h, _ := newHarness(t, fake, true, "")
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v", up)
	}
	if n := h.Count("billing_balance", nil); n != 0 {
		t.Error("balance exported without a login")
	}
	logs := h.Logs.String()
	for _, want := range []string{"account=ace", "endpoint=auth/login", "status=401", "Invalid login credentials"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	h.AssertNoSecret(acefonePassword, "another password")
}

// A login refused with a body that echoes the password: the password, a
// provider option, is scrubbed from the log as api_key is.
func TestAcefoneLoginEchoingThePasswordIsScrubbed(t *testing.T) {
	fake := acefone.NewFake("", acefoneLoginID, acefonePassword)
	h, srv := newHarness(t, fake, true, "")
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		if !strings.HasSuffix(r.URL.Path, "/v1/auth/login") {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = fmt.Fprintf(w, `{"message":"no user with password %s"}`, acefonePassword)
		return true
	})
	h.Scrape()
	logs := h.Logs.String()
	if !strings.Contains(logs, "endpoint=auth/login") || !strings.Contains(logs, "no user with password <secret>") {
		t.Errorf("log lacks the scrubbed login error:\n%s", logs)
	}
	h.AssertNoSecret(acefonePassword)
}

func TestAcefoneLintWithDocSpace(t *testing.T) {
	const docspaceKey = "sk-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	h := collectortest.New(t, &config.Config{Accounts: []config.Account{
		{Name: "ace", Provider: "acefone", BaseURL: srv.Mount("/ace", acefone.NewFake(acefoneKey, "", "")), APIKey: acefoneKey},
		{Name: "doc", Provider: "docspace", BaseURL: srv.Mount("/doc", docspace.NewFake(docspaceKey)), APIKey: docspaceKey},
	}})
	problems, err := testutil.GatherAndLint(h.Reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestAcefoneDueChargesFailureKeepsDashboard(t *testing.T) {
	doc := acefone.DashboardDoc()
	doc["due_charges"], doc["due_date"] = nil, nil
	fake := acefone.NewFake(acefoneKey, acefoneLoginID, acefonePassword)
	fake.Set(acefone.Dashboard.Name, sandbox.Reply{Body: doc})
	fake.Set(acefone.DueCharges.Name, sandbox.Reply{Status: 500, Body: map[string]any{"success": false, "message": "Server Error"}})
	h, _ := newHarness(t, fake, false, "")
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v, want 0", up)
	}
	if got := h.Value("billing_balance", nil); got != 1520.5 {
		t.Errorf("balance = %v: the dashboard's data must survive a due_charges failure", got)
	}
	if n := h.Count("billing_due_charges", nil); n != 0 {
		t.Error("due charges exported without a source")
	}
	if !strings.Contains(h.Logs.String(), "endpoint=billing/due_charges") {
		t.Errorf("log does not name due_charges:\n%s", h.Logs.String())
	}
}

// The token is renewed five minutes before the expires_in the login
// answered, whatever that is: with 10-minute tokens the refresh comes at
// minute 6, not near the hour a fixed assumption would wait for.
func TestAcefoneTokenLifetimeFromExpiresIn(t *testing.T) {
	fake := acefone.NewFake("", acefoneLoginID, acefonePassword)
	fake.TokenTTL = 10 * time.Minute
	h, _ := newHarness(t, fake, true, "")
	step := func(d time.Duration, logins, refreshes int) {
		t.Helper()
		h.Clock.Advance(d)
		h.Scrape()
		if up := h.Value("billing_up", nil); up != 1 {
			t.Errorf("billing_up = %v\n%s", up, h.Logs.String())
		}
		if fake.Logins() != logins || fake.Refreshes() != refreshes {
			t.Errorf("logins %d refreshes %d, want %d and %d", fake.Logins(), fake.Refreshes(), logins, refreshes)
		}
	}
	step(0, 1, 0)
	step(4*time.Minute, 1, 0)  // 6 minutes left: keep it
	step(2*time.Minute, 1, 1)  // 4 minutes left: refresh
	step(12*time.Minute, 2, 1) // the refreshed token died at minute 16: log in
}

// A 401 that a fresh login does not cure is given up on after one login;
// the next scrapes wait out the login backoff: no login storm.
func TestAcefoneReloginOnceThenGivesUp(t *testing.T) {
	fake := acefone.NewFake("", acefoneLoginID, acefonePassword)
	fake.Set(acefone.Dashboard.Name, sandbox.Reply{Status: http.StatusUnauthorized,
		Body: map[string]any{"success": false, "message": "Unauthenticated."}})
	h, srv := newHarness(t, fake, true, "")
	for i := 1; i <= 2; i++ {
		srv.ResetRequests()
		h.Clock.Advance(time.Second)
		h.Scrape()
		if up := h.Value("billing_up", nil); up != 0 {
			t.Errorf("scrape %d: billing_up = %v, want 0", i, up)
		}
		dash := 0
		for _, r := range srv.Requests() {
			if r.Path == "/ace/v1/billing/dashboard" {
				dash++
			}
		}
		if want := map[int]int{1: 2, 2: 0}[i]; dash != want {
			t.Errorf("scrape %d: %d dashboard requests, want %d (one, then one after a new login; then none in the backoff)", i, dash, want)
		}
	}
	// One login to start, one more after the 401, none in the backoff.
	if fake.Logins() != 2 {
		t.Errorf("%d logins over two scrapes, want 2", fake.Logins())
	}
	logs := h.Logs.String()
	for _, want := range []string{"endpoint=billing/dashboard", "status=401", "reason=auth"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// A long-lived token has no login to fall back on: a 401 is the answer.
func TestAcefoneRevokedAPITokenDoesNotLogIn(t *testing.T) {
	fake := acefone.NewFake("acefone-other-token-000", acefoneLoginID, acefonePassword)
	h, srv := newHarness(t, fake, false, "")
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v, want 0", up)
	}
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("%s %s with an API token", r.Method, r.Path)
		}
	}
	if fake.Logins()+fake.Refreshes() != 0 {
		t.Error("logged in although no username is configured")
	}
	if !strings.Contains(h.Logs.String(), "status=401") {
		t.Errorf("log lacks the 401:\n%s", h.Logs.String())
	}
}

// Every request but the login carries "Authorization: Bearer <token>" (the
// fake also takes a raw token, as the vendor does; the exporter sends Bearer).
func TestAcefoneSendsBearer(t *testing.T) {
	for _, login := range []bool{false, true} {
		fake := acefone.NewFake(acefoneKey, acefoneLoginID, acefonePassword)
		h, srv := newHarness(t, fake, login, "")
		var mu sync.Mutex
		seen := map[string]string{}
		srv.SetFault(func(_ http.ResponseWriter, r *http.Request, _ http.Handler) bool {
			scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
			if r.Header.Get("Authorization") == "" {
				scheme = "none"
			}
			mu.Lock()
			seen[r.Method+" "+r.URL.Path] = scheme
			mu.Unlock()
			return false
		})
		h.Clock.Advance(56 * time.Minute) // with a login, the second scrape refreshes
		h.Scrape()
		h.Clock.Advance(56 * time.Minute)
		h.Scrape()
		want := map[string]string{"GET /ace/v1/billing/dashboard": "Bearer"}
		if login {
			want["POST /ace/v1/auth/login"] = "none"
			want["POST /ace/v1/auth/refresh"] = "Bearer"
		}
		mu.Lock()
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Errorf("login=%v: Authorization schemes %v, want %v", login, seen, want)
		}
		mu.Unlock()
	}
}

// The dashboard has a due amount but no due date: the date is the soonest
// *pending* entry of due_charges, whatever their order, read in the
// account's time zone; the amount stays the dashboard's.
func TestAcefoneDueDateFromDueCharges(t *testing.T) {
	doc := acefone.DashboardDoc()
	doc["due_charges"], doc["due_date"] = "50", nil
	fake := acefone.NewFake(acefoneKey, acefoneLoginID, acefonePassword)
	fake.Set(acefone.Dashboard.Name, sandbox.Reply{Body: doc})
	fake.Set(acefone.DueCharges.Name, sandbox.Reply{Body: map[string]any{
		"total_due_amount": "80.00", "total_records": "4", "page": "1",
		"data": []any{
			map[string]any{"id": "1", "charge": "30.00", "due_amount": "30.00", "payment_status": "Pending", "due_date": "2026-12-10 00:00:00"},
			map[string]any{"id": "2", "charge": "10.00", "due_amount": "0", "payment_status": "Paid", "due_date": "2026-11-28 00:00:00"},
			map[string]any{"id": "3", "charge": "50.00", "due_amount": "50.00", "payment_status": "Pending", "due_date": "2026-12-03 00:00:00"},
			map[string]any{"id": "4", "charge": "5.00", "due_amount": "5.00", "payment_status": "Pending", "due_date": nil},
		},
	}})
	h, _ := newHarness(t, fake, false, "Asia/Kolkata")
	h.Scrape()
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	if got, want := h.Value("billing_due_timestamp_seconds", nil), float64(time.Date(2026, 12, 3, 0, 0, 0, 0, kolkata).Unix()); got != want {
		t.Errorf("due = %v, want %v (2026-12-03 00:00 IST)", got, want)
	}
	if got := h.Value("billing_due_charges", map[string]string{"currency": "GBP"}); got != 50 {
		t.Errorf("due charges = %v, want the dashboard's 50", got)
	}
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("billing_up = %v\n%s", up, h.Logs.String())
	}
}

func TestAcefoneSubscriptionsSummedPerName(t *testing.T) {
	doc := acefone.SeedSample()
	doc["subscriptions"] = []any{
		map[string]any{"title": "DID Subscriptions", "type": 5, "charge_per_month": "2.50", "quantity": 1},
		map[string]any{"title": "DID Subscriptions", "type": 5, "charge_per_month": 3, "quantity": 1},
		map[string]any{"title": "Call Recording", "type": 7, "charge_per_month": nil, "quantity": 1},
	}
	fake := acefone.NewFake(acefoneKey, acefoneLoginID, acefonePassword)
	fake.Set(acefone.Dashboard.Name, sandbox.Reply{Body: doc})
	h, _ := newHarness(t, fake, false, "")
	h.Expect(`
# HELP billing_subscription_charge_per_month Monthly charge of active subscriptions, summed per name. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_subscription_charge_per_month gauge
billing_subscription_charge_per_month{account="ace",currency="GBP",provider="acefone",subscription="DID Subscriptions"} 5.5
`, "billing_subscription_charge_per_month")
}

// Dates far from now are exported exactly, read in the account's zone:
// 2286 (unix 9999999999), 2300 and 1600.
func TestAcefoneFarDatesAreExact(t *testing.T) {
	doc := acefone.DashboardDoc()
	doc["next_billing_date"] = 9999999999
	doc["due_date"] = "2300-01-01 00:00:00"
	doc["plans"].(map[string]any)["active"].([]any)[0].(map[string]any)["renew_on_date"] = "1600-01-01 00:00:00"
	fake := acefone.NewFake(acefoneKey, "", "")
	fake.Set(acefone.Dashboard.Name, sandbox.Reply{Body: doc})
	h, _ := newHarness(t, fake, false, "Europe/Moscow")
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 1 {
		t.Fatalf("billing_up = %v\n%s", up, h.Logs.String())
	}
	msk, _ := time.LoadLocation("Europe/Moscow")
	for name, want := range map[string]float64{
		"billing_next_billing_timestamp_seconds": 9999999999,
		"billing_due_timestamp_seconds":          float64(time.Date(2300, 1, 1, 0, 0, 0, 0, msk).Unix()),
		"billing_plan_due_timestamp_seconds":     float64(time.Date(1600, 1, 1, 0, 0, 0, 0, msk).Unix()),
	} {
		if got := h.Value(name, nil); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}
