package digitalocean_test

import (
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/digitalocean"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const token = "do-test-token-9f8e7d6c"

// harness serves each fake as an account of its name, on one clock.
func harness(t *testing.T, fakes map[string]http.Handler, keys map[string]string) (*collectortest.Harness, *sandbox.Server) {
	t.Helper()
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	cfg := &config.Config{}
	for name, fake := range fakes {
		key := token
		if k, ok := keys[name]; ok {
			key = k
		}
		cfg.Accounts = append(cfg.Accounts, config.Account{Name: name, Provider: "digitalocean",
			BaseURL: srv.Mount("/"+name, fake), APIKey: config.Secret(key)})
	}
	return collectortest.New(t, cfg), srv
}

func one(t *testing.T, fake http.Handler) (*collectortest.Harness, *sandbox.Server) {
	t.Helper()
	return harness(t, map[string]http.Handler{"do": fake}, nil)
}

func TestDigitalOceanBalance(t *testing.T) {
	h, srv := one(t, digitalocean.NewFake(token))
	h.Expect(`
# HELP billing_balance Money left to spend in the account's currency: a prepaid balance, negative when money is owed. wallet names a balance kept apart for one use (ai: AI credits), empty for the account's main balance. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_balance gauge
billing_balance{account="do",currency="USD",provider="digitalocean",wallet=""} -60.22
# HELP billing_due_charges Charges due on the account, to be paid. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_due_charges gauge
billing_due_charges{account="do",currency="USD",provider="digitalocean"} 42.17
# HELP billing_current_cost Cost so far of the current billing period, in its currency. Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail.
# TYPE billing_current_cost gauge
billing_current_cost{account="do",currency="USD",organization="",organization_id="",provider="digitalocean"} 18.05
# HELP billing_up 1 if every endpoint of the account answered as the API intends during this scrape (fresh or cached answers), 0 if any failed.
# TYPE billing_up gauge
billing_up{account="do",provider="digitalocean"} 1
`, "billing_balance", "billing_due_charges", "billing_current_cost", "billing_up")
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodGet || reqs[0].Path != "/do/v2/customers/my/balance" || !reqs[0].HasAuth {
		t.Errorf("requests %+v, want one authorized GET of /v2/customers/my/balance", reqs)
	}
}

// DigitalOcean's amounts are owed: billing_balance is their opposite,
// due charges are account_balance only while it is owed, and the cost is
// the month's usage as it stands. Decimal strings decode exactly.
func TestDigitalOceanSignsAndDecimals(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		monthToDate, account, use any
		balance, due, cost        float64
	}{
		{"owing", "60.22", "42.17", "18.05", -60.22, 42.17, 18.05},
		{"prepaid credit left", "-87.50", "-100.00", "12.50", 87.5, 0, 12.5},
		{"credit used up, usage owed", "3.10", "-20.00", "23.10", -3.1, 0, 23.1},
		{"settled", "0.00", "0.00", "0.00", 0, 0, 0},
		{"negative zero", "-0.00", "-0", "0", 0, 0, 0},
		{"many decimals", "12.3400", "-5.10", "17.4400", -12.34, 0, 17.44},
		{"big amounts", "123456789012.34", "98765432109.87", "24691356902.47", -123456789012.34, 98765432109.87, 24691356902.47},
		{"numbers, not strings", 60.22, 42.17, 18.05, -60.22, 42.17, 18.05},
		{"padded strings", " 7.5 ", "1", "6.5", -7.5, 1, 6.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := digitalocean.NewFake(token)
			fake.Set(digitalocean.Balance.Name, sandbox.Reply{Body: map[string]any{"month_to_date_balance": tc.monthToDate,
				"account_balance": tc.account, "month_to_date_usage": tc.use, "generated_at": "2026-11-24T11:58:00Z"}})
			h, _ := one(t, fake)
			if up := h.Value("billing_up", nil); up != 1 {
				t.Fatalf("billing_up = %v\n%s", up, h.Logs)
			}
			for name, want := range map[string]float64{"billing_balance": tc.balance, "billing_due_charges": tc.due, "billing_current_cost": tc.cost} {
				got := h.Value(name, map[string]string{"currency": "USD"})
				if got != want || math.Signbit(got) != math.Signbit(want) {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
		})
	}
}

// A field null or left out gives no series of its own; the others stand
// and the account is up.
func TestDigitalOceanNullAndAbsentFields(t *testing.T) {
	fields := map[string]string{"month_to_date_balance": "billing_balance", "account_balance": "billing_due_charges",
		"month_to_date_usage": "billing_current_cost"}
	for field, family := range fields {
		for _, absent := range []string{"null", "absent", "empty string"} {
			t.Run(field+" "+absent, func(t *testing.T) {
				body := digitalocean.BalanceDoc("60.22", "42.17", "18.05", collectortest.NewClock().Now())
				switch absent {
				case "null":
					body[field] = nil
				case "absent":
					delete(body, field)
				default:
					body[field] = ""
				}
				fake := digitalocean.NewFake(token)
				fake.Set(digitalocean.Balance.Name, sandbox.Reply{Body: body})
				h, _ := one(t, fake)
				if up := h.Value("billing_up", nil); up != 1 {
					t.Fatalf("billing_up = %v\n%s", up, h.Logs)
				}
				for _, other := range fields {
					want := 1
					if other == family {
						want = 0
					}
					if n := h.Count(other, nil); n != want {
						t.Errorf("%s: %d series, want %d", other, n, want)
					}
				}
			})
		}
	}
	for _, body := range []string{`{}`, `null`, `{"generated_at": null}`} {
		t.Run(body, func(t *testing.T) {
			fake := digitalocean.NewFake(token)
			fake.Set(digitalocean.Balance.Name, sandbox.Reply{Body: body})
			h, _ := one(t, fake)
			if up := h.Value("billing_up", nil); up != 1 {
				t.Errorf("billing_up = %v\n%s", up, h.Logs)
			}
			for _, family := range fields {
				if n := h.Count(family, nil); n != 0 {
					t.Errorf("%s: %d series from %s", family, n, body)
				}
			}
		})
	}
}

// An amount that is not a number is a broken answer: the account is down
// and the log names the field.
func TestDigitalOceanAmountNotANumber(t *testing.T) {
	for _, bad := range []any{"12,34", "lots", true, map[string]any{"amount": "1"}, "1e400"} {
		fake := digitalocean.NewFake(token)
		body := digitalocean.BalanceDoc("60.22", "42.17", "18.05", time.Unix(0, 0))
		body["account_balance"] = bad
		fake.Set(digitalocean.Balance.Name, sandbox.Reply{Body: body})
		h, _ := one(t, fake)
		if up := h.Value("billing_up", nil); up != 0 {
			t.Errorf("account_balance %v: billing_up = %v, want 0", bad, up)
		}
		if v := h.Value("billing_upstream_errors_total", map[string]string{"reason": "decode"}); v != 1 {
			t.Errorf("account_balance %v: decode errors = %v, want 1", bad, v)
		}
		if logs := h.Logs.String(); !strings.Contains(logs, "endpoint=customers/my/balance") || !strings.Contains(logs, "account_balance") {
			t.Errorf("account_balance %v: the log does not name the endpoint and field:\n%s", bad, logs)
		}
	}
}

// A wrong token gets the API's 401: the account is down with reason auth
// and the vendor's message, another account is untouched, and neither
// token shows anywhere (the harness checks its configured secrets too).
func TestDigitalOceanWrongToken(t *testing.T) {
	const wrong = "do-test-token-revoked-000"
	h, _ := harness(t, map[string]http.Handler{"bad": digitalocean.NewFake(token), "good": digitalocean.NewFake(token)},
		map[string]string{"bad": wrong})
	if up := h.Value("billing_up", map[string]string{"account": "bad"}); up != 0 {
		t.Errorf("wrong token: billing_up = %v, want 0", up)
	}
	if v := h.Value("billing_upstream_errors_total", map[string]string{"account": "bad", "reason": "auth"}); v != 1 {
		t.Errorf("auth errors = %v, want 1", v)
	}
	if v := h.Value("billing_upstream_requests_total", map[string]string{"account": "bad", "code": "401"}); v != 1 {
		t.Errorf("401 answers = %v, want 1: an auth failure is not retried", v)
	}
	if n := h.Count("billing_balance", map[string]string{"account": "bad"}); n != 0 {
		t.Errorf("wrong token exported %d balances", n)
	}
	if up := h.Value("billing_up", map[string]string{"account": "good"}); up != 1 {
		t.Errorf("the other account: billing_up = %v", up)
	}
	logs := h.Logs.String()
	for _, want := range []string{"account=bad", "endpoint=customers/my/balance", "status=401", "reason=auth", `detail="Unable to authenticate you."`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "request_id") || strings.Contains(logs, "5e1d0c4a-") {
		t.Errorf("the log carries the request id, which differs on every call:\n%s", logs)
	}
	h.AssertNoSecret(wrong, token)
}

// A token without the billing:read scope gets 403: a failure of its own
// reason, with the vendor's message.
func TestDigitalOceanForbidden(t *testing.T) {
	fake := digitalocean.NewFake(token)
	fake.Set(digitalocean.Balance.Name, digitalocean.ErrorReply(http.StatusForbidden, "forbidden",
		"You are not authorized to perform this operation", "5e1d0c4a-0000-4000-8000-000000000403"))
	h, _ := one(t, fake)
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v, want 0", up)
	}
	if v := h.Value("billing_upstream_errors_total", map[string]string{"reason": "forbidden"}); v != 1 {
		t.Errorf("forbidden errors = %v, want 1", v)
	}
	if !strings.Contains(h.Logs.String(), `detail="You are not authorized to perform this operation"`) {
		t.Errorf("log lacks the vendor's message:\n%s", h.Logs)
	}
}

// An error body without a message still says something: its id.
func TestDigitalOceanErrorWithoutMessage(t *testing.T) {
	fake := digitalocean.NewFake(token)
	fake.Set(digitalocean.Balance.Name, sandbox.Reply{Status: http.StatusNotFound, Body: map[string]any{"id": "not_found"}})
	h, _ := one(t, fake)
	h.Scrape()
	if !strings.Contains(h.Logs.String(), `detail=not_found`) {
		t.Errorf("log lacks the error's id:\n%s", h.Logs)
	}
}

// A burst past the per-minute limit gets 429 with retry-after. The wait
// does not fit the request's timeout, so the client gives up at once and
// remembers it: until retry-after has passed no request reaches
// DigitalOcean however often Prometheus scrapes, the last good values
// stand in with billing_up 0, and the first scrape after it reads again.
func TestDigitalOceanRetryAfterHeld(t *testing.T) {
	clock := collectortest.NewClock()
	fake := digitalocean.NewFake(token)
	fake.Now, fake.PerMinute = clock.Now, 1
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	h := collectortest.NewOn(t, &config.Config{Accounts: []config.Account{{Name: "do", Provider: "digitalocean",
		BaseURL: srv.Mount("/do", fake), APIKey: token}}}, clock)
	requests := func(code string) float64 {
		t.Helper()
		v, _ := h.Find("billing_upstream_requests_total", map[string]string{"code": code})
		return v
	}

	h.Scrape()
	if up := h.Value("billing_up", nil); up != 1 {
		t.Fatalf("first scrape: billing_up = %v\n%s", up, h.Logs)
	}

	clock.Advance(time.Second) // the cache has expired; the minute's one request is used
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("rate limited: billing_up = %v, want 0", up)
	}
	if got := requests("429"); got != 1 {
		t.Errorf("429 answers = %v, want 1: a retry-after of 59 s is not waited out within a 10 s timeout", got)
	}
	if v := h.Value("billing_balance", nil); v != -60.22 {
		t.Errorf("while rate limited: billing_balance = %v, want the last good -60.22", v)
	}
	if !strings.Contains(h.Logs.String(), "Retry-After: 59") {
		t.Errorf("the log does not show the vendor's retry-after:\n%s", h.Logs)
	}

	for range 3 { // 57 s of scrapes every 19 s: all inside retry-after
		clock.Advance(19 * time.Second)
		h.Scrape()
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("%d requests reached the vendor, want 2: none while retry-after lasts", n)
	}
	if v := h.Value("billing_upstream_errors_total", map[string]string{"reason": "rate_limited"}); v != 4 {
		t.Errorf("rate_limited errors = %v, want 4 (the 429, then 3 scrapes held back)", v)
	}

	clock.Advance(3 * time.Second) // past retry-after, and the first request is a minute old
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("after retry-after: billing_up = %v, want 1\n%s", up, h.Logs)
	}
	if got, n := requests("200"), len(srv.Requests()); got != 2 || n != 3 {
		t.Errorf("after retry-after: %v answers 200 of %d requests, want 2 of 3", got, n)
	}
}

// A 429 whose retry-after fits the request's timeout is waited out and
// retried within the same scrape.
func TestDigitalOceanRetryAfterWaitedOut(t *testing.T) {
	fake := digitalocean.NewFake(token)
	var first atomic.Bool
	limited := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if first.CompareAndSwap(false, true) {
			w.Header().Set("retry-after", "1")
			w.Header().Set("ratelimit-remaining", "0")
			digitalocean.ErrorReply(http.StatusTooManyRequests, "too_many_requests", "API Rate limit exceeded.", "").Write(w)
			return
		}
		fake.ServeHTTP(w, r)
	})
	h, _ := one(t, limited)
	if up := h.Value("billing_up", nil); up != 1 {
		t.Fatalf("billing_up = %v, want 1 after the retry\n%s", up, h.Logs)
	}
	for code, want := range map[string]float64{"429": 1, "200": 1} {
		if v := h.Value("billing_upstream_requests_total", map[string]string{"code": code}); v != want {
			t.Errorf("requests with code %s = %v, want %v", code, v, want)
		}
	}
	if v, _ := h.Find("billing_upstream_errors_total", map[string]string{"reason": "rate_limited"}); v != 0 {
		t.Errorf("a 429 waited out counted %v errors", v)
	}
}

func TestDigitalOceanLint(t *testing.T) {
	credit := digitalocean.NewFake(token)
	credit.SetBalance("-87.50", "-100.00", "12.50")
	h, _ := harness(t, map[string]http.Handler{"owing": digitalocean.NewFake(token), "credit": credit}, nil)
	problems, err := testutil.GatherAndLint(h.Reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
