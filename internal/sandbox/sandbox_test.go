package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	// Providers register themselves from the collector package.
	_ "github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/fakeclock"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// These tests hold the fakes to the vendor references (shared/seeds and
// shared/api-notes.md), odd corners included, so that the collector tests
// built on them prove something about the real APIs.

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
	defer resp.Body.Close()
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

const dsKey = "sk-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestDocSpaceAuth(t *testing.T) {
	base := mount(t, sandbox.NewDocSpace(dsKey)) + "/api/2.0/portal/payment/quota"
	for _, tc := range []struct {
		name, auth string
		status     int
	}{
		{"no header", "", 401},
		{"bare key, as one docs sample sends it", dsKey, 401},
		{"wrong key", "Bearer sk-" + strings.Repeat("f", 64), 401},
		{"Bearer key", "Bearer " + dsKey, 200},
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
	fake := sandbox.NewDocSpace(dsKey)
	q := sandbox.DocSpaceQuotaBusiness()
	q["dueDate"] = nil // a test setting nil gets what the server sends: no property
	q["price"].(map[string]any)["currencySymbol"] = nil
	fake.Set(sandbox.DocSpaceQuota, sandbox.DocSpaceOK(q))
	base := mount(t, fake) + "/api/2.0/portal/payment/"
	for _, ep := range []string{"customerinfo", "customer/balance", "quota", "quotas", "topupsettings", "currencies"} {
		c := do(t, http.MethodGet, base+ep, "Bearer "+dsKey, nil)
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
		t.Error("DocSpaceOK changed the caller's map")
	}
	quota := do(t, http.MethodGet, base+"quota", "Bearer "+dsKey, nil).json(t)["response"].(map[string]any)
	if _, ok := quota["dueDate"]; ok {
		t.Error("dueDate set to nil is present")
	}
	// topupsettings: the payload is under response, not settings.
	topup := do(t, http.MethodGet, base+"topupsettings", "Bearer "+dsKey, nil).json(t)
	if _, ok := topup["settings"]; ok {
		t.Error("topupsettings answers under settings")
	}
	if r, _ := topup["response"].(map[string]any); r["minBalance"] != float64(50) {
		t.Errorf("topupsettings response %v", topup["response"])
	}
	// currencies: isoCurrencySymbol carries the sign.
	cur := do(t, http.MethodGet, base+"currencies", "Bearer "+dsKey, nil).json(t)["response"].([]any)
	if sym := cur[0].(map[string]any)["isoCurrencySymbol"]; sym != "$" {
		t.Errorf("currencies isoCurrencySymbol %v, want the sign $", sym)
	}
	// A null payload omits response and counts 0.
	fake.Set(sandbox.DocSpaceCustomerInfo, sandbox.DocSpaceOK(nil))
	info := do(t, http.MethodGet, base+"customerinfo", "Bearer "+dsKey, nil).json(t)
	if _, ok := info["response"]; ok || info["count"] != float64(0) {
		t.Errorf("null payload: %v", info)
	}
}

func TestDocSpaceDatesWithoutZone(t *testing.T) {
	base := mount(t, sandbox.NewDocSpace(dsKey)) + "/api/2.0/portal/payment/"
	quota := do(t, http.MethodGet, base+"quota", "Bearer "+dsKey, nil).json(t)["response"].(map[string]any)
	due, _ := quota["dueDate"].(string)
	if _, err := time.Parse(time.RFC3339, due); err == nil {
		t.Errorf("dueDate %q has a zone; the server sends plain DateTime without one", due)
	}
	if _, err := time.Parse("2006-01-02T15:04:05", due); err != nil {
		t.Errorf("dueDate %q: %v", due, err)
	}
	bal := do(t, http.MethodGet, base+"customer/balance", "Bearer "+dsKey, nil).json(t)["response"].(map[string]any)
	if d := bal["lastCredit"].(map[string]any)["date"]; d != "2026-07-05T10:11:12.1234567Z" {
		t.Errorf("lastCredit.date %v, want Z with 7 fractional digits", d)
	}
	if subs := bal["subAccounts"].([]any); len(subs) != 2 {
		t.Errorf("%d subAccounts, want USD and EUR", len(subs))
	}
}

func TestDocSpaceNoBillingAndErrors(t *testing.T) {
	fake := sandbox.NewDocSpace(dsKey)
	fake.NoBilling()
	base := mount(t, fake) + "/api/2.0/portal/payment/"
	for _, ep := range []string{"customerinfo", "customer/balance"} {
		c := do(t, http.MethodGet, base+ep, "Bearer "+dsKey, nil)
		body := c.json(t)
		e, _ := body["error"].(map[string]any)
		if c.status != 403 || e["message"] != "Tariff service is not configured" || body["status"] != float64(1) || body["statusCode"] != float64(403) {
			t.Errorf("%s: %d %s", ep, c.status, c.body)
		}
	}
	if c := do(t, http.MethodGet, base+"quota", "Bearer "+dsKey, nil); c.status != 200 {
		t.Errorf("quota of a portal without billing: %d", c.status)
	}
	if c := do(t, http.MethodPost, base+"topupsettings", "Bearer "+dsKey, map[string]any{"settings": map[string]any{}}); c.status == 200 {
		t.Error("the fake accepted a write")
	}
}

const (
	aceKey   = "acefone-long-lived-token"
	aceLogin = "ops@example.com"
	acePass  = "pw-123"
)

func TestAcefoneLoginRefreshExpiry(t *testing.T) {
	clock := fakeclock.At(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	fake := sandbox.NewAcefone(aceKey, aceLogin, acePass)
	fake.Now = clock.Now
	base := mount(t, fake) + "/v1/"

	if c := do(t, http.MethodPost, base+"auth/login", "", map[string]string{"login_id": aceLogin, "password": "wrong"}); c.status != 401 ||
		c.json(t)["success"] != false || c.json(t)["message"] == "" {
		t.Errorf("wrong password: %d %s", c.status, c.body)
	}
	login := do(t, http.MethodPost, base+"auth/login", "", map[string]string{"login_id": aceLogin, "password": acePass})
	ans := login.json(t)
	tok, _ := ans["access_token"].(string)
	if login.status != 200 || ans["success"] != true || ans["token_type"] != "bearer" || ans["expires_in"] != float64(3600) || strings.Count(tok, ".") != 2 {
		t.Fatalf("login: %d %v", login.status, ans)
	}
	// The India host names the field email.
	if c := do(t, http.MethodPost, base+"auth/login", "", map[string]string{"email": aceLogin, "password": acePass}); c.status != 200 {
		t.Errorf("login with email: %d", c.status)
	}
	dash := base + "billing/dashboard"
	for auth, want := range map[string]int{"Bearer " + tok: 200, tok: 200, "Bearer " + aceKey: 200, aceKey: 200, "": 401, "Bearer nope": 401} {
		if c := do(t, http.MethodGet, dash, auth, nil); c.status != want {
			t.Errorf("dashboard with %d-char header: %d, want %d", len(auth), c.status, want)
		} else if want == 401 && c.json(t)["success"] != false {
			t.Errorf("401 body %s", c.body)
		}
	}
	// Refresh swaps the token; the API token cannot be refreshed.
	ref := do(t, http.MethodPost, base+"auth/refresh", "Bearer "+tok, nil)
	newTok, _ := ref.json(t)["access_token"].(string)
	if ref.status != 200 || newTok == "" || newTok == tok {
		t.Fatalf("refresh: %d %s", ref.status, ref.body)
	}
	if c := do(t, http.MethodGet, dash, "Bearer "+tok, nil); c.status != 401 {
		t.Errorf("refreshed-away token still works: %d", c.status)
	}
	if c := do(t, http.MethodPost, base+"auth/refresh", "Bearer "+aceKey, nil); c.status != 401 {
		t.Errorf("refresh of the API token: %d", c.status)
	}
	// Tokens expire after expires_in, by the fake's clock.
	clock.Advance(59 * time.Minute)
	if c := do(t, http.MethodGet, dash, "Bearer "+newTok, nil); c.status != 200 {
		t.Errorf("at 59m: %d", c.status)
	}
	clock.Advance(time.Minute)
	if c := do(t, http.MethodGet, dash, "Bearer "+newTok, nil); c.status != 401 {
		t.Errorf("at 60m: %d, want 401", c.status)
	}
	if c := do(t, http.MethodPost, base+"auth/refresh", "Bearer "+newTok, nil); c.status != 401 {
		t.Errorf("refresh of an expired token: %d", c.status)
	}
	if fake.Logins() != 2 || fake.Refreshes() != 1 || len(fake.Tokens()) != 3 {
		t.Errorf("logins %d refreshes %d tokens %d", fake.Logins(), fake.Refreshes(), len(fake.Tokens()))
	}
}

func TestAcefoneShapes(t *testing.T) {
	fake := sandbox.NewAcefone(aceKey, aceLogin, acePass)
	base := mount(t, fake) + "/v1/billing/"
	dash := do(t, http.MethodGet, base+"dashboard", "Bearer "+aceKey, nil).json(t)
	if _, ok := dash["response"]; ok {
		t.Error("the dashboard has no envelope")
	}
	for _, k := range []string{"plans", "subscriptions"} {
		v, _ := dash[k].(map[string]any)
		if _, ok := v["active"]; !ok {
			t.Errorf("%s is not {active, closed}: %v", k, dash[k])
		}
	}
	if _, ok := dash["due_charges"].(string); !ok {
		t.Error("due_charges is not sent as a numeric string anywhere")
	}
	if d, _ := dash["next_billing_date"].(string); !strings.Contains(d, " ") || strings.ContainsAny(d, "TZ+") {
		t.Errorf("next_billing_date %q is not YYYY-MM-DD HH:MM:SS", d)
	}
	due := do(t, http.MethodGet, base+"due_charges", "Bearer "+aceKey, nil).json(t)
	if due["total_due_amount"] != "120.25" || due["total_records"] != "2" {
		t.Errorf("due_charges: %v", due)
	}

	seed := sandbox.AcefoneSeedSample()
	fake.Set(sandbox.AcefoneDashboard, sandbox.Reply{Body: seed})
	raw := do(t, http.MethodGet, base+"dashboard", "Bearer "+aceKey, nil)
	s := raw.json(t)
	if s["next_billing_date"] != float64(1584849600) || s["due_date"] != nil || !bytes.Contains(raw.body, []byte(`"due_date":null`)) {
		t.Errorf("seed sample dates: %s", raw.body)
	}
	if _, ok := s["subscriptions"].([]any); !ok {
		t.Errorf("seed sample subscriptions are not a flat array: %v", s["subscriptions"])
	}
	if _, ok := s["plans"]; ok {
		t.Error("seed sample has plans")
	}
}

const qovTok = "qov_t_123"

func TestQoveryAuthAndErrors(t *testing.T) {
	org := sandbox.QoveryOrg{ID: "11111111-aaaa-4aaa-8aaa-000000000001", Name: "alpha", Plan: "TEAM_2025",
		Clusters: []sandbox.QoveryCluster{{ID: "c1", Name: "one", Cost: sandbox.QoveryCost(100, 200)}}}
	fake := sandbox.NewQovery(qovTok, org)
	base := mount(t, fake)
	for auth, want := range map[string]int{"Token " + qovTok: 200, "Bearer " + qovTok: 200, qovTok: 401, "Token nope": 401, "": 401, "Basic " + qovTok: 401} {
		c := do(t, http.MethodGet, base+"/organization", auth, nil)
		if c.status != want {
			t.Errorf("%d-char header: %d, want %d", len(auth), c.status, want)
		}
		if want == 401 {
			e := c.json(t)
			if e["status"] != float64(401) || e["error"] == "" || e["detail"] == "" {
				t.Errorf("401 body %s", c.body)
			}
		}
	}
	fake.Scheme = "Token"
	if c := do(t, http.MethodGet, base+"/organization", "Bearer "+qovTok, nil); c.status != 401 {
		t.Errorf("pinned Token scheme accepted Bearer: %d", c.status)
	}
	fake.Scheme = ""

	// Unknown organization or cluster: 403 with the JSON error body.
	for _, p := range []string{"/organization/99999999-0000-4000-8000-000000000000/currentCost", "/organization/" + org.ID + "/cluster/nope/currentCost"} {
		c := do(t, http.MethodGet, base+p, "Token "+qovTok, nil)
		e := c.json(t)
		if c.status != 403 || e["status"] != float64(403) || e["error"] != "Forbidden" || !strings.Contains(e["detail"].(string), "does not exist") {
			t.Errorf("%s: %d %s", p, c.status, c.body)
		}
	}
	// Writes are refused: an exporter never sends one.
	if c := do(t, http.MethodPost, base+"/organization/"+org.ID+"/creditCard", "Token "+qovTok, map[string]any{"number": "4242"}); c.status == 200 || c.status == 201 {
		t.Errorf("POST creditCard: %d", c.status)
	}

	list := do(t, http.MethodGet, base+"/organization", "Token "+qovTok, nil)
	if !bytes.Contains(list.body, []byte(`"billing_deployment_restriction":null`)) {
		t.Errorf("billing_deployment_restriction is not sent as null: %s", list.body)
	}
	for _, p := range []string{"/organization", "/organization/" + org.ID + "/cluster", "/organization/" + org.ID + "/invoice", "/organization/" + org.ID + "/creditCard"} {
		if _, ok := do(t, http.MethodGet, base+p, "Token "+qovTok, nil).json(t)["results"].([]any); !ok {
			t.Errorf("%s is not {\"results\": [...]}", p)
		}
	}
	cost := do(t, http.MethodGet, base+"/organization/"+org.ID+"/cluster/c1/currentCost", "Token "+qovTok, nil).json(t)
	if cost["min_cost_in_cents"] != float64(100) || cost["max_cost"] != float64(2) || cost["currency_code"] != "USD" {
		t.Errorf("CostRange %v", cost)
	}
}

// Every registered provider (collector's registry, linked by the import
// below) has a demo account.
func TestDemoHasEveryProvider(t *testing.T) {
	d, err := sandbox.StartDemo(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	providers := map[string]int{}
	for _, a := range d.Config.Accounts {
		providers[a.Provider]++
		if !strings.HasPrefix(a.BaseURL, "http://127.0.0.1:") {
			t.Errorf("%s: %s is not loopback", a.Name, a.BaseURL)
		}
	}
	for _, p := range config.Providers() {
		if providers[p] == 0 {
			t.Errorf("provider %s has no demo account", p)
		}
	}
	if providers["docspace"] != 2 {
		t.Errorf("demo accounts per provider: %v", providers)
	}
}
