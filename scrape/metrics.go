package scrape

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/billing-exporter/billing-exporter/internal/expo"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the exporter's own counters about upstream traffic. They live
// for the process, unlike the billing values, which are built per scrape.
type Metrics struct {
	requests *expo.CounterVec
	errors   *expo.CounterVec
	duration *prometheus.HistogramVec
	cache    *expo.CounterVec

	// removed holds accounts dropped by a reload. A scrape that started
	// before the reload may still be talking to their vendor; its counts
	// must not bring the forgotten series back.
	mu      sync.RWMutex
	removed map[string]bool
}

// NewMetrics creates the upstream metrics and registers the request
// duration histogram on reg (nil: nowhere). The counters, a dozen series
// per account, are written in the text format by Text.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: expo.NewCounterVec("billing_upstream_requests_total",
			"HTTP requests sent to vendor APIs, each retry counted, by endpoint and HTTP status code (\"error\" when no answer arrived).",
			"provider", "account", "endpoint", "code"),
		errors: expo.NewCounterVec("billing_upstream_errors_total",
			"Failed upstream calls after retries, by reason: auth, forbidden, not_found, rate_limited, timeout, server, decode, too_large, transport.",
			"provider", "account", "reason"),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "billing_upstream_request_duration_seconds",
			Help:    "Duration of single HTTP requests to vendor APIs, until the response headers arrive.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"provider", "endpoint"}),
		cache: expo.NewCounterVec("billing_upstream_cache_lookups_total",
			"Endpoint answers looked up in the exporter's cache: hit (fresh), miss (vendor called), stale (refresh failed, last good answer served).",
			"provider", "account", "result"),
		removed: map[string]bool{},
	}
	if reg != nil {
		reg.MustRegister(m.duration)
	}
	return m
}

// Text returns the counter families that have series, in name order, to
// be written in the text format.
func (m *Metrics) Text() []expo.Family {
	if m == nil {
		return nil
	}
	var fams []expo.Family
	for _, f := range []*expo.CounterVec{m.cache, m.errors, m.requests} {
		if fam, ok := f.Family(); ok {
			fams = append(fams, fam)
		}
	}
	return fams
}

// Init creates the error series of an account at zero, so that rate()
// works from its first failure on.
func (m *Metrics) Init(provider, account string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.removed, account)
	for _, r := range Reasons {
		m.errors.WithLabelValues(provider, account, string(r))
	}
}

// inc adds one to the series of values (provider, account, ...) unless a
// reload removed the account; Forget waits for it.
func (m *Metrics) inc(vec *expo.CounterVec, values ...string) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if !m.removed[values[1]] {
		vec.WithLabelValues(values...).Inc()
	}
}

// Forget drops every series of an account removed by a reload.
func (m *Metrics) Forget(account string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.removed[account] = true
	for _, f := range []*expo.CounterVec{m.requests, m.errors, m.cache} {
		f.DeleteMatching("account", account)
	}
}

func (m *Metrics) countError(c *Client, r Reason) {
	m.CountError(c.opt.Provider, c.opt.Account, r)
}

// CountError counts a failure of an account found outside its client: an
// answer within the size limit that lists more than the account's bounds.
func (m *Metrics) CountError(provider, account string, r Reason) {
	if m != nil && r != "" {
		m.inc(m.errors, provider, account, string(r))
	}
}

func (m *Metrics) cacheLookup(c *Client, result string) {
	if m != nil && c.opt.CacheTTL > 0 {
		m.inc(m.cache, c.opt.Provider, c.opt.Account, result)
	}
}

// endpointKey carries a request's endpoint name to instrumented.
type endpointKey struct{}

// instrumented counts and times every attempt, retries included, which is
// what the vendor sees and what its rate limits count.
type instrumented struct {
	next http.RoundTripper
	u    *upstream
}

func (t *instrumented) RoundTrip(req *http.Request) (*http.Response, error) {
	release, err := t.u.acquire(req.Context())
	if err != nil {
		return nil, fmt.Errorf("waiting for a free connection slot: %w", err)
	}
	m := t.u.opt.Metrics
	endpoint, _ := req.Context().Value(endpointKey{}).(string)
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if m != nil {
		m.duration.WithLabelValues(t.u.opt.Provider, endpoint).Observe(time.Since(start).Seconds())
		code := "error"
		if err == nil {
			code = strconv.Itoa(resp.StatusCode)
		}
		m.inc(m.requests, t.u.opt.Provider, t.u.opt.Account, endpoint, code)
	}
	if err != nil {
		release()
		return nil, err
	}
	// The slot is held until the body is closed: reading it is part of
	// the request in flight.
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// Families describes the counter families Text returns.
func (m *Metrics) Families() []expo.Desc {
	var out []expo.Desc
	for _, f := range []*expo.CounterVec{m.cache, m.errors, m.requests} {
		out = append(out, f.Desc())
	}
	return out
}
