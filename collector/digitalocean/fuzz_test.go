package digitalocean_test

import (
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/digitalocean"
	"github.com/billing-exporter/billing-exporter/config"
)

// FuzzDigitalOceanScrape fuzzes DigitalOcean's scrape as production runs
// it (see collectortest.FuzzScrape): the balance answers the fuzzed body
// as a 200. Seeds live in testdata/fuzz/FuzzDigitalOceanScrape; `go test
// -run=^$ -fuzz=FuzzDigitalOceanScrape ./collector/digitalocean` explores.
func FuzzDigitalOceanScrape(f *testing.F) {
	routes := collectortest.Routes(digitalocean.Provider.Endpoints)
	fs := collectortest.NewFuzzScrape(f, config.Account{Provider: "digitalocean", APIKey: token},
		digitalocean.NewFake(token), routes, collectortest.NewClock())
	f.Fuzz(fs.Scrape)
}
