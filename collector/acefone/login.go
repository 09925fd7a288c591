package acefone

import (
	"time"

	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/go-kit/log/level"
)

// Repeated password logins are how vendors lock accounts. A token the
// dashboard rejects is replaced by one login, whatever the number of
// scrapes that saw the 401; when logins fail or their tokens are rejected
// again, no login is tried before a backoff that doubles from
// loginBackoffFirst to loginBackoffLongest. An answer the token earns ends it.
const (
	loginBackoffFirst   = time.Minute
	loginBackoffLongest = 30 * time.Minute
	// maxTokenLifetime caps expires_in: a token is renewed at least daily,
	// and 1e300 seconds cannot overflow into a token always expired.
	maxTokenLifetime = 24 * time.Hour
)

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
// and use that, so concurrent scrapes cause one login, not one each.
func (a *scraper) rejected(tok string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if tok == a.token {
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
