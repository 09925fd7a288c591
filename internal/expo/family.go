package expo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Family is one metric family in the text format: Text, its HELP and TYPE
// lines (and every series line of a family rendered whole), then the lines
// Series writes, if set. Series writes lines that already exist (accounts'
// reused lines, counters' prefixes) straight to the answer, so that a
// scrape does not copy every series into a buffer of its own first.
type Family struct {
	Name   string
	Text   []byte
	Series func(w *bufio.Writer)
}

// Write writes fams in order to w and returns the first write error.
func Write(w io.Writer, fams []Family) error {
	bw := writers.Get().(*bufio.Writer)
	defer writers.Put(bw)
	bw.Reset(w)
	defer bw.Reset(nil)
	for _, f := range fams {
		_, _ = bw.Write(f.Text) // a failed write is kept by bw and returned by Flush
		if f.Series != nil {
			f.Series(bw)
		}
	}
	return bw.Flush()
}

// writers pools Write's buffers: the answer goes out in 32 KiB writes, not
// one per series line.
var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}

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
		fams = append(fams, Family{Name: mf.GetName(), Text: buf.Bytes()})
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
