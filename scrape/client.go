// Package scrape is the shared upstream HTTP client of every provider:
// authentication, timeouts, bounded retries that honour Retry-After,
// response size limits, JSON decoding, caching with request coalescing,
// concurrency and rate limits, and the upstream metrics. Providers describe
// endpoints; this package decides when the vendor is actually called.
package scrape

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

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
	Path string
	// TTL overrides the account's cache TTL for data that changes rarely
	// (plan lists, currencies). Zero means the account default.
	TTL time.Duration
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

	Metrics   *Metrics          // nil = not instrumented
	Transport http.RoundTripper // nil = a pooled default
	Now       func() time.Time  // nil = time.Now; tests move the clock
}

// Client calls one account's API. It is safe for concurrent use.
type Client struct {
	opt     Options
	base    *url.URL
	http    *retryablehttp.Client
	account *Semaphore
	limiter *rate.Limiter
	now     func() time.Time

	authMu sync.RWMutex
	auth   func(*http.Request)

	flights singleflight.Group
	cacheMu sync.Mutex
	cache   map[string]*entry

	// notBefore is when the vendor's last unheeded Retry-After ends: until
	// then no request goes out (on the Options.Now clock).
	backoffMu sync.Mutex
	notBefore time.Time

	// gen changes whenever what a scrape of the account would emit may
	// change: an upstream request, a cache entry stored or evicted, a
	// Retry-After backoff. See Generation.
	gen atomic.Uint64
}

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
	c := &Client{opt: opt, base: base, now: opt.Now, cache: map[string]*entry{}}
	if opt.MaxConcurrency > 0 {
		c.account = NewSemaphore(opt.MaxConcurrency)
	}
	if opt.RequestsPerMinute > 0 {
		burst := int(opt.RequestsPerMinute / 6) // ten seconds' worth
		if burst < 1 {
			burst = 1
		}
		c.limiter = rate.NewLimiter(rate.Limit(opt.RequestsPerMinute/60), burst)
	}
	transport := opt.Transport
	if transport == nil {
		transport = defaultTransport
	}
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{
		Transport: &instrumented{next: transport, c: c},
		// Redirects would re-send the Authorization header elsewhere; vendors
		// do not redirect API calls, so a redirect is an error.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	rc.Logger = nil
	rc.RetryMax = opt.Retries
	rc.RetryWaitMin = 200 * time.Millisecond
	rc.RetryWaitMax = 5 * time.Second
	rc.CheckRetry = c.checkRetry
	rc.Backoff = backoff // honours Retry-After on 429 and 503
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	c.http = rc
	return c, nil
}

// defaultTransport keeps as many idle connections per host as requests
// may be in flight (the default max_concurrency): accounts of one vendor
// share its API host, and a smaller pool closed most connections after
// each burst and dialled (TLS-handshook) them again at the next one, about
// 10% of the exporter's CPU in bench/ (issue 7).
var defaultTransport = func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	return t
}()

// SetAuth installs the function that adds credentials to each request.
// Providers whose token changes (Acefone login) call it again.
func (c *Client) SetAuth(f func(*http.Request)) {
	c.authMu.Lock()
	c.auth = f
	c.authMu.Unlock()
}

// AddSecret registers one more string to scrub from errors, e.g. a token
// obtained at run time.
func (c *Client) AddSecret(s string) {
	if s == "" {
		return
	}
	c.authMu.Lock()
	c.opt.Secrets = append(c.opt.Secrets, s)
	c.authMu.Unlock()
}

// Provider and Account name the client's owner.
func (c *Client) Provider() string { return c.opt.Provider }
func (c *Client) Account() string  { return c.opt.Account }

// checkRetry retries transport errors, 429 and 5xx (as retryablehttp does),
// but never when the wait would outlast the caller's deadline: a scrape
// must answer in time with what it has.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	retry, _ := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	if !retry {
		return false, nil
	}
	attempt := 0
	if n, ok := ctx.Value(attemptsKey{}).(*int); ok {
		attempt = *n // retryablehttp calls CheckRetry once per attempt
		*n++
	}
	if dl, ok := ctx.Deadline(); ok {
		wait := c.http.Backoff(c.http.RetryWaitMin, c.http.RetryWaitMax, attempt, resp)
		if time.Until(dl) < wait { // deadlines are wall time, whatever clock the cache uses
			return false, nil
		}
	}
	return true, nil
}

// attemptsKey carries the attempt counter of one logical request, so that
// checkRetry estimates the backoff retryablehttp is about to wait.
type attemptsKey struct{}

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
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return c.decode(r.Endpoint, body, out)
}

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

// do sends one logical request (with retries) and returns a 2xx body.
func (c *Client) do(ctx context.Context, r Request) ([]byte, error) {
	c.gen.Add(1)
	body, err := c.send(ctx, r)
	if err != nil {
		c.opt.Metrics.countError(c, ReasonOf(err))
	}
	return body, err
}

func (c *Client) send(ctx context.Context, r Request) ([]byte, error) {
	if until, waiting := c.backingOff(); waiting {
		return nil, c.errorf(r.Endpoint, 0, ReasonRateLimited, "not calling before %s as the vendor's Retry-After asked",
			until.UTC().Format(time.RFC3339))
	}
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, c.errorf(r.Endpoint, 0, ReasonRateLimited, "requests_per_minute budget exhausted before the deadline")
		}
	}
	// The timeout bounds the logical request: every attempt, the backoff
	// between them and the wait for a connection slot (see instrumented).
	if c.opt.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opt.Timeout)
		defer cancel()
	}

	var payload io.Reader
	if r.Body != nil {
		b, err := json.Marshal(r.Body)
		if err != nil {
			return nil, c.errorf(r.Endpoint, 0, ReasonTransport, "encoding request: %v", err)
		}
		payload = bytes.NewReader(b)
	}
	ctx = context.WithValue(withEndpoint(ctx, r.Endpoint), attemptsKey{}, new(int))
	req, err := retryablehttp.NewRequestWithContext(ctx, r.Method, c.base.String()+r.Path, payload)
	if err != nil {
		return nil, c.errorf(r.Endpoint, 0, ReasonTransport, "building request: %v", err)
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
			resp.Body.Close()
		}
		return nil, c.errorf(r.Endpoint, 0, reasonForTransport(err), "%v", unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, errorSnippetBytes+1))
		if len(snippet) > errorSnippetBytes {
			// Mark the cut so that scrubbing sees a secret cut in two.
			snippet = append(snippet[:errorSnippetBytes], "…"...)
		}
		// Scrub before vendorMessage collapses whitespace inside a secret.
		msg := vendorMessage([]byte(c.scrub(string(snippet))))
		if to := redirectTarget(resp); to != "" && resp.StatusCode/100 == 3 {
			msg = strings.TrimSuffix("redirect to "+to+" (not followed); "+msg, "; ")
		}
		if resp.StatusCode == 429 || resp.StatusCode == 503 {
			if ra := resp.Header.Get("Retry-After"); ra != "" {
				msg = strings.TrimSpace(msg + " (Retry-After: " + ra + ")")
				c.backOff(ra)
			}
		}
		return nil, c.errorf(r.Endpoint, resp.StatusCode, reasonForStatus(resp.StatusCode), "%s", msg)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opt.MaxResponseBytes+1))
	if err != nil {
		return nil, c.errorf(r.Endpoint, resp.StatusCode, reasonForTransport(err), "reading body: %v", unwrapURLError(err))
	}
	if int64(len(body)) > c.opt.MaxResponseBytes {
		return nil, c.errorf(r.Endpoint, resp.StatusCode, ReasonTooLarge, "body larger than max_response_bytes (%d)", c.opt.MaxResponseBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, c.errorf(r.Endpoint, resp.StatusCode, ReasonDecode, "empty body")
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") {
		return nil, c.errorf(r.Endpoint, resp.StatusCode, ReasonDecode, "got an HTML page (%s), not JSON", ct)
	}
	return body, nil
}

// backoff is retryablehttp's, which honours Retry-After on 429 and 503,
// except that a Retry-After of more seconds than MaxRetryAfter holds is
// MaxRetryAfter: retryablehttp's multiplication overflows into a wait of
// nothing, and checkRetry must see that waiting does not fit.
func backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		s, err := strconv.ParseUint(strings.TrimSpace(resp.Header.Get("Retry-After")), 10, 64)
		if err == nil && s > uint64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
	}
	return retryablehttp.DefaultBackoff(lo, hi, attempt, resp)
}

// MaxRetryAfter caps how long a Retry-After keeps the client quiet, against
// nonsense dates: the vendor is asked again at least this often.
const MaxRetryAfter = time.Hour

// backOff remembers a Retry-After (seconds or HTTP date) that the request
// could not wait out within its deadline, so that the next scrapes, of this
// and of other Prometheus replicas, do not call before it ends. They serve
// the last good answers meanwhile.
func (c *Client) backOff(retryAfter string) {
	now := c.now()
	var wait time.Duration
	if s, err := strconv.ParseUint(strings.TrimSpace(retryAfter), 10, 64); err == nil {
		wait = time.Duration(min(s, uint64(MaxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(retryAfter); err == nil {
		wait = t.Sub(now)
	}
	if wait <= 0 {
		return
	}
	until := now.Add(min(wait, MaxRetryAfter))
	c.backoffMu.Lock()
	if until.After(c.notBefore) {
		c.notBefore = until
	}
	c.backoffMu.Unlock()
	c.gen.Add(1)
}

// backingOff reports whether a Retry-After still forbids calling.
func (c *Client) backingOff() (time.Time, bool) {
	c.backoffMu.Lock()
	defer c.backoffMu.Unlock()
	return c.notBefore, c.now().Before(c.notBefore)
}

// acquire takes an account and a global slot; attempts hold them, backoff
// waits between attempts do not. The account slot comes first so that a
// busy account's queue waits without holding global slots other accounts
// could use.
func (c *Client) acquire(ctx context.Context) (func(), error) {
	if err := c.account.Acquire(ctx); err != nil {
		return nil, err
	}
	if err := c.opt.Global.Acquire(ctx); err != nil {
		c.account.Release()
		return nil, err
	}
	return func() { c.opt.Global.Release(); c.account.Release() }, nil
}

// decode unmarshals a body, wrapping errors with where they happened.
func (c *Client) decode(endpoint string, body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		c.opt.Metrics.countError(c, ReasonDecode)
		return c.errorf(endpoint, 200, ReasonDecode, "%s", describeJSONError(err, body))
	}
	return nil
}

// checkShape decodes body into a fresh value of out's type and describes
// what does not fit; out itself is left alone. The value is returned for
// the cache.
func checkShape(body []byte, out any) (any, string) {
	v := any(new(any))
	if t := reflect.TypeOf(out); t != nil && t.Kind() == reflect.Pointer {
		v = reflect.New(t.Elem()).Interface()
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, describeJSONError(err, body)
	}
	return v, ""
}

func describeJSONError(err error, body []byte) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Sprintf("field %s: got %s where %s is expected", field, te.Value, jsonKind(te.Type))
	// encoding/json reports a cut-off body as a SyntaxError too.
	case err != nil && strings.Contains(err.Error(), "unexpected end of JSON"):
		return fmt.Sprintf("truncated JSON (%d bytes)", len(body))
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d of %d: %v", se.Offset, len(body), se)
	case err != nil:
		return err.Error()
	}
	return "invalid JSON"
}

// jsonKind names the JSON a Go type expects, rather than the Go type,
// which for the anonymous structs of decoders is a line of noise.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for want, marker := range wantTypes { // our tolerant types' refusals
		if t == marker {
			return want
		}
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	}
	return t.String()
}

// errorSnippetBytes is how much of an error body is read for its message.
const errorSnippetBytes = 4096

// errorf builds an *Error, scrubbing every known secret from the detail.
func (c *Client) errorf(endpoint string, status int, reason Reason, format string, args ...any) error {
	detail := c.scrub(fmt.Sprintf(format, args...))
	return &Error{Provider: c.opt.Provider, Account: c.opt.Account, Endpoint: endpoint,
		Status: status, Reason: reason, Detail: detail}
}

func (c *Client) scrub(s string) string {
	c.authMu.RLock()
	defer c.authMu.RUnlock()
	return scrubSecrets(s, c.opt.Secrets)
}

// minSecretPrefix is the shortest beginning of a secret that scrubbing
// removes where a text was shortened; shorter ones would hit ordinary words.
const minSecretPrefix = 4

// scrubSecrets replaces every secret in s, and the beginning of a secret
// left just before a "…" where a long text was shortened.
func scrubSecrets(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, form := range secretForms(sec) {
			s = strings.ReplaceAll(s, form, "<secret>")
		}
	}
	if !strings.Contains(s, "…") {
		return s
	}
	parts := strings.Split(s, "…")
	for i := range parts[:len(parts)-1] {
		for _, sec := range secrets {
			for n := len(sec) - 1; n >= minSecretPrefix; n-- {
				if strings.HasSuffix(parts[i], sec[:n]) {
					parts[i] = parts[i][:len(parts[i])-n] + "<secret>"
					break
				}
			}
		}
	}
	return strings.Join(parts, "…")
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err // drop the URL: it adds nothing the error does not already name
	}
	return err
}

// vendorMessage pulls a human message out of the error bodies the three
// vendors send: DocSpace {"error":{"message"}}, Acefone {"message"},
// Qovery {"error","detail"}. Anything else is quoted, shortened.
func vendorMessage(b []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  string          `json:"detail"`
	}
	if json.Unmarshal(b, &v) == nil {
		var nested struct {
			Message string `json:"message"`
		}
		var flat string
		switch {
		case v.Detail != "":
			return shorten(v.Detail)
		case v.Message != "":
			return shorten(v.Message)
		case json.Unmarshal(v.Error, &nested) == nil && nested.Message != "":
			return shorten(nested.Message)
		case json.Unmarshal(v.Error, &flat) == nil && flat != "":
			return shorten(flat)
		}
	}
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "<") {
		return "HTML error page"
	}
	return shorten(s)
}

func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= 160 {
		return s
	}
	cut := 160
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
