package collector_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/internal/expo"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/billing-exporter/billing-exporter/internal/series"
	"github.com/billing-exporter/billing-exporter/internal/testlog"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// demoExporter wires the --demo simulation to an exporter: a shared
// registry with the exporter's own metrics and the upstream histogram, and
// Exporter.Gather under each request's context, written as internal/serve
// writes it. It serves /metrics on loopback.
type demoExporter struct {
	demo   *sandbox.Demo
	exp    *collector.Exporter
	shared *prometheus.Registry
	url    string
	logs   *testlog.Buffer
}

func startDemoExporter(t *testing.T, now func() time.Time) *demoExporter {
	t.Helper()
	demo, err := collector.StartDemo(now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(demo.Close)
	d := &demoExporter{demo: demo, shared: prometheus.NewRegistry(), logs: &testlog.Buffer{}}
	collector.NewSelfMetrics(d.shared)
	d.exp, err = collector.New(demo.Config, collector.Options{Logger: log.NewLogfmtLogger(d.logs), Metrics: scrape.NewMetrics(d.shared), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fams, err := d.exp.Gather(r.Context(), d.shared)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", expo.ContentType)
		_ = expo.Write(w, fams)
	}))
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server not on loopback: %s", srv.URL)
	}
	d.url = srv.URL + "/metrics"
	return d
}

// metrics is `curl <url>/metrics`.
func (d *demoExporter) metrics(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

// seriesValue returns the value of series (its name and labels as
// exposed) in body.
func seriesValue(t *testing.T, body, s string) float64 {
	t.Helper()
	v, ok := series.Sample(body, s)
	if !ok {
		t.Fatalf("no single series %s in /metrics", s)
	}
	return v
}

// The README's quick start: run the demo, curl /metrics, see billing_balance
// series; the demo covers all three providers, two DocSpace portals (one
// with two currencies, one on a trial that ends in two days), and balances
// that drift down as time passes.
func TestDemoServesEveryProviderOverHTTP(t *testing.T) {
	clock := collectortest.NewClock()
	d := startDemoExporter(t, clock.Now)
	body := d.metrics(t)

	for _, acct := range []string{`account="docspace-main",provider="docspace"`, `account="docspace-trial",provider="docspace"`,
		`account="acefone-uk",provider="acefone"`, `account="qovery",provider="qovery"`} {
		if v := seriesValue(t, body, "billing_up{"+acct+"}"); v != 1 {
			t.Errorf("billing_up{%s} = %v\n%s", acct, v, d.logs)
		}
	}
	balances := map[string]float64{
		`billing_balance{account="docspace-main",currency="USD",provider="docspace",wallet=""}`:   1500.75,
		`billing_balance{account="docspace-main",currency="EUR",provider="docspace",wallet=""}`:   230.5,
		`billing_balance{account="docspace-main",currency="USD",provider="docspace",wallet="ai"}`: 25.5,
		`billing_balance{account="docspace-trial",currency="USD",provider="docspace",wallet=""}`:  12.4,
		`billing_balance{account="acefone-uk",currency="GBP",provider="acefone",wallet=""}`:       1520.5,
	}
	for series, want := range balances {
		if got := seriesValue(t, body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if v := seriesValue(t, body, `billing_plan_trial{account="docspace-trial",plan="Business (trial)",provider="docspace"}`); v != 1 {
		t.Errorf("trial portal: billing_plan_trial = %v", v)
	}
	trialEnds := float64(clock.Now().Add(48 * time.Hour).Unix())
	if v := seriesValue(t, body, `billing_plan_due_timestamp_seconds{account="docspace-trial",organization="",organization_id="",plan="Business (trial)",provider="docspace"}`); v != trialEnds {
		t.Errorf("trial ends at %v, want %v (two days after start)", v, trialEnds)
	}
	for _, want := range []string{`billing_cluster_cost_max{account="qovery",cluster="prod-eu"`, `billing_cluster_cost_max{account="qovery",cluster="prod-us"`,
		`billing_current_cost{account="qovery",currency="USD",organization="acme-prod"`,
		`billing_plan_call_remaining_seconds{account="acefone-uk",plan="UK Unlimited",provider="acefone"}`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// An hour later (past the demo's 5 s cache) every balance is lower,
	// and not by much.
	clock.Advance(time.Hour)
	later := d.metrics(t)
	for series, start := range balances {
		got := seriesValue(t, later, series)
		if got >= start || got < start-10 {
			t.Errorf("%s an hour later = %v, want a little under %v", series, got, start)
		}
	}

	for _, a := range d.demo.Config.Accounts {
		for _, s := range a.Secrets() {
			if s != "" && (strings.Contains(body+later, s) || strings.Contains(d.logs.String(), s)) {
				t.Errorf("%s: a demo secret shows in /metrics or the logs", a.Name)
			}
		}
	}
}

// testutil's lint over everything /metrics serves with all three providers
// registered: billing families, upstream metrics, the exporter's own.
func TestDemoWholeRegistryLint(t *testing.T) {
	clock := collectortest.NewClock()
	d := startDemoExporter(t, clock.Now)
	whole := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		return collectortest.GatherParsed(context.Background(), d.exp, d.shared)
	})
	problems, err := testutil.GatherAndLint(whole)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	// The lint saw every provider's series, not an empty scrape.
	mfs, err := whole.Gather()
	if err != nil {
		t.Fatal(err)
	}
	providers := map[string]bool{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "provider" && strings.HasPrefix(mf.GetName(), "billing_balance") {
					providers[l.GetValue()] = true
				}
			}
		}
	}
	if !providers["docspace"] || !providers["acefone"] {
		t.Errorf("balances of %v only", providers)
	}
}

// Every provider of the list has a demo account, on loopback.
func TestDemoHasEveryProvider(t *testing.T) {
	d, err := collector.StartDemo(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	accounts := map[string]int{}
	for _, a := range d.Config.Accounts {
		accounts[a.Provider]++
		if !strings.HasPrefix(a.BaseURL, "http://127.0.0.1:") {
			t.Errorf("%s: %s is not loopback", a.Name, a.BaseURL)
		}
	}
	for _, p := range collector.Providers {
		if accounts[p.Name] == 0 {
			t.Errorf("provider %s has no demo account", p.Name)
		}
	}
	if accounts["docspace"] != 3 {
		t.Errorf("demo accounts per provider: %v", accounts)
	}
}
