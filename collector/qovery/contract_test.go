package qovery

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/billing-exporter/billing-exporter/internal/contract"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/billing-exporter/billing-exporter/scrape"
)

// decoders is what Scrape decodes each endpoint's answer into.
var decoders = map[string]any{
	Organizations.Name:      list[organization]{},
	Organization.Name:       organization{},
	CurrentCost.Name:        currentCost{},
	BillingStatus.Name:      billingStatus{},
	BillingInfo.Name:        billingInfo{},
	Invoices.Name:           list[invoice]{},
	CreditCards.Name:        list[card]{},
	Clusters.Name:           list[cluster]{},
	ClusterCurrentCost.Name: costRange{},
}

// The decoders read only fields the contract lists, as the types it
// gives, and it covers the whole endpoint table; an account that leaves
// base_url out reads the host the spec serves from.
func TestProviderFollowsTheContract(t *testing.T) {
	contract.Load(t, "testdata/contract.yml").CheckProvider(t, &Provider, decoders)
}

// What the demo's and the benchmark's fakes answer at every path of the
// endpoint table satisfies the contract.
func TestFakesAnswerAsTheContractSays(t *testing.T) {
	tb := contract.Load(t, "testdata/contract.yml")
	d := sandbox.NewDemo(nil)
	t.Cleanup(d.Close)
	type target struct{ base, key string }
	var targets []target
	for _, a := range demo(d) {
		targets = append(targets, target{a.BaseURL, string(a.APIKey)})
	}
	h, key := fixture(1)
	targets = append(targets, target{d.Server.Mount("/fixture", h), string(key)})
	answered := 0
	for _, tg := range targets {
		get := func(ep scrape.Endpoint, out any) {
			status, body := tb.Fetch(t, ep.Name, tg.base+ep.Path, "Token "+tg.key)
			if status != http.StatusOK {
				t.Fatalf("%s %s: %d %s", ep.Name, ep.Path, status, body)
			}
			answered++
			if out != nil {
				if err := json.Unmarshal(body, out); err != nil {
					t.Fatal(err)
				}
			}
		}
		var orgs list[organization]
		get(Organizations, &orgs)
		for _, o := range orgs.Results {
			for _, ep := range []scrape.Endpoint{Organization, CurrentCost, BillingStatus, BillingInfo, Invoices, CreditCards} {
				get(ep.With(o.ID), nil)
			}
			var clusters list[cluster]
			get(Clusters.With(o.ID), &clusters)
			for _, c := range clusters.Results {
				get(ClusterCurrentCost.With(o.ID, c.ID), nil)
			}
		}
	}
	if answered < 20 {
		t.Errorf("only %d answers checked", answered)
	}
}
