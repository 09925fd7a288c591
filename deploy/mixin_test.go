package deploy

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-jsonnet"
	"gopkg.in/yaml.v3"
)

// mixinOutput is what the mixin renders, as JSON values.
type mixinOutput struct {
	Rules      ruleFile       `json:"rules"`
	Alerts     ruleFile       `json:"alerts"`
	Dashboards map[string]any `json:"dashboards"`
}

type ruleFile struct {
	Groups []ruleGroup `json:"groups" yaml:"groups"`
}

type ruleGroup struct {
	Name  string           `json:"name" yaml:"name"`
	Rules []map[string]any `json:"rules" yaml:"rules"`
}

// groups is every group of the mixin, recording rules first.
func (m mixinOutput) groups() []ruleGroup { return slices.Concat(m.Rules.Groups, m.Alerts.Groups) }

// alerts is every alerting rule of the mixin.
func (m mixinOutput) alerts() []map[string]any {
	var out []map[string]any
	for _, g := range m.groups() {
		for _, r := range g.Rules {
			if _, ok := r["alert"]; ok {
				out = append(out, r)
			}
		}
	}
	return out
}

// renderMixin evaluates the mixin in dir with config added to its _config
// ("{}" for the defaults).
func renderMixin(dir, config string) (mixinOutput, error) {
	snippet := "local mixin = (import 'mixin.libsonnet') + { _config+:: " + config + " };\n" +
		"{ rules: mixin.prometheusRules, alerts: mixin.prometheusAlerts, dashboards: mixin.grafanaDashboards }\n"
	vm := jsonnet.MakeVM()
	vm.Importer(&jsonnet.FileImporter{JPaths: []string{dir}})
	out, err := vm.EvaluateAnonymousSnippet("render.jsonnet", snippet)
	if err != nil {
		return mixinOutput{}, err
	}
	var m mixinOutput
	err = json.Unmarshal([]byte(out), &m)
	return m, err
}

func mustRender(t *testing.T, dir, config string) mixinOutput {
	t.Helper()
	m, err := renderMixin(dir, config)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// jsonValue is v as encoding/json decodes it, so that values decoded from
// YAML and from JSON compare alike.
func jsonValue(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// The mixin's defaults are the project's own files: the rule file's groups
// (recording ones in prometheusRules, the others in prometheusAlerts) and
// every dashboard, value for value. An alert added to the rule file and
// regenerated into the mixin's copy comes through without a change to the
// mixin; one whose threshold literal the mixin can no longer find fails
// here.
func TestMixinDefaultsAreTheCommittedFiles(t *testing.T) {
	m := mustRender(t, filepath.Join(root, MixinDir), "{}")

	var committed ruleFile
	if err := yaml.Unmarshal(readFile(t, RulesFile), &committed); err != nil {
		t.Fatal(err)
	}
	rendered := map[string]ruleGroup{}
	for _, g := range m.groups() {
		rendered[g.Name] = g
	}
	if len(m.Rules.Groups) == 0 || len(m.Alerts.Groups) == 0 || len(rendered) != len(committed.Groups) {
		t.Fatalf("the mixin renders %d recording and %d alerting groups, the rule file has %d groups",
			len(m.Rules.Groups), len(m.Alerts.Groups), len(committed.Groups))
	}
	for _, want := range committed.Groups {
		got, ok := rendered[want.Name]
		if !ok {
			t.Errorf("group %s is not rendered", want.Name)
			continue
		}
		if len(got.Rules) != len(want.Rules) {
			t.Errorf("group %s: %d rules rendered, %d in the rule file", want.Name, len(got.Rules), len(want.Rules))
			continue
		}
		for i := range want.Rules {
			if g, w := jsonValue(t, got.Rules[i]), jsonValue(t, want.Rules[i]); !reflect.DeepEqual(g, w) {
				gb, _ := json.MarshalIndent(g, "", "  ")
				wb, _ := json.MarshalIndent(w, "", "  ")
				t.Errorf("group %s rule %d differs from the rule file:\nrendered %s\nfile     %s", want.Name, i, gb, wb)
			}
		}
	}

	files, _ := filepath.Glob(filepath.Join(root, DashboardsDir, "*.json"))
	if len(files) == 0 || len(m.Dashboards) != len(files) {
		t.Fatalf("the mixin renders %d dashboards, %s holds %d", len(m.Dashboards), DashboardsDir, len(files))
	}
	for _, f := range files {
		var want any
		if err := json.Unmarshal(readFile(t, filepath.Join(DashboardsDir, filepath.Base(f))), &want); err != nil {
			t.Fatal(err)
		}
		if got, ok := m.Dashboards[filepath.Base(f)]; !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("dashboard %s differs from the committed file", filepath.Base(f))
		}
	}
}

// customMixin is a _config that changes every setting: another selector,
// every threshold, severities, the runbook pattern and the dashboards.
const customMixin = `{
  billingExporterSelector: 'job="billing",namespace="monitoring"',
  thresholds+: {
    BillingBalanceExhaustedSoon: { days: 14 },
    BillingDueSoon: { days: 5 },
    BillingPlanExpiringSoon: { days: 14 },
    BillingTrialEndingSoon: { days: 5 },
    BillingCardExpiringSoon: { days: 45 },
    BillingDataStale: { seconds: 1800 },
    BillingQuotaNearlyFull: { ratio: 0.8 },
    BillingCallTimeLow: { ratio: 0.2, days: 5 },
    BillingCreditLimitNearlyReached: { remaining: 0.2 },
  },
  severities: { critical: 'page', warning: 'ticket' },
  alertSeverities: { BillingInvoiceUnpaid: 'info' },
  runbookURLPattern: 'https://runbooks.example.com/billing#%s',
  dashboards+: { uidPrefix: 'acme-', titlePrefix: 'ACME ', extraTags: ['acme'], refresh: '5m', timezone: 'utc', timeFrom: 'now-30d' },
}`

// annotation is the annotation key of the one rule of the alert named name.
func annotation(t *testing.T, m mixinOutput, name, key string) string {
	t.Helper()
	for _, r := range m.alerts() {
		if r["alert"] == name {
			s, _ := r["annotations"].(map[string]any)[key].(string)
			return s
		}
	}
	t.Fatalf("no alert %s", name)
	return ""
}

// A custom _config reaches every rule and dashboard: the selector
// replaces the default one everywhere, each threshold moves in the
// expression and in the text that states it, severities are mapped and
// every runbook link follows the new pattern.
func TestMixinConfigApplies(t *testing.T) {
	m := mustRender(t, filepath.Join(root, MixinDir), customMixin)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `job=\"billing-exporter\"`) {
		t.Error(`job="billing-exporter" is still in the rendered rules or dashboards`)
	}
	for name, texts := range map[string][]string{
		"BillingBalanceExhaustedSoon":     {"within 14 days"},
		"BillingDueSoon":                  {"within 5 days"},
		"BillingPlanExpiringSoon":         {"within 14 days"},
		"BillingTrialEndingSoon":          {"within 5 days"},
		"BillingCardExpiringSoon":         {"within 45 days"},
		"BillingQuotaNearlyFull":          {"over 80 % used"},
		"BillingCreditLimitNearlyReached": {"used over 80 %"},
	} {
		for _, want := range texts {
			if got := annotation(t, m, name, "summary"); !strings.Contains(got, want) {
				t.Errorf("%s summary %q lacks %q", name, got, want)
			}
		}
	}
	// Every place of a default literal moved, not only the first.
	for name, gone := range map[string][]string{
		"BillingBalanceExhaustedSoon": {"7 * 86400"}, "BillingDueSoon": {"3 * 86400"}, "BillingPlanExpiringSoon": {"7 * 86400"},
		"BillingTrialEndingSoon": {"3 * 86400"}, "BillingCardExpiringSoon": {"30 * 86400"}, "BillingDataStale": {"3600"},
		"BillingQuotaNearlyFull": {"0.9"}, "BillingCallTimeLow": {"0.1", "3 * 86400"}, "BillingCreditLimitNearlyReached": {"0.1"},
	} {
		for _, r := range m.alerts() {
			for _, old := range gone {
				if r["alert"] == name && strings.Contains(r["expr"].(string), old) {
					t.Errorf("%s expr still holds %s:\n%s", name, old, r["expr"])
				}
			}
		}
	}
	if got := annotation(t, m, "BillingCallTimeLow", "description"); !strings.Contains(got, "under 20 % or gone within 5 days") {
		t.Errorf("BillingCallTimeLow description %q: want both thresholds moved", got)
	}
	severities := map[string]bool{"page": true, "ticket": true}
	for _, r := range m.alerts() {
		name := r["alert"].(string)
		if want := "https://runbooks.example.com/billing#" + strings.ToLower(name); annotation(t, m, name, "runbook_url") != want {
			t.Errorf("%s runbook_url %q, want %q", name, annotation(t, m, name, "runbook_url"), want)
		}
		sev := r["labels"].(map[string]any)["severity"]
		if name == "BillingInvoiceUnpaid" && sev != "info" || name != "BillingInvoiceUnpaid" && !severities[sev.(string)] {
			t.Errorf("%s severity %v", name, sev)
		}
		if name == "BillingExporterDown" && r["expr"] != `up{job="billing",namespace="monitoring"} == 0` {
			t.Errorf("BillingExporterDown expr %q", r["expr"])
		}
	}
	// The thresholds the dashboards draw follow the alerts'.
	for _, tc := range []struct {
		dashboard, panel string
		want             []any
	}{
		{"billing-overview.json", "Runway", []any{step("red", nil), step("orange", 14*86400), step("green", 30*86400)}},
		{"billing-overview.json", "Quota usage", []any{step("green", nil), step("orange", 0.8), step("red", 1)}},
		{"billing-overview.json", "Call time left, share of plan", []any{step("red", nil), step("green", 0.2)}},
		{"billing-exporter.json", "Last success age", []any{step("green", nil), step("red", 1800)}},
	} {
		if got := thresholdSteps(t, m, tc.dashboard, tc.panel); !reflect.DeepEqual(got, jsonValue(t, tc.want)) {
			t.Errorf("%s %q: threshold steps %v, want %v", tc.dashboard, tc.panel, got, tc.want)
		}
	}
	for name, d := range m.Dashboards {
		d := d.(map[string]any)
		uid, title, tags := d["uid"].(string), d["title"].(string), d["tags"].([]any)
		if !strings.HasPrefix(uid, "acme-billing") || !strings.HasPrefix(title, "ACME Billing") || tags[len(tags)-1] != "acme" ||
			d["refresh"] != "5m" || d["timezone"] != "utc" || d["time"].(map[string]any)["from"] != "now-30d" || d["time"].(map[string]any)["to"] != "now" {
			t.Errorf("dashboard %s: uid %q title %q tags %v refresh %v timezone %v time %v", name, uid, title, tags, d["refresh"], d["timezone"], d["time"])
		}
	}
}

func step(color string, value any) map[string]any {
	return map[string]any{"color": color, "value": value}
}

// thresholdSteps is the threshold steps of the panel titled panel.
func thresholdSteps(t *testing.T, m mixinOutput, dashboard, panel string) any {
	t.Helper()
	d, ok := m.Dashboards[dashboard].(map[string]any)
	if !ok {
		t.Fatalf("no dashboard %s", dashboard)
	}
	for _, p := range d["panels"].([]any) {
		p := p.(map[string]any)
		if p["title"] == panel {
			return p["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["thresholds"].(map[string]any)["steps"]
		}
	}
	t.Fatalf("%s: no panel %q", dashboard, panel)
	return nil
}

// A drawn threshold moved past its panel's other steps keeps them in
// order: Runway under a 45-day alert is red below 45 days and green above,
// and under a 2-day one keeps its 30-day step.
func TestMixinDrawnThresholdsStayInOrder(t *testing.T) {
	dir := filepath.Join(root, MixinDir)
	for days, want := range map[int][]any{
		45: {step("red", nil), step("green", 45*86400)},
		30: {step("red", nil), step("green", 30*86400)},
		2:  {step("red", nil), step("orange", 2*86400), step("green", 30*86400)},
	} {
		m := mustRender(t, dir, fmt.Sprintf("{ thresholds+: { BillingBalanceExhaustedSoon: { days: %d } } }", days))
		if got := thresholdSteps(t, m, "billing-overview.json", "Runway"); !reflect.DeepEqual(got, jsonValue(t, want)) {
			t.Errorf("%d days: Runway steps %v, want %v", days, got, want)
		}
	}
	// Another alert of the same default (7 days) leaves Runway alone.
	m := mustRender(t, dir, "{ thresholds+: { BillingPlanExpiringSoon: { days: 14 } } }")
	if got, want := thresholdSteps(t, m, "billing-overview.json", "Runway"), jsonValue(t, []any{step("red", nil), step("orange", 7*86400), step("green", 30*86400)}); !reflect.DeepEqual(got, want) {
		t.Errorf("BillingPlanExpiringSoon moved Runway: %v", got)
	}
}

// promSeries is one input series of a promtool test.
type promSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

// thresholdCases put each alert with a threshold between its default and
// customMixin's: the custom rules fire (with these labels), the default
// ones do not. BillingExporterDown's `up` carries the custom selector's
// labels only.
var thresholdCases = []struct {
	alert  string
	eval   string
	series []promSeries
	labels map[string]string
}{
	{"BillingExporterDown", "10m",
		[]promSeries{{`up{job="billing",namespace="monitoring",instance="exporter:9977"}`, "0x30"}},
		map[string]string{"severity": "page", "job": "billing", "namespace": "monitoring", "instance": "exporter:9977"}},
	// Due in 4 days.
	{"BillingDueSoon", "20m",
		[]promSeries{
			{`billing_due_charges{provider="acefone",account="a",currency="GBP"}`, "100x30"},
			{`billing_due_timestamp_seconds{provider="acefone",account="a"}`, "345600x30"},
		},
		map[string]string{"severity": "ticket", "provider": "acefone", "account": "a", "currency": "GBP"}},
	// Due in 10 days.
	{"BillingPlanExpiringSoon", "70m",
		[]promSeries{{`billing_plan_due_timestamp_seconds{provider="docspace",account="a",plan="Business"}`, "864000x90"}},
		map[string]string{"severity": "ticket", "provider": "docspace", "account": "a", "plan": "Business"}},
	// 4 days of trial left.
	{"BillingTrialEndingSoon", "70m",
		[]promSeries{{`billing_trial_remaining_seconds{provider="qovery",account="a",organization="o",organization_id="1"}`, "345600x90"}},
		map[string]string{"severity": "ticket", "provider": "qovery", "account": "a", "organization": "o", "organization_id": "1"}},
	// The only card expires in 40 days.
	{"BillingCardExpiringSoon", "70m",
		[]promSeries{{`billing_card_expiry_timestamp_seconds{provider="qovery",account="a",card_id="c1",brand="VISA",last_digits="4242",organization="o",organization_id="1"}`, "3456000x90"}},
		map[string]string{"severity": "ticket", "provider": "qovery", "account": "a", "card_id": "c1", "brand": "VISA", "last_digits": "4242",
			"organization": "o", "organization_id": "1"}},
	// Last success 45 minutes before the evaluation (at 55m).
	{"BillingDataStale", "100m",
		[]promSeries{{`billing_last_success_timestamp_seconds{provider="docspace",account="a"}`, "3300x120"}},
		map[string]string{"severity": "page", "provider": "docspace", "account": "a"}},
	// 85 % used.
	{"BillingQuotaNearlyFull", "20m",
		[]promSeries{
			{`billing_quota_used{provider="docspace",account="a",feature="users"}`, "85x30"},
			{`billing_quota_limit{provider="docspace",account="a",feature="users"}`, "100x30"},
		},
		map[string]string{"severity": "ticket", "provider": "docspace", "account": "a", "feature": "users"}},
	// 15 % of the plan's call time left, not falling.
	{"BillingCallTimeLow", "40m",
		[]promSeries{
			{`billing_plan_call_remaining_seconds{provider="acefone",account="a",plan="p"}`, "150x60"},
			{`billing_plan_call_assigned_seconds{provider="acefone",account="a",plan="p"}`, "1000x60"},
		},
		map[string]string{"severity": "ticket", "provider": "acefone", "account": "a", "plan": "p"}},
	// 16 % of the credit line left.
	{"BillingCreditLimitNearlyReached", "20m",
		[]promSeries{
			{`billing_balance{provider="acefone",account="a",currency="GBP"}`, "-420x30"},
			{`billing_credit_limit{provider="acefone",account="a",currency="GBP"}`, "500x30"},
		},
		map[string]string{"severity": "page", "provider": "acefone", "account": "a", "currency": "GBP"}},
	// 100 a day spent from 1000: about 10 days left.
	{"BillingBalanceExhaustedSoon", "60m",
		[]promSeries{{`billing_balance{provider="docspace",account="a",currency="USD"}`, "1000-0.069444444x90"}},
		map[string]string{"severity": "ticket", "provider": "docspace", "account": "a", "currency": "USD"}},
}

// promtoolRules writes m's groups as a rule file without annotations (the
// test checks when alerts fire; TestMixinConfigApplies checks the texts)
// and a promtool test of thresholdCases, expecting the cases' alerts when
// fire is set and none otherwise. It returns the test file.
func promtoolRules(t *testing.T, dir, name string, m mixinOutput, fire bool) string {
	t.Helper()
	var groups []ruleGroup
	var order []string
	for _, g := range m.groups() {
		g.Rules = slices.Clone(g.Rules)
		for i, r := range g.Rules {
			r = maps.Clone(r)
			delete(r, "annotations")
			g.Rules[i] = r
		}
		groups = append(groups, g)
		order = append(order, g.Name)
	}
	writeYAML(t, filepath.Join(dir, name+".yml"), ruleFile{Groups: groups})

	type expAlert struct {
		ExpLabels map[string]string `yaml:"exp_labels"`
	}
	type alertTest struct {
		EvalTime  string     `yaml:"eval_time"`
		Alertname string     `yaml:"alertname"`
		ExpAlerts []expAlert `yaml:"exp_alerts"`
	}
	type test struct {
		Name          string       `yaml:"name"`
		Interval      string       `yaml:"interval"`
		InputSeries   []promSeries `yaml:"input_series"`
		AlertRuleTest []alertTest  `yaml:"alert_rule_test"`
	}
	var tests []test
	for _, c := range thresholdCases {
		expect := []expAlert{} // written as [], not null: no alert
		if fire {
			expect = append(expect, expAlert{c.labels})
		}
		tests = append(tests, test{Name: c.alert, Interval: "1m", InputSeries: c.series,
			AlertRuleTest: []alertTest{{EvalTime: c.eval, Alertname: c.alert, ExpAlerts: expect}}})
	}
	file := filepath.Join(dir, name+".test.yml")
	writeYAML(t, file, map[string]any{
		"rule_files":          []string{name + ".yml"},
		"evaluation_interval": "1m",
		"group_eval_order":    order, // recording rules first, as their alerts read them
		"tests":               tests,
	})
	return file
}

func writeYAML(t *testing.T, file string, v any) {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The custom rules are valid, and they fire at the custom thresholds: on
// input between the default and the custom thresholds, the custom rules
// fire and the default ones stay silent.
func TestMixinCustomRulesFireAtTheirThresholds(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed")
	}
	mixin := filepath.Join(root, MixinDir)
	custom, defaults := mustRender(t, mixin, customMixin), mustRender(t, mixin, "{}")
	dir := t.TempDir()
	full := filepath.Join(dir, "full.yml")
	writeYAML(t, full, ruleFile{Groups: custom.groups()})
	if out, err := exec.Command(bin, "check", "rules", full).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules on the custom rules: %v\n%s", err, out)
	}
	for _, run := range []struct {
		name string
		m    mixinOutput
		fire bool
	}{{"custom", custom, true}, {"default", defaults, false}} {
		file := promtoolRules(t, dir, run.name, run.m, run.fire)
		if out, err := exec.Command(bin, "test", "rules", file).CombinedOutput(); err != nil {
			t.Errorf("promtool test rules, %s thresholds: %v\n%s", run.name, err, out)
		}
	}
}

// copyMixin copies the mixin's directory to a temporary one, with its rule
// file edited by edit, so that a test renders the mixin on another rule
// file.
func copyMixin(t *testing.T, file string, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(root, MixinDir)
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if rel == filepath.FromSlash(file) {
			b = []byte(edit(string(b)))
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// An alert the mixin does not know (one added to the rule file after it)
// comes through as written, taking only the generic settings: the
// selector, the severities and, when its link follows the pattern, the
// runbook URL. Its own literals stay.
func TestMixinPassesNewAlertsThrough(t *testing.T) {
	const added = `
      - alert: BillingSomethingNew
        expr: billing_up{job="billing-exporter"} == 0 and time() > 3 * 86400
        for: 5m
        labels:
          severity: warning
          team: billing
        annotations:
          summary: "Something new happens within 3 days"
          runbook_url: https://github.com/billing-exporter/billing-exporter#runbook-billingsomethingnew
      - alert: BillingElsewhere
        expr: billing_up == 2
        annotations:
          runbook_url: https://wiki.example.com/billing
`
	dir := copyMixin(t, "billing-rules.yml", func(rules string) string { return strings.TrimRight(rules, "\n") + "\n" + added })
	for _, tc := range []struct {
		name, config string
		want         map[string]any
	}{
		{"defaults", "{}", map[string]any{
			"alert": "BillingSomethingNew", "expr": `billing_up{job="billing-exporter"} == 0 and time() > 3 * 86400`, "for": "5m",
			"labels": map[string]any{"severity": "warning", "team": "billing"},
			"annotations": map[string]any{"summary": "Something new happens within 3 days",
				"runbook_url": "https://github.com/billing-exporter/billing-exporter#runbook-billingsomethingnew"},
		}},
		{"custom", customMixin, map[string]any{
			"alert": "BillingSomethingNew", "expr": `billing_up{job="billing",namespace="monitoring"} == 0 and time() > 3 * 86400`, "for": "5m",
			"labels": map[string]any{"severity": "ticket", "team": "billing"},
			"annotations": map[string]any{"summary": "Something new happens within 3 days",
				"runbook_url": "https://runbooks.example.com/billing#billingsomethingnew"},
		}},
	} {
		m := mustRender(t, dir, tc.config)
		var got, other map[string]any
		for _, r := range m.alerts() {
			switch r["alert"] {
			case "BillingSomethingNew":
				got = r
			case "BillingElsewhere":
				other = r
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: the new alert renders as\n%v\nwant\n%v", tc.name, got, tc.want)
		}
		if want := map[string]any{"alert": "BillingElsewhere", "expr": "billing_up == 2",
			"annotations": map[string]any{"runbook_url": "https://wiki.example.com/billing"}}; !reflect.DeepEqual(other, want) {
			t.Errorf("%s: an alert with its own runbook link renders as %v, want it as written", tc.name, other)
		}
	}
}

// Settings that would change nothing are errors: a threshold of an alert
// the rule file lacks or of a kind the alert has no literal of, the
// severity of an unknown alert, and a rule file whose alert no longer
// holds the literal the mixin moves.
func TestMixinRefusesWhatItCannotApply(t *testing.T) {
	mixin := filepath.Join(root, MixinDir)
	for config, want := range map[string]string{
		`{thresholds+: {BillingDueSoonn: {days: 5}}}`:      "no alert BillingDueSoonn",
		`{thresholds+: {BillingDueSoon+: {ratio: 0.5}}}`:   "BillingDueSoon has no ratio threshold (it has: days)",
		`{thresholds+: {BillingScrapeFailing: {days: 1}}}`: "BillingScrapeFailing has no threshold the mixin knows",
		`{alertSeverities: {BillingNope: 'page'}}`:         "alertSeverities: no alert BillingNope",
	} {
		if _, err := renderMixin(mixin, config); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error saying %q", config, err, want)
		}
	}
	dir := copyMixin(t, "billing-rules.yml", func(rules string) string {
		return strings.Replace(rules, "billing_due_timestamp_seconds < time() + 3 * 86400", "billing_due_timestamp_seconds < time() + 4 * 86400", 1)
	})
	_, err := renderMixin(dir, "{}")
	if want := "BillingDueSoon: its expr no longer holds the days threshold 3 * 86400"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a rule file without the literal: got %v, want an error saying %q", err, want)
	}
	for what, edit := range map[string]struct{ file, old, new, want string }{
		"a drawn threshold's panel renamed": {"dashboards/billing-overview.json", `"title": "Quota usage"`, `"title": "Quota used"`,
			"drawnThresholds names panels it does not have: Quota usage"},
		"a drawn threshold redrawn": {"dashboards/billing-exporter.json", `"value": 3600`, `"value": 7200`,
			"panel Last success age step 1 is not BillingDataStale's seconds threshold (3600)"},
	} {
		dir := copyMixin(t, edit.file, func(d string) string {
			if !strings.Contains(d, edit.old) {
				t.Fatalf("%s: %s holds no %s", what, edit.file, edit.old)
			}
			return strings.Replace(d, edit.old, edit.new, 1)
		})
		if _, err := renderMixin(dir, "{}"); err == nil || !strings.Contains(err.Error(), edit.want) {
			t.Errorf("%s: got %v, want an error saying %q", what, err, edit.want)
		}
	}
}

// The number forms the mixin writes are PromQL's and the annotations'.
func TestMixinWritesNumbersPlainly(t *testing.T) {
	m := mustRender(t, filepath.Join(root, MixinDir), `{thresholds+: {BillingQuotaNearlyFull: {ratio: 0.85}, BillingDueSoon: {days: 1}}}`)
	for _, r := range m.alerts() {
		switch r["alert"] {
		case "BillingQuotaNearlyFull":
			if expr := r["expr"].(string); strings.Count(expr, "> 0.85\n") != 2 || !strings.Contains(fmt.Sprint(r["annotations"]), "over 85 % used") {
				t.Errorf("ratio 0.85: %q %v", expr, r["annotations"])
			}
		case "BillingDueSoon":
			if expr, summary := r["expr"].(string), annotation(t, m, "BillingDueSoon", "summary"); !strings.Contains(expr, "time() + 1 * 86400") || !strings.HasSuffix(summary, "within 1 day") {
				t.Errorf("1 day: %q %q", expr, summary)
			}
		}
	}
}
