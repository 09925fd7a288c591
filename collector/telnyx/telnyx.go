// Package telnyx reads a Telnyx account's balance and its auto recharge
// preferences from the API v2 at https://api.telnyx.com/v2, with an API
// key sent as "Authorization: Bearer <key>". Amounts come as decimal
// strings in the currency the balance names.
package telnyx

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/scrape"
)

var availableCreditFamily = provider.NewFamily("billing_available_credit",
	"Money the account can still spend as the vendor states it: the balance plus the credit limit.", "currency")

// The endpoint table. Auto recharge preferences are settings: an hour's cache.
var (
	Balance           = scrape.Endpoint{Name: "balance", Path: "/v2/balance"}
	AutoRechargePrefs = scrape.Endpoint{Name: "payment/auto_recharge_prefs", Path: "/v2/payment/auto_recharge_prefs", TTL: time.Hour, NoData: noPreferences}
)

// Provider describes Telnyx to the engine.
var Provider = provider.Descriptor{
	Name:           "telnyx",
	DefaultBaseURL: "https://api.telnyx.com",
	Endpoints:      []scrape.Endpoint{Balance, AutoRechargePrefs},
	Families:       []*provider.Family{availableCreditFamily},
	Build: func(acct *config.Account, d provider.Deps) (provider.Scraper, error) {
		provider.SendBearer(d.Client, acct)
		return &scraper{client: d.Client}, nil
	},
	VendorMessage: vendorMessage,
	Demo:          demo,
	Fixture: func(i int) (http.Handler, config.Secret) {
		key := fakeKey(0x7e1000 + i)
		return NewFake(key), config.Secret(key)
	},
}

type scraper struct {
	provider.NothingDue
	client *scrape.Client
}

// envelope is Telnyx's answer wrapper: the payload sits under data.
type envelope[T any] struct {
	Data *T `json:"data"`
}

type (
	balanceDoc struct {
		Balance         scrape.Float `json:"balance"`
		CreditLimit     scrape.Float `json:"credit_limit"`
		AvailableCredit scrape.Float `json:"available_credit"`
		Pending         scrape.Float `json:"pending"`
		Currency        string       `json:"currency"`
	}
	prefsDoc struct {
		Enabled         scrape.Bool `json:"enabled"`
		ThresholdAmount amount      `json:"threshold_amount"`
		RechargeAmount  amount      `json:"recharge_amount"`
	}
)

func (s *scraper) Scrape(ctx context.Context, e *provider.Emitter) error {
	var (
		bal   envelope[balanceDoc]
		prefs envelope[prefsDoc]
	)
	ok := e.FetchAll(ctx, s.client,
		provider.Read{Endpoint: Balance, Out: &bal},
		provider.Read{Endpoint: AutoRechargePrefs, Out: &prefs},
	)

	// The preferences name no currency: their amounts are in the balance's.
	cur := ""
	if ok[0] && bal.Data != nil {
		b := bal.Data
		if cur = provider.CurrencyCode(b.Currency); cur != "" {
			e.GaugeIf(provider.Balance, b.Balance, cur, provider.MainWallet)
			e.GaugeIf(provider.CreditLimit, b.CreditLimit, cur)
			e.GaugeIf(provider.DueCharges, b.Pending, cur)
			e.GaugeIf(availableCreditFamily, b.AvailableCredit, cur)
		}
	}
	if ok[1] && prefs.Data != nil {
		p := prefs.Data
		e.Bool(provider.TopupEnabled, p.Enabled)
		if cur != "" {
			e.GaugeIf(provider.TopupMin, p.ThresholdAmount.Float, cur)
			// A recharge brings the balance to the threshold plus the
			// recharge amount.
			e.GaugeIf(provider.TopupTarget, p.ThresholdAmount.plus(p.RechargeAmount), cur)
		}
	}
	return nil
}

// noPreferences recognises the 404 of an account that never saved auto
// recharge preferences: the API's way of saying there are none, so it
// counts as answered and emits nothing. The path holds no id, so a 404
// there means nothing else.
func noPreferences(se *scrape.Error) bool {
	return se.Status == http.StatusNotFound
}

// errorDoc is Telnyx's error body.
type errorDoc struct {
	Errors []struct {
		Code   scrape.String `json:"code"`
		Title  string        `json:"title"`
		Detail string        `json:"detail"`
	} `json:"errors"`
}

// vendorMessage reads Telnyx's error body, {"errors": [{"code", "title",
// "detail"}]}, as "title: detail (code)" for each error.
func vendorMessage(b []byte) string {
	var doc errorDoc
	if json.Unmarshal(b, &doc) != nil {
		return ""
	}
	var msgs []string
	for _, e := range doc.Errors {
		title, detail := strings.TrimSpace(e.Title), strings.TrimSpace(e.Detail)
		m := title
		switch {
		case m == "":
			m = detail
		case detail != "" && detail != title:
			m += ": " + detail
		}
		if code := strings.TrimSpace(string(e.Code)); code != "" {
			m = strings.TrimSpace(m + " (" + code + ")")
		}
		if m != "" {
			msgs = append(msgs, m)
		}
	}
	return strings.Join(msgs, "; ")
}
