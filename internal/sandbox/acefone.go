package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
)

// Acefone fakes https://api.acefone.co.uk/v1 as its reference pages show
// it: a flat dashboard object without envelope, numbers sometimes sent as
// strings, zone-less "YYYY-MM-DD HH:MM:SS" dates, errors as
// {"success": false, "message"}. It accepts a long-lived API token or
// 1-hour login tokens, sent as "Bearer <token>" or raw.
type Acefone struct {
	APIKey   string // long-lived token; "" accepts none
	LoginID  string // login_id for POST /v1/auth/login
	Password string
	TokenTTL time.Duration    // expires_in of login tokens (default 1h)
	Now      func() time.Time // the fake's clock for token expiry

	mu        sync.Mutex
	tokens    map[string]time.Time // token -> expiry
	issued    int
	logins    int
	refreshes int
	failLogin bool
	replies
}

// Acefone endpoint names, as used in Set.
const (
	AcefoneDashboard  = "billing/dashboard"
	AcefoneDueCharges = "billing/due_charges"
)

// NewAcefone returns an account in GBP with one active plan, a closed one,
// subscriptions in the documented {active, closed} shape and a due date.
func NewAcefone(apiKey, loginID, password string) *Acefone {
	a := &Acefone{APIKey: apiKey, LoginID: loginID, Password: password, TokenTTL: time.Hour, Now: time.Now,
		tokens: map[string]time.Time{}}
	a.Set(AcefoneDashboard, Reply{Body: AcefoneDashboardDoc()})
	a.Set(AcefoneDueCharges, Reply{Body: map[string]any{
		"total_due_amount": "120.25", "total_records": "2", "page": "1",
		"data": []any{
			map[string]any{"id": "1025", "charge": "100.00", "due_amount": "100.00", "description": "Monthly rental",
				"payment_status": "Pending", "due_date": "2026-12-05 00:00:00"},
			map[string]any{"id": "1026", "charge": "20.25", "due_amount": "20.25", "description": "Call charges",
				"payment_status": "Pending", "due_date": "2026-12-10 00:00:00"},
		},
	}})
	return a
}

// AcefoneDashboardDoc is the documented dashboard shape with realistic values.
func AcefoneDashboardDoc() map[string]any {
	return map[string]any{
		"id": 291, "name": "CRM-Client", "email": "billing@example.com",
		"balance": 1520.5, "credit_limit": 500, "due_charges": "120.25",
		"next_billing_date": "2026-12-01 00:00:00", "billing_cycle": "30 days", "auto_charge": 1,
		"billing_type": "Contract", "due_date": "2026-12-05 00:00:00", "currency": "GBP",
		"plans": map[string]any{
			"active": []any{map[string]any{
				"id": 11, "name": "UK Unlimited", "quantity": 5, "auto_renew": 1, "numbers": "441234567890",
				"extension_ids": "1,2", "extension_names": "Sales,Support", "amount_paid": "49.99", "setup_cost": 0,
				"start_date": "2026-11-01 00:00:00", "renew_on_date": "2026-12-01 00:00:00", "end_date": nil,
				"minutes_consumed": "1200", "minutes_remaining": 3800, "minutes_assigned": 5000,
			}},
			"closed": []any{map[string]any{
				"id": 7, "name": "Starter", "quantity": 1, "auto_renew": 0, "amount_paid": 9.99,
				"start_date": "2025-01-01 00:00:00", "renew_on_date": "2025-02-01 00:00:00", "end_date": "2025-02-01 00:00:00",
				"minutes_consumed": 100, "minutes_remaining": 0, "minutes_assigned": 100,
			}},
		},
		"subscriptions": map[string]any{
			"active": []any{
				map[string]any{"id": 5, "name": "DID Subscriptions", "auto_renew": 1, "numbers": 2, "extensions": "", "charge": 10},
				map[string]any{"id": 6, "name": "Call Recording", "auto_renew": 1, "numbers": 0, "extensions": "1,2", "charge": "4.50"},
			},
			"closed": []any{map[string]any{"id": 4, "name": "Fax", "auto_renew": 0, "charge": 3}},
		},
	}
}

// AcefoneSeedSample is the reference page's own sample: next_billing_date
// as a unix number, due_date null, flat subscriptions, no plans.
func AcefoneSeedSample() map[string]any {
	return map[string]any{
		"id": 291, "name": "CRM-Client", "email": "billing@example.com", "balance": 0, "credit_limit": 0,
		"due_charges": 0, "next_billing_date": 1584849600, "billing_cycle": "30 days", "auto_charge": 0,
		"billing_type": "Contract", "due_date": nil, "currency": "GBP",
		"subscriptions": []any{map[string]any{"title": "DID Subscriptions", "type": 5, "charge_per_month": 0, "quantity": 1}},
	}
}

// Set replaces the reply of one endpoint.
func (a *Acefone) Set(endpoint string, rep Reply) { a.set(endpoint, rep) }

// ExpireTokens makes every login token invalid at once.
func (a *Acefone) ExpireTokens() {
	a.mu.Lock()
	a.tokens = map[string]time.Time{}
	a.mu.Unlock()
}

// FailLogins makes logins and refreshes answer 401 (a changed password).
func (a *Acefone) FailLogins(fail bool) {
	a.mu.Lock()
	a.failLogin = fail
	a.mu.Unlock()
}

// Logins and Refreshes count successful auth calls.
func (a *Acefone) Logins() int    { a.mu.Lock(); defer a.mu.Unlock(); return a.logins }
func (a *Acefone) Refreshes() int { a.mu.Lock(); defer a.mu.Unlock(); return a.refreshes }

// Tokens lists every login token handed out, for leak checks.
func (a *Acefone) Tokens() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for i := 1; i <= a.issued; i++ {
		out = append(out, a.token(i))
	}
	return out
}

func (a *Acefone) token(n int) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc([]byte(fmt.Sprintf(`{"sub":%q,"n":%d}`, a.LoginID, n))) + "." + enc([]byte(fmt.Sprintf("sig-%d", n)))
}

func acefoneError(status int, msg string) Reply {
	return Reply{Status: status, Body: map[string]any{"success": false, "message": msg}}
}

func (a *Acefone) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/auth/login":
		a.login(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/auth/refresh":
		a.refresh(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/billing/"):
		if _, ok := a.authorized(r); !ok {
			acefoneError(http.StatusUnauthorized, "Unauthenticated.").write(w)
			return
		}
		rep, ok := a.get(strings.TrimPrefix(r.URL.Path, "/v1/"))
		if !ok {
			acefoneError(http.StatusNotFound, "Not found").write(w)
			return
		}
		rep.write(w)
	default:
		acefoneError(http.StatusNotFound, "Not found").write(w)
	}
}

// authorized accepts "Bearer <token>" and the raw token.
func (a *Acefone) authorized(r *http.Request) (string, bool) {
	tok := strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	if tok == "" {
		return "", false
	}
	if a.APIKey != "" && tok == a.APIKey {
		return tok, true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.tokens[tok]
	return tok, ok && a.Now().Before(exp)
}

func (a *Acefone) issue(w http.ResponseWriter) {
	a.issued++
	tok := a.token(a.issued)
	a.tokens[tok] = a.Now().Add(a.TokenTTL)
	Reply{Body: map[string]any{"success": true, "access_token": tok, "token_type": "bearer",
		"expires_in": int(a.TokenTTL / time.Second)}}.write(w)
}

func (a *Acefone) login(w http.ResponseWriter, r *http.Request) {
	var body struct {
		LoginID  string `json:"login_id"`
		Email    string `json:"email"` // the India host's name for it
		Password string `json:"password"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		acefoneError(http.StatusBadRequest, "Invalid JSON").write(w)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	id := body.LoginID
	if id == "" {
		id = body.Email
	}
	if a.failLogin || a.LoginID == "" || id != a.LoginID || body.Password != a.Password {
		acefoneError(http.StatusUnauthorized, "Invalid login credentials").write(w)
		return
	}
	a.logins++
	a.issue(w)
}

func (a *Acefone) refresh(w http.ResponseWriter, r *http.Request) {
	tok, ok := a.authorized(r)
	a.mu.Lock()
	defer a.mu.Unlock()
	if !ok || a.failLogin || tok == a.APIKey {
		acefoneError(http.StatusUnauthorized, "Token has expired").write(w)
		return
	}
	delete(a.tokens, tok)
	a.refreshes++
	a.issue(w)
}

func init() {
	registerFake(fake{provider: "acefone", fixture: func(i int) (http.Handler, config.Secret) {
		key := fmt.Sprintf("acefone-bench-token-%04d", i)
		return NewAcefone(key, "", ""), config.Secret(key)
	}, demo: func(d *Demo) []config.Account {
		fake := NewAcefone("", "billing@example.com", "demo-password-not-secret")
		fake.Now = d.now
		fake.Set(AcefoneDashboard, Reply{Body: func() any {
			doc := AcefoneDashboardDoc()
			doc["balance"] = d.drift(1520.5, 0.5)
			doc["due_date"] = d.start.UTC().Add(14 * 24 * time.Hour).Format("2006-01-02 15:04:05")
			doc["next_billing_date"] = d.start.UTC().Add(20 * 24 * time.Hour).Format("2006-01-02 15:04:05")
			// 300 of the plan's 5000 minutes left.
			plan := doc["plans"].(map[string]any)["active"].([]any)[0].(map[string]any)
			plan["minutes_consumed"], plan["minutes_remaining"] = "4700", 300
			return doc
		}})
		// A postpaid account with an API token that has spent 460 of its
		// 500 GBP credit line.
		postpaidKey := fmt.Sprintf("ace_demo_%x", 0xace)
		postpaid := NewAcefone(postpaidKey, "", "")
		postpaid.Set(AcefoneDashboard, Reply{Body: func() any {
			doc := AcefoneDashboardDoc()
			doc["id"], doc["name"], doc["balance"], doc["credit_limit"] = 292, "CRM-Postpaid", -460, 500
			doc["due_date"] = d.start.UTC().Add(14 * 24 * time.Hour).Format("2006-01-02 15:04:05")
			doc["next_billing_date"] = d.start.UTC().Add(20 * 24 * time.Hour).Format("2006-01-02 15:04:05")
			return doc
		}})
		return []config.Account{{Name: "acefone-uk", Provider: "acefone", BaseURL: d.Server.Mount("/acefone/uk", fake),
			Settings: config.Settings{"username": config.Setting(fake.LoginID), "password": config.Setting(fake.Password)},
			// A threshold for the Balances panel and BillingBalanceLow.
			Alerts: config.Alerts{MinBalance: map[string]float64{"GBP": 100}}},
			{Name: "acefone-postpaid", Provider: "acefone", BaseURL: d.Server.Mount("/acefone/postpaid", postpaid),
				APIKey: config.Secret(postpaidKey)}}
	}})
}
