package scrape

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// held makes every request wait inside the fake until release is closed,
// and reports each arrival on entered.
func held() (h http.HandlerFunc, entered chan struct{}, release chan struct{}) {
	entered = make(chan struct{}, 100)
	release = make(chan struct{})
	return func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		ok(`{"amount": 1}`)(w, r)
	}, entered, release
}

// run starts n uncached calls on each client and returns a wait function.
func run(t *testing.T, n int, clients ...*testClient) func() {
	var wg sync.WaitGroup
	for _, c := range clients {
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := c.Do(context.Background(), Request{Method: http.MethodGet, Endpoint: "e", Path: fmt.Sprintf("/e/%d", i)}, nil)
				if err != nil {
					t.Error(err)
				}
			}()
		}
	}
	return wg.Wait
}

func TestAccountConcurrencyLimit(t *testing.T) {
	h, entered, release := held()
	f := newFake(t, h)
	c := newClient(t, f, func(o *Options) { o.MaxConcurrency = 2 })
	wait := run(t, 8, c)
	<-entered
	<-entered
	close(release)
	wait()
	if f.count() != 8 {
		t.Fatalf("requests: %d", f.count())
	}
	if m := f.maxIn.Load(); m != 2 {
		t.Errorf("max requests in flight %d, want 2", m)
	}
}

func TestGlobalConcurrencyLimit(t *testing.T) {
	h, entered, release := held()
	f := newFake(t, h)
	global := NewSemaphore(3)
	a := newClient(t, f, func(o *Options) { o.Global = global })
	b := newClient(t, f, func(o *Options) { o.Global = global; o.Account = "other"; o.MaxConcurrency = 10 })
	wait := run(t, 6, a, b)
	for range 3 {
		<-entered
	}
	close(release)
	wait()
	if f.count() != 12 {
		t.Fatalf("requests: %d", f.count())
	}
	if m := f.maxIn.Load(); m != 3 {
		t.Errorf("max requests in flight %d, want 3", m)
	}
}

// Requests waiting for their own account's slot must not sit on global
// slots that other accounts could use.
func TestBusyAccountDoesNotHoldGlobalSlots(t *testing.T) {
	h, entered, release := held()
	busy := newFake(t, h)
	quiet := newFake(t, ok(`{"amount": 1}`))
	global := NewSemaphore(2)
	a := newClient(t, busy, func(o *Options) { o.Global = global; o.MaxConcurrency = 1 })
	b := newClient(t, quiet, func(o *Options) { o.Global = global; o.Account = "quiet" })
	// Queueing for either semaphore counts: a waiter that wrongly took the
	// second global slot queues for its account slot, the next one for a
	// global slot.
	queued := make(chan struct{}, 10)
	a.account.queued = func() { queued <- struct{}{} }
	global.queued = func() { queued <- struct{}{} }
	wait := run(t, 3, a)
	<-entered // a holds one global slot and its only account slot
	<-queued  // and its two other requests wait
	<-queued
	if n := len(global.slots); n != 1 {
		t.Errorf("%d global slots taken while one request of a runs; its waiters hold the others", n)
	}
	// With a's two waiters holding the second global slot, b would block
	// until a's requests end; the deadline turns that into a failure. It is
	// generous: a busy machine must not fail a correct client.
	err := b.Do(ctxTimeout(t, 30*time.Second), Request{Method: http.MethodGet, Endpoint: "e", Path: "/"}, nil)
	close(release)
	wait()
	if err != nil {
		t.Fatalf("quiet account starved by a busy one: %v", err)
	}
}

func TestSemaphoreNil(t *testing.T) {
	var s *Semaphore
	if err := s.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Release()
	full := NewSemaphore(1)
	if err := full.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := full.Acquire(ctx); err == nil {
		t.Fatal("acquired a full semaphore")
	}
}

func TestRequestsPerMinute(t *testing.T) {
	f := newFake(t, ok(`{"amount": 1}`))
	// 6 per minute: a burst of one, then one every ten seconds.
	// The next token comes in 10 s, after the deadlines (5 s, and 8 s, twice
	// the timeout, for a cached read's flight): calls fail at once rather
	// than wait (checked with a margin that a busy machine does not use up).
	c := newClient(t, f, func(o *Options) { o.RequestsPerMinute = 6; o.Timeout = 4 * time.Second })
	req := Request{Method: http.MethodGet, Endpoint: "e", Path: "/"}
	if err := c.Do(ctxTimeout(t, 30*time.Second), req, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := c.Do(ctxTimeout(t, 5*time.Second), req, nil)
	if e := scrapeErr(t, err); e.Reason != ReasonRateLimited || e.Status != 0 {
		t.Fatalf("got %v, want rate_limited without a request", err)
	}
	if time.Since(start) >= 5*time.Second {
		t.Error("waited for the budget past the deadline")
	}
	// Cached reads go through the same budget.
	if _, err := c.GetJSON(context.Background(), balance, &balanceDoc{}); ReasonOf(err) != ReasonRateLimited {
		t.Fatalf("GetJSON: %v", err)
	}
	if f.count() != 1 {
		t.Errorf("requests: %d, want 1", f.count())
	}
}
