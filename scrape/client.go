// Package scrape is the shared upstream HTTP client of every provider:
// authentication, timeouts, bounded retries that honour Retry-After,
// response size limits, JSON decoding, caching with request coalescing,
// concurrency and rate limits, and the upstream metrics. Providers describe
// endpoints; this package decides when the vendor is actually called.
package scrape

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
)

// Version is sent in the User-Agent; cmd sets it from the build info.
var Version = "dev"

// Endpoint describes one upstream GET whose answer may be cached.
type Endpoint struct {
	// Name is the endpoint's label value and the key of per-endpoint TTL
	// overrides, e.g. "customer/balance". It must not hold ids.
	Name string
	// Path is appended to the account's base URL; it may carry a query.
	// In a provider's endpoint table it may hold placeholders in braces,
	// one path segment each, that With fills.
	Path string
	// TTL overrides the account's cache TTL for data that changes rarely
	// (plan lists, currencies). Zero means the account default.
	TTL time.Duration
	// NoData, if set, recognises an error answer that is the API's way of
	// saying it holds nothing here (a 404 for settings never saved, a 403
	// for a service a portal does not have): it is cached like an answer
	// and reads as no data, not as a failure.
	NoData func(*Error) bool
}

// With fills the placeholders of ep's path, in order, with ids, each
// escaped as one path segment.
func (ep Endpoint) With(ids ...string) Endpoint {
	rest, path := ep.Path, ""
	for _, id := range ids {
		start, end := strings.IndexByte(rest, '{'), strings.IndexByte(rest, '}')
		if start < 0 || end < start {
			break
		}
		path += rest[:start] + pathSegment(id)
		rest = rest[end+1:]
	}
	ep.Path = path + rest
	return ep
}

// pathSegment puts an id into a URL path as one segment: escaped, and
// with "." and ".." spelled %2E, so that no id from a config or a
// vendor's answer can send the token to another path.
func pathSegment(id string) string {
	if strings.Trim(id, ".") == "" {
		return strings.ReplaceAll(id, ".", "%2E")
	}
	return url.PathEscape(id)
}

// Options configures a Client for one account.
type Options struct {
	Provider, Account, BaseURL string

	Timeout          time.Duration // one logical request, retries included
	Retries          int
	MaxResponseBytes int64

	CacheTTL    time.Duration            // 0 disables caching
	EndpointTTL map[string]time.Duration // per Endpoint.Name overrides
	MaxStale    time.Duration            // how long a last good answer may stand in

	Global            *Semaphore // shared by all accounts; nil = unbounded
	MaxConcurrency    int        // per account; 0 = unbounded
	RequestsPerMinute float64    // 0 = unlimited

	// Secrets are scrubbed from every error text this client produces.
	Secrets []string
	// VendorMessage finds the vendor's message in an error body ("" if
	// none); nil quotes the body.
	VendorMessage func(body []byte) string

	Metrics   *Metrics          // nil = not instrumented
	Transport http.RoundTripper // nil = a pooled default
	Now       func() time.Time  // nil = time.Now; tests move the clock
}

// Client calls one account's API with one set of credentials. It is safe
// for concurrent use.
type Client struct {
	*upstream

	authMu    sync.RWMutex
	auth      func(*http.Request)
	secrets   []string             // the account's configured secrets, scrubbed from every error text
	slots     map[string][2]string // secrets obtained at run time, by slot (SetSecret): the live one and the one it replaced
	scrubList *scrubList           // secrets and the slots' values
}

// upstream is everything of an account's client but its credentials: what
// the clients Rekeyed makes share, so that a rotated key keeps the cache,
// the limits and the vendor's backoff.
type upstream struct {
	opt     Options
	base    *url.URL
	http    *retryablehttp.Client
	account *Semaphore
	limiter *rate.Limiter

	flights singleflight.Group
	cacheMu sync.Mutex
	cache   map[string]*entry
	// missed, when set, is called after each cache miss: tests hold the
	// vendor's answer until every concurrent caller has missed.
	missed func()

	// notBefore is when the vendor's last unheeded Retry-After ends: until
	// then no request goes out (on the Options.Now clock).
	backoffMu sync.Mutex
	notBefore time.Time
}

// New builds a client; BaseURL must already be validated by config.
func New(opt Options) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(opt.BaseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("base_url: %w", err)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	if opt.MaxResponseBytes <= 0 {
		opt.MaxResponseBytes = 10 << 20
	}
	c := &Client{upstream: &upstream{opt: opt, base: base, cache: map[string]*entry{}},
		secrets: slices.Clone(opt.Secrets), scrubList: newScrubList(opt.Secrets)}
	if opt.MaxConcurrency > 0 {
		c.account = NewSemaphore(opt.MaxConcurrency)
	}
	if opt.RequestsPerMinute > 0 {
		burst := max(int(opt.RequestsPerMinute/6), 1) // ten seconds' worth
		c.limiter = rate.NewLimiter(rate.Limit(opt.RequestsPerMinute/60), burst)
	}
	c.http = &retryablehttp.Client{ // no Logger: errors are returned, not logged
		HTTPClient: &http.Client{
			Transport: &instrumented{next: cmp.Or(opt.Transport, defaultTransport), u: c.upstream},
			// Redirects would re-send the Authorization header elsewhere; vendors
			// do not redirect API calls, so a redirect is an error.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		RetryMax:     opt.Retries,
		RetryWaitMin: 200 * time.Millisecond,
		RetryWaitMax: 5 * time.Second,
		CheckRetry:   c.checkRetry,
		Backoff:      backoff, // honours Retry-After on 429 and 503
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	return c, nil
}

// defaultTransport keeps as many idle connections per host as requests
// may be in flight (the default max_concurrency): accounts of one vendor
// share its API host, and a smaller pool closes most connections after
// each burst and dials (and TLS-handshakes) them again at the next one.
var defaultTransport = func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	return t
}()

// Request is one uncached call, for logins and for GetJSON's misses.
type Request struct {
	Method   string
	Endpoint string // label value
	Path     string
	Body     any               // JSON-encoded when not nil
	NoAuth   bool              // skip the auth function (login calls)
	Header   map[string]string // extra headers, e.g. a refresh call's own token
}

// Do performs r and decodes a 2xx JSON answer into out (if not nil).
func (c *Client) Do(ctx context.Context, r Request, out any) error {
	body, err := c.do(ctx, r)
	if err != nil || out == nil {
		return err
	}
	return c.decode(r.Endpoint, body, out)
}

// do sends one logical request (with retries) and returns a 2xx body.
func (c *Client) do(ctx context.Context, r Request) (_ []byte, err error) {
	record(ctx, time.Time{}, 0)
	defer func() {
		if err != nil {
			c.opt.Metrics.countError(c, ReasonOf(err))
		}
	}()
	if until, waiting := c.backingOff(); waiting {
		return nil, c.Errorf(r.Endpoint, 0, ReasonRateLimited, "not calling before %s as the vendor's Retry-After asked",
			until.UTC().Format(time.RFC3339))
	}
	if c.limiter != nil && c.limiter.Wait(ctx) != nil {
		return nil, c.Errorf(r.Endpoint, 0, ReasonRateLimited, "requests_per_minute budget exhausted before the deadline")
	}
	// The timeout bounds the logical request: every attempt, the backoff
	// between them and the wait for a connection slot (see instrumented).
	ctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()

	var payload io.Reader
	if r.Body != nil {
		b, err := json.Marshal(r.Body)
		if err != nil {
			return nil, c.Errorf(r.Endpoint, 0, ReasonTransport, "encoding request: %v", err)
		}
		payload = bytes.NewReader(b)
	}
	ctx = context.WithValue(context.WithValue(ctx, endpointKey{}, r.Endpoint), attemptsKey{}, new(int))
	req, err := retryablehttp.NewRequestWithContext(ctx, r.Method, c.base.String()+r.Path, payload)
	if err != nil {
		return nil, c.Errorf(r.Endpoint, 0, ReasonTransport, "building request: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "billing-exporter/"+Version)
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	if !r.NoAuth {
		c.authMu.RLock()
		auth := c.auth
		c.authMu.RUnlock()
		if auth != nil {
			auth(req.Request)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if resp != nil {
			_ = resp.Body.Close()
		}
		return nil, c.Errorf(r.Endpoint, 0, reasonForTransport(err), "%v", unwrapURLError(err))
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, errorSnippetBytes+1))
		if len(snippet) > errorSnippetBytes {
			// Mark the cut so that scrubbing sees a secret cut in two.
			snippet = append(snippet[:errorSnippetBytes], "…"...)
		}
		// Scrub before vendorMessage collapses whitespace inside a secret.
		msg := c.vendorMessage([]byte(c.scrub(string(snippet))))
		if to := redirectTarget(resp); to != "" && resp.StatusCode/100 == 3 {
			msg = strings.TrimSuffix("redirect to "+to+" (not followed); "+msg, "; ")
		}
		if ra := resp.Header.Get("Retry-After"); ra != "" && (resp.StatusCode == 429 || resp.StatusCode == 503) {
			msg = strings.TrimSpace(msg + " (Retry-After: " + ra + ")")
			c.backOff(ra)
		}
		return nil, c.Errorf(r.Endpoint, resp.StatusCode, cmp.Or(statusReasons[resp.StatusCode], ReasonServer), "%s", msg)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opt.MaxResponseBytes+1))
	if err != nil {
		return nil, c.Errorf(r.Endpoint, resp.StatusCode, reasonForTransport(err), "reading body: %v", unwrapURLError(err))
	}
	if int64(len(body)) > c.opt.MaxResponseBytes {
		return nil, c.Errorf(r.Endpoint, resp.StatusCode, ReasonTooLarge, "body larger than max_response_bytes (%d)", c.opt.MaxResponseBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, c.Errorf(r.Endpoint, resp.StatusCode, ReasonDecode, "empty body")
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") {
		return nil, c.Errorf(r.Endpoint, resp.StatusCode, ReasonDecode, "got an HTML page (%s), not JSON", ct)
	}
	return body, nil
}

// acquire takes an account and a global slot; attempts hold them, backoff
// waits between attempts do not. The account slot comes first so that a
// busy account's queue waits without holding global slots other accounts
// could use.
func (u *upstream) acquire(ctx context.Context) (func(), error) {
	if err := u.account.Acquire(ctx); err != nil {
		return nil, err
	}
	if err := u.opt.Global.Acquire(ctx); err != nil {
		u.account.Release()
		return nil, err
	}
	return func() { u.opt.Global.Release(); u.account.Release() }, nil
}
