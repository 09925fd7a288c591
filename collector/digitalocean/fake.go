package digitalocean

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// Fake is https://api.digitalocean.com's GET /v2/customers/my/balance as
// DigitalOcean's OpenAPI spec describes it: amounts as decimal strings,
// errors as {"id", "message", "request_id"}, 401 without
// "Authorization: Bearer <token>", ratelimit-limit, -remaining and -reset
// on every answer to the token, and 429 past its limits: with retry-after
// (seconds) past the per-minute burst limit, without it past the hourly
// limit. Each request counts against a limit for a full hour (or minute)
// after it was made, as the spec describes.
// Its replies are set by endpoint name (Balance.Name).
type Fake struct {
	Token string
	// PerHour and PerMinute are the token's limits; 0 lifts one.
	PerHour, PerMinute int
	// Now is the fake's clock (nil: time.Now).
	Now func() time.Time
	sandbox.Replies

	mu       sync.Mutex
	accepted []time.Time // requests of the last hour that counted, oldest first
	requests int         // for request ids
}

// The spec's rate limits of one token.
const (
	LimitPerHour   = 5000
	LimitPerMinute = 250
)

// NewFake returns a team that owes money: 42.17 from past billing and
// 18.05 of usage this month.
func NewFake(token string) *Fake {
	f := &Fake{Token: token, PerHour: LimitPerHour, PerMinute: LimitPerMinute}
	f.SetBalance("60.22", "42.17", "18.05")
	return f
}

// SetBalance answers the balance with these amounts, as the API writes
// them; generated_at is the fake's now.
func (f *Fake) SetBalance(monthToDateBalance, accountBalance, monthToDateUsage string) {
	f.Set(Balance.Name, sandbox.Reply{Body: func() any {
		return BalanceDoc(monthToDateBalance, accountBalance, monthToDateUsage, f.now())
	}})
}

// BalanceDoc is a balance answer.
func BalanceDoc(monthToDateBalance, accountBalance, monthToDateUsage string, generated time.Time) map[string]any {
	return map[string]any{
		"month_to_date_balance": monthToDateBalance,
		"account_balance":       accountBalance,
		"month_to_date_usage":   monthToDateUsage,
		"generated_at":          generated.UTC().Format(time.RFC3339),
	}
}

// ErrorReply is the API's error body for status.
func ErrorReply(status int, id, message, requestID string) sandbox.Reply {
	body := map[string]any{"id": id, "message": message}
	if requestID != "" {
		body["request_id"] = requestID
	}
	return sandbox.Reply{Status: status, Body: body}
}

func (f *Fake) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	requestID := fmt.Sprintf("5e1d0c4a-0000-4000-8000-%012d", f.requests)
	f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+f.Token {
		ErrorReply(http.StatusUnauthorized, "unauthorized", "Unable to authenticate you.", requestID).Write(w)
		return
	}
	if !f.admit(w) {
		ErrorReply(http.StatusTooManyRequests, "too_many_requests", "API Rate limit exceeded.", requestID).Write(w)
		return
	}
	rep, ok := f.Get(Balance.Name)
	if r.Method != http.MethodGet || r.URL.Path != Balance.Path || !ok {
		ErrorReply(http.StatusNotFound, "not_found", "The resource you requested could not be found.", requestID).Write(w)
		return
	}
	rep.Write(w)
}

// admit counts a request of the token against its limits and sets the
// rate-limit headers; false when a limit is reached.
func (f *Fake) admit(w http.ResponseWriter) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	for len(f.accepted) > 0 && !f.accepted[0].After(now.Add(-time.Hour)) {
		f.accepted = f.accepted[1:]
	}
	inMinute := 0
	for _, at := range f.accepted {
		if at.After(now.Add(-time.Minute)) {
			inMinute++
		}
	}
	overHour := f.PerHour > 0 && len(f.accepted) >= f.PerHour
	overMinute := f.PerMinute > 0 && inMinute >= f.PerMinute
	if !overHour && !overMinute {
		f.accepted = append(f.accepted, now)
	}
	if f.PerHour > 0 {
		h := w.Header()
		h.Set("ratelimit-limit", strconv.Itoa(f.PerHour))
		remaining := max(f.PerHour-len(f.accepted), 0)
		if overMinute {
			remaining = 0 // the spec: a burst limit reached also shows 0
		}
		h.Set("ratelimit-remaining", strconv.Itoa(remaining))
		reset := now
		if len(f.accepted) > 0 {
			reset = f.accepted[0].Add(time.Hour)
		}
		h.Set("ratelimit-reset", strconv.FormatInt(reset.Unix(), 10))
	}
	if overMinute && !overHour {
		// Until the oldest request of the last minute stops counting.
		oldest := f.accepted[len(f.accepted)-inMinute]
		wait := oldest.Add(time.Minute).Sub(now)
		w.Header().Set("retry-after", strconv.Itoa(max(int(math.Ceil(wait.Seconds())), 1)))
	}
	return !overHour && !overMinute
}

// fakeToken makes a token valid only against the sandbox's fakes; it does
// not look like a real DigitalOcean token, so that no secret scanner
// takes it for one.
func fakeToken(n int) string { return fmt.Sprintf("do-sandbox-token-%06x", n) }

// demo is a team that owes money, past the 50 USD it accepts owing (its
// alerts.min_balance is -50), and one with prepaid credit left.
func demo(d *sandbox.Demo) []config.Account {
	owingToken := fakeToken(0xd0a1)
	owing := NewFake(owingToken)
	owing.Now = d.Now
	owing.SetBalance("60.22", "42.17", "18.05")

	creditToken := fakeToken(0xd0a2)
	credit := NewFake(creditToken)
	credit.Now = d.Now
	credit.SetBalance("-87.50", "-100.00", "12.50")

	return []config.Account{
		{Name: "digitalocean", Provider: "digitalocean", BaseURL: d.Server.Mount("/digitalocean/owing", owing),
			APIKey: config.Secret(owingToken), Alerts: config.Alerts{MinBalance: map[string]float64{"USD": -50}}},
		{Name: "digitalocean-credit", Provider: "digitalocean", BaseURL: d.Server.Mount("/digitalocean/credit", credit),
			APIKey: config.Secret(creditToken)},
	}
}

// fixture is a team with prepaid credit that this month's usage has not
// used up.
func fixture(i int) (http.Handler, config.Secret) {
	token := fakeToken(0xbe000 + i)
	f := NewFake(token)
	f.SetBalance("-75.40", "-100.00", "24.60")
	return f, config.Secret(token)
}
