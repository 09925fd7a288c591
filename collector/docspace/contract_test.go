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

// The decoders read only fields the contract lists, as the types it
// gives, and it covers the whole endpoint table; each portal is its own
// host, so base_url has no default.
func TestProviderFollowsTheContract(t *testing.T) {
	contract.Load(t, "testdata/contract.yml").CheckProvider(t, &Provider, decoders)
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
