package acefone_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/acefone"
	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/config"
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

// heldLogins makes the fake hold every login until release is closed (a
// vendor slower than the scrape deadline); arrived gets one value per
// login that reached it.
func heldLogins(t *testing.T, srv *sandbox.Server) (arrived <-chan struct{}, release func()) {
	in := make(chan struct{}, 16)
	gate := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release)
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.URL.Path != "/ace/v1/auth/login" {
			return false
		}
		in <- struct{}{}
		<-gate
		next.ServeHTTP(w, r)
		return true
	})
	return in, release
}

// scrapeCut scrapes under a context that ends once a login reached the
// vendor, as a scrape deadline shorter than the vendor's answer does, and
// returns when the scrape has answered.
func scrapeCut(t *testing.T, h *collectortest.Harness, arrived <-chan struct{}, first bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ScrapeCtx(ctx)
	}()
	if first {
		<-arrived
	}
	cancel()
	<-done
}

// A login slower than the scrape deadline is not a refusal: it goes on
// after the scrape that started it gave up, the next scrape shares it
// rather than sending its own, and its token serves the scrape after:
// one login, no backoff, nothing logged as a refusal.
func TestAcefoneSlowLoginOutlivesTheScrapeDeadline(t *testing.T) {
	fake := acefone.NewFake("", acefoneLoginID, acefonePassword)
	h, srv := newHarness(t, fake, true, "")
	arrived, release := heldLogins(t, srv)

	scrapeCut(t, h, arrived, true)
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("scrape cut during the login: billing_up = %v, want 0", up)
	}
	scrapeCut(t, h, arrived, false)
	release()
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("scrape after the slow login: billing_up = %v, want 1\n%s", up, h.Logs.String())
	}
	if n := fake.Logins(); n != 1 {
		t.Errorf("%d logins, want the one the deadlines cut, finished", n)
	}
	logs := h.Logs.String()
	if strings.Contains(logs, "refuses") || strings.Contains(logs, "not logging in before") {
		t.Errorf("a slow login was taken for a refusal:\n%s", logs)
	}
	if !strings.Contains(logs, "reason=timeout") {
		t.Errorf("the cut scrapes are not logged as timeouts:\n%s", logs)
	}
}

// A probe of the account while another scrape's login waits for the
// vendor answers when its own deadline ends, not when the login does.
func TestAcefoneProbeHonoursItsDeadlineDuringALogin(t *testing.T) {
	fake := acefone.NewFake("", acefoneLoginID, acefonePassword)
	// The login ends when the test releases it, not at its own timeout.
	h, srv := newHarness(t, fake, true, "", func(cfg *config.Config) { cfg.Global.Timeout = config.Duration(time.Hour) })
	arrived, release := heldLogins(t, srv)

	metrics := make(chan struct{})
	go func() {
		defer close(metrics)
		_, _ = h.Exp.Gather(context.Background(), h.Shared)
	}()
	<-arrived // the /metrics scrape is logging in

	ctx, cancel := context.WithCancel(context.Background())
	probed := make(chan bool)
	go func() {
		_, ok := h.Exp.Probe(ctx, "ace")
		probed <- ok
	}()
	cancel()
	// A failsafe, not a measure: a probe that honours its deadline answers
	// at once; one stuck behind the login answers only once it is released.
	failsafe := time.AfterFunc(30*time.Second, release)
	defer failsafe.Stop()
	if ok := <-probed; !ok {
		t.Fatal("the probe did not find the account")
	}
	if !failsafe.Stop() {
		t.Error("the probe answered only after the login it did not need ended")
	}
	release()
	<-metrics
}
