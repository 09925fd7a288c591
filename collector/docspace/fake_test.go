package docspace_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/docspace"
)

// These tests hold the fake to the vendor's server and spec, odd corners
// included, so that the collector tests built on it prove something about
// the real API; contract_test.go holds its answers to the spec's types.

func TestDocSpaceAuth(t *testing.T) {
	base := collectortest.ServeFake(t, docspace.NewFake(docspaceKey)) + "/api/2.0/portal/payment/quota"
	for _, tc := range []struct {
		name, auth string
		status     int
	}{
		{"no header", "", 401},
		{"bare key, as one docs sample sends it", docspaceKey, 401},
		{"wrong key", "Bearer sk-" + strings.Repeat("f", 64), 401},
		{"Bearer key", "Bearer " + docspaceKey, 200},
	} {
		c := collectortest.Call(t, http.MethodGet, base, tc.auth, nil)
		if c.Status != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, c.Status, tc.status)
		}
		if tc.status == 401 && len(c.Body) != 0 {
			t.Errorf("%s: 401 with a body %q; the server sends none", tc.name, c.Body)
		}
	}
}

func TestDocSpaceEnvelopeAndOmittedNulls(t *testing.T) {
	fake := docspace.NewFake(docspaceKey)
	q := docspace.QuotaBusiness()
	q["dueDate"] = nil // a test setting nil gets what the server sends: no property
	q["price"].(map[string]any)["currencySymbol"] = nil
	fake.Set(docspace.Quota.Name, docspace.OK(q))
	portal := collectortest.ServeFake(t, fake)
	base := portal + "/api/2.0/portal/payment/"
	for _, ep := range docspace.Provider.Endpoints {
		c := collectortest.Call(t, http.MethodGet, portal+ep.Path, "Bearer "+docspaceKey, nil)
		if c.Status != 200 {
			t.Fatalf("%s: %d", ep.Name, c.Status)
		}
		if bytes.Contains(c.Body, []byte("null")) {
			t.Errorf("%s: a null in %s; the server omits null properties", ep.Name, c.Body)
		}
		env := c.JSON(t)
		for _, k := range []string{"response", "count", "links", "status", "statusCode"} {
			if _, ok := env[k]; !ok {
				t.Errorf("%s: envelope lacks %q", ep.Name, k)
			}
		}
		if env["statusCode"] != float64(200) || env["status"] != float64(0) {
			t.Errorf("%s: status %v statusCode %v", ep.Name, env["status"], env["statusCode"])
		}
		// count is a list's length, 1 for one object.
		want := 1.0
		if list, ok := env["response"].([]any); ok {
			want = float64(len(list))
		}
		if env["count"] != want {
			t.Errorf("%s: count %v, want %v", ep.Name, env["count"], want)
		}
	}
	if q["dueDate"] != nil || len(q) == 0 {
		t.Error("docspace.OK changed the caller's map")
	}
	quota := collectortest.Call(t, http.MethodGet, base+"quota", "Bearer "+docspaceKey, nil).JSON(t)["response"].(map[string]any)
	if _, ok := quota["dueDate"]; ok {
		t.Error("dueDate set to nil is present")
	}
	// topupsettings: the payload is under response, not settings.
	topup := collectortest.Call(t, http.MethodGet, base+"topupsettings", "Bearer "+docspaceKey, nil).JSON(t)
	if _, ok := topup["settings"]; ok {
		t.Error("topupsettings answers under settings")
	}
	if r, _ := topup["response"].(map[string]any); r["minBalance"] != float64(50) {
		t.Errorf("topupsettings response %v", topup["response"])
	}
	// currencies: isoCurrencySymbol carries the sign.
	cur := collectortest.Call(t, http.MethodGet, base+"currencies", "Bearer "+docspaceKey, nil).JSON(t)["response"].([]any)
	if sym := cur[0].(map[string]any)["isoCurrencySymbol"]; sym != "$" {
		t.Errorf("currencies isoCurrencySymbol %v, want the sign $", sym)
	}
	// A null payload omits response and counts 0.
	fake.Set(docspace.CustomerInfo.Name, docspace.OK(nil))
	info := collectortest.Call(t, http.MethodGet, base+"customerinfo", "Bearer "+docspaceKey, nil).JSON(t)
	if _, ok := info["response"]; ok || info["count"] != float64(0) {
		t.Errorf("null payload: %v", info)
	}
}

// The payment API writes DateTime: Z and 7 fractional digits, or no zone
// at all. The tariff writes ApiDateTime: the portal's local time with its
// offset, and the zero date for both MinValue and MaxValue. A plan's quota
// has no dueDate; a wallet item gives it one.
func TestDocSpaceDates(t *testing.T) {
	fake := docspace.NewFake(docspaceKey)
	base := collectortest.ServeFake(t, fake)
	get := func(ep string) map[string]any {
		return collectortest.Call(t, http.MethodGet, base+ep, "Bearer "+docspaceKey, nil).JSON(t)["response"].(map[string]any)
	}
	tariff := get(docspace.Tariff.Path)
	if due := tariff["dueDate"]; due != "2026-08-01T03:00:00.0000000+03:00" {
		t.Errorf("tariff dueDate %v, want the portal's local time with its offset", due)
	}
	if due, err := time.Parse(time.RFC3339Nano, tariff["dueDate"].(string)); err != nil || !due.Equal(docspace.PlanDue) {
		t.Errorf("tariff dueDate %v: %v", due, err)
	}
	if d := tariff["delayDueDate"]; d != "0001-01-01T00:00:00.0000000Z" {
		t.Errorf("delayDueDate of a paid tariff %v, want the zero date", d)
	}
	if s := tariff["state"]; s != float64(docspace.TariffPaid) {
		t.Errorf("state %v, want the number %d", s, docspace.TariffPaid)
	}
	if _, ok := get(docspace.Quota.Path)["dueDate"]; ok {
		t.Error("the quota of a plan without wallet items has a dueDate")
	}
	fake.Set(docspace.Quota.Name, docspace.OK(docspace.WithWalletItem(docspace.QuotaBusiness(), time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC))))
	if due := get(docspace.Quota.Path)["dueDate"]; due != "2026-07-10T00:00:00" {
		t.Errorf("quota dueDate with a wallet item %v", due)
	}
	bal := get(docspace.Balance.Path)
	if d := bal["lastCredit"].(map[string]any)["date"]; d != "2026-07-05T10:11:12.1234567Z" {
		t.Errorf("lastCredit.date %v, want Z with 7 fractional digits", d)
	}
	if subs := bal["subAccounts"].([]any); len(subs) != 2 {
		t.Errorf("%d subAccounts, want USD and EUR", len(subs))
	}
	if d := get(docspace.TopUp.Path)["lastModified"]; d != "2026-06-01T08:00:00" {
		t.Errorf("topupsettings lastModified %v, want no zone", d)
	}
}

// The fake answers only the endpoint table's paths: the tariff outside
// /payment/, nothing else there (DocSpace's GET /api/2.0/portal/quota is
// another endpoint than the payment quota).
func TestDocSpaceRoutes(t *testing.T) {
	base := collectortest.ServeFake(t, docspace.NewFake(docspaceKey))
	for path, want := range map[string]int{
		docspace.Tariff.Path:                  200,
		docspace.AIBalance.Path:               200,
		"/api/2.0/portal/quota":               404,
		"/api/2.0/portal/payment/tariff":      404,
		"/api/2.0/portal/payment/nonsense":    404,
		"/api/2.0/portal/tariff/customerinfo": 404,
	} {
		if c := collectortest.Call(t, http.MethodGet, base+path, "Bearer "+docspaceKey, nil); c.Status != want {
			t.Errorf("%s: %d, want %d", path, c.Status, want)
		}
	}
}

func TestDocSpaceNoBillingAndErrors(t *testing.T) {
	fake := docspace.NewFake(docspaceKey)
	fake.NoBilling()
	base := collectortest.ServeFake(t, fake) + "/api/2.0/portal/payment/"
	for _, ep := range []string{"customerinfo", "customer/balance", "customer/aibalance"} {
		c := collectortest.Call(t, http.MethodGet, base+ep, "Bearer "+docspaceKey, nil)
		body := c.JSON(t)
		e, _ := body["error"].(map[string]any)
		if c.Status != 403 || e["message"] != "Tariff service is not configured" || body["status"] != float64(1) || body["statusCode"] != float64(403) {
			t.Errorf("%s: %d %s", ep, c.Status, c.Body)
		}
	}
	if c := collectortest.Call(t, http.MethodGet, base+"quota", "Bearer "+docspaceKey, nil); c.Status != 200 {
		t.Errorf("quota of a portal without billing: %d", c.Status)
	}
	// The tariff answers without a payment service: the server's default,
	// paid and due never (written as the zero date).
	tariff := collectortest.Call(t, http.MethodGet, strings.TrimSuffix(base, "payment/")+"tariff", "Bearer "+docspaceKey, nil).JSON(t)["response"].(map[string]any)
	if tariff["state"] != float64(docspace.TariffPaid) || tariff["dueDate"] != "0001-01-01T00:00:00.0000000Z" {
		t.Errorf("tariff of a portal without billing: %v", tariff)
	}
	if c := collectortest.Call(t, http.MethodPost, base+"topupsettings", "Bearer "+docspaceKey, map[string]any{"settings": map[string]any{}}); c.Status == 200 {
		t.Error("the fake accepted a write")
	}
}
