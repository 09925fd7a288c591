package collector

import (
	"github.com/prometheus/client_golang/prometheus"
)

// family is one metric name with its fixed label names. Every family
// carries provider and account first; org-scoped families also end with
// organization and organization_id (empty outside Qovery), because one name
// must keep one label set across providers.
type family struct {
	desc   *prometheus.Desc
	labels int // family-specific labels, between account and the org pair
	org    bool
}

var families []*family

func newFamily(name, help string, labels ...string) *family {
	return register(name, help, false, labels)
}

func newOrgFamily(name, help string, labels ...string) *family {
	return register(name, help, true, labels)
}

func register(name, help string, org bool, labels []string) *family {
	all := append([]string{"provider", "account"}, labels...)
	if org {
		all = append(all, "organization", "organization_id")
	}
	f := &family{desc: prometheus.NewDesc(name, help, all, nil), labels: len(labels), org: org}
	families = append(families, f)
	return f
}

// Per-account health, reported by the fan-out collector for every account.
var (
	upFamily = newFamily("billing_up",
		"1 if every endpoint of the account answered as the API intends during this scrape (fresh or cached answers), 0 if any failed.")
	scrapeDurationFamily = newFamily("billing_scrape_duration_seconds",
		"Time this scrape spent on the account, cache lookups and upstream calls included.")
	lastSuccessFamily = newFamily("billing_last_success_timestamp_seconds",
		"Unix time of the account's last scrape in which every endpoint answered. Absent until the first one.")
	balanceThresholdFamily = newFamily("billing_balance_threshold",
		"Balance under which BillingBalanceLow fires, from the account's alerts.min_balance config.", "currency")
	costBudgetFamily = newFamily("billing_cost_budget",
		"Monthly cloud spend budget, from the account's alerts.monthly_budget config.", "currency")
)
