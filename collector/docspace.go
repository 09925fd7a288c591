package collector

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/scrape"
)

// ONLYOFFICE DocSpace: GET /api/2.0/portal/payment/* with an API key sent
// as "Authorization: Bearer sk-…" (a bare key gets 401).

var (
	planTrialFamily = newFamily("billing_plan_trial",
		"1 if the current DocSpace plan is a trial (quota trial).", "plan")
	planPriceFamily = newFamily("billing_plan_price",
		"Price of the current DocSpace plan (quota price.value) in its currency.", "plan", "currency")
	availablePlanPriceFamily = newListFamily("billing_available_plan_price",
		"Price of each plan the DocSpace portal can buy (quotas), in its currency.", "plan", "currency")
	quotaLimitBytesFamily = newFamily("billing_quota_limit_bytes",
		"Limit of a DocSpace quota feature measured in bytes, e.g. storage (quota features of type size). Unlimited (-1) features have no series.", "feature")
	quotaUsedBytesFamily = newFamily("billing_quota_used_bytes",
		"Usage of a DocSpace quota feature measured in bytes (quota features of type size, used.value).", "feature")
	quotaLimitFamily = newFamily("billing_quota_limit",
		"Limit of a DocSpace quota feature that counts things, e.g. users or rooms (quota features of type count). Unlimited (-1) features have no series.", "feature")
	quotaUsedFamily = newFamily("billing_quota_used",
		"Usage of a DocSpace quota feature that counts things (quota features of type count, used.value).", "feature")
	topupEnabledFamily = newFamily("billing_topup_enabled",
		"1 if DocSpace automatic top-up is on (topupsettings enabled).")
	topupMinFamily = newFamily("billing_topup_min_balance",
		"Balance under which DocSpace tops up automatically (topupsettings minBalance). Absent until a currency is configured.", "currency")
	topupTargetFamily = newFamily("billing_topup_target_balance",
		"Balance an automatic DocSpace top-up restores (topupsettings upToBalance). Absent until a currency is configured.", "currency")
	paymentMethodStateFamily = newFamily("billing_payment_method_state",
		"State of the account's payment method, one series per state: 1 for the current state, 0 for the others. none: no payment method on file; set: one is on file; expired: the one on file has expired. All 0 when the vendor reports a state not listed here.", "state")
	lastCreditAmountFamily = newFamily("billing_last_credit_amount",
		"Amount of the last credit (top-up) of the DocSpace balance (customer/balance lastCredit).", "currency")
	lastCreditTimeFamily = newFamily("billing_last_credit_timestamp_seconds",
		"When the DocSpace balance was last credited, Unix time (customer/balance lastCredit.date).")
	currencyInfoFamily = newListFamily("billing_supported_currency_info",
		"Currencies the DocSpace portal can pay in (currencies), value 1. symbol is the sign, e.g. $.", "country", "symbol", "name")
)

// paymentMethodStates are the states of billing_payment_method_state, in
// no vendor's terms: each provider maps its own codes to them.
var paymentMethodStates = [...]string{"none", "set", "expired"}

// docspacePaymentMethodState is the state of customerinfo
// paymentMethodStatus, "" for a code it does not know.
func docspacePaymentMethodState(status float64) string {
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

// docspaceQuotaFamilies are the limit and usage families of a quota
// feature type; nil for types without an amount (flags).
func docspaceQuotaFamilies(typ string) (limit, used *family) {
	switch typ {
	case "size":
		return quotaLimitBytesFamily, quotaUsedBytesFamily
	case "count":
		return quotaLimitFamily, quotaUsedFamily
	}
	return nil, nil
}

// DocSpace endpoints. Plans and currencies change rarely: an hour's cache.
var (
	docspaceCustomerInfo = scrape.Endpoint{Name: "customerinfo", Path: "/api/2.0/portal/payment/customerinfo?refresh=true"}
	docspaceBalance      = scrape.Endpoint{Name: "customer/balance", Path: "/api/2.0/portal/payment/customer/balance?refresh=true"}
	docspaceQuota        = scrape.Endpoint{Name: "quota", Path: "/api/2.0/portal/payment/quota?refresh=true"}
	docspaceQuotas       = scrape.Endpoint{Name: "quotas", Path: "/api/2.0/portal/payment/quotas", TTL: time.Hour}
	docspaceTopUp        = scrape.Endpoint{Name: "topupsettings", Path: "/api/2.0/portal/payment/topupsettings"}
	docspaceCurrencies   = scrape.Endpoint{Name: "currencies", Path: "/api/2.0/portal/payment/currencies", TTL: time.Hour}
)

func init() {
	endpoints := []string{docspaceCustomerInfo.Name, docspaceBalance.Name, docspaceQuota.Name, docspaceQuotas.Name,
		docspaceTopUp.Name, docspaceCurrencies.Name}
	registerProvider("docspace", endpoints, nil, func(acct *config.Account, _ *noOptions, d deps) (Scraper, error) {
		key := string(acct.APIKey)
		d.client.SetAuth(func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+key) })
		return &docspace{client: d.client}, nil
	})
}

type docspace struct{ client *scrape.Client }

// Due: nothing but cached answers makes its values.
func (*docspace) Due() time.Time { return time.Time{} }

// envelope is the DocSpace response wrapper; a null payload omits response.
type docspaceEnvelope[T any] struct {
	Response *T `json:"response"`
}

type docspaceQuotaDoc struct {
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

func (q *docspaceQuotaDoc) plan() string {
	if q.Title != "" {
		return q.Title
	}
	return "id " + string(q.ID)
}

func (q *docspaceQuotaDoc) currency() string {
	if q.Price == nil {
		return ""
	}
	return currencyCode(q.Price.ISOCurrencySymbol, q.Price.CurrencySymbol)
}

type (
	docspaceInfo struct {
		PaymentMethodStatus scrape.Float `json:"paymentMethodStatus"`
	}
	docspaceBalanceDoc struct {
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
	docspaceTopUpDoc struct {
		Enabled     scrape.Bool  `json:"enabled"`
		MinBalance  scrape.Float `json:"minBalance"`
		UpToBalance scrape.Float `json:"upToBalance"`
		Currency    string       `json:"currency"`
	}
	docspaceCurrency struct {
		ISOCountryCode     string `json:"isoCountryCode"`
		ISOCurrencySymbol  string `json:"isoCurrencySymbol"`
		CurrencyNativeName string `json:"currencyNativeName"`
	}
)

func (d *docspace) Scrape(ctx context.Context, e *Emitter) error {
	var (
		info       docspaceEnvelope[docspaceInfo]
		bal        docspaceEnvelope[docspaceBalanceDoc]
		quota      docspaceEnvelope[docspaceQuotaDoc]
		quotas     docspaceEnvelope[[]docspaceQuotaDoc]
		topup      docspaceEnvelope[docspaceTopUpDoc]
		currencies docspaceEnvelope[[]docspaceCurrency]
	)
	ok := e.FetchAll(ctx, d.client,
		Read{Endpoint: docspaceCustomerInfo, Out: &info, Answered: billingNotConfigured},
		Read{Endpoint: docspaceBalance, Out: &bal, Answered: billingNotConfigured},
		Read{Endpoint: docspaceQuota, Out: &quota},
		Read{Endpoint: docspaceQuotas, Out: &quotas},
		Read{Endpoint: docspaceTopUp, Out: &topup},
		Read{Endpoint: docspaceCurrencies, Out: &currencies},
	)

	if ok[0] && info.Response != nil {
		if status := info.Response.PaymentMethodStatus; status.Valid {
			current := docspacePaymentMethodState(status.V)
			for _, state := range paymentMethodStates {
				v := 0.0
				if state == current {
					v = 1
				}
				e.Gauge(paymentMethodStateFamily, v, state)
			}
		}
	}
	if ok[1] && bal.Response != nil {
		for _, sa := range bal.Response.SubAccounts {
			if sa.Currency != "" {
				e.GaugeIf(balanceFamily, sa.Amount, strings.ToUpper(sa.Currency))
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
		e.Gauge(planInfoFamily, 1, plan)
		e.Bool(planTrialFamily, q.Trial, plan)
		e.Time(planDueFamily, q.DueDate, time.UTC, plan)
		if cur := q.currency(); cur != "" {
			e.GaugeIf(planPriceFamily, q.Price.Value, plan, cur)
		}
		for _, f := range q.Features {
			limitFamily, usedFamily := docspaceQuotaFamilies(f.Type)
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
		for _, q := range *quotas.Response {
			if cur := q.currency(); cur != "" {
				e.GaugeIf(availablePlanPriceFamily, q.Price.Value, q.plan(), cur)
			}
		}
	}
	if ok[4] && topup.Response != nil {
		t := topup.Response
		e.Bool(topupEnabledFamily, t.Enabled)
		// Never-configured settings have no currency and zero amounts:
		// a threshold without a currency cannot be compared to a balance.
		if t.Currency != "" {
			cur := strings.ToUpper(t.Currency)
			e.GaugeIf(topupMinFamily, t.MinBalance, cur)
			e.GaugeIf(topupTargetFamily, t.UpToBalance, cur)
		}
	}
	if ok[5] && currencies.Response != nil {
		for _, cur := range *currencies.Response {
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
