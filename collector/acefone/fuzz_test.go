package acefone

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/scrape"
)

// Decoding the dashboard must never panic, whatever the vendor sends:
// decode into the provider's types, then emit as the collector does.
// Seeds live in testdata/fuzz/FuzzAcefoneDashboard; `go test` runs them, and
// `go test -run=^$ -fuzz=FuzzAcefoneDashboard ./collector/acefone` explores.
// FuzzAcefoneScrape (scrape_fuzz_test.go) fuzzes the whole scrape.
func FuzzAcefoneDashboard(f *testing.F) {
	for _, doc := range []any{DashboardDoc(), SeedSample()} {
		b, _ := json.Marshal(doc)
		f.Add(b)
	}
	// A client that is never called: the fuzzed answer has due amount and date.
	client, err := scrape.New(scrape.Options{Provider: "acefone", Account: "fuzz", BaseURL: "http://127.0.0.1:9"})
	if err != nil {
		f.Fatal(err)
	}
	a := &scraper{Deps: provider.Deps{Client: client, Now: time.Now}, loc: time.UTC}
	f.Fuzz(func(_ *testing.T, body []byte) {
		var d dashboardDoc
		if json.Unmarshal(body, &d) != nil {
			return
		}
		d.DueCharges.Valid, d.DueDate.Valid = true, true
		a.emitDashboard(context.Background(), provider.NewEmitter("acefone", "fuzz", provider.Limits{}), &d)
	})
}
