package scrape

import (
	"context"
	"net/http"
	"reflect"
	"sync/atomic"
	"time"
)

type entry struct {
	body      []byte
	decoded   any // body decoded by checkShape, a pointer of the caller's type; read-only
	fetchedAt time.Time
	ttl       time.Duration
}

// Generation is a counter that moves whenever the client calls the vendor
// or its cache changes. A scrape during which it did not move, and which
// failed nothing, read only fresh cached answers: while it stays the same
// and Fresh holds, the same scrape would emit the same values, so its
// rendered output may be reused (collector.Exporter.AppendText).
func (c *Client) Generation() uint64 { return c.gen.Load() }

// Fresh reports whether no cached answer has outlived its TTL: an expired
// one means the next scrape must refresh it.
func (c *Client) Fresh() bool {
	now := c.now()
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	for _, e := range c.cache {
		if now.Sub(e.fetchedAt) >= e.ttl {
			return false
		}
	}
	return true
}

type hitsKey struct{}

// CountingHits returns a context whose GetJSON cache hits are added to n,
// so that a scrape whose output is reused can count its lookups again.
func CountingHits(ctx context.Context, n *atomic.Uint64) context.Context {
	return context.WithValue(ctx, hitsKey{}, n)
}

// CountHits counts n cache hits, as n GetJSON calls answered from the
// cache would: a reused scrape's lookups are still reported.
func (c *Client) CountHits(n uint64) { c.opt.Metrics.cacheLookups(c, "hit", n) }

// GetJSON answers ep from the cache while it is fresh; otherwise it calls
// the vendor once for all concurrent callers. It returns usable=true when
// out was filled, with fresh data or, if the refresh failed, with the last
// good answer younger than MaxStale; err reports the failure either way.
func (c *Client) GetJSON(ctx context.Context, ep Endpoint, out any) (usable bool, err error) {
	key := ep.Path
	ttl := c.ttl(ep)
	if e, ok := c.cached(key, ttl); ok {
		c.opt.Metrics.cacheLookup(c, "hit")
		if n, ok := ctx.Value(hitsKey{}).(*atomic.Uint64); ok {
			n.Add(1)
		}
		return c.fill(ep.Name, e, out)
	}
	c.opt.Metrics.cacheLookup(c, "miss")
	ch := c.flights.DoChan(key, func() (any, error) {
		// A flight that ended between our cache miss and DoChan has
		// already answered: do not ask the vendor twice.
		if e, ok := c.cached(key, ttl); ok {
			return e, nil
		}
		// The flight outlives any one scrape so that a slow vendor still
		// fills the cache for the next one; its own timeout bounds it.
		// It may queue for a slot up to one more timeout.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*c.opt.Timeout)
		defer cancel()
		body, err := c.do(fctx, Request{Method: http.MethodGet, Endpoint: ep.Name, Path: ep.Path})
		e := &entry{body: body}
		if err == nil {
			// A body of the wrong shape is a failed refresh: caching it
			// would replace the last good answer with one nobody can read.
			var derr string
			if e.decoded, derr = checkShape(body, out); derr != "" {
				err = c.errorf(ep.Name, 200, ReasonDecode, "%s", derr)
				c.opt.Metrics.countError(c, ReasonDecode)
			}
		}
		if err == nil && ttl > 0 {
			e.fetchedAt, e.ttl = c.now(), ttl
			c.cacheMu.Lock()
			c.cache[key] = e
			c.cacheMu.Unlock()
			c.gen.Add(1)
		}
		return e, err
	})
	select {
	case res := <-ch:
		if res.Err == nil {
			return c.fill(ep.Name, res.Val.(*entry), out)
		}
		err = res.Err
	case <-ctx.Done():
		err = c.errorf(ep.Name, 0, ReasonTimeout, "no answer before the scrape deadline")
		c.opt.Metrics.countError(c, ReasonTimeout)
	}
	if e, ok := c.stale(key); ok {
		c.opt.Metrics.cacheLookup(c, "stale")
		if u, _ := c.fill(ep.Name, e, out); u {
			return true, err
		}
	}
	return false, err
}

// fill copies the entry's decoded value into out when out has its type
// (providers only read what GetJSON fills, so sharing it between scrapes
// is safe), else decodes the body: a warm scrape decodes no JSON.
func (c *Client) fill(endpoint string, e *entry, out any) (bool, error) {
	if e.decoded != nil && reflect.TypeOf(e.decoded) == reflect.TypeOf(out) && !reflect.ValueOf(out).IsNil() {
		reflect.ValueOf(out).Elem().Set(reflect.ValueOf(e.decoded).Elem())
		return true, nil
	}
	return c.decodeUsable(endpoint, e.body, out)
}

func (c *Client) decodeUsable(endpoint string, body []byte, out any) (bool, error) {
	if err := c.decode(endpoint, body, out); err != nil {
		return false, err
	}
	return true, nil
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

func (c *Client) cached(key string, ttl time.Duration) (*entry, bool) {
	if ttl <= 0 {
		return nil, false
	}
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	e, ok := c.cache[key]
	if !ok || c.now().Sub(e.fetchedAt) >= ttl {
		return nil, false
	}
	return e, true
}

func (c *Client) stale(key string) (*entry, bool) {
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	e, ok := c.cache[key]
	if !ok {
		return nil, false
	}
	if c.now().Sub(e.fetchedAt) >= c.opt.MaxStale {
		delete(c.cache, key) // too old to stand in: forget it
		c.gen.Add(1)
		return nil, false
	}
	return e, true
}
