package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
	"gopkg.in/yaml.v3"
)

// doc is one YAML document of a file under deploy/.
type doc struct {
	file string // relative to the repository's root
	node *yaml.Node
}

func (d doc) decode(t *testing.T, v any) {
	t.Helper()
	if err := d.node.Decode(v); err != nil {
		t.Fatalf("%s: %v", d.file, err)
	}
}

// header is what every Kubernetes object has.
type header struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   meta   `yaml:"metadata"`
}

type meta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

// readYAML decodes every document of every *.yml and *.yaml file under
// deploy/: a file added later is covered without touching this test.
func readYAML(t *testing.T) []doc {
	t.Helper()
	var docs []doc
	files := 0
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || (filepath.Ext(p) != ".yml" && filepath.Ext(p) != ".yaml") {
			return nil
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(filepath.Join("deploy", p))
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for i := 0; ; i++ {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Errorf("%s: document %d: %v", rel, i+1, err)
				break
			}
			docs = append(docs, doc{file: rel, node: &n})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Fatalf("found %d YAML files under deploy/, expected the rules, compose, Prometheus, Alertmanager and Kubernetes files", files)
	}
	return docs
}

func TestEveryYAMLFileParses(t *testing.T) {
	for _, d := range readYAML(t) {
		var h header
		d.decode(t, &h)
		if h.Kind != "" && h.APIVersion != "" && !strings.HasPrefix(h.APIVersion, "kustomize.config.k8s.io/") && h.Metadata.Name == "" {
			t.Errorf("%s: %s without metadata.name", d.file, h.Kind)
		}
	}
}

// object returns the only Kubernetes object of kind under deploy/kubernetes.
func object(t *testing.T, docs []doc, kind string, v any) doc {
	t.Helper()
	var found []doc
	for _, d := range docs {
		var h header
		d.decode(t, &h)
		if h.Kind == kind && strings.HasPrefix(d.file, "deploy/kubernetes/") {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d objects of kind %s under deploy/kubernetes, want 1", len(found), kind)
	}
	found[0].decode(t, v)
	return found[0]
}

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// defaultPort is the port of the exporter's defaultListenAddress.
func defaultPort(t *testing.T) int {
	t.Helper()
	m := regexp.MustCompile(`defaultListenAddress = ":(\d+)"`).FindSubmatch(readFile(t, "cmd/billing-exporter/main.go"))
	if m == nil {
		t.Fatal("cmd/billing-exporter/main.go: no defaultListenAddress")
	}
	p, _ := strconv.Atoi(string(m[1]))
	return p
}

// ruleJob is the job BillingExporterDown watches.
func ruleJob(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`up\{job="([^"]+)"\}`).FindSubmatch(readFile(t, RulesFile))
	if m == nil {
		t.Fatalf(`%s: no up{job="..."}: update this test with the way the rules find the exporter`, RulesFile)
	}
	return string(m[1])
}

func TestPrometheusRuleIsTheRuleFile(t *testing.T) {
	var want struct {
		Groups []any `yaml:"groups"`
	}
	if err := yaml.Unmarshal(readFile(t, RulesFile), &want); err != nil {
		t.Fatal(err)
	}
	var pr struct {
		header `yaml:",inline"`
		Spec   struct {
			Groups []any `yaml:"groups"`
		} `yaml:"spec"`
	}
	d := object(t, readYAML(t), "PrometheusRule", &pr)
	if pr.APIVersion != "monitoring.coreos.com/v1" {
		t.Errorf("%s: apiVersion %q", d.file, pr.APIVersion)
	}
	if len(want.Groups) == 0 || !reflect.DeepEqual(pr.Spec.Groups, want.Groups) {
		t.Errorf("%s: spec.groups differ from %s's groups; run `go generate ./deploy/...`", d.file, RulesFile)
	}
}

// entrypointConfig is the --config.file of the image's ENTRYPOINT.
func entrypointConfig(t *testing.T) string {
	t.Helper()
	for _, arg := range dockerfile(t).entrypoint {
		if v, ok := strings.CutPrefix(arg, "--config.file="); ok {
			return v
		}
	}
	t.Fatal("Dockerfile: ENTRYPOINT has no --config.file")
	return ""
}

// mapStrings returns v with f applied to every string in it.
func mapStrings(v any, f func(string) string) any {
	switch v := v.(type) {
	case string:
		return f(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = mapStrings(e, f)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = mapStrings(e, f)
		}
		return out
	}
	return v
}

type secretDoc struct {
	header     `yaml:",inline"`
	StringData map[string]string `yaml:"stringData"`
	Data       map[string]string `yaml:"data"`
}

func readSecretExample(t *testing.T) secretDoc {
	t.Helper()
	var s secretDoc
	if err := yaml.Unmarshal(readFile(t, "deploy/kubernetes/secret.example.yaml"), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// The ConfigMap is config.yml with the key files moved to KeysDir, names
// only keys that secret.example.yaml lists, and loads as the exporter
// would load it (config.Parse and the collectors, as --config.check does).
func TestConfigMapIsTheExampleConfig(t *testing.T) {
	var cm struct {
		header `yaml:",inline"`
		Data   map[string]string `yaml:"data"`
	}
	d := object(t, readYAML(t), "ConfigMap", &cm)
	if key := path.Base(entrypointConfig(t)); key != ConfigKey {
		t.Fatalf("the image reads %s, the ConfigMap's key is %s", key, ConfigKey)
	}
	text, ok := cm.Data[ConfigKey]
	if !ok || len(cm.Data) != 1 {
		t.Fatalf("%s: data has %d keys, want exactly %q", d.file, len(cm.Data), ConfigKey)
	}

	var got, example any
	if err := yaml.Unmarshal([]byte(text), &got); err != nil {
		t.Fatalf("%s: %s: %v", d.file, ConfigKey, err)
	}
	if err := yaml.Unmarshal(readFile(t, ConfigFile), &example); err != nil {
		t.Fatal(err)
	}
	want := mapStrings(example, func(s string) string {
		if rest, ok := strings.CutPrefix(s, "/run/secrets/"); ok {
			return KeysDir + "/" + rest
		}
		return s
	})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: %s is not %s with its key files under %s", d.file, ConfigKey, ConfigFile, KeysDir)
	}

	// Every key file is in the Secret's mount, under a key the example
	// Secret has; every key of it is used.
	var accounts struct {
		Accounts []struct {
			Name         string `yaml:"name"`
			APIKeyFile   string `yaml:"api_key_file"`
			PasswordFile string `yaml:"password_file"`
		} `yaml:"accounts"`
	}
	if err := yaml.Unmarshal([]byte(text), &accounts); err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, a := range accounts.Accounts {
		for _, f := range []string{a.APIKeyFile, a.PasswordFile} {
			if f == "" {
				continue
			}
			if path.Dir(f) != KeysDir {
				t.Errorf("account %s: key file %s is not in %s, where the Secret is mounted", a.Name, f, KeysDir)
			}
			used[path.Base(f)] = true
		}
	}
	secret := readSecretExample(t)
	var keys []string
	for k := range secret.StringData {
		keys = append(keys, k)
		if !used[k] {
			t.Errorf("secret.example.yaml: key %s is not read by the ConfigMap's config", k)
		}
	}
	for k := range used {
		if _, ok := secret.StringData[k]; !ok {
			t.Errorf("the ConfigMap's config reads key file %s, which secret.example.yaml lacks (have %v)", k, keys)
		}
	}

	// Load it as the exporter does, with placeholder key files.
	dir := t.TempDir()
	for k := range used {
		if err := os.WriteFile(filepath.Join(dir, k), []byte("placeholder-not-a-key\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	local := strings.ReplaceAll(text, KeysDir+"/", dir+"/")
	cfg, err := config.Parse([]byte(local), func(string) (string, bool) { return "", false }, collector.ConfigProviders())
	if err != nil {
		t.Fatalf("%s: %s does not load: %v", d.file, ConfigKey, err)
	}
	if len(cfg.Accounts) != len(accounts.Accounts) || len(cfg.Accounts) == 0 {
		t.Errorf("loaded %d accounts, the file has %d", len(cfg.Accounts), len(accounts.Accounts))
	}
	if _, err := collector.New(cfg, collector.Options{}); err != nil {
		t.Errorf("%s: %s: the collectors refuse it: %v", d.file, ConfigKey, err)
	}
}

// The Helm chart's default config.yml loads as the exporter would load it
// and reads no key file: `helm install` without values starts an
// exporter, which no Secret is mounted into.
func TestChartDefaultConfigLoads(t *testing.T) {
	var values struct {
		Config string `yaml:"config"`
	}
	if err := yaml.Unmarshal(readFile(t, ChartDir+"/values.yaml"), &values); err != nil {
		t.Fatal(err)
	}
	if values.Config == "" || strings.Contains(values.Config, "_file:") {
		t.Fatalf("%s/values.yaml: config %q is empty or reads key files", ChartDir, values.Config)
	}
	cfg, err := config.Parse([]byte(values.Config), func(string) (string, bool) { return "", false }, collector.ConfigProviders())
	if err != nil {
		t.Fatalf("%s/values.yaml: config does not load: %v", ChartDir, err)
	}
	if _, err := collector.New(cfg, collector.Options{}); err != nil {
		t.Errorf("%s/values.yaml: config: the collectors refuse it: %v", ChartDir, err)
	}
}

func TestSecretExampleHoldsPlaceholdersOnly(t *testing.T) {
	s := readSecretExample(t)
	if s.Kind != "Secret" || s.Metadata.Name != "billing-exporter-api-keys" {
		t.Errorf("secret.example.yaml: %s %s, want Secret billing-exporter-api-keys", s.Kind, s.Metadata.Name)
	}
	if len(s.Data) > 0 {
		t.Error("secret.example.yaml: use stringData placeholders, not base64 data")
	}
	if len(s.StringData) == 0 {
		t.Error("secret.example.yaml: no keys")
	}
	for k, v := range s.StringData {
		if !regexp.MustCompile(`^REPLACE_WITH_[A-Z0-9_]+$`).MatchString(v) {
			t.Errorf("secret.example.yaml: %s = %q is not a REPLACE_WITH_… placeholder", k, v)
		}
	}
}

type securityContext struct {
	RunAsNonRoot             *bool  `yaml:"runAsNonRoot"`
	RunAsUser                *int64 `yaml:"runAsUser"`
	ReadOnlyRootFilesystem   *bool  `yaml:"readOnlyRootFilesystem"`
	AllowPrivilegeEscalation *bool  `yaml:"allowPrivilegeEscalation"`
	Privileged               *bool  `yaml:"privileged"`
	Capabilities             struct {
		Add  []string `yaml:"add"`
		Drop []string `yaml:"drop"`
	} `yaml:"capabilities"`
	SeccompProfile struct {
		Type string `yaml:"type"`
	} `yaml:"seccompProfile"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

type deployment struct {
	header `yaml:",inline"`
	Spec   struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata meta `yaml:"metadata"`
			Spec     struct {
				ServiceAccountName           string          `yaml:"serviceAccountName"`
				AutomountServiceAccountToken *bool           `yaml:"automountServiceAccountToken"`
				SecurityContext              securityContext `yaml:"securityContext"`
				Containers                   []struct {
					Name    string   `yaml:"name"`
					Image   string   `yaml:"image"`
					Command []string `yaml:"command"`
					Args    []string `yaml:"args"`
					Env     []envVar `yaml:"env"`
					Ports   []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
					} `yaml:"ports"`
					LivenessProbe  probe `yaml:"livenessProbe"`
					ReadinessProbe probe `yaml:"readinessProbe"`
					Resources      struct {
						Requests map[string]string `yaml:"requests"`
						Limits   map[string]string `yaml:"limits"`
					} `yaml:"resources"`
					SecurityContext securityContext `yaml:"securityContext"`
					VolumeMounts    []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
						SubPath   string `yaml:"subPath"`
						ReadOnly  bool   `yaml:"readOnly"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name      string `yaml:"name"`
					ConfigMap *struct {
						Name string `yaml:"name"`
					} `yaml:"configMap"`
					Secret *struct {
						SecretName string `yaml:"secretName"`
					} `yaml:"secret"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type service struct {
	header `yaml:",inline"`
	Spec   struct {
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort any    `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type serviceMonitor struct {
	header `yaml:",inline"`
	Spec   struct {
		JobLabel string `yaml:"jobLabel"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Endpoints []struct {
			Port          string `yaml:"port"`
			Path          string `yaml:"path"`
			Scheme        string `yaml:"scheme"`
			Interval      string `yaml:"interval"`
			ScrapeTimeout string `yaml:"scrapeTimeout"`
		} `yaml:"endpoints"`
	} `yaml:"spec"`
}

// subset reports whether every label of sel is in labels.
func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func isTrue(b *bool) bool { return b != nil && *b }

type envVar struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

// env returns the value of the environment variable name.
func env(vars []envVar, name string) string {
	for _, v := range vars {
		if v.Name == name {
			return v.Value
		}
	}
	return ""
}

// goMemLimit is 90 % of a memory limit in MiB, the GOMEMLIMIT the Helm
// chart computes from it.
func goMemLimit(t *testing.T, limit string) string {
	t.Helper()
	units := map[string]float64{"": 1, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}
	m := regexp.MustCompile(`^([0-9]+)(Ki|Mi|Gi)?$`).FindStringSubmatch(limit)
	if m == nil {
		t.Fatalf("memory limit %q: not a quantity this test reads", limit)
	}
	n, _ := strconv.ParseFloat(m[1], 64)
	return fmt.Sprintf("%dMiB", int64(n*units[m[2]]*0.9/(1<<20)))
}

func TestDeploymentIsHardened(t *testing.T) {
	docs := readYAML(t)
	var dep deployment
	d := object(t, docs, "Deployment", &dep)
	var cm struct {
		header `yaml:",inline"`
	}
	object(t, docs, "ConfigMap", &cm)
	pod := dep.Spec.Template.Spec
	if len(dep.Spec.Selector.MatchLabels) == 0 || !subset(dep.Spec.Selector.MatchLabels, dep.Spec.Template.Metadata.Labels) {
		t.Errorf("%s: selector %v does not select the pod's labels %v", d.file, dep.Spec.Selector.MatchLabels, dep.Spec.Template.Metadata.Labels)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: automountServiceAccountToken should be false: the exporter never calls the API", d.file)
	}
	// Its own service account, so that nothing granted to the namespace's
	// default one reaches it, without a token either.
	var sa struct {
		header                       `yaml:",inline"`
		AutomountServiceAccountToken *bool `yaml:"automountServiceAccountToken"`
	}
	ds := object(t, docs, "ServiceAccount", &sa)
	if pod.ServiceAccountName != sa.Metadata.Name || sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Errorf("%s: serviceAccountName %q; want %s's %s, with automountServiceAccountToken false", d.file, pod.ServiceAccountName, ds.file, sa.Metadata.Name)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", d.file, len(pod.Containers))
	}
	c := pod.Containers[0]
	psc, csc := pod.SecurityContext, c.SecurityContext

	if !isTrue(csc.RunAsNonRoot) && !isTrue(psc.RunAsNonRoot) {
		t.Errorf("%s: runAsNonRoot is not set", d.file)
	}
	for _, u := range []*int64{psc.RunAsUser, csc.RunAsUser} {
		if u != nil && *u == 0 {
			t.Errorf("%s: runAsUser 0", d.file)
		}
	}
	if !isTrue(csc.ReadOnlyRootFilesystem) {
		t.Errorf("%s: readOnlyRootFilesystem is not true", d.file)
	}
	if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation is not false", d.file)
	}
	if isTrue(csc.Privileged) {
		t.Errorf("%s: privileged", d.file)
	}
	if !slices.Contains(csc.Capabilities.Drop, "ALL") || len(csc.Capabilities.Add) > 0 {
		t.Errorf("%s: capabilities drop %v add %v, want drop [ALL] and no add", d.file, csc.Capabilities.Drop, csc.Capabilities.Add)
	}
	seccomp := csc.SeccompProfile.Type
	if seccomp == "" {
		seccomp = psc.SeccompProfile.Type
	}
	if seccomp != "RuntimeDefault" {
		t.Errorf("%s: seccompProfile %q, want RuntimeDefault", d.file, seccomp)
	}
	for _, r := range []string{"cpu", "memory"} {
		if c.Resources.Requests[r] == "" {
			t.Errorf("%s: no %s request", d.file, r)
		}
	}
	if c.Resources.Limits["memory"] == "" {
		t.Errorf("%s: no memory limit", d.file)
	}
	if got, want := env(c.Env, "GOMEMLIMIT"), goMemLimit(t, c.Resources.Limits["memory"]); got != want {
		t.Errorf("%s: GOMEMLIMIT %q, want %q: 90 %% of the memory limit %s", d.file, got, want, c.Resources.Limits["memory"])
	}

	port := defaultPort(t)
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != port || c.Ports[0].Name != "http-metrics" {
		t.Errorf("%s: ports %+v, want http-metrics on %d (cmd/billing-exporter defaultListenAddress)", d.file, c.Ports, port)
	}
	for _, p := range []struct {
		name, path string
		probe      probe
	}{{"livenessProbe", "/-/healthy", c.LivenessProbe}, {"readinessProbe", "/-/ready", c.ReadinessProbe}} {
		if p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path {
			t.Errorf("%s: %s is not an httpGet of %s", d.file, p.name, p.path)
			continue
		}
		if pp := p.probe.HTTPGet.Port; pp != "http-metrics" && pp != port {
			t.Errorf("%s: %s probes port %v", d.file, p.name, pp)
		}
	}
	if len(c.Command) > 0 {
		t.Errorf("%s: command overrides the image's entrypoint", d.file)
	}
	for _, a := range c.Args {
		if strings.HasPrefix(a, "--config.file") || !strings.HasPrefix(a, "--") {
			t.Errorf("%s: argument %q (the entrypoint sets --config.file)", d.file, a)
		}
	}

	// Config from the ConfigMap, mounted as a directory (a subPath mount
	// would never see an updated ConfigMap) where the image's --config.file
	// is; keys from the Secret at KeysDir.
	volumes := map[string]string{}
	for _, v := range pod.Volumes {
		switch {
		case v.ConfigMap != nil:
			volumes[v.Name] = "configmap/" + v.ConfigMap.Name
		case v.Secret != nil:
			volumes[v.Name] = "secret/" + v.Secret.SecretName
		default:
			volumes[v.Name] = "other"
		}
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		if m.SubPath != "" {
			t.Errorf("%s: volume %s mounted with subPath", d.file, m.Name)
		}
		if !m.ReadOnly {
			t.Errorf("%s: volume %s is not mounted readOnly", d.file, m.Name)
		}
		mounts[m.MountPath] = volumes[m.Name]
	}
	if got, want := mounts[path.Dir(entrypointConfig(t))], "configmap/"+cm.Metadata.Name; got != want {
		t.Errorf("%s: %s holds %q, want the ConfigMap (%s)", d.file, path.Dir(entrypointConfig(t)), got, want)
	}
	if got, want := mounts[KeysDir], "secret/billing-exporter-api-keys"; got != want {
		t.Errorf("%s: %s holds %q, want %s", d.file, KeysDir, got, want)
	}
}

func TestServiceAndServiceMonitorAgree(t *testing.T) {
	docs := readYAML(t)
	var (
		dep deployment
		svc service
		sm  serviceMonitor
	)
	object(t, docs, "Deployment", &dep)
	ds := object(t, docs, "Service", &svc)
	dm := object(t, docs, "ServiceMonitor", &sm)

	if len(svc.Spec.Selector) == 0 || !subset(svc.Spec.Selector, dep.Spec.Template.Metadata.Labels) {
		t.Errorf("%s: selector %v does not select the Deployment's pods", ds.file, svc.Spec.Selector)
	}
	port := defaultPort(t)
	if len(svc.Spec.Ports) != 1 {
		t.Fatalf("%s: %d ports, want 1", ds.file, len(svc.Spec.Ports))
	}
	sp := svc.Spec.Ports[0]
	if sp.Name != "http-metrics" || sp.Port != port || (sp.TargetPort != "http-metrics" && sp.TargetPort != port) {
		t.Errorf("%s: port %+v, want http-metrics %d to the container's http-metrics", ds.file, sp, port)
	}

	if sm.APIVersion != "monitoring.coreos.com/v1" {
		t.Errorf("%s: apiVersion %q", dm.file, sm.APIVersion)
	}
	if len(sm.Spec.Selector.MatchLabels) == 0 || !subset(sm.Spec.Selector.MatchLabels, svc.Metadata.Labels) {
		t.Errorf("%s: selector %v does not select the Service's labels %v", dm.file, sm.Spec.Selector.MatchLabels, svc.Metadata.Labels)
	}
	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("%s: %d endpoints, want 1", dm.file, len(sm.Spec.Endpoints))
	}
	ep := sm.Spec.Endpoints[0]
	if ep.Port != sp.Name {
		t.Errorf("%s: endpoint port %q, the Service's is %q", dm.file, ep.Port, sp.Name)
	}
	if ep.Path != "" && ep.Path != "/metrics" {
		t.Errorf("%s: path %q, the exporter serves /metrics", dm.file, ep.Path)
	}
	if ep.Interval != "" && ep.ScrapeTimeout != "" {
		iv, err1 := time.ParseDuration(ep.Interval)
		to, err2 := time.ParseDuration(ep.ScrapeTimeout)
		if err1 != nil || err2 != nil || to > iv {
			t.Errorf("%s: scrapeTimeout %s must be a duration no longer than interval %s", dm.file, ep.ScrapeTimeout, ep.Interval)
		}
	}
	// The operator names the job after the Service unless jobLabel says
	// otherwise; BillingExporterDown looks for that job.
	if job := ruleJob(t); sm.Spec.JobLabel != "" || svc.Metadata.Name != job {
		t.Errorf("the scrape job would be %q (Service name, jobLabel %q); the rules expect job %q", svc.Metadata.Name, sm.Spec.JobLabel, job)
	}
}

func TestKustomization(t *testing.T) {
	var k struct {
		Resources []string `yaml:"resources"`
		Images    []struct {
			Name    string `yaml:"name"`
			NewName string `yaml:"newName"`
			NewTag  string `yaml:"newTag"`
		} `yaml:"images"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, "deploy/kubernetes/kustomization.yaml")))
	if err := dec.Decode(&k); err != nil {
		t.Fatal(err)
	}
	// Every manifest is applied, except the example Secret.
	var want []string
	entries, err := os.ReadDir("kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) && n != "kustomization.yaml" && n != "secret.example.yaml" {
			want = append(want, n)
		}
	}
	got := slices.Clone(k.Resources)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("kustomization.yaml resources %v, want every manifest but the example Secret: %v", got, want)
	}
	for _, r := range k.Resources {
		var h header
		if err := yaml.Unmarshal(readFile(t, "deploy/kubernetes/"+r), &h); err != nil {
			t.Fatal(err)
		}
		if h.Kind == "Secret" {
			t.Errorf("kustomization.yaml applies a Secret (%s)", r)
		}
	}
	var dep deployment
	object(t, readYAML(t), "Deployment", &dep)
	if len(k.Images) != 1 || k.Images[0].Name != dep.Spec.Template.Spec.Containers[0].Image {
		t.Errorf("kustomization.yaml images %+v do not set the Deployment's image %q", k.Images, dep.Spec.Template.Spec.Containers[0].Image)
	}

	// kubectl's own kustomize, where installed (it reads local files only).
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Log("kubectl not installed: skipping `kubectl kustomize`")
		return
	}
	out, err := exec.Command(kubectl, "kustomize", "kubernetes").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize deploy/kubernetes: %v\n%s", err, out)
	}
	for _, kind := range []string{"ServiceAccount", "ConfigMap", "Deployment", "Service", "ServiceMonitor", "PrometheusRule"} {
		if !bytes.Contains(out, []byte("\nkind: "+kind+"\n")) {
			t.Errorf("kubectl kustomize output lacks a %s", kind)
		}
	}
	if bytes.Contains(out, []byte("\nkind: Secret\n")) {
		t.Error("kubectl kustomize output holds a Secret")
	}
}
