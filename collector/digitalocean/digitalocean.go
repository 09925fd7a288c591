// Package digitalocean reads a DigitalOcean team's balance:
// GET /v2/customers/my/balance at https://api.digitalocean.com with a
// personal access token sent as "Authorization: Bearer …" (a read-only
// token with the billing:read scope is enough).
//
// DigitalOcean states what the team owes: its month_to_date_balance is
// account_balance plus month_to_date_usage, and a payment or credit is a
// negative amount. billing_balance is money left to spend, so it is the
// opposite of month_to_date_balance: negative while money is owed,
// positive with prepaid credit (ADR 0018).
package digitalocean

import (
	"cmp"
	"context"
	"encoding/json"

	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/scrape"
)

// Balance is the provider's one endpoint.
var Balance = scrape.Endpoint{Name: "customers/my/balance", Path: "/v2/customers/my/balance"}

// Provider describes DigitalOcean to the engine. Its values are all in
// shared families; it reads no keys beyond api_key.
var Provider = provider.Descriptor{
	Name:           "digitalocean",
	DefaultBaseURL: "https://api.digitalocean.com",
	Endpoints:      []scrape.Endpoint{Balance},
	Build: func(acct *config.Account, d provider.Deps) (provider.Scraper, error) {
		provider.SendBearer(d.Client, acct)
		return &scraper{client: d.Client}, nil
	},
	VendorMessage: vendorMessage,
	Demo:          demo,
	Fixture:       fixture,
}

// currency of every amount: DigitalOcean bills in US dollars, and its
// balance names no currency.
const currency = "USD"

type scraper struct {
	provider.NothingDue
	client *scrape.Client
}

// balanceDoc is the balance answer; every amount is a decimal string.
// generated_at is left out: the cache already says how old a value may be.
type balanceDoc struct {
	MonthToDateBalance scrape.Float `json:"month_to_date_balance"`
	AccountBalance     scrape.Float `json:"account_balance"`
	MonthToDateUsage   scrape.Float `json:"month_to_date_usage"`
}

func (s *scraper) Scrape(ctx context.Context, e *provider.Emitter) error {
	var b balanceDoc
	if !e.Fetch(ctx, s.client, provider.Read{Endpoint: Balance, Out: &b}) {
		return nil
	}
	e.GaugeIf(provider.Balance, leftToSpend(b.MonthToDateBalance), currency, provider.MainWallet)
	e.GaugeIf(provider.DueCharges, due(b.AccountBalance), currency)
	e.GaugeIf(provider.CurrentCost, b.MonthToDateUsage, currency)
	return nil
}

// leftToSpend turns an amount owed into money left to spend. A settled
// account shows 0, not -0.
func leftToSpend(owed scrape.Float) scrape.Float {
	owed.V = -owed.V
	if owed.V == 0 {
		owed.V = 0
	}
	return owed
}

// due is what the past billing leaves to pay: account_balance when it is
// owed, 0 when it is settled or in credit.
func due(accountBalance scrape.Float) scrape.Float {
	accountBalance.V = max(accountBalance.V, 0)
	return accountBalance
}

// vendorMessage reads DigitalOcean's error body, {"id", "message",
// "request_id"}. The request id differs on every call, so it stays out:
// one failure repeated must read the same in the logs.
func vendorMessage(b []byte) string {
	var v struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(b, &v)
	return cmp.Or(v.Message, v.ID)
}
