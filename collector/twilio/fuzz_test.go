package twilio_test

import (
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/twilio"
	"github.com/billing-exporter/billing-exporter/config"
)

// FuzzTwilioScrape fuzzes Twilio's whole scrape as production runs it
// (see collectortest.FuzzScrape): one route of the endpoint table answers
// the fuzzed body, the fake the others. Seeds live in
// testdata/fuzz/FuzzTwilioScrape; `go test -run=^$ -fuzz=FuzzTwilioScrape
// ./collector/twilio` explores.
func FuzzTwilioScrape(f *testing.F) {
	routes := collectortest.Routes(twilio.Provider.Endpoints)
	fs := collectortest.NewFuzzScrape(f, config.Account{Provider: "twilio", APIKey: accountSID + ":" + authToken},
		twilio.NewFake(accountSID, authToken), routes, collectortest.NewClock())
	f.Fuzz(fs.Scrape)
}
