package docspace

import (
	"encoding/json"
	"testing"
)

// Decoders of vendor answers must never panic, whatever the vendor sends.
// Seeds live in testdata/fuzz/<Name>; `go test` runs them, and
// `go test -run=^$ -fuzz=FuzzDocSpaceQuota ./collector/docspace` explores.
// FuzzDocSpaceScrape, in fuzz_scrape_test.go, fuzzes the whole scrape.

func FuzzDocSpaceQuota(f *testing.F) {
	b, _ := json.Marshal(map[string]any{"response": QuotaBusiness()})
	f.Add(b)
	f.Fuzz(func(_ *testing.T, body []byte) {
		var q envelope[quotaDoc]
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
