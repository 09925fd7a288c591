package charts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
)

const (
	chartDir = "billing-exporter"
	release  = "billing-exporter" // the kustomize manifests' object name
)

// object is one rendered or committed Kubernetes object.
type object map[string]any

func (o object) get(keys ...string) any {
	var v any = map[string]any(o)
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func (o object) kind() string { s, _ := o.get("kind").(string); return s }

func decodeAll(t *testing.T, what string, b []byte) []object {
	t.Helper()
	var out []object
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var o map[string]any // not object: nested maps would decode as object too
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s does not parse: %v\n%s", what, err, b)
		}
		if o != nil {
			out = append(out, object(o))
		}
	}
}

// render is `helm template <release> billing-exporter --set ...`: every
// object by kind (several of one kind in the order of their names).
func render(t *testing.T, values map[string]any) (map[string][]object, error) {
	t.Helper()
	return renderRelease(t, release, values)
}

// renderRelease is render for the release named name.
func renderRelease(t *testing.T, name string, values map[string]any) (map[string][]object, error) {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chartutil.ToRenderValues(ch, values, chartutil.ReleaseOptions{Name: name, Namespace: "monitoring", IsInstall: true}, nil)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	out := map[string][]object{}
	for _, name := range names {
		if !strings.HasSuffix(name, ".yaml") {
			continue
		}
		for _, o := range decodeAll(t, name, []byte(files[name])) {
			out[o.kind()] = append(out[o.kind()], o)
		}
	}
	return out, nil
}

func mustRender(t *testing.T, values map[string]any) map[string][]object {
	t.Helper()
	objs, err := render(t, values)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// one returns the only object of kind.
func one(t *testing.T, objs map[string][]object, kind string) object {
	t.Helper()
	if len(objs[kind]) != 1 {
		t.Fatalf("%d objects of kind %s rendered, want 1", len(objs[kind]), kind)
	}
	return objs[kind][0]
}

// committed returns the object of kind in a kustomize manifest of deploy/.
func committed(t *testing.T, file, kind string) object {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", file))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range decodeAll(t, file, b) {
		if o.kind() == kind {
			return o
		}
	}
	t.Fatalf("%s holds no %s", file, kind)
	return nil
}

func TestHelmLint(t *testing.T) {
	for _, values := range []map[string]any{
		nil,
		{"shards": 3},
		{"secrets": map[string]any{"files": map[string]any{"docspace-main.key": "placeholder"}}},
	} {
		linter := lint.All(chartDir, values, "monitoring", false)
		for _, m := range linter.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("helm lint with %v: %s", values, m)
			}
		}
	}
}

// podSpec is a workload's pod spec with its container's image settings
// taken out: the chart sets them from values, kustomize from images.
func podSpec(t *testing.T, o object) map[string]any {
	t.Helper()
	spec, ok := o.get("spec", "template", "spec").(map[string]any)
	if !ok {
		t.Fatalf("%s without a pod spec", o.kind())
	}
	for _, c := range spec["containers"].([]any) {
		delete(c.(map[string]any), "image")
		delete(c.(map[string]any), "imagePullPolicy")
	}
	return spec
}

// subset reports whether every label of sel is in labels.
func subset(sel, labels any) bool {
	s, _ := sel.(map[string]any)
	l, _ := labels.(map[string]any)
	for k, v := range s {
		if l[k] != v {
			return false
		}
	}
	return len(s) > 0
}

// TestTemplateMatchesKustomize: with shards 1 the chart renders the
// objects of deploy/kubernetes, with shards 2 those of
// deploy/kubernetes-sharded, wherever both say something.
func TestTemplateMatchesKustomize(t *testing.T) {
	for _, tc := range []struct {
		shards   int
		kind     string
		workload string
	}{
		{1, "Deployment", "deploy/kubernetes/deployment.yaml"},
		{2, "StatefulSet", "deploy/kubernetes-sharded/statefulset.yaml"},
	} {
		objs := mustRender(t, map[string]any{"shards": tc.shards})
		if len(objs["Deployment"])+len(objs["StatefulSet"]) != 1 {
			t.Fatalf("shards %d: %d Deployments and %d StatefulSets, want one workload", tc.shards, len(objs["Deployment"]), len(objs["StatefulSet"]))
		}
		got, want := one(t, objs, tc.kind), committed(t, tc.workload, tc.kind)
		if g, w := podSpec(t, got), podSpec(t, want); !reflect.DeepEqual(g, w) {
			gb, _ := yaml.Marshal(g)
			wb, _ := yaml.Marshal(w)
			t.Errorf("shards %d: the %s's pod differs from %s's:\n%s\nwant:\n%s", tc.shards, tc.kind, tc.workload, gb, wb)
		}
		for _, k := range []string{"replicas", "serviceName", "podManagementPolicy"} {
			if g, w := got.get("spec", k), want.get("spec", k); !reflect.DeepEqual(g, w) {
				t.Errorf("shards %d: spec.%s %v, %s has %v", tc.shards, k, g, tc.workload, w)
			}
		}
		if !subset(got.get("spec", "selector", "matchLabels"), got.get("spec", "template", "metadata", "labels")) {
			t.Errorf("shards %d: the selector does not select the pod", tc.shards)
		}

		svc, wantSvc := one(t, objs, "Service"), committed(t, "deploy/kubernetes/service.yaml", "Service")
		if !reflect.DeepEqual(svc.get("spec", "ports"), wantSvc.get("spec", "ports")) {
			t.Errorf("Service ports %v, deploy/kubernetes has %v", svc.get("spec", "ports"), wantSvc.get("spec", "ports"))
		}
		if headless := svc.get("spec", "clusterIP") == "None"; headless != (tc.shards > 1) {
			t.Errorf("shards %d: headless Service %v", tc.shards, headless)
		}
		if !subset(svc.get("spec", "selector"), got.get("spec", "template", "metadata", "labels")) {
			t.Errorf("the Service does not select the pods")
		}

		sm, wantSM := one(t, objs, "ServiceMonitor"), committed(t, "deploy/kubernetes/servicemonitor.yaml", "ServiceMonitor")
		if !reflect.DeepEqual(sm.get("spec", "endpoints"), wantSM.get("spec", "endpoints")) {
			t.Errorf("ServiceMonitor endpoints %v, deploy/kubernetes has %v", sm.get("spec", "endpoints"), wantSM.get("spec", "endpoints"))
		}
		if !subset(sm.get("spec", "selector", "matchLabels"), svc.get("metadata", "labels")) {
			t.Errorf("the ServiceMonitor does not select the Service")
		}

		rule, wantRule := one(t, objs, "PrometheusRule"), committed(t, "deploy/kubernetes/prometheusrule.yaml", "PrometheusRule")
		if !reflect.DeepEqual(rule.get("spec"), wantRule.get("spec")) {
			t.Errorf("the PrometheusRule's groups differ from deploy/kubernetes/prometheusrule.yaml's")
		}
		var cm object
		for _, o := range objs["ConfigMap"] {
			if o.get("metadata", "name") == release {
				cm = o
			}
		}
		wantCM := committed(t, "deploy/kubernetes/configmap.yaml", "ConfigMap")
		if cm == nil || !reflect.DeepEqual(cm.get("data"), wantCM.get("data")) {
			t.Errorf("the ConfigMap's config.yml differs from deploy/kubernetes/configmap.yaml's")
		}
		if len(objs["Secret"]) != 0 {
			t.Errorf("a Secret rendered without secrets.files")
		}
	}
}

// exporterDownExpr is the expression of BillingExporterDown in the
// rendered PrometheusRule.
func exporterDownExpr(t *testing.T, objs map[string][]object) string {
	t.Helper()
	groups, _ := one(t, objs, "PrometheusRule").get("spec", "groups").([]any)
	for _, g := range groups {
		rules, _ := g.(map[string]any)["rules"].([]any)
		for _, r := range rules {
			if r := r.(map[string]any); r["alert"] == "BillingExporterDown" {
				expr, _ := r["expr"].(string)
				return expr
			}
		}
	}
	t.Fatal("no BillingExporterDown in the PrometheusRule")
	return ""
}

// BillingExporterDown watches the job the ServiceMonitor makes, the
// Service's name, whatever the release is called, or the selector the
// values give.
func TestPrometheusRuleSelectsTheExporter(t *testing.T) {
	objs, err := renderRelease(t, "billing", nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := one(t, objs, "Service").get("metadata", "name")
	if got, want := exporterDownExpr(t, objs), fmt.Sprintf("up{job=%q} == 0", svc); got != want {
		t.Errorf("release billing: BillingExporterDown is %q, want %q (the Service's job)", got, want)
	}
	objs = mustRender(t, map[string]any{"prometheusRule": map[string]any{"exporterSelector": `job="billing",namespace="monitoring"`}})
	if got, want := exporterDownExpr(t, objs), `up{job="billing",namespace="monitoring"} == 0`; got != want {
		t.Errorf("with prometheusRule.exporterSelector: BillingExporterDown is %q, want %q", got, want)
	}
}

// TestDashboardsForTheSidecar: one ConfigMap per dashboard of
// grafana/dashboards, labelled for Grafana's sidecar, holding the file.
func TestDashboardsForTheSidecar(t *testing.T) {
	files, err := filepath.Glob("../grafana/dashboards/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards: %v", err)
	}
	want := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want[filepath.Base(f)] = string(b)
	}
	got := map[string]string{}
	for _, o := range mustRender(t, nil)["ConfigMap"] {
		if o.get("metadata", "labels", "grafana_dashboard") != "1" {
			continue
		}
		for k, v := range o.get("data").(map[string]any) {
			got[k] = v.(string)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dashboard ConfigMaps hold %d files, grafana/dashboards %d, or their text differs", len(got), len(want))
	}
	if n := len(mustRender(t, map[string]any{"dashboards": map[string]any{"enabled": false}})["ConfigMap"]); n != 1 {
		t.Errorf("dashboards.enabled=false: %d ConfigMaps, want the configuration's only", n)
	}
}

func TestSecretsAndConfigValues(t *testing.T) {
	objs := mustRender(t, map[string]any{
		"config":  "accounts: []\n",
		"secrets": map[string]any{"files": map[string]any{"docspace-main.key": "placeholder"}},
	})
	sec := one(t, objs, "Secret")
	if sec.get("metadata", "name") != "billing-exporter-api-keys" || sec.get("stringData", "docspace-main.key") != "placeholder" {
		t.Errorf("Secret %v", sec)
	}
	for _, o := range objs["ConfigMap"] {
		if o.get("metadata", "name") == release && o.get("data", "config.yml") != "accounts: []\n" {
			t.Errorf("config value not in the ConfigMap: %q", o.get("data", "config.yml"))
		}
	}
	objs = mustRender(t, map[string]any{"secrets": map[string]any{"existingSecret": "my-keys", "files": map[string]any{"a.key": "x"}}})
	if len(objs["Secret"]) != 0 {
		t.Errorf("existingSecret set, yet a Secret rendered")
	}
	vols := one(t, objs, "Deployment").get("spec", "template", "spec", "volumes").([]any)
	if name := object(vols[1].(map[string]any)).get("secret", "secretName"); name != "my-keys" {
		t.Errorf("the pod mounts Secret %v, want my-keys", name)
	}
	if _, err := render(t, map[string]any{"shards": 0}); err == nil || !strings.Contains(err.Error(), "shards must be at least 1") {
		t.Errorf("shards 0: err = %v", err)
	}
}
