package docspace_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/docspace"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// These tests hold the fake to the vendor references (shared/seeds and
// shared/api-notes.md), odd corners included, so that the collector tests
// built on it prove something about the real API.

type call struct {
	status int
	header http.Header
	body   []byte
}

func (c call) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(c.body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, c.body)
	}
	return v
}

func do(t *testing.T, method, url, auth string, body any) call {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return call{status: resp.StatusCode, header: resp.Header, body: b}
}

func mount(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Fatalf("fake not on loopback: %s", srv.URL())
	}
	return srv.Mount("/x", h)
}

func TestDocSpaceAuth(t *testing.T) {
	base := mount(t, docspace.NewFake(docspaceKey)) + "/api/2.0/portal/payment/quota"
	for _, tc := range []struct {
		name, auth string
		status     int
	}{
		{"no header", "", 401},
		{"bare key, as one docs sample sends it", docspaceKey, 401},
		{"wrong key", "Bearer sk-" + strings.Repeat("f", 64), 401},
		{"Bearer key", "Bearer " + docspaceKey, 200},
	} {
		c := do(t, http.MethodGet, base, tc.auth, nil)
		if c.status != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, c.status, tc.status)
		}
		if tc.status == 401 && len(c.body) != 0 {
			t.Errorf("%s: 401 with a body %q; the server sends none", tc.name, c.body)
		}
	}
}

func TestDocSpaceEnvelopeAndOmittedNulls(t *testing.T) {
	fake := docspace.NewFake(docspaceKey)
	q := docspace.QuotaBusiness()
	q["dueDate"] = nil // a test setting nil gets what the server sends: no property
	q["price"].(map[string]any)["currencySymbol"] = nil
	fake.Set(docspace.Quota.Name, docspace.OK(q))
	base := mount(t, fake) + "/api/2.0/portal/payment/"
	for _, ep := range []string{"customerinfo", "customer/balance", "quota", "quotas", "topupsettings", "currencies"} {
		c := do(t, http.MethodGet, base+ep, "Bearer "+docspaceKey, nil)
		if c.status != 200 {
			t.Fatalf("%s: %d", ep, c.status)
		}
		if bytes.Contains(c.body, []byte("null")) {
			t.Errorf("%s: a null in %s; the server omits null properties", ep, c.body)
		}
		env := c.json(t)
		for _, k := range []string{"response", "count", "links", "status", "statusCode"} {
			if _, ok := env[k]; !ok {
				t.Errorf("%s: envelope lacks %q", ep, k)
			}
		}
		if env["statusCode"] != float64(200) || env["status"] != float64(0) {
			t.Errorf("%s: status %v statusCode %v", ep, env["status"], env["statusCode"])
		}
	}
	if q["dueDate"] != nil || len(q) == 0 {
		t.Error("docspace.OK changed the caller's map")
	}
	quota := do(t, http.MethodGet, base+"quota", "Bearer "+docspaceKey, nil).json(t)["response"].(map[string]any)
	if _, ok := quota["dueDate"]; ok {
		t.Error("dueDate set to nil is present")
	}
	// topupsettings: the payload is under response, not settings.
	topup := do(t, http.MethodGet, base+"topupsettings", "Bearer "+docspaceKey, nil).json(t)
	if _, ok := topup["settings"]; ok {
		t.Error("topupsettings answers under settings")
	}
	if r, _ := topup["response"].(map[string]any); r["minBalance"] != float64(50) {
		t.Errorf("topupsettings response %v", topup["response"])
	}
	// currencies: isoCurrencySymbol carries the sign.
	cur := do(t, http.MethodGet, base+"currencies", "Bearer "+docspaceKey, nil).json(t)["response"].([]any)
	if sym := cur[0].(map[string]any)["isoCurrencySymbol"]; sym != "$" {
		t.Errorf("currencies isoCurrencySymbol %v, want the sign $", sym)
	}
	// A null payload omits response and counts 0.
	fake.Set(docspace.CustomerInfo.Name, docspace.OK(nil))
	info := do(t, http.MethodGet, base+"customerinfo", "Bearer "+docspaceKey, nil).json(t)
	if _, ok := info["response"]; ok || info["count"] != float64(0) {
		t.Errorf("null payload: %v", info)
	}
}

func TestDocSpaceDatesWithoutZone(t *testing.T) {
	base := mount(t, docspace.NewFake(docspaceKey)) + "/api/2.0/portal/payment/"
	quota := do(t, http.MethodGet, base+"quota", "Bearer "+docspaceKey, nil).json(t)["response"].(map[string]any)
	due, _ := quota["dueDate"].(string)
	if _, err := time.Parse(time.RFC3339, due); err == nil {
		t.Errorf("dueDate %q has a zone; the server sends plain DateTime without one", due)
	}
	if _, err := time.Parse("2006-01-02T15:04:05", due); err != nil {
		t.Errorf("dueDate %q: %v", due, err)
	}
	bal := do(t, http.MethodGet, base+"customer/balance", "Bearer "+docspaceKey, nil).json(t)["response"].(map[string]any)
	if d := bal["lastCredit"].(map[string]any)["date"]; d != "2026-07-05T10:11:12.1234567Z" {
		t.Errorf("lastCredit.date %v, want Z with 7 fractional digits", d)
	}
	if subs := bal["subAccounts"].([]any); len(subs) != 2 {
		t.Errorf("%d subAccounts, want USD and EUR", len(subs))
	}
}

func TestDocSpaceNoBillingAndErrors(t *testing.T) {
	fake := docspace.NewFake(docspaceKey)
	fake.NoBilling()
	base := mount(t, fake) + "/api/2.0/portal/payment/"
	for _, ep := range []string{"customerinfo", "customer/balance"} {
		c := do(t, http.MethodGet, base+ep, "Bearer "+docspaceKey, nil)
		body := c.json(t)
		e, _ := body["error"].(map[string]any)
		if c.status != 403 || e["message"] != "Tariff service is not configured" || body["status"] != float64(1) || body["statusCode"] != float64(403) {
			t.Errorf("%s: %d %s", ep, c.status, c.body)
		}
	}
	if c := do(t, http.MethodGet, base+"quota", "Bearer "+docspaceKey, nil); c.status != 200 {
		t.Errorf("quota of a portal without billing: %d", c.status)
	}
	if c := do(t, http.MethodPost, base+"topupsettings", "Bearer "+docspaceKey, map[string]any{"settings": map[string]any{}}); c.status == 200 {
		t.Error("the fake accepted a write")
	}
}
