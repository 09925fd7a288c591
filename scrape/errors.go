package scrape

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Reason classifies why an upstream call failed. The values are the
// `reason` label of billing_upstream_errors_total, so the set is closed.
type Reason string

// The reasons, each with the failures it stands for.
const (
	ReasonAuth        Reason = "auth"         // 401: key missing, wrong or expired
	ReasonForbidden   Reason = "forbidden"    // 403: key lacks rights, or unknown object
	ReasonNotFound    Reason = "not_found"    // 404
	ReasonRateLimited Reason = "rate_limited" // 429
	ReasonTimeout     Reason = "timeout"      // deadline hit before a full answer
	ReasonServer      Reason = "server"       // 5xx and any other unexpected status
	ReasonDecode      Reason = "decode"       // 2xx whose body is not the JSON we expect
	ReasonTooLarge    Reason = "too_large"    // body over the size limit
	ReasonTransport   Reason = "transport"    // connection refused, reset, DNS, TLS
)

// Reasons lists every Reason, for pre-initialising counters.
var Reasons = []Reason{ReasonAuth, ReasonForbidden, ReasonNotFound, ReasonRateLimited,
	ReasonTimeout, ReasonServer, ReasonDecode, ReasonTooLarge, ReasonTransport}

// Error is a failed upstream call. Its text names provider, account,
// endpoint and HTTP status, and never carries a credential: the client
// scrubs every secret it knows from Detail and from wrapped errors.
type Error struct {
	Provider string
	Account  string
	Endpoint string
	Status   int // 0 when no HTTP answer arrived
	Reason   Reason
	Detail   string // the vendor's message or our diagnosis, short and scrubbed
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s account %q", e.Provider, e.Account)
	if e.Endpoint != "" { // "" for a failure of the whole account (too many series)
		s += " endpoint " + e.Endpoint
	}
	s += ": "
	if e.Status != 0 {
		s += fmt.Sprintf("HTTP %d ", e.Status)
	}
	s += "(" + string(e.Reason) + ")"
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// ReasonOf returns the Reason of an *Error in err's chain, or "" if none.
func ReasonOf(err error) Reason {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Reason
	}
	return ""
}

// StatusOf returns the HTTP status of an *Error in err's chain, or 0.
func StatusOf(err error) int {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Status
	}
	return 0
}

// statusReasons are the failing statuses with a Reason of their own; any
// other is ReasonServer.
var statusReasons = map[int]Reason{401: ReasonAuth, 403: ReasonForbidden, 404: ReasonNotFound, 429: ReasonRateLimited}

func reasonForTransport(err error) Reason {
	ne, ok := errors.AsType[net.Error](err)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || ok && ne.Timeout() {
		return ReasonTimeout
	}
	return ReasonTransport
}

// errorSnippetBytes is how much of an error body is read for its message.
const errorSnippetBytes = 4096

// Errorf builds an *Error of the client's account, scrubbing every known
// secret from the detail; providers use it for answers they refuse.
func (c *Client) Errorf(endpoint string, status int, reason Reason, format string, args ...any) error {
	return &Error{Provider: c.opt.Provider, Account: c.opt.Account, Endpoint: endpoint,
		Status: status, Reason: reason, Detail: c.scrub(fmt.Sprintf(format, args...))}
}

// redirectTarget names where a redirect the client did not follow
// pointed, resolved against the request, without the userinfo, query and
// fragment, which may carry credentials.
func redirectTarget(resp *http.Response) string {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return ""
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "an unparsable Location"
	}
	if resp.Request != nil && resp.Request.URL != nil {
		u = resp.Request.URL.ResolveReference(u)
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

func unwrapURLError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err // drop the URL: it adds nothing the error does not already name
	}
	return err
}

// vendorMessage is the message of an error body: what the provider's
// parser finds in it, else the body itself, shortened.
func (c *Client) vendorMessage(b []byte) string {
	if c.opt.VendorMessage != nil {
		if m := c.opt.VendorMessage(b); m != "" {
			return shorten(m)
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
