package expo

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// expfmtText is c's one family as client_golang and expfmt write it.
func expfmtText(t *testing.T, c prometheus.Collector) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if _, err := expfmt.MetricFamilyToText(&text, mfs[0]); err != nil {
		t.Fatal(err)
	}
	return text.String()
}

// sameAsExpfmt fails t unless a series written here reads byte for byte
// as expfmt writes it.
func sameAsExpfmt(t *testing.T, help string, values []string, v float64) {
	t.Helper()
	labels := []string{"provider", "account", "plan"}
	got := AppendHeader(nil, "billing_x", help, "gauge")
	got = AppendValue(AppendPrefix(got, "billing_x", labels, values, LabelOrder(labels)), v)

	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "billing_x", Help: help}, labels)
	g.WithLabelValues(values...).Set(v)
	if want := expfmtText(t, g); string(got) != want {
		t.Errorf("value %v:\n%s\nexpfmt:\n%s", v, got, want)
	}
}

// Escapes and values come out as expfmt writes them for the same series.
func TestMatchesExpfmt(t *testing.T) {
	help := `Help with a \ backslash, "quotes" and a` + "\nnewline."
	values := []string{"docspace", `a\b"c` + "\nd", "Plan ü"}
	for _, v := range []float64{0, 1, -1, 0.1, 1500.75, 1e21, 1.7976931348623157e308, math.Inf(1), math.Inf(-1), math.NaN()} {
		sameAsExpfmt(t, help, values, v)
	}
	if !strings.HasPrefix(ContentType, "text/plain; version=0.0.4") {
		t.Error(ContentType)
	}
}

// Vendors name plans and accounts as they like: any valid UTF-8 label
// value and HELP text, and any value, must read as expfmt writes them.
// (client_golang refuses invalid UTF-8; so does the Emitter before us.)
func FuzzMatchesExpfmt(f *testing.F) {
	f.Add("help", "acct", `plan "x"`, 1.5)
	f.Add("a\\b\nc", `a\"b`, "line\nbreak\\", 0.0)
	f.Add("", "", "ü€😀", 1e-300)
	f.Fuzz(func(t *testing.T, help, account, plan string, v float64) {
		if !utf8.ValidString(help) || !utf8.ValidString(account) || !utf8.ValidString(plan) {
			t.Skip()
		}
		sameAsExpfmt(t, help, []string{"docspace", account, plan}, v)
	})
}
