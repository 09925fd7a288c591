package collector

import "github.com/billing-exporter/billing-exporter/collector/provider"

// Per-account health, rendered by the engine for every account.
var (
	upFamily = provider.NewHealthFamily(0, "billing_up",
		"1 if every endpoint of the account answered as the API intends during this scrape (fresh or cached answers), 0 if any failed.")
	scrapeDurationFamily = provider.NewHealthFamily(1, "billing_scrape_duration_seconds",
		"Time this scrape spent on the account, cache lookups and upstream calls included.")
	lastSuccessFamily = provider.NewHealthFamily(2, "billing_last_success_timestamp_seconds",
		"Unix time of the account's last scrape in which every endpoint answered. Absent until the first one.")
	balanceThresholdFamily = provider.NewHealthFamily(3, "billing_balance_threshold",
		"Balance under which BillingBalanceLow fires, from the account's alerts.min_balance config.", "currency")
	costBudgetFamily = provider.NewHealthFamily(4, "billing_cost_budget",
		"Monthly cloud spend budget, from the account's alerts.monthly_budget config.", "currency")
)

// healthFamilies are the families above, one per slot.
var healthFamilies = [...]*provider.Family{upFamily, scrapeDurationFamily, lastSuccessFamily, balanceThresholdFamily, costBudgetFamily}

const healthSlots = len(healthFamilies)
