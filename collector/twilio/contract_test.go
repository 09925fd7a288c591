package twilio

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/billing-exporter/billing-exporter/internal/contract"
)

// The decoders read only fields the contract lists, as the types it
// gives, and it covers the whole endpoint table; an account that leaves
// base_url out reads the host the spec serves from.
func TestProviderFollowsTheContract(t *testing.T) {
	contract.Load(t, "testdata/contract.yml").CheckProvider(t, &Provider,
		map[string]any{Balance.Name: balanceDoc{}, ThisMonth.Name: usageDoc{}, "error": twilioError{}})
}

// The fake answers as the spec says, so that tests on it prove something
// about the real API: every endpoint of a main account and a subaccount
// (null balance), and its errors.
func TestFakeAnswersFollowTheSpec(t *testing.T) {
	tb := contract.Load(t, "testdata/contract.yml")
	sid, token, sub := fakeSID("AC", 1), fakeToken(1), fakeSID("AC", 2)
	fake := NewFake(sid, token)
	fake.AddSubaccount(sub)
	answer := func(path, user, pass string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if user != "" {
			r.SetBasicAuth(user, pass)
		}
		w := httptest.NewRecorder()
		fake.ServeHTTP(w, r)
		return w
	}
	for _, acct := range []string{sid, sub} {
		for _, ep := range Provider.Endpoints {
			w := answer(ep.With(acct).Path, sid, token)
			if w.Code != http.StatusOK {
				t.Fatalf("%s of %s: %d %s", ep.Name, acct, w.Code, w.Body)
			}
			tb.CheckAnswer(t, ep.Name, w.Body.Bytes())
		}
	}
	for _, tc := range []struct {
		name, path, user, pass string
		status                 int
	}{
		{"no credentials", Balance.With(sid).Path, "", "", http.StatusUnauthorized},
		{"wrong token", Balance.With(sid).Path, sid, "wrong", http.StatusUnauthorized},
		{"unknown resource", "/2010-04-01/Accounts/" + sid + "/Nothing.json", sid, token, http.StatusNotFound},
	} {
		w := answer(tc.path, tc.user, tc.pass)
		if w.Code != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, w.Code, tc.status)
		}
		tb.CheckAnswer(t, "error", w.Body.Bytes())
	}
}
