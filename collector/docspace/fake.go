package docspace

import (
	"fmt"
	"net/http"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// Fake is one ONLYOFFICE DocSpace portal's /api/2.0/portal/payment/* and
// /api/2.0/portal/tariff. As the real server: payloads sit in
// {"response", "count", "links", "status", "statusCode"}, count being a
// list's length; null properties are omitted, never null; the payment
// API's dates may lack a zone, the tariff's are ApiDateTime (the portal's
// offset, and 0001-01-01T00:00:00.0000000Z for both "none" and "never");
// errors are {"error": {"message", ...}, "status": 1, "statusCode": N};
// requests without "Authorization: Bearer <key>" get 401 with an empty
// body (a bare key is refused too). Replies are set by endpoint name.
type Fake struct {
	APIKey string
	sandbox.Replies
}

// Tariff states as the server numbers them (TariffState).
const (
	TariffTrial   = 0
	TariffPaid    = 1
	TariffDelay   = 2 // past due, working until delayDueDate
	TariffNotPaid = 3 // past delayDueDate: the portal is restricted
)

// PlanDue is when the fake's paid plan ends: 2026-08-01T00:00:00Z.
var PlanDue = time.Date(2026, time.August, 1, 0, 0, 0, 0, time.UTC)

// NewFake returns a portal with billing set up: balances in USD and EUR,
// AI credits in USD, the Business plan paid until PlanDue, auto top-up on.
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
	d.Set(AIBalance.Name, OK(AIBalanceDoc(25.5)))
	d.Set(Quota.Name, OK(QuotaBusiness()))
	d.Set(Tariff.Name, OK(TariffDoc(TariffPaid, PlanDue, time.Time{})))
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

// QuotaBusiness is the current-quota payload of a portal on the paid
// Business plan. It has no dueDate: the server gives a quota one only
// from a pay-as-you-go wallet item (see WithWalletItem).
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
		"usersQuota":        map[string]any{"enableQuota": true, "defaultQuota": 1073741824, "lastRecalculateDate": "2026-06-30T02:00:00"},
		"roomsQuota":        map[string]any{"enableQuota": false, "defaultQuota": 10737418240},
		"aiAgentsQuota":     map[string]any{"enableQuota": false, "defaultQuota": 0},
		"tenantCustomQuota": map[string]any{"enableQuota": false, "quota": -1, "lastModified": "2026-01-01T00:00:00"},
	}
}

// WithWalletItem is quota as the server answers it once the portal pays
// as it goes for a wallet service due on due: the quota's dueDate is the
// wallet item's, not the plan's.
func WithWalletItem(quota map[string]any, due time.Time) map[string]any {
	quota["dueDate"] = due.UTC().Format("2006-01-02T15:04:05")
	return quota
}

// portalZone is the fake portal's time zone, in which the server writes
// the tariff's dates.
var portalZone = time.FixedZone("", 3*60*60)

// apiDateTime writes t as the server's ApiDateTime: local time with 7
// fractional digits and the portal's offset; the zero time, which stands
// for .NET's DateTime.MinValue and MaxValue alike, as the .NET zero date.
func apiDateTime(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00.0000000Z"
	}
	return t.In(portalZone).Format("2006-01-02T15:04:05.0000000Z07:00")
}

// TariffDoc is GET /api/2.0/portal/tariff as a portal admin gets it. The
// zero time writes the server's zero date: a dueDate that never comes, or
// a delayDueDate not yet set (DateTime.MaxValue until the tariff falls due).
func TariffDoc(state int, due, delayDue time.Time) map[string]any {
	return map[string]any{
		"openSource": false, "enterprise": false, "developer": false,
		"id": 1042, "state": state,
		"dueDate": apiDateTime(due), "delayDueDate": apiDateTime(delayDue), "licenseDate": apiDateTime(time.Time{}),
		"customerId": "billing@example.com",
		"quotas":     []any{map[string]any{"id": -3, "quantity": 1, "wallet": false}},
	}
}

// AIBalanceDoc is customer/aibalance: the AI credits, shaped as
// customer/balance.
func AIBalanceDoc(usd float64) map[string]any {
	return map[string]any{
		"accountNumber": 100042, "subAccountNumber": 2, "accountName": "portal-1", "accountCurrency": "USD",
		"subAccounts": []any{map[string]any{"currency": "USD", "amount": usd}},
		"lastCredit":  map[string]any{"date": "2026-07-01T09:00:00.0000000Z", "currency": "USD", "amount": 20},
	}
}

// NoBilling makes the portal answer as a self-hosted one without
// billing: the payment service's endpoints refuse, and the tariff is the
// server's default, paid and never due.
func (d *Fake) NoBilling() {
	rep := ErrorReply(http.StatusForbidden, "Tariff service is not configured")
	d.Set(CustomerInfo.Name, rep)
	d.Set(Balance.Name, rep)
	d.Set(AIBalance.Name, rep)
	d.Set(Tariff.Name, OK(TariffDoc(TariffPaid, time.Time{}, time.Time{})))
}

// OK wraps payload in the success envelope: count is a list's length, 1
// for any other payload; nil omits "response" and sets count 0, as the
// server does for a null payload. As the server's serializer does,
// properties set to nil are left out at every depth: a test that sets a
// field to nil gets the field omitted, never "null".
func OK(payload any) sandbox.Reply { return sandbox.Wrapped(payload, wrap) }

func wrap(payload any) any {
	env := map[string]any{"count": 1, "status": 0, "statusCode": 200,
		"links": []any{map[string]any{"href": "https://portal.example.com/api/2.0/portal/payment", "action": "GET"}}}
	switch p := payload.(type) {
	case nil:
		env["count"] = 0
		return env
	case []any:
		env["count"] = len(p)
	}
	env["response"] = omitNulls(payload)
	return env
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
	// Replies are by endpoint name; any other path is not the portal's.
	name := ""
	for _, ep := range Provider.Endpoints {
		if r.URL.Path == ep.Path {
			name = ep.Name
		}
	}
	rep, ok := d.Get(name)
	if r.Method != http.MethodGet || !ok {
		ErrorReply(http.StatusNotFound, "Not found").Write(w)
		return
	}
	rep.Write(w)
}

// fakeKey makes a key in DocSpace's format (sk- and 64 hex digits),
// valid only against the sandbox's own fakes.
func fakeKey(n int) string { return fmt.Sprintf("sk-%064x", n) }

// demo is a healthy paid portal, one on a trial running out and one past
// due, in its grace period.
func demo(d *sandbox.Demo) []config.Account {
	var accounts []config.Account
	day := 24 * time.Hour
	// A healthy paid portal with balances in two currencies and AI credits,
	// its plan paid for 45 more days with a card on file: it renews.
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
	main.Set(AIBalance.Name, OK(func() any { return AIBalanceDoc(d.Drift(25.5, 0.01)) }))
	main.Set(Tariff.Name, OK(TariffDoc(TariffPaid, d.Start().Add(45*day), time.Time{})))
	accounts = append(accounts, config.Account{Name: "docspace-main", Provider: "docspace",
		BaseURL: d.Server.Mount("/docspace/main", main), APIKey: config.Secret(mainKey)})

	// A portal on a trial that ends in two days, whose balance has fallen
	// under its top-up minimum and whose storage is nearly full. Its quota
	// has no dueDate, as on a real portal: the trial's end is the tariff's.
	// It has bought no AI credits: customer/aibalance answers null.
	trialKey := fakeKey(0xde32)
	trial := NewFake(trialKey)
	trial.Set(CustomerInfo.Name, OK(map[string]any{"portalId": "portal-2", "paymentMethodStatus": 0}))
	trial.Set(Balance.Name, OK(func() any {
		return map[string]any{"accountNumber": 100043, "accountCurrency": "USD",
			"subAccounts": []any{map[string]any{"currency": "USD", "amount": d.Drift(12.4, 0.1)}}}
	}))
	trial.Set(AIBalance.Name, OK(nil))
	q := QuotaBusiness()
	q["title"], q["trial"] = "Business (trial)", true
	// 95 GB of the 100 GB storage quota used.
	for _, f := range q["features"].([]any) {
		if f := f.(map[string]any); f["id"] == "total_size" {
			f["used"] = map[string]any{"value": 102005473280, "title": "95 GB"}
		}
	}
	trial.Set(Quota.Name, OK(q))
	trial.Set(Tariff.Name, OK(TariffDoc(TariffTrial, d.Start().Add(2*day), time.Time{})))
	trial.Set(TopUp.Name, OK(map[string]any{
		"enabled": false, "minBalance": 20, "upToBalance": 100, "currency": "USD", "lastModified": "2026-06-01T08:00:00"}))
	accounts = append(accounts, config.Account{Name: "docspace-trial", Provider: "docspace",
		BaseURL: d.Server.Mount("/docspace/trial", trial), APIKey: config.Secret(trialKey)})

	// A portal whose plan fell due three days ago and could not be renewed
	// (its card expired): in its grace period, a week from its due date.
	graceKey := fakeKey(0xde33)
	grace := NewFake(graceKey)
	grace.Set(CustomerInfo.Name, OK(map[string]any{"portalId": "portal-3", "paymentMethodStatus": 2}))
	due := d.Start().UTC().Truncate(day).Add(-3 * day)
	grace.Set(Tariff.Name, OK(TariffDoc(TariffDelay, due, due.Add(7*day))))
	accounts = append(accounts, config.Account{Name: "docspace-grace", Provider: "docspace",
		BaseURL: d.Server.Mount("/docspace/grace", grace), APIKey: config.Secret(graceKey)})
	return accounts
}
