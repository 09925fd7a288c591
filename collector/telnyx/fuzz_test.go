package telnyx_test

import (
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/telnyx"
	"github.com/billing-exporter/billing-exporter/config"
)

// FuzzTelnyxScrape fuzzes Telnyx's whole scrape as production runs it
// (see collectortest.FuzzScrape): one route of the endpoint table answers
// the fuzzed body, the fake the other. Seeds live in
// testdata/fuzz/FuzzTelnyxScrape; `go test -run=^$ -fuzz=FuzzTelnyxScrape
// ./collector/telnyx` explores.
func FuzzTelnyxScrape(f *testing.F) {
	routes := collectortest.Routes(telnyx.Provider.Endpoints)
	fs := collectortest.NewFuzzScrape(f, config.Account{Provider: "telnyx", APIKey: telnyxKey},
		telnyx.NewFake(telnyxKey), routes, collectortest.NewClock())
	f.Fuzz(fs.Scrape)
}
