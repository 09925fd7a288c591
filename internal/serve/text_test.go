package serve

import (
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

type textRig struct {
	demo     *sandbox.Demo
	clock    atomic.Int64 // Unix nanoseconds
	exp      atomic.Pointer[collector.Exporter]
	fast     http.Handler
	ref      http.Handler        // the client_golang path: serve.Metrics
	refRest  prometheus.Gatherer // what ref serves besides the billing collector
	upstream *scrape.Metrics
}

func newTextRig(t *testing.T) *textRig {
	t.Helper()
	rig := &textRig{}
	rig.clock.Store(time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, rig.clock.Load()) }
	demo, err := sandbox.StartDemo(now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(demo.Close)
	rig.demo = demo
	shared := prometheus.NewRegistry()
	collector.NewSelfMetrics(shared)
	rig.upstream = scrape.NewMetricsText(shared)
	exp, err := collector.New(demo.Config, collector.Options{Metrics: rig.upstream, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	rig.exp.Store(exp)
	counters := prometheus.NewRegistry()
	counters.MustRegister(rig.upstream.Counters())
	rig.refRest = prometheus.Gatherers{shared, counters}
	current := func() *collector.Exporter { return rig.exp.Load() }
	opt := Options{MaxTimeout: 20 * time.Second}
	rig.fast = Text(current, shared, rig.upstream, opt)
	rig.ref = Metrics(current, rig.refRest, opt)
	return rig
}

func (rig *textRig) advance(d time.Duration) { rig.clock.Add(int64(d)) }

// get serves one scrape and parses it; gzip is asked for and checked.
func get(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	var body io.Reader = w.Body
	if w.Header().Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(w.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = gz
	}
	text, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	// Each family once, its series together: the parser refuses a
	// family's second HELP or TYPE, so also check the names are unique.
	seen := map[string]bool{}
	for _, line := range strings.Split(string(text), "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, _, _ = strings.Cut(name, " ")
			if seen[name] {
				t.Errorf("family %s written twice", name)
			}
			seen[name] = true
		}
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(string(text)))
	if err != nil {
		t.Fatalf("parsing the exposition: %v\n%s", err, text)
	}
	return mfs
}

func gather(t *testing.T, g prometheus.Gatherer) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// flat is a family as comparable lines: help, type, and each sample
// (histograms by bucket) as labels => value.
func flat(mfs map[string]*dto.MetricFamily) map[string]string {
	out := map[string]string{}
	for name, mf := range mfs {
		out[name+" HELP"] = mf.GetHelp()
		out[name+" TYPE"] = mf.GetType().String()
		ignoreValue := name == "billing_scrape_duration_seconds" || strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_")
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(labels)
			key := name + "{" + strings.Join(labels, ",") + "}"
			var v string
			switch {
			case m.Gauge != nil:
				v = fmt.Sprint(m.GetGauge().GetValue())
			case m.Counter != nil:
				v = fmt.Sprint(m.GetCounter().GetValue())
			case m.Untyped != nil:
				v = fmt.Sprint(m.GetUntyped().GetValue())
			case m.Histogram != nil:
				h := m.GetHistogram()
				v = fmt.Sprint(h.GetSampleCount(), h.GetSampleSum())
				for _, b := range h.GetBucket() {
					if math.IsInf(b.GetUpperBound(), 1) {
						continue // the text parser adds it; a gathered histogram leaves it implicit
					}
					v += fmt.Sprintf(" %g:%d", b.GetUpperBound(), b.GetCumulativeCount())
				}
			case m.Summary != nil:
				v = fmt.Sprint(m.GetSummary().GetSampleCount(), m.GetSummary().GetSampleSum())
			}
			if ignoreValue {
				v = "any"
			}
			out[key] = v
		}
	}
	return out
}

// compare checks one fast scrape against the client_golang path. Each
// scrape counts cache lookups, so the billing families are compared with
// a reference scrape just before, and the rest with a gathering of the
// shared and counter registries just after the fast scrape.
func (rig *textRig) compare(t *testing.T, what string) map[string]*dto.MetricFamily {
	t.Helper()
	ref := get(t, rig.ref)
	fast := get(t, rig.fast)
	rest := gather(t, rig.refRest)
	for name := range ref {
		if _, ok := rest[name]; !ok && strings.HasPrefix(name, "billing_upstream_") {
			delete(ref, name) // a family gone since: the reference had counted it
		}
	}
	for name, mf := range rest {
		ref[name] = mf
	}
	want, got := flat(ref), flat(fast)
	for k, v := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: fast path lacks %s (%s)", what, k, v)
		} else if g != v {
			t.Errorf("%s: %s = %s, client_golang %s", what, k, g, v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: fast path has extra %s (%s)", what, k, v)
		}
	}
	return fast
}

func value(mfs map[string]*dto.MetricFamily, name, account string) (float64, bool) {
	for _, m := range mfs[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "account" && l.GetValue() == account {
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

// The hand-written exposition says what client_golang's would: on the
// demo, after a reload that removes an account, and while an account
// fails and serves stale answers.
func TestTextMatchesClientGolang(t *testing.T) {
	rig := newTextRig(t)
	get(t, rig.fast) // cold: fills the caches
	get(t, rig.fast) // warm: renders what the next one reuses
	fast := rig.compare(t, "demo")
	if len(fast) < 20 {
		t.Fatalf("only %d families", len(fast))
	}

	// A refresh, then a reload without docspace-trial.
	rig.advance(6 * time.Second)
	get(t, rig.fast)
	cfg := *rig.demo.Config
	cfg.Accounts = slices.DeleteFunc(slices.Clone(cfg.Accounts), func(a config.Account) bool { return a.Name == "docspace-trial" })
	next, err := rig.exp.Load().Reload(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	rig.exp.Store(next)
	get(t, rig.fast)
	fast = rig.compare(t, "after reload")
	if _, ok := value(fast, "billing_up", "docspace-trial"); ok {
		t.Error("removed account still served")
	}

	// docspace-main's vendor fails once its answers expire: stale values.
	rig.demo.Server.SetFault(sandbox.FailUnder("/docspace/main"))
	rig.advance(6 * time.Second)
	get(t, rig.fast)
	fast = rig.compare(t, "stale")
	if up, _ := value(fast, "billing_up", "docspace-main"); up != 0 {
		t.Errorf("failing account up = %v", up)
	}
	if _, ok := value(fast, "billing_balance", "docspace-main"); !ok {
		t.Error("failing account's stale balance not served")
	}
}
