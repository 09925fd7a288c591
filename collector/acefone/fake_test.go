package acefone_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/acefone"
	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/internal/fakeclock"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// These tests hold the fake to the vendor reference (shared/seeds and
// shared/api-notes.md), odd corners included, so that the collector tests
// built on it prove something about the real API.

const (
	aceKey   = "acefone-long-lived-token"
	aceLogin = "ops@example.com"
	acePass  = "pw-123"
)

func TestAcefoneLoginRefreshExpiry(t *testing.T) {
	clock := fakeclock.At(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	fake := acefone.NewFake(aceKey, aceLogin, acePass)
	fake.Now = clock.Now
	base := collectortest.ServeFake(t, fake) + "/v1/"

	if c := collectortest.Call(t, http.MethodPost, base+"auth/login", "", map[string]string{"login_id": aceLogin, "password": "wrong"}); c.Status != 401 ||
		c.JSON(t)["success"] != false || c.JSON(t)["message"] == "" {
		t.Errorf("wrong password: %d %s", c.Status, c.Body)
	}
	login := collectortest.Call(t, http.MethodPost, base+"auth/login", "", map[string]string{"login_id": aceLogin, "password": acePass})
	ans := login.JSON(t)
	tok, _ := ans["access_token"].(string)
	if login.Status != 200 || ans["success"] != true || ans["token_type"] != "bearer" || ans["expires_in"] != float64(3600) || strings.Count(tok, ".") != 2 {
		t.Fatalf("login: %d %v", login.Status, ans)
	}
	// The India host names the field email.
	if c := collectortest.Call(t, http.MethodPost, base+"auth/login", "", map[string]string{"email": aceLogin, "password": acePass}); c.Status != 200 {
		t.Errorf("login with email: %d", c.Status)
	}
	dash := base + "billing/dashboard"
	for auth, want := range map[string]int{"Bearer " + tok: 200, tok: 200, "Bearer " + aceKey: 200, aceKey: 200, "": 401, "Bearer nope": 401} {
		if c := collectortest.Call(t, http.MethodGet, dash, auth, nil); c.Status != want {
			t.Errorf("dashboard with %d-char header: %d, want %d", len(auth), c.Status, want)
		} else if want == 401 && c.JSON(t)["success"] != false {
			t.Errorf("401 body %s", c.Body)
		}
	}
	// Refresh swaps the token; the API token cannot be refreshed.
	ref := collectortest.Call(t, http.MethodPost, base+"auth/refresh", "Bearer "+tok, nil)
	newTok, _ := ref.JSON(t)["access_token"].(string)
	if ref.Status != 200 || newTok == "" || newTok == tok {
		t.Fatalf("refresh: %d %s", ref.Status, ref.Body)
	}
	if c := collectortest.Call(t, http.MethodGet, dash, "Bearer "+tok, nil); c.Status != 401 {
		t.Errorf("refreshed-away token still works: %d", c.Status)
	}
	if c := collectortest.Call(t, http.MethodPost, base+"auth/refresh", "Bearer "+aceKey, nil); c.Status != 401 {
		t.Errorf("refresh of the API token: %d", c.Status)
	}
	// Tokens expire after expires_in, by the fake's clock.
	clock.Advance(59 * time.Minute)
	if c := collectortest.Call(t, http.MethodGet, dash, "Bearer "+newTok, nil); c.Status != 200 {
		t.Errorf("at 59m: %d", c.Status)
	}
	clock.Advance(time.Minute)
	if c := collectortest.Call(t, http.MethodGet, dash, "Bearer "+newTok, nil); c.Status != 401 {
		t.Errorf("at 60m: %d, want 401", c.Status)
	}
	if c := collectortest.Call(t, http.MethodPost, base+"auth/refresh", "Bearer "+newTok, nil); c.Status != 401 {
		t.Errorf("refresh of an expired token: %d", c.Status)
	}
	if fake.Logins() != 2 || fake.Refreshes() != 1 || len(fake.Tokens()) != 3 {
		t.Errorf("logins %d refreshes %d tokens %d", fake.Logins(), fake.Refreshes(), len(fake.Tokens()))
	}
}

func TestAcefoneShapes(t *testing.T) {
	fake := acefone.NewFake(aceKey, aceLogin, acePass)
	base := collectortest.ServeFake(t, fake) + "/v1/billing/"
	dash := collectortest.Call(t, http.MethodGet, base+"dashboard", "Bearer "+aceKey, nil).JSON(t)
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
	due := collectortest.Call(t, http.MethodGet, base+"due_charges", "Bearer "+aceKey, nil).JSON(t)
	if due["total_due_amount"] != "120.25" || due["total_records"] != "2" {
		t.Errorf("due_charges: %v", due)
	}

	seed := acefone.SeedSample()
	fake.Set(acefone.Dashboard.Name, sandbox.Reply{Body: seed})
	raw := collectortest.Call(t, http.MethodGet, base+"dashboard", "Bearer "+aceKey, nil)
	s := raw.JSON(t)
	if s["next_billing_date"] != float64(1584849600) || s["due_date"] != nil || !bytes.Contains(raw.Body, []byte(`"due_date":null`)) {
		t.Errorf("seed sample dates: %s", raw.Body)
	}
	if _, ok := s["subscriptions"].([]any); !ok {
		t.Errorf("seed sample subscriptions are not a flat array: %v", s["subscriptions"])
	}
	if _, ok := s["plans"]; ok {
		t.Error("seed sample has plans")
	}
}
