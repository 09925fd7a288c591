package qovery

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/provider"
)

// Decoders of vendor answers must never panic, whatever the vendor sends:
// decode into the provider's types, then emit as the collector does.
// Seeds live in testdata/fuzz/FuzzQoveryOrganization; `go test` runs them,
// and `go test -run=^$ -fuzz=FuzzQoveryOrganization ./collector/qovery`
// explores. FuzzQoveryScrape (fuzz_test.go) fuzzes the whole scrape.
func FuzzQoveryOrganization(f *testing.F) {
	for _, body := range []string{
		`{"cost":{"plan":"TEAM_2025","remaining_trial_day":0,"renewal_at":"2023-11-07T05:31:56Z","cost":{"total_in_cents":30000,"total":300,"currency_code":"USD"}},` +
			`"invoices":{"results":[{"id":"x","created_at":"2024-01-01T00:00:00Z","status":"PAID","total_in_cents":30000,"total":300,"currency_code":"USD"}]},` +
			`"cards":{"results":[{"id":"c","expiry_month":6,"expiry_year":2025,"last_digit":"7890","is_expired":false,"brand":"visa"}]},` +
			`"range":{"min_cost_in_cents":15000,"min_cost":150,"max_cost_in_cents":30000,"max_cost":300,"currency_code":"USD"}}`,
		`{"cards":{"results":[{"expiry_month":13,"expiry_year":-1}]},"invoices":{"results":[{"status":""}]}}`,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(_ *testing.T, body []byte) {
		var doc struct {
			Cost     currentCost   `json:"cost"`
			Invoices list[invoice] `json:"invoices"`
			Cards    list[card]    `json:"cards"`
			Range    costRange     `json:"range"`
		}
		if json.Unmarshal(body, &doc) != nil {
			return
		}
		e := provider.NewEmitter("qovery", "fuzz", provider.Limits{}).ForOrganization("o", "id")
		emitInvoices(e, doc.Invoices.Results)
		emitCards(e, doc.Cards.Results)
		_ = money(doc.Range.MinCostInCents, doc.Range.MinCost)
		if doc.Cost.RenewalAt.Valid {
			_ = doc.Cost.RenewalAt.Unix(time.UTC)
		}
	})
}
