package grafana

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Files maps each committed dashboard file, relative to this directory, to
// the function that builds it.
var Files = map[string]func() (dashboard.Dashboard, error){
	"dashboards/billing-overview.json": Overview,
	"dashboards/billing-exporter.json": Exporter,
}

// JSON renders a dashboard as it is committed: indented, newline-terminated.
func JSON(d dashboard.Dashboard) ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// datasource is the dashboards' only data source reference: the template
// variable, never a uid, so the dashboards load on any Grafana.
var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}

// Label filters shared by the queries.
const (
	accounts   = `provider=~"$provider",account=~"$account"`
	currencies = accounts + `,currency=~"$currency"`
)

// wallet names a balance's wallet in its legend, "main (ai wallet) USD",
// and nothing for the main wallet, so that the currency stays last for
// byCurrency.
func wallet(expr string) string {
	return `label_replace(` + expr + `, "wallet", " ($1 wallet)", "wallet", "(.+)")`
}

// currencyUnits are the ISO codes that get Grafana's currency units; a
// series whose display name ends with one of them is shown in it. Others
// show plain numbers, their code still in the legend.
var currencyUnits = []string{"USD", "EUR", "GBP", "INR", "CHF", "JPY"}

func query(ref, expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(datasource).RefId(ref).Expr(expr).LegendFormat(legend)
}

// instant is a table query: one row per series, at the dashboard's end time.
func instant(ref, expr string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(datasource).RefId(ref).Expr(expr).
		Instant().Format(prometheus.PromQueryFormatTable)
}

type overrides []cog.Builder[dashboard.DashboardFieldConfigSourceOverrides]

func override(id string, options any, props ...dashboard.DynamicConfigValue) cog.Builder[dashboard.DashboardFieldConfigSourceOverrides] {
	return dashboard.NewDashboardFieldConfigSourceOverridesBuilder().
		Matcher(dashboard.MatcherConfig{Id: id, Options: options}).
		Properties(props)
}

func prop(id string, value any) dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: id, Value: value}
}

// byCurrency gives each series named "… <CODE>" its currency unit.
func byCurrency() overrides {
	var o overrides
	for _, c := range currencyUnits {
		o = append(o, override("byRegexp", ".* "+c, prop("unit", "currency"+c)))
	}
	return o
}

// dashed draws a query's series as thin dashed lines without fill: the
// thresholds drawn next to the values they apply to.
func dashed(ref string) cog.Builder[dashboard.DashboardFieldConfigSourceOverrides] {
	return override("byFrameRefID", ref,
		prop("custom.lineStyle", map[string]any{"fill": "dash", "dash": []int{10, 10}}),
		prop("custom.fillOpacity", 0),
		prop("custom.lineWidth", 1))
}

func thresholds(base string, steps ...any) *dashboard.ThresholdsConfigBuilder {
	s := []dashboard.Threshold{{Color: base}}
	for i := 0; i+1 < len(steps); i += 2 {
		v, ok := steps[i].(float64)
		if !ok {
			v = float64(steps[i].(int))
		}
		s = append(s, dashboard.Threshold{Value: cog.ToPtr(v), Color: steps[i+1].(string)})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(s)
}

func mapping(values map[string][2]string) []dashboard.ValueMapping {
	m := dashboard.NewValueMap()
	for v, tc := range values {
		m.Options[v] = dashboard.ValueMappingResult{Text: cog.ToPtr(tc[0]), Color: cog.ToPtr(tc[1])}
	}
	return []dashboard.ValueMapping{{ValueMap: m}}
}

func legendTable(calcs ...string) *common.VizLegendOptionsBuilder {
	return common.NewVizLegendOptionsBuilder().ShowLegend(true).
		DisplayMode(common.LegendDisplayModeTable).Placement(common.LegendPlacementBottom).Calcs(calcs)
}

func lastValue() *common.ReduceDataOptionsBuilder {
	return common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)
}

// organize hides the label columns a table does not need, orders the rest
// and names the value column.
func organize(value string, order ...string) dashboard.DataTransformerConfig {
	index := map[string]int{}
	for i, name := range order {
		index[name] = i
	}
	index["Value"] = len(order)
	return dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
		"excludeByName": map[string]bool{"Time": true, "__name__": true, "job": true, "instance": true, "organization_id": true},
		"indexByName":   index,
		"renameByName":  map[string]string{"Value": value},
	}}
}

// newTimeseries starts a graph whose tooltip lists every series, highest
// first (the SDK leaves the tooltip mode empty).
func newTimeseries() *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending))
}

// costBand shades each currency's range from its "max" series down to its
// "min" series; fillBelowTo names the lower series by its display name.
func costBand() overrides {
	var o overrides
	for _, c := range currencyUnits {
		o = append(o, override("byName", "max "+c, prop("custom.fillBelowTo", "min "+c), prop("custom.fillOpacity", 20)))
	}
	return o
}

// newBars starts horizontal bars of each series' last value.
func newBars() *bargauge.PanelBuilder {
	return bargauge.NewPanelBuilder().
		Orientation(common.VizOrientationHorizontal).
		DisplayMode(common.BarGaugeDisplayModeBasic).
		ReduceOptions(lastValue())
}

// newTable starts a table panel with its footer set: the SDK's default
// footer has a null reducer, which Grafana's schema rejects.
func newTable() *table.PanelBuilder {
	return table.NewPanelBuilder().
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"sum"}))
}

func sortBy(column string) []cog.Builder[common.TableSortByFieldState] {
	return []cog.Builder[common.TableSortByFieldState]{
		common.NewTableSortByFieldStateBuilder().DisplayName(column).Desc(false),
	}
}

// variable is a multi-value label filter with an "All" that matches
// anything, the series without the label included.
func variable(name, label, query string) *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(name).Label(label).
		Datasource(datasource).
		Query(dashboard.StringOrMap{String: cog.ToPtr(query)}).
		Definition(query).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).IncludeAll(true).AllValue(".*").
		Current(dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{String: cog.ToPtr("All")}, Value: dashboard.StringOrArrayOfString{String: cog.ToPtr("$__all")}})
}

func datasourceVariable() *dashboard.DatasourceVariableBuilder {
	return dashboard.NewDatasourceVariableBuilder("datasource").Label("Data source").Type("prometheus")
}

func providerVariable() *dashboard.QueryVariableBuilder {
	return variable("provider", "Provider", "label_values(billing_up, provider)")
}

func accountVariable() *dashboard.QueryVariableBuilder {
	return variable("account", "Account", `label_values(billing_up{provider=~"$provider"}, account)`)
}

// ids numbers the panels of one dashboard.
type ids uint32

func (n *ids) next() uint32 { *n++; return uint32(*n) }

func newDashboard(uid, title, description string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).Uid(uid).Description(description).
		Tags([]string{"billing", "billing-exporter"}).
		Editable().
		Refresh("1m").
		Time("now-7d", "now").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Link(dashboard.NewDashboardLinkBuilder("Billing dashboards").
			Type(dashboard.DashboardLinkTypeDashboards).Tags([]string{"billing-exporter"}).
			AsDropdown(false).IncludeVars(true).KeepTime(true))
}

// Overview is the "Billing overview" dashboard: money, dates and the state
// of each account's billing.
func Overview() (dashboard.Dashboard, error) {
	var id ids
	return newDashboard("billing-overview", "Billing overview",
		"Balances, runway, due dates, trials, cloud costs and payment state of every account billing-exporter reads. Runway and spend panels use the recording rules of deploy/prometheus/billing-rules.yml.").
		WithVariable(datasourceVariable()).
		WithVariable(providerVariable()).
		WithVariable(accountVariable()).
		WithVariable(variable("currency", "Currency", `label_values(billing_balance{provider=~"$provider",account=~"$account"}, currency)`)).
		WithVariable(variable("cluster", "Cluster", `label_values(billing_cluster_cost_max{provider=~"$provider",account=~"$account"}, cluster)`)).
		WithRow(dashboard.NewRowBuilder("Balances").Id(id.next())).
		WithPanel(newTimeseries().Id(id.next()).
			Title("Balances and top-up thresholds").
			Description("Prepaid balance per account, wallet (main, or DocSpace's AI credits) and currency. Dashed: the automatic top-up minimum (the main wallet's) and the alerts.min_balance threshold (every wallet's) under which BillingBalanceLow fires.").
			Span(16).Height(9).
			WithTarget(query("A", wallet(`billing_balance{`+currencies+`}`), "{{provider}}/{{account}}{{wallet}} {{currency}}")).
			WithTarget(query("B", `billing_topup_min_balance{`+currencies+`}`, "{{provider}}/{{account}} top-up minimum {{currency}}")).
			WithTarget(query("C", `billing_balance_threshold{`+currencies+`}`, "{{provider}}/{{account}} alert threshold {{currency}}")).
			Decimals(2).
			Legend(legendTable("lastNotNull")).
			Overrides(append(byCurrency(), dashed("B"), dashed("C")))).
		WithPanel(newBars().Id(id.next()).
			Title("Runway").
			Description("Time until the balance reaches zero at the spend of the last 6 hours (recording rule account:billing_runway_seconds:deriv6h). A balance that is flat or rising has no runway to show.").
			Span(8).Height(9).
			WithTarget(query("A", wallet(`account:billing_runway_seconds:deriv6h{`+currencies+`}`), "{{provider}}/{{account}}{{wallet}} {{currency}}")).
			Unit("s").Min(0).
			Thresholds(thresholds("red", 7*86400, "orange", 30*86400, "green"))).
		WithPanel(newTimeseries().Id(id.next()).
			Title("Spend per day").
			Description("How fast each balance falls, per day, over the last 6 hours (recording rule account:billing_spend_per_day:deriv6h). Top-ups do not count as negative spend.").
			Span(12).Height(8).
			WithTarget(query("A", wallet(`account:billing_spend_per_day:deriv6h{`+currencies+`}`), "{{provider}}/{{account}}{{wallet}} {{currency}}")).
			Decimals(2).Min(0).
			Overrides(byCurrency())).
		WithPanel(newTimeseries().Id(id.next()).
			Title("Due charges and credit limit").
			Description("Charges due (Acefone due_charges, Telnyx pending), dashed the account's credit limit, and the credit left: what can be spent before the vendor stops the service, as the vendor states it (Telnyx available_credit), else balance + credit limit (BillingCreditLimitNearlyReached under 10 % of the limit).").
			Span(12).Height(8).
			WithTarget(query("A", `billing_due_charges{`+currencies+`}`, "{{provider}}/{{account}} due {{currency}}")).
			WithTarget(query("B", `billing_credit_limit{`+currencies+`}`, "{{provider}}/{{account}} credit limit {{currency}}")).
			WithTarget(query("C", `billing_available_credit{`+currencies+`} or billing_balance{`+currencies+`} + billing_credit_limit{`+currencies+`}`, "{{provider}}/{{account}} credit left {{currency}}")).
			Decimals(2).
			Overrides(append(byCurrency(), dashed("B")))).
		WithRow(dashboard.NewRowBuilder("Dates").Id(id.next())).
		WithPanel(newTable().Id(id.next()).
			Title("Due dates, renewals and expiries").
			Description("Every date an account has, soonest first: plan renewal or end, trial end (Qovery's to the day), end of the grace period of an account past due, charges due, next billing cycle, card expiry, and when the oldest unpaid invoice was created (in the past: BillingInvoiceOverdue at 5 days).").
			Span(16).Height(9).
			WithTarget(instant("A", `label_replace(billing_plan_due_timestamp_seconds{`+accounts+`} unless (`+trialPlans+`), "what", "plan renews or ends", "", "")
or label_replace(`+trialPlans+`, "what", "trial ends", "", "")
or label_replace(time() + (billing_trial_remaining_seconds{`+accounts+`} > 0), "what", "trial ends", "", "")
or label_replace(billing_grace_period_end_timestamp_seconds{`+accounts+`} and ignoring(organization, organization_id, state) billing_payment_state{state="grace"} == 1, "what", "grace period ends", "", "")
or label_replace(billing_invoice_oldest_unpaid_timestamp_seconds{`+accounts+`}, "what", "oldest unpaid invoice", "", "")
or label_replace(billing_due_timestamp_seconds{`+accounts+`}, "what", "charges due", "", "")
or label_replace(billing_next_billing_timestamp_seconds{`+accounts+`}, "what", "next billing cycle", "", "")
or label_replace(billing_card_expiry_timestamp_seconds{`+accounts+`}, "what", "card expires", "", "")`)).
			Unit("dateTimeFromNow").
			WithTransformation(organize("When", "what", "provider", "account", "organization", "plan", "brand", "last_digits", "card_id")).
			SortBy(sortBy("When")).
			CellHeight(common.TableCellHeightSm)).
		WithPanel(stat.NewPanelBuilder().Id(id.next()).
			Title("Trials").
			Description("When each trial ends: DocSpace trial plans by their tariff's due date, Qovery organizations by the days they have left.").
			Span(8).Height(9).
			WithTarget(query("A", trialPlans, "{{provider}}/{{account}} {{plan}}")).
			WithTarget(query("B", `time() + (billing_trial_remaining_seconds{`+accounts+`} > 0)`, "{{provider}}/{{account}} {{organization}}")).
			Unit("dateTimeFromNow").
			NoValue("No trial").
			ColorMode(common.BigValueColorModeNone).
			GraphMode(common.BigValueGraphModeNone).
			TextMode(common.BigValueTextModeValueAndName).
			ReduceOptions(lastValue())).
		WithRow(dashboard.NewRowBuilder("Cloud costs").Id(id.next())).
		WithPanel(newTimeseries().Id(id.next()).
			Title("Cluster cost range: $cluster").
			Description("Qovery's estimate of the cluster's cost this month: the band runs from the minimum to the maximum, which Qovery guarantees the cost will not exceed.").
			Span(12).Height(8).
			Repeat("cluster").RepeatDirection(dashboard.PanelRepeatDirectionH).MaxPerRow(2).
			WithTarget(query("A", `billing_cluster_cost_max{`+currencies+`,cluster=~"$cluster"}`, "max {{currency}}")).
			WithTarget(query("B", `billing_cluster_cost_min{`+currencies+`,cluster=~"$cluster"}`, "min {{currency}}")).
			Decimals(2).Min(0).FillOpacity(0).
			Overrides(append(byCurrency(), costBand()...))).
		WithPanel(newTimeseries().Id(id.next()).
			Title("Current month cost and budget").
			Description("Each organization's cost so far this month (Qovery currentCost) and, dashed, the account's alerts.monthly_budget, against which BillingClusterCostAboveBudget compares the clusters' maximum cost.").
			Span(12).Height(8).
			WithTarget(query("A", `billing_current_cost{`+currencies+`}`, "{{provider}}/{{account}} {{organization}} {{currency}}")).
			WithTarget(query("B", `billing_cost_budget{`+currencies+`}`, "{{provider}}/{{account}} budget {{currency}}")).
			Decimals(2).Min(0).
			Overrides(append(byCurrency(), dashed("B")))).
		WithRow(dashboard.NewRowBuilder("Validity and payment").Id(id.next())).
		WithPanel(statusStat(id.next(), "Billing validity",
			"Qovery billingStatus is_valid. Invalid billing can block deployments.",
			query("A", `billing_valid{`+accounts+`}`, "{{account}} {{organization}}"),
			map[string][2]string{"0": {"Invalid", "red"}, "1": {"Valid", "green"}})).
		WithPanel(statusStat(id.next(), "Payment state",
			"Whether each account is paid up (billing_payment_state): Trial, Paid, Grace period (past due, working until the grace period ends: BillingGracePeriod) or Unpaid (restricted by the vendor: BillingUnpaid); Unknown when the vendor reported a state the exporter does not know.",
			query("A", paymentState, "{{provider}}/{{account}} {{organization}}"),
			map[string][2]string{"0": {"Unknown", "purple"}, "1": {"Trial", "blue"}, "2": {"Paid", "green"}, "3": {"Grace period", "orange"}, "4": {"Unpaid", "red"}})).
		WithPanel(statusStat(id.next(), "Payment method",
			"State of the payment method on file (billing_payment_method_state): None, Set or Expired; Unknown when the vendor reported a state the exporter does not know.",
			query("A", paymentMethodState, "{{provider}}/{{account}}"),
			map[string][2]string{"0": {"Unknown", "purple"}, "1": {"None", "orange"}, "2": {"Set", "green"}, "3": {"Expired", "red"}})).
		WithPanel(statusStat(id.next(), "Deployments",
			"Whether Qovery restricts the organization's deployments for a billing reason, and how: NO_CREDIT_CARD blocks managed clusters only, any other restriction every deployment.",
			query("A", `billing_deployment_restricted{`+accounts+`}`, "{{account}} {{organization}} {{restriction}}"),
			map[string][2]string{"0": {"Allowed", "green"}, "1": {"Restricted", "red"}})).
		WithPanel(newTable().Id(id.next()).
			Title("Vendor billing messages").
			Description("Qovery billingStatus message, when the vendor gives one.").
			Span(24).Height(6).
			WithTarget(instant("A", `billing_status_info{`+accounts+`}`)).
			Unit("string").
			WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
				"excludeByName": map[string]bool{"Time": true, "__name__": true, "job": true, "instance": true, "organization_id": true, "Value": true},
			}}).
			CellHeight(common.TableCellHeightSm)).
		WithRow(dashboard.NewRowBuilder("Invoices and cards").Id(id.next())).
		WithPanel(newBars().Id(id.next()).
			Title("Invoices by status").
			Span(6).Height(8).
			WithTarget(query("A", `billing_invoices{`+accounts+`}`, "{{account}} {{organization}} {{status}}")).
			Unit("none").Decimals(0)).
		WithPanel(newBars().Id(id.next()).
			Title("Invoice amounts by status").
			Span(6).Height(8).
			WithTarget(query("A", `billing_invoices_amount{`+currencies+`}`, "{{account}} {{organization}} {{status}} {{currency}}")).
			Decimals(2).
			Overrides(byCurrency())).
		WithPanel(newBars().Id(id.next()).
			Title("Oldest unpaid invoice").
			Description("How long the oldest NOT_PAID or PAYMENT_DUE invoice of each Qovery organization has waited: BillingInvoiceOverdue fires after 5 days, and at 7 Qovery turns a Startup organization's billing invalid. Organizations with nothing to pay are not shown.").
			Span(12).Height(8).
			WithTarget(query("A", `time() - billing_invoice_oldest_unpaid_timestamp_seconds{`+accounts+`}`, "{{account}} {{organization}}")).
			Unit("s").Min(0).
			Thresholds(thresholds("green", 86400, "orange", 5*86400, "red"))).
		WithPanel(newTable().Id(id.next()).
			Title("Cards").
			Description("Payment cards on file and when each expires (the first instant after its expiry month).").
			Span(24).Height(8).
			WithTarget(instant("A", `billing_card_expiry_timestamp_seconds{`+accounts+`}`)).
			Unit("dateTimeFromNow").
			WithTransformation(organize("Expires", "provider", "account", "organization", "brand", "last_digits", "card_id")).
			SortBy(sortBy("Expires")).
			CellHeight(common.TableCellHeightSm)).
		WithRow(dashboard.NewRowBuilder("Plans and usage").Id(id.next())).
		WithPanel(newBars().Id(id.next()).
			Title("Storage used").
			Description("DocSpace quota features measured in bytes.").
			Span(8).Height(8).
			WithTarget(query("A", `billing_quota_used_bytes{`+accounts+`}`, "{{provider}}/{{account}} {{feature}}")).
			Unit("bytes").Min(0)).
		WithPanel(newBars().Id(id.next()).
			Title("Quota usage").
			Description("Share of each limited DocSpace quota feature in use; BillingQuotaNearlyFull fires over 90 %. Unlimited features have no limit series and are not shown.").
			Span(8).Height(8).
			WithTarget(query("A", `billing_quota_used_bytes{`+accounts+`} / billing_quota_limit_bytes{`+accounts+`} or billing_quota_used{`+accounts+`} / billing_quota_limit{`+accounts+`}`, "{{provider}}/{{account}} {{feature}}")).
			Unit("percentunit").Min(0).Max(1).
			Thresholds(thresholds("green", 0.9, "orange", 1, "red")).
			DisplayMode(common.BarGaugeDisplayModeGradient)).
		WithPanel(newBars().Id(id.next()).
			Title("Call time left").
			Description("Acefone call time remaining on each active plan.").
			Span(8).Height(8).
			WithTarget(query("A", `billing_plan_call_remaining_seconds{`+accounts+`}`, "{{provider}}/{{account}} {{plan}}")).
			Unit("s").Min(0)).
		WithPanel(newBars().Id(id.next()).
			Title("Call time left, share of plan").
			Description("Acefone call time remaining as a share of the plan's; BillingCallTimeLow fires under 10 %.").
			Span(8).Height(8).
			WithTarget(query("A", `billing_plan_call_remaining_seconds{`+accounts+`} / billing_plan_call_assigned_seconds{`+accounts+`}`, "{{provider}}/{{account}} {{plan}}")).
			Unit("percentunit").Min(0).Max(1).
			Thresholds(thresholds("red", 0.1, "green")).
			DisplayMode(common.BarGaugeDisplayModeGradient)).
		Build()
}

// trialPlans are the due dates of plans on a trial: flagged as one, or of
// an account whose payment state is trial (DocSpace's tariff).
const trialPlans = `billing_plan_due_timestamp_seconds{` + accounts + `} and ignoring(organization, organization_id) billing_plan_trial == 1` +
	` or billing_plan_due_timestamp_seconds{` + accounts + `} and ignoring(organization, organization_id, plan, state) billing_payment_state{state="trial"} == 1`

// paymentState turns billing_payment_state into one number per account
// for statusStat: 1 trial, 2 paid, 3 grace, 4 unpaid, and 0 when no state
// is 1 (the vendor sent one the exporter does not know).
const paymentState = `sum without (state) (` +
	`billing_payment_state{` + accounts + `,state="trial"}` +
	` or 2 * billing_payment_state{` + accounts + `,state="paid"}` +
	` or 3 * billing_payment_state{` + accounts + `,state="grace"}` +
	` or 4 * billing_payment_state{` + accounts + `,state="unpaid"})`

// paymentMethodState turns billing_payment_method_state into the one
// number per account that statusStat's value mappings need and a state set
// does not give: 1 none, 2 set, 3 expired, and 0 when no state is 1 (the
// vendor sent one the exporter does not know).
const paymentMethodState = `sum without (state) (` +
	`billing_payment_method_state{` + accounts + `,state="none"}` +
	` or 2 * billing_payment_method_state{` + accounts + `,state="set"}` +
	` or 3 * billing_payment_method_state{` + accounts + `,state="expired"})`

// statusStat shows a state gauge per series, as text on its colour.
func statusStat(id uint32, title, description string, q *prometheus.DataqueryBuilder, states map[string][2]string) *stat.PanelBuilder {
	return stat.NewPanelBuilder().Id(id).
		Title(title).Description(description).
		Span(6).Height(6).
		WithTarget(q).
		Unit("none").
		Mappings(mapping(states)).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValueAndName).
		ReduceOptions(lastValue())
}

// exporterOf keeps the series of the targets that export billing metrics,
// so process metrics of other jobs stay out without a job variable.
const exporterOf = `and on(job, instance) group by (job, instance) (billing_up)`

// Exporter is the "Billing exporter" dashboard: is billing-exporter able
// to read every account, and at what cost to the vendors' APIs.
func Exporter() (dashboard.Dashboard, error) {
	var id ids
	rate := func(metric, filter, by string) string {
		return fmt.Sprintf(`sum by (%s) (rate(%s{%s}[$__rate_interval]))`, by, metric, filter)
	}
	return newDashboard("billing-exporter", "Billing exporter",
		"Health of billing-exporter: whether each account is read, how long it takes, and the traffic it sends to the vendors' APIs.").
		WithVariable(datasourceVariable()).
		WithVariable(providerVariable()).
		WithVariable(accountVariable()).
		WithRow(dashboard.NewRowBuilder("Accounts").Id(id.next())).
		WithPanel(statetimeline.NewPanelBuilder().Id(id.next()).
			Title("Account up").
			Description("billing_up: 1 when every endpoint of the account answered in the scrape (fresh or from the cache).").
			Span(24).Height(7).
			WithTarget(query("A", `billing_up{`+accounts+`}`, "{{provider}}/{{account}}")).
			Unit("none").
			Mappings(mapping(map[string][2]string{"0": {"Down", "red"}, "1": {"Up", "green"}})).
			ShowValue(common.VisibilityModeNever)).
		WithPanel(newTimeseries().Id(id.next()).
			Title("Scrape duration").
			Span(12).Height(8).
			WithTarget(query("A", `billing_scrape_duration_seconds{`+accounts+`}`, "{{provider}}/{{account}}")).
			Unit("s").Min(0)).
		WithPanel(newTimeseries().Id(id.next()).
			Title("Last success age").
			Description("Time since every endpoint of the account last answered. Past the red line (1h, the default max_stale) cached values are dropped and BillingDataStale fires.").
			Span(12).Height(8).
			WithTarget(query("A", `time() - billing_last_success_timestamp_seconds{`+accounts+`}`, "{{provider}}/{{account}}")).
			Unit("s").Min(0).
			Thresholds(thresholds("green", 3600, "red")).
			ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeLine))).
		WithRow(dashboard.NewRowBuilder("Vendor APIs").Id(id.next())).
		WithPanel(newTimeseries().Id(id.next()).
			Title("Upstream requests by code").
			Description("Requests sent to the vendors' APIs, each retry counted, by HTTP status (\"error\" when no answer came).").
			Span(12).Height(8).
			WithTarget(query("A", rate("billing_upstream_requests_total", accounts, "provider, account, code"), "{{provider}}/{{account}} {{code}}")).
			Unit("reqps").Min(0)).
		WithPanel(newTimeseries().Id(id.next()).
			Title("Upstream errors by reason").
			Description("Calls that failed after retries. Empty while nothing fails.").
			Span(12).Height(8).
			WithTarget(query("A", rate("billing_upstream_errors_total", accounts, "provider, account, reason")+" > 0", "{{provider}}/{{account}} {{reason}}")).
			Unit("reqps").Min(0)).
		WithPanel(newTimeseries().Id(id.next()).
			Title("Cache lookups").
			Description("hit: served from the cache; miss: the vendor was called; stale: the refresh failed and the last good answer was served.").
			Span(12).Height(8).
			WithTarget(query("A", rate("billing_upstream_cache_lookups_total", accounts, "provider, account, result"), "{{provider}}/{{account}} {{result}}")).
			Unit("ops").Min(0)).
		WithPanel(stat.NewPanelBuilder().Id(id.next()).
			Title("Cache hit ratio").
			Span(6).Height(8).
			WithTarget(query("A", rate("billing_upstream_cache_lookups_total", accounts+`,result="hit"`, "provider, account")+" / "+
				rate("billing_upstream_cache_lookups_total", accounts, "provider, account"), "{{provider}}/{{account}}")).
			Unit("percentunit").Min(0).Max(1).
			ColorMode(common.BigValueColorModeNone).
			TextMode(common.BigValueTextModeValueAndName).
			ReduceOptions(lastValue())).
		WithPanel(newTimeseries().Id(id.next()).
			Title("Upstream request duration (p90)").
			Description("90th percentile of single requests to each endpoint, until the response headers arrive.").
			Span(6).Height(8).
			WithTarget(query("A", `histogram_quantile(0.9, `+rate("billing_upstream_request_duration_seconds_bucket", `provider=~"$provider"`, "le, provider, endpoint")+`)`, "{{provider}} {{endpoint}}")).
			Unit("s").Min(0)).
		WithRow(dashboard.NewRowBuilder("Process").Id(id.next())).
		WithPanel(newTimeseries().Id(id.next()).
			Title("Exporter memory").
			Span(12).Height(8).
			WithTarget(query("A", `process_resident_memory_bytes `+exporterOf, "{{instance}} resident")).
			WithTarget(query("B", `go_memstats_heap_inuse_bytes `+exporterOf, "{{instance}} heap in use")).
			Unit("bytes").Min(0)).
		WithPanel(newTimeseries().Id(id.next()).
			Title("Exporter CPU").
			Span(12).Height(8).
			WithTarget(query("A", `rate(process_cpu_seconds_total[$__rate_interval]) `+exporterOf, "{{instance}}")).
			Unit("percentunit").Min(0)).
		Build()
}
