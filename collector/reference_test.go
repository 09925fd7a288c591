package collector_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// gatherReference gathers h's exporter through the reference: the
// billing families through client_golang alone, every account scraped
// (never reused), each series a const metric, gathered by a pedantic
// Registry. It is what the hand-written text is held to.
func gatherReference(t *testing.T, h *collectortest.Harness) []*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collector.NewReference(h.Exp))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// billingLines is the billing families as comparable lines (HELP, TYPE,
// each series and its value), without the upstream counters and the
// scrape's duration, which each scrape moves.
func billingLines(mfs []*dto.MetricFamily) map[string]string {
	out := map[string]string{}
	for _, mf := range mfs {
		name := mf.GetName()
		if !strings.HasPrefix(name, "billing_") || strings.HasPrefix(name, "billing_upstream_") {
			continue
		}
		out[name+" HELP"] = mf.GetHelp()
		out[name+" TYPE"] = mf.GetType().String()
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(labels)
			v := fmt.Sprint(m.GetGauge().GetValue())
			if name == "billing_scrape_duration_seconds" {
				v = "any"
			}
			out[name+"{"+strings.Join(labels, ",")+"}"] = v
		}
	}
	return out
}

// compareReference checks the latest scrape against a reference scrape
// just after it.
func compareReference(t *testing.T, h *collectortest.Harness, what string) {
	t.Helper()
	got, want := billingLines(h.Snapshot()), billingLines(gatherReference(t, h))
	for k, v := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: /metrics lacks %s (%s)", what, k, v)
		} else if g != v {
			t.Errorf("%s: %s = %s, client_golang %s", what, k, g, v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: /metrics has extra %s (%s)", what, k, v)
		}
	}
	if len(want) < 60 {
		t.Errorf("%s: only %d reference lines", what, len(want))
	}
}

// The hand-written exposition says what client_golang's would: on the
// demo, once its values are reused, after a reload that removes an
// account, and while an account fails and serves stale answers.
func TestTextMatchesClientGolang(t *testing.T) {
	h, demo, _ := demoHarness(t, nil)
	h.Scrape() // cold: fills the caches
	h.Scrape() // warm: renders what the next one reuses
	h.Scrape()
	compareReference(t, h, "demo")

	// A refresh, then a reload without docspace-trial.
	h.Clock.Advance(6 * time.Second)
	h.Scrape()
	cfg := *demo.Config
	cfg.Accounts = slices.DeleteFunc(slices.Clone(cfg.Accounts), func(a config.Account) bool { return a.Name == "docspace-trial" })
	next, err := h.Exp.Reload(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.Use(next)
	h.Scrape()
	compareReference(t, h, "after reload")
	if n := h.Count("billing_up", map[string]string{"account": "docspace-trial"}); n != 0 {
		t.Error("removed account still served")
	}

	// docspace-main's vendor fails once its answers expire: stale values.
	demo.Server.SetFault(sandbox.FailUnder("/docspace/main"))
	h.Clock.Advance(6 * time.Second)
	h.Scrape()
	compareReference(t, h, "stale")
	if up := h.Value("billing_up", map[string]string{"account": "docspace-main"}); up != 0 {
		t.Errorf("failing account up = %v", up)
	}
	if h.Count("billing_balance", map[string]string{"account": "docspace-main"}) == 0 {
		t.Error("failing account's stale balance not served")
	}
}
