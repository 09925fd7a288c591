// Package acefone reads Acefone's billing: GET /v1/billing/dashboard (and
// /v1/billing/due_charges when the dashboard leaves the due amount or date
// empty), with a long-lived API token or a 1-hour login token, sent as
// "Authorization: Bearer <token>".
package acefone

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/scrape"
)

var (
	nextBillingFamily = provider.NewFamily("billing_next_billing_timestamp_seconds",
		"Start of the next billing cycle, Unix time.")
	dueFamily = provider.NewFamily("billing_due_timestamp_seconds",
		"When the due charges must be settled, Unix time. Absent when there is none.")
	autoChargeFamily = provider.NewFamily("billing_auto_charge_enabled",
		"1 if the vendor charges the account automatically.")
	accountInfoFamily = provider.NewFamily("billing_account_info",
		"Billing type and cycle of the account, value 1.", "billing_type", "billing_cycle")
	// Acefone counts call minutes; Prometheus wants base units, so these are
	// seconds (minutes × 60) and promlint stays clean.
	callRemainingFamily = provider.NewFamily("billing_plan_call_remaining_seconds",
		"Call time left on an active plan.", "plan")
	callConsumedFamily = provider.NewFamily("billing_plan_call_consumed_seconds",
		"Call time used on an active plan.", "plan")
	callAssignedFamily = provider.NewFamily("billing_plan_call_assigned_seconds",
		"Call time included in an active plan.", "plan")
	subscriptionChargeFamily = provider.NewFamily("billing_subscription_charge_per_month",
		"Monthly charge of active subscriptions, summed per name.", "subscription", "currency")
)

// The endpoint table.
var (
	Dashboard  = scrape.Endpoint{Name: "billing/dashboard", Path: "/v1/billing/dashboard"}
	DueCharges = scrape.Endpoint{Name: "billing/due_charges", Path: "/v1/billing/due_charges"}
)

// Provider describes Acefone to the engine.
var Provider = provider.Descriptor{
	Name:      "acefone",
	Endpoints: []scrape.Endpoint{Dashboard, DueCharges},
	Families: []*provider.Family{nextBillingFamily, dueFamily, autoChargeFamily, accountInfoFamily,
		callRemainingFamily, callConsumedFamily, callAssignedFamily, subscriptionChargeFamily},
	Options: func() any { return new(Options) },
	Check:   func(a *config.Account) error { return check(provider.OptionsOf[Options](a)) },
	Build: func(acct *config.Account, d provider.Deps) (provider.Scraper, error) {
		return build(acct, provider.OptionsOf[Options](acct), d)
	},
	VendorMessage: vendorMessage,
	Demo:          demo,
	Fixture: func(i int) (http.Handler, config.Secret) {
		key := fmt.Sprintf("acefone-bench-token-%04d", i)
		return NewFake(key, "", ""), config.Secret(key)
	},
}

// Options are the account keys only Acefone reads.
type Options struct {
	// A login with username and password instead of a long-lived token.
	Username     string        `yaml:"username,omitempty"`
	Password     config.Secret `yaml:"password,omitempty"`
	PasswordFile string        `yaml:"password_file,omitempty"`
	// Timezone of the zone-less "YYYY-MM-DD HH:MM:SS" dates (IANA name, default UTC).
	Timezone string `yaml:"timezone,omitempty"`
}

// check: a login needs both username and password; the time zone
// must be one Go knows.
func check(o *Options) error {
	if err := provider.CheckLogin(o.Username, o.Password); err != nil {
		return err
	}
	_, err := zone(o)
	return err
}

// zone is the zone of the account's zone-less dates.
func zone(o *Options) (*time.Location, error) {
	loc, err := time.LoadLocation(o.Timezone) // "" is UTC
	if err != nil {
		return nil, fmt.Errorf("timezone: %q is not an IANA time zone", o.Timezone)
	}
	return loc, nil
}

func build(acct *config.Account, o *Options, d provider.Deps) (provider.Scraper, error) {
	loc, err := zone(o)
	if err != nil {
		return nil, err
	}
	a := &scraper{Deps: d, loc: loc}
	if o.Username != "" {
		a.login = &credentials{username: o.Username, password: string(o.Password)}
	} else {
		a.token = string(acct.APIKey)
	}
	d.Client.SetAuth(func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+a.currentToken()) })
	return a, nil
}

type scraper struct {
	provider.Deps
	loc *time.Location // zone of zone-less dates

	login *credentials // nil with a long-lived API token

	// mu guards the fields below. It is never held across a request, so
	// that no scrape waits for another's login but through renewal, which
	// it leaves at its own deadline.
	mu      sync.Mutex
	token   string
	expires time.Time
	// failures counts refused logins and rejected tokens in a row; no
	// login is tried before notBefore (login.go).
	failures  int
	notBefore time.Time
	// renewal is the login or refresh under way, if any: every scrape that
	// needs a token meanwhile waits for it, so two never log in at once.
	renewal *renewal
}

// renewal is one login or token refresh, running detached from the
// scrapes that wait for it (login.go).
type renewal struct {
	done chan struct{}
	err  error // set before done is closed
}

type credentials struct{ username, password string }

// tokenMargin renews a login token this long before it expires.
const tokenMargin = 5 * time.Minute

// Due is when the login token needs renewing, which a scrape does even
// while the dashboard's cached answer is fresh (at once without a token).
func (a *scraper) Due() time.Time {
	if a.login == nil {
		return time.Time{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.expires.Add(-tokenMargin)
}

// dashboardDoc is GET /v1/billing/dashboard, typed tolerantly: the
// vendor's own samples disagree with its tables on numbers and dates.
type dashboardDoc struct {
	Balance         scrape.Float        `json:"balance"`
	CreditLimit     scrape.Float        `json:"credit_limit"`
	DueCharges      scrape.Float        `json:"due_charges"`
	NextBillingDate scrape.Time         `json:"next_billing_date"`
	BillingCycle    scrape.String       `json:"billing_cycle"`
	AutoCharge      scrape.Bool         `json:"auto_charge"`
	BillingType     scrape.String       `json:"billing_type"`
	DueDate         scrape.Time         `json:"due_date"`
	Currency        string              `json:"currency"`
	Plans           lists[plan]         `json:"plans"`
	Subscriptions   lists[subscription] `json:"subscriptions"`
}

type plan struct {
	ID               scrape.String `json:"id"`
	Name             string        `json:"name"`
	RenewOnDate      scrape.Time   `json:"renew_on_date"`
	MinutesConsumed  scrape.Float  `json:"minutes_consumed"`
	MinutesRemaining scrape.Float  `json:"minutes_remaining"`
	MinutesAssigned  scrape.Float  `json:"minutes_assigned"`
}

type subscription struct {
	Name           string       `json:"name"`
	Title          string       `json:"title"` // the flat sample's name for it
	Charge         scrape.Float `json:"charge"`
	ChargePerMonth scrape.Float `json:"charge_per_month"`
}

// lists holds the active entries of a list sent either as
// {"active": [...], "closed": [...]} or as a flat array (all active).
type lists[T any] struct{ Active []T }

func (l *lists[T]) UnmarshalJSON(b []byte) error {
	l.Active = nil
	switch b = bytes.TrimSpace(b); {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] == '[':
		return json.Unmarshal(b, &l.Active)
	case b[0] == '{': // decoded as the same struct without this method
		return json.Unmarshal(b, (*struct {
			Active []T `json:"active"`
		})(l))
	}
	return scrape.TypeError(b, "list")
}

type dueChargesDoc struct {
	TotalDueAmount scrape.Float `json:"total_due_amount"`
	Data           []struct {
		DueAmount     scrape.Float `json:"due_amount"`
		PaymentStatus string       `json:"payment_status"`
		DueDate       scrape.Time  `json:"due_date"`
	} `json:"data"`
}

func (a *scraper) Scrape(ctx context.Context, e *provider.Emitter) error {
	if err := a.ensureToken(ctx); err != nil {
		return err
	}
	var dash dashboardDoc
	tok := a.currentToken()
	ok, err := a.Client.GetJSON(ctx, Dashboard, &dash)
	if scrape.StatusOf(err) == http.StatusUnauthorized && a.login != nil {
		// The token died early (revoked, server restart): log in once more.
		a.rejected(tok)
		if lerr := a.ensureToken(ctx); lerr != nil {
			return errors.Join(err, lerr)
		}
		tok = a.currentToken()
		ok, err = a.Client.GetJSON(ctx, Dashboard, &dash)
		if scrape.StatusOf(err) == http.StatusUnauthorized {
			a.rejected(tok)
		}
	}
	if err == nil && a.login != nil {
		a.accepted()
	}
	if ok {
		a.emitDashboard(ctx, e, &dash)
	}
	return err
}

func (a *scraper) emitDashboard(ctx context.Context, e *provider.Emitter, d *dashboardDoc) {
	cur := strings.ToUpper(strings.TrimSpace(d.Currency))
	if cur == "" {
		e.Fail(a.Client.Errorf(Dashboard.Name, 200, scrape.ReasonDecode, "field currency: missing; amounts not exported"))
	}
	e.Time(nextBillingFamily, d.NextBillingDate, a.loc)
	e.Bool(autoChargeFamily, d.AutoCharge)
	if d.BillingType != "" || d.BillingCycle != "" {
		e.Gauge(accountInfoFamily, 1, string(d.BillingType), string(d.BillingCycle))
	}

	due, dueDate := d.DueCharges, d.DueDate
	if !due.Valid || (!dueDate.Valid && due.V > 0) {
		var dc dueChargesDoc
		if e.Fetch(ctx, a.Client, provider.Read{Endpoint: DueCharges, Out: &dc}) {
			due = cmp.Or(due, dc.TotalDueAmount)
			if !dueDate.Valid {
				// The soonest of part of the list may not be the soonest.
				if _, complete := provider.Cap(e, DueCharges.Name, dc.Data); complete {
					dueDate = soonestPending(dc, a.loc)
				}
			}
		}
	}
	e.Time(dueFamily, dueDate, a.loc)

	plans, _ := provider.Cap(e, Dashboard.Name, d.Plans.Active)
	for _, p := range uniquePlanNames(plans) {
		e.Gauge(provider.PlanInfo, 1, p.label)
		e.Time(provider.PlanDue, p.RenewOnDate, a.loc, p.label)
		e.GaugeIf(callRemainingFamily, provider.Scaled(p.MinutesRemaining, 60), p.label)
		e.GaugeIf(callConsumedFamily, provider.Scaled(p.MinutesConsumed, 60), p.label)
		e.GaugeIf(callAssignedFamily, provider.Scaled(p.MinutesAssigned, 60), p.label)
	}

	if cur == "" {
		return // the amounts below need it
	}
	e.GaugeIf(provider.Balance, d.Balance, cur, provider.MainWallet)
	e.GaugeIf(provider.CreditLimit, d.CreditLimit, cur)
	e.GaugeIf(provider.DueCharges, due, cur)
	subscriptions, complete := provider.Cap(e, Dashboard.Name, d.Subscriptions.Active)
	if !complete {
		return // sums over part of the list would be wrong
	}
	charges := map[string]float64{}
	for _, s := range subscriptions {
		name := cmp.Or(s.Name, s.Title)
		c := cmp.Or(s.ChargePerMonth, s.Charge) // the first present: an absent Float is the zero value
		if name != "" && c.Valid {
			charges[name] += c.V
		}
	}
	for name, v := range charges {
		e.Gauge(subscriptionChargeFamily, v, name, cur)
	}
}

// soonestPending is the earliest due date of a pending due charge.
func soonestPending(dc dueChargesDoc, loc *time.Location) scrape.Time {
	var best scrape.Time
	for _, c := range dc.Data {
		if !c.DueDate.Valid || (c.PaymentStatus != "" && !strings.EqualFold(c.PaymentStatus, "Pending")) {
			continue
		}
		if !best.Valid || c.DueDate.Unix(loc) < best.Unix(loc) {
			best = c.DueDate
		}
	}
	return best
}

type labelledPlan struct {
	plan
	label string
}

// uniquePlanNames labels plans by name, adding the id where two active
// plans share a name, so that series never collide.
func uniquePlanNames(plans []plan) []labelledPlan {
	seen := map[string]int{}
	for _, p := range plans {
		seen[p.Name]++
	}
	out := make([]labelledPlan, 0, len(plans))
	for _, p := range plans {
		label := p.Name
		if label == "" || seen[p.Name] > 1 {
			label = strings.TrimSpace(fmt.Sprintf("%s (%s)", p.Name, p.ID))
		}
		out = append(out, labelledPlan{p, label})
	}
	slices.SortStableFunc(out, func(a, b labelledPlan) int { return strings.Compare(a.label, b.label) })
	// Same name and same id twice: keep the first.
	return slices.CompactFunc(out, func(a, b labelledPlan) bool { return a.label == b.label })
}

// vendorMessage reads Acefone's error body, {"success": false, "message"}.
func vendorMessage(b []byte) string {
	var v struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(b, &v)
	return v.Message
}
