package telnyx_test

import (
	"net/http"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/telnyx"
)

// These tests hold the fake to Telnyx's API v2 spec (see
// testdata/contract.yml for the fields and the spec's commit), so that the
// tests built on it prove something about the real API.

// call is an answer of the fake with its body read as a JSON object.
type call struct {
	status int
	body   map[string]any
}

func get(t *testing.T, method, url, auth string) call {
	t.Helper()
	a := collectortest.Call(t, method, url, auth, nil)
	return call{status: a.Status, body: a.JSON(t)}
}

// firstError is the first entry of a {"errors": [...]} body, which every
// error of the API carries with a code and a title.
func firstError(t *testing.T, c call) map[string]any {
	t.Helper()
	errs, _ := c.body["errors"].([]any)
	if len(errs) == 0 {
		t.Fatalf("HTTP %d: no errors list in %v", c.status, c.body)
	}
	e, _ := errs[0].(map[string]any)
	if code, _ := e["code"].(string); code == "" || e["title"] == "" {
		t.Errorf("error without a string code and a title: %v", e)
	}
	return e
}

func TestTelnyxFakeAuth(t *testing.T) {
	base := collectortest.ServeFake(t, telnyx.NewFake(telnyxKey)) + "/v2/balance"
	for _, tc := range []struct {
		name, auth string
		status     int
	}{
		{"no header", "", 401},
		{"bare key", telnyxKey, 401},
		{"wrong key", "Bearer KEY00000000000000000000000000000000_x", 401},
		{"Basic scheme", "Basic " + telnyxKey, 401},
		{"Bearer key", "Bearer " + telnyxKey, 200},
	} {
		c := get(t, http.MethodGet, base, tc.auth)
		if c.status != tc.status {
			t.Errorf("%s: HTTP %d, want %d", tc.name, c.status, tc.status)
		}
		if tc.status == 401 && firstError(t, c)["code"] != "10009" {
			t.Errorf("%s: 401 body %v, want code 10009", tc.name, c.body)
		}
	}
}

func TestTelnyxFakeAnswers(t *testing.T) {
	fake := telnyx.NewFake(telnyxKey)
	base := collectortest.ServeFake(t, fake)
	auth := "Bearer " + telnyxKey

	bal := get(t, http.MethodGet, base+"/v2/balance", auth)
	data, _ := bal.body["data"].(map[string]any)
	want := map[string]any{"balance": "300.00", "credit_limit": "100.00", "available_credit": "400.00",
		"pending": "10.00", "currency": "USD", "record_type": "balance"}
	for k, v := range want {
		if data[k] != v {
			t.Errorf("balance %s = %#v, want %#v", k, data[k], v)
		}
	}
	prefs := get(t, http.MethodGet, base+"/v2/payment/auto_recharge_prefs", auth)
	data, _ = prefs.body["data"].(map[string]any)
	if data["enabled"] != true || data["threshold_amount"] != "104.00" || data["recharge_amount"] != "104.00" ||
		data["record_type"] != "auto_recharge_pref" {
		t.Errorf("auto recharge preferences %v", data)
	}

	// available_credit is balance + credit limit, to the cent.
	for _, tc := range []struct{ balance, limit, want string }{
		{"-230.50", "250.00", "19.50"}, {"0.10", "0.20", "0.30"}, {"12.3400", "0", "12.34"},
	} {
		if got := telnyx.BalanceData(tc.balance, tc.limit, "0.00", "USD")["available_credit"]; got != tc.want {
			t.Errorf("available_credit of %s + %s = %v, want %s", tc.balance, tc.limit, got, tc.want)
		}
	}

	// Errors: an unknown path, a write, no preferences.
	for _, tc := range []struct{ method, path, code string }{
		{http.MethodGet, "/v2/nope", "10005"},
		{http.MethodGet, "/balance", "10005"},
		{http.MethodPatch, "/v2/payment/auto_recharge_prefs", "10005"},
	} {
		c := get(t, tc.method, base+tc.path, auth)
		if c.status != 404 || firstError(t, c)["code"] != tc.code {
			t.Errorf("%s %s: HTTP %d %v", tc.method, tc.path, c.status, c.body)
		}
	}
	fake.NoPreferences()
	if c := get(t, http.MethodGet, base+"/v2/payment/auto_recharge_prefs", auth); c.status != 404 || firstError(t, c)["code"] != "10005" {
		t.Errorf("no preferences: HTTP %d %v", c.status, c.body)
	}
}
