package expo

import (
	"bufio"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// CounterVec is a counter vector that writes itself in the text format:
// each series keeps its line prefix, so a scrape appends the upstream
// counters of every account without building a protobuf message per series.
type CounterVec struct {
	name       string
	header     []byte // HELP and TYPE lines, written once
	labels     []string
	labelOrder []int // LabelOrder(labels)

	mu     sync.RWMutex
	series map[string]*Counter
	order  []*Counter // series in the order written; nil after a change
}

// Counter is one series of a CounterVec.
type Counter struct {
	key    string // its label values in label name order, joined by sep
	prefix []byte // `name{...} `
	n      atomic.Uint64
}

// sep joins label values in a key: a byte valid UTF-8 never holds.
const sep = '\xff'

// NewCounterVec makes a counter vector without series.
func NewCounterVec(name, help string, labels ...string) *CounterVec {
	return &CounterVec{name: name, header: AppendHeader(nil, name, help, "counter"), labels: labels, labelOrder: LabelOrder(labels),
		series: map[string]*Counter{}}
}

// Desc describes the vector.
func (f *CounterVec) Desc() Desc { return Desc{Name: f.name, Labels: f.labels} }

// WithLabelValues returns the series, creating it at zero.
func (f *CounterVec) WithLabelValues(values ...string) *Counter {
	var buf [128]byte
	key := buf[:0]
	for n, i := range f.labelOrder {
		if n > 0 {
			key = append(key, sep)
		}
		key = append(key, values[i]...)
	}
	f.mu.RLock()
	c := f.series[string(key)]
	f.mu.RUnlock()
	if c != nil {
		return c
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c = f.series[string(key)]; c == nil {
		// The key is the series' only copy of its values: there are some
		// sixteen series per account.
		c = &Counter{key: string(key), prefix: AppendPrefix(nil, f.name, f.labels, values, f.labelOrder)}
		f.series[c.key] = c
		f.order = nil
	}
	return c
}

// field is the n-th label value of key.
func field(key string, n int) string {
	for range n {
		key = key[strings.IndexByte(key, sep)+1:]
	}
	if i := strings.IndexByte(key, sep); i >= 0 {
		return key[:i]
	}
	return key
}

// DeleteMatching drops every series whose label name has value v.
func (f *CounterVec) DeleteMatching(name, v string) {
	n := slices.Index(f.labelOrder, slices.Index(f.labels, name))
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, c := range f.series {
		if field(c.key, n) == v {
			delete(f.series, k)
			f.order = nil
		}
	}
}

// Inc adds one.
func (c *Counter) Inc() { c.n.Add(1) }

// Family is the vector as a family of the answer, or false when it has no
// series (as a Registry leaves out a vector without children). Its series
// are those of now; their values are read as they are written.
func (f *CounterVec) Family() (Family, bool) {
	f.mu.Lock()
	if f.order == nil {
		f.order = slices.AppendSeq(make([]*Counter, 0, len(f.series)), maps.Values(f.series))
		// As client_golang: by label values, labels in name order.
		slices.SortFunc(f.order, func(a, b *Counter) int {
			for n := range f.labelOrder {
				if c := strings.Compare(field(a.key, n), field(b.key, n)); c != 0 {
					return c
				}
			}
			return 0
		})
	}
	order := f.order // a change makes a new slice: this one stays as it is
	f.mu.Unlock()
	if len(order) == 0 {
		return Family{}, false
	}
	return Family{Name: f.name, Text: f.header, Series: func(w *bufio.Writer) {
		// A failed write is kept by w and returned by Write's Flush.
		for _, c := range order {
			_, _ = w.Write(c.prefix)
			_, _ = w.Write(AppendValue(w.AvailableBuffer(), float64(c.n.Load())))
		}
	}}, true
}
