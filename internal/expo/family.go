package expo

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Family is one metric family in the text format, its HELP and TYPE lines
// first.
type Family struct {
	Name string
	Text []byte
}

// Merge adds the families gathered through client_golang (process, Go,
// build info, reload state, the upstream request histogram) to fams and
// orders them all by name. A family that cannot be written, or a name
// written twice (a bug; the second is dropped), is named in the error.
func Merge(fams []Family, mfs []*dto.MetricFamily) ([]Family, error) {
	var errs []error
	for _, mf := range mfs {
		var buf bytes.Buffer
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			errs = append(errs, fmt.Errorf("encoding metric family %s: %w", mf.GetName(), err))
			continue
		}
		fams = append(fams, Family{mf.GetName(), buf.Bytes()})
	}
	slices.SortStableFunc(fams, func(a, b Family) int { return strings.Compare(a.Name, b.Name) })
	fams = slices.CompactFunc(fams, func(a, b Family) bool {
		if a.Name == b.Name {
			errs = append(errs, fmt.Errorf("metric family %s gathered twice; the second dropped", b.Name))
			return true
		}
		return false
	})
	return fams, errors.Join(errs...)
}

// Desc names a family written by hand and its label names: what the
// tests read to hold the README, the alert rules and the dashboards to
// the metrics served, including families no scrape has produced yet.
type Desc struct {
	Name   string
	Labels []string
}
