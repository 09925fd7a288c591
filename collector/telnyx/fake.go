package telnyx

import (
	"fmt"
	"math/big"
	"net/http"
	"strings"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// Fake is one Telnyx account's /v2/balance and
// /v2/payment/auto_recharge_prefs, as the API v2 spec describes them:
// payloads under "data" with a record_type, amounts as decimal strings;
// errors as {"errors": [{"code", "title", "detail", ...}]}, a 401 with
// code 10009 for a request without "Authorization: Bearer <key>" and a
// 404 with code 10005 for a path it does not know. It knows GET only
// (anything else is a 404), as the exporter never writes.
type Fake struct {
	APIKey string
	sandbox.Replies
}

// NewFake returns an account of 300 USD with a 100 USD credit line,
// 10 USD pending, and auto recharge on under 104 USD by 104 USD.
func NewFake(apiKey string) *Fake {
	f := &Fake{APIKey: apiKey}
	f.Set(Balance.Name, OK(BalanceData("300.00", "100.00", "10.00", "USD")))
	f.Set(AutoRechargePrefs.Name, OK(PrefsData(true, "104.00", "104.00")))
	return f
}

// BalanceData is a balance payload. available_credit is balance plus
// credit limit, as Telnyx computes it, to the cent; amounts that are not
// decimals leave it out.
func BalanceData(balance, creditLimit, pending, currency string) map[string]any {
	doc := map[string]any{"balance": balance, "credit_limit": creditLimit, "pending": pending,
		"currency": currency, "record_type": "balance"}
	b, okB := new(big.Rat).SetString(balance)
	c, okC := new(big.Rat).SetString(creditLimit)
	if okB && okC {
		doc["available_credit"] = new(big.Rat).Add(b, c).FloatString(2)
	}
	return doc
}

// PrefsData is an auto recharge preferences payload.
func PrefsData(enabled bool, threshold, recharge string) map[string]any {
	return map[string]any{"id": "1938475610293847561", "enabled": enabled, "invoice_enabled": false,
		"preference": "credit_paypal", "record_type": "auto_recharge_pref",
		"threshold_amount": threshold, "recharge_amount": recharge}
}

// OK wraps a payload (or a func() any making one per request) in
// {"data": …}.
func OK(payload any) sandbox.Reply {
	return sandbox.Wrapped(payload, func(p any) any { return map[string]any{"data": p} })
}

// ErrorReply is the API's error body with one error.
func ErrorReply(status int, code, title, detail string) sandbox.Reply {
	return sandbox.Reply{Status: status, Body: map[string]any{"errors": []any{map[string]any{
		"code": code, "title": title, "detail": detail,
		"meta": map[string]any{"url": "https://developers.telnyx.com/docs/overview/errors/" + code},
	}}}}
}

// NoPreferences makes the account one that never saved auto recharge
// preferences: the API answers 404.
func (f *Fake) NoPreferences() {
	f.Set(AutoRechargePrefs.Name, notFound())
}

func notFound() sandbox.Reply {
	return ErrorReply(http.StatusNotFound, "10005", "Resource not found", "Nothing is stored at this address.")
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+f.APIKey {
		ErrorReply(http.StatusUnauthorized, "10009", "Authentication failed", "The API key is missing or not valid.").Write(w)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/v2/")
	rep, known := f.Get(name)
	if !ok || !known || r.Method != http.MethodGet {
		notFound().Write(w)
		return
	}
	rep.Write(w)
}

// fakeKey makes a key shaped like Telnyx's (KEY, 32 hex digits, an
// underscore and a suffix), valid only against the sandbox's fakes.
func fakeKey(n int) string { return fmt.Sprintf("KEY%032X_sandboxOnlyNotAKey", n) }

// demo is a prepaid account with auto recharge on, and one that has used
// most of its credit line and saved no recharge preferences.
func demo(d *sandbox.Demo) []config.Account {
	mainKey := fakeKey(0x7e11)
	main := NewFake(mainKey)
	main.Set(Balance.Name, OK(func() any {
		return BalanceData(fmt.Sprintf("%.2f", d.Drift(842.17, 0.3)), "100.00", "3.21", "USD")
	}))
	main.Set(AutoRechargePrefs.Name, OK(PrefsData(true, "100.00", "250.00")))

	// 230.50 of a 250 USD credit line spent: 19.50 USD left to spend.
	creditKey := fakeKey(0x7e12)
	credit := NewFake(creditKey)
	credit.Set(Balance.Name, OK(BalanceData("-230.50", "250.00", "12.34", "USD")))
	credit.NoPreferences()

	return []config.Account{
		{Name: "telnyx-main", Provider: "telnyx", BaseURL: d.Server.Mount("/telnyx/main", main), APIKey: config.Secret(mainKey)},
		{Name: "telnyx-credit", Provider: "telnyx", BaseURL: d.Server.Mount("/telnyx/credit", credit), APIKey: config.Secret(creditKey)},
	}
}
