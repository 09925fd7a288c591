package digitalocean

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/billing-exporter/billing-exporter/internal/contract"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// The decoder reads only fields the spec lists, as the types it gives.
func TestDecoderFollowsTheSpec(t *testing.T) {
	contract.Load(t, "testdata/contract.yml").CheckDecoder(t, Balance.Name, balanceDoc{})
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
		req, err := http.NewRequest(http.MethodGet, a.BaseURL+Balance.Path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+string(a.APIKey))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("demo %s: status %d, %v: %s", a.Name, resp.StatusCode, err, body)
		}
		tb.CheckAnswer(t, Balance.Name, body)
	}
}
