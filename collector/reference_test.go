package collector

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// reference is the billing families through client_golang alone: every
// account scraped (never reused), each series a const metric, gathered by
// a pedantic Registry. It is what the hand-written text is held to.
type reference struct{ e *Exporter }

func (r reference) desc(f *family) *prometheus.Desc {
	return prometheus.NewDesc(f.name, f.help, f.names, nil)
}

func (r reference) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range families {
		ch <- r.desc(f)
	}
}

func (r reference) Collect(ch chan<- prometheus.Metric) {
	for _, t := range r.e.targets {
		em := newEmitter(t.acct.Provider, t.acct.Name)
		err := runScraper(context.Background(), t.scraper, em)
		r.e.health(t, err, 0) // records the last success, as a scrape does
		up := 1.0
		if err != nil {
			up = 0
		}
		em.Gauge(upFamily, up)
		em.Gauge(scrapeDurationFamily, 0)
		if last := t.lastSuccess.Load(); last != 0 {
			em.Gauge(lastSuccessFamily, float64(last)/1e9)
		}
		for cur, v := range t.acct.Alerts.MinBalance {
			em.Gauge(balanceThresholdFamily, v, cur)
		}
		for cur, v := range t.acct.Alerts.MonthlyBudget {
			em.Gauge(costBudgetFamily, v, cur)
		}
		for _, s := range em.shared.samples {
			ch <- prometheus.MustNewConstMetric(r.desc(s.f), prometheus.GaugeValue, s.v, s.values...)
		}
	}
}

// gatherReference gathers h's exporter through reference.
func (h *harness) gatherReference() []*dto.MetricFamily {
	h.t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(reference{h.exp})
	mfs, err := reg.Gather()
	if err != nil {
		h.t.Fatal(err)
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
func (h *harness) compareReference(what string) {
	h.t.Helper()
	got, want := billingLines(h.snapshot()), billingLines(h.gatherReference())
	for k, v := range want {
		if g, ok := got[k]; !ok {
			h.t.Errorf("%s: /metrics lacks %s (%s)", what, k, v)
		} else if g != v {
			h.t.Errorf("%s: %s = %s, client_golang %s", what, k, g, v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			h.t.Errorf("%s: /metrics has extra %s (%s)", what, k, v)
		}
	}
	if len(want) < 60 {
		h.t.Errorf("%s: only %d reference lines", what, len(want))
	}
}

// The hand-written exposition says what client_golang's would: on the
// demo, once its values are reused, after a reload that removes an
// account, and while an account fails and serves stale answers.
func TestTextMatchesClientGolang(t *testing.T) {
	h, demo, _ := demoHarness(t, nil)
	h.scrape() // cold: fills the caches
	h.scrape() // warm: renders what the next one reuses
	h.scrape()
	h.compareReference("demo")

	// A refresh, then a reload without docspace-trial.
	h.clock.Advance(6 * time.Second)
	h.scrape()
	cfg := *demo.Config
	cfg.Accounts = slices.DeleteFunc(slices.Clone(cfg.Accounts), func(a config.Account) bool { return a.Name == "docspace-trial" })
	next, err := h.exp.Reload(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.use(next)
	h.scrape()
	h.compareReference("after reload")
	if n := h.count("billing_up", map[string]string{"account": "docspace-trial"}); n != 0 {
		t.Error("removed account still served")
	}

	// docspace-main's vendor fails once its answers expire: stale values.
	demo.Server.SetFault(sandbox.FailUnder("/docspace/main"))
	h.clock.Advance(6 * time.Second)
	h.scrape()
	h.compareReference("stale")
	if up := h.value("billing_up", map[string]string{"account": "docspace-main"}); up != 0 {
		t.Errorf("failing account up = %v", up)
	}
	if h.count("billing_balance", map[string]string{"account": "docspace-main"}) == 0 {
		t.Error("failing account's stale balance not served")
	}
}
