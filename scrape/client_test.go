package scrape

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/internal/fakeclock"
)

func TestRequestHeaders(t *testing.T) {
	f := newFake(t, ok(`{"amount": 1}`))
	c := newClient(t, f, nil)
	c.SetAuth(func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+optionSecret) })

	var out balanceDoc
	if _, err := c.GetJSON(context.Background(), balance, &out); err != nil {
		t.Fatal(err)
	}
	h := f.header(0)
	for name, want := range map[string]string{
		"Authorization": "Bearer " + optionSecret,
		"User-Agent":    "billing-exporter/" + Version,
		"Accept":        "application/json",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}

	// A login call goes without the auth function, with a JSON body and
	// its own extra headers.
	if err := c.Do(context.Background(), Request{Method: http.MethodPost, Endpoint: "login", Path: "/login",
		Body: map[string]string{"u": "x"}, NoAuth: true, Header: map[string]string{"X-Refresh": "1"}}, nil); err != nil {
		t.Fatal(err)
	}
	h = f.header(1)
	if h.Get("Authorization") != "" {
		t.Error("NoAuth request carried Authorization")
	}
	if h.Get("Content-Type") != "application/json" || h.Get("X-Refresh") != "1" {
		t.Errorf("login headers: %v", h)
	}

	// SetAuth again (a renewed token) applies to the next request.
	c.SetAuth(func(r *http.Request) { r.Header.Set("Authorization", "Bearer new") })
	if err := c.Do(context.Background(), Request{Method: http.MethodGet, Endpoint: "x", Path: "/x"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := f.header(2).Get("Authorization"); got != "Bearer new" {
		t.Errorf("after SetAuth: %q", got)
	}
}

func TestRetry500Then200(t *testing.T) {
	f := newFake(t, sequence(reply(500, `{"message":"boom"}`), ok(`{"amount": 7}`)))
	c := newClient(t, f, func(o *Options) { o.Retries = 2 })
	var out balanceDoc
	usable, err := c.GetJSON(context.Background(), balance, &out)
	if err != nil || !usable || out.Amount.V != 7 {
		t.Fatalf("usable=%v err=%v out=%+v", usable, err, out)
	}
	if f.count() != 2 {
		t.Fatalf("requests: %d, want 2", f.count())
	}
	for code, want := range map[string]float64{"500": 1, "200": 1} {
		got := counted(t, c.metrics.requests, testProvider, testAccount, balance.Name, code)
		if got != want {
			t.Errorf("billing_upstream_requests_total{code=%q} = %v, want %v", code, got, want)
		}
	}
	// The retried request is not an error of the logical call.
	if got := counted(t, c.metrics.errors, testProvider, testAccount, "server"); got != 0 {
		t.Errorf("errors{reason=server} = %v after a successful retry", got)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	t.Parallel()
	f := newFake(t, sequence(reply(429, `{"message":"slow down"}`, "Retry-After", "1"), ok(`{"amount": 1}`)))
	c := newClient(t, f, func(o *Options) { o.Retries = 2 })
	if _, err := c.GetJSON(context.Background(), balance, &balanceDoc{}); err != nil {
		t.Fatal(err)
	}
	if f.count() != 2 {
		t.Fatalf("requests: %d, want 2", f.count())
	}
	// The exponential backoff alone would wait 200ms.
	if g := f.gap(1); g < 900*time.Millisecond {
		t.Errorf("retried after %v; Retry-After asked for 1s", g)
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	t.Parallel()
	var when atomic.Value
	f := newFake(t, sequence(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now().Add(2 * time.Second).UTC()
		when.Store(at.Truncate(time.Second))
		reply(503, `maintenance`, "Retry-After", at.Format(http.TimeFormat))(w, r)
	}, ok(`{"amount": 1}`)))
	c := newClient(t, f, func(o *Options) { o.Retries = 1 })
	if _, err := c.GetJSON(context.Background(), balance, &balanceDoc{}); err != nil {
		t.Fatal(err)
	}
	if f.count() != 2 {
		t.Fatalf("requests: %d, want 2", f.count())
	}
	f.mu.Lock()
	second := f.arrived[1]
	f.mu.Unlock()
	// HTTP dates have whole seconds: the retry may come up to the
	// truncated instant, never well before it.
	if at := when.Load().(time.Time); second.Before(at.Add(-100 * time.Millisecond)) {
		t.Errorf("retried at %v, before the Retry-After date %v", second, at)
	}
}

func TestNoRetryPastDeadline(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration // Options.Timeout
		ctx     time.Duration // the caller's deadline
	}{
		{"client timeout", 2 * time.Second, time.Minute},
		{"caller deadline", time.Minute, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, sequence(reply(429, `{"message":"quota"}`, "Retry-After", "30"), ok(`{}`)))
			c := newClient(t, f, func(o *Options) { o.Retries = 3; o.Timeout = tc.timeout })
			err := c.Do(ctxTimeout(t, tc.ctx), Request{Method: http.MethodGet, Endpoint: balance.Name, Path: balance.Path}, nil)
			e := scrapeErr(t, err)
			// Waiting would have ended in a timeout; giving up at once keeps
			// the vendor's answer.
			if e.Reason != ReasonRateLimited || e.Status != 429 {
				t.Fatalf("got %v, want rate_limited with HTTP 429", err)
			}
			if !strings.Contains(e.Detail, "Retry-After: 30") {
				t.Errorf("detail %q does not show Retry-After", e.Detail)
			}
			if f.count() != 1 {
				t.Errorf("requests: %d, want 1", f.count())
			}
		})
	}
}

// An exponential backoff that no longer fits the deadline ends the call with
// the vendor's last status rather than a timeout.
func TestBackoffPastDeadlineKeepsStatus(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply(500, `{"message":"down"}`))
	// Attempts start at 0, 0.2s, 0.6s and 1.4s; the next wait, 1.6s, ends
	// after the 2s timeout although the first wait (0.2s) would fit.
	c := newClient(t, f, func(o *Options) { o.Retries = 6; o.Timeout = 2 * time.Second })
	err := c.Do(context.Background(), Request{Method: http.MethodGet, Endpoint: balance.Name, Path: balance.Path}, nil)
	if e := scrapeErr(t, err); e.Reason != ReasonServer || e.Status != 500 {
		t.Fatalf("got %v, want server with HTTP 500", err)
	}
	if n := f.count(); n != 4 {
		t.Errorf("requests: %d, want 4", n)
	}
}

func TestRetriesBounded(t *testing.T) {
	t.Parallel()
	for _, retries := range []int{0, 2} {
		t.Run(fmt.Sprint(retries), func(t *testing.T) {
			f := newFake(t, reply(502, `bad gateway`))
			c := newClient(t, f, func(o *Options) { o.Retries = retries })
			_, err := c.GetJSON(context.Background(), balance, &balanceDoc{})
			if e := scrapeErr(t, err); e.Reason != ReasonServer || e.Status != 502 {
				t.Fatalf("got %v", err)
			}
			if f.count() != retries+1 {
				t.Errorf("requests: %d, want %d", f.count(), retries+1)
			}
		})
	}
}

func TestClientErrorsNotRetried(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			f := newFake(t, reply(code, `{"message":"no"}`))
			c := newClient(t, f, func(o *Options) { o.Retries = 3 })
			_, err := c.GetJSON(context.Background(), balance, &balanceDoc{})
			if StatusOf(err) != code {
				t.Fatalf("got %v", err)
			}
			if f.count() != 1 {
				t.Errorf("requests: %d, want 1", f.count())
			}
		})
	}
}

// hijackClose drops the connection without an answer (a reset).
func hijackClose(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		if err := tc.SetLinger(0); err != nil { // RST instead of FIN
			panic(err)
		}
	}
	_ = conn.Close()
}

// waitForCancel answers only when the client has gone.
func waitForCancel(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// dribble sends the start of a JSON document, then a byte a second.
func dribble(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if _, err := io.WriteString(w, `{"amount": `); err != nil {
		return
	}
	w.(http.Flusher).Flush()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if _, err := io.WriteString(w, "1"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}
}

// stream writes n bytes of a JSON array, stopping when the client goes.
func stream(n int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		chunk := []byte(strings.Repeat("1,", 16<<10))
		if _, err := w.Write([]byte("[")); err != nil {
			return
		}
		for sent := 1; sent < n; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		_, _ = w.Write([]byte("1]"))
	}
}

func TestReasons(t *testing.T) {
	t.Parallel()
	type wrongShape struct {
		Data struct {
			Amount Float `json:"amount"`
		} `json:"data"`
		Items []struct {
			Due Time `json:"due"`
		} `json:"items"`
	}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		out     func() any
		reason  Reason
		status  int
		detail  string // substring of Detail
	}{
		{name: "401", handler: reply(401, `{"error":{"message":"Unauthorized"}}`), reason: ReasonAuth, status: 401, detail: "Unauthorized"},
		{name: "403", handler: reply(403, `{"error":{"message":"Access denied"}}`), reason: ReasonForbidden, status: 403, detail: "Access denied"},
		{name: "404", handler: reply(404, `Not Found`, "Content-Type", "text/plain"), reason: ReasonNotFound, status: 404, detail: "Not Found"},
		{name: "429", handler: reply(429, `{"message":"Too many requests"}`), reason: ReasonRateLimited, status: 429, detail: "Too many requests"},
		{name: "500", handler: reply(500, `{"detail":"internal"}`), reason: ReasonServer, status: 500, detail: "internal"},
		{name: "502", handler: reply(502, `<html><body>Bad Gateway</body></html>`, "Content-Type", "text/html"), reason: ReasonServer, status: 502, detail: "HTML error page"},
		{name: "503", handler: reply(503, ``), reason: ReasonServer, status: 503},
		{name: "timeout", handler: waitForCancel, reason: ReasonTimeout},
		{name: "connection reset", handler: hijackClose, reason: ReasonTransport},
		{name: "empty 200", handler: ok(``), reason: ReasonDecode, status: 200, detail: "empty body"},
		{name: "whitespace 200", handler: ok(" \n"), reason: ReasonDecode, status: 200, detail: "empty body"},
		{name: "HTML page 200", handler: reply(200, `<!DOCTYPE html><html>Login</html>`, "Content-Type", "text/html; charset=utf-8"),
			reason: ReasonDecode, status: 200, detail: "HTML page"},
		{name: "HTML page as JSON", handler: ok(`<!DOCTYPE html><html>Login</html>`), reason: ReasonDecode, status: 200, detail: "invalid JSON at byte 1"},
		{name: "truncated JSON", handler: ok(`{"data": {"amount": 1`), reason: ReasonDecode, status: 200, detail: "truncated JSON (21 bytes)"},
		{name: "string for number", handler: ok(`{"data": {"amount": "lots"}}`), out: func() any { return &wrongShape{} },
			reason: ReasonDecode, status: 200, detail: `field data.amount: got "lots" where number is expected`},
		{name: "array for object", handler: ok(`{"data": [1, 2]}`), out: func() any { return &wrongShape{} },
			reason: ReasonDecode, status: 200, detail: `field data: got array where object is expected`},
		{name: "object for list", handler: ok(`{"items": {"due": 1}}`), out: func() any { return &wrongShape{} },
			reason: ReasonDecode, status: 200, detail: `field items: got object where array is expected`},
		{name: "bad date in list", handler: ok(`{"items": [{"due": "soon"}]}`), out: func() any { return &wrongShape{} },
			reason: ReasonDecode, status: 200, detail: `field items.due: got "soon" where date is expected`},
		{name: "too large", handler: stream(50 << 20), reason: ReasonTooLarge, status: 200, detail: "max_response_bytes (65536)"},
		{name: "slow body", handler: dribble, reason: ReasonTimeout, status: 200, detail: "reading body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.handler)
			c := newClient(t, f, func(o *Options) {
				o.Timeout = 1500 * time.Millisecond
				o.MaxResponseBytes = 64 << 10
				o.CacheTTL = time.Minute
			})
			out := any(&balanceDoc{})
			if tc.out != nil {
				out = tc.out()
			}
			usable, err := c.GetJSON(context.Background(), balance, out)
			if usable || err == nil {
				t.Fatalf("usable=%v err=%v", usable, err)
			}
			e := scrapeErr(t, err)
			if e.Reason != tc.reason || e.Status != tc.status {
				t.Errorf("reason %s status %d, want %s %d (%v)", e.Reason, e.Status, tc.reason, tc.status, err)
			}
			if !strings.Contains(e.Detail, tc.detail) {
				t.Errorf("detail %q does not contain %q", e.Detail, tc.detail)
			}
			for _, want := range []string{testProvider, `"` + testAccount + `"`, "endpoint " + balance.Name} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q does not name %s", err, want)
				}
			}
			if tc.status != 0 && !strings.Contains(err.Error(), fmt.Sprintf("HTTP %d", tc.status)) {
				t.Errorf("%q does not name the status", err)
			}
			if got := counted(t, c.metrics.errors, testProvider, testAccount, string(tc.reason)); got != 1 {
				t.Errorf("billing_upstream_errors_total{reason=%q} = %v, want 1", tc.reason, got)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	f := newFake(t, reply(403, `{"error":{"message":"Tariff service is not configured","type":"x","stack":"at ..."},"status":1,"statusCode":403}`))
	c := newClient(t, f, nil)
	_, err := c.GetJSON(context.Background(), balance, &balanceDoc{})
	want := `docspace account "docspace-main" endpoint customer/balance: HTTP 403 (forbidden): Tariff service is not configured`
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
	if ReasonOf(err) != ReasonForbidden || ReasonOf(fmt.Errorf("wrapped: %w", err)) != ReasonForbidden {
		t.Error("ReasonOf does not see through wrapping")
	}
	if ReasonOf(io.EOF) != "" || StatusOf(io.EOF) != 0 {
		t.Error("ReasonOf/StatusOf of a foreign error")
	}
	e := &Error{Provider: "qovery", Account: "q", Endpoint: "organization", Reason: ReasonTransport}
	if got := e.Error(); got != `qovery account "q" endpoint organization: (transport)` {
		t.Errorf("no status, no detail: %q", got)
	}
}

// TestTooLargeReadsBounded proves that memory stays bounded: however large
// the body, the client reads at most the limit and one byte more.
func TestTooLargeReadsBounded(t *testing.T) {
	const limit = 1 << 20
	f := newFake(t, stream(50<<20))
	var read atomic.Int64
	c := newClient(t, f, func(o *Options) {
		o.MaxResponseBytes = limit
		o.Transport = countingTransport{next: o.Transport, n: &read}
	})
	err := c.Do(context.Background(), Request{Method: http.MethodGet, Endpoint: "big", Path: "/big"}, &[]int{})
	if ReasonOf(err) != ReasonTooLarge {
		t.Fatalf("got %v", err)
	}
	if n := read.Load(); n > limit+1 {
		t.Errorf("read %d bytes of the body, limit %d", n, limit)
	}
}

type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err == nil {
		resp.Body = countingBody{resp.Body, t.n}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func TestSecretsNeverInErrors(t *testing.T) {
	t.Parallel()
	pad := strings.Repeat("x", 150)
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		path    string
		out     any
	}{
		{name: "echoed in message", handler: reply(401, `{"message":"invalid key `+optionSecret+`"}`)},
		{name: "echoed in DocSpace error", handler: reply(403, `{"error":{"message":"token `+runtimeToken+` lacks rights"}}`)},
		{name: "echoed in plain text", handler: reply(500, `bad key=`+optionSecret, "Content-Type", "text/plain")},
		{name: "echoed JSON-escaped", handler: reply(400, `{"message":"key \u0073k-OPTIONSECRET-0123456789"}`)},
		// Shortening must not cut the secret in two and keep the first half.
		{name: "at the shortening cut", handler: reply(400, `{"message":"`+pad+` `+optionSecret+`"}`)},
		{name: "at the snippet cut", handler: reply(400, strings.Repeat(" ", 4096-20)+optionSecret, "Content-Type", "text/plain")},
		{name: "in a decoded value", handler: ok(`{"amount": "xxxxxxxxxxxxxxxxxxxxxxxxx` + optionSecret + `"}`), out: &balanceDoc{}},
		{name: "in the URL of a reset", handler: hijackClose, path: "/v1/balance?api_key=" + optionSecret},
		{name: "in the URL of a timeout", handler: waitForCancel, path: "/v1/" + runtimeToken + "/balance"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.handler)
			c := newClient(t, f, func(o *Options) { o.Timeout = 2 * time.Second })
			c.SetSecret("token", runtimeToken)
			c.SetSecret("other", "") // ignored: an empty secret would scrub everything
			ep := balance
			if tc.path != "" {
				ep.Path = tc.path
			}
			out := tc.out
			if out == nil {
				out = &map[string]any{}
			}
			_, err := c.GetJSON(context.Background(), ep, out)
			if err == nil {
				t.Fatal("no error")
			}
			text := fmt.Sprintf("%v %+v %#v", err, err, err)
			for _, s := range []string{optionSecret, runtimeToken} {
				if strings.Contains(text, s[:8]) {
					t.Errorf("error shows (part of) a secret: %s", text)
				}
			}
		})
	}
}

// An error body that echoes a key URL-encoded (as a query or a header
// dump shows it) is scrubbed as well as the key itself.
func TestURLEncodedSecretScrubbed(t *testing.T) {
	const secret = "sk-ENC+SECRET/0123=="
	for _, body := range []string{
		`{"message":"bad header Bearer%20` + url.QueryEscape(secret) + `"}`,
		`{"message":"bad header Bearer%20` + url.PathEscape(secret) + `"}`,
		`{"message":"bad header Bearer%20sk-ENC%2bSECRET%2f0123%3d%3d"}`,
		`{"message":"bad header Bearer ` + secret + `"}`,
	} {
		f := newFake(t, reply(http.StatusUnauthorized, body))
		c := newClient(t, f, func(o *Options) { o.Secrets = []string{secret} })
		_, err := c.GetJSON(context.Background(), balance, &balanceDoc{})
		detail := scrapeErr(t, err).Detail
		if !strings.Contains(detail, "<secret>") || strings.Contains(detail, "SECRET") {
			t.Errorf("body %s: detail %q still shows the key", body, detail)
		}
	}
}

// A vendor that echoes a key base64-encoded, standard or URL-safe, padded
// or not, alone or inside an encoded "user:key" (a Basic credential), gets
// it scrubbed as well as the key itself.
func TestBase64SecretScrubbed(t *testing.T) {
	const secret = "sk-B64>SECRET?0123456789"
	b64 := []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding}
	var echoes []string
	for _, enc := range b64 {
		for _, text := range []string{secret, "user:" + secret, "a:" + secret + ":z", "ab" + secret} {
			echoes = append(echoes, enc.EncodeToString([]byte(text)))
		}
	}
	for _, echo := range echoes {
		f := newFake(t, reply(http.StatusUnauthorized, `{"message":"bad header Basic `+echo+`"}`))
		c := newClient(t, f, func(o *Options) { o.Secrets = []string{secret} })
		_, err := c.GetJSON(context.Background(), balance, &balanceDoc{})
		detail := scrapeErr(t, err).Detail
		if !strings.Contains(detail, "<secret>") {
			t.Errorf("echo %s: detail %q still shows the key", echo, detail)
			continue
		}
		// What is left of the echo decodes to no part of the key longer
		// than the bits at its edges.
		for _, part := range strings.FieldsFunc(detail, func(r rune) bool { return r == ' ' || r == '<' || r == '>' }) {
			for _, enc := range b64 {
				if dec, err := enc.DecodeString(part); err == nil && len(dec) > 2 && strings.Contains(secret, string(dec[1:len(dec)-1])) {
					t.Errorf("echo %s: detail %q keeps %q of the key", echo, detail, dec)
				}
			}
		}
	}
}

// A token replaced by a refresh stays scrubbed until the next one (a
// request sent with it may still be answered), then leaves the list: its
// length is the same after 150 refreshes as after the first, and the live
// token is scrubbed whichever refresh made it.
func TestSecretSlotHoldsTheLiveAndTheReplacedToken(t *testing.T) {
	var echoed string
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		reply(http.StatusUnauthorized, `{"message":"token `+echoed+` expired"}`)(w, r)
	})
	c := newClient(t, f, nil)
	detail := func() string {
		t.Helper()
		_, err := c.GetJSON(context.Background(), balance, &balanceDoc{})
		return scrapeErr(t, err).Detail
	}
	token := func(i int) string { return fmt.Sprintf("tok-refreshed-%04d-%s", i, strings.Repeat("x", 1000)) }

	c.SetSecret("token", "tok-first-0000")
	c.SetSecret("token", token(0))
	echoed = "tok-first-0000" // an answer to a request sent before the refresh
	if d := detail(); strings.Contains(d, "tok-first") {
		t.Errorf("the token the refresh replaced is not scrubbed: %q", d)
	}
	want := c.scrubListLen()
	for i := 1; i <= 150; i++ {
		c.SetSecret("token", token(i))
	}
	if got := c.scrubListLen(); got != want {
		t.Errorf("scrub list of %d spellings after 150 refreshes, %d after the first: it grows with refreshes", got, want)
	}
	for _, echoed = range []string{token(150), token(149)} {
		if d := detail(); strings.Contains(d, "tok-refreshed") {
			t.Errorf("the live or the replaced token is not scrubbed: %q", d)
		}
	}
	c.SetSecret("token", "")
	if got := c.scrubListLen(); got >= want {
		t.Errorf("an emptied slot leaves %d spellings, want fewer than %d", got, want)
	}
	echoed = token(150)
	if d := detail(); strings.Contains(d, "tok-refreshed") {
		t.Errorf("the token the emptied slot held is not scrubbed: %q", d)
	}
}

func TestVendorMessage(t *testing.T) {
	long := strings.Repeat("é", 200)
	for _, tc := range []struct{ name, body, want string }{
		{"the provider's parser", `{"message": "Invalid credentials"}`, "Invalid credentials"},
		{"plain text", "  upstream\n\tconnect error  ", "upstream connect error"},
		{"html", `<html><head><title>502</title></head></html>`, "HTML error page"},
		{"empty", ``, ""},
		{"json without message", `{"code": 7}`, `{"code": 7}`},
		{"long", long, strings.Repeat("é", 80) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{upstream: &upstream{opt: Options{VendorMessage: func(b []byte) string {
				var v struct {
					Message string `json:"message"`
				}
				_ = json.Unmarshal(b, &v)
				return v.Message
			}}}}
			if got := c.vendorMessage([]byte(tc.body)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int64
	other := newFake(t, func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) })
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.srv.URL+"/steal", http.StatusFound)
	})
	c := newClient(t, f, nil)
	c.SetAuth(func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+optionSecret) })
	_, err := c.GetJSON(context.Background(), balance, &balanceDoc{})
	if StatusOf(err) != 302 {
		t.Fatalf("got %v, want the 302 as an error", err)
	}
	if elsewhere.Load() != 0 {
		t.Error("the redirect was followed with the credentials")
	}
}

// A redirect is not followed (it would re-send the key elsewhere); the
// error names its target, without the credentials a query may carry.
func TestRedirectErrorNamesTarget(t *testing.T) {
	for _, tc := range []struct{ location, want string }{
		{"https://login.example.com/sso?token=abc#x", "redirect to https://login.example.com/sso (not followed)"},
		{"/v2/balance", "/v2/balance (not followed)"},
	} {
		f := newFake(t, reply(http.StatusFound, "", "Location", tc.location))
		c := newClient(t, f, nil)
		_, err := c.GetJSON(context.Background(), balance, &balanceDoc{})
		e := scrapeErr(t, err)
		if e.Status != http.StatusFound || !strings.Contains(e.Detail, tc.want) {
			t.Errorf("Location %q: status %d detail %q, want it to contain %q", tc.location, e.Status, e.Detail, tc.want)
		}
		if strings.Contains(e.Detail, "token=abc") {
			t.Errorf("detail keeps the redirect's query: %q", e.Detail)
		}
	}
}

// A redirect's error says "redirect to ... (not followed)" once, and the
// vendor's message after it.
func TestRedirectNamedOnce(t *testing.T) {
	f := newFake(t, reply(http.StatusMovedPermanently, `{"message":"moved"}`, "Location", "https://api.example.com/v2"))
	c := newClient(t, f, nil)
	_, err := c.GetJSON(context.Background(), balance, &balanceDoc{})
	if got, want := scrapeErr(t, err).Detail, "redirect to https://api.example.com/v2 (not followed); moved"; got != want {
		t.Errorf("detail %q, want %q", got, want)
	}
}

// A Retry-After that the scrape could not wait out keeps every later call
// of the account (other endpoints, other replicas' scrapes) from reaching
// the vendor until it ends; the last good answer stands in meanwhile.
func TestRetryAfterRemembered(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after func(now time.Time) string
		quiet time.Duration // how long no request may go out
	}{
		{"seconds", func(time.Time) string { return "120" }, 2 * time.Minute},
		{"HTTP date", func(now time.Time) string { return now.Add(3 * time.Minute).Format(http.TimeFormat) }, 3 * time.Minute},
		{"capped", func(time.Time) string { return "86400" }, MaxRetryAfter},
		{"capped, not overflowing", func(time.Time) string { return "99999999999999999" }, MaxRetryAfter},
		{"capped date", func(now time.Time) string { return now.Add(48 * time.Hour).Format(http.TimeFormat) }, MaxRetryAfter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Wall time, as retryablehttp reads HTTP dates against it.
			clk := fakeclock.At(time.Now().Truncate(time.Second))
			var limited atomic.Bool
			good := counting()
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				if limited.Load() {
					reply(429, `{"message":"quota"}`, "Retry-After", tc.after(clk.Now()))(w, r)
					return
				}
				good(w, r)
			})
			c := cachedClient(t, f, clk, func(o *Options) { o.Retries = 2 })
			get(t, c, balance)
			limited.Store(true)
			clk.Advance(10 * time.Minute)

			var out balanceDoc
			usable, err := c.GetJSON(ctxTimeout(t, 2*time.Second), balance, &out)
			if e := scrapeErr(t, err); e.Status != 429 || !usable || out.Amount.V != 1 {
				t.Fatalf("usable=%v err=%v; want the 429 and the last good answer", usable, err)
			}
			if f.count() != 2 {
				t.Fatalf("requests: %d; the retry should not wait past the deadline", f.count())
			}

			clk.Advance(tc.quiet - time.Second)
			other := Endpoint{Name: "customer/info", Path: "/info"}
			for _, ep := range []Endpoint{balance, other} {
				_, err := c.GetJSON(context.Background(), ep, &balanceDoc{})
				if e := scrapeErr(t, err); e.Reason != ReasonRateLimited || e.Status != 0 || !strings.Contains(e.Detail, "Retry-After") {
					t.Errorf("%s during Retry-After: %v, want rate_limited without a request", ep.Name, err)
				}
			}
			if f.count() != 2 {
				t.Errorf("requests during Retry-After: %d, want none after the 429", f.count()-2)
			}
			if got := counted(t, c.metrics.errors, testProvider, testAccount, "rate_limited"); got != 3 {
				t.Errorf("errors{reason=rate_limited} = %v, want 3", got)
			}

			clk.Advance(time.Second)
			limited.Store(false)
			if v := get(t, c, balance); v != 2 || f.count() != 3 {
				t.Errorf("after Retry-After: answer %v after %d requests", v, f.count())
			}
		})
	}
}

// A Retry-After waited out within the request leaves no back-off behind.
func TestRetryAfterWaitedOutNotRemembered(t *testing.T) {
	t.Parallel()
	f := newFake(t, sequence(reply(503, `busy`, "Retry-After", "1"), ok(`{"amount": 1}`), ok(`{"amount": 2}`)))
	c := newClient(t, f, func(o *Options) { o.Retries = 1 })
	if _, err := c.GetJSON(context.Background(), balance, &balanceDoc{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetJSON(context.Background(), balance, &balanceDoc{}); err != nil || f.count() != 3 {
		t.Fatalf("err=%v after %d requests", err, f.count())
	}
}

// A rekeyed client is the same account with another key: it reads the
// cache the old one filled, and once the answer is due, the vendor sees
// its key alone. The old client is untouched: a reload that fails after
// rekeying keeps sending the old key. Both keys are scrubbed from the
// rekeyed client's errors.
func TestRekeyedSharesAllButTheKey(t *testing.T) {
	const oldKey, newKey = "sk-OLD-KEY-0123456789", "sk-NEW-KEY-9876543210"
	var accepted atomic.Value // the key the vendor takes
	accepted.Store(oldKey)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		key := accepted.Load().(string)
		if r.Header.Get("Authorization") != "Bearer "+key {
			reply(http.StatusUnauthorized, `{"message":"keys `+oldKey+`, `+newKey+` refused"}`)(w, r)
			return
		}
		ok(`{"amount": 7}`)(w, r)
	})
	clk := newClock()
	old := newClient(t, f, func(o *Options) { o.CacheTTL, o.Now, o.Secrets = time.Minute, clk.Now, []string{oldKey} })
	old.SetAuth(func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+oldKey) })
	get := func(c *Client) (float64, error) {
		var doc balanceDoc
		_, err := c.GetJSON(context.Background(), balance, &doc)
		return doc.Amount.V, err
	}
	if _, err := get(old.Client); err != nil {
		t.Fatal(err)
	}

	accepted.Store(newKey)
	rekeyed := old.Rekeyed([]string{newKey, ""})
	rekeyed.SetAuth(func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+newKey) })
	if _, err := get(rekeyed); err != nil || f.count() != 1 {
		t.Fatalf("rekeyed client within the TTL: %v after %d requests; want the cached answer, no request", err, f.count())
	}
	clk.Advance(2 * time.Minute)
	if _, err := get(rekeyed); err != nil || f.count() != 2 {
		t.Fatalf("rekeyed client after the TTL: %v after %d requests; want the new key's answer", err, f.count())
	}
	if f.header(1).Get("Authorization") != "Bearer "+newKey {
		t.Error("the rekeyed client's request did not carry the new key")
	}

	// The old client still sends the old key, which the vendor refuses.
	err := old.Do(context.Background(), Request{Method: http.MethodGet, Endpoint: balance.Name, Path: balance.Path}, nil)
	if scrapeErr(t, err).Status != http.StatusUnauthorized || f.header(2).Get("Authorization") != "Bearer "+oldKey {
		t.Errorf("old client after rekeying: %v; want its old key refused", err)
	}
	rekeyed.SetAuth(func(r *http.Request) { r.Header.Set("Authorization", "Bearer other") })
	err = rekeyed.Do(context.Background(), Request{Method: http.MethodGet, Endpoint: balance.Name, Path: balance.Path}, nil)
	if detail := scrapeErr(t, err).Detail; strings.Contains(detail, oldKey) || strings.Contains(detail, newKey) || !strings.Contains(detail, "<secret>") {
		t.Errorf("the rekeyed client's error shows a key: %s", detail)
	}
}
