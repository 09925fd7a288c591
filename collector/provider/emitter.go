package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/billing-exporter/billing-exporter/internal/expo"
	"github.com/billing-exporter/billing-exporter/scrape"
)

// Emitter collects one account's metrics and endpoint errors during a
// scrape. It fills the provider and account labels (and the organization
// pair for org-scoped families) so providers only pass their own labels.
// It is safe for concurrent use, so providers may fetch in parallel.
type Emitter struct {
	org, orgID string

	shared *emitted
}

// emitted is what an account's Emitters share.
type emitted struct {
	provider, account string
	limits            Limits
	mu                sync.Mutex
	samples           []sample
	errs              []error
	// series holds the value of every series emitted, by family and label
	// values: a vendor listing a thing twice must not write it twice.
	series map[seriesKey]float64
	// exceeded holds the endpoints whose answer went past a bound of
	// limits in this scrape ("" for the series bound).
	exceeded map[string]bool
}

// Limits bound the work one account's scrape may cause, whatever its
// vendor answers: a long list costs what the account's limits allow, not
// what the answer asks. Zero is no bound.
type Limits struct {
	// MaxSeries caps the series the account writes (max_series_per_account).
	MaxSeries int
	// MaxItems caps the entries read from one list an answer carries
	// (max_items_per_list); see Cap.
	MaxItems int
	// Workers caps the goroutines that ForEach and FetchAll run at once:
	// the account's max_concurrency, as more would only queue for its
	// request slots. Below 1, one.
	Workers int
}

// sample is one series emitted, to be written as a line of text.
type sample struct {
	f      *Family
	values []string
	v      float64
}

type seriesKey struct {
	f      *Family
	labels string
}

// ForOrganization returns an Emitter that fills organization labels; it
// shares the account's metric buffer.
func (e *Emitter) ForOrganization(name, id string) *Emitter {
	return &Emitter{org: name, orgID: id, shared: e.shared}
}

// Gauge emits f with value v and f's own labels in order.
func (e *Emitter) Gauge(f *Family, v float64, labels ...string) {
	// Not a value anyone can compare: absent rather than NaN or ±Inf
	// (minutes × 60 of an absurd count overflows).
	if len(labels) == f.labels && (math.IsNaN(v) || math.IsInf(v, 0)) {
		return
	}
	values, err := e.values(f, labels)
	if err != nil {
		e.Fail(err)
		return
	}
	e.shared.add(f, values, v)
}

// values is every label value of a series of f: provider and account,
// labels, and the organization pair of org-scoped families.
func (e *Emitter) values(f *Family, labels []string) ([]string, error) {
	if len(labels) != f.labels {
		return nil, fmt.Errorf("internal: %s wants %d labels, got %d", f.Name, f.labels, len(labels))
	}
	values := make([]string, 0, 4+len(labels))
	values = append(values, e.shared.provider, e.shared.account)
	values = append(values, labels...)
	if f.org {
		values = append(values, e.org, e.orgID)
	}
	for i, lv := range values {
		if !utf8.ValidString(lv) {
			return nil, fmt.Errorf("%s: label %s=%q is not valid UTF-8", f.Name, f.Names[i], lv)
		}
	}
	return values, nil
}

// Prefix is the line of f's series without labels of its own up to its
// value, for lines the engine renders anew.
func (e *Emitter) Prefix(f *Family) []byte {
	return expo.AppendPrefix(nil, f.Name, f.Names, []string{e.shared.provider, e.shared.account}, f.order)
}

// add records a series unless it was emitted before. The same series
// again with the same value (an organization listed twice) is dropped
// quietly; with another value the answer is ambiguous, which is a failure
// of the account. The first value stays.
func (s *emitted) add(f *Family, values []string, v float64) {
	key := seriesKey{f, strings.Join(values, "\xff")}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, dup := s.series[key]
	if !dup {
		if limit := s.limits.MaxSeries; limit > 0 && len(s.samples) >= limit {
			s.exceedLocked("", "more than max_series_per_account (%d) series; the rest are dropped", limit)
			return
		}
		s.series[key] = v
		s.samples = append(s.samples, sample{f, values, v})
		return
	}
	if old != v {
		pairs := make([]string, 0, len(values)-2)
		for i := 2; i < len(values); i++ {
			pairs = append(pairs, fmt.Sprintf("%s=%q", f.Names[i], values[i]))
		}
		s.errs = append(s.errs, fmt.Errorf("%s account %q: the vendor sent %s{%s} twice with different values (%g, %g); kept the first",
			s.provider, s.account, f.Name, strings.Join(pairs, ","), old, v))
	}
}

// exceedLocked records that endpoint's answer went past a bound (s.mu
// held): a failure of the account with reason too_large, one per endpoint
// ("" for the series bound) however many entries or series it drops.
func (s *emitted) exceedLocked(endpoint, format string, args ...any) {
	if s.exceeded[endpoint] {
		return
	}
	if s.exceeded == nil {
		s.exceeded = map[string]bool{}
	}
	s.exceeded[endpoint] = true
	s.errs = append(s.errs, &scrape.Error{Provider: s.provider, Account: s.account, Endpoint: endpoint,
		Reason: scrape.ReasonTooLarge, Detail: fmt.Sprintf(format, args...)})
}

// Exceeded reports whether the scrape went past a bound of its Limits.
func (e *Emitter) Exceeded() bool {
	e.shared.mu.Lock()
	defer e.shared.mu.Unlock()
	return len(e.shared.exceeded) > 0
}

// Cap is items, or their first Limits.MaxItems when the vendor listed more,
// read from endpoint's answer; complete is false then, and the account
// fails with too_large. A provider emits what each kept entry says, but no
// total over a list it did not read whole.
func Cap[T any](e *Emitter, endpoint string, items []T) (kept []T, complete bool) {
	limit := e.shared.limits.MaxItems
	if limit <= 0 || len(items) <= limit {
		return items, true
	}
	e.shared.mu.Lock()
	e.shared.exceedLocked(endpoint, "%d entries, more than max_items_per_list (%d); read the first %d", len(items), limit, limit)
	e.shared.mu.Unlock()
	return items[:limit], false
}

// ForEach calls f(0) … f(n-1) on at most Limits.Workers goroutines at once
// and returns when every call made has: the goroutines a long list costs
// are the account's concurrency, not the list's length. Once ctx ends it
// starts no more calls, so that a scrape answers at its deadline however
// long the list; it reports whether every call was made.
func (e *Emitter) ForEach(ctx context.Context, n int, f func(i int)) (all bool) {
	var made atomic.Int64
	e.forEach(n, func(i int) bool {
		if ctx.Err() != nil {
			return false
		}
		made.Add(1)
		f(i)
		return true
	})
	return int(made.Load()) == n
}

// forEach is ForEach until f returns false.
func (e *Emitter) forEach(n int, f func(i int) bool) {
	workers := min(max(e.shared.limits.Workers, 1), n)
	var next atomic.Int64
	work := func() {
		for {
			if i := int(next.Add(1) - 1); i >= n || !f(i) {
				return
			}
		}
	}
	if workers <= 1 {
		work()
		return
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(work)
	}
	wg.Wait()
}

// GaugeIf emits f only when the value was present upstream.
func (e *Emitter) GaugeIf(f *Family, v scrape.Float, labels ...string) {
	if v.Valid {
		e.Gauge(f, v.V, labels...)
	}
}

// Scaled is f × k, converting a value present upstream to base units.
func Scaled(f scrape.Float, k float64) scrape.Float {
	f.V *= k
	return f
}

// Bool emits 1 or 0 when the value was present upstream.
func (e *Emitter) Bool(f *Family, v scrape.Bool, labels ...string) {
	if v.Valid {
		e.Gauge(f, v.Float64(), labels...)
	}
}

// Time emits f as Unix time, reading a zone-less value in loc, when the
// value was present upstream.
func (e *Emitter) Time(f *Family, v scrape.Time, loc *time.Location, labels ...string) {
	if v.Valid {
		e.Gauge(f, v.Unix(loc), labels...)
	}
}

// StateSet emits f as a state set: one series per state, labelled with
// it as f's last label after labels, 1 for current and 0 for the others
// (all 0 when current is none of them).
func (e *Emitter) StateSet(f *Family, states []string, current string, labels ...string) {
	for _, state := range states {
		v := 0.0
		if state == current {
			v = 1
		}
		e.Gauge(f, v, append(labels[:len(labels):len(labels)], state)...)
	}
}

// Fail records an endpoint error: the account's billing_up becomes 0.
func (e *Emitter) Fail(err error) {
	if err != nil {
		e.shared.mu.Lock()
		e.shared.errs = append(e.shared.errs, err)
		e.shared.mu.Unlock()
	}
}

// Read is one endpoint for Fetch and FetchAll.
type Read struct {
	Endpoint scrape.Endpoint
	Out      any
}

// FetchAll reads the endpoints concurrently, as many at once as the
// account's requests in flight (Limits.Workers), so that one slow or
// backing-off endpoint does not delay the others; it records failures and
// reports which outs are usable.
func (e *Emitter) FetchAll(ctx context.Context, c *scrape.Client, reads ...Read) []bool {
	usable := make([]bool, len(reads))
	// Every read is made, past the deadline too: a few cache lookups that
	// may still serve the last good answers.
	e.forEach(len(reads), func(i int) bool {
		usable[i] = e.Fetch(ctx, c, reads[i])
		return true
	})
	return usable
}

// Fetch reads one endpoint and records a failure; true when Out holds
// data to emit (fresh, or stale within limits).
func (e *Emitter) Fetch(ctx context.Context, c *scrape.Client, r Read) bool {
	ok, err := c.GetJSON(ctx, r.Endpoint, r.Out)
	e.Fail(err)
	return ok
}

// NewEmitter starts an account's scrape under limits (the engine calls it).
func NewEmitter(provider, account string, limits Limits) *Emitter {
	return &Emitter{shared: &emitted{provider: provider, account: account, limits: limits, series: map[seriesKey]float64{}}}
}

// Err joins every failure recorded.
func (e *Emitter) Err() error {
	e.shared.mu.Lock()
	defer e.shared.mu.Unlock()
	return errors.Join(e.shared.errs...)
}

// Lines renders the samples as text lines, by family.
func (e *Emitter) Lines() Lines {
	e.shared.mu.Lock()
	defer e.shared.mu.Unlock()
	samples := e.shared.samples
	slices.SortStableFunc(samples, func(a, b sample) int { return a.f.idx - b.f.idx })
	var text []byte
	at := make([]uint32, count()+1)
	for _, s := range samples {
		text = expo.AppendPrefix(text, s.f.Name, s.f.Names, s.values, s.f.order)
		text = expo.AppendValue(text, s.v)
		at[s.f.idx+1] = uint32(len(text))
	}
	for i := 1; i < len(at); i++ {
		at[i] = max(at[i], at[i-1]) // a family without series ends where the one before does
	}
	// Kept for as long as they stand: without the slack of appending.
	return Lines{text: bytes.Clone(text), at: at}
}

// Lines is an account's series lines, family after family in index
// order: one buffer and where each family's lines end, rather than a
// slice header per family and account.
type Lines struct {
	text []byte
	at   []uint32 // family i's lines are text[at[i]:at[i+1]]
}

// Of is family f's lines, nil if none.
func (l Lines) Of(f *Family) []byte {
	return l.text[l.at[f.idx]:l.at[f.idx+1]]
}

// Each calls f with every series emitted so far, in emitting order, for
// tests that hold the text to another exposition.
func (e *Emitter) Each(f func(fam *Family, v float64, values []string)) {
	e.shared.mu.Lock()
	samples := slices.Clone(e.shared.samples)
	e.shared.mu.Unlock()
	for _, s := range samples {
		f(s.f, s.v, s.values)
	}
}
