package provider

import (
	"regexp"
	"strings"
	"sync/atomic"

	"github.com/billing-exporter/billing-exporter/internal/expo"
)

// Family is one metric name with its fixed label names. Every family
// carries provider and account first; org-scoped families also end with
// organization and organization_id (empty outside providers with
// organizations), because one name must keep one label set across
// providers.
type Family struct {
	Name   string
	Help   string
	Header []byte   // HELP and TYPE lines, written once
	Names  []string // every label name, provider and account first

	idx    int   // unique per family: where an account's lines keep its series
	order  []int // expo.LabelOrder(Names)
	labels int   // family-specific labels, between account and the org pair
	org    bool
	// Health is the family's slot in an account's health lines, or -1 for
	// a billing family (see NewHealthFamily).
	Health int
}

// families counts the families made, so that each has an index of its own.
var families atomic.Int64

// NewFamily declares a billing family of the given labels, beyond
// provider and account.
func NewFamily(name, help string, labels ...string) *Family {
	return newFamily(name, help+CacheNote, false, -1, labels)
}

// NewOrgFamily is NewFamily for a value per organization.
func NewOrgFamily(name, help string, labels ...string) *Family {
	return newFamily(name, help+CacheNote, true, -1, labels)
}

// NewListFamily and NewListOrgFamily are for values read from endpoints
// cached for an hour by default because they change rarely (plan lists,
// currencies, organization details).
func NewListFamily(name, help string, labels ...string) *Family {
	return newFamily(name, help+ListCacheNote, false, -1, labels)
}

// NewListOrgFamily is NewListFamily for a value per organization.
func NewListOrgFamily(name, help string, labels ...string) *Family {
	return newFamily(name, help+ListCacheNote, true, -1, labels)
}

// NewHealthFamily is for a family that describes the scrape, not cached
// data: the engine renders it for every account, at slot of its health lines.
func NewHealthFamily(slot int, name, help string, labels ...string) *Family {
	return newFamily(name, help, false, slot, labels)
}

// CacheNote ends the HELP of every billing value, as the exporter
// guidelines ask of exporters that do not fetch at each scrape.
const CacheNote = " Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail."

// ListCacheNote is CacheNote for the hourly endpoints (scrape.Client's
// ttl: an endpoint's own TTL applies unless the account's cache_ttl is longer).
const ListCacheNote = " Served from a cache up to 1h old (or cache_ttl if longer), or up to max_stale (default 1h) while refreshes fail."

func newFamily(name, help string, org bool, health int, labels []string) *Family {
	all := append([]string{"provider", "account"}, labels...)
	if org {
		all = append(all, "organization", "organization_id")
	}
	return &Family{Name: name, Help: help, Header: expo.AppendHeader(nil, name, help, "gauge"),
		idx: int(families.Add(1) - 1), Names: all, order: expo.LabelOrder(all), labels: len(labels), org: org, Health: health}
}

// Families every provider may write, with one meaning whoever writes them.
// The README's tables name each provider's source field.
var (
	Balance = NewFamily("billing_balance",
		"Money left to spend in the account's currency: a prepaid balance, negative when money is owed. wallet names a balance kept apart for one use (ai: AI credits), empty for the account's main balance.", "currency", "wallet")
	PlanInfo = NewOrgFamily("billing_plan_info",
		"Current or active plan, value 1.", "plan")
	PlanDue = NewOrgFamily("billing_plan_due_timestamp_seconds",
		"When the plan renews or ends, Unix time. Absent when the vendor gives none.", "plan")
	CurrentCost = NewOrgFamily("billing_current_cost",
		"Cost so far of the current billing period, in its currency.", "currency")
	CreditLimit = NewFamily("billing_credit_limit",
		"Credit limit of the account: how far the balance may go below zero.", "currency")
	DueCharges = NewFamily("billing_due_charges",
		"Charges due on the account, to be paid.", "currency")
	TopupEnabled = NewFamily("billing_topup_enabled",
		"1 if automatic top-up of the balance is on.")
	TopupMin = NewFamily("billing_topup_min_balance",
		"Balance under which the account tops up automatically. Absent until a currency is configured.", "currency")
	TopupTarget = NewFamily("billing_topup_target_balance",
		"Balance an automatic top-up restores. Absent until a currency is configured.", "currency")
	PaymentState = NewOrgFamily("billing_payment_state",
		"Whether the account is paid up, one series per state: 1 for the current state, 0 for the others. trial: on a trial; paid: paid up; grace: past due, still working until the grace period ends; unpaid: past the grace period, restricted by the vendor. All 0 when the vendor reports a state not listed here.", "state")
	PaymentMethodState = NewFamily("billing_payment_method_state",
		"State of the account's payment method, one series per state: 1 for the current state, 0 for the others. none: no payment method on file; set: one is on file; expired: the one on file has expired. All 0 when the vendor reports a state not listed here.", "state")
)

// PaymentMethodStates are the states of PaymentMethodState, in no
// vendor's terms: each provider maps its own codes to them.
var PaymentMethodStates = []string{"none", "set", "expired"}

// PaymentStates are the states of PaymentState, in no vendor's terms:
// each provider maps its own codes to them.
var PaymentStates = []string{"trial", "paid", "grace", "unpaid"}

// CurrencyCode is the ISO 4217 code in s, upper-cased, or "" when s holds
// none: a vendor's free text must not become a currency label, and an
// amount without a currency cannot be compared with anything.
func CurrencyCode(s string) string {
	s = strings.TrimSpace(s)
	if !isoCode.MatchString(s) {
		return ""
	}
	return strings.ToUpper(s)
}

var isoCode = regexp.MustCompile(`^[A-Za-z]{3}$`)

// MainWallet is the wallet label of an account's main balance.
const MainWallet = ""

// Shared lists the families above, for the engine's catalog.
var Shared = []*Family{Balance, PlanInfo, PlanDue, CurrentCost, CreditLimit, DueCharges, TopupEnabled, TopupMin, TopupTarget, PaymentState, PaymentMethodState}

// count is how many families exist: every index is below it.
func count() int { return int(families.Load()) }
