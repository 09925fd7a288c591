// Package qovery reads Qovery's organization billing at
// https://api.qovery.com with an API token ("Authorization: Token …") or a
// JWT ("Bearer …"). Every family here is per organization: the Emitter
// adds organization and organization_id.
package qovery

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/scrape"
)

var (
	clusterCostMinFamily = provider.NewOrgFamily("billing_cluster_cost_min",
		"Lower bound of the cluster's current cost range.", "cluster", "cluster_id", "currency")
	clusterCostMaxFamily = provider.NewOrgFamily("billing_cluster_cost_max",
		"Upper bound of the cluster's current cost range, which the vendor guarantees not to exceed.", "cluster", "cluster_id", "currency")
	trialRemainingFamily = provider.NewOrgFamily("billing_trial_remaining_seconds",
		"Trial time left.")
	validFamily = provider.NewOrgFamily("billing_valid",
		"1 if the vendor considers the billing valid.")
	statusInfoFamily = provider.NewOrgFamily("billing_status_info",
		"The vendor's billing status message when there is one, value 1.", "message")
	invoicesFamily = provider.NewOrgFamily("billing_invoices",
		"Invoices by status.", "status")
	invoicesAmountFamily = provider.NewOrgFamily("billing_invoices_amount",
		"Total of the invoices by status.", "status", "currency")
	lastInvoiceFamily = provider.NewOrgFamily("billing_last_invoice_timestamp_seconds",
		"When the newest invoice was created, Unix time.")
	oldestUnpaidFamily = provider.NewOrgFamily("billing_invoice_oldest_unpaid_timestamp_seconds",
		"When the oldest invoice still unpaid was created, Unix time. Absent when every invoice is paid.")
	cardExpiryFamily = provider.NewOrgFamily("billing_card_expiry_timestamp_seconds",
		"First instant after the credit card's expiry month, UTC.", "card_id", "brand", "last_digits")
	cardExpiredFamily = provider.NewOrgFamily("billing_card_expired",
		"1 if the vendor reports the credit card as expired.", "card_id", "brand", "last_digits")
	deploymentRestrictedFamily = provider.NewListOrgFamily("billing_deployment_restricted",
		"1 if the vendor restricts deployments for billing reasons, with its reason as restriction (empty when none).", "restriction")
	billingInfoFamily = provider.NewListOrgFamily("billing_info",
		"Country of the billing address, value 1. No other personal data is exported.", "country_code")
)

// The endpoint table; {id} is an organization's or a cluster's id.
// Organization details and cluster lists change rarely: an hour's cache.
var (
	Organizations      = scrape.Endpoint{Name: "organization", Path: "/organization", TTL: time.Hour}
	Organization       = scrape.Endpoint{Name: "organization/details", Path: "/organization/{id}", TTL: time.Hour}
	CurrentCost        = scrape.Endpoint{Name: "organization/currentCost", Path: "/organization/{id}/currentCost"}
	BillingStatus      = scrape.Endpoint{Name: "organization/billingStatus", Path: "/organization/{id}/billingStatus"}
	BillingInfo        = scrape.Endpoint{Name: "organization/billingInfo", Path: "/organization/{id}/billingInfo", TTL: time.Hour}
	Invoices           = scrape.Endpoint{Name: "organization/invoice", Path: "/organization/{id}/invoice"}
	CreditCards        = scrape.Endpoint{Name: "organization/creditCard", Path: "/organization/{id}/creditCard"}
	Clusters           = scrape.Endpoint{Name: "organization/cluster", Path: "/organization/{id}/cluster", TTL: time.Hour}
	ClusterCurrentCost = scrape.Endpoint{Name: "organization/cluster/currentCost", Path: "/organization/{id}/cluster/{cluster_id}/currentCost"}
)

// Provider describes Qovery to the engine.
var Provider = provider.Descriptor{
	Name:           "qovery",
	DefaultBaseURL: "https://api.qovery.com",
	// New endpoints go last: the fuzz seeds pick a route by its index.
	Endpoints: []scrape.Endpoint{Organizations, CurrentCost, BillingStatus, BillingInfo, Invoices, CreditCards, Clusters, ClusterCurrentCost, Organization},
	Families: []*provider.Family{clusterCostMinFamily, clusterCostMaxFamily, trialRemainingFamily, validFamily, statusInfoFamily,
		invoicesFamily, invoicesAmountFamily, lastInvoiceFamily, oldestUnpaidFamily, cardExpiryFamily, cardExpiredFamily, deploymentRestrictedFamily, billingInfoFamily},
	Options: func() any { return new(Options) },
	Check:   func(a *config.Account) error { return check(provider.OptionsOf[Options](a)) },
	Build: func(acct *config.Account, d provider.Deps) (provider.Scraper, error) {
		o := provider.OptionsOf[Options](acct)
		header := cmp.Or(o.AuthScheme, scheme(string(acct.APIKey))) + " " + string(acct.APIKey)
		d.Client.SetAuth(func(r *http.Request) { r.Header.Set("Authorization", header) })
		return &scraper{client: d.Client, orgID: o.OrganizationID}, nil
	},
	VendorMessage: vendorMessage,
	Demo:          demo,
	Fixture:       fixture,
}

// Options are the account keys only Qovery reads.
type Options struct {
	// OrganizationID restricts the account to one organization (default:
	// every organization the token lists).
	OrganizationID string `yaml:"organization_id,omitempty"`
	// AuthScheme is "Token" or "Bearer"; empty picks Bearer for a JWT, Token otherwise.
	AuthScheme string `yaml:"auth_scheme,omitempty"`
}

func check(o *Options) error {
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

// scheme picks the header scheme as the Qovery CLI does: a JWT (three
// dot-separated base64url parts) is a Bearer token, anything else an API token.
func scheme(token string) string {
	if strings.Count(token, ".") == 2 && strings.HasPrefix(token, "eyJ") {
		return "Bearer"
	}
	return "Token"
}

type scraper struct {
	provider.NothingDue
	client *scrape.Client
	orgID  string // "" = every organization the token lists
}

type organization struct {
	ID                           string        `json:"id"`
	Name                         string        `json:"name"`
	BillingDeploymentRestriction *string       `json:"billing_deployment_restriction"`
	Plan                         scrape.String `json:"plan"`
}

type list[T any] struct {
	Results []T `json:"results"`
}

// money prefers exact cents to the float field.
func money(cents, units scrape.Float) scrape.Float {
	if cents.Valid {
		return scrape.Float{V: cents.V / 100, Valid: true}
	}
	return units
}

type costRange struct {
	MinCostInCents scrape.Float `json:"min_cost_in_cents"`
	MinCost        scrape.Float `json:"min_cost"`
	MaxCostInCents scrape.Float `json:"max_cost_in_cents"`
	MaxCost        scrape.Float `json:"max_cost"`
	CurrencyCode   string       `json:"currency_code"`
}

type currentCost struct {
	Plan              scrape.String `json:"plan"`
	RemainingTrialDay scrape.Float  `json:"remaining_trial_day"`
	RenewalAt         scrape.Time   `json:"renewal_at"`
	Cost              *struct {
		TotalInCents scrape.Float `json:"total_in_cents"`
		Total        scrape.Float `json:"total"`
		CurrencyCode string       `json:"currency_code"`
	} `json:"cost"`
}

type invoice struct {
	CreatedAt    scrape.Time  `json:"created_at"`
	Status       string       `json:"status"`
	TotalInCents scrape.Float `json:"total_in_cents"`
	Total        scrape.Float `json:"total"`
	CurrencyCode string       `json:"currency_code"`
}

type card struct {
	ID          string        `json:"id"`
	ExpiryMonth scrape.Float  `json:"expiry_month"`
	ExpiryYear  scrape.Float  `json:"expiry_year"`
	LastDigit   scrape.String `json:"last_digit"`
	IsExpired   scrape.Bool   `json:"is_expired"`
	Brand       string        `json:"brand"`
}

type cluster struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type billingStatus struct {
	IsValid scrape.Bool `json:"is_valid"`
	Message string      `json:"message"`
}

// billingInfo is the billing address; only its country is read: the
// rest is personal data.
type billingInfo struct {
	CountryCode string `json:"country_code"`
}

func (q *scraper) Scrape(ctx context.Context, e *provider.Emitter) error {
	var orgs list[organization]
	listed := e.Fetch(ctx, q.client, provider.Read{Endpoint: Organizations, Out: &orgs})
	// inList: the organizations were read from GET /organization, so that
	// a null billing_deployment_restriction means "none", not "unknown".
	targets, inList := orgs.Results, listed
	if q.orgID != "" {
		// The configured organization, from the list when the token lists
		// it, else read by its id: its restriction is known either way. One
		// the token cannot see answers 403 there and below.
		target, found := organization{ID: q.orgID, Name: q.orgID}, false
		for _, o := range orgs.Results {
			if o.ID == q.orgID {
				target, found = o, true
			}
		}
		if !found {
			var one organization
			if e.Fetch(ctx, q.client, provider.Read{Endpoint: Organization.With(q.orgID), Out: &one}) && one.ID == q.orgID {
				target, found = one, true
				target.Name = cmp.Or(one.Name, q.orgID)
			}
		}
		targets, inList = []organization{target}, found
	} else if !listed {
		targets = nil
	} else {
		targets, _ = provider.Cap(e, Organizations.Name, targets)
	}
	// A few workers take the organizations in turn, as many as the
	// account's requests in flight: not a goroutine per organization.
	all := e.ForEach(ctx, len(targets), func(i int) {
		if o := targets[i]; o.ID != "" {
			q.scrapeOrg(ctx, e.ForOrganization(o.Name, o.ID), o, inList)
		}
	})
	if !all {
		return q.client.Errorf(Organizations.Name, 0, scrape.ReasonTimeout, "the scrape deadline came before every organization was read")
	}
	return nil
}

func (q *scraper) scrapeOrg(ctx context.Context, e *provider.Emitter, o organization, inList bool) {
	if inList {
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
		cost     currentCost
		status   billingStatus
		info     billingInfo
		invoices list[invoice]
		cards    list[card]
		clusters list[cluster]
	)
	ok := e.FetchAll(ctx, q.client,
		provider.Read{Endpoint: CurrentCost.With(o.ID), Out: &cost},
		provider.Read{Endpoint: BillingStatus.With(o.ID), Out: &status},
		provider.Read{Endpoint: BillingInfo.With(o.ID), Out: &info},
		provider.Read{Endpoint: Invoices.With(o.ID), Out: &invoices},
		provider.Read{Endpoint: CreditCards.With(o.ID), Out: &cards},
		provider.Read{Endpoint: Clusters.With(o.ID), Out: &clusters},
	)

	if ok[0] {
		if plan := string(cmp.Or(cost.Plan, o.Plan)); plan != "" {
			e.Gauge(provider.PlanInfo, 1, plan)
			e.Time(provider.PlanDue, cost.RenewalAt, time.UTC, plan)
		}
		e.GaugeIf(trialRemainingFamily, provider.Scaled(cost.RemainingTrialDay, 86400))
		if c := cost.Cost; c != nil && c.CurrencyCode != "" {
			e.GaugeIf(provider.CurrentCost, money(c.TotalInCents, c.Total), strings.ToUpper(c.CurrencyCode))
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
		// Counts and totals of part of the list would be wrong: none then.
		if all, complete := provider.Cap(e, Invoices.Name, invoices.Results); complete {
			emitInvoices(e, all)
		}
	}
	if ok[4] {
		kept, _ := provider.Cap(e, CreditCards.Name, cards.Results)
		emitCards(e, kept)
	}
	if ok[5] {
		list, _ := provider.Cap(e, Clusters.Name, clusters.Results)
		reads := make([]provider.Read, len(list))
		ranges := make([]costRange, len(list))
		for i, c := range list {
			reads[i] = provider.Read{Endpoint: ClusterCurrentCost.With(o.ID, c.ID), Out: &ranges[i]}
		}
		got := e.FetchAll(ctx, q.client, reads...)
		for i, c := range list {
			r := ranges[i]
			if !got[i] || r.CurrencyCode == "" {
				continue
			}
			cur := strings.ToUpper(r.CurrencyCode)
			e.GaugeIf(clusterCostMinFamily, money(r.MinCostInCents, r.MinCost), c.Name, c.ID, cur)
			e.GaugeIf(clusterCostMaxFamily, money(r.MaxCostInCents, r.MaxCost), c.Name, c.ID, cur)
		}
	}
}

// emitCards reports each card's expiry: a card is good through the last
// day of its expiry month.
func emitCards(e *provider.Emitter, cards []card) {
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

// unpaid are the invoice statuses that still ask for payment: an invoice
// unpaid for a week turns a Startup organization's billing invalid
// (getOrganizationBillingStatus).
var unpaid = map[string]bool{"NOT_PAID": true, "PAYMENT_DUE": true}

// emitInvoices counts and sums invoices per status (no invoice ids: the
// series are kept for years) and reports the newest one's date and the
// oldest unpaid one's.
func emitInvoices(e *provider.Emitter, invoices []invoice) {
	type key struct{ status, currency string }
	counts := map[string]float64{}
	amounts := map[key]float64{}
	var newest, oldestUnpaid scrape.Time
	for _, inv := range invoices {
		st := cmp.Or(strings.ToUpper(inv.Status), "UNKNOWN")
		counts[st]++
		if total := money(inv.TotalInCents, inv.Total); total.Valid && inv.CurrencyCode != "" {
			amounts[key{st, strings.ToUpper(inv.CurrencyCode)}] += total.V
		}
		if !inv.CreatedAt.Valid {
			continue
		}
		at := inv.CreatedAt.Unix(time.UTC)
		if !newest.Valid || at > newest.Unix(time.UTC) {
			newest = inv.CreatedAt
		}
		if unpaid[st] && (!oldestUnpaid.Valid || at < oldestUnpaid.Unix(time.UTC)) {
			oldestUnpaid = inv.CreatedAt
		}
	}
	for st, n := range counts {
		e.Gauge(invoicesFamily, n, st)
	}
	for k, v := range amounts {
		e.Gauge(invoicesAmountFamily, v, k.status, k.currency)
	}
	e.Time(lastInvoiceFamily, newest, time.UTC)
	e.Time(oldestUnpaidFamily, oldestUnpaid, time.UTC)
}

// vendorMessage reads Qovery's error body, {"status", "error", "detail"}.
func vendorMessage(b []byte) string {
	var v struct {
		Error  string `json:"error"`
		Detail string `json:"detail"`
	}
	_ = json.Unmarshal(b, &v)
	return cmp.Or(v.Detail, v.Error)
}
