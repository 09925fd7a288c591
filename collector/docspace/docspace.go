// Package docspace reads ONLYOFFICE DocSpace's portal billing:
// GET /api/2.0/portal/payment/* with an API key sent as
// "Authorization: Bearer sk-…" (a bare key gets 401).
package docspace

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
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
)

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
var (
	CustomerInfo = scrape.Endpoint{Name: "customerinfo", Path: "/api/2.0/portal/payment/customerinfo?refresh=true"}
	Balance      = scrape.Endpoint{Name: "customer/balance", Path: "/api/2.0/portal/payment/customer/balance?refresh=true"}
	Quota        = scrape.Endpoint{Name: "quota", Path: "/api/2.0/portal/payment/quota?refresh=true"}
	Quotas       = scrape.Endpoint{Name: "quotas", Path: "/api/2.0/portal/payment/quotas", TTL: time.Hour}
	TopUp        = scrape.Endpoint{Name: "topupsettings", Path: "/api/2.0/portal/payment/topupsettings"}
	Currencies   = scrape.Endpoint{Name: "currencies", Path: "/api/2.0/portal/payment/currencies", TTL: time.Hour}
)

// Provider describes DocSpace to the engine.
var Provider = provider.Descriptor{
	Name:      "docspace",
	Endpoints: []scrape.Endpoint{CustomerInfo, Balance, Quota, Quotas, TopUp, Currencies},
	Families: []*provider.Family{planTrialFamily, planPriceFamily, availablePlanPriceFamily, quotaLimitBytesFamily, quotaUsedBytesFamily,
		quotaLimitFamily, quotaUsedFamily, lastCreditAmountFamily, lastCreditTimeFamily, currencyInfoFamily},
	Build: func(acct *config.Account, d provider.Deps) (provider.Scraper, error) {
		key := string(acct.APIKey)
		d.Client.SetAuth(func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+key) })
		return &scraper{client: d.Client}, nil
	},
	VendorMessage: vendorMessage,
	Demo:          demo,
	Fixture: func(i int) (http.Handler, config.Secret) {
		key := fakeKey(0xbe00000 + i)
		return NewFake(key), config.Secret(key)
	},
}

type scraper struct{ client *scrape.Client }

// Due: nothing but cached answers makes its values.
func (*scraper) Due() time.Time { return time.Time{} }

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
		ID    string          `json:"id"`
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
		Used  *struct {
			Value scrape.Float `json:"value"`
		} `json:"used"`
	} `json:"features"`
	DueDate scrape.Time `json:"dueDate"`
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
)

func (d *scraper) Scrape(ctx context.Context, e *provider.Emitter) error {
	var (
		info       envelope[customerInfo]
		bal        envelope[balanceDoc]
		quota      envelope[quotaDoc]
		quotas     envelope[[]quotaDoc]
		topup      envelope[topUpDoc]
		currencies envelope[[]currency]
	)
	ok := e.FetchAll(ctx, d.client,
		provider.Read{Endpoint: CustomerInfo, Out: &info, Answered: billingNotConfigured},
		provider.Read{Endpoint: Balance, Out: &bal, Answered: billingNotConfigured},
		provider.Read{Endpoint: Quota, Out: &quota},
		provider.Read{Endpoint: Quotas, Out: &quotas},
		provider.Read{Endpoint: TopUp, Out: &topup},
		provider.Read{Endpoint: Currencies, Out: &currencies},
	)

	if ok[0] && info.Response != nil {
		if status := info.Response.PaymentMethodStatus; status.Valid {
			e.StateSet(provider.PaymentMethodState, provider.PaymentMethodStates, paymentMethodState(status.V))
		}
	}
	if ok[1] && bal.Response != nil {
		subAccounts, _ := provider.Cap(e, Balance.Name, bal.Response.SubAccounts)
		for _, sa := range subAccounts {
			if sa.Currency != "" {
				e.GaugeIf(provider.Balance, sa.Amount, strings.ToUpper(sa.Currency))
			}
		}
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
		e.Time(provider.PlanDue, q.DueDate, time.UTC, plan)
		if cur := q.currency(); cur != "" {
			e.GaugeIf(planPriceFamily, q.Price.Value, plan, cur)
		}
		features, _ := provider.Cap(e, Quota.Name, q.Features)
		for _, f := range features {
			limitFamily, usedFamily := quotaFamilies(f.Type)
			if f.ID == "" || limitFamily == nil {
				continue
			}
			var limit scrape.Float
			if json.Unmarshal(f.Value, &limit) == nil && limit.Valid && limit.V >= 0 {
				e.Gauge(limitFamily, limit.V, f.ID)
			}
			if f.Used != nil {
				e.GaugeIf(usedFamily, f.Used.Value, f.ID)
			}
		}
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

// billingNotConfigured recognises the 403 "Tariff service is not
// configured" of a portal without billing (self-hosted): the API's way of
// saying "not available here", so it counts as answered and emits nothing.
func billingNotConfigured(err error) bool {
	var se *scrape.Error
	return errors.As(err, &se) && se.Status == http.StatusForbidden && strings.Contains(se.Detail, "Tariff service is not configured")
}

// currencySigns maps signs that DocSpace sometimes puts in its
// isoCurrencySymbol fields to ISO 4217 codes.
var currencySigns = map[string]string{"$": "USD", "€": "EUR", "£": "GBP", "₽": "RUB", "¥": "JPY", "₹": "INR"}

// currencyCode returns an ISO 4217 code from a field that should hold one,
// falling back to a known sign; "" when neither helps. A code is three ASCII
// letters: "₽" and "₹" are three bytes too, but signs.
func currencyCode(iso, sign string) string {
	iso = strings.TrimSpace(iso)
	if isoCode.MatchString(iso) {
		return strings.ToUpper(iso)
	}
	return cmp.Or(currencySigns[iso], currencySigns[strings.TrimSpace(sign)])
}

var isoCode = regexp.MustCompile(`^[A-Za-z]{3}$`)

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
