package qovery_test

import (
	"strings"
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

// An organization set in organization_id that the token's list leaves out
// is read by its id (GET /organization/{id}): named and restricted as the
// vendor says, not silently without a restriction series. An organization
// the list has costs no such request.
func TestQoveryConfiguredOrganizationOutsideTheList(t *testing.T) {
	orgs := qoveryOrgs()
	orgs[1].Unlisted = true // beta, restricted INVOICE_UNPAID
	h, srv := qoveryHarness(t, qovery.NewFake(qoveryToken, orgs...), config.Account{Options: &qovery.Options{OrganizationID: orgB}}, nil)
	h.Scrape()
	labels := map[string]string{"organization": "beta", "organization_id": orgB, "restriction": "INVOICE_UNPAID"}
	if got := h.Value("billing_deployment_restricted", labels); got != 1 {
		t.Errorf("billing_deployment_restricted%v = %v, want 1", labels, got)
	}
	if got := h.Value("billing_plan_info", map[string]string{"organization": "beta", "plan": "BUSINESS_2025"}); got != 1 {
		t.Errorf("organization not named from GET /organization/{id}: plan info %v", got)
	}
	if up := h.Value("billing_up", nil); up != 1 {
		t.Errorf("billing_up = %v\n%s", up, h.Logs.String())
	}
	byID := 0
	for _, r := range srv.Requests() {
		if r.Path == "/qov/organization/"+orgB {
			byID++
		}
	}
	if byID != 1 {
		t.Errorf("GET /organization/%s sent %d times, want 1", orgB, byID)
	}

	listed, srv := qoveryHarness(t, qovery.NewFake(qoveryToken, qoveryOrgs()...), config.Account{Options: &qovery.Options{OrganizationID: orgB}}, nil)
	listed.Scrape()
	for _, r := range srv.Requests() {
		if r.Path == "/qov/organization/"+orgB {
			t.Errorf("an organization in the list was also read by its id")
		}
	}
}

// An organization neither listed nor readable by id (403) fails the
// account and exports no restriction: nothing is known of it.
func TestQoveryConfiguredOrganizationUnknown(t *testing.T) {
	h, _ := qoveryHarness(t, qovery.NewFake(qoveryToken, qoveryOrgs()...),
		config.Account{Options: &qovery.Options{OrganizationID: "99999999-0000-4000-8000-000000000000"}}, nil)
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v, want 0", up)
	}
	if n := h.Count("billing_deployment_restricted", nil); n != 0 {
		t.Errorf("%d restriction series for an organization the vendor does not show", n)
	}
	if logs := h.Logs.String(); !strings.Contains(logs, "endpoint=organization/details") || !strings.Contains(logs, "status=403") {
		t.Errorf("log lacks the failed read by id:\n%s", logs)
	}
}
