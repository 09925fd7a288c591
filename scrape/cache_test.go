package scrape

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counting answers {"amount": n} with n the request number, so that a test
// sees which answer it got.
func counting() http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		ok(fmt.Sprintf(`{"amount": %d}`, n.Add(1)))(w, r)
	}
}

// failable is a vendor answering {"amount": n} with n counting up, or a
// 500 while failing is set.
func failable(t *testing.T) (f *fake, failing *atomic.Bool) {
	failing = new(atomic.Bool)
	good := counting()
	f = newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			reply(500, `{"message":"down"}`)(w, r)
			return
		}
		good(w, r)
	})
	return f, failing
}

func cachedClient(t *testing.T, f *fake, clk *clock, mod func(*Options)) *testClient {
	return newClient(t, f, func(o *Options) {
		o.CacheTTL = 5 * time.Minute
		o.MaxStale = time.Hour
		o.Now = clk.Now
		if mod != nil {
			mod(o)
		}
	})
}

// get reads balance and returns the amount seen, failing on an error.
func get(t *testing.T, c *testClient, ep Endpoint) float64 {
	t.Helper()
	var out balanceDoc
	usable, err := c.GetJSON(context.Background(), ep, &out)
	if err != nil || !usable {
		t.Fatalf("usable=%v err=%v", usable, err)
	}
	return out.Amount.V
}

func (c *testClient) lookups(result string) float64 {
	return counted(c.t, c.metrics.cache, testProvider, testAccount, result)
}

func TestCacheFreshAndExpiry(t *testing.T) {
	clk := newClock()
	f := newFake(t, counting())
	c := cachedClient(t, f, clk, nil)

	if v := get(t, c, balance); v != 1 {
		t.Fatalf("first answer %v", v)
	}
	clk.Advance(5*time.Minute - time.Second)
	if v := get(t, c, balance); v != 1 || f.count() != 1 {
		t.Fatalf("within the TTL: answer %v after %d requests", v, f.count())
	}
	clk.Advance(time.Second)
	if v := get(t, c, balance); v != 2 || f.count() != 2 {
		t.Fatalf("at the TTL: answer %v after %d requests", v, f.count())
	}
	if hit, miss := c.lookups("hit"), c.lookups("miss"); hit != 1 || miss != 2 {
		t.Errorf("lookups hit=%v miss=%v, want 1 and 2", hit, miss)
	}
	// Another endpoint has its own entry.
	other := Endpoint{Name: "customer/info", Path: "/api/2.0/portal/payment/customerinfo"}
	if v := get(t, c, other); v != 3 {
		t.Errorf("other endpoint answered %v", v)
	}
}

func TestCacheDisabled(t *testing.T) {
	f := newFake(t, counting())
	c := newClient(t, f, func(o *Options) { o.CacheTTL = 0 })
	long := balance
	long.TTL = time.Hour // ignored: caching is off for the account
	get(t, c, long)
	get(t, c, long)
	if f.count() != 2 {
		t.Errorf("requests: %d, want 2", f.count())
	}
	if c.lookups("miss") != 0 {
		t.Error("lookups counted with caching disabled")
	}
}

func TestEndpointTTL(t *testing.T) {
	plans := Endpoint{Name: "quotas", Path: "/api/2.0/portal/payment/quotas", TTL: time.Hour}

	t.Run("Endpoint.TTL", func(t *testing.T) {
		clk := newClock()
		f := newFake(t, counting())
		c := cachedClient(t, f, clk, nil)
		get(t, c, plans)
		clk.Advance(59 * time.Minute)
		get(t, c, plans)
		if f.count() != 1 {
			t.Fatalf("requests within the endpoint's hour: %d", f.count())
		}
		clk.Advance(time.Minute)
		get(t, c, plans)
		if f.count() != 2 {
			t.Fatalf("requests after the endpoint's hour: %d", f.count())
		}
	})

	// An account cache_ttl longer than the endpoint's own TTL applies to it
	// too: rarely changing data is not refreshed more often than the rest.
	t.Run("longer CacheTTL", func(t *testing.T) {
		clk := newClock()
		f := newFake(t, counting())
		c := cachedClient(t, f, clk, func(o *Options) { o.CacheTTL = 2 * time.Hour })
		get(t, c, plans)
		clk.Advance(90 * time.Minute)
		get(t, c, plans)
		if f.count() != 1 {
			t.Fatalf("requests within the account's 2h: %d, want 1", f.count())
		}
		clk.Advance(30 * time.Minute)
		get(t, c, plans)
		if f.count() != 2 {
			t.Fatalf("requests after the account's 2h: %d, want 2", f.count())
		}
	})

	t.Run("Options.EndpointTTL wins", func(t *testing.T) {
		clk := newClock()
		f := newFake(t, counting())
		c := cachedClient(t, f, clk, func(o *Options) {
			o.EndpointTTL = map[string]time.Duration{plans.Name: time.Minute, balance.Name: 0}
		})
		get(t, c, plans)
		clk.Advance(time.Minute)
		get(t, c, plans)
		if f.count() != 2 {
			t.Fatalf("configured 1m TTL: %d requests", f.count())
		}
		// A configured 0 turns caching off for that endpoint only.
		get(t, c, balance)
		get(t, c, balance)
		if f.count() != 4 {
			t.Fatalf("configured 0 TTL: %d requests", f.count())
		}
	})
}

func TestStaleFallback(t *testing.T) {
	clk := newClock()
	f, failing := failable(t)
	c := cachedClient(t, f, clk, nil)
	get(t, c, balance)

	failing.Store(true)
	clk.Advance(10 * time.Minute)
	var out balanceDoc
	usable, err := c.GetJSON(context.Background(), balance, &out)
	if !usable || ReasonOf(err) != ReasonServer || out.Amount.V != 1 {
		t.Fatalf("failed refresh: usable=%v err=%v out=%v; want the last good answer and the error", usable, err, out.Amount.V)
	}
	if c.lookups("stale") != 1 {
		t.Errorf("stale lookups: %v", c.lookups("stale"))
	}
	// The failure is not cached: the next scrape asks again.
	_, _ = c.GetJSON(context.Background(), balance, &balanceDoc{})
	if f.count() != 3 {
		t.Errorf("requests: %d, want 3", f.count())
	}

	clk.Advance(50 * time.Minute) // an hour after the last good answer
	out = balanceDoc{}
	usable, err = c.GetJSON(context.Background(), balance, &out)
	if usable || err == nil || out.Amount.Valid {
		t.Fatalf("past max_stale: usable=%v err=%v out=%+v", usable, err, out)
	}
	c.cacheMu.Lock()
	n := len(c.cache)
	c.cacheMu.Unlock()
	if n != 0 {
		t.Errorf("entry past max_stale kept (%d entries)", n)
	}

	// Recovery serves fresh data again.
	failing.Store(false)
	if v := get(t, c, balance); v != 2 {
		t.Errorf("after recovery: %v", v)
	}
}

// max_stale does not depend on caching: with caching off for the account
// or for one endpoint, every scrape still asks the vendor, and when it
// fails the last good answer is served until max_stale, then dropped.
func TestMaxStaleServesLastGoodAnswerWithCachingOff(t *testing.T) {
	for name, off := range map[string]func(*Options){
		"cache_ttl 0":          func(o *Options) { o.CacheTTL = 0 },
		"endpoint_cache_ttl 0": func(o *Options) { o.EndpointTTL = map[string]time.Duration{balance.Name: 0} },
	} {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			f, failing := failable(t)
			c := cachedClient(t, f, clk, off) // max_stale 1h
			get(t, c, balance)
			if v := get(t, c, balance); v != 2 || f.count() != 2 {
				t.Fatalf("caching off: answer %v after %d requests; want a fresh fetch each time", v, f.count())
			}

			failing.Store(true)
			clk.Advance(time.Hour - time.Second)
			var out balanceDoc
			usable, err := c.GetJSON(context.Background(), balance, &out)
			if !usable || ReasonOf(err) != ReasonServer || out.Amount.V != 2 {
				t.Fatalf("within max_stale: usable=%v err=%v amount=%v; want the last good answer (2) and the error", usable, err, out.Amount.V)
			}
			if f.count() != 3 {
				t.Errorf("requests: %d, want 3: the failed refresh must still be tried", f.count())
			}

			clk.Advance(time.Second) // max_stale after the last good answer
			out = balanceDoc{}
			usable, err = c.GetJSON(context.Background(), balance, &out)
			if usable || err == nil || out.Amount.Valid {
				t.Fatalf("past max_stale: usable=%v err=%v out=%+v; want nothing", usable, err, out)
			}
		})
	}
}

// With caching and max_stale both off, nothing is kept.
func TestNothingKeptWithCachingAndMaxStaleOff(t *testing.T) {
	f := newFake(t, counting())
	c := newClient(t, f, func(o *Options) { o.CacheTTL, o.MaxStale = 0, 0 })
	get(t, c, balance)
	c.cacheMu.Lock()
	n := len(c.cache)
	c.cacheMu.Unlock()
	if n != 0 {
		t.Errorf("%d entries kept with caching and max_stale off", n)
	}
}

func TestNeverAnswered(t *testing.T) {
	f := newFake(t, reply(503, `{"detail":"starting"}`))
	c := cachedClient(t, f, newClock(), nil)
	out := balanceDoc{}
	usable, err := c.GetJSON(context.Background(), balance, &out)
	if usable || err == nil || out.Amount.Valid {
		t.Fatalf("usable=%v err=%v out=%+v", usable, err, out)
	}
}

// A 200 whose body does not fit the endpoint's type is a failed refresh:
// it neither replaces the last good answer nor gets cached.
func TestWrongShapeNotCached(t *testing.T) {
	clk := newClock()
	f := newFake(t, sequence(ok(`{"amount": 5}`), ok(`{"amount": "n/a"}`), ok(`{"amount": 6}`)))
	c := cachedClient(t, f, clk, nil)
	get(t, c, balance)

	clk.Advance(10 * time.Minute)
	var out balanceDoc
	usable, err := c.GetJSON(context.Background(), balance, &out)
	if ReasonOf(err) != ReasonDecode || !usable || out.Amount.V != 5 {
		t.Fatalf("wrong shape: usable=%v err=%v out=%v; want decode error and the last good answer", usable, err, out.Amount.V)
	}
	if v := get(t, c, balance); v != 6 || f.count() != 3 {
		t.Fatalf("after a wrong shape: answer %v after %d requests; the bad body was cached", v, f.count())
	}
}

func TestInvalidJSONNotCached(t *testing.T) {
	f := newFake(t, sequence(ok(`{"amount": 5`), ok(`{"amount": 6}`)))
	c := cachedClient(t, f, newClock(), nil)
	if _, err := c.GetJSON(context.Background(), balance, &balanceDoc{}); ReasonOf(err) != ReasonDecode {
		t.Fatalf("got %v", err)
	}
	if v := get(t, c, balance); v != 6 {
		t.Fatalf("got %v", v)
	}
}

// TestCoalescing: concurrent scrapes of an expired entry share one request.
func TestCoalescing(t *testing.T) {
	const callers = 20
	clk := newClock()
	release := make(chan struct{})
	var n atomic.Int64
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			ok(`{"amount": 1}`)(w, r)
			return
		}
		<-release
		ok(`{"amount": 2}`)(w, r)
	})
	c := cachedClient(t, f, clk, nil)
	get(t, c, balance) // fill, then expire
	clk.Advance(time.Hour - time.Minute)
	missed := make(chan struct{}, callers)
	c.missed = func() { missed <- struct{}{} }

	var wg sync.WaitGroup
	results := make([]float64, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = get(t, c, balance)
		}()
	}
	// Every caller has missed the cache before the vendor answers.
	for range callers {
		<-missed
	}
	close(release)
	wg.Wait()
	if f.count() != 2 {
		t.Fatalf("requests: %d, want 2 (one fill, one shared refresh)", f.count())
	}
	for i, v := range results {
		if v != 2 {
			t.Errorf("caller %d got %v", i, v)
		}
	}
}

// A caller whose scrape deadline ends gets a timeout at once, while the
// shared request completes and fills the cache for the next scrape.
func TestCoalescingCallerGivesUp(t *testing.T) {
	clk := newClock()
	entered := make(chan struct{})
	release := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		ok(`{"amount": 42}`)(w, r)
	})
	c := cachedClient(t, f, clk, nil)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := c.GetJSON(ctx, balance, &balanceDoc{})
		done <- err
	}()
	<-entered
	cancel()
	if err := <-done; ReasonOf(err) != ReasonTimeout {
		t.Fatalf("got %v, want timeout", err)
	}
	close(release)
	// This call joins the flight still running or finds its answer cached.
	if v := get(t, c, balance); v != 42 {
		t.Fatalf("got %v", v)
	}
	if v := get(t, c, balance); v != 42 || f.count() != 1 {
		t.Fatalf("answer %v after %d requests; want the abandoned flight cached", v, f.count())
	}
}

// A scrape past its deadline asks the vendor nothing: it serves the last
// good answer, so that a long list read after the deadline does not leave
// one request per entry behind.
func TestNoRequestPastTheDeadline(t *testing.T) {
	clk := newClock()
	f := newFake(t, ok(`{"amount": 42}`))
	c := cachedClient(t, f, clk, nil)
	get(t, c, balance)
	clk.Advance(6 * time.Minute) // expired, within max_stale

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out balanceDoc
	usable, err := c.GetJSON(ctx, balance, &out)
	if !usable || out.Amount.V != 42 || ReasonOf(err) != ReasonTimeout {
		t.Errorf("usable=%v amount=%v err=%v; want the stale answer and a timeout", usable, out.Amount.V, err)
	}
	// Joins the flight the call may have started, so that its request is counted.
	_, _, _ = c.flights.Do(balance.Path, func() (any, error) { return nil, nil })
	if n := f.count(); n != 1 {
		t.Errorf("%d requests, want only the first: none past the deadline", n)
	}
}

// Reads says until when a scrape's answers stand: the first expiry of the
// answers it read that the cache holds (hits, and misses it fetched and
// cached), and no time at all once it read anything else (an answer not
// cached, a vendor call outside the cache) or nothing.
func TestReadsUntil(t *testing.T) {
	clk := newClock()
	f := newFake(t, ok(`{"amount": 1}`))
	c := cachedClient(t, f, clk, nil) // 5 min
	hourly := Endpoint{Name: "quotas", Path: "/quotas", TTL: time.Hour}
	read := func(c *testClient, eps ...Endpoint) (time.Time, bool) {
		t.Helper()
		var r Reads
		ctx := Recording(context.Background(), &r)
		for _, ep := range eps {
			if usable, err := c.GetJSON(ctx, ep, &balanceDoc{}); !usable || err != nil {
				t.Fatalf("usable=%v err=%v", usable, err)
			}
		}
		return r.Until()
	}
	if _, ok := read(c); ok {
		t.Error("nothing read, yet a time to stand until")
	}
	start := clk.Now()
	if until, ok := read(c, balance, hourly); !ok || !until.Equal(start.Add(5*time.Minute)) {
		t.Errorf("answers fetched and cached stand until %v (%v), want the first expiry %v", until, ok, start.Add(5*time.Minute))
	}
	clk.Advance(time.Minute)
	if until, ok := read(c, hourly, balance); !ok || !until.Equal(start.Add(5*time.Minute)) {
		t.Errorf("fresh answers stand until %v (%v), want the first expiry %v", until, ok, start.Add(5*time.Minute))
	}
	clk.Advance(5 * time.Minute)
	if until, ok := read(c, hourly, balance); !ok || !until.Equal(clk.Now().Add(5*time.Minute)) {
		t.Errorf("an expired answer refreshed stands until %v (%v), want its new expiry %v", until, ok, clk.Now().Add(5*time.Minute))
	}
	uncached := cachedClient(t, f, clk, func(o *Options) { o.CacheTTL = 0 })
	if _, ok := read(uncached, balance); ok {
		t.Error("an answer the cache does not hold, yet a time to stand until")
	}
	var r Reads
	if err := c.Do(Recording(context.Background(), &r), Request{Method: "POST", Endpoint: "auth/login", Path: "/login"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Until(); ok {
		t.Error("a call to the vendor, yet a time to stand until")
	}
}

// What a reader decodes is its own: writing into it, as a provider may,
// changes nothing another reader of the same cached answer gets, whether
// it read first (and got the value decoded on arrival) or later.
func TestCachedAnswerIsTheReadersOwn(t *testing.T) {
	type doc struct {
		Items []struct {
			ID   string `json:"id"`
			Seen bool   `json:"-"`
		} `json:"items"`
	}
	f := newFake(t, ok(`{"items": [{"id": "a"}, {"id": "b"}]}`))
	c := cachedClient(t, f, newClock(), nil)
	read := func() doc {
		t.Helper()
		var d doc
		if usable, err := c.GetJSON(context.Background(), balance, &d); err != nil || !usable || len(d.Items) != 2 {
			t.Fatalf("usable=%v err=%v items=%v", usable, err, d.Items)
		}
		return d
	}
	first := read()
	first.Items[0].ID, first.Items[1].Seen = "changed", true
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			d := read()
			if d.Items[0].ID != "a" || d.Items[1].Seen {
				t.Errorf("a later reader got %+v: another reader's writes", d.Items)
			}
			d.Items[0].ID = "changed again" // races with the others if shared
		})
	}
	wg.Wait()
	if f.count() != 1 {
		t.Errorf("%d requests; the readers should share one cached answer", f.count())
	}
}

// An error answer the endpoint's NoData recognises (a 404 for settings
// never saved) is no failure, reads as no data, and is cached like any
// answer: the vendor is not asked again before the TTL ends.
func TestNoDataAnswerIsCachedAsAnAnswer(t *testing.T) {
	clk := newClock()
	f := newFake(t, reply(404, `{"message":"no preferences"}`))
	c := cachedClient(t, f, clk, nil)
	ep := balance
	ep.NoData = func(e *Error) bool { return e.Status == 404 }
	for range 3 {
		var out balanceDoc
		usable, err := c.GetJSON(context.Background(), ep, &out)
		if usable || err != nil {
			t.Fatalf("usable=%v err=%v, want no data and no error", usable, err)
		}
	}
	if f.count() != 1 {
		t.Errorf("%d requests within the TTL, want 1", f.count())
	}
	clk.Advance(5 * time.Minute)
	var out balanceDoc
	if _, err := c.GetJSON(context.Background(), ep, &out); err != nil || f.count() != 2 {
		t.Errorf("after the TTL: err=%v, %d requests, want 2", err, f.count())
	}
	// Without NoData the same answer is a failure.
	other := Endpoint{Name: "other", Path: "/other"}
	if _, err := c.GetJSON(context.Background(), other, &out); ReasonOf(err) != ReasonNotFound {
		t.Errorf("without NoData: err=%v, want not_found", err)
	}
}
