package qovery_test

import (
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/qovery"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/scrape"
)

// FuzzQoveryScrape fuzzes Qovery's whole scrape as production runs it
// (see collectortest.FuzzScrape): one route of the endpoint table answers
// the fuzzed body, the fake the others. Seeds live in
// testdata/fuzz/FuzzQoveryScrape; `go test -run=^$ -fuzz=FuzzQoveryScrape
// ./collector/qovery` explores.
//
// Its account reads every organization the token lists, which never asks
// for one organization by id: that route is FuzzQoveryScrapeOrganizationID's.
func FuzzQoveryScrape(f *testing.F) {
	var table []scrape.Endpoint
	for _, ep := range qovery.Provider.Endpoints {
		if ep.Name != qovery.Organization.Name {
			table = append(table, ep)
		}
	}
	fs := collectortest.NewFuzzScrape(f, config.Account{Provider: "qovery", APIKey: qoveryToken},
		qovery.NewFake(qoveryToken, qoveryOrgs()...), collectortest.Routes(table), collectortest.NewClock())
	f.Fuzz(fs.Scrape)
}

// FuzzQoveryScrapeOrganizationID is FuzzQoveryScrape for an account set
// to one organization that the token's list leaves out, read by its id.
func FuzzQoveryScrapeOrganizationID(f *testing.F) {
	orgs := qoveryOrgs()
	orgs[1].Unlisted = true
	fs := collectortest.NewFuzzScrape(f, config.Account{Provider: "qovery", APIKey: qoveryToken, Options: &qovery.Options{OrganizationID: orgB}},
		qovery.NewFake(qoveryToken, orgs...), collectortest.Routes(qovery.Provider.Endpoints), collectortest.NewClock())
	f.Fuzz(fs.Scrape)
}
