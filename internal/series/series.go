// Package series reads the text exposition as Prometheus does, for the
// tests: one parser and one lookup of a series' value, whatever package
// the answer came from.
package series

import (
	"fmt"
	"slices"
	"strings"

	"github.com/billing-exporter/billing-exporter/internal/expo"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Parse reads exposition text with Prometheus' parser, refusing a family
// written twice, and sorts it as a Registry gathers: families by name,
// series by labels.
func Parse(text string) ([]*dto.MetricFamily, error) {
	seen := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, _, _ = strings.Cut(name, " ")
			if seen[name] {
				return nil, fmt.Errorf("family %s written twice", name)
			}
			seen[name] = true
		}
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	parsed, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("parsing the exposition: %w", err)
	}
	out := make([]*dto.MetricFamily, 0, len(parsed))
	for _, mf := range parsed {
		slices.SortFunc(mf.Metric, compareLabels)
		out = append(out, mf)
	}
	slices.SortFunc(out, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out, nil
}

// compareLabels orders series as client_golang's registry does: by their
// label values in label order, so that an empty value comes before any
// other (comparing Key strings would put it last).
func compareLabels(a, b *dto.Metric) int {
	la, lb := a.GetLabel(), b.GetLabel()
	if len(la) != len(lb) {
		return len(la) - len(lb)
	}
	for i := range la {
		if c := strings.Compare(la[i].GetValue(), lb[i].GetValue()); c != 0 {
			return c
		}
	}
	return 0
}

// Key is a series' label pairs as one comparable string.
func Key(m *dto.Metric) string {
	var b strings.Builder
	for _, l := range m.GetLabel() {
		b.WriteString(l.GetName() + "\xff" + l.GetValue() + "\xff")
	}
	return b.String()
}

// Find returns how many series of name carry labels (a subset of theirs)
// and the value of the last of them (gauge, counter or untyped).
func Find(mfs []*dto.MetricFamily, name string, labels map[string]string) (float64, int) {
	var v float64
	n := 0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, want := range labels {
				if have[k] != want {
					continue series
				}
			}
			n++
			switch {
			case m.Gauge != nil:
				v = m.GetGauge().GetValue()
			case m.Counter != nil:
				v = m.GetCounter().GetValue()
			case m.Untyped != nil:
				v = m.GetUntyped().GetValue()
			}
		}
	}
	return v, n
}

// Sample is Find over exposition text for one series written as it is
// exposed, e.g. `billing_up{account="a",provider="docspace"}`: its value,
// and whether the text holds exactly one series with those labels.
func Sample(text, series string) (float64, bool) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	sel, err := p.TextToMetricFamilies(strings.NewReader(series + " 0\n"))
	if err != nil || len(sel) != 1 {
		return 0, false
	}
	labels := map[string]string{}
	var name string
	for n, mf := range sel {
		name = n
		for _, lp := range mf.GetMetric()[0].GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
	}
	mfs, err := Parse(text)
	if err != nil {
		return 0, false
	}
	v, n := Find(mfs, name, labels)
	return v, n == 1
}

// ParseFamilies is Parse of families as /metrics writes them, one after
// the other.
func ParseFamilies(fams []expo.Family) ([]*dto.MetricFamily, error) {
	var text strings.Builder
	if err := expo.Write(&text, fams); err != nil {
		return nil, err
	}
	return Parse(text.String())
}
