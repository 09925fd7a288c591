package acefone_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/acefone"
	"github.com/billing-exporter/billing-exporter/internal/fakeclock"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// These tests hold the fake to the vendor reference (shared/seeds and
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

const (
	aceKey   = "acefone-long-lived-token"
	aceLogin = "ops@example.com"
	acePass  = "pw-123"
)

func TestAcefoneLoginRefreshExpiry(t *testing.T) {
	clock := fakeclock.At(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	fake := acefone.NewFake(aceKey, aceLogin, acePass)
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
	fake := acefone.NewFake(aceKey, aceLogin, acePass)
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

	seed := acefone.SeedSample()
	fake.Set(acefone.Dashboard.Name, sandbox.Reply{Body: seed})
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
