package scrape

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/billing-exporter/billing-exporter/internal/expo"
)

// counterFamily is a counter vector that can also write itself in the
// text format: each series keeps its line prefix, so a scrape appends
// ~16,000 upstream counters at N = 1000 without building a protobuf
// message per series.
type counterFamily struct {
	name, help string
	labels     []string
	labelOrder []int // expo.LabelOrder(labels)

	mu     sync.RWMutex
	series map[string]*counter
	order  []*counter // series sorted by label values; nil after a change
}

type counter struct {
	key    string // label values joined by \xff
	values []string
	prefix []byte // `name{...} `
	n      atomic.Uint64
}

func newCounterFamily(name, help string, labels ...string) *counterFamily {
	return &counterFamily{name: name, help: help, labels: labels, labelOrder: expo.LabelOrder(labels),
		series: map[string]*counter{}}
}

// WithLabelValues returns the series, creating it at zero.
func (f *counterFamily) WithLabelValues(values ...string) *counter {
	key := strings.Join(values, "\xff")
	f.mu.RLock()
	c := f.series[key]
	f.mu.RUnlock()
	if c != nil {
		return c
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c = f.series[key]; c == nil {
		c = &counter{key: key, values: slices.Clone(values),
			prefix: expo.AppendPrefix(nil, f.name, f.labels, values, f.labelOrder)}
		f.series[key] = c
		f.order = nil
	}
	return c
}

// deleteMatching drops every series whose label name has value v.
func (f *counterFamily) deleteMatching(name, v string) {
	i := slices.Index(f.labels, name)
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, c := range f.series {
		if c.values[i] == v {
			delete(f.series, k)
			f.order = nil
		}
	}
}

func (c *counter) Inc()           { c.n.Add(1) }
func (c *counter) Add(n uint64)   { c.n.Add(n) }
func (c *counter) value() float64 { return float64(c.n.Load()) }

func (f *counterFamily) sorted() []*counter {
	f.mu.RLock()
	order := f.order
	f.mu.RUnlock()
	if order != nil {
		return order
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.order == nil {
		f.order = make([]*counter, 0, len(f.series))
		for _, c := range f.series {
			f.order = append(f.order, c)
		}
		slices.SortFunc(f.order, func(a, b *counter) int { return strings.Compare(a.key, b.key) })
	}
	return f.order
}

// appendText writes the family, or nothing when it has no series (as a
// Registry leaves out a vector without children).
func (f *counterFamily) appendText(b []byte) []byte {
	order := f.sorted()
	if len(order) == 0 {
		return b
	}
	n := len(b) + len(f.help) + 64
	for _, c := range order {
		n += len(c.prefix) + 8
	}
	b = expo.AppendHeader(slices.Grow(b, n-len(b)), f.name, f.help, "counter")
	for _, c := range order {
		b = append(b, c.prefix...)
		b = expo.AppendValue(b, c.value())
	}
	return b
}
