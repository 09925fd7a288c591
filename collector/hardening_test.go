package collector

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// attack is one defect an attack run as a hostile vendor found, replayed
// against the fakes; run fails while the defect is there. The server-side
// ones (idle connections, the timeout header, readiness, --config.check)
// are cmd/billing-exporter's TestServerAttacks.
type attack struct {
	name string
	run  func(t *testing.T)
}

var attacks = []attack{
	{"DocSpace's .NET never-expires due date is exact", attackNeverExpires},
	{"Acefone dates in 1600, 2300 and 2286 (unix 9999999999) are exact", attackAcefoneFarDates},
	{"50 concurrent scrapes against a dashboard that always answers 401", attackLoginStorm},
	{"5 sequential scrapes against a dashboard that always answers 401", attackSequentialLogins},
	{"a wrong password is not retried scrape after scrape", attackWrongPassword},
	{"expires_in 1e12", attackExpiresIn(`1e12`, true)},
	{"expires_in 1e300", attackExpiresIn(`1e300`, true)},
	{`expires_in "abc"`, attackExpiresIn(`"abc"`, false)},
	{"Qovery organization and cluster ids that walk up the path", attackPathIDs},
	{"global.cache_ttl 0s switches caching off", attackGlobalCacheOff},
	{"a redirect's target is logged", attackRedirect},
	{"a key echoed URL-encoded is scrubbed", attackURLEncodedKey},
}

func TestAttacks(t *testing.T) {
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			a.run(t)
		})
	}
}

func attackNeverExpires(t *testing.T) {
	fake := sandbox.NewDocSpace(docspaceKey)
	quota := sandbox.DocSpaceQuotaBusiness()
	quota["dueDate"] = "9999-12-31T23:59:59.9999999"
	fake.Set(sandbox.DocSpaceQuota, sandbox.DocSpaceOK(quota))
	h, _ := newDocSpaceHarness(t, map[string]*sandbox.DocSpace{"d": fake})
	h.scrape()
	if up := h.value("billing_up", nil); up != 1 {
		t.Fatalf("billing_up = %v\n%s", up, h.logs.String())
	}
	// 253402300799.9999999 is 253402300800 in a float64.
	if got := h.value("billing_plan_due_timestamp_seconds", nil); math.Abs(got-253402300800) > 1e-3 {
		t.Errorf("billing_plan_due_timestamp_seconds = %v, want 253402300800 (9999-12-31T23:59:59.9999999Z)", got)
	}
}

func attackAcefoneFarDates(t *testing.T) {
	doc := sandbox.AcefoneDashboardDoc()
	doc["next_billing_date"] = 9999999999
	doc["due_date"] = "2300-01-01 00:00:00"
	doc["plans"].(map[string]any)["active"].([]any)[0].(map[string]any)["renew_on_date"] = "1600-01-01 00:00:00"
	fake := sandbox.NewAcefone(acefoneKey, "", "")
	fake.Set(sandbox.AcefoneDashboard, sandbox.Reply{Body: doc})
	h, _ := acefoneHarness(t, fake, false, "Europe/Moscow")
	h.scrape()
	if up := h.value("billing_up", nil); up != 1 {
		t.Fatalf("billing_up = %v\n%s", up, h.logs.String())
	}
	msk, _ := time.LoadLocation("Europe/Moscow")
	for name, want := range map[string]float64{
		"billing_next_billing_timestamp_seconds": 9999999999,
		"billing_due_timestamp_seconds":          float64(time.Date(2300, 1, 1, 0, 0, 0, 0, msk).Unix()),
		"billing_plan_due_timestamp_seconds":     float64(time.Date(1600, 1, 1, 0, 0, 0, 0, msk).Unix()),
	} {
		if got := h.value(name, nil); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}

// alwaysUnauthorized is an Acefone fake whose logins work and whose
// dashboard rejects every token, on a harness; logins counts the login
// requests the fake saw, failed ones included.
func alwaysUnauthorized(t *testing.T) (h *harness, fake *sandbox.Acefone, logins func() int) {
	fake = sandbox.NewAcefone("", acefoneLoginID, acefonePassword)
	fake.Set(sandbox.AcefoneDashboard, sandbox.Reply{Status: http.StatusUnauthorized,
		Body: map[string]any{"success": false, "message": "Unauthenticated."}})
	h, srv := acefoneHarness(t, fake, true, "")
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
func concurrentScrapes(t *testing.T, h *harness, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Go(h.scrape)
	}
	wg.Wait()
}

// One login per 401 episode, then a backoff: at most 2 logins in the first
// minute of 50 concurrent scrapes every 15 s (a fake clock), logged once.
func attackLoginStorm(t *testing.T) {
	h, _, logins := alwaysUnauthorized(t)
	for range 4 {
		concurrentScrapes(t, h, 50)
		h.clock.Advance(15 * time.Second)
	}
	if n := logins(); n > 2 {
		t.Errorf("%d logins in the first minute, want at most 2", n)
	}
	// The backoff is bounded: a minute after it began, one login more. It
	// begins with the second rejected token, in the first round or, when
	// the first round's scrapes all shared one rejected token, the second.
	h.clock.Advance(15 * time.Second)
	concurrentScrapes(t, h, 50)
	if n := logins(); n != 3 {
		t.Errorf("%d logins after the first backoff, want 3", n)
	}
	if n := strings.Count(h.logs.String(), "logging in at most once per backoff"); n != 1 {
		t.Errorf("backoff logged %d times, want once:\n%s", n, h.logs.String())
	}
	h.scrape()
	if up := h.value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v, want 0", up)
	}
}

func attackSequentialLogins(t *testing.T) {
	h, _, logins := alwaysUnauthorized(t)
	for range 5 {
		h.scrape()
		h.clock.Advance(time.Second)
	}
	if n := logins(); n > 2 {
		t.Errorf("%d logins over 5 scrapes, want at most 2", n)
	}
}

func attackWrongPassword(t *testing.T) {
	h, fake, logins := alwaysUnauthorized(t)
	fake.FailLogins(true)
	for range 4 {
		concurrentScrapes(t, h, 10)
		h.clock.Advance(15 * time.Second)
	}
	if n := logins(); n > 2 {
		t.Errorf("%d login attempts with a wrong password in a minute, want at most 2", n)
	}
}

// A login answer with a huge expires_in kept the token forever expired
// (every scrape logged in); "abc" failed a login that returned a token.
func attackExpiresIn(expiresIn string, huge bool) func(t *testing.T) {
	return func(t *testing.T) {
		const token = "acefone-login-token-from-a-hostile-vendor"
		fake := sandbox.NewAcefone(token, "", "") // accepts the token the login below hands out
		h, srv := acefoneHarness(t, fake, true, "")
		var logins atomic.Int64
		srv.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if r.URL.Path != "/ace/v1/auth/login" {
				return false
			}
			logins.Add(1)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"success":true,"access_token":%q,"token_type":"bearer","expires_in":%s}`, token, expiresIn)
			return true
		})
		step := func(d time.Duration, want int64) {
			t.Helper()
			h.clock.Advance(d)
			h.scrape()
			if up := h.value("billing_up", nil); up != 1 {
				t.Errorf("billing_up = %v\n%s", up, h.logs.String())
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
		h.assertNoSecret(token)
	}
}

// Ids go into the path escaped: the token never reaches another path.
func attackPathIDs(t *testing.T) {
	const evilOrg, evilCluster = "../../v1/auth/x?a=1#", "../../../../v1/auth/y?b=2"
	fake := sandbox.NewQovery(qoveryToken,
		sandbox.QoveryOrg{ID: evilOrg, Name: "evil"},
		sandbox.QoveryOrg{ID: orgA, Name: "alpha", Clusters: []sandbox.QoveryCluster{{ID: evilCluster, Name: "c", Cost: sandbox.QoveryCost(1, 2)}}})
	h, srv := qoveryHarness(t, fake, config.Account{}, nil)
	var mu sync.Mutex
	var sent []string
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		mu.Lock()
		sent = append(sent, r.RequestURI)
		mu.Unlock()
		return false
	})
	h.scrape()
	mu.Lock()
	defer mu.Unlock()
	var org, cluster bool
	for _, uri := range sent {
		if !strings.HasPrefix(uri, "/qov/organization") || strings.ContainsAny(uri, "?#") || strings.Contains(uri, "/v1/") {
			t.Errorf("request left the organization path: %s", uri)
		}
		org = org || strings.HasPrefix(uri, "/qov/organization/"+url.PathEscape(evilOrg)+"/")
		cluster = cluster || strings.Contains(uri, "/cluster/"+url.PathEscape(evilCluster)+"/currentCost")
	}
	if !org || !cluster {
		t.Errorf("the hostile ids were not requested (organization %v, cluster %v): %q", org, cluster, sent)
	}
}

// global.cache_ttl 0s silently meant 5m, while an account's 0s meant off.
func attackGlobalCacheOff(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	doc := fmt.Sprintf("global:\n  cache_ttl: 0s\naccounts:\n  - name: d\n    provider: docspace\n    base_url: %s\n    api_key: %s\n",
		srv.Mount("/d", sandbox.NewDocSpace(docspaceKey)), docspaceKey)
	cfg, err := config.Parse([]byte(doc), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, cfg)
	h.scrape()
	first := len(srv.Requests())
	h.scrape() // same instant on the fake clock
	if again := len(srv.Requests()) - first; again != first {
		t.Errorf("second scrape sent %d requests, the first %d: cache_ttl 0s did not switch caching off", again, first)
	}
}

// A redirect was logged status=302 reason=server detail= with no target.
func attackRedirect(t *testing.T) {
	h, srv := newDocSpaceHarness(t, map[string]*sandbox.DocSpace{"d": sandbox.NewDocSpace(docspaceKey)})
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		w.Header().Set("Location", "https://sso.example.com/login?session=abc")
		w.WriteHeader(http.StatusFound)
		return true
	})
	h.scrape()
	logs := h.logs.String()
	if !strings.Contains(logs, "status=302") || !strings.Contains(logs, "redirect to https://sso.example.com/login (not followed)") {
		t.Errorf("the log does not name the redirect's target:\n%s", logs)
	}
	if strings.Contains(logs, "session=abc") {
		t.Errorf("the log shows the redirect's query:\n%s", logs)
	}
}

// An error body echoing the key URL-encoded (Bearer%20sk-…) was logged as is.
func attackURLEncodedKey(t *testing.T) {
	const key = "sk-base64+KEY/with=padding=="
	h, srv := newDocSpaceHarness(t, map[string]*sandbox.DocSpace{"d": sandbox.NewDocSpace(key)})
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"message":"rejected Authorization=Bearer%%20%s"}}`, url.QueryEscape(key))
		return true
	})
	h.scrape()
	logs := h.logs.String()
	if strings.Contains(logs, url.QueryEscape(key)) || !strings.Contains(logs, "<secret>") {
		t.Errorf("the URL-encoded key is in the log:\n%s", logs)
	}
}
