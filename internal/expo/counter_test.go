package expo

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// A counter vector reads as expfmt writes the same client_golang vector:
// series sorted, labels escaped, a deleted account's series gone, and
// nothing at all without series.
func TestCounterVecMatchesExpfmt(t *testing.T) {
	labels := []string{"provider", "account", "result"}
	ours := NewCounterVec("billing_x_total", `Lookups, "quoted"`, labels...)
	if fam, ok := ours.Family(); ok {
		t.Errorf("a vector without series is a family: %+v", fam)
	}
	theirs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "billing_x_total", Help: `Lookups, "quoted"`}, labels)
	for i, values := range [][]string{{"qovery", "z", "hit"}, {"docspace", `a"b` + "\n", "miss"}, {"docspace", "a", "hit"}, {"acefone", "gone", "hit"}} {
		for n := 0; n <= i; n++ {
			ours.WithLabelValues(values...).Inc()
			theirs.WithLabelValues(values...).Inc()
		}
	}
	ours.DeleteMatching("account", "gone")
	theirs.DeletePartialMatch(prometheus.Labels{"account": "gone"})
	fam, _ := ours.Family()
	var got strings.Builder
	if err := Write(&got, []Family{fam}); err != nil {
		t.Fatal(err)
	}
	if want := expfmtText(t, theirs); got.String() != want {
		t.Errorf("ours:\n%s\nexpfmt:\n%s", got.String(), want)
	}
}
