package charts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
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
		{"shards": 3, "image": map[string]any{"tag": "v1.2.3"}, "nameOverride": "billing", "fullnameOverride": strings.Repeat("x", 60)},
		{"shards": 3, "podDisruptionBudget": map[string]any{"maxUnavailable": "50%"}},
		{"dashboards": map[string]any{"kind": "grafanaDashboard", "grafanaDashboard": map[string]any{
			"instanceSelector": map[string]any{"matchLabels": map[string]any{"dashboards": "grafana"}}, "allowCrossNamespaceImport": true, "folder": "Billing"}}},
		{"secrets": map[string]any{"files": map[string]any{"docspace-main.key": "placeholder"}}},
		{
			"goMemLimit":     "300MiB",
			"serviceAccount": map[string]any{"create": false, "name": "shared"},
			"podAnnotations": map[string]any{"a": "b"}, "podLabels": map[string]any{"team": "billing"},
			"nodeSelector": map[string]any{"kubernetes.io/os": "linux"},
			"tolerations":  []any{map[string]any{"key": "k", "operator": "Exists"}},
			"affinity":     map[string]any{"podAntiAffinity": map[string]any{}},
			"networkPolicy": map[string]any{"enabled": true, "restrictEgress": true,
				"ingressFrom": []any{map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{"app": "prometheus"}}}},
				"egress":      []any{map[string]any{"ports": []any{map[string]any{"port": 443}}}}},
		},
		{
			"webConfig": map[string]any{"config": map[string]any{
				"tls_server_config": map[string]any{"cert_file": "/var/run/secrets/billing-exporter-tls/tls.crt", "key_file": "/var/run/secrets/billing-exporter-tls/tls.key"},
				"basic_auth_users":  map[string]any{"prometheus": "$2y$10$abcdefghijklmnopqrstuv"},
			}, "tlsSecret": "my-cert"},
			"serviceMonitor": map[string]any{
				"tlsConfig": map[string]any{"ca": map[string]any{"secret": map[string]any{"name": "my-cert", "key": "ca.crt"}}},
				"basicAuth": map[string]any{"username": map[string]any{"name": "s", "key": "u"}, "password": map[string]any{"name": "s", "key": "p"}},
			},
		},
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

// kustomizeSecret is the Secret the kustomize manifests mount, created by
// hand beside them.
var kustomizeSecret = map[string]any{"existingSecret": "billing-exporter-api-keys"}

// exampleConfig is the chart's copy of the example configuration, which
// the kustomize ConfigMap holds.
func exampleConfig(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chartDir, "files", "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTemplateMatchesKustomize: with shards 1 the chart renders the
// objects of deploy/kubernetes, with shards 2 those of
// deploy/kubernetes-sharded, wherever both say something, given what
// they are given: the example config and the Secret created by hand.
func TestTemplateMatchesKustomize(t *testing.T) {
	for _, tc := range []struct {
		shards   int
		kind     string
		workload string
	}{
		{1, "Deployment", "deploy/kubernetes/deployment.yaml"},
		{2, "StatefulSet", "deploy/kubernetes-sharded/statefulset.yaml"},
	} {
		objs := mustRender(t, map[string]any{"shards": tc.shards, "config": exampleConfig(t), "secrets": kustomizeSecret})
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

		if tc.shards > 1 {
			pdb, wantPDB := one(t, objs, "PodDisruptionBudget"), committed(t, "deploy/kubernetes-sharded/pdb.yaml", "PodDisruptionBudget")
			for _, k := range []string{"maxUnavailable", "minAvailable", "unhealthyPodEvictionPolicy"} {
				if g, w := pdb.get("spec", k), wantPDB.get("spec", k); !reflect.DeepEqual(g, w) {
					t.Errorf("shards %d: PodDisruptionBudget spec.%s %v, deploy/kubernetes-sharded has %v", tc.shards, k, g, w)
				}
			}
		} else if len(objs["PodDisruptionBudget"]) != 0 {
			t.Errorf("shards 1: a PodDisruptionBudget rendered")
		}

		sa, wantSA := one(t, objs, "ServiceAccount"), committed(t, "deploy/kubernetes/serviceaccount.yaml", "ServiceAccount")
		if sa.get("automountServiceAccountToken") != wantSA.get("automountServiceAccountToken") {
			t.Errorf("ServiceAccount automountServiceAccountToken %v, deploy/kubernetes has %v", sa.get("automountServiceAccountToken"), wantSA.get("automountServiceAccountToken"))
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

// committedDashboards is the text of every file of grafana/dashboards, by
// file name.
func committedDashboards(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../grafana/dashboards/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards: %v", err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(b)
	}
	return out
}

// TestDashboardsForTheSidecar: one ConfigMap per dashboard of
// grafana/dashboards, labelled for Grafana's sidecar, holding the file.
func TestDashboardsForTheSidecar(t *testing.T) {
	want := committedDashboards(t)
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
	if got := mountedSecrets(t, objs); !reflect.DeepEqual(got, map[string]string{keysDir: "my-keys"}) {
		t.Errorf("the pod mounts the Secrets %v, want my-keys at %s", got, keysDir)
	}
	objs = mustRender(t, map[string]any{"secrets": map[string]any{"files": map[string]any{"a.key": "x"}}})
	if got := mountedSecrets(t, objs); !reflect.DeepEqual(got, map[string]string{keysDir: "billing-exporter-api-keys"}) {
		t.Errorf("the pod mounts the Secrets %v, want the chart's at %s", got, keysDir)
	}
	volumesExist(t, "secrets.files", objs)
	if _, err := render(t, map[string]any{"shards": 0}); err == nil || !strings.Contains(err.Error(), "shards must be at least 1") {
		t.Errorf("shards 0: err = %v", err)
	}
}

// keysDir is where the pod mounts the API keys.
const keysDir = "/var/run/secrets/billing-exporter"

// workload returns the only Deployment or StatefulSet.
func workload(t *testing.T, objs map[string][]object) object {
	t.Helper()
	if len(objs["Deployment"])+len(objs["StatefulSet"]) != 1 {
		t.Fatalf("%d Deployments and %d StatefulSets, want one workload", len(objs["Deployment"]), len(objs["StatefulSet"]))
	}
	if len(objs["Deployment"]) == 1 {
		return objs["Deployment"][0]
	}
	return objs["StatefulSet"][0]
}

// container returns the workload's only container.
func container(t *testing.T, objs map[string][]object) object {
	t.Helper()
	cs, _ := workload(t, objs).get("spec", "template", "spec", "containers").([]any)
	if len(cs) != 1 {
		t.Fatalf("%d containers, want 1", len(cs))
	}
	return object(cs[0].(map[string]any))
}

// list returns the objects of the list at keys in o.
func list(o object, keys ...string) []object {
	var out []object
	l, _ := o.get(keys...).([]any)
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, object(m))
		}
	}
	return out
}

// mountedSecrets maps the mount paths of the pod's Secret volumes to the
// Secrets' names. A Secret mounted with subPath fails the test: the
// kubelet never updates such a file, and a rotated key would wait for a
// restart.
func mountedSecrets(t *testing.T, objs map[string][]object) map[string]string {
	t.Helper()
	secrets := map[string]string{}
	for _, v := range list(workload(t, objs), "spec", "template", "spec", "volumes") {
		if name, ok := v.get("secret", "secretName").(string); ok {
			secrets[v.get("name").(string)] = name
		}
	}
	out := map[string]string{}
	for _, m := range list(container(t, objs), "volumeMounts") {
		if name, ok := secrets[m.get("name").(string)]; ok {
			out[m.get("mountPath").(string)] = name
			if sub := m.get("subPath"); sub != nil {
				t.Errorf("Secret %s is mounted with subPath %v: the kubelet never updates it", name, sub)
			}
		}
	}
	return out
}

// volumesExist fails unless every volume the pod mounts is one of its
// volumes, and every ConfigMap and Secret of its volumes is rendered by
// the chart or named in existing: a missing one leaves the pod in
// ContainerCreating.
func volumesExist(t *testing.T, what string, objs map[string][]object, existing ...string) {
	t.Helper()
	rendered := map[string]bool{}
	for _, kind := range []string{"ConfigMap", "Secret"} {
		for _, o := range objs[kind] {
			rendered[kind+"/"+o.get("metadata", "name").(string)] = true
		}
	}
	for _, name := range existing {
		rendered["Secret/"+name] = true
	}
	volumes := map[string]bool{}
	for _, v := range list(workload(t, objs), "spec", "template", "spec", "volumes") {
		volumes[v.get("name").(string)] = true
		ref := "other"
		if name, ok := v.get("configMap", "name").(string); ok {
			ref = "ConfigMap/" + name
		} else if name, ok := v.get("secret", "secretName").(string); ok {
			ref = "Secret/" + name
		}
		if !rendered[ref] || v.get("configMap", "optional") != nil || v.get("secret", "optional") != nil {
			t.Errorf("%s: volume %v is %s, which the chart does not render", what, v.get("name"), ref)
		}
	}
	for _, m := range list(container(t, objs), "volumeMounts") {
		if !volumes[m.get("name").(string)] {
			t.Errorf("%s: mount %v of no volume", what, m.get("name"))
		}
	}
}

// TestDefaultInstallRuns: `helm install` with no values gives a pod whose
// every volume exists, and a config that reads no key file, so that the
// exporter starts: no Secret is rendered nor mounted.
func TestDefaultInstallRuns(t *testing.T) {
	for _, shards := range []int{1, 3} {
		what := fmt.Sprintf("shards %d", shards)
		objs := mustRender(t, map[string]any{"shards": shards})
		volumesExist(t, what, objs)
		if len(objs["Secret"]) != 0 || len(mountedSecrets(t, objs)) != 0 {
			t.Errorf("%s: %d Secrets rendered, Secrets %v mounted; want none without keys", what, len(objs["Secret"]), mountedSecrets(t, objs))
		}
		var cfg string
		for _, cm := range objs["ConfigMap"] {
			if cm.get("metadata", "name") == release {
				cfg, _ = cm.get("data", "config.yml").(string)
			}
		}
		if cfg == "" || strings.Contains(cfg, "_file:") {
			t.Errorf("%s: the default config.yml reads key files or is missing:\n%s", what, cfg)
		}
	}
	if _, err := render(t, map[string]any{"config": ""}); err == nil || !strings.Contains(err.Error(), "config is empty") {
		t.Errorf("config empty: err = %v", err)
	}
}

// TestImageTagDefaultsToAppVersion: an empty image.tag is the chart's
// appVersion; a tag given is used as it is.
func TestImageTagDefaultsToAppVersion(t *testing.T) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		values map[string]any
		want   string
	}{
		{nil, "registry.example.com/billing-exporter:" + ch.Metadata.AppVersion},
		{map[string]any{"image": map[string]any{"tag": "v1.2.3"}}, "registry.example.com/billing-exporter:v1.2.3"},
	} {
		if got := container(t, mustRender(t, tc.values)).get("image"); got != tc.want {
			t.Errorf("values %v: image %v, want %s", tc.values, got, tc.want)
		}
	}
}

// TestNamesFitTheStatefulSetLimit: with Helm's longest release name the
// StatefulSet's name leaves room for the controller-revision-hash label
// (name, a dash and 10 characters, at most 63); nameOverride and
// fullnameOverride name the objects as in other charts.
func TestNamesFitTheStatefulSetLimit(t *testing.T) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		release string
		values  map[string]any
		want    string
	}{
		{strings.Repeat("r", 53), nil, strings.Repeat("r", 52)},
		{"prod", nil, "prod-billing-exporter"},
		{"prod-billing-exporter-eu", nil, "prod-billing-exporter-eu"},
		{"prod", map[string]any{"nameOverride": "billing"}, "prod-billing"},
		{"prod", map[string]any{"fullnameOverride": "money-" + strings.Repeat("x", 60)}, ("money-" + strings.Repeat("x", 60))[:52]},
	} {
		values := map[string]any{"shards": 3}
		for k, v := range tc.values {
			values[k] = v
		}
		vals, err := chartutil.ToRenderValues(ch, values, chartutil.ReleaseOptions{Name: tc.release, Namespace: "monitoring", IsInstall: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		files, err := engine.Render(ch, vals)
		if err != nil {
			t.Fatal(err)
		}
		sts := decodeAll(t, "workload.yaml", []byte(files["billing-exporter/templates/workload.yaml"]))[0]
		name, _ := sts.get("metadata", "name").(string)
		if name != tc.want || len(name+"-0123456789") > 63 {
			t.Errorf("release %s, values %v: StatefulSet %q (%d characters), want %q", tc.release, tc.values, name, len(name), tc.want)
		}
		if sts.get("spec", "serviceName") != name {
			t.Errorf("release %s: serviceName %v, want %s", tc.release, sts.get("spec", "serviceName"), name)
		}
		for k, v := range sts.get("spec", "template", "metadata", "labels").(map[string]any) {
			if s, _ := v.(string); len(s) > 63 {
				t.Errorf("release %s: label %s=%q is over 63 characters", tc.release, k, s)
			}
		}
	}
}

// env returns the container's environment variable name, and whether it
// is set.
func env(t *testing.T, objs map[string][]object, name string) (string, bool) {
	t.Helper()
	for _, e := range list(container(t, objs), "env") {
		if e.get("name") == name {
			v, _ := e.get("value").(string)
			return v, true
		}
	}
	return "", false
}

// TestGoMemLimit: GOMEMLIMIT is 90 % of the memory limit by default, the
// value given otherwise, and unset when empty or without a limit.
func TestGoMemLimit(t *testing.T) {
	limits := func(memory any) map[string]any {
		return map[string]any{"resources": map[string]any{"limits": map[string]any{"memory": memory}}}
	}
	for _, tc := range []struct {
		values map[string]any
		want   string // "" for unset
	}{
		{nil, "460MiB"},
		{limits("1Gi"), "921MiB"},
		{limits("1G"), "858MiB"},
		{limits("300Mi"), "270MiB"},
		{limits(536870912), "460MiB"},
		{limits("1048576Ki"), "921MiB"},
		{limits(nil), ""},
		{map[string]any{"goMemLimit": "300MiB"}, "300MiB"},
		{map[string]any{"goMemLimit": ""}, ""},
	} {
		got, set := env(t, mustRender(t, tc.values), "GOMEMLIMIT")
		if got != tc.want || set != (tc.want != "") {
			t.Errorf("values %v: GOMEMLIMIT %q (set %v), want %q", tc.values, got, set, tc.want)
		}
	}
	if _, err := render(t, limits("1.5e9")); err == nil || !strings.Contains(err.Error(), "set goMemLimit yourself") {
		t.Errorf("memory limit 1.5e9: err = %v", err)
	}
}

// podSpecOf returns the workload's pod spec.
func podSpecOf(t *testing.T, objs map[string][]object) object {
	t.Helper()
	spec, _ := workload(t, objs).get("spec", "template", "spec").(map[string]any)
	return object(spec)
}

// TestServiceAccount: the chart creates the pods' account by default,
// without a token, annotated as asked; with create false the pods use the
// account named, or the namespace's default.
func TestServiceAccount(t *testing.T) {
	for _, tc := range []struct {
		sa       map[string]any
		rendered bool
		want     string
	}{
		{nil, true, release},
		{map[string]any{"name": "billing", "annotations": map[string]any{"a": "b"}}, true, "billing"},
		{map[string]any{"create": false, "name": "shared"}, false, "shared"},
		{map[string]any{"create": false}, false, "default"},
	} {
		var values map[string]any // a nil serviceAccount would delete the defaults
		if tc.sa != nil {
			values = map[string]any{"serviceAccount": tc.sa}
		}
		objs := mustRender(t, values)
		if got := podSpecOf(t, objs).get("serviceAccountName"); got != tc.want {
			t.Errorf("serviceAccount %v: the pods run as %v, want %s", tc.sa, got, tc.want)
		}
		if podSpecOf(t, objs).get("automountServiceAccountToken") != false {
			t.Errorf("serviceAccount %v: the pods mount a token", tc.sa)
		}
		if !tc.rendered {
			if len(objs["ServiceAccount"]) != 0 {
				t.Errorf("serviceAccount %v: a ServiceAccount rendered", tc.sa)
			}
			continue
		}
		sa := one(t, objs, "ServiceAccount")
		if sa.get("metadata", "name") != tc.want || sa.get("automountServiceAccountToken") != false {
			t.Errorf("serviceAccount %v: ServiceAccount %v, automountServiceAccountToken %v", tc.sa, sa.get("metadata", "name"), sa.get("automountServiceAccountToken"))
		}
		if !reflect.DeepEqual(sa.get("metadata", "annotations"), tc.sa["annotations"]) {
			t.Errorf("serviceAccount %v: annotations %v", tc.sa, sa.get("metadata", "annotations"))
		}
	}
}

// TestPodSchedulingAndMetadata: nodeSelector, tolerations and affinity
// reach the pod spec as given, podAnnotations and podLabels its metadata
// beside the chart's own; none is in the pod by default, and the selector
// does not change.
func TestPodSchedulingAndMetadata(t *testing.T) {
	given := map[string]any{
		"nodeSelector":   map[string]any{"kubernetes.io/os": "linux"},
		"tolerations":    []any{map[string]any{"key": "monitoring", "operator": "Exists", "effect": "NoSchedule"}},
		"affinity":       map[string]any{"nodeAffinity": map[string]any{"preferredDuringSchedulingIgnoredDuringExecution": []any{map[string]any{"weight": 1, "preference": map[string]any{"matchExpressions": []any{map[string]any{"key": "pool", "operator": "In", "values": []any{"monitoring"}}}}}}}},
		"podAnnotations": map[string]any{"example.com/team": "billing"},
		"podLabels":      map[string]any{"team": "billing"},
	}
	for _, shards := range []int{1, 3} {
		values := map[string]any{"shards": shards}
		for k, v := range given {
			values[k] = v
		}
		objs := mustRender(t, values)
		spec := podSpecOf(t, objs)
		for _, k := range []string{"nodeSelector", "tolerations", "affinity"} {
			g, _ := yaml.Marshal(spec.get(k))
			w, _ := yaml.Marshal(given[k])
			if !bytes.Equal(g, w) {
				t.Errorf("shards %d: %s\n%s\nwant\n%s", shards, k, g, w)
			}
		}
		w := workload(t, objs)
		if w.get("spec", "template", "metadata", "annotations", "example.com/team") != "billing" || w.get("spec", "template", "metadata", "annotations", "checksum/config") == nil {
			t.Errorf("shards %d: pod annotations %v", shards, w.get("spec", "template", "metadata", "annotations"))
		}
		if w.get("spec", "template", "metadata", "labels", "team") != "billing" || w.get("spec", "template", "metadata", "labels", "app.kubernetes.io/name") != "billing-exporter" {
			t.Errorf("shards %d: pod labels %v", shards, w.get("spec", "template", "metadata", "labels"))
		}
		if w.get("spec", "selector", "matchLabels", "team") != nil {
			t.Errorf("shards %d: podLabels in the selector", shards)
		}
	}
	spec := podSpecOf(t, mustRender(t, nil))
	for _, k := range []string{"nodeSelector", "tolerations", "affinity"} {
		if spec.get(k) != nil {
			t.Errorf("default values: %s %v in the pod", k, spec.get(k))
		}
	}
}

// TestPodDisruptionBudget: shards get a PodDisruptionBudget over their
// pods, maxUnavailable 1 unless set, none when disabled or unsharded.
func TestPodDisruptionBudget(t *testing.T) {
	for _, tc := range []struct {
		values map[string]any
		want   any // maxUnavailable; nil for no PodDisruptionBudget
	}{
		{map[string]any{"shards": 1}, nil},
		{map[string]any{"shards": 3}, 1},
		{map[string]any{"shards": 4, "podDisruptionBudget": map[string]any{"maxUnavailable": 2}}, 2},
		{map[string]any{"shards": 4, "podDisruptionBudget": map[string]any{"maxUnavailable": "50%"}}, "50%"},
		{map[string]any{"shards": 3, "podDisruptionBudget": map[string]any{"enabled": false}}, nil},
	} {
		objs := mustRender(t, tc.values)
		if tc.want == nil {
			if len(objs["PodDisruptionBudget"]) != 0 {
				t.Errorf("values %v: a PodDisruptionBudget rendered", tc.values)
			}
			continue
		}
		pdb := one(t, objs, "PodDisruptionBudget")
		if got := pdb.get("spec", "maxUnavailable"); got != tc.want {
			t.Errorf("values %v: maxUnavailable %v, want %v", tc.values, got, tc.want)
		}
		if !subset(pdb.get("spec", "selector", "matchLabels"), workload(t, objs).get("spec", "template", "metadata", "labels")) ||
			!reflect.DeepEqual(pdb.get("spec", "selector"), workload(t, objs).get("spec", "selector")) {
			t.Errorf("values %v: the PodDisruptionBudget's selector is not the StatefulSet's", tc.values)
		}
	}
}

// podAnnotation returns an annotation of the workload's pod template.
func podAnnotation(t *testing.T, objs map[string][]object, name string) any {
	t.Helper()
	return workload(t, objs).get("spec", "template", "metadata", "annotations", name)
}

// TestChecksumsRollThePods: the pod template carries checksums of the
// ConfigMap and of the Secret the chart renders, so that `helm upgrade`
// with another config or other keys changes the template and rolls the
// pods; with no Secret rendered there is no Secret checksum.
func TestChecksumsRollThePods(t *testing.T) {
	keys := func(v string) map[string]any {
		return map[string]any{"secrets": map[string]any{"files": map[string]any{"docspace-main.key": v}}}
	}
	for _, shards := range []int{1, 3} {
		with := func(values map[string]any) map[string][]object {
			v := map[string]any{"shards": shards}
			for k, x := range values {
				v[k] = x
			}
			return mustRender(t, v)
		}
		a, b := with(keys("sk-old")), with(keys("sk-new"))
		sa, sb := podAnnotation(t, a, "checksum/secret"), podAnnotation(t, b, "checksum/secret")
		if sa == nil || sa == sb {
			t.Errorf("shards %d: checksum/secret %v with the old key, %v with the new", shards, sa, sb)
		}
		if podAnnotation(t, a, "checksum/config") != podAnnotation(t, b, "checksum/config") {
			t.Errorf("shards %d: new keys changed checksum/config", shards)
		}
		c := with(map[string]any{"config": "accounts: []\nglobal:\n  cache_ttl: 10m\n"})
		if podAnnotation(t, c, "checksum/config") == podAnnotation(t, with(nil), "checksum/config") {
			t.Errorf("shards %d: a new config left checksum/config as it was", shards)
		}
		for what, objs := range map[string]map[string][]object{
			"no keys":        with(nil),
			"existingSecret": with(map[string]any{"secrets": kustomizeSecret}),
		} {
			if got := podAnnotation(t, objs, "checksum/secret"); got != nil {
				t.Errorf("shards %d, %s: checksum/secret %v of no rendered Secret", shards, what, got)
			}
		}
	}
}

// TestNetworkPolicy: none by default; enabled, it selects the pods and
// lets in the metrics port only, from the peers given or from anywhere,
// and leaves egress open unless restrictEgress, when only the rules given
// are allowed (none: no egress at all).
func TestNetworkPolicy(t *testing.T) {
	if n := len(mustRender(t, nil)["NetworkPolicy"]); n != 0 {
		t.Errorf("default values: %d NetworkPolicies", n)
	}
	peers := []any{map[string]any{
		"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": "monitoring"}},
		"podSelector":       map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": "prometheus"}},
	}}
	dns := []any{map[string]any{"ports": []any{map[string]any{"port": 53, "protocol": "UDP"}}}}
	metricsPort := []any{map[string]any{"port": "http-metrics", "protocol": "TCP"}}
	for _, tc := range []struct {
		np          map[string]any
		from        any // the ingress rule's peers
		types       []any
		egress      any
		shards      int
		description string
	}{
		{map[string]any{"enabled": true}, nil, []any{"Ingress"}, nil, 1, "from anywhere, egress open"},
		{map[string]any{"enabled": true, "ingressFrom": peers}, peers, []any{"Ingress"}, nil, 3, "from Prometheus, egress open"},
		{map[string]any{"enabled": true, "restrictEgress": true, "egress": dns}, nil, []any{"Ingress", "Egress"}, dns, 1, "egress to DNS only"},
		{map[string]any{"enabled": true, "restrictEgress": true}, nil, []any{"Ingress", "Egress"}, []any{}, 1, "no egress"},
	} {
		objs := mustRender(t, map[string]any{"shards": tc.shards, "networkPolicy": tc.np})
		np := one(t, objs, "NetworkPolicy")
		if !subset(np.get("spec", "podSelector", "matchLabels"), workload(t, objs).get("spec", "template", "metadata", "labels")) {
			t.Errorf("%s: podSelector %v does not select the pods", tc.description, np.get("spec", "podSelector"))
		}
		if got := np.get("spec", "policyTypes"); !reflect.DeepEqual(got, tc.types) {
			t.Errorf("%s: policyTypes %v, want %v", tc.description, got, tc.types)
		}
		ingress := list(np, "spec", "ingress")
		if len(ingress) != 1 || !reflect.DeepEqual(ingress[0].get("ports"), metricsPort) {
			t.Fatalf("%s: ingress %v, want one rule for the metrics port", tc.description, np.get("spec", "ingress"))
		}
		if got := ingress[0].get("from"); !reflect.DeepEqual(jsonish(got), jsonish(tc.from)) {
			t.Errorf("%s: ingress from %v, want %v", tc.description, got, tc.from)
		}
		if got := np.get("spec", "egress"); !reflect.DeepEqual(jsonish(got), jsonish(tc.egress)) {
			t.Errorf("%s: egress %v, want %v", tc.description, got, tc.egress)
		}
	}
}

// jsonish is v as YAML decodes it: numbers of any Go type compare alike.
func jsonish(v any) any {
	b, _ := yaml.Marshal(v)
	var out any
	_ = yaml.Unmarshal(b, &out)
	return out
}

// probeKinds returns how each probe checks the container: "http",
// "https" or "tcp".
func probeKinds(t *testing.T, objs map[string][]object) []string {
	t.Helper()
	var out []string
	c := container(t, objs)
	for _, p := range []string{"livenessProbe", "readinessProbe"} {
		switch {
		case c.get(p, "tcpSocket", "port") == "http-metrics" && c.get(p, "httpGet") == nil:
			out = append(out, "tcp")
		case c.get(p, "httpGet", "scheme") == "HTTPS":
			out = append(out, "https")
		case c.get(p, "httpGet", "path") != nil && c.get(p, "httpGet", "scheme") == nil:
			out = append(out, "http")
		default:
			t.Fatalf("%s: %v", p, c.get(p))
		}
	}
	return out
}

// webConfigFile returns the path given to --web.config.file, or "".
func webConfigFile(t *testing.T, objs map[string][]object) string {
	t.Helper()
	for _, a := range container(t, objs).get("args").([]any) {
		if v, ok := strings.CutPrefix(a.(string), "--web.config.file="); ok {
			return v
		}
	}
	return ""
}

// TestWebConfig: a web config reaches the exporter as --web.config.file
// from a Secret, rendered or existing, mounted where the flag points; the
// probes and the ServiceMonitor follow its TLS and basic auth.
func TestWebConfig(t *testing.T) {
	tlsCfg := map[string]any{"tls_server_config": map[string]any{
		"cert_file": "/var/run/secrets/billing-exporter-tls/tls.crt",
		"key_file":  "/var/run/secrets/billing-exporter-tls/tls.key",
	}}
	auth := map[string]any{"basic_auth_users": map[string]any{"prometheus": "$2y$10$abcdefghijklmnopqrstuv"}}
	smTLS := map[string]any{"ca": map[string]any{"secret": map[string]any{"name": "my-cert", "key": "ca.crt"}}, "serverName": "billing-exporter.monitoring.svc"}
	smAuth := map[string]any{
		"username": map[string]any{"name": "scrape", "key": "username"},
		"password": map[string]any{"name": "scrape", "key": "password"},
	}
	for _, tc := range []struct {
		what     string
		values   map[string]any
		existing []string // Secrets the user created
		secret   string   // the web config Secret mounted; "" for none
		rendered any      // the web config the chart renders; nil for none
		probes   string
		scheme   any // the ServiceMonitor endpoint's scheme
		sm       map[string]any
	}{
		{"default", nil, nil, "", nil, "http", nil, nil},
		{
			"TLS from a cert-manager Secret",
			map[string]any{"webConfig": map[string]any{"config": tlsCfg, "tlsSecret": "my-cert"}, "serviceMonitor": map[string]any{"tlsConfig": smTLS}},
			[]string{"my-cert"}, "billing-exporter-web-config", tlsCfg, "https", "https", map[string]any{"tlsConfig": smTLS},
		},
		{
			"basic auth",
			map[string]any{"webConfig": map[string]any{"config": auth}, "serviceMonitor": map[string]any{"basicAuth": smAuth}},
			nil, "billing-exporter-web-config", auth, "tcp", nil, map[string]any{"basicAuth": smAuth},
		},
		{
			"client certificates required",
			map[string]any{"webConfig": map[string]any{"config": map[string]any{"tls_server_config": map[string]any{"cert_file": "/c", "key_file": "/k", "client_auth_type": "RequireAndVerifyClientCert"}}}},
			nil, "billing-exporter-web-config", nil, "tcp", "https", nil,
		},
		{
			"an existing Secret",
			map[string]any{"webConfig": map[string]any{"existingSecret": "my-web"}, "serviceMonitor": map[string]any{"scheme": "https"}},
			[]string{"my-web"}, "my-web", nil, "tcp", "https", nil,
		},
	} {
		objs := mustRender(t, tc.values)
		volumesExist(t, tc.what, objs, tc.existing...)
		var webSecrets []object
		for _, s := range objs["Secret"] {
			if strings.HasSuffix(s.get("metadata", "name").(string), "-web-config") {
				webSecrets = append(webSecrets, s)
			}
		}
		mounted := mountedSecrets(t, objs)
		file := webConfigFile(t, objs)
		if tc.secret == "" {
			if file != "" || len(webSecrets) != 0 || podAnnotation(t, objs, "checksum/web-config") != nil {
				t.Errorf("%s: --web.config.file=%q, %d web config Secrets, checksum %v; want none", tc.what, file, len(webSecrets), podAnnotation(t, objs, "checksum/web-config"))
			}
		} else {
			if dir, name := path.Split(file); name != "web-config.yml" || mounted[strings.TrimSuffix(dir, "/")] != tc.secret {
				t.Errorf("%s: --web.config.file=%q, Secrets mounted %v; want web-config.yml of %s", tc.what, file, mounted, tc.secret)
			}
		}
		if tc.rendered != nil {
			if len(webSecrets) != 1 {
				t.Fatalf("%s: %d web config Secrets rendered", tc.what, len(webSecrets))
			}
			var got any
			if err := yaml.Unmarshal([]byte(webSecrets[0].get("stringData", "web-config.yml").(string)), &got); err != nil || !reflect.DeepEqual(got, jsonish(tc.rendered)) {
				t.Errorf("%s: web-config.yml %v (%v), want %v", tc.what, got, err, tc.rendered)
			}
			if podAnnotation(t, objs, "checksum/web-config") == nil {
				t.Errorf("%s: no checksum/web-config on the pods", tc.what)
			}
		}
		if tls, _ := dig(tc.rendered, "tls_server_config", "cert_file").(string); tls != "" && mounted[path.Dir(tls)] != "my-cert" {
			t.Errorf("%s: cert_file %s is not in the mounted TLS Secret (%v)", tc.what, tls, mounted)
		}
		if got := probeKinds(t, objs); !reflect.DeepEqual(got, []string{tc.probes, tc.probes}) {
			t.Errorf("%s: probes %v, want %s", tc.what, got, tc.probes)
		}
		ep := list(one(t, objs, "ServiceMonitor"), "spec", "endpoints")[0]
		if ep.get("scheme") != tc.scheme {
			t.Errorf("%s: ServiceMonitor scheme %v, want %v", tc.what, ep.get("scheme"), tc.scheme)
		}
		for _, k := range []string{"tlsConfig", "basicAuth"} {
			if got := ep.get(k); !reflect.DeepEqual(jsonish(got), jsonish(tc.sm[k])) {
				t.Errorf("%s: ServiceMonitor %s %v, want %v", tc.what, k, got, tc.sm[k])
			}
		}
	}

	a := mustRender(t, map[string]any{"webConfig": map[string]any{"config": tlsCfg}})
	b := mustRender(t, map[string]any{"webConfig": map[string]any{"config": map[string]any{"tls_server_config": tlsCfg["tls_server_config"], "http_server_config": map[string]any{"http2": false}}}})
	if podAnnotation(t, a, "checksum/web-config") == podAnnotation(t, b, "checksum/web-config") {
		t.Error("another web config left checksum/web-config as it was")
	}
	if _, err := render(t, map[string]any{"webConfig": map[string]any{"tlsSecret": "my-cert"}}); err == nil || !strings.Contains(err.Error(), "no web config names its files") {
		t.Errorf("a TLS Secret without a web config: err = %v", err)
	}
	if _, err := render(t, map[string]any{"webConfig": map[string]any{"config": auth}}); err == nil || !strings.Contains(err.Error(), "set serviceMonitor.basicAuth") {
		t.Errorf("basic auth without the ServiceMonitor's: err = %v", err)
	}
	if _, err := render(t, map[string]any{"webConfig": map[string]any{"config": auth}, "serviceMonitor": map[string]any{"enabled": false}}); err != nil {
		t.Errorf("basic auth without a ServiceMonitor: %v", err)
	}
}

// dig returns the value at keys in nested maps, or nil.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// TestDashboardsForGrafanaOperator: dashboards.kind grafanaDashboard
// renders one grafana-operator GrafanaDashboard per dashboard of
// grafana/dashboards instead of the sidecar's ConfigMaps, holding the file
// and selecting the Grafana instances asked for.
func TestDashboardsForGrafanaOperator(t *testing.T) {
	files := committedDashboards(t)
	want := map[string]bool{}
	for _, text := range files {
		want[text] = true
	}
	selector := map[string]any{"matchLabels": map[string]any{"grafana": "central"}}
	for _, tc := range []struct {
		gd     map[string]any
		cross  any
		folder any
	}{
		{map[string]any{"instanceSelector": selector}, nil, nil},
		{map[string]any{"instanceSelector": selector, "allowCrossNamespaceImport": true, "folder": "Billing"}, true, "Billing"},
	} {
		objs := mustRender(t, map[string]any{"dashboards": map[string]any{"kind": "grafanaDashboard", "grafanaDashboard": tc.gd}})
		if n := len(objs["ConfigMap"]); n != 1 {
			t.Errorf("%v: %d ConfigMaps, want the configuration's only", tc.gd, n)
		}
		gds := objs["GrafanaDashboard"]
		if len(gds) != len(files) {
			t.Fatalf("%v: %d GrafanaDashboards, want %d", tc.gd, len(gds), len(files))
		}
		wantSelector := any(selector)
		got := map[string]bool{}
		for _, gd := range gds {
			if gd.get("apiVersion") != "grafana.integreatly.org/v1beta1" {
				t.Errorf("apiVersion %v", gd.get("apiVersion"))
			}
			if !reflect.DeepEqual(gd.get("spec", "instanceSelector"), wantSelector) {
				t.Errorf("%v: instanceSelector %v, want %v", tc.gd, gd.get("spec", "instanceSelector"), wantSelector)
			}
			if gd.get("spec", "allowCrossNamespaceImport") != tc.cross || gd.get("spec", "folder") != tc.folder {
				t.Errorf("%v: allowCrossNamespaceImport %v, folder %v", tc.gd, gd.get("spec", "allowCrossNamespaceImport"), gd.get("spec", "folder"))
			}
			js, _ := gd.get("spec", "json").(string)
			got[js] = true
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%v: the GrafanaDashboards' json is not the dashboards' files", tc.gd)
		}
	}
	if _, err := render(t, map[string]any{"dashboards": map[string]any{"kind": "configmap"}}); err == nil || !strings.Contains(err.Error(), "configMap or grafanaDashboard") {
		t.Errorf("dashboards.kind configmap: err = %v", err)
	}
	if _, err := render(t, map[string]any{"dashboards": map[string]any{"kind": "grafanaDashboard"}}); err == nil || !strings.Contains(err.Error(), "instanceSelector is empty") {
		t.Errorf("no instanceSelector: err = %v", err)
	}
	if n := len(mustRender(t, map[string]any{"dashboards": map[string]any{"enabled": false, "kind": "grafanaDashboard"}})["GrafanaDashboard"]); n != 0 {
		t.Errorf("dashboards.enabled=false: %d GrafanaDashboards", n)
	}
}

// TestRulesAndDashboardsOfYourOwn: prometheusRule.rules and
// dashboards.json put what the mixin renders with another _config in
// place of the project's rules and dashboards.
func TestRulesAndDashboardsOfYourOwn(t *testing.T) {
	rules := "groups:\n  - name: mine\n    rules:\n      - alert: Mine\n        expr: up{job=\"billing-exporter\"} == 0\n"
	objs := mustRender(t, map[string]any{
		"prometheusRule": map[string]any{"rules": rules},
		"dashboards":     map[string]any{"json": map[string]any{"mine.json": `{"title": "Mine"}`}},
	})
	groups, _ := one(t, objs, "PrometheusRule").get("spec", "groups").([]any)
	if len(groups) != 1 || groups[0].(map[string]any)["name"] != "mine" {
		t.Errorf("prometheusRule.rules: the PrometheusRule holds %v, want the group mine", groups)
	}
	var dashboards []string
	for _, o := range objs["ConfigMap"] {
		if o.get("metadata", "labels", "grafana_dashboard") == "1" {
			for k, v := range o.get("data").(map[string]any) {
				dashboards = append(dashboards, k+"="+strings.TrimSpace(v.(string)))
			}
		}
	}
	if len(dashboards) != 1 || dashboards[0] != `mine.json={"title": "Mine"}` {
		t.Errorf("dashboards.json: dashboard ConfigMaps hold %v, want mine.json only", dashboards)
	}
}
