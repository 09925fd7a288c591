package grafana

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite the committed dashboards from the Go code")

// grafanaBuiltins are the values the e2e test gives Grafana's own
// variables too; any other variable must be a template variable.
var grafanaBuiltins = map[string]string{"__rate_interval": "1m", "__interval": "15s", "__range": "1h"}

func committed(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for name := range Files {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("%v (run go test ./grafana -update to generate it)", err)
		}
		files[name] = raw
	}
	return files
}

// The committed JSON, which Grafana provisions, is exactly what the Go code
// builds: nobody edited one without the other.
func TestCommittedDashboardsAreGenerated(t *testing.T) {
	for name, build := range Files {
		d, err := build()
		if err != nil {
			t.Fatalf("%s: build: %v", name, err)
		}
		want, err := JSON(d)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("%v (run go test ./grafana -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the dashboard the Go code builds; run go test ./grafana -update", name)
		}
	}
}

// buildFailed reads the SDK's error convention: strict decoding returns an
// empty cog.BuildErrors, not nil, when all is well.
func buildFailed(err error) bool {
	var be cog.BuildErrors
	if errors.As(err, &be) {
		return len(be) > 0
	}
	return err != nil
}

// Each committed file passes Grafana's dashboard schema: strict decoding
// rejects unknown fields, missing required ones and wrong types (panel
// options and Prometheus queries included), then Validate checks values.
func TestCommittedDashboardsFitGrafanaSchema(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	for name, raw := range committed(t) {
		var d dashboard.Dashboard
		if err := d.UnmarshalJSONStrict(raw); buildFailed(err) {
			t.Errorf("%s: strict decoding: %v", name, err)
			continue
		}
		if err := d.Validate(); buildFailed(err) {
			t.Errorf("%s: validation: %v", name, err)
		}
	}
}

// The strict check above is not a formality: it rejects a field Grafana
// does not know and a value of the wrong type.
func TestStrictDecodingRejectsWhatGrafanaWouldNot(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	raw := committed(t)["dashboards/billing-overview.json"]
	for name, mutate := range map[string]func(map[string]any){
		"unknown field": func(d map[string]any) { d["panelz"] = []any{} },
		"wrong type":    func(d map[string]any) { d["title"] = 42 },
		"wrong type in a panel": func(d map[string]any) {
			d["panels"].([]any)[1].(map[string]any)["gridPos"] = map[string]any{"h": "tall"}
		},
	} {
		var d map[string]any
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		mutate(d)
		bad, _ := json.Marshal(d)
		var got dashboard.Dashboard
		if err := got.UnmarshalJSONStrict(bad); !buildFailed(err) {
			t.Errorf("%s: strict decoding accepted it", name)
		}
	}
}

// walk calls f on every JSON object in v.
func walk(v any, f func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(v)
		for _, c := range v {
			walk(c, f)
		}
	case []any:
		for _, c := range v {
			walk(c, f)
		}
	}
}

// What the issue asks of every dashboard: template variables for the data
// source and the labels, units set, no hard-coded data source uid.
func TestDashboardConventions(t *testing.T) {
	wantVariables := map[string][]string{
		"dashboards/billing-overview.json": {"datasource", "provider", "account", "currency"},
		"dashboards/billing-exporter.json": {"datasource", "provider", "account"},
	}
	wantUnits := map[string][]string{
		"dashboards/billing-overview.json": {"currencyUSD", "currencyEUR", "dateTimeFromNow", "bytes", "s"},
		"dashboards/billing-exporter.json": {"bytes", "s", "reqps"},
	}
	for name, raw := range committed(t) {
		var d map[string]any
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}

		vars := map[string]string{}
		for _, v := range d["templating"].(map[string]any)["list"].([]any) {
			v := v.(map[string]any)
			vars[v["name"].(string)] = v["type"].(string)
		}
		for _, v := range wantVariables[name] {
			if vars[v] == "" {
				t.Errorf("%s: no template variable %q", name, v)
			}
		}
		if vars["datasource"] != "datasource" {
			t.Errorf("%s: variable datasource is of type %q, want datasource", name, vars["datasource"])
		}

		units := map[string]bool{}
		ids := map[float64]bool{}
		titles := map[string]bool{}
		walk(d, func(o map[string]any) {
			if ds, ok := o["datasource"].(map[string]any); ok {
				if ds["uid"] != "${datasource}" || ds["type"] != "prometheus" {
					t.Errorf("%s: data source %v is not the ${datasource} variable", name, ds)
				}
			}
			if u, ok := o["unit"].(string); ok {
				units[u] = true
			}
			if o["id"] == "unit" {
				units[o["value"].(string)] = true
			}
			if _, isPanel := o["gridPos"]; isPanel {
				id, _ := o["id"].(float64)
				if id == 0 || ids[id] {
					t.Errorf("%s: panel %q has id %v, missing or taken", name, o["title"], o["id"])
				}
				ids[id] = true
				title, _ := o["title"].(string)
				if title == "" || titles[title] {
					t.Errorf("%s: panel title %q is empty or not unique (the e2e test names panels by title)", name, title)
				}
				titles[title] = true
				if o["type"] != "row" {
					defaults, _ := o["fieldConfig"].(map[string]any)["defaults"].(map[string]any)
					if _, ok := defaults["unit"]; !ok && len(o["fieldConfig"].(map[string]any)["overrides"].([]any)) == 0 {
						t.Errorf("%s: panel %q sets no unit", name, title)
					}
				}
			}
		})
		for _, u := range wantUnits[name] {
			if !units[u] {
				t.Errorf("%s: no panel uses unit %q", name, u)
			}
		}
	}
}

// Every panel has a query, and every variable a query uses is defined, so
// the e2e test can run them all against Prometheus.
func TestEveryPanelQueriesWithKnownVariables(t *testing.T) {
	for name, raw := range committed(t) {
		qs, err := Queries(raw, grafanaBuiltins)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		panels := map[string]bool{}
		for _, q := range qs {
			panels[q.Panel] = true
			if templateVariable.MatchString(q.Expr) {
				t.Errorf("%s: panel %q query %s still holds a variable: %s", name, q.Panel, q.Ref, q.Expr)
			}
		}
		t.Logf("%s: %d queries in %d panels", name, len(qs), len(panels))
	}
}

func TestQueriesReplacesVariablesAndRejectsUnknownOnes(t *testing.T) {
	raw := []byte(`{"templating":{"list":[{"name":"datasource","type":"datasource"},{"name":"account","type":"query","allValue":".*"}]},
		"panels":[{"type":"row","title":"r","panels":[{"type":"timeseries","title":"p","targets":[{"refId":"A","expr":"rate(x{account=~\"$account\"}[$__rate_interval]) or label_replace(y{account=~\"${account}\"}, \"w\", \"($1)\", \"w\", \"(.+)\")"}]}]}]}`)
	qs, err := Queries(raw, grafanaBuiltins)
	if err != nil {
		t.Fatal(err)
	}
	// $1, label_replace's group, is no variable: Grafana leaves it alone.
	want := `rate(x{account=~".*"}[1m]) or label_replace(y{account=~".*"}, "w", "($1)", "w", "(.+)")`
	if len(qs) != 1 || qs[0].Expr != want || qs[0].Panel != "p" || qs[0].Ref != "A" {
		t.Fatalf("got %+v, want one query %s", qs, want)
	}
	if _, err := Queries(bytes.Replace(raw, []byte("$account"), []byte("$acount"), 1), grafanaBuiltins); err == nil || !strings.Contains(err.Error(), "acount") {
		t.Errorf("unknown variable: got error %v", err)
	}
	if _, err := Queries([]byte(`{"panels":[{"type":"stat","title":"empty"}]}`), nil); err == nil {
		t.Error("a panel without a query was accepted")
	}
}

// The provisioning files are what Grafana expects: a Prometheus data source
// and a file provider for the dashboards directory.
func TestProvisioning(t *testing.T) {
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, Type, URL string
		} `yaml:"datasources"`
	}
	var dash struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name, Type string
			Options    struct{ Path string }
		} `yaml:"providers"`
	}
	for file, into := range map[string]any{
		"provisioning/datasources/prometheus.yml": &ds,
		"provisioning/dashboards/billing.yml":     &dash,
	} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(raw, into); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	if ds.APIVersion != 1 || len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL == "" {
		t.Errorf("datasources: %+v", ds)
	}
	if dash.APIVersion != 1 || len(dash.Providers) != 1 || dash.Providers[0].Type != "file" || dash.Providers[0].Options.Path == "" {
		t.Errorf("dashboard providers: %+v", dash)
	}
}

// describer records the collectors the exporter registers (its own
// metrics, the upstream request histogram), to read their descriptors.
type describer struct{ cs []prometheus.Collector }

func (d *describer) Register(c prometheus.Collector) error   { d.cs = append(d.cs, c); return nil }
func (d *describer) MustRegister(cs ...prometheus.Collector) { d.cs = append(d.cs, cs...) }
func (d *describer) Unregister(prometheus.Collector) bool    { return false }

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// exportedMetrics is every metric name billing-exporter serves, read from
// its own descriptors, plus what Prometheus adds (up).
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	d := &describer{}
	collector.NewSelfMetrics(d)
	collector.RegisterShardMetrics(d, config.Unsharded, func() int { return 0 })
	upstream := scrape.NewMetrics(d)
	names := map[string]bool{"up": true}
	for _, f := range collector.Families() {
		names[f.Name] = true
	}
	for _, f := range upstream.Families() {
		names[f.Name] = true
	}
	for _, c := range d.cs {
		ch := make(chan *prometheus.Desc)
		go func() { c.Describe(ch); close(ch) }()
		for desc := range ch {
			if m := fqName.FindStringSubmatch(desc.String()); m != nil {
				names[m[1]] = true
			}
		}
	}
	return names
}

var (
	quoted     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	metricName = regexp.MustCompile(`\b(?:billing_\w+|process_\w+|go_\w+|up|\w+:[\w:]+)\b`)
)

// A metric name mistyped in a rule or a panel gives no error anywhere,
// only an alert that never fires, a description that leaves a value out or
// a panel that stays empty: every name the rules (their annotations'
// queries included) and the dashboards use must be one the exporter serves
// or a recording rule of deploy/prometheus/billing-rules.yml.
func TestQueriesUseMetricsTheExporterServes(t *testing.T) {
	known := exportedMetrics(t)
	if !known["billing_balance"] || !known["billing_upstream_requests_total"] || !known["process_cpu_seconds_total"] {
		t.Fatalf("descriptors incomplete: %d names", len(known))
	}
	raw, err := os.ReadFile("../deploy/prometheus/billing-rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Record, Alert, Expr string
				Annotations         map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatal(err)
	}
	exprs := map[string]string{}       // where → PromQL
	annotations := map[string]string{} // where → template text
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				known[r.Record] = true
			}
			exprs["rule "+r.Record+r.Alert] = r.Expr
			for k, text := range r.Annotations {
				annotations["rule "+r.Alert+" "+k] = text
			}
		}
	}
	for name, raw := range committed(t) {
		qs, err := Queries(raw, grafanaBuiltins)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			exprs[name+" panel "+q.Panel+"/"+q.Ref] = q.Expr
		}
	}
	used := 0
	for where, expr := range exprs {
		for _, name := range metricName.FindAllString(quoted.ReplaceAllString(expr, `""`), -1) {
			used++
			base := name
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				base = strings.TrimSuffix(base, suffix)
			}
			if !known[name] && !known[base] {
				t.Errorf("%s: %s is not a metric billing-exporter serves", where, name)
			}
		}
	}
	if used < 50 {
		t.Errorf("found only %d metric names in %d queries: the scan is broken", used, len(exprs))
	}
	// Annotations name metrics inside the template's quoted query strings.
	inAnnotations := 0
	for where, text := range annotations {
		for _, name := range annotationMetric.FindAllString(text, -1) {
			inAnnotations++
			if !known[name] {
				t.Errorf("%s: %s is not a metric billing-exporter serves", where, name)
			}
		}
	}
	if inAnnotations < 10 {
		t.Errorf("found only %d metric names in %d annotations: the scan is broken", inAnnotations, len(annotations))
	}
}

// annotationMetric is a billing metric or a recording rule built on one
// (account:billing_…:…).
var annotationMetric = regexp.MustCompile(`\b(?:\w+:)?billing_\w+(?::\w+)*`)
