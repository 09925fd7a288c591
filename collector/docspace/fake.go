package docspace

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// Fake is one ONLYOFFICE DocSpace portal's /api/2.0/portal/payment/*.
// As the real server: payloads sit in {"response", "count", "links",
// "status", "statusCode"}; null properties are omitted, never null; dates
// may lack a zone; errors are {"error": {"message", ...}, "status": 1,
// "statusCode": N}; requests without "Authorization: Bearer <key>" get 401
// with an empty body (a bare key is refused too).
type Fake struct {
	APIKey string
	sandbox.Replies
}

// NewFake returns a portal with billing set up: balances in USD and
// EUR, the Business plan due 2026-08-01 (no zone), auto top-up on.
func NewFake(apiKey string) *Fake {
	d := &Fake{APIKey: apiKey}
	d.Set(CustomerInfo.Name, OK(map[string]any{
		"portalId": "portal-1", "paymentMethodStatus": 1, "email": "billing@example.com",
		"payer": map[string]any{"id": "6f0c1c64-2b1e-4f5e-9d1a-8f1c2d3e4f50", "displayName": "Jane Payer"},
	}))
	d.Set(Balance.Name, OK(map[string]any{
		"accountNumber": 100042, "subAccountNumber": 1, "accountName": "portal-1", "accountCurrency": "USD",
		"subAccounts": []any{
			map[string]any{"currency": "USD", "amount": 1500.75},
			map[string]any{"currency": "EUR", "amount": 230.5},
		},
		"lastCredit": map[string]any{"date": "2026-07-05T10:11:12.1234567Z", "currency": "USD", "amount": 500},
	}))
	d.Set(Quota.Name, OK(QuotaBusiness()))
	d.Set(Quotas.Name, OK([]any{
		map[string]any{"id": -1, "title": "Startup", "price": map[string]any{"value": 0, "currencySymbol": "$", "isoCurrencySymbol": "USD"},
			"nonProfit": false, "free": true, "trial": false, "features": []any{}},
		map[string]any{"id": -3, "title": "Business", "price": map[string]any{"value": 15, "currencySymbol": "$", "isoCurrencySymbol": "USD"},
			"nonProfit": false, "free": false, "trial": false, "features": []any{}},
	}))
	d.Set(TopUp.Name, OK(map[string]any{
		"enabled": true, "minBalance": 50, "upToBalance": 500, "currency": "USD", "lastModified": "2026-06-01T08:00:00",
	}))
	d.Set(Currencies.Name, OK([]any{
		map[string]any{"isoCountryCode": "US", "isoCurrencySymbol": "$", "currencyNativeName": "US Dollar"},
		map[string]any{"isoCountryCode": "DE", "isoCurrencySymbol": "€", "currencyNativeName": "Euro"},
	}))
	return d
}

// QuotaBusiness is the current-quota payload of a paid portal.
func QuotaBusiness() map[string]any {
	return map[string]any{
		"id": -3, "title": "Business",
		"price":     map[string]any{"value": 15, "currencySymbol": "$", "isoCurrencySymbol": "USD"},
		"nonProfit": false, "free": false, "trial": false,
		"features": []any{
			map[string]any{"id": "users", "title": "Admins/Power users", "value": 100, "type": "count",
				"used": map[string]any{"value": 12, "title": "12"}},
			map[string]any{"id": "room", "title": "Rooms", "value": -1, "type": "count",
				"used": map[string]any{"value": 7, "title": "7"}},
			map[string]any{"id": "total_size", "title": "Storage", "value": 107374182400, "type": "size",
				"used": map[string]any{"value": 5368709120, "title": "5 GB"}},
			// A flag's value and usage are booleans: the spec leaves both untyped.
			map[string]any{"id": "audit", "title": "Audit trail", "value": true, "type": "flag",
				"used": map[string]any{"value": true}},
		},
		"usersQuota": 100, "roomsQuota": -1,
		"tenantCustomQuota": map[string]any{"enableQuota": false, "quota": -1, "lastModified": "2026-01-01T00:00:00"},
		"dueDate":           "2026-08-01T00:00:00",
	}
}

// NoBilling makes the portal answer as a self-hosted one without billing.
func (d *Fake) NoBilling() {
	rep := ErrorReply(http.StatusForbidden, "Tariff service is not configured")
	d.Set(CustomerInfo.Name, rep)
	d.Set(Balance.Name, rep)
}

// OK wraps payload in the success envelope; nil omits "response"
// and sets count 0, as the server does for a null payload. As the server's
// serializer does, properties set to nil are left out at every depth: a
// test that sets a field to nil gets the field omitted, never "null".
func OK(payload any) sandbox.Reply {
	env := map[string]any{"count": 1, "status": 0, "statusCode": 200,
		"links": []any{map[string]any{"href": "https://portal.example.com/api/2.0/portal/payment", "action": "GET"}}}
	if payload == nil {
		env["count"] = 0
	} else if f, ok := payload.(func() any); ok {
		return sandbox.Reply{Body: func() any { env := copyMap(env); env["response"] = omitNulls(f()); return env }}
	} else {
		env["response"] = omitNulls(payload)
	}
	return sandbox.Reply{Body: env}
}

// omitNulls returns a copy of v without nil properties in its objects,
// at every depth. Array elements are kept (the server sends none as null).
func omitNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if e != nil {
				out[k] = omitNulls(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = omitNulls(e)
		}
		return out
	}
	return v
}

// ErrorReply is the server's error envelope.
func ErrorReply(status int, message string) sandbox.Reply {
	return sandbox.Reply{Status: status, Body: map[string]any{
		"error": map[string]any{"message": message, "type": "System.Security.SecurityException",
			"stack": "at ASC.Web.Api.Controllers.PaymentController", "hresult": -2146233078},
		"status": 1, "statusCode": status,
	}}
}

func (d *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+d.APIKey {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	const prefix = "/api/2.0/portal/payment/"
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, prefix) {
		ErrorReply(http.StatusNotFound, "Not found").Write(w)
		return
	}
	rep, ok := d.Get(strings.TrimPrefix(r.URL.Path, prefix))
	if !ok {
		ErrorReply(http.StatusNotFound, "Not found").Write(w)
		return
	}
	rep.Write(w)
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// fakeKey makes a key in DocSpace's format (sk- and 64 hex digits),
// valid only against the sandbox's own fakes.
func fakeKey(n int) string { return fmt.Sprintf("sk-%064x", n) }

// demo is a healthy paid portal and one on a trial running out.
func demo(d *sandbox.Demo) []config.Account {
	var accounts []config.Account
	// A healthy paid portal with balances in two currencies.
	mainKey := fakeKey(0xde31)
	main := NewFake(mainKey)
	main.Set(Balance.Name, OK(func() any {
		return map[string]any{
			"accountNumber": 100042, "accountCurrency": "USD",
			"subAccounts": []any{
				map[string]any{"currency": "USD", "amount": d.Drift(1500.75, 1)},
				map[string]any{"currency": "EUR", "amount": d.Drift(230.5, 0.2)},
			},
			"lastCredit": map[string]any{"date": "2026-07-05T10:11:12.1234567Z", "currency": "USD", "amount": 500},
		}
	}))
	main.Set(Quota.Name, OK(func() any {
		q := QuotaBusiness()
		q["dueDate"] = d.Start().UTC().Add(45 * 24 * time.Hour).Format("2006-01-02T15:04:05")
		return q
	}))
	accounts = append(accounts, config.Account{Name: "docspace-main", Provider: "docspace",
		BaseURL: d.Server.Mount("/docspace/main", main), APIKey: config.Secret(mainKey)})

	// A portal on a trial that ends in two days, whose balance has fallen
	// under its top-up minimum and whose storage is nearly full.
	trialKey := fakeKey(0xde32)
	trial := NewFake(trialKey)
	trial.Set(CustomerInfo.Name, OK(map[string]any{"portalId": "portal-2", "paymentMethodStatus": 0}))
	trial.Set(Balance.Name, OK(func() any {
		return map[string]any{"accountNumber": 100043, "accountCurrency": "USD",
			"subAccounts": []any{map[string]any{"currency": "USD", "amount": d.Drift(12.4, 0.1)}}}
	}))
	trial.Set(Quota.Name, OK(func() any {
		q := QuotaBusiness()
		q["title"], q["trial"] = "Business (trial)", true
		// 95 GB of the 100 GB storage quota used.
		for _, f := range q["features"].([]any) {
			if f := f.(map[string]any); f["id"] == "total_size" {
				f["used"] = map[string]any{"value": 102005473280, "title": "95 GB"}
			}
		}
		// .NET's round-trip form: Z and exactly 7 fractional digits.
		q["dueDate"] = d.Start().UTC().Add(2 * 24 * time.Hour).Format("2006-01-02T15:04:05.0000000Z")
		return q
	}))
	trial.Set(TopUp.Name, OK(map[string]any{
		"enabled": false, "minBalance": 20, "upToBalance": 100, "currency": "USD", "lastModified": "2026-06-01T08:00:00"}))
	accounts = append(accounts, config.Account{Name: "docspace-trial", Provider: "docspace",
		BaseURL: d.Server.Mount("/docspace/trial", trial), APIKey: config.Secret(trialKey)})
	return accounts
}
