// The mixin's settings. The defaults leave the rules and the dashboards
// exactly as deploy/prometheus/billing-rules.yml and grafana/dashboards/
// hold them; a Go test in deploy/ holds them to it.
{
  _config+:: {
    // Selects the exporter's own scrape target: it replaces
    // job="billing-exporter" wherever the rules and dashboards use it
    // (BillingExporterDown's `up`). The billing_* series need none: no
    // other exporter writes them.
    billingExporterSelector: 'job="billing-exporter"',

    // Alert thresholds, by alert name. A value replaces the same literal
    // in the alert's expression and in the text of its annotations, and
    // moves the dashboard step that draws it (drawnThresholds); an
    // alert not listed here (or a threshold left at its default) stays as
    // the rule file has it. A threshold the rule does not hold is an error.
    //   days:      a time ahead: `N * 86400` in the expression, "within N days" in the text
    //   seconds:   a number of seconds in the expression
    //   ratio:     a share: `0.9` in the expression, "90 %" in the text
    //   remaining: a share left: `0.1` in the expression, "90 %" (the share used) in the text
    thresholds: {
      BillingBalanceExhaustedSoon: { days: 7 },
      BillingDueSoon: { days: 3 },
      BillingPlanExpiringSoon: { days: 7 },
      BillingTrialEndingSoon: { days: 3 },
      BillingCardExpiringSoon: { days: 30 },
      // The exporter's default max_stale: past it, cached values are dropped.
      BillingDataStale: { seconds: 3600 },
      BillingQuotaNearlyFull: { ratio: 0.9 },
      BillingCallTimeLow: { ratio: 0.1, days: 3 },
      BillingCreditLimitNearlyReached: { remaining: 0.1 },
    },

    // The severity label of every alert, mapped: e.g.
    // { critical: 'page', warning: 'ticket' }. A severity not listed stays.
    severities: { critical: 'critical', warning: 'warning' },
    // The severity of an alert by name, over the mapped one (for an alert
    // name with several rules, every one of them).
    alertSeverities: {},

    // runbook_url of every alert whose link follows the project's pattern:
    // %s is the alert name in lower case.
    runbookURLPattern: 'https://github.com/billing-exporter/billing-exporter#runbook-%s',

    // Dashboard options. null keeps the dashboards' own value (shown in
    // the comment).
    dashboards: {
      uidPrefix: '',
      titlePrefix: '',
      extraTags: [],  // beside billing and billing-exporter, which the dashboards' links use
      refresh: null,  // '1m'
      timezone: null,  // 'browser'
      timeFrom: null,  // 'now-7d'
    },
  },
}
