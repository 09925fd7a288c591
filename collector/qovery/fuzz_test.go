package qovery_test

import (
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/qovery"
	"github.com/billing-exporter/billing-exporter/config"
)

// FuzzQoveryScrape fuzzes Qovery's whole scrape as production runs it
// (see collectortest.FuzzScrape): one route of the endpoint table answers
// the fuzzed body, the fake the others. Seeds live in
// testdata/fuzz/FuzzQoveryScrape; `go test -run=^$ -fuzz=FuzzQoveryScrape
// ./collector/qovery` explores.
func FuzzQoveryScrape(f *testing.F) {
	routes := collectortest.Routes(qovery.Provider.Endpoints)
	fs := collectortest.NewFuzzScrape(f, config.Account{Provider: "qovery", APIKey: qoveryToken},
		qovery.NewFake(qoveryToken, qoveryOrgs()...), routes, collectortest.NewClock())
	f.Fuzz(fs.Scrape)
}
