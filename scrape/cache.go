package scrape

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
)

// entry is an answer as the cache holds it. Only body stands for it:
// every reader decodes its own value from it, so that no provider can
// change what another scrape reads.
type entry struct {
	body      []byte
	noData    bool // the endpoint's NoData answer: nothing to decode
	fetchedAt time.Time
	// decoded is body decoded by checkShape, a pointer of the caller's
	// type, handed to the one reader that takes it first: a fresh answer
	// is decoded once, never shared.
	decoded atomic.Pointer[any]
}

// Reads records what one scrape read through the account's client:
// whether every answer was one the cache holds fresh (a hit, or a miss
// whose answer the cache now holds), and when the first of them expires.
// Until then the same scrape would read the same answers, so its output
// may be reused.
type Reads struct {
	mu     sync.Mutex
	other  bool      // a miss, a stale answer or a call to the vendor
	expiry time.Time // of the first fresh answer read to expire
}

type readsKey struct{}

// Recording returns a context whose reads through a Client go to r (nil:
// nowhere).
func Recording(ctx context.Context, r *Reads) context.Context {
	return context.WithValue(ctx, readsKey{}, r)
}

// Until reports until when the answers read stand; false if something
// else was read (a stale answer, a failure, a call that is not cached), or
// nothing was.
func (r *Reads) Until() (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.expiry, !r.other && !r.expiry.IsZero()
}

// record notes a read in ctx's Reads, if any: an answer the cache holds
// since fetchedAt for ttl, or (zero fetchedAt or ttl: not cached, so the
// next scrape asks again) anything else.
func record(ctx context.Context, fetchedAt time.Time, ttl time.Duration) {
	r, _ := ctx.Value(readsKey{}).(*Reads)
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch expiry := fetchedAt.Add(ttl); {
	case fetchedAt.IsZero() || ttl <= 0:
		r.other = true
	case r.expiry.IsZero() || expiry.Before(r.expiry):
		r.expiry = expiry
	}
}

// GetJSON answers ep from the cache while it is fresh; otherwise it calls
// the vendor once for all concurrent callers. It returns usable=true when
// out was filled, with fresh data or, if the refresh failed, with the last
// good answer younger than MaxStale, whether or not caching is on; err
// reports the failure either way. An answer the endpoint's NoData
// recognises returns false and no error.
func (c *Client) GetJSON(ctx context.Context, ep Endpoint, out any) (usable bool, err error) {
	key := ep.Path
	ttl := c.ttl(ep)
	if e, ok := c.lookup(key, ttl); ok {
		c.opt.Metrics.cacheLookup(c, "hit")
		record(ctx, e.fetchedAt, ttl)
		return c.fill(ep.Name, e, out)
	}
	if ctx.Err() != nil {
		// A scrape past its deadline starts no request: those it started go
		// on, but a long list read after the deadline must not queue one
		// flight per entry. It serves what the cache still holds.
		record(ctx, time.Time{}, 0)
		c.opt.Metrics.countError(c, ReasonTimeout)
		return c.stale(ep, key, out, c.Errorf(ep.Name, 0, ReasonTimeout, "not asked: the scrape deadline had passed"))
	}
	c.opt.Metrics.cacheLookup(c, "miss")
	if c.missed != nil {
		c.missed()
	}
	ch := c.flights.DoChan(key, func() (any, error) {
		// A flight that ended between our cache miss and DoChan has
		// already answered: do not ask the vendor twice.
		if e, ok := c.lookup(key, ttl); ok {
			return e, nil
		}
		// The flight outlives any one scrape so that a slow vendor still
		// fills the cache for the next one.
		fctx, cancel := c.Detached(ctx)
		defer cancel()
		body, err := c.do(fctx, Request{Method: http.MethodGet, Endpoint: ep.Name, Path: ep.Path})
		e := &entry{body: body}
		if se, ok := errors.AsType[*Error](err); ok && ep.NoData != nil && ep.NoData(se) {
			e.noData, err = true, nil
		} else if err == nil {
			// A body of the wrong shape is a failed refresh: caching it
			// would replace the last good answer with one nobody can read.
			var v any
			v, err = c.checkShape(ep.Name, body, out)
			e.decoded.Store(&v)
		}
		// Kept even with caching off (ttl 0): such an entry is never fresh,
		// so every scrape still asks the vendor, but it is the last good
		// answer max_stale serves when the vendor fails.
		if err == nil && (ttl > 0 || c.opt.MaxStale > 0) {
			e.fetchedAt = c.opt.Now()
			c.cacheMu.Lock()
			c.cache[key] = e
			c.cacheMu.Unlock()
		}
		return e, err
	})
	select {
	case res := <-ch:
		if res.Err == nil {
			e := res.Val.(*entry)
			record(ctx, e.fetchedAt, ttl)
			return c.fill(ep.Name, e, out)
		}
		err = res.Err
	case <-ctx.Done():
		err = c.Errorf(ep.Name, 0, ReasonTimeout, "no answer before the scrape deadline")
		c.opt.Metrics.countError(c, ReasonTimeout)
	}
	record(ctx, time.Time{}, 0)
	return c.stale(ep, key, out, err)
}

// stale fills out with the last good answer of ep younger than MaxStale,
// if any, after a refresh failed with err.
func (c *Client) stale(ep Endpoint, key string, out any, err error) (bool, error) {
	if e, ok := c.lookup(key, c.opt.MaxStale); ok {
		c.opt.Metrics.cacheLookup(c, "stale")
		if u, _ := c.fill(ep.Name, e, out); u {
			return true, err
		}
	}
	return false, err
}

// Detached is ctx for a request that outlives the scrape that needs it (a
// cache refresh, a login) so that a slow vendor's answer still serves the
// next scrape: it ignores ctx's end, and ends after twice the timeout, the
// request's own and as long again to queue for a slot. Its calls are not
// the scrape's reads (Recording): what it caches is.
func (c *Client) Detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(Recording(ctx, nil)), 2*c.opt.Timeout)
}

// Uncached notes in ctx's Reads that the scrape used something no cache
// holds (a login made for it), so that its output is not reused.
func Uncached(ctx context.Context) { record(ctx, time.Time{}, 0) }

// fill moves the entry's decoded value into out if no reader took it yet
// and out has its type, else decodes the body into out: what a provider
// reads is its own, whatever it does with it.
func (c *Client) fill(endpoint string, e *entry, out any) (bool, error) {
	if e.noData {
		return false, nil
	}
	if d := e.decoded.Swap(nil); d != nil && reflect.TypeOf(*d) == reflect.TypeOf(out) && !reflect.ValueOf(out).IsNil() {
		reflect.ValueOf(out).Elem().Set(reflect.ValueOf(*d).Elem())
		return true, nil
	}
	err := c.decode(endpoint, e.body, out)
	return err == nil, err
}

// ttl is the configured endpoint TTL if any; otherwise the account's TTL,
// or the endpoint's own when that is longer: data that changes rarely is
// never refreshed more often than the rest (a 2h cache_ttl keeps plan
// lists 2h, not 1h). Caching off for the account stays off.
func (c *Client) ttl(ep Endpoint) time.Duration {
	if d, ok := c.opt.EndpointTTL[ep.Name]; ok {
		return d
	}
	if c.opt.CacheTTL > 0 && ep.TTL > c.opt.CacheTTL {
		return ep.TTL
	}
	return c.opt.CacheTTL
}

// lookup returns key's entry and whether it is younger than maxAge. An
// entry too old to serve, even as a stale answer, is forgotten.
func (c *Client) lookup(key string, maxAge time.Duration) (*entry, bool) {
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	e, ok := c.cache[key]
	if !ok {
		return nil, false
	}
	age := c.opt.Now().Sub(e.fetchedAt)
	if age >= maxAge && age >= c.opt.MaxStale {
		delete(c.cache, key)
	}
	return e, age < maxAge
}
