package deploy

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/prometheus/common/model"
	promlabels "github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	yamlv2 "go.yaml.in/yaml/v2"
	"gopkg.in/yaml.v3"
)

const (
	StatefulSetFile = "deploy/kubernetes-sharded/statefulset.yaml"
	DeploymentFile  = "deploy/kubernetes/deployment.yaml"
)

// decodeMap decodes a YAML file into generic maps.
func decodeMap(t *testing.T, rel string) map[string]any {
	t.Helper()
	var m map[string]any
	readYAMLFile(t, filepath.Join(root, rel), &m)
	return m
}

func dig(m any, keys ...string) any {
	for _, k := range keys {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

// shardArgs removes the shard flags from a container's args and returns
// them apart.
func shardArgs(args []any) (rest []any, shard []string) {
	for _, a := range args {
		if s, ok := a.(string); ok && strings.HasPrefix(s, "--shard.") {
			shard = append(shard, s)
			continue
		}
		rest = append(rest, a)
	}
	return rest, shard
}

// TestShardedStatefulSetIsTheDeploymentsPod: the sharded variant runs the
// very pod of deployment.yaml, plus the shard flags, with one replica per
// shard and the parent's Service as its governing Service.
func TestShardedStatefulSetIsTheDeploymentsPod(t *testing.T) {
	dep, sts := decodeMap(t, DeploymentFile), decodeMap(t, StatefulSetFile)
	if sts["kind"] != "StatefulSet" || !reflect.DeepEqual(sts["metadata"], dep["metadata"]) {
		t.Errorf("%s: kind %v metadata %v; want a StatefulSet with the Deployment's metadata %v", StatefulSetFile, sts["kind"], sts["metadata"], dep["metadata"])
	}
	depPod, stsPod := dig(dep, "spec", "template"), dig(sts, "spec", "template")
	depC := dig(depPod, "spec", "containers").([]any)[0].(map[string]any)
	stsC := dig(stsPod, "spec", "containers").([]any)[0].(map[string]any)
	rest, shard := shardArgs(stsC["args"].([]any))
	depArgs, depShard := shardArgs(depC["args"].([]any))
	if len(depShard) != 0 || !reflect.DeepEqual(rest, depArgs) {
		t.Errorf("%s: args %v, want the Deployment's %v plus the shard flags", StatefulSetFile, stsC["args"], depC["args"])
	}
	stsC["args"] = depC["args"]
	if !reflect.DeepEqual(stsPod, depPod) {
		t.Errorf("%s: the pod template differs from %s's beyond the shard flags", StatefulSetFile, DeploymentFile)
	}
	replicas := dig(sts, "spec", "replicas")
	want := []string{"--shard.from-hostname", fmt.Sprint("--shard.total=", replicas)}
	if !slices.Equal(shard, want) {
		t.Errorf("%s: shard flags %v, want %v (one shard per replica)", StatefulSetFile, shard, want)
	}
	if n, ok := replicas.(int); !ok || n < 2 {
		t.Errorf("%s: replicas %v; a sharded example needs at least 2", StatefulSetFile, replicas)
	}
	if !reflect.DeepEqual(dig(sts, "spec", "selector"), dig(dep, "spec", "selector")) {
		t.Errorf("%s: selector differs from the Deployment's", StatefulSetFile)
	}
	svc := decodeMap(t, "deploy/kubernetes/service.yaml")
	if dig(sts, "spec", "serviceName") != dig(svc, "metadata", "name") {
		t.Errorf("%s: serviceName %v, the Service is %v", StatefulSetFile, dig(sts, "spec", "serviceName"), dig(svc, "metadata", "name"))
	}
}

// TestShardedPodDisruptionBudget: evictions take down one shard at a time,
// and do not wait for one that is not ready.
func TestShardedPodDisruptionBudget(t *testing.T) {
	pdb, sts := decodeMap(t, "deploy/kubernetes-sharded/pdb.yaml"), decodeMap(t, StatefulSetFile)
	if pdb["kind"] != "PodDisruptionBudget" || pdb["apiVersion"] != "policy/v1" {
		t.Fatalf("pdb.yaml: %v %v, want a policy/v1 PodDisruptionBudget", pdb["apiVersion"], pdb["kind"])
	}
	if got := dig(pdb, "spec", "maxUnavailable"); got != 1 || dig(pdb, "spec", "minAvailable") != nil {
		t.Errorf("pdb.yaml: maxUnavailable %v, want 1 and no minAvailable", got)
	}
	if got := dig(pdb, "spec", "unhealthyPodEvictionPolicy"); got != "AlwaysAllow" {
		t.Errorf("pdb.yaml: unhealthyPodEvictionPolicy %v, want AlwaysAllow", got)
	}
	if !reflect.DeepEqual(dig(pdb, "spec", "selector"), dig(sts, "spec", "selector")) {
		t.Errorf("pdb.yaml: selector %v, the StatefulSet's is %v", dig(pdb, "spec", "selector"), dig(sts, "spec", "selector"))
	}
}

// TestShardedKustomization: the parent's objects, the Deployment replaced
// by the StatefulSet, the Service made headless, the same image.
func TestShardedKustomization(t *testing.T) {
	k := decodeMap(t, "deploy/kubernetes-sharded/kustomization.yaml")
	if got := dig(k, "resources"); !reflect.DeepEqual(got, []any{"../kubernetes", "statefulset.yaml", "pdb.yaml"}) {
		t.Errorf("resources %v, want the parent, statefulset.yaml and pdb.yaml", got)
	}
	var patches []string
	for _, p := range dig(k, "patches").([]any) {
		patches = append(patches, dig(p, "patch").(string))
	}
	var deleted, headless bool
	for _, p := range patches {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(p), &m); err != nil {
			t.Fatalf("patch %q: %v", p, err)
		}
		switch {
		case m["kind"] == "Deployment" && m["$patch"] == "delete" && dig(m, "metadata", "name") == Name:
			deleted = true
		case m["kind"] == "Service" && dig(m, "spec", "clusterIP") == "None" && dig(m, "metadata", "name") == Name:
			headless = true
		}
	}
	if !deleted || !headless {
		t.Errorf("patches %q: Deployment deleted %v, Service headless %v; want both", patches, deleted, headless)
	}
	parent := decodeMap(t, "deploy/kubernetes/kustomization.yaml")
	if !reflect.DeepEqual(k["images"], parent["images"]) {
		t.Errorf("images %v, the parent's are %v", k["images"], parent["images"])
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Log("kubectl not installed: skipping `kubectl kustomize`")
		return
	}
	out, err := exec.Command(kubectl, "kustomize", "kubernetes-sharded").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize deploy/kubernetes-sharded: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "\nkind: Deployment\n") || !strings.Contains(string(out), "\nkind: StatefulSet\n") || !strings.Contains(string(out), "\nkind: PodDisruptionBudget\n") || !strings.Contains(string(out), "clusterIP: None") {
		t.Errorf("kubectl kustomize deploy/kubernetes-sharded:\n%s", out)
	}
}

type scrapeConfig struct {
	JobName        string            `yaml:"job_name"`
	MetricsPath    string            `yaml:"metrics_path"`
	RelabelConfigs []*relabel.Config `yaml:"relabel_configs"`
}

// probeJob reads the billing-accounts job of a Prometheus configuration
// with Prometheus' own relabel types.
func probeJob(t *testing.T, rel string) scrapeConfig {
	t.Helper()
	var c struct {
		ScrapeConfigs []scrapeConfig `yaml:"scrape_configs"`
	}
	if err := yamlv2.Unmarshal(readFile(t, rel), &c); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	for _, sc := range c.ScrapeConfigs {
		if sc.JobName == "billing-accounts" {
			for _, r := range sc.RelabelConfigs {
				r.NameValidationScheme = model.UTF8Validation
				if err := r.Validate(model.UTF8Validation); err != nil {
					t.Fatalf("%s: %v", rel, err)
				}
			}
			return sc
		}
	}
	t.Fatalf("%s: no job billing-accounts", rel)
	return scrapeConfig{}
}

// TestProbeConfigsRelabelSDTargetsIntoProbes: Prometheus' relabelling of
// probe.yml and probe-hashmod.yml turns what /sd lists into a /probe of
// the account at the replica that listed it, and the hashmod server keeps
// exactly the accounts of its shard.
func TestProbeConfigsRelabelSDTargetsIntoProbes(t *testing.T) {
	for _, file := range []string{"deploy/prometheus/probe.yml", "deploy/prometheus/probe-hashmod.yml"} {
		job := probeJob(t, file)
		if job.MetricsPath != "/probe" {
			t.Errorf("%s: metrics_path %q", file, job.MetricsPath)
		}
		kept := 0
		for i := range 40 {
			name := "customer-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
			lb := promlabels.NewBuilder(promlabels.FromStrings(
				"__address__", name,
				"__meta_url", "http://billing-exporter-1.billing-exporter:9977/sd",
				"__meta_billing_provider", "docspace",
				"__scheme__", "http",
			))
			keep := relabel.ProcessBuilder(lb, job.RelabelConfigs...)
			hashmod := strings.HasSuffix(file, "hashmod.yml")
			if want := !hashmod || config.ShardOf(name, 2) == 0; keep != want {
				t.Errorf("%s: %s kept %v, want %v", file, name, keep, want)
			}
			if !keep {
				continue
			}
			kept++
			got := map[string]string{}
			for _, l := range []string{"__address__", "__param_target", "__scheme__", "account", "provider", "instance"} {
				got[l] = lb.Get(l)
			}
			want := map[string]string{
				"__address__": "billing-exporter-1.billing-exporter:9977", "__param_target": name, "__scheme__": "http",
				"account": name, "provider": "docspace", "instance": "billing-exporter-1.billing-exporter:9977",
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s relabelled to %v, want %v", file, name, got, want)
			}
		}
		if kept == 0 || kept == 40 && strings.HasSuffix(file, "hashmod.yml") {
			t.Errorf("%s kept %d of 40 accounts", file, kept)
		}
	}
}

// TestProbeConfigsCheck: promtool accepts the probe configurations and
// the probe alert's unit test passes.
func TestProbeConfigsCheck(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed")
	}
	for _, args := range [][]string{
		{"check", "config", "prometheus/probe.yml"},
		{"check", "config", "prometheus/probe-hashmod.yml"},
		{"test", "rules", "prometheus/probe-rules.test.yml"},
	} {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
