package twilio_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/twilio"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// These tests hold the fake to the API's description (the shapes are
// checked against testdata/contract.yml by contract_test.go), so that the
// collector tests built on it prove something about the real API.

type answer struct {
	status int
	body   map[string]any
}

func get(t *testing.T, base, path, user, pass string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("%s: not a JSON object: %s", path, b)
	}
	return answer{resp.StatusCode, body}
}

func fakeBase(t *testing.T, fake *twilio.Fake) string {
	t.Helper()
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	return srv.Mount("/x", fake)
}

func accountPath(sid, resource string) string { return "/2010-04-01/Accounts/" + sid + "/" + resource }

// Basic credentials: the Account SID with its auth token, or an API key
// with its secret. A key reads its own account; the auth token also the
// subaccounts. Errors carry code, message, more_info and status.
func TestFakeAuthentication(t *testing.T) {
	fake := twilio.NewFake(accountSID, authToken)
	fake.AddKey(keySID, keySecret)
	fake.AddSubaccount(subSID)
	base := fakeBase(t, fake)
	for _, tc := range []struct {
		name, sid, user, pass string
		status, code          int
	}{
		{"no credentials", accountSID, "", "", 401, 20003},
		{"wrong token", accountSID, accountSID, keySecret, 401, 20003},
		{"key SID with the auth token", accountSID, keySID, authToken, 401, 20003},
		{"auth token", accountSID, accountSID, authToken, 200, 0},
		{"API key", accountSID, keySID, keySecret, 200, 0},
		{"subaccount with the parent's token", subSID, accountSID, authToken, 200, 0},
		{"subaccount with an API key", subSID, keySID, keySecret, 404, 20404},
		{"unknown account", "AC" + "ffffffffffffffffffffffffffffffff", accountSID, authToken, 404, 20404},
	} {
		a := get(t, base, accountPath(tc.sid, "Balance.json"), tc.user, tc.pass)
		if a.status != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, a.status, tc.status)
		}
		if tc.code != 0 && (a.body["code"] != float64(tc.code) || a.body["status"] != float64(tc.status) ||
			a.body["message"] == "" || a.body["more_info"] == nil) {
			t.Errorf("%s: error body %v", tc.name, a.body)
		}
	}
}

// The balance is a decimal string; a subaccount's is null.
func TestFakeBalance(t *testing.T) {
	fake := twilio.NewFake(accountSID, authToken)
	fake.AddSubaccount(subSID)
	base := fakeBase(t, fake)
	main := get(t, base, accountPath(accountSID, "Balance.json"), accountSID, authToken).body
	if main["balance"] != "125.42" || main["currency"] != "USD" || main["account_sid"] != accountSID {
		t.Errorf("balance %v", main)
	}
	sub := get(t, base, accountPath(subSID, "Balance.json"), accountSID, authToken).body
	if v, ok := sub["balance"]; !ok || v != nil {
		t.Errorf("subaccount balance %v, want null", sub)
	}
}

// Usage records come as a page, filtered by the Category query and cut
// at PageSize, with the next page's URI when more remain.
func TestFakeUsageRecordsPage(t *testing.T) {
	base := fakeBase(t, twilio.NewFake(accountSID, authToken))
	records := func(a answer) []any {
		list, _ := a.body["usage_records"].([]any)
		return list
	}
	all := get(t, base, accountPath(accountSID, "Usage/Records/ThisMonth.json"), accountSID, authToken)
	if n := len(records(all)); n != 4 {
		t.Errorf("%d records without a category, want every category's 4", n)
	}
	total := get(t, base, accountPath(accountSID, "Usage/Records/ThisMonth.json?Category=totalprice"), accountSID, authToken)
	list := records(total)
	if len(list) != 1 {
		t.Fatalf("%d totalprice records, want 1", len(list))
	}
	rec := list[0].(map[string]any)
	if rec["category"] != "totalprice" || rec["price"] != 63.4135 || rec["price_unit"] != "usd" {
		t.Errorf("totalprice record %v", rec)
	}
	if total.body["next_page_uri"] != nil || total.body["page_size"] != float64(50) {
		t.Errorf("one page of 50: next %v, size %v", total.body["next_page_uri"], total.body["page_size"])
	}
	paged := get(t, base, accountPath(accountSID, "Usage/Records/ThisMonth.json?PageSize=2"), accountSID, authToken)
	if n := len(records(paged)); n != 2 || paged.body["next_page_uri"] == nil {
		t.Errorf("PageSize=2: %d records, next %v", n, paged.body["next_page_uri"])
	}
}

// Only reads: other methods are refused, other resources not found.
func TestFakeMethodsAndResources(t *testing.T) {
	base := fakeBase(t, twilio.NewFake(accountSID, authToken))
	req, _ := http.NewRequest(http.MethodPost, base+accountPath(accountSID, "Balance.json"), nil)
	req.SetBasicAuth(accountSID, authToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
	// The Account resource would return the auth token: the fake has none.
	if a := get(t, base, "/2010-04-01/Accounts/"+accountSID+".json", accountSID, authToken); a.status != 404 {
		t.Errorf("Account resource: %d", a.status)
	}
}
