package acefone

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// Fake is https://api.acefone.co.uk/v1 as its reference pages show
// it: a flat dashboard object without envelope, numbers sometimes sent as
// strings, zone-less "YYYY-MM-DD HH:MM:SS" dates, errors as
// {"success": false, "message"}. It accepts a long-lived API token or
// 1-hour login tokens, sent as "Bearer <token>" or raw.
type Fake struct {
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
	sandbox.Replies
}

// NewFake returns an account in GBP with one active plan, a closed one,
// subscriptions in the documented {active, closed} shape and a due date.
func NewFake(apiKey, loginID, password string) *Fake {
	a := &Fake{APIKey: apiKey, LoginID: loginID, Password: password, TokenTTL: time.Hour, Now: time.Now,
		tokens: map[string]time.Time{}}
	a.Set(Dashboard.Name, sandbox.Reply{Body: DashboardDoc()})
	a.Set(DueCharges.Name, sandbox.Reply{Body: map[string]any{
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

// DashboardDoc is the documented dashboard shape with realistic values.
func DashboardDoc() map[string]any {
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

// SeedSample is the reference page's own sample: next_billing_date
// as a unix number, due_date null, flat subscriptions, no plans.
func SeedSample() map[string]any {
	return map[string]any{
		"id": 291, "name": "CRM-Client", "email": "billing@example.com", "balance": 0, "credit_limit": 0,
		"due_charges": 0, "next_billing_date": 1584849600, "billing_cycle": "30 days", "auto_charge": 0,
		"billing_type": "Contract", "due_date": nil, "currency": "GBP",
		"subscriptions": []any{map[string]any{"title": "DID Subscriptions", "type": 5, "charge_per_month": 0, "quantity": 1}},
	}
}

// ExpireTokens makes every login token invalid at once.
func (a *Fake) ExpireTokens() {
	a.mu.Lock()
	a.tokens = map[string]time.Time{}
	a.mu.Unlock()
}

// FailLogins makes logins and refreshes answer 401 (a changed password).
func (a *Fake) FailLogins(fail bool) {
	a.mu.Lock()
	a.failLogin = fail
	a.mu.Unlock()
}

// SetPassword changes the password logins need; tokens already issued
// stay valid, as the vendor's do.
func (a *Fake) SetPassword(password string) {
	a.mu.Lock()
	a.Password = password
	a.mu.Unlock()
}

// Logins counts successful logins.
func (a *Fake) Logins() int { a.mu.Lock(); defer a.mu.Unlock(); return a.logins }

// Refreshes counts successful token refreshes.
func (a *Fake) Refreshes() int { a.mu.Lock(); defer a.mu.Unlock(); return a.refreshes }

// Tokens lists every login token handed out, for leak checks.
func (a *Fake) Tokens() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for i := 1; i <= a.issued; i++ {
		out = append(out, a.token(i))
	}
	return out
}

func (a *Fake) token(n int) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc([]byte(fmt.Sprintf(`{"sub":%q,"n":%d}`, a.LoginID, n))) + "." + enc([]byte(fmt.Sprintf("sig-%d", n)))
}

func errorReply(status int, msg string) sandbox.Reply {
	return sandbox.Reply{Status: status, Body: map[string]any{"success": false, "message": msg}}
}

func (a *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/auth/login":
		a.login(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/auth/refresh":
		a.refresh(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/billing/"):
		if _, ok := a.authorized(r); !ok {
			errorReply(http.StatusUnauthorized, "Unauthenticated.").Write(w)
			return
		}
		rep, ok := a.Get(strings.TrimPrefix(r.URL.Path, "/v1/"))
		if !ok {
			errorReply(http.StatusNotFound, "Not found").Write(w)
			return
		}
		rep.Write(w)
	default:
		errorReply(http.StatusNotFound, "Not found").Write(w)
	}
}

// authorized accepts "Bearer <token>" and the raw token.
func (a *Fake) authorized(r *http.Request) (string, bool) {
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

func (a *Fake) issue(w http.ResponseWriter) {
	a.issued++
	tok := a.token(a.issued)
	a.tokens[tok] = a.Now().Add(a.TokenTTL)
	sandbox.Reply{Body: map[string]any{"success": true, "access_token": tok, "token_type": "bearer",
		"expires_in": int(a.TokenTTL / time.Second)}}.Write(w)
}

func (a *Fake) login(w http.ResponseWriter, r *http.Request) {
	var body struct {
		LoginID  string `json:"login_id"`
		Email    string `json:"email"` // the India host's name for it
		Password string `json:"password"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		errorReply(http.StatusBadRequest, "Invalid JSON").Write(w)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	id := body.LoginID
	if id == "" {
		id = body.Email
	}
	if a.failLogin || a.LoginID == "" || id != a.LoginID || body.Password != a.Password {
		errorReply(http.StatusUnauthorized, "Invalid login credentials").Write(w)
		return
	}
	a.logins++
	a.issue(w)
}

func (a *Fake) refresh(w http.ResponseWriter, r *http.Request) {
	tok, ok := a.authorized(r)
	a.mu.Lock()
	defer a.mu.Unlock()
	if !ok || a.failLogin || tok == a.APIKey {
		errorReply(http.StatusUnauthorized, "Token has expired").Write(w)
		return
	}
	delete(a.tokens, tok)
	a.refreshes++
	a.issue(w)
}

// demo is a prepaid account with a login whose plan minutes run low, and
// a postpaid one near its credit limit.
func demo(d *sandbox.Demo) []config.Account {
	fake := NewFake("", "billing@example.com", "demo-password-not-secret")
	fake.Now = d.Now
	fake.Set(Dashboard.Name, sandbox.Reply{Body: func() any {
		doc := DashboardDoc()
		doc["balance"] = d.Drift(1520.5, 0.5)
		doc["due_date"] = d.Start().UTC().Add(14 * 24 * time.Hour).Format("2006-01-02 15:04:05")
		doc["next_billing_date"] = d.Start().UTC().Add(20 * 24 * time.Hour).Format("2006-01-02 15:04:05")
		// 300 of the plan's 5000 minutes left.
		plan := doc["plans"].(map[string]any)["active"].([]any)[0].(map[string]any)
		plan["minutes_consumed"], plan["minutes_remaining"] = "4700", 300
		return doc
	}})
	// A postpaid account with an API token that has spent 460 of its
	// 500 GBP credit line.
	postpaidKey := fmt.Sprintf("ace_demo_%x", 0xace)
	postpaid := NewFake(postpaidKey, "", "")
	postpaid.Set(Dashboard.Name, sandbox.Reply{Body: func() any {
		doc := DashboardDoc()
		doc["id"], doc["name"], doc["balance"], doc["credit_limit"] = 292, "CRM-Postpaid", -460, 500
		doc["due_date"] = d.Start().UTC().Add(14 * 24 * time.Hour).Format("2006-01-02 15:04:05")
		doc["next_billing_date"] = d.Start().UTC().Add(20 * 24 * time.Hour).Format("2006-01-02 15:04:05")
		return doc
	}})
	return []config.Account{{Name: "acefone-uk", Provider: "acefone", BaseURL: d.Server.Mount("/acefone/uk", fake),
		Settings: config.Settings{"username": config.Setting(fake.LoginID), "password": config.Setting(fake.Password)},
		// A threshold for the Balances panel and BillingBalanceLow.
		Alerts: config.Alerts{MinBalance: map[string]float64{"GBP": 100}}},
		{Name: "acefone-postpaid", Provider: "acefone", BaseURL: d.Server.Mount("/acefone/postpaid", postpaid),
			APIKey: config.Secret(postpaidKey)}}
}
