package collector

import (
	"slices"
	"strings"

	"github.com/billing-exporter/billing-exporter/internal/expo"
)

// family is one metric name with its fixed label names. Every family
// carries provider and account first; org-scoped families also end with
// organization and organization_id (empty outside Qovery), because one name
// must keep one label set across providers.
type family struct {
	name   string
	help   string
	header []byte   // HELP and TYPE lines, written once
	idx    int      // index in families
	names  []string // every label name, provider and account first
	order  []int    // expo.LabelOrder(names)
	labels int      // family-specific labels, between account and the org pair
	org    bool
	health int // slot in an account's health lines (newHealthFamily), or -1
}

var families []*family

// byName is families sorted by name, the order they are written in.
var byName []*family

func init() {
	byName = slices.Clone(families)
	slices.SortFunc(byName, func(a, b *family) int { return strings.Compare(a.name, b.name) })
}

func newFamily(name, help string, labels ...string) *family {
	return register(name, help+cacheNote, false, -1, labels)
}

func newOrgFamily(name, help string, labels ...string) *family {
	return register(name, help+cacheNote, true, -1, labels)
}

// newListFamily and newListOrgFamily are for values read from endpoints
// cached for an hour by default because they change rarely (plan lists,
// currencies, organization details).
func newListFamily(name, help string, labels ...string) *family {
	return register(name, help+listCacheNote, false, -1, labels)
}

func newListOrgFamily(name, help string, labels ...string) *family {
	return register(name, help+listCacheNote, true, -1, labels)
}

// newHealthFamily is for a family that describes the scrape, not cached
// data: every scrape renders it for every account, at slot of its health lines.
func newHealthFamily(slot int, name, help string, labels ...string) *family {
	return register(name, help, false, slot, labels)
}

const healthSlots = 5 // the health families

// cacheNote ends the HELP of every billing value, as the exporter
// guidelines ask of exporters that do not fetch at each scrape.
const cacheNote = " Served from a cache up to cache_ttl old (default 5m), or up to max_stale (default 1h) while refreshes fail."

// listCacheNote is cacheNote for the hourly endpoints (scrape.Client.ttl:
// an endpoint's own TTL applies unless the account's cache_ttl is longer).
const listCacheNote = " Served from a cache up to 1h old (or cache_ttl if longer), or up to max_stale (default 1h) while refreshes fail."

func register(name, help string, org bool, health int, labels []string) *family {
	all := append([]string{"provider", "account"}, labels...)
	if org {
		all = append(all, "organization", "organization_id")
	}
	f := &family{name: name, help: help, header: expo.AppendHeader(nil, name, help, "gauge"), idx: len(families), names: all, order: expo.LabelOrder(all), labels: len(labels), org: org, health: health}
	families = append(families, f)
	return f
}

// Families shared by several providers.
var (
	balanceFamily = newFamily("billing_balance",
		"Prepaid balance in the account's currency (DocSpace customer/balance subAccounts, Acefone dashboard balance).", "currency")
	planInfoFamily = newOrgFamily("billing_plan_info",
		"Current or active plan, value 1 (DocSpace quota title, Acefone active plans, Qovery currentCost plan).", "plan")
	planDueFamily = newOrgFamily("billing_plan_due_timestamp_seconds",
		"When the plan renews or ends, Unix time (DocSpace quota dueDate, Acefone renew_on_date, Qovery renewal_at). Absent when the vendor gives none.", "plan")
)

// Per-account health, reported by the fan-out collector for every account.
var (
	upFamily = newHealthFamily(0, "billing_up",
		"1 if every endpoint of the account answered as the API intends during this scrape (fresh or cached answers), 0 if any failed.")
	scrapeDurationFamily = newHealthFamily(1, "billing_scrape_duration_seconds",
		"Time this scrape spent on the account, cache lookups and upstream calls included.")
	lastSuccessFamily = newHealthFamily(2, "billing_last_success_timestamp_seconds",
		"Unix time of the account's last scrape in which every endpoint answered. Absent until the first one.")
	balanceThresholdFamily = newHealthFamily(3, "billing_balance_threshold",
		"Balance under which BillingBalanceLow fires, from the account's alerts.min_balance config.", "currency")
	costBudgetFamily = newHealthFamily(4, "billing_cost_budget",
		"Monthly cloud spend budget, from the account's alerts.monthly_budget config.", "currency")
)

// Families describes every billing family the exporter may write.
func Families() []expo.Desc {
	out := make([]expo.Desc, len(byName))
	for i, f := range byName {
		out[i] = expo.Desc{Name: f.name, Labels: f.names}
	}
	return out
}
