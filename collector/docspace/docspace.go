// Package docspace reads ONLYOFFICE DocSpace's portal billing:
// GET /api/2.0/portal/payment/* and the portal's tariff,
// GET /api/2.0/portal/tariff, with an API key sent as
// "Authorization: Bearer sk-…" (a bare key gets 401).
//
// Dates and the payment state come from the tariff: in the server a
// quota's dueDate is that of a pay-as-you-go wallet item, never the
// plan's (ADR 0019). No request asks the portal to refresh: it caches
// billing data itself for 5 to 10 minutes and drops its cache when it
// changes the data (ADR 0006).
package docspace

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/scrape"
)

var (
	planTrialFamily = provider.NewFamily("billing_plan_trial",
		"1 if the current plan is a trial.", "plan")
	planPriceFamily = provider.NewFamily("billing_plan_price",
		"Price of the current plan in its currency.", "plan", "currency")
	availablePlanPriceFamily = provider.NewListFamily("billing_available_plan_price",
		"Price of each plan the account can buy, in its currency.", "plan", "currency")
	quotaLimitBytesFamily = provider.NewFamily("billing_quota_limit_bytes",
		"Limit of a quota feature measured in bytes, e.g. storage. Unlimited features have no series.", "feature")
	quotaUsedBytesFamily = provider.NewFamily("billing_quota_used_bytes",
		"Usage of a quota feature measured in bytes.", "feature")
	quotaLimitFamily = provider.NewFamily("billing_quota_limit",
		"Limit of a quota feature that counts things, e.g. users or rooms. Unlimited features have no series.", "feature")
	quotaUsedFamily = provider.NewFamily("billing_quota_used",
		"Usage of a quota feature that counts things.", "feature")
	lastCreditAmountFamily = provider.NewFamily("billing_last_credit_amount",
		"Amount of the last credit (top-up) of the balance.", "currency")
	lastCreditTimeFamily = provider.NewFamily("billing_last_credit_timestamp_seconds",
		"When the balance was last credited, Unix time.")
	currencyInfoFamily = provider.NewListFamily("billing_supported_currency_info",
		"Currencies the account can pay in, value 1. symbol is the sign, e.g. $.", "country", "symbol", "name")
	gracePeriodEndFamily = provider.NewFamily("billing_grace_period_end_timestamp_seconds",
		"When the grace period of an account past due ends and the vendor restricts it, Unix time. Absent when the vendor gives none.")
)

// aiWallet is the wallet label of DocSpace's AI credits, a balance of
// their own (customer/aibalance) beside the portal's main one.
const aiWallet = "ai"

// paymentState is the provider.PaymentStates state of the tariff's
// state (TariffState: 0 Trial, 1 Paid, 2 Delay, 3 NotPaid), "" for a
// code it does not know.
func paymentState(state float64) string {
	switch state {
	case 0:
		return "trial"
	case 1:
		return "paid"
	case 2:
		return "grace"
	case 3:
		return "unpaid"
	}
	return ""
}

// neverEnds is .NET's DateTime.MaxValue, 9999-12-31T23:59:59.9999999Z,
// in Unix seconds: the due date of a plan that never ends (ADR 0013).
var neverEnds = func() float64 {
	t := time.Date(9999, time.December, 31, 23, 59, 59, 999999900, time.UTC)
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}()

// paymentMethodState is the state of customerinfo paymentMethodStatus,
// "" for a code it does not know.
func paymentMethodState(status float64) string {
	switch status {
	case 0:
		return "none"
	case 1:
		return "set"
	case 2:
		return "expired"
	}
	return ""
}

// quotaFamilies are the limit and usage families of a quota feature
// type; nil for types without an amount (flags).
func quotaFamilies(typ string) (limit, used *provider.Family) {
	switch typ {
	case "size":
		return quotaLimitBytesFamily, quotaUsedBytesFamily
	case "count":
		return quotaLimitFamily, quotaUsedFamily
	}
	return nil, nil
}

// The endpoint table. Plans and currencies change rarely: an hour's cache.
// New endpoints go last: the fuzz seeds pick a route by its index.
var (
	CustomerInfo = scrape.Endpoint{Name: "customerinfo", Path: "/api/2.0/portal/payment/customerinfo", NoData: billingNotConfigured}
	Balance      = scrape.Endpoint{Name: "customer/balance", Path: "/api/2.0/portal/payment/customer/balance", NoData: billingNotConfigured}
	Quota        = scrape.Endpoint{Name: "quota", Path: "/api/2.0/portal/payment/quota"}
	Quotas       = scrape.Endpoint{Name: "quotas", Path: "/api/2.0/portal/payment/quotas", TTL: time.Hour}
	TopUp        = scrape.Endpoint{Name: "topupsettings", Path: "/api/2.0/portal/payment/topupsettings"}
	Currencies   = scrape.Endpoint{Name: "currencies", Path: "/api/2.0/portal/payment/currencies", TTL: time.Hour}
	Tariff       = scrape.Endpoint{Name: "tariff", Path: "/api/2.0/portal/tariff"}
	AIBalance    = scrape.Endpoint{Name: "customer/aibalance", Path: "/api/2.0/portal/payment/customer/aibalance", NoData: billingNotConfigured}
)

// Provider describes DocSpace to the engine.
var Provider = provider.Descriptor{
	Name:      "docspace",
	Endpoints: []scrape.Endpoint{CustomerInfo, Balance, Quota, Quotas, TopUp, Currencies, Tariff, AIBalance},
	Families: []*provider.Family{planTrialFamily, planPriceFamily, availablePlanPriceFamily, quotaLimitBytesFamily, quotaUsedBytesFamily,
		quotaLimitFamily, quotaUsedFamily, lastCreditAmountFamily, lastCreditTimeFamily, currencyInfoFamily, gracePeriodEndFamily},
	Build: func(acct *config.Account, d provider.Deps) (provider.Scraper, error) {
		provider.SendBearer(d.Client, acct)
		return &scraper{client: d.Client}, nil
	},
	VendorMessage: vendorMessage,
	Demo:          demo,
	Fixture: func(i int) (http.Handler, config.Secret) {
		key := fakeKey(0xbe00000 + i)
		return NewFake(key), config.Secret(key)
	},
}

type scraper struct {
	provider.NothingDue
	client *scrape.Client
}

// envelope is the DocSpace response wrapper; a null payload omits response.
type envelope[T any] struct {
	Response *T `json:"response"`
}

type quotaDoc struct {
	ID    scrape.String `json:"id"`
	Title string        `json:"title"`
	Price *struct {
		Value             scrape.Float `json:"value"`
		CurrencySymbol    string       `json:"currencySymbol"`
		ISOCurrencySymbol string       `json:"isoCurrencySymbol"`
	} `json:"price"`
	Trial    scrape.Bool `json:"trial"`
	Features []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		// value and used.value are untyped in the spec (a flag's are
		// booleans): kept raw and read as numbers only for the features
		// whose type says they are amounts.
		Value json.RawMessage `json:"value"`
		Used  *struct {
			Value json.RawMessage `json:"value"`
		} `json:"used"`
	} `json:"features"`
}

func (q *quotaDoc) plan() string {
	if q.Title != "" {
		return q.Title
	}
	return "id " + string(q.ID)
}

func (q *quotaDoc) currency() string {
	if q.Price == nil {
		return ""
	}
	return currencyCode(q.Price.ISOCurrencySymbol, q.Price.CurrencySymbol)
}

type (
	customerInfo struct {
		PaymentMethodStatus scrape.Float `json:"paymentMethodStatus"`
	}
	balanceDoc struct {
		SubAccounts []struct {
			Currency string       `json:"currency"`
			Amount   scrape.Float `json:"amount"`
		} `json:"subAccounts"`
		LastCredit *struct {
			Date     scrape.Time  `json:"date"`
			Currency string       `json:"currency"`
			Amount   scrape.Float `json:"amount"`
		} `json:"lastCredit"`
	}
	topUpDoc struct {
		Enabled     scrape.Bool  `json:"enabled"`
		MinBalance  scrape.Float `json:"minBalance"`
		UpToBalance scrape.Float `json:"upToBalance"`
		Currency    string       `json:"currency"`
	}
	currency struct {
		ISOCountryCode     string `json:"isoCountryCode"`
		ISOCurrencySymbol  string `json:"isoCurrencySymbol"`
		CurrencyNativeName string `json:"currencyNativeName"`
	}
	// tariffDoc is the portal's TariffDto. Its dates are the server's
	// ApiDateTime: local time with the portal's offset, and
	// 0001-01-01T00:00:00.0000000Z for both DateTime.MinValue and
	// DateTime.MaxValue, so that the state tells "never" from "none".
	// Only DocSpace and room admins get the dates; the server leaves them
	// out for other users.
	tariffDoc struct {
		State        scrape.Float `json:"state"`
		DueDate      sentTime     `json:"dueDate"`
		DelayDueDate scrape.Time  `json:"delayDueDate"`
	}
)

// sentTime is a date that remembers whether the field was in the answer.
type sentTime struct {
	scrape.Time
	Sent bool
}

// UnmarshalJSON reads the date as scrape.Time does.
func (t *sentTime) UnmarshalJSON(b []byte) error {
	t.Sent = string(b) != "null"
	return t.Time.UnmarshalJSON(b)
}

// planDue is when the tariff's plan ends: its dueDate, or .NET's
// DateTime.MaxValue for a trial or paid tariff whose dueDate is the
// server's zero date. The server writes that for MaxValue ("never") and
// for MinValue, and a tariff due on MinValue is NotPaid (TariffService
// CalculateTariffAsync), so only "never" reaches a trial or paid tariff.
func (t *tariffDoc) planDue() (unix float64, ok bool) {
	if t.DueDate.Valid {
		return t.DueDate.Unix(time.UTC), true
	}
	if state := paymentState(t.State.V); t.DueDate.Sent && t.State.Valid && (state == "trial" || state == "paid") {
		return neverEnds, true
	}
	return 0, false
}

func (d *scraper) Scrape(ctx context.Context, e *provider.Emitter) error {
	var (
		info       envelope[customerInfo]
		bal        envelope[balanceDoc]
		quota      envelope[quotaDoc]
		quotas     envelope[[]quotaDoc]
		topup      envelope[topUpDoc]
		currencies envelope[[]currency]
		tariff     envelope[tariffDoc]
		aiBal      envelope[balanceDoc]
	)
	ok := e.FetchAll(ctx, d.client,
		provider.Read{Endpoint: CustomerInfo, Out: &info},
		provider.Read{Endpoint: Balance, Out: &bal},
		provider.Read{Endpoint: Quota, Out: &quota},
		provider.Read{Endpoint: Quotas, Out: &quotas},
		provider.Read{Endpoint: TopUp, Out: &topup},
		provider.Read{Endpoint: Currencies, Out: &currencies},
		// The tariff answers on portals without a payment service too.
		provider.Read{Endpoint: Tariff, Out: &tariff},
		provider.Read{Endpoint: AIBalance, Out: &aiBal},
	)

	if ok[0] && info.Response != nil {
		if status := info.Response.PaymentMethodStatus; status.Valid {
			e.StateSet(provider.PaymentMethodState, provider.PaymentMethodStates, paymentMethodState(status.V))
		}
	}
	if ok[1] && bal.Response != nil {
		emitBalances(e, Balance.Name, bal.Response, provider.MainWallet)
		if lc := bal.Response.LastCredit; lc != nil {
			if lc.Currency != "" {
				e.GaugeIf(lastCreditAmountFamily, lc.Amount, strings.ToUpper(lc.Currency))
			}
			e.Time(lastCreditTimeFamily, lc.Date, time.UTC)
		}
	}
	if ok[2] && quota.Response != nil {
		q := quota.Response
		plan := q.plan()
		e.Gauge(provider.PlanInfo, 1, plan)
		e.Bool(planTrialFamily, q.Trial, plan)
		// The plan's end is the tariff's: the quota's dueDate is a wallet item's.
		if ok[6] && tariff.Response != nil {
			if due, known := tariff.Response.planDue(); known {
				e.Gauge(provider.PlanDue, due, plan)
			}
		}
		if cur := q.currency(); cur != "" {
			e.GaugeIf(planPriceFamily, q.Price.Value, plan, cur)
		}
		features, _ := provider.Cap(e, Quota.Name, q.Features)
		for _, f := range features {
			limitFamily, usedFamily := quotaFamilies(f.Type)
			if f.ID == "" || limitFamily == nil {
				continue
			}
			if limit := number(f.Value); limit.Valid && limit.V >= 0 {
				e.Gauge(limitFamily, limit.V, f.ID)
			}
			if f.Used != nil {
				e.GaugeIf(usedFamily, number(f.Used.Value), f.ID)
			}
		}
	}
	if ok[6] && tariff.Response != nil {
		t := tariff.Response
		if t.State.Valid {
			e.StateSet(provider.PaymentState, provider.PaymentStates, paymentState(t.State.V))
		}
		e.Time(gracePeriodEndFamily, t.DelayDueDate, time.UTC)
	}
	if ok[7] && aiBal.Response != nil {
		emitBalances(e, AIBalance.Name, aiBal.Response, aiWallet)
	}
	if ok[3] && quotas.Response != nil {
		plans, _ := provider.Cap(e, Quotas.Name, *quotas.Response)
		for _, q := range plans {
			if cur := q.currency(); cur != "" {
				e.GaugeIf(availablePlanPriceFamily, q.Price.Value, q.plan(), cur)
			}
		}
	}
	if ok[4] && topup.Response != nil {
		t := topup.Response
		e.Bool(provider.TopupEnabled, t.Enabled)
		// Never-configured settings have no currency and zero amounts:
		// a threshold without a currency cannot be compared to a balance.
		if t.Currency != "" {
			cur := strings.ToUpper(t.Currency)
			e.GaugeIf(provider.TopupMin, t.MinBalance, cur)
			e.GaugeIf(provider.TopupTarget, t.UpToBalance, cur)
		}
	}
	if ok[5] && currencies.Response != nil {
		list, _ := provider.Cap(e, Currencies.Name, *currencies.Response)
		for _, cur := range list {
			e.Gauge(currencyInfoFamily, 1, cur.ISOCountryCode, cur.ISOCurrencySymbol, cur.CurrencyNativeName)
		}
	}
	return nil
}

// emitBalances writes the sub-accounts of a balance answer, one per
// currency, as the wallet's balances.
func emitBalances(e *provider.Emitter, endpoint string, b *balanceDoc, wallet string) {
	subAccounts, _ := provider.Cap(e, endpoint, b.SubAccounts)
	for _, sa := range subAccounts {
		if sa.Currency != "" {
			e.GaugeIf(provider.Balance, sa.Amount, strings.ToUpper(sa.Currency), wallet)
		}
	}
}

// number reads an untyped value as a number; anything else (a flag's
// boolean, an object) is no number rather than an error.
func number(raw json.RawMessage) scrape.Float {
	var f scrape.Float
	if json.Unmarshal(raw, &f) != nil {
		return scrape.Float{}
	}
	return f
}

// billingNotConfigured recognises the 403 "Tariff service is not
// configured" of a portal without billing (self-hosted): the API's way of
// saying "not available here", so it counts as answered and emits nothing.
func billingNotConfigured(se *scrape.Error) bool {
	return se.Status == http.StatusForbidden && strings.Contains(se.Detail, "Tariff service is not configured")
}

// currencySigns maps signs that DocSpace sometimes puts in its
// isoCurrencySymbol fields to ISO 4217 codes.
var currencySigns = map[string]string{"$": "USD", "€": "EUR", "£": "GBP", "₽": "RUB", "¥": "JPY", "₹": "INR"}

// currencyCode returns an ISO 4217 code from a field that should hold one,
// falling back to a known sign; "" when neither helps. A code is three ASCII
// letters: "₽" and "₹" are three bytes too, but signs.
func currencyCode(iso, sign string) string {
	if code := provider.CurrencyCode(iso); code != "" {
		return code
	}
	return cmp.Or(currencySigns[strings.TrimSpace(iso)], currencySigns[strings.TrimSpace(sign)])
}

// vendorMessage reads DocSpace's error body, {"error": {"message"}}.
func vendorMessage(b []byte) string {
	var v struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &v)
	return v.Error.Message
}
