// Package collector is the engine that turns vendors' billing APIs into
// Prometheus metrics: Exporter fans a scrape out to every configured
// account, reuses what still stands and renders health lines. It knows
// providers only through the Descriptors of Providers; each lives in a
// folder of its own below this one. Nothing here knows about HTTP serving.
package collector

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/expo"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// Options carries what the exporter shares between accounts.
type Options struct {
	Logger  log.Logger
	Metrics *scrape.Metrics
	// Now is the clock of caches and timestamps; tests move it.
	Now func() time.Time
	// Transport carries every upstream request; nil is a pooled default.
	// Fuzz tests answer in memory through it.
	Transport http.RoundTripper
}

// target is one configured account, ready to scrape.
type target struct {
	acct    config.Account
	desc    *provider.Descriptor // the account's provider
	client  *scrape.Client       // the account's cache, limits and credentials
	scraper provider.Scraper     // reads through client; holds login tokens
	limits  provider.Limits      // what one scrape of it may cost

	fixed fixedHealth

	// Concurrent scrapes (/metrics, /probe) write these.
	lastSuccess atomic.Int64             // Unix nanoseconds of the last scrape that failed nothing, 0 before
	rendered    atomic.Pointer[rendered] // the last reusable text of its billing values, if any
}

// fixedHealth is what the account's configuration fixes of its health
// lines, rendered once: the prefixes of the series every scrape writes
// and its alert thresholds.
type fixedHealth struct {
	up, duration, lastSuccess []byte
	lines                     [healthSlots][]byte
}

func newFixedHealth(acct *config.Account) fixedHealth {
	em := provider.NewEmitter(acct.Provider, acct.Name, provider.Limits{})
	for cur, v := range acct.Alerts.MinBalance {
		em.Gauge(balanceThresholdFamily, v, cur)
	}
	for cur, v := range acct.Alerts.MonthlyBudget {
		em.Gauge(costBudgetFamily, v, cur)
	}
	lines := em.Lines()
	h := fixedHealth{up: em.Prefix(upFamily), duration: em.Prefix(scrapeDurationFamily), lastSuccess: em.Prefix(lastSuccessFamily)}
	for _, f := range []*provider.Family{balanceThresholdFamily, costBudgetFamily} {
		h.lines[f.Health] = lines.Of(f)
	}
	return h
}

// Exporter is the fan-out collector over every configured account.
type Exporter struct {
	targets []*target
	opt     Options
	cfg     config.Global // the global settings it was built with
	global  *scrape.Semaphore
	logs    *logLimiter
}

// New builds scrapers for every account of cfg. It calls no vendor.
func New(cfg *config.Config, opt Options) (*Exporter, error) {
	if opt.Logger == nil {
		opt.Logger = log.NewNopLogger()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return build(cfg, opt, nil)
}

// Reload returns an exporter for cfg that keeps the clients, and so the
// caches and tokens, of accounts whose settings did not change, and the
// caches of accounts whose credentials alone changed. Series of removed
// accounts are dropped from the upstream metrics. e itself is left as it
// was, so a failed reload changes nothing.
func (e *Exporter) Reload(cfg *config.Config) (*Exporter, error) {
	next, err := build(cfg, e.opt, e)
	if err != nil {
		return nil, err
	}
	kept := map[string]bool{}
	for _, t := range next.targets {
		kept[t.acct.Name] = true
	}
	for _, t := range e.targets {
		if !kept[t.acct.Name] {
			e.opt.Metrics.Forget(t.acct.Name)
		}
	}
	return next, nil
}

func build(cfg *config.Config, opt Options, prev *Exporter) (*Exporter, error) {
	e := &Exporter{opt: opt, cfg: cfg.Global}
	old := map[string]*target{} // kept only while the global settings stand
	if prev != nil && reflect.DeepEqual(prev.cfg, cfg.Global) {
		e.global, e.logs = prev.global, prev.logs
		for _, t := range prev.targets {
			old[t.acct.Name] = t
		}
	} else {
		e.global = scrape.NewSemaphore(cfg.Global.MaxConcurrency)
		e.logs = newLogLimiter(opt.Now)
	}
	for i, acct := range cfg.Accounts {
		t, ok := old[acct.Name]
		var err error
		switch {
		case ok && reflect.DeepEqual(t.acct, acct):
		case ok && reflect.DeepEqual(t.acct.WithoutCredentials(), acct.WithoutCredentials()):
			t, err = t.rekeyed(&acct, opt)
		default:
			t, err = newTarget(cfg, &acct, e.global, opt)
		}
		if err != nil {
			return nil, fmt.Errorf("accounts[%d] %q: %w", i, acct.Name, err)
		}
		e.targets = append(e.targets, t)
	}
	return e, nil
}

func newTarget(cfg *config.Config, acct *config.Account, global *scrape.Semaphore, opt Options) (*target, error) {
	p, ok := lookup(acct.Provider)
	if !ok {
		return nil, fmt.Errorf("provider: %q has no collector", acct.Provider)
	}
	ttl := cfg.Global.CacheTTL.D()
	if acct.CacheTTL != nil {
		ttl = acct.CacheTTL.D()
	}
	epTTL := map[string]time.Duration{}
	for k, v := range acct.EndpointCacheTTL {
		if !slices.ContainsFunc(p.Endpoints, func(ep scrape.Endpoint) bool { return ep.Name == k }) {
			names := make([]string, len(p.Endpoints))
			for i, ep := range p.Endpoints {
				names[i] = ep.Name
			}
			return nil, fmt.Errorf("endpoint_cache_ttl: %q is not a %s endpoint (one of: %s)", k, acct.Provider, strings.Join(names, ", "))
		}
		epTTL[k] = v.D()
	}
	workers := cmp.Or(acct.MaxConcurrency, cfg.Global.AccountMaxConcurrency) // config rejects negative ones
	client, err := scrape.New(scrape.Options{
		Provider:          acct.Provider,
		Account:           acct.Name,
		BaseURL:           acct.BaseURL,
		Timeout:           cfg.EffectiveTimeout(acct),
		Retries:           *cfg.Global.Retries,
		MaxResponseBytes:  cfg.Global.MaxResponseBytes,
		CacheTTL:          ttl,
		EndpointTTL:       epTTL,
		MaxStale:          cfg.Global.MaxStale.D(),
		Global:            global,
		MaxConcurrency:    workers,
		RequestsPerMinute: acct.RequestsPerMinute,
		Secrets:           acct.Secrets(),
		VendorMessage:     p.VendorMessage,
		Metrics:           opt.Metrics,
		Now:               opt.Now,
		Transport:         opt.Transport,
	})
	if err != nil {
		return nil, err
	}
	opt.Metrics.Init(acct.Provider, acct.Name)
	s, err := newScraper(p, acct, client, opt)
	if err != nil {
		return nil, err
	}
	limits := provider.Limits{
		MaxSeries: cmp.Or(acct.MaxSeriesPerAccount, cfg.Global.MaxSeriesPerAccount),
		MaxItems:  cmp.Or(acct.MaxItemsPerList, cfg.Global.MaxItemsPerList),
		Workers:   workers,
	}
	return &target{acct: *acct, desc: p, client: client, scraper: s, limits: limits, fixed: newFixedHealth(acct)}, nil
}

// rekeyed is t with the credentials of acct, which differs from t's
// account in nothing else: a client that shares t's cache, limits and
// backoff, and a scraper built anew for the new key or password (an
// Acefone login starts over with it). t itself is left as it was, as a
// reload that fails must change nothing.
func (t *target) rekeyed(acct *config.Account, opt Options) (*target, error) {
	client := t.client.Rekeyed(acct.Secrets())
	s, err := newScraper(t.desc, acct, client, opt)
	if err != nil {
		return nil, err
	}
	n := &target{acct: *acct, desc: t.desc, client: client, scraper: s, limits: t.limits, fixed: t.fixed}
	n.lastSuccess.Store(t.lastSuccess.Load())
	return n, nil
}

func newScraper(p *provider.Descriptor, acct *config.Account, client *scrape.Client, opt Options) (provider.Scraper, error) {
	logger := log.With(opt.Logger, "provider", acct.Provider, "account", acct.Name)
	return p.Build(acct, provider.Deps{Client: client, Logger: logger, Now: opt.Now})
}

// health renders the account's health after a scrape that ended with err,
// and its alert thresholds, by health slot.
func (e *Exporter) health(t *target, err error, duration float64) [healthSlots][]byte {
	up := 1.0
	if err != nil {
		up = 0
		e.logFailure(t, err)
	} else {
		t.lastSuccess.Store(e.opt.Now().UnixNano())
	}
	last := t.lastSuccess.Load()
	h := &t.fixed
	out := h.lines
	// One buffer for the three lines: a value takes at most 24 bytes.
	b := make([]byte, 0, len(h.up)+len(h.duration)+len(h.lastSuccess)+3*25)
	line := func(f *provider.Family, prefix []byte, v float64) {
		start := len(b)
		b = expo.AppendValue(append(b, prefix...), v)
		out[f.Health] = b[start:len(b):len(b)]
	}
	line(upFamily, h.up, up)
	line(scrapeDurationFamily, h.duration, duration)
	if last != 0 {
		line(lastSuccessFamily, h.lastSuccess, float64(last)/1e9)
	}
	return out
}

// runScraper turns a panic in a provider into an error of that account.
func runScraper(ctx context.Context, s provider.Scraper, em *provider.Emitter) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("collector panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return errors.Join(s.Scrape(ctx, em), em.Err())
}

// logFailure logs each distinct failure of an account, then stays quiet
// about that same failure for a while: a dead vendor must not write a line
// per scrape per endpoint. A failure is its endpoint, status and reason;
// the detail is left out of the key, as vendors put request ids, times
// and Retry-After dates in their messages.
func (e *Exporter) logFailure(t *target, err error) {
	for _, one := range flatten(err) {
		kv := []any{"provider", t.acct.Provider, "account", t.acct.Name, "msg", "scrape failed"}
		var key string
		var se *scrape.Error
		if errors.As(one, &se) {
			kv = append(kv, "endpoint", se.Endpoint, "status", se.Status, "reason", se.Reason, "detail", se.Detail)
			key = fmt.Sprintf("%s\x00%d\x00%s", se.Endpoint, se.Status, se.Reason)
		} else {
			kv = append(kv, "err", one)
			key, _, _ = strings.Cut(one.Error(), "\n") // a panic's stack holds addresses
		}
		if e.logs.allow(t.acct.Name, key) {
			level.Warn(e.opt.Logger).Log(kv...)
		}
	}
}

// logLimiter lets each failure of an account through once per logInterval.
// What it let through stays until its interval ends, however many accounts
// fail, or each would log again at the next scrape; its memory is bounded
// by the accounts that failed within the last interval times maxLogKeys.
type logLimiter struct {
	mu       sync.Mutex
	now      func() time.Time
	accounts map[string]*accountLog
	// sweepAt is the number of accounts at which those quiet for a whole
	// interval are dropped; it doubles with the live ones, so that a sweep
	// costs O(1) per account added.
	sweepAt int
}

// accountLog is when each failure of one account was last let through.
type accountLog struct {
	last   map[string]time.Time
	latest time.Time
}

const (
	logInterval = 5 * time.Minute
	// maxLogKeys bounds the distinct failures an account may log in one
	// interval (far more than endpoints × reasons): one whose messages
	// never repeat (no scrape.Error to key on) goes quiet instead of
	// growing the map.
	maxLogKeys = 64
	minSweepAt = 1024
)

func newLogLimiter(now func() time.Time) *logLimiter {
	return &logLimiter{now: now, accounts: map[string]*accountLog{}, sweepAt: minSweepAt}
}

func (l *logLimiter) allow(account, key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	a := l.accounts[account]
	if a == nil {
		if len(l.accounts) >= l.sweepAt {
			l.sweep(now)
		}
		a = &accountLog{last: map[string]time.Time{}}
		l.accounts[account] = a
	}
	t, seen := a.last[key]
	if seen && now.Sub(t) < logInterval {
		return false
	}
	if !seen && len(a.last) >= maxLogKeys {
		for k, t := range a.last {
			if now.Sub(t) >= logInterval {
				delete(a.last, k)
			}
		}
		if len(a.last) >= maxLogKeys {
			return false
		}
	}
	a.last[key], a.latest = now, now
	return true
}

// sweep drops the accounts that logged nothing for a whole interval.
func (l *logLimiter) sweep(now time.Time) {
	for name, a := range l.accounts {
		if now.Sub(a.latest) >= logInterval {
			delete(l.accounts, name)
		}
	}
	l.sweepAt = max(minSweepAt, 2*len(l.accounts))
}

// flatten lists the errors joined in err (errors.Join keeps no nil).
func flatten(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}
