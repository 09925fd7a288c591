// billing-exporter's monitoring mixin: prometheusRules (the recording
// rules), prometheusAlerts and grafanaDashboards, with _config
// (config.libsonnet) applied.
//
// The rules and dashboards are not written here: they are the project's
// own deploy/prometheus/billing-rules.yml and grafana/dashboards/*.json,
// read from the copies `go generate ./deploy/...` keeps in this directory
// (so that the mixin vendors as one directory). _config is applied to
// them generically, so an alert added to the rule file comes through as
// it is written, taking the selector, severities and runbook pattern.
local config = import 'config.libsonnet';
local source = std.parseYaml(importstr 'billing-rules.yml');
local sourceDashboards = import 'dashboards.libsonnet';

// What the copied files hold: the defaults.
local committed = config._config;

// A number as PromQL and the annotations write it: 0.85, not
// 0.84999999999999998.
local fmt(v) = std.format('%.15g', v);

// How a threshold of each kind is written in an expression and in text.
local forms = {
  days: {
    expr(v): fmt(v) + ' * 86400',
    text(v): 'within ' + fmt(v) + (if v == 1 then ' day' else ' days'),
  },
  seconds: { expr(v): fmt(v) },
  ratio: { expr(v): fmt(v), text(v): fmt(v * 100) + ' %' },
  remaining: { expr(v): fmt(v), text(v): fmt((1 - v) * 100) + ' %' },
};

local wordChar(c) = c != null && std.member('0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', c);

// standing lists, for each place `from` stands in s, whether it stands
// alone rather than inside a longer number or name: "3 * 86400" in
// "+ 3 * 86400", not in "13 * 86400"; "0.9" in "> 0.9", not in "0.95".
// Splitting keeps it linear in the length of s.
local standing(s, from) =
  local parts = std.split(s, from);
  local n = std.length(parts);
  local last(k) = if parts[k] != '' then parts[k][std.length(parts[k]) - 1] else if k == 0 then null else from[std.length(from) - 1];
  // The text after the k-th place, up to two characters.
  local after(k) = std.substr(parts[k + 1] + (if k + 2 < n then from else ''), 0, 2);
  [
    !(wordChar(last(k)) || last(k) == '.')
    && !(wordChar(if after(k) == '' then null else after(k)[0])
         || (std.length(after(k)) == 2 && after(k)[0] == '.' && wordChar(after(k)[1])))
    for k in std.range(0, n - 2)
  ];

local occurs(s, from) = std.member(standing(s, from), true);

local replaceAlone(s, from, to) =
  local parts = std.split(s, from);
  local alone = standing(s, from);
  parts[0] + std.join('', [(if alone[k] then to else from) + parts[k + 1] for k in std.range(0, std.length(parts) - 2)]);

// deepReplace replaces from with to in every string of x.
local deepReplace(x, from, to) =
  if from == to then x
  else if std.isString(x) then std.strReplace(x, from, to)
  else if std.isArray(x) then [deepReplace(e, from, to) for e in x]
  else if std.isObject(x) then { [k]: deepReplace(x[k], from, to) for k in std.objectFields(x) }
  else x;

local field(o, k, default) = if std.objectHas(o, k) then o[k] else default;

// threshold moves one threshold of alert rule r from its committed value
// to `to`. The committed value must be in the rule, so that a rule
// rewritten without it fails here rather than ignoring the setting.
local threshold(r, kind, from, to) =
  local f = forms[kind];
  local annotations = field(r, 'annotations', {});
  assert occurs(r.expr, f.expr(from)) :
         '%s: its expr no longer holds the %s threshold %s; update deploy/billing-mixin/config.libsonnet' % [r.alert, kind, f.expr(from)];
  assert !std.objectHas(f, 'text') || std.member([occurs(a, f.text(from)) for a in std.objectValues(annotations)], true) :
         '%s: no annotation says %s any more; update deploy/billing-mixin/config.libsonnet' % [r.alert, f.text(from)];
  if from == to then r
  else r {
    expr: replaceAlone(r.expr, f.expr(from), f.expr(to)),
  } + (
    if std.objectHas(f, 'text') && std.objectHas(r, 'annotations') then {
      annotations: { [k]: replaceAlone(annotations[k], f.text(from), f.text(to)) for k in std.objectFields(annotations) },
    } else {}
  );

local renderAlert(cfg, r) =
  local name = r.alert;
  local lower = std.asciiLower(name);
  local thresholds = field(cfg.thresholds, name, {});
  local moved = std.foldl(
    function(rule, kind) threshold(rule, kind, committed.thresholds[name][kind], thresholds[kind]),
    std.objectFields(thresholds),
    r,
  );
  local labels = field(moved, 'labels', {});
  local annotations = field(moved, 'annotations', {});
  moved + (
    if std.objectHas(labels, 'severity') then {
      labels+: {
        severity: field(cfg.alertSeverities, name, field(cfg.severities, labels.severity, labels.severity)),
      },
    } else {}
  ) + (
    if field(annotations, 'runbook_url', null) == committed.runbookURLPattern % lower then {
      annotations+: { runbook_url: cfg.runbookURLPattern % lower },
    } else {}
  );

local renderRule(cfg, r) =
  local selected = deepReplace(r, committed.billingExporterSelector, cfg.billingExporterSelector);
  if std.objectHas(r, 'alert') then renderAlert(cfg, selected) else selected;

local alertNames = std.set([r.alert for g in source.groups for r in g.rules if std.objectHas(r, 'alert')]);

// check refuses settings that would change nothing because they name no
// alert or a threshold the mixin cannot find: a typo must not pass.
local check(cfg) = std.all([
  if !std.member(alertNames, name) then error 'thresholds: no alert %s in billing-rules.yml' % name
  else if !std.objectHas(committed.thresholds, name) then error 'thresholds: %s has no threshold the mixin knows (config.libsonnet lists them)' % name
  else std.all([
    if !std.objectHas(committed.thresholds[name], kind) then
      error 'thresholds: %s has no %s threshold (it has: %s)' % [name, kind, std.join(', ', std.objectFields(committed.thresholds[name]))]
    else true
    for kind in std.objectFields(cfg.thresholds[name])
  ])
  for name in std.objectFields(cfg.thresholds)
] + [
  if !std.member(alertNames, name) then error 'alertSeverities: no alert %s in billing-rules.yml' % name else true
  for name in std.objectFields(cfg.alertSeverities)
]);

local isAlertGroup(g) = [r for r in g.rules if std.objectHas(r, 'alert')] != [];

// The dashboards' threshold steps that draw an alert's threshold, by
// dashboard file and panel title: step is the index in the panel's
// thresholds.steps, whose value follows the alert's setting.
local drawnThresholds = {
  'billing-overview.json': {
    Runway: { step: 1, alert: 'BillingBalanceExhaustedSoon', kind: 'days' },
    'Quota usage': { step: 1, alert: 'BillingQuotaNearlyFull', kind: 'ratio' },
    'Call time left, share of plan': { step: 1, alert: 'BillingCallTimeLow', kind: 'ratio' },
  },
  'billing-exporter.json': {
    'Last success age': { step: 1, alert: 'BillingDataStale', kind: 'seconds' },
  },
};

// A threshold as a panel's step value: days in seconds, the rest as set.
local stepValue(kind, v) = if kind == 'days' then v * 86400 else v;

// moveStep sets steps[at] to the value v. Steps hold ascending values, so
// a step that v passes is dropped, as its colour band would be empty; a
// later one passed hands its colour to the moved step (Runway under a
// 45-day alert: red below 45 days, green above, no 30-day step).
local moveStep(steps, at, v) =
  local passed = [s for s in steps[at + 1:] if s.value <= v];
  [
    if i == at then steps[i] { value: v, color: if passed == [] then steps[i].color else passed[std.length(passed) - 1].color }
    else steps[i]
    for i in std.range(0, std.length(steps) - 1)
    if i == at || steps[i].value == null || (i < at && steps[i].value < v) || (i > at && steps[i].value > v)
  ];

// drawThresholds moves the drawn threshold steps of dashboard d (file
// name) to cfg's thresholds. Each must be where the table says, with the
// committed value, so that a panel renamed or redrawn fails here.
local drawThresholds(cfg, name, d) =
  local drawn = field(drawnThresholds, name, {});
  local titles = [p.title for p in d.panels if std.objectHas(p, 'title')];
  assert std.all([std.member(titles, t) for t in std.objectFields(drawn)]) :
         '%s: drawnThresholds names panels it does not have: %s' % [name, std.join(', ', [t for t in std.objectFields(drawn) if !std.member(titles, t)])];
  d {
    panels: [
      if !std.objectHas(p, 'title') || !std.objectHas(drawn, p.title) then p
      else
        local x = drawn[p.title];
        local steps = p.fieldConfig.defaults.thresholds.steps;
        local was = stepValue(x.kind, committed.thresholds[x.alert][x.kind]);
        assert std.length(steps) > x.step && steps[x.step].value == was :
               "%s: panel %s step %d is not %s's %s threshold (%s); update drawnThresholds in mixin.libsonnet" % [name, p.title, x.step, x.alert, x.kind, was];
        p {
          fieldConfig+: { defaults+: { thresholds+: {
            steps: moveStep(steps, x.step, stepValue(x.kind, cfg.thresholds[x.alert][x.kind])),
          } } },
        }
      for p in d.panels
    ],
  };

local renderDashboard(cfg, name, d) =
  local o = cfg.dashboards;
  local uid = o.uidPrefix + d.uid;
  assert std.length(uid) <= 40 : 'dashboards.uidPrefix: uid %s is longer than the 40 characters Grafana takes' % uid;
  drawThresholds(cfg, name, deepReplace(d, committed.billingExporterSelector, cfg.billingExporterSelector)) + {
    uid: uid,
    title: o.titlePrefix + d.title,
    tags: d.tags + o.extraTags,
  } + (if o.refresh != null then { refresh: o.refresh } else {})
  + (if o.timezone != null then { timezone: o.timezone } else {})
  + (if o.timeFrom != null then { time+: { from: o.timeFrom } } else {});

config {
  local cfg = self._config,
  local groups = [g { rules: [renderRule(cfg, r) for r in g.rules] } for g in source.groups],

  assert check(cfg),

  prometheusRules+:: { groups+: [g for g in groups if !isAlertGroup(g)] },
  prometheusAlerts+:: { groups+: [g for g in groups if isAlertGroup(g)] },
  grafanaDashboards+:: {
    [name]: renderDashboard(cfg, name, std.parseJson(sourceDashboards[name]))
    for name in std.objectFields(sourceDashboards)
  },
}
