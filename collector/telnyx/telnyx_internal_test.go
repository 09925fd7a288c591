package telnyx

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/internal/contract"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// The decoders read only fields the contract lists, as the types it
// gives, and it covers the whole endpoint table; an account that leaves
// base_url out reads the host the spec serves from.
func TestProviderFollowsTheContract(t *testing.T) {
	contract.Load(t, "testdata/contract.yml").CheckProvider(t, &Provider,
		map[string]any{Balance.Name: envelope[balanceDoc]{}, AutoRechargePrefs.Name: envelope[prefsDoc]{}})
}

// The fake's answers, those of the demo accounts included, are what the
// spec says the API sends.
func TestFakeAnswersFollowTheContract(t *testing.T) {
	tb := contract.Load(t, "testdata/contract.yml")
	for _, ep := range Provider.Endpoints {
		key := fakeKey(1)
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, ep.Path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		NewFake(key).ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: HTTP %d", ep.Name, rec.Code)
		}
		tb.CheckAnswer(t, ep.Name, rec.Body.Bytes())
	}

	d := sandbox.NewDemo(nil)
	t.Cleanup(d.Close)
	answered := 0
	for _, acct := range demo(d) {
		for _, ep := range Provider.Endpoints {
			req, err := http.NewRequest(http.MethodGet, acct.BaseURL+ep.Path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+string(acct.APIKey))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode == http.StatusOK {
				tb.CheckAnswer(t, ep.Name, body)
				answered++
			}
		}
	}
	if answered < 3 {
		t.Errorf("the demo accounts answered %d reads, want at least 3", answered)
	}
}

func TestVendorMessage(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"errors":[{"code":"10009","title":"Authentication failed","detail":"The API key is not valid."}]}`,
			"Authentication failed: The API key is not valid. (10009)"},
		{`{"errors":[{"code":10005,"title":"Resource not found"}]}`, "Resource not found (10005)"},
		{`{"errors":[{"code":"10015","detail":"Bad page"},{"code":"10016","title":"Too big","detail":"Too big"}]}`,
			"Bad page (10015); Too big (10016)"},
		{`{"errors":[]}`, ""},
		{`{"message":"Not found"}`, ""},
		{`{"errors":{"code":"1"}}`, ""},
		{`<html>Bad Gateway</html>`, ""},
		{``, ""},
	} {
		if got := vendorMessage([]byte(tc.body)); got != tc.want {
			t.Errorf("vendorMessage(%s) = %q, want %q", tc.body, got, tc.want)
		}
	}
	if got := vendorMessage([]byte(`{"errors":[{"title":"` + strings.Repeat("x", 10000) + `"}]}`)); len(got) != 10000 {
		t.Errorf("a long title: %d bytes; the client shortens it, not the parser", len(got))
	}
}
