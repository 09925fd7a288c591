package qovery_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/qovery"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// These tests hold the fake to Qovery's reference (shared/seeds and
// shared/api-notes.md), odd corners included, so that the tests built on
// it prove something about the real API.

type call struct {
	status int
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
	return call{status: resp.StatusCode, body: b}
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

const qovTok = "qov_t_123"

func TestQoveryAuthAndErrors(t *testing.T) {
	org := qovery.Org{ID: "11111111-aaaa-4aaa-8aaa-000000000001", Name: "alpha", Plan: "TEAM_2025",
		Clusters: []qovery.Cluster{{ID: "c1", Name: "one", Cost: qovery.Cost(100, 200)}}}
	fake := qovery.NewFake(qovTok, org)
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
	// GET /organization/{id} is the list's element, unlisted or not.
	one := do(t, http.MethodGet, base+"/organization/"+org.ID, "Token "+qovTok, nil).json(t)
	if one["id"] != org.ID || one["name"] != "alpha" || one["billing_deployment_restriction"] != nil {
		t.Errorf("GET /organization/{id}: %v", one)
	}
	if _, ok := one["billing_deployment_restriction"]; !ok {
		t.Error("GET /organization/{id} leaves billing_deployment_restriction out; the spec sends null")
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
