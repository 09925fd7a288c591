package acefone_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/acefone"
	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// Defects an attack run as a hostile vendor found in Acefone's login,
// replayed against the fake.

// alwaysUnauthorized is an Acefone fake whose logins work and whose
// dashboard rejects every token, on a harness; logins counts the login
// requests the fake saw, failed ones included.
func alwaysUnauthorized(t *testing.T) (h *collectortest.Harness, fake *acefone.Fake, logins func() int) {
	fake = acefone.NewFake("", acefoneLoginID, acefonePassword)
	fake.Set(acefone.Dashboard.Name, sandbox.Reply{Status: http.StatusUnauthorized,
		Body: map[string]any{"success": false, "message": "Unauthenticated."}})
	h, srv := newHarness(t, fake, true, "")
	return h, fake, func() int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Method == http.MethodPost && r.Path == "/ace/v1/auth/login" {
				n++
			}
		}
		return n
	}
}

// concurrentScrapes runs n scrapes at once, as n Prometheus servers would.
func concurrentScrapes(t *testing.T, h *collectortest.Harness, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Go(h.Scrape)
	}
	wg.Wait()
}

// 50 concurrent scrapes against a dashboard that always answers 401: one
// login per 401 episode, then a backoff: at most 2 logins in the first
// minute of 50 concurrent scrapes every 15 s (a fake clock), logged once.
func TestAcefoneConcurrentRejectionsDoNotStormLogins(t *testing.T) {
	h, _, logins := alwaysUnauthorized(t)
	for range 4 {
		concurrentScrapes(t, h, 50)
		h.Clock.Advance(15 * time.Second)
	}
	if n := logins(); n > 2 {
		t.Errorf("%d logins in the first minute, want at most 2", n)
	}
	// The backoff is bounded: a minute after it began, one login more. It
	// begins with the second rejected token, in the first round or, when
	// the first round's scrapes all shared one rejected token, the second.
	h.Clock.Advance(15 * time.Second)
	concurrentScrapes(t, h, 50)
	if n := logins(); n != 3 {
		t.Errorf("%d logins after the first backoff, want 3", n)
	}
	if n := strings.Count(h.Logs.String(), "logging in at most once per backoff"); n != 1 {
		t.Errorf("backoff logged %d times, want once:\n%s", n, h.Logs.String())
	}
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v, want 0", up)
	}
}

// 5 sequential scrapes against a dashboard that always answers 401 log in
// at most twice.
func TestAcefoneSequentialRejectionsLogInAtMostTwice(t *testing.T) {
	h, _, logins := alwaysUnauthorized(t)
	for range 5 {
		h.Scrape()
		h.Clock.Advance(time.Second)
	}
	if n := logins(); n > 2 {
		t.Errorf("%d logins over 5 scrapes, want at most 2", n)
	}
}

// A wrong password is not retried scrape after scrape.
func TestAcefoneWrongPasswordIsNotRetriedEveryScrape(t *testing.T) {
	h, fake, logins := alwaysUnauthorized(t)
	fake.FailLogins(true)
	for range 4 {
		concurrentScrapes(t, h, 10)
		h.Clock.Advance(15 * time.Second)
	}
	if n := logins(); n > 2 {
		t.Errorf("%d login attempts with a wrong password in a minute, want at most 2", n)
	}
}

// A login answer with a huge expires_in kept the token forever expired
// (every scrape logged in): it is capped at a day.
func TestAcefoneHugeExpiresInIsCappedAtADay(t *testing.T) {
	for _, expiresIn := range []string{`1e12`, `1e300`} {
		t.Run("expires_in "+expiresIn, func(t *testing.T) { checkExpiresIn(t, expiresIn, true) })
	}
}

// expires_in "abc" failed a login that returned a token: the token is
// kept, for the documented hour.
func TestAcefoneUnreadableExpiresInKeepsTheToken(t *testing.T) {
	checkExpiresIn(t, `"abc"`, false)
}

// checkExpiresIn scrapes with logins answered with expires_in (JSON) and
// counts the logins: one, still one 30 minutes on and, when huge, two a
// day later.
func checkExpiresIn(t *testing.T, expiresIn string, huge bool) {
	const token = "acefone-login-token-from-a-hostile-vendor"
	fake := acefone.NewFake(token, "", "") // accepts the token the login below hands out
	h, srv := newHarness(t, fake, true, "")
	var logins atomic.Int64
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		if r.URL.Path != "/ace/v1/auth/login" {
			return false
		}
		logins.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"success":true,"access_token":%q,"token_type":"bearer","expires_in":%s}`, token, expiresIn)
		return true
	})
	step := func(d time.Duration, want int64) {
		t.Helper()
		h.Clock.Advance(d)
		h.Scrape()
		if up := h.Value("billing_up", nil); up != 1 {
			t.Errorf("billing_up = %v\n%s", up, h.Logs.String())
		}
		if n := logins.Load(); n != want {
			t.Errorf("%d logins, want %d", n, want)
		}
	}
	step(0, 1)
	step(30*time.Minute, 1)
	if huge { // capped at a day: renewed (the refresh fails, so a login) before then
		step(24*time.Hour, 2)
	}
	h.AssertNoSecret(token)
}
