package qovery_test

import (
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/qovery"
	"github.com/billing-exporter/billing-exporter/config"
)

// billing_deployment_restriction: null is 0 with an empty restriction;
// every other value is 1 with the value as restriction, NO_CREDIT_CARD
// (a trial without a card: managed clusters blocked) included. An
// organization set in organization_id and found in the list reports it
// like a discovered one.
func TestQoveryDeploymentRestriction(t *testing.T) {
	const orgC = "33333333-cccc-4ccc-8ccc-000000000003"
	orgs := qoveryOrgs()
	orgs[0].Restriction = nil
	orgs[1].Restriction = "NO_CREDIT_CARD"
	orgs = append(orgs, qovery.Org{ID: orgC, Name: "gamma", Plan: "TEAM_2025", Restriction: "NO_CREDIT_CARD_AND_NO_CREDIT"})
	want := map[string]struct {
		id, restriction string
		value           float64
	}{
		"alpha": {orgA, "", 0},
		"beta":  {orgB, "NO_CREDIT_CARD", 1},
		"gamma": {orgC, "NO_CREDIT_CARD_AND_NO_CREDIT", 1},
	}
	check := func(t *testing.T, h *collectortest.Harness, org string) {
		t.Helper()
		w := want[org]
		labels := map[string]string{"organization": org, "organization_id": w.id, "restriction": w.restriction}
		if got := h.Value("billing_deployment_restricted", labels); got != w.value {
			t.Errorf("%s: billing_deployment_restricted = %v, want %v", org, got, w.value)
		}
	}

	t.Run("discovered", func(t *testing.T) {
		h, _ := qoveryHarness(t, qovery.NewFake(qoveryToken, orgs...), config.Account{}, nil)
		h.Scrape()
		for org := range want {
			check(t, h, org)
		}
		if n := h.Count("billing_deployment_restricted", nil); n != len(want) {
			t.Errorf("%d series, want one per organization", n)
		}
	})
	for _, org := range []string{"alpha", "beta"} {
		t.Run("configured "+org, func(t *testing.T) {
			h, _ := qoveryHarness(t, qovery.NewFake(qoveryToken, orgs...), config.Account{Options: &qovery.Options{OrganizationID: want[org].id}}, nil)
			h.Scrape()
			check(t, h, org)
			if n := h.Count("billing_deployment_restricted", nil); n != 1 {
				t.Errorf("%d series, want only the configured organization's", n)
			}
		})
	}
}
