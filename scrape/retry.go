package scrape

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// checkRetry retries transport errors, 429 and 5xx (as retryablehttp does),
// but never when the wait would outlast the caller's deadline: a scrape
// must answer in time with what it has.
func (u *upstream) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	retry, err := retryablehttp.DefaultRetryPolicy(ctx, resp, err) // ctx's error if it ended, else nil
	if !retry {
		return false, err
	}
	attempt := 0
	if n, ok := ctx.Value(attemptsKey{}).(*int); ok {
		attempt = *n // retryablehttp calls CheckRetry once per attempt
		*n++
	}
	if dl, ok := ctx.Deadline(); ok {
		wait := u.http.Backoff(u.http.RetryWaitMin, u.http.RetryWaitMax, attempt, resp)
		if time.Until(dl) < wait { // deadlines are wall time, whatever clock the cache uses
			return false, nil
		}
	}
	return true, nil
}

// attemptsKey carries the attempt counter of one logical request, so that
// checkRetry estimates the backoff retryablehttp is about to wait.
type attemptsKey struct{}

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
func (u *upstream) backOff(retryAfter string) {
	now := u.opt.Now()
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
	u.backoffMu.Lock()
	if until.After(u.notBefore) {
		u.notBefore = until
	}
	u.backoffMu.Unlock()
}

// backingOff reports whether a Retry-After still forbids calling.
func (u *upstream) backingOff() (time.Time, bool) {
	u.backoffMu.Lock()
	defer u.backoffMu.Unlock()
	return u.notBefore, u.opt.Now().Before(u.notBefore)
}
