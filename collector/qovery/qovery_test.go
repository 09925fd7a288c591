package qovery_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/qovery"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const (
	qoveryToken = "qov_t_3c9b0e7a1f"
	orgA        = "11111111-aaaa-4aaa-8aaa-000000000001"
	orgB        = "22222222-bbbb-4bbb-8bbb-000000000002"
)

func qoveryOrgs() []qovery.Org {
	return []qovery.Org{
		{ID: orgA, Name: "alpha", Plan: "TEAM_2025", Clusters: []qovery.Cluster{
			// Float fields rounded differently from the cents: cents win.
			{ID: "c-a1", Name: "a1", Cost: map[string]any{"min_cost_in_cents": 15001, "min_cost": 150,
				"max_cost_in_cents": 30000, "max_cost": 299.99, "currency_code": "USD"}},
			{ID: "c-a2", Name: "a2", Cost: qovery.Cost(100, 200)},
		}},
		{ID: orgB, Name: "beta", Plan: "BUSINESS_2025", Restriction: "INVOICE_UNPAID", Clusters: []qovery.Cluster{
			{ID: "c-b1", Name: "b1", Cost: qovery.Cost(5000, 9000)},
			{ID: "c-b2", Name: "b2", Cost: qovery.Cost(7000, 8000)},
		}},
	}
}

// qoveryHarness is a harness of one Qovery account "qov" on fake; cfg
// (nil for defaults) gets the account appended.
func qoveryHarness(t *testing.T, fake *qovery.Fake, acct config.Account, cfg *config.Config) (*collectortest.Harness, *sandbox.Server) {
	t.Helper()
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	acct.Name, acct.Provider, acct.BaseURL = "qov", "qovery", srv.Mount("/qov", fake)
	if acct.APIKey == "" {
		acct.APIKey = qoveryToken
	}
	if cfg == nil {
		cfg = &config.Config{}
	}
	cfg.Accounts = append(cfg.Accounts, acct)
	return collectortest.New(t, cfg), srv
}

func TestQoveryTwoOrganizationsTwoClustersEach(t *testing.T) {
	h, srv := qoveryHarness(t, qovery.NewFake(qoveryToken, qoveryOrgs()...), config.Account{}, nil)
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 1 {
		t.Fatalf("billing_up = %v\n%s", up, h.Logs.String())
	}
	a := map[string]string{"organization": "alpha", "organization_id": orgA}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"billing_cluster_cost_min", with(a, "cluster", "a1", "cluster_id", "c-a1", "currency", "USD"), 150.01}, // cents preferred
		{"billing_cluster_cost_max", with(a, "cluster", "a1", "cluster_id", "c-a1", "currency", "USD"), 300},
		{"billing_cluster_cost_min", with(a, "cluster", "a2"), 1},
		{"billing_cluster_cost_max", map[string]string{"organization": "beta", "cluster": "b2"}, 80},
		{"billing_current_cost", with(a, "currency", "USD"), 300.5},
		{"billing_plan_info", with(a, "plan", "TEAM_2025"), 1},
		{"billing_plan_due_timestamp_seconds", with(a, "plan", "TEAM_2025"), float64(time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC).Unix())},
		{"billing_trial_remaining_seconds", a, 0},
		{"billing_valid", a, 1},
		{"billing_invoices", with(a, "status", "PAID"), 2},
		{"billing_invoices", with(a, "status", "NOT_PAID"), 1},
		{"billing_invoices_amount", with(a, "status", "PAID", "currency", "USD"), 610},
		{"billing_invoices_amount", with(a, "status", "NOT_PAID", "currency", "USD"), 299.5},
		{"billing_last_invoice_timestamp_seconds", a, float64(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix())},
		{"billing_card_expiry_timestamp_seconds", with(a, "brand", "visa", "last_digits", "4242"), float64(time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC).Unix())},
		{"billing_card_expired", with(a, "brand", "visa"), 0},
		{"billing_deployment_restricted", a, 0},
		{"billing_deployment_restricted", map[string]string{"organization": "beta", "restriction": "INVOICE_UNPAID"}, 1},
		{"billing_info", with(a, "country_code", "FR"), 1},
	} {
		if got := h.Value(tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if n := h.Count("billing_cluster_cost_max", map[string]string{"provider": "qovery"}); n != 4 {
		t.Errorf("%d cluster cost series, want 4 (two organizations, two clusters each)", n)
	}
	if n := h.Count("billing_status_info", nil); n != 0 {
		t.Error("an empty billing status message is exported")
	}
	// billingInfo is personal data: nothing but the country leaves.
	text := h.Text()
	for _, personal := range []string{"Jane", "Payer", "1 Main St", "Paris", "75001", "Acme SAS", "FR00123456789", "billing@example.com"} {
		if strings.Contains(text, personal) {
			t.Errorf("personal data %q exported", personal)
		}
	}
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("non-GET request %s %s: the exporter must only read", r.Method, r.Path)
		}
	}
}

func TestQoveryStatusMessageAndTrial(t *testing.T) {
	fake := qovery.NewFake(qoveryToken, qoveryOrgs()[0])
	fake.Set("/organization/"+orgA+"/billingStatus", sandbox.Reply{Body: map[string]any{"is_valid": false, "message": "Invoice unpaid for 7 days"}})
	fake.Set("/organization/"+orgA+"/currentCost", sandbox.Reply{Body: map[string]any{"plan": "USER_2025", "remaining_trial_day": 3,
		"renewal_at": nil, "remaining_credits": 0, "paid_usage": map[string]any{"x": 1}}})
	fake.Set("/organization/"+orgA+"/creditCard", sandbox.Reply{Body: map[string]any{"results": []any{map[string]any{
		"id": "card-1", "expiry_month": 12, "expiry_year": 2025, "last_digit": "0005", "is_expired": true, "brand": "mastercard"}}}})
	h, _ := qoveryHarness(t, fake, config.Account{}, nil)
	h.Scrape()
	if got := h.Value("billing_valid", nil); got != 0 {
		t.Errorf("billing_valid = %v", got)
	}
	if got := h.Value("billing_status_info", map[string]string{"message": "Invoice unpaid for 7 days"}); got != 1 {
		t.Errorf("status info = %v", got)
	}
	if got := h.Value("billing_trial_remaining_seconds", nil); got != 3*86400 {
		t.Errorf("trial remaining = %v", got)
	}
	if n := h.Count("billing_plan_due_timestamp_seconds", nil); n != 0 {
		t.Error("null renewal_at exported a due date")
	}
	if n := h.Count("billing_current_cost", nil); n != 0 {
		t.Error("a currentCost without cost exported a cost")
	}
	// December's card is good through December 31st.
	if got := h.Value("billing_card_expiry_timestamp_seconds", map[string]string{"card_id": "card-1"}); got != float64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()) {
		t.Errorf("card expiry = %v", got)
	}
	if got := h.Value("billing_card_expired", map[string]string{"card_id": "card-1", "brand": "mastercard", "last_digits": "0005"}); got != 1 {
		t.Errorf("card expired = %v", got)
	}
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("billing_up = %v\n%s", up, h.Logs.String())
	}
}

func TestQoveryCostRangeWithMissingFields(t *testing.T) {
	orgs := qoveryOrgs()[:1]
	orgs[0].Clusters[0].Cost = map[string]any{"currency_code": "USD", "max_cost": 120.5}
	orgs[0].Clusters[1].Cost = map[string]any{"currency_code": "EUR"}
	h, _ := qoveryHarness(t, qovery.NewFake(qoveryToken, orgs...), config.Account{}, nil)
	h.Scrape()
	if got := h.Value("billing_cluster_cost_max", map[string]string{"cluster": "a1", "currency": "USD"}); got != 120.5 {
		t.Errorf("max from the float field = %v", got)
	}
	if n := h.Count("billing_cluster_cost_min", map[string]string{"cluster": "a1"}); n != 0 {
		t.Error("absent min exported")
	}
	if n := h.Count("billing_cluster_cost_min", map[string]string{"cluster": "a2"}) + h.Count("billing_cluster_cost_max", map[string]string{"cluster": "a2"}); n != 0 {
		t.Error("a range with only a currency exported values")
	}
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("billing_up = %v", up)
	}
}

func TestQoveryUnknownOrganization(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	cfg := &config.Config{Accounts: []config.Account{
		{Name: "unknown", Provider: "qovery", BaseURL: srv.Mount("/unknown", qovery.NewFake(qoveryToken, qoveryOrgs()...)),
			APIKey: qoveryToken, Options: &qovery.Options{OrganizationID: "99999999-0000-4000-8000-000000000000"}},
		{Name: "ok", Provider: "qovery", BaseURL: srv.Mount("/ok", qovery.NewFake(qoveryToken, qoveryOrgs()...)),
			APIKey: qoveryToken, Options: &qovery.Options{OrganizationID: orgB}},
	}}
	h := collectortest.New(t, cfg)
	h.Scrape()
	if up := h.Value("billing_up", map[string]string{"account": "unknown"}); up != 0 {
		t.Errorf("unknown organization: billing_up = %v", up)
	}
	if up := h.Value("billing_up", map[string]string{"account": "ok"}); up != 1 {
		t.Errorf("other account: billing_up = %v", up)
	}
	// organization_id restricts the account to that organization.
	if n := h.Count("billing_plan_info", map[string]string{"account": "ok"}); n != 1 {
		t.Errorf("configured organization: %d plan series, want 1", n)
	}
	if got := h.Value("billing_plan_info", map[string]string{"account": "ok", "organization": "beta"}); got != 1 {
		t.Error("organization not named from the list")
	}
	logs := h.Logs.String()
	for _, want := range []string{"account=unknown", "endpoint=organization/currentCost", "status=403", "organization does not exist"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	h.AssertNoSecret(qoveryToken)
}

func TestQoveryAuthScheme(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
	for _, tc := range []struct {
		name, token, override, pinned string
		up                            float64
	}{
		{"API token as Token", qoveryToken, "", "Token", 1},
		{"JWT as Bearer", jwt, "", "Bearer", 1},
		{"override to Bearer", qoveryToken, "Bearer", "Bearer", 1},
		{"wrong scheme is refused", qoveryToken, "Bearer", "Token", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := qovery.NewFake(tc.token, qoveryOrgs()[0])
			fake.Scheme = tc.pinned
			h, _ := qoveryHarness(t, fake, config.Account{APIKey: config.Secret(tc.token), Options: &qovery.Options{AuthScheme: tc.override}}, nil)
			h.Scrape()
			if up := h.Value("billing_up", nil); up != tc.up {
				t.Errorf("billing_up = %v, want %v\n%s", up, tc.up, h.Logs.String())
			}
			h.AssertNoSecret(tc.token)
		})
	}
}

// Organization and cluster lists are cached for an hour, costs for
// cache_ttl: over 20 minutes with a 5-minute TTL the lists are read once
// and each cost four times.
func TestQoveryDiscoveryCachedLongerThanCosts(t *testing.T) {
	cfg := &config.Config{Global: config.Global{CacheTTL: config.Duration(5 * time.Minute)}}
	h, srv := qoveryHarness(t, qovery.NewFake(qoveryToken, qoveryOrgs()...), config.Account{}, cfg)
	h.ScrapeEvery(80, 15*time.Second) // 20 minutes of 15 s scrapes
	count := srv.RequestsPerPath()
	if n := count["/qov/organization"]; n != 1 {
		t.Errorf("organization list read %d times, want 1", n)
	}
	if n := count["/qov/organization/"+orgA+"/cluster"]; n != 1 {
		t.Errorf("cluster list read %d times, want 1", n)
	}
	if n := count["/qov/organization/"+orgA+"/cluster/c-a1/currentCost"]; n != 4 {
		t.Errorf("cluster cost read %d times, want 4", n)
	}
	if n := count["/qov/organization/"+orgA+"/currentCost"]; n != 4 {
		t.Errorf("organization cost read %d times, want 4", n)
	}
}

// The Qovery part of collector's TestLintAllProviders: Qovery's families
// pass promlint.
func TestQoveryLint(t *testing.T) {
	h, _ := qoveryHarness(t, qovery.NewFake(qoveryToken, qoveryOrgs()...), config.Account{}, nil)
	h.Scrape()
	if up := h.Value("billing_up", map[string]string{"account": "qov"}); up != 1 {
		t.Errorf("qov: billing_up = %v", up)
	}
	problems, err := testutil.GatherAndLint(h.Reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// Invoices are counted and summed per status and currency whatever their
// order; the newest created_at wins; cents are preferred, the float field
// stands in; an invoice without status counts as UNKNOWN.
func TestQoveryInvoices(t *testing.T) {
	fake := qovery.NewFake(qoveryToken, qoveryOrgs()[0])
	fake.Set("/organization/"+orgA+"/invoice", sandbox.Reply{Body: map[string]any{"results": []any{
		map[string]any{"id": "i1", "created_at": "2026-10-01T00:00:00Z", "status": "PAID", "total_in_cents": 10001, "total": 100, "currency_code": "USD"},
		map[string]any{"id": "i2", "created_at": "2026-11-15T08:30:00Z", "status": "PAID", "total": 50.25, "currency_code": "EUR"},
		map[string]any{"id": "i3", "created_at": "2026-09-01T00:00:00Z", "status": "paid", "total_in_cents": 2000, "total": 20, "currency_code": "usd"},
		map[string]any{"id": "i4", "created_at": nil, "status": "PAYMENT_DUE", "total_in_cents": 999, "currency_code": "USD"},
		map[string]any{"id": "i5", "created_at": "2026-11-01T00:00:00Z", "status": nil, "total_in_cents": 1, "currency_code": "USD"},
	}}})
	h, _ := qoveryHarness(t, fake, config.Account{}, nil)
	h.Expect(`
# HELP billing_invoices Invoices by status. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_invoices gauge
billing_invoices{account="qov",organization="alpha",organization_id="`+orgA+`",provider="qovery",status="PAID"} 3
billing_invoices{account="qov",organization="alpha",organization_id="`+orgA+`",provider="qovery",status="PAYMENT_DUE"} 1
billing_invoices{account="qov",organization="alpha",organization_id="`+orgA+`",provider="qovery",status="UNKNOWN"} 1
# HELP billing_invoices_amount Total of the invoices by status. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_invoices_amount gauge
billing_invoices_amount{account="qov",currency="EUR",organization="alpha",organization_id="`+orgA+`",provider="qovery",status="PAID"} 50.25
billing_invoices_amount{account="qov",currency="USD",organization="alpha",organization_id="`+orgA+`",provider="qovery",status="PAID"} 120.01
billing_invoices_amount{account="qov",currency="USD",organization="alpha",organization_id="`+orgA+`",provider="qovery",status="PAYMENT_DUE"} 9.99
billing_invoices_amount{account="qov",currency="USD",organization="alpha",organization_id="`+orgA+`",provider="qovery",status="UNKNOWN"} 0.01
# HELP billing_last_invoice_timestamp_seconds When the newest invoice was created, Unix time. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_last_invoice_timestamp_seconds gauge
billing_last_invoice_timestamp_seconds{account="qov",organization="alpha",organization_id="`+orgA+`",provider="qovery"} 1.7947314e+09
`, "billing_invoices", "billing_invoices_amount", "billing_last_invoice_timestamp_seconds")
}

// No invoice: no count, no amount, no date (not a zero date).
func TestQoveryNoInvoiceNoCard(t *testing.T) {
	fake := qovery.NewFake(qoveryToken, qoveryOrgs()[0])
	fake.Set("/organization/"+orgA+"/invoice", sandbox.Reply{Body: map[string]any{"results": []any{}}})
	fake.Set("/organization/"+orgA+"/creditCard", sandbox.Reply{Body: map[string]any{"results": []any{}}})
	fake.Set("/organization/"+orgA+"/billingInfo", sandbox.Reply{Body: map[string]any{"first_name": nil, "country_code": nil}})
	h, _ := qoveryHarness(t, fake, config.Account{}, nil)
	h.Scrape()
	for _, name := range []string{"billing_invoices", "billing_invoices_amount", "billing_last_invoice_timestamp_seconds",
		"billing_card_expiry_timestamp_seconds", "billing_card_expired", "billing_info"} {
		if n := h.Count(name, nil); n != 0 {
			t.Errorf("%s: %d series, want none", name, n)
		}
	}
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("billing_up = %v", up)
	}
}

// currentCost: total_in_cents / 100 wins over a rounded total; total stands
// in when the cents are absent; a cost without currency_code is no series.
func TestQoveryCurrentCostPrefersCents(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cost  map[string]any
		want  float64
		valid bool
	}{
		{"cents win", map[string]any{"total_in_cents": 12345, "total": 123, "currency_code": "EUR"}, 123.45, true},
		{"float stands in", map[string]any{"total": 99.9, "currency_code": "EUR"}, 99.9, true},
		{"cents as a string", map[string]any{"total_in_cents": "700", "currency_code": "EUR"}, 7, true},
		{"no currency", map[string]any{"total_in_cents": 100, "total": 1}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := qovery.NewFake(qoveryToken, qoveryOrgs()[0])
			fake.Set("/organization/"+orgA+"/currentCost", sandbox.Reply{Body: map[string]any{"plan": "TEAM_2025",
				"remaining_trial_day": 0, "renewal_at": "2026-12-15T00:00:00Z", "cost": tc.cost}})
			h, _ := qoveryHarness(t, fake, config.Account{}, nil)
			h.Scrape()
			if !tc.valid {
				if n := h.Count("billing_current_cost", nil); n != 0 {
					t.Errorf("%d series without a currency", n)
				}
				return
			}
			if got := h.Value("billing_current_cost", map[string]string{"currency": "EUR", "organization": "alpha"}); got != tc.want {
				t.Errorf("billing_current_cost = %v, want %v", got, tc.want)
			}
		})
	}
}

// Ids from the vendor go into the path escaped, one segment each: the
// token never reaches another path (was collector's attackPathIDs).
func TestIDsFromVendorStayOnePathSegment(t *testing.T) {
	const evilOrg, evilCluster = "../../v1/auth/x?a=1#", "../../../../v1/auth/y?b=2"
	fake := qovery.NewFake(qoveryToken,
		qovery.Org{ID: evilOrg, Name: "evil"},
		qovery.Org{ID: orgA, Name: "alpha", Clusters: []qovery.Cluster{{ID: evilCluster, Name: "c", Cost: qovery.Cost(1, 2)}}})
	h, srv := qoveryHarness(t, fake, config.Account{}, nil)
	var mu sync.Mutex
	var sent []string
	srv.SetFault(func(_ http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		mu.Lock()
		sent = append(sent, r.RequestURI)
		mu.Unlock()
		return false
	})
	h.Scrape()
	mu.Lock()
	defer mu.Unlock()
	var org, cluster bool
	for _, uri := range sent {
		if !strings.HasPrefix(uri, "/qov/organization") || strings.ContainsAny(uri, "?#") || strings.Contains(uri, "/v1/") {
			t.Errorf("request left the organization path: %s", uri)
		}
		org = org || strings.HasPrefix(uri, "/qov/organization/"+url.PathEscape(evilOrg)+"/")
		cluster = cluster || strings.Contains(uri, "/cluster/"+url.PathEscape(evilCluster)+"/currentCost")
	}
	if !org || !cluster {
		t.Errorf("the hostile ids were not requested (organization %v, cluster %v): %q", org, cluster, sent)
	}
}

// The oldest invoice still to pay (NOT_PAID or PAYMENT_DUE, any case)
// gives its creation date, whatever the order; paid, voided and undated
// invoices do not count, and with none left to pay there is no series.
func TestQoveryOldestUnpaidInvoice(t *testing.T) {
	for _, tc := range []struct {
		name     string
		invoices []any
		want     time.Time // zero: no series
	}{
		{"two unpaid", []any{
			map[string]any{"id": "i1", "created_at": "2026-11-20T00:00:00Z", "status": "PAYMENT_DUE", "total_in_cents": 100, "currency_code": "USD"},
			map[string]any{"id": "i2", "created_at": "2026-10-01T00:00:00Z", "status": "PAID", "total_in_cents": 100, "currency_code": "USD"},
			map[string]any{"id": "i3", "created_at": "2026-11-03T12:00:00Z", "status": "not_paid", "total_in_cents": 100, "currency_code": "USD"},
			map[string]any{"id": "i4", "created_at": nil, "status": "NOT_PAID", "total_in_cents": 100, "currency_code": "USD"},
			map[string]any{"id": "i5", "created_at": "2026-09-01T00:00:00Z", "status": "VOIDED", "total_in_cents": 100, "currency_code": "USD"},
		}, time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)},
		{"all paid", []any{
			map[string]any{"id": "i1", "created_at": "2026-11-20T00:00:00Z", "status": "PAID", "total_in_cents": 100, "currency_code": "USD"},
		}, time.Time{}},
		{"no invoice", []any{}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := qovery.NewFake(qoveryToken, qoveryOrgs()[0])
			fake.Set("/organization/"+orgA+"/invoice", sandbox.Reply{Body: map[string]any{"results": tc.invoices}})
			h, _ := qoveryHarness(t, fake, config.Account{}, nil)
			h.Scrape()
			if tc.want.IsZero() {
				if n := h.Count("billing_invoice_oldest_unpaid_timestamp_seconds", nil); n != 0 {
					t.Errorf("%d series with nothing to pay", n)
				}
			} else if got := h.Value("billing_invoice_oldest_unpaid_timestamp_seconds", map[string]string{"organization": "alpha", "organization_id": orgA}); got != float64(tc.want.Unix()) {
				t.Errorf("oldest unpaid = %v, want %v", got, tc.want.Unix())
			}
			if up := h.Value("billing_up", nil); up != 1 {
				t.Errorf("billing_up = %v", up)
			}
		})
	}
}
