package acefone

import (
	"cmp"
	"context"
	"net/http"
	"time"

	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/go-kit/log/level"
)

// Repeated password logins are how vendors lock accounts. A token the
// dashboard rejects is replaced by one login, whatever the number of
// scrapes that saw the 401; when logins are refused or their tokens are
// rejected again, no login is tried before a backoff that doubles from
// loginBackoffFirst to loginBackoffLongest. An answer the token earns ends it.
const (
	loginBackoffFirst   = time.Minute
	loginBackoffLongest = 30 * time.Minute
	// maxTokenLifetime caps expires_in: a token is renewed at least daily,
	// and 1e300 seconds cannot overflow into a token always expired.
	maxTokenLifetime = 24 * time.Hour
)

// ensureToken logs in or refreshes when the token is missing or about to
// expire, unless a login backoff is running. The login or refresh runs
// detached from ctx, bounded by the request timeout, shared by every
// scrape that needs it meanwhile: a scrape whose deadline comes first
// gives up waiting, not the login, whose token serves the next scrape.
func (a *scraper) ensureToken(ctx context.Context) error {
	if a.login == nil {
		return nil
	}
	a.mu.Lock()
	if a.token != "" && a.Now().Add(tokenMargin).Before(a.expires) {
		a.mu.Unlock()
		return nil
	}
	r := a.renewal
	if r == nil {
		refresh := ""
		if a.token != "" && a.Now().Before(a.expires) {
			refresh = a.token // still valid: renew it; a failed refresh falls back to a login
		}
		if refresh == "" && a.Now().Before(a.notBefore) {
			err := a.backingOffLocked()
			a.mu.Unlock()
			return err
		}
		r = &renewal{done: make(chan struct{})}
		a.renewal = r
		rctx, cancel := a.Client.Detached(ctx)
		go func() {
			defer cancel()
			a.renew(rctx, r, refresh)
		}()
	}
	a.mu.Unlock()
	scrape.Uncached(ctx)
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return a.Client.Errorf("auth/login", 0, scrape.ReasonTimeout, "no token before the scrape deadline; the login goes on for the next scrape")
	}
}

// renew runs renewal r: a refresh of token refresh if not "", else or
// when that fails, a login. Only the vendor's refusal counts toward the
// login backoff; a login that timed out or met a server error is tried
// again at the next scrape.
func (a *scraper) renew(ctx context.Context, r *renewal, refresh string) {
	var err error
	defer func() {
		a.mu.Lock()
		a.renewal, r.err = nil, err
		a.mu.Unlock()
		close(r.done)
	}()
	if refresh != "" {
		// The token goes by hand: the auth hook sends the current one, which
		// a concurrent rejection may have cleared.
		err = a.authenticate(ctx, scrape.Request{Method: http.MethodPost, Endpoint: "auth/refresh", Path: "/v1/auth/refresh", NoAuth: true,
			Header: map[string]string{"Authorization": "Bearer " + refresh}})
		if err == nil {
			return
		}
		a.mu.Lock()
		backingOff := a.Now().Before(a.notBefore)
		if backingOff {
			err = a.backingOffLocked()
		}
		a.mu.Unlock()
		if backingOff {
			return
		}
	}
	err = a.authenticate(ctx, scrape.Request{Method: http.MethodPost, Endpoint: "auth/login", Path: "/v1/auth/login", NoAuth: true,
		Body: map[string]string{"login_id": a.login.username, "password": a.login.password}})
	if refused(err) {
		a.mu.Lock()
		a.failedLocked()
		a.mu.Unlock()
	}
}

// refused tells the vendor's refusal of a login (401, 403, or an answer
// without a token) from a login that got no answer in time or a broken one.
func refused(err error) bool {
	switch scrape.StatusOf(err) {
	case http.StatusUnauthorized, http.StatusForbidden:
		return true
	case http.StatusOK:
		return scrape.ReasonOf(err) == scrape.ReasonAuth
	}
	return false
}

// backingOffLocked is the error of a login put off by the backoff (a.mu held).
func (a *scraper) backingOffLocked() error {
	return a.Client.Errorf("auth/login", 0, scrape.ReasonAuth, "not logging in before %s: %d failed logins or rejected tokens in a row",
		a.notBefore.UTC().Format(time.RFC3339), a.failures)
}

// authenticate sends a login or refresh and stores the token it earns.
func (a *scraper) authenticate(ctx context.Context, r scrape.Request) error {
	var ans struct {
		Success     scrape.Bool   `json:"success"`
		AccessToken string        `json:"access_token"`
		ExpiresIn   tokenLifetime `json:"expires_in"`
	}
	if err := a.Client.Do(ctx, r, &ans); err != nil {
		return err
	}
	if ans.AccessToken == "" || (ans.Success.Valid && !ans.Success.V) {
		return a.Client.Errorf(r.Endpoint, http.StatusOK, scrape.ReasonAuth, "answer carries no access_token")
	}
	a.Client.SetSecret("token", ans.AccessToken)
	a.mu.Lock()
	a.token, a.expires = ans.AccessToken, a.Now().Add(cmp.Or(time.Duration(ans.ExpiresIn), time.Hour))
	a.mu.Unlock()
	return nil
}

// tokenLifetime is a login answer's expires_in in seconds, capped at
// maxTokenLifetime. Anything unusable (text, zero, negative) is 0, the
// documented hour: a valid access_token is not thrown away over it.
type tokenLifetime time.Duration

func (l *tokenLifetime) UnmarshalJSON(b []byte) error {
	*l = 0
	var f scrape.Float
	if f.UnmarshalJSON(b) == nil && f.Valid && f.V > 0 {
		*l = tokenLifetime(time.Duration(min(f.V, maxTokenLifetime.Seconds()) * float64(time.Second)))
	}
	return nil
}

// currentToken is the token requests are sent with now.
func (a *scraper) currentToken() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.token
}

// rejected records a 401 to a request sent with tok. Only the first scrape
// to report a token discards it; the others find its successor in place
// and use that, so concurrent scrapes cause one login, not one each. A
// token being renewed is on its way out already: its 401 (a refresh may
// revoke it before its successor arrives) is no news; nor is the 401 of a
// request sent without one, after another scrape discarded it.
func (a *scraper) rejected(tok string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if tok != "" && tok == a.token && a.renewal == nil {
		a.token, a.expires = "", time.Time{}
		a.failedLocked()
	}
}

// accepted records an answer to the current token: logins work again.
func (a *scraper) accepted() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failures > 1 {
		level.Info(a.Logger).Log("msg", "Acefone accepts the login again; backoff over")
	}
	a.failures, a.notBefore = 0, time.Time{}
}

// failedLocked counts a failed login or a rejected token (a.mu held). The
// first in a row may be cured by a login at once (a token revoked by a
// vendor restart); each further one puts off the next login.
func (a *scraper) failedLocked() {
	a.failures++
	if a.failures < 2 {
		return
	}
	a.notBefore = a.Now().Add(min(loginBackoffFirst<<min(a.failures-2, 6), loginBackoffLongest)) // the shift cannot overflow
	if a.failures == 2 {
		level.Warn(a.Logger).Log("msg", "Acefone refuses the login or its tokens again; logging in at most once per backoff, doubling up to "+loginBackoffLongest.String(),
			"next_login", a.notBefore.UTC().Format(time.RFC3339))
	}
}
