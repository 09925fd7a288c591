package collector

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/billing-exporter/billing-exporter/scrape"
)

// Decoders of vendor answers must never panic, whatever the vendor sends:
// decode into the provider's types, then emit as the collector does.
// Seeds live in testdata/fuzz/<Name>; `go test` runs them, and
// `go test -run=^$ -fuzz=FuzzAcefoneDashboard ./collector` explores.

func FuzzAcefoneDashboard(f *testing.F) {
	for _, doc := range []any{sandbox.AcefoneDashboardDoc(), sandbox.AcefoneSeedSample()} {
		b, _ := json.Marshal(doc)
		f.Add(b)
	}
	// A client that is never called: the fuzzed answer has due amount and date.
	client, err := scrape.New(scrape.Options{Provider: "acefone", Account: "fuzz", BaseURL: "http://127.0.0.1:9"})
	if err != nil {
		f.Fatal(err)
	}
	a := &acefone{client: client, loc: time.UTC, now: time.Now}
	f.Fuzz(func(t *testing.T, body []byte) {
		var d acefoneDashboardDoc
		if json.Unmarshal(body, &d) != nil {
			return
		}
		d.DueCharges.Valid, d.DueDate.Valid = true, true
		a.emitDashboard(context.Background(), newEmitter("acefone", "fuzz"), &d)
	})
}

func FuzzDocSpaceQuota(f *testing.F) {
	b, _ := json.Marshal(map[string]any{"response": sandbox.DocSpaceQuotaBusiness()})
	f.Add(b)
	f.Fuzz(func(t *testing.T, body []byte) {
		var q docspaceEnvelope[docspaceQuotaDoc]
		if json.Unmarshal(body, &q) != nil || q.Response == nil {
			return
		}
		_ = q.Response.plan()
		_ = q.Response.currency()
		for _, f := range q.Response.Features {
			_ = f.ID
		}
	})
}
