package serve

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The scrape deadline is Prometheus' own timeout less the offset, within
// [100ms, --scrape.max-timeout].
func TestScrapeTimeoutFromPrometheusHeader(t *testing.T) {
	const limit = 30 * time.Second
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"10", 9500 * time.Millisecond},
		{"2.5", 2 * time.Second},
		{"", limit},                     // no header: the flag's limit
		{"ten", limit},                  // unparsable: ignored
		{"-3", limit},                   // negative: ignored
		{"0", limit},                    // zero: ignored
		{"0.3", 100 * time.Millisecond}, // less than the offset: the floor
		{"600", limit},                  // longer than the limit: capped
	} {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if tc.header != "" {
			r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", tc.header)
		}
		if got := ScrapeTimeout(r, 0.5, limit); got != tc.want {
			t.Errorf("header %q: deadline %v, want %v", tc.header, got, tc.want)
		}
	}
}

// Two registries' families come out merged in name order, each once; a
// name both serve is an error, not a silently doubled family.
func TestDisjointMergesSortedFamilies(t *testing.T) {
	gauge := func(reg *prometheus.Registry, name string) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: name})
		g.Set(1)
		reg.MustRegister(g)
	}
	a, b := prometheus.NewRegistry(), prometheus.NewRegistry()
	gauge(a, "b_second")
	gauge(a, "d_fourth")
	gauge(b, "a_first")
	gauge(b, "c_third")
	gauge(b, "e_fifth")
	mfs, err := disjoint{a, b}.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	if got := strings.Join(names, " "); got != "a_first b_second c_third d_fourth e_fifth" {
		t.Errorf("families %s", got)
	}
	if n, err := testutil.GatherAndCount(disjoint{a, b}); err != nil || n != 5 {
		t.Errorf("%d series, %v", n, err)
	}

	gauge(b, "d_fourth")
	mfs, err = disjoint{a, b}.Gather()
	if err == nil || !strings.Contains(err.Error(), "d_fourth") {
		t.Errorf("a family in both registries: error %v", err)
	}
	if len(mfs) != 5 {
		t.Errorf("%d families after a duplicate, want 5", len(mfs))
	}
}
