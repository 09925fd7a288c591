package docspace_test

import (
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/docspace"
	"github.com/billing-exporter/billing-exporter/config"
)

// FuzzDocSpaceScrape fuzzes DocSpace's whole scrape as production runs it
// (see collectortest.FuzzScrape): the fuzzer picks a route of the endpoint
// table, in its order, and that route answers the fuzzed body as a 200.
// Seeds live in testdata/fuzz/FuzzDocSpaceScrape; `go test` runs them, and
// `go test -run=^$ -fuzz=FuzzDocSpaceScrape ./collector/docspace` explores.
func FuzzDocSpaceScrape(f *testing.F) {
	routes := collectortest.Routes(docspace.Provider.Endpoints)
	fs := collectortest.NewFuzzScrape(f, config.Account{Provider: "docspace", APIKey: docspaceKey}, docspace.NewFake(docspaceKey), routes, collectortest.NewClock())
	f.Fuzz(fs.Scrape)
}
