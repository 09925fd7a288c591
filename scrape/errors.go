package scrape

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Reason classifies why an upstream call failed. The values are the
// `reason` label of billing_upstream_errors_total, so the set is closed.
type Reason string

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
	var b strings.Builder
	fmt.Fprintf(&b, "%s account %q endpoint %s: ", e.Provider, e.Account, e.Endpoint)
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d ", e.Status)
	}
	fmt.Fprintf(&b, "(%s)", e.Reason)
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// ReasonOf returns the Reason of an *Error in err's chain, or "" if none.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// StatusOf returns the HTTP status of an *Error in err's chain, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func reasonForStatus(code int) Reason {
	switch {
	case code == 401:
		return ReasonAuth
	case code == 403:
		return ReasonForbidden
	case code == 404:
		return ReasonNotFound
	case code == 429:
		return ReasonRateLimited
	default:
		return ReasonServer
	}
}

func reasonForTransport(err error) Reason {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return ReasonTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ReasonTimeout
	}
	return ReasonTransport
}
