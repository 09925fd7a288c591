package expo

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Escapes and values come out as expfmt writes them for the same series.
func TestMatchesExpfmt(t *testing.T) {
	help := `Help with a \ backslash, "quotes" and a` + "\nnewline."
	labels := []string{"provider", "account", "plan"}
	order := LabelOrder(labels)
	values := []string{"docspace", `a\b"c` + "\nd", "Plan ü"}
	for _, v := range []float64{0, 1, -1, 0.1, 1500.75, 1e21, 1.7976931348623157e308, math.Inf(1), math.Inf(-1), math.NaN()} {
		got := AppendHeader(nil, "billing_x", help, "gauge")
		got = AppendValue(AppendPrefix(got, "billing_x", labels, values, order), v)

		reg := prometheus.NewRegistry()
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "billing_x", Help: help}, labels)
		g.WithLabelValues(values...).Set(v)
		reg.MustRegister(g)
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if _, err := expfmt.MetricFamilyToText(&want, mfs[0]); err != nil {
			t.Fatal(err)
		}
		if string(got) != want.String() {
			t.Errorf("value %v:\n%s\nexpfmt:\n%s", v, got, want.String())
		}
	}
	if !strings.HasPrefix(ContentType, "text/plain; version=0.0.4") {
		t.Error(ContentType)
	}
}
