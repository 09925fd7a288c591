package provider_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/scrape"
)

var testFamily = provider.NewFamily("billing_test_value", "A test value.", "item")

// tooLarge is the one too_large failure err holds, or nil.
func tooLarge(t *testing.T, err error) *scrape.Error {
	t.Helper()
	var found []*scrape.Error
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var se *scrape.Error
		if errors.As(e, &se) && se.Reason == scrape.ReasonTooLarge {
			found = append(found, se)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d too_large failures in %v, want 1", len(found), err)
	}
	return found[0]
}

// Series past MaxSeries are dropped: the account fails once with
// too_large and keeps the series within the bound; a series emitted again
// is no new series.
func TestEmitterKeepsMaxSeries(t *testing.T) {
	e := provider.NewEmitter("p", "a", provider.Limits{MaxSeries: 5})
	for i := range 8 {
		e.Gauge(testFamily, 1, fmt.Sprint(i))
	}
	e.Gauge(testFamily, 1, "0")
	n := 0
	e.Each(func(*provider.Family, float64, []string) { n++ })
	if n != 5 {
		t.Errorf("%d series, want 5", n)
	}
	if !e.Exceeded() {
		t.Error("Exceeded is false")
	}
	if se := tooLarge(t, e.Err()); se.Account != "a" || se.Endpoint != "" {
		t.Errorf("failure %+v", se)
	}
}

// Cap keeps the first MaxItems entries of a list and fails the account
// once per endpoint.
func TestCapKeepsTheFirstEntries(t *testing.T) {
	e := provider.NewEmitter("p", "a", provider.Limits{MaxItems: 3})
	list := []int{0, 1, 2, 3, 4}
	for range 2 {
		if kept, complete := provider.Cap(e, "organization", list); len(kept) != 3 || complete || kept[2] != 2 {
			t.Errorf("Cap = %v, %v; want the first 3, incomplete", kept, complete)
		}
	}
	if kept, complete := provider.Cap(e, "organization", list[:3]); len(kept) != 3 || !complete {
		t.Errorf("a list within the bound: %v, %v", kept, complete)
	}
	if se := tooLarge(t, e.Err()); se.Endpoint != "organization" {
		t.Errorf("failure %+v", se)
	}
}

// ForEach calls f for every index, never on more than Workers goroutines
// at once, whatever the number of indexes.
func TestForEachRunsAtMostWorkers(t *testing.T) {
	const workers, n = 3, 500
	e := provider.NewEmitter("p", "a", provider.Limits{Workers: workers})
	var (
		running, most atomic.Int64
		mu            sync.Mutex
		seen          = map[int]bool{}
	)
	all := e.ForEach(context.Background(), n, func(i int) {
		now := running.Add(1)
		mu.Lock()
		seen[i] = true
		most.Store(max(most.Load(), now))
		mu.Unlock()
		running.Add(-1)
	})
	if len(seen) != n || !all {
		t.Errorf("f called for %d indexes (all: %v), want %d", len(seen), all, n)
	}
	if m := most.Load(); m > workers {
		t.Errorf("%d calls at once, want at most %d", m, workers)
	}
}

// ForEach starts no call once its context has ended, and says so.
func TestForEachStopsAtTheDeadline(t *testing.T) {
	e := provider.NewEmitter("p", "a", provider.Limits{Workers: 4})
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int64
	canceled := make(chan struct{})
	all := e.ForEach(ctx, 1000, func(int) {
		switch n := calls.Add(1); {
		case n == 10:
			cancel()
			close(canceled)
		case n > 10:
			// Past the check before cancel ran: it ends only after, so that
			// its worker's next check sees the context ended.
			<-canceled
		}
	})
	// Calls already past the check when cancel ran still end: at most one
	// more per other worker.
	if n := calls.Load(); all || n < 10 || n > 10+3 {
		t.Errorf("%d calls, all %v; want 10 to 13 calls and false", n, all)
	}
}
