package docspace

import (
	"net/http"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/contract"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// decoders is what Scrape decodes each endpoint's answer into.
var decoders = map[string]any{
	CustomerInfo.Name: envelope[customerInfo]{},
	Balance.Name:      envelope[balanceDoc]{},
	AIBalance.Name:    envelope[balanceDoc]{},
	Quota.Name:        envelope[quotaDoc]{},
	Quotas.Name:       envelope[[]quotaDoc]{},
	TopUp.Name:        envelope[topUpDoc]{},
	Currencies.Name:   envelope[[]currency]{},
	Tariff.Name:       envelope[tariffDoc]{},
}

// Each portal is its own host: base_url has no default.
func TestNoDefaultBaseURL(t *testing.T) {
	contract.Load(t, "testdata/contract.yml").CheckBaseURL(t, Provider.DefaultBaseURL, Provider.Endpoints)
}

// Every field a decoder reads is in the vendor's contract, with a type
// the decoder accepts, and the contract covers the whole endpoint table.
func TestDecodersReadTheContract(t *testing.T) {
	contract.Load(t, "testdata/contract.yml").CheckDecoders(t, Provider.Endpoints, decoders)
}

// What the fakes answer, the demo's portals included, satisfies the
// contract, so that tests and demo run on answers the vendor could give.
func TestFakesAnswerAsTheContractSays(t *testing.T) {
	tb := contract.Load(t, "testdata/contract.yml")
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	noBilling := NewFake(fakeKey(2))
	noBilling.NoBilling()
	accounts := []config.Account{
		{Name: "fake", BaseURL: srv.Mount("/fake", NewFake(fakeKey(1))), APIKey: config.Secret(fakeKey(1))},
		{Name: "no-billing", BaseURL: srv.Mount("/no-billing", noBilling), APIKey: config.Secret(fakeKey(2))},
	}
	d := sandbox.NewDemo(nil)
	t.Cleanup(d.Close)
	accounts = append(accounts, demo(d)...)
	answered := 0
	for _, a := range accounts {
		for _, ep := range Provider.Endpoints {
			status, body := tb.Fetch(t, ep.Name, a.BaseURL+ep.Path, "Bearer "+string(a.APIKey))
			switch {
			case status == http.StatusOK:
				answered++
			case !strings.Contains(string(body), "Tariff service is not configured"):
				t.Errorf("%s %s: %d %s", a.Name, ep.Name, status, body)
			}
		}
	}
	if answered < 30 {
		t.Errorf("only %d answers checked", answered)
	}
}
