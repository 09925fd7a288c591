package digitalocean

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/billing-exporter/billing-exporter/internal/contract"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// The decoders read only fields the contract lists, as the types it
// gives, and it covers the whole endpoint table; an account that leaves
// base_url out reads the host the spec serves from.
func TestProviderFollowsTheContract(t *testing.T) {
	contract.Load(t, "testdata/contract.yml").CheckProvider(t, &Provider, map[string]any{Balance.Name: balanceDoc{}})
}

// Every balance the fake serves (its default, the demo's, the benchmark's)
// is one the spec allows.
func TestFakeAnswersFollowTheSpec(t *testing.T) {
	tb := contract.Load(t, "testdata/contract.yml")
	answer := func(name string, h http.Handler, token string) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, Balance.Path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", name, rec.Code, rec.Body)
		}
		tb.CheckAnswer(t, Balance.Name, rec.Body.Bytes())
	}
	answer("NewFake", NewFake("t"), "t")
	h, key := fixture(0)
	answer("fixture", h, string(key))

	// The demo's fakes are reached through the sandbox server, over loopback.
	d := sandbox.NewDemo(nil)
	defer d.Close()
	for _, a := range demo(d) {
		if status, body := tb.Fetch(t, Balance.Name, a.BaseURL+Balance.Path, "Bearer "+string(a.APIKey)); status != http.StatusOK {
			t.Fatalf("demo %s: status %d: %s", a.Name, status, body)
		}
	}
}
