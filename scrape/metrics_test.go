package scrape

import (
	"context"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/internal/expo"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsCounted(t *testing.T) {
	f := newFake(t, sequence(ok(`{"amount": 1}`), reply(404, `{"message":"gone"}`), hijackClose))
	c := cachedClient(t, f, newClock(), nil)
	get(t, c, balance)
	get(t, c, balance) // hit
	// The 404 and the reset fail on purpose: the counters below are the test.
	info := Endpoint{Name: "customer/info", Path: "/info"}
	_, _ = c.GetJSON(context.Background(), info, &balanceDoc{})
	quotas := Endpoint{Name: "quotas", Path: "/quotas"}
	_, _ = c.GetJSON(context.Background(), quotas, &balanceDoc{})

	want := `
# HELP billing_upstream_cache_lookups_total Endpoint answers looked up in the exporter's cache: hit (fresh), miss (vendor called), stale (refresh failed, last good answer served).
# TYPE billing_upstream_cache_lookups_total counter
billing_upstream_cache_lookups_total{account="docspace-main",provider="docspace",result="hit"} 1
billing_upstream_cache_lookups_total{account="docspace-main",provider="docspace",result="miss"} 3
# HELP billing_upstream_errors_total Failed upstream calls after retries, by reason: auth, forbidden, not_found, rate_limited, timeout, server, decode, too_large, transport.
# TYPE billing_upstream_errors_total counter
billing_upstream_errors_total{account="docspace-main",provider="docspace",reason="not_found"} 1
billing_upstream_errors_total{account="docspace-main",provider="docspace",reason="transport"} 1
# HELP billing_upstream_requests_total HTTP requests sent to vendor APIs, each retry counted, by endpoint and HTTP status code ("error" when no answer arrived).
# TYPE billing_upstream_requests_total counter
billing_upstream_requests_total{account="docspace-main",code="200",endpoint="customer/balance",provider="docspace"} 1
billing_upstream_requests_total{account="docspace-main",code="404",endpoint="customer/info",provider="docspace"} 1
billing_upstream_requests_total{account="docspace-main",code="error",endpoint="quotas",provider="docspace"} 1
`
	if err := testutil.GatherAndCompare(c.reg, strings.NewReader(want),
		"billing_upstream_requests_total", "billing_upstream_errors_total", "billing_upstream_cache_lookups_total"); err != nil {
		t.Error(err)
	}
	observed := durationCounts(t, c.reg)
	for _, ep := range []string{"customer/balance", "customer/info", "quotas"} {
		if observed[ep] != 1 {
			t.Errorf("duration observations for %s: %d, want 1", ep, observed[ep])
		}
	}
	if problems, err := testutil.GatherAndLint(c.reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// durationCounts returns the histogram's sample count per endpoint.
func durationCounts(t *testing.T, reg prometheus.Gatherer) map[string]uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint64{}
	for _, mf := range mfs {
		if mf.GetName() != "billing_upstream_request_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "endpoint" {
					counts[l.GetValue()] = m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return counts
}

func TestMetricsInitAndForget(t *testing.T) {
	f := newFake(t, ok(`{"amount": 1}`))
	c := cachedClient(t, f, newClock(), nil)
	other := newClient(t, f, func(o *Options) { o.Account = "other"; o.Metrics = c.metrics; o.CacheTTL = 1 })
	c.metrics.Init(testProvider, testAccount)
	c.metrics.Init(testProvider, "other")
	if n := len(parsed(t, c.metrics.errors)[0].GetMetric()); n != 2*len(Reasons) {
		t.Fatalf("error series after Init: %d, want %d", n, 2*len(Reasons))
	}
	for _, r := range Reasons {
		if v := counted(t, c.metrics.errors, testProvider, testAccount, string(r)); v != 0 {
			t.Errorf("%s starts at %v", r, v)
		}
	}
	get(t, c, balance)
	get(t, other, balance)

	c.metrics.Forget(testAccount)
	for name, vec := range map[string]*expo.CounterVec{
		"requests": c.metrics.requests, "errors": c.metrics.errors, "cache": c.metrics.cache,
	} {
		accounts := accountsIn(t, vec)
		if accounts[testAccount] {
			t.Errorf("%s keeps the forgotten account", name)
		}
		if !accounts["other"] {
			t.Errorf("%s lost the other account", name)
		}
	}

	// A scrape that began before the reload finishes after it: its calls
	// must not bring the forgotten series back.
	get(t, c, balance)
	for name, vec := range map[string]*expo.CounterVec{
		"requests": c.metrics.requests, "errors": c.metrics.errors, "cache": c.metrics.cache,
	} {
		if accountsIn(t, vec)[testAccount] {
			t.Errorf("%s: a late call resurrected the forgotten account", name)
		}
	}
	// Added again by a later reload, it is counted again.
	c.metrics.Init(testProvider, testAccount)
	get(t, c, balance)
	if !accountsIn(t, c.metrics.cache)[testAccount] {
		t.Error("an account added back is not counted")
	}

	var nilMetrics *Metrics // a client without metrics must not panic
	nilMetrics.Init("p", "a")
	nilMetrics.Forget("a")
}

// accountsIn returns the account label values of f's series.
func accountsIn(t *testing.T, f *expo.CounterVec) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, mf := range parsed(t, f) {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "account" {
					seen[l.GetValue()] = true
				}
			}
		}
	}
	return seen
}
