package collector

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/scrape"
)

// Qovery: organization billing at https://api.qovery.com, read with an API
// token ("Authorization: Token …") or a JWT ("Bearer …"). Every family here
// is per organization: the Emitter adds organization and organization_id.

var (
	clusterCostMinFamily = newOrgFamily("billing_cluster_cost_min",
		"Lower bound of the Qovery cluster's current cost range (cluster currentCost min_cost_in_cents / 100, else min_cost).", "cluster", "cluster_id", "currency")
	clusterCostMaxFamily = newOrgFamily("billing_cluster_cost_max",
		"Upper bound of the Qovery cluster's current cost range, which Qovery guarantees not to exceed (max_cost_in_cents / 100, else max_cost).", "cluster", "cluster_id", "currency")
	currentCostFamily = newOrgFamily("billing_current_cost",
		"Current cost of the Qovery organization (currentCost cost.total_in_cents / 100, else cost.total).", "currency")
	trialRemainingFamily = newOrgFamily("billing_trial_remaining_seconds",
		"Trial time left for the Qovery organization (currentCost remaining_trial_day × 86400).")
	validFamily = newOrgFamily("billing_valid",
		"1 if Qovery considers the organization's billing valid (billingStatus is_valid).")
	statusInfoFamily = newOrgFamily("billing_status_info",
		"Qovery billing status message when there is one (billingStatus message), value 1.", "message")
	invoicesFamily = newOrgFamily("billing_invoices",
		"Qovery invoices of the organization by status (invoice list).", "status")
	invoicesAmountFamily = newOrgFamily("billing_invoices_amount",
		"Total of the Qovery organization's invoices by status (invoice list total_in_cents / 100).", "status", "currency")
	lastInvoiceFamily = newOrgFamily("billing_last_invoice_timestamp_seconds",
		"When the Qovery organization's newest invoice was created, Unix time (invoice list created_at).")
	cardExpiryFamily = newOrgFamily("billing_card_expiry_timestamp_seconds",
		"First instant after the Qovery credit card's expiry month, UTC (creditCard expiry_month, expiry_year).", "card_id", "brand", "last_digits")
	cardExpiredFamily = newOrgFamily("billing_card_expired",
		"1 if Qovery reports the credit card as expired (creditCard is_expired).", "card_id", "brand", "last_digits")
	deploymentRestrictedFamily = newListOrgFamily("billing_deployment_restricted",
		"1 if Qovery restricts deployments of the organization for billing reasons (organization billing_deployment_restriction not null; NO_CREDIT_CARD blocks managed clusters, any other value all deployments), with the vendor's value as restriction (empty when none).", "restriction")
	billingInfoFamily = newListOrgFamily("billing_info",
		"Country of the Qovery organization's billing address (billingInfo country_code), value 1. No other personal data is exported.", "country_code")
)

// Organization and cluster lists change rarely: an hour's cache.
var qoveryOrganizations = scrape.Endpoint{Name: "organization", Path: "/organization", TTL: time.Hour}

// Qovery endpoint names, per organization.
const (
	qoveryOrgCurrentCost        = "organization/currentCost"
	qoveryOrgBillingStatus      = "organization/billingStatus"
	qoveryOrgBillingInfo        = "organization/billingInfo"
	qoveryOrgInvoice            = "organization/invoice"
	qoveryOrgCreditCard         = "organization/creditCard"
	qoveryOrgCluster            = "organization/cluster"
	qoveryOrgClusterCurrentCost = "organization/cluster/currentCost"
)

func qoveryEndpoint(name, orgID, suffix string, ttl time.Duration) scrape.Endpoint {
	return scrape.Endpoint{Name: name, Path: "/organization/" + pathID(orgID) + suffix, TTL: ttl}
}

// qoveryOptions are the account keys only Qovery reads.
type qoveryOptions struct {
	// OrganizationID restricts the account to one organization (default:
	// every organization the token lists).
	OrganizationID string `yaml:"organization_id,omitempty"`
	// AuthScheme is "Token" or "Bearer"; empty picks Bearer for a JWT, Token otherwise.
	AuthScheme string `yaml:"auth_scheme,omitempty"`
}

func init() {
	endpoints := []string{qoveryOrganizations.Name, qoveryOrgCurrentCost, qoveryOrgBillingStatus, qoveryOrgBillingInfo,
		qoveryOrgInvoice, qoveryOrgCreditCard, qoveryOrgCluster, qoveryOrgClusterCurrentCost}
	registerProvider("qovery", endpoints, checkQovery, func(acct *config.Account, o *qoveryOptions, d deps) (Scraper, error) {
		header := cmp.Or(o.AuthScheme, qoveryScheme(string(acct.APIKey))) + " " + string(acct.APIKey)
		d.client.SetAuth(func(r *http.Request) { r.Header.Set("Authorization", header) })
		return &qovery{client: d.client, orgID: o.OrganizationID}, nil
	})
}

func checkQovery(o *qoveryOptions) error {
	if o.AuthScheme != "" && o.AuthScheme != "Token" && o.AuthScheme != "Bearer" {
		return fmt.Errorf("auth_scheme: %q must be Token or Bearer", o.AuthScheme)
	}
	if o.OrganizationID != "" {
		if err := config.CheckPathSegment(o.OrganizationID); err != nil {
			return fmt.Errorf("organization_id: %w", err)
		}
	}
	return nil
}

// qoveryScheme picks the header scheme as the Qovery CLI does: a JWT (three
// dot-separated base64url parts) is a Bearer token, anything else an API token.
func qoveryScheme(token string) string {
	if strings.Count(token, ".") == 2 && strings.HasPrefix(token, "eyJ") {
		return "Bearer"
	}
	return "Token"
}

type qovery struct {
	client *scrape.Client
	orgID  string // "" = every organization the token lists
}

// Due: nothing but cached answers makes its values.
func (*qovery) Due() time.Time { return time.Time{} }

type qoveryOrg struct {
	ID                           string        `json:"id"`
	Name                         string        `json:"name"`
	BillingDeploymentRestriction *string       `json:"billing_deployment_restriction"`
	Plan                         scrape.String `json:"plan"`

	// listed: read from GET /organization, so that a null
	// billing_deployment_restriction means "none", not "unknown".
	listed bool
}

type qoveryList[T any] struct {
	Results []T `json:"results"`
}

// qoveryMoney prefers exact cents to the float field.
func qoveryMoney(cents, units scrape.Float) scrape.Float {
	if cents.Valid {
		return scrape.Float{V: cents.V / 100, Valid: true}
	}
	return units
}

type qoveryCostRange struct {
	MinCostInCents scrape.Float `json:"min_cost_in_cents"`
	MinCost        scrape.Float `json:"min_cost"`
	MaxCostInCents scrape.Float `json:"max_cost_in_cents"`
	MaxCost        scrape.Float `json:"max_cost"`
	CurrencyCode   string       `json:"currency_code"`
}

type qoveryCurrentCost struct {
	Plan              scrape.String `json:"plan"`
	RemainingTrialDay scrape.Float  `json:"remaining_trial_day"`
	RenewalAt         scrape.Time   `json:"renewal_at"`
	Cost              *struct {
		TotalInCents scrape.Float `json:"total_in_cents"`
		Total        scrape.Float `json:"total"`
		CurrencyCode string       `json:"currency_code"`
	} `json:"cost"`
}

type qoveryInvoice struct {
	CreatedAt    scrape.Time  `json:"created_at"`
	Status       string       `json:"status"`
	TotalInCents scrape.Float `json:"total_in_cents"`
	Total        scrape.Float `json:"total"`
	CurrencyCode string       `json:"currency_code"`
}

type qoveryCard struct {
	ID          string        `json:"id"`
	ExpiryMonth scrape.Float  `json:"expiry_month"`
	ExpiryYear  scrape.Float  `json:"expiry_year"`
	LastDigit   scrape.String `json:"last_digit"`
	IsExpired   scrape.Bool   `json:"is_expired"`
	Brand       string        `json:"brand"`
}

type qoveryCluster struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (q *qovery) Scrape(ctx context.Context, e *Emitter) error {
	var orgs qoveryList[qoveryOrg]
	listed := e.Fetch(ctx, q.client, Read{Endpoint: qoveryOrganizations, Out: &orgs})
	var targets []qoveryOrg
	switch {
	case q.orgID != "":
		// The configured organization, named from the list when the token
		// sees it; an organization the token cannot see answers 403 below.
		target := qoveryOrg{ID: q.orgID, Name: q.orgID}
		for _, o := range orgs.Results {
			if o.ID == q.orgID {
				target, target.listed = o, true
			}
		}
		targets = []qoveryOrg{target}
	case listed:
		targets = orgs.Results
		for i := range targets {
			targets[i].listed = true
		}
	}
	var wg sync.WaitGroup
	for _, o := range targets {
		if o.ID == "" {
			continue
		}
		wg.Go(func() { q.scrapeOrg(ctx, e.ForOrganization(o.Name, o.ID), o) })
	}
	wg.Wait()
	return nil
}

func (q *qovery) scrapeOrg(ctx context.Context, e *Emitter, o qoveryOrg) {
	if o.listed {
		// Every value restricts something: NO_CREDIT_CARD (a trial without a
		// card) blocks managed clusters but not demo ones, any other value
		// blocks all deployments. Alerts tell the two apart by the label.
		restricted, value := 0.0, ""
		if r := o.BillingDeploymentRestriction; r != nil && strings.TrimSpace(*r) != "" {
			restricted, value = 1, strings.TrimSpace(*r)
		}
		e.Gauge(deploymentRestrictedFamily, restricted, value)
	}

	var (
		cost   qoveryCurrentCost
		status struct {
			IsValid scrape.Bool `json:"is_valid"`
			Message string      `json:"message"`
		}
		info struct {
			CountryCode string `json:"country_code"`
		}
		invoices qoveryList[qoveryInvoice]
		cards    qoveryList[qoveryCard]
		clusters qoveryList[qoveryCluster]
	)
	ok := e.FetchAll(ctx, q.client,
		Read{Endpoint: qoveryEndpoint(qoveryOrgCurrentCost, o.ID, "/currentCost", 0), Out: &cost},
		Read{Endpoint: qoveryEndpoint(qoveryOrgBillingStatus, o.ID, "/billingStatus", 0), Out: &status},
		Read{Endpoint: qoveryEndpoint(qoveryOrgBillingInfo, o.ID, "/billingInfo", time.Hour), Out: &info},
		Read{Endpoint: qoveryEndpoint(qoveryOrgInvoice, o.ID, "/invoice", 0), Out: &invoices},
		Read{Endpoint: qoveryEndpoint(qoveryOrgCreditCard, o.ID, "/creditCard", 0), Out: &cards},
		Read{Endpoint: qoveryEndpoint(qoveryOrgCluster, o.ID, "/cluster", time.Hour), Out: &clusters},
	)

	if ok[0] {
		if plan := string(cmp.Or(cost.Plan, o.Plan)); plan != "" {
			e.Gauge(planInfoFamily, 1, plan)
			e.Time(planDueFamily, cost.RenewalAt, time.UTC, plan)
		}
		e.GaugeIf(trialRemainingFamily, scaled(cost.RemainingTrialDay, 86400))
		if c := cost.Cost; c != nil && c.CurrencyCode != "" {
			e.GaugeIf(currentCostFamily, qoveryMoney(c.TotalInCents, c.Total), strings.ToUpper(c.CurrencyCode))
		}
	}
	if ok[1] {
		e.Bool(validFamily, status.IsValid)
		if m := strings.TrimSpace(status.Message); m != "" {
			e.Gauge(statusInfoFamily, 1, m)
		}
	}
	if ok[2] && info.CountryCode != "" {
		e.Gauge(billingInfoFamily, 1, strings.ToUpper(info.CountryCode))
	}
	if ok[3] {
		emitInvoices(e, invoices.Results)
	}
	if ok[4] {
		emitCards(e, cards.Results)
	}
	if ok[5] {
		reads := make([]Read, len(clusters.Results))
		ranges := make([]qoveryCostRange, len(clusters.Results))
		for i, c := range clusters.Results {
			reads[i] = Read{Endpoint: qoveryEndpoint(qoveryOrgClusterCurrentCost, o.ID, "/cluster/"+pathID(c.ID)+"/currentCost", 0), Out: &ranges[i]}
		}
		got := e.FetchAll(ctx, q.client, reads...)
		for i, c := range clusters.Results {
			r := ranges[i]
			if !got[i] || r.CurrencyCode == "" {
				continue
			}
			cur := strings.ToUpper(r.CurrencyCode)
			e.GaugeIf(clusterCostMinFamily, qoveryMoney(r.MinCostInCents, r.MinCost), c.Name, c.ID, cur)
			e.GaugeIf(clusterCostMaxFamily, qoveryMoney(r.MaxCostInCents, r.MaxCost), c.Name, c.ID, cur)
		}
	}
}

// emitCards reports each card's expiry: a card is good through the last
// day of its expiry month.
func emitCards(e *Emitter, cards []qoveryCard) {
	for _, c := range cards {
		labels := []string{c.ID, c.Brand, string(c.LastDigit)}
		if c.ExpiryMonth.Valid && c.ExpiryYear.Valid && c.ExpiryMonth.V >= 1 && c.ExpiryMonth.V <= 12 &&
			c.ExpiryYear.V >= 1970 && c.ExpiryYear.V <= 9999 {
			end := time.Date(int(c.ExpiryYear.V), time.Month(c.ExpiryMonth.V)+1, 1, 0, 0, 0, 0, time.UTC)
			e.Gauge(cardExpiryFamily, float64(end.Unix()), labels...)
		}
		e.Bool(cardExpiredFamily, c.IsExpired, labels...)
	}
}

// emitInvoices counts and sums invoices per status (no invoice ids: the
// series are kept for years) and reports the newest one's date.
func emitInvoices(e *Emitter, invoices []qoveryInvoice) {
	type key struct{ status, currency string }
	counts := map[string]float64{}
	amounts := map[key]float64{}
	var newest scrape.Time
	for _, inv := range invoices {
		st := cmp.Or(strings.ToUpper(inv.Status), "UNKNOWN")
		counts[st]++
		if total := qoveryMoney(inv.TotalInCents, inv.Total); total.Valid && inv.CurrencyCode != "" {
			amounts[key{st, strings.ToUpper(inv.CurrencyCode)}] += total.V
		}
		if inv.CreatedAt.Valid && (!newest.Valid || inv.CreatedAt.Unix(time.UTC) > newest.Unix(time.UTC)) {
			newest = inv.CreatedAt
		}
	}
	for st, n := range counts {
		e.Gauge(invoicesFamily, n, st)
	}
	for k, v := range amounts {
		e.Gauge(invoicesAmountFamily, v, k.status, k.currency)
	}
	e.Time(lastInvoiceFamily, newest, time.UTC)
}

// pathID puts an id into a URL path as one segment: escaped, and with "."
// and ".." spelled %2E, so that no id from a config or a vendor's answer
// can send the token to another path.
func pathID(id string) string {
	if strings.Trim(id, ".") == "" {
		return strings.ReplaceAll(id, ".", "%2E")
	}
	return url.PathEscape(id)
}
