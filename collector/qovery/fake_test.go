package qovery_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/qovery"
)

// These tests hold the fake to Qovery's reference (shared/seeds and
// shared/api-notes.md), odd corners included, so that the tests built on
// it prove something about the real API.

const qovTok = "qov_t_123"

func TestQoveryAuthAndErrors(t *testing.T) {
	org := qovery.Org{ID: "11111111-aaaa-4aaa-8aaa-000000000001", Name: "alpha", Plan: "TEAM_2025",
		Clusters: []qovery.Cluster{{ID: "c1", Name: "one", Cost: qovery.Cost(100, 200)}}}
	fake := qovery.NewFake(qovTok, org)
	base := collectortest.ServeFake(t, fake)
	for auth, want := range map[string]int{"Token " + qovTok: 200, "Bearer " + qovTok: 200, qovTok: 401, "Token nope": 401, "": 401, "Basic " + qovTok: 401} {
		c := collectortest.Call(t, http.MethodGet, base+"/organization", auth, nil)
		if c.Status != want {
			t.Errorf("%d-char header: %d, want %d", len(auth), c.Status, want)
		}
		if want == 401 {
			e := c.JSON(t)
			if e["status"] != float64(401) || e["error"] == "" || e["detail"] == "" {
				t.Errorf("401 body %s", c.Body)
			}
		}
	}
	fake.Scheme = "Token"
	if c := collectortest.Call(t, http.MethodGet, base+"/organization", "Bearer "+qovTok, nil); c.Status != 401 {
		t.Errorf("pinned Token scheme accepted Bearer: %d", c.Status)
	}
	fake.Scheme = ""

	// Unknown organization or cluster: 403 with the JSON error body.
	for _, p := range []string{"/organization/99999999-0000-4000-8000-000000000000/currentCost", "/organization/" + org.ID + "/cluster/nope/currentCost"} {
		c := collectortest.Call(t, http.MethodGet, base+p, "Token "+qovTok, nil)
		e := c.JSON(t)
		if c.Status != 403 || e["status"] != float64(403) || e["error"] != "Forbidden" || !strings.Contains(e["detail"].(string), "does not exist") {
			t.Errorf("%s: %d %s", p, c.Status, c.Body)
		}
	}
	// Writes are refused: an exporter never sends one.
	if c := collectortest.Call(t, http.MethodPost, base+"/organization/"+org.ID+"/creditCard", "Token "+qovTok, map[string]any{"number": "4242"}); c.Status == 200 || c.Status == 201 {
		t.Errorf("POST creditCard: %d", c.Status)
	}

	list := collectortest.Call(t, http.MethodGet, base+"/organization", "Token "+qovTok, nil)
	if !bytes.Contains(list.Body, []byte(`"billing_deployment_restriction":null`)) {
		t.Errorf("billing_deployment_restriction is not sent as null: %s", list.Body)
	}
	// GET /organization/{id} is the list's element, unlisted or not.
	one := collectortest.Call(t, http.MethodGet, base+"/organization/"+org.ID, "Token "+qovTok, nil).JSON(t)
	if one["id"] != org.ID || one["name"] != "alpha" || one["billing_deployment_restriction"] != nil {
		t.Errorf("GET /organization/{id}: %v", one)
	}
	if _, ok := one["billing_deployment_restriction"]; !ok {
		t.Error("GET /organization/{id} leaves billing_deployment_restriction out; the spec sends null")
	}
	for _, p := range []string{"/organization", "/organization/" + org.ID + "/cluster", "/organization/" + org.ID + "/invoice", "/organization/" + org.ID + "/creditCard"} {
		if _, ok := collectortest.Call(t, http.MethodGet, base+p, "Token "+qovTok, nil).JSON(t)["results"].([]any); !ok {
			t.Errorf("%s is not {\"results\": [...]}", p)
		}
	}
	cost := collectortest.Call(t, http.MethodGet, base+"/organization/"+org.ID+"/cluster/c1/currentCost", "Token "+qovTok, nil).JSON(t)
	if cost["min_cost_in_cents"] != float64(100) || cost["max_cost"] != float64(2) || cost["currency_code"] != "USD" {
		t.Errorf("CostRange %v", cost)
	}
}
