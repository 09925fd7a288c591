package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Every shipped alert has a severity, a summary, a description, a runbook
// section in README.md its runbook_url points at, and promtool unit tests
// that see it both fire and stay silent.
func TestEveryAlertHasRunbookAndUnitTests(t *testing.T) {
	root := filepath.Join("..", "..")
	read := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert       string
				Labels      map[string]string
				Annotations map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(read("deploy/prometheus/billing-rules.yml"), &rules); err != nil {
		t.Fatal(err)
	}
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string         `yaml:"alertname"`
				ExpAlerts []any          `yaml:"exp_alerts"`
				Extra     map[string]any `yaml:",inline"`
			} `yaml:"alert_rule_test"`
		}
	}
	if err := yaml.Unmarshal(read("deploy/prometheus/billing-rules.test.yml"), &tests); err != nil {
		t.Fatal(err)
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	readme := string(read("README.md"))

	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			if r.Labels["severity"] == "" {
				t.Errorf("%s: no severity label", r.Alert)
			}
			for _, a := range []string{"summary", "description"} {
				if r.Annotations[a] == "" {
					t.Errorf("%s: no %s", r.Alert, a)
				}
			}
			want := "https://github.com/billing-exporter/billing-exporter#runbook-" + strings.ToLower(r.Alert)
			if r.Annotations["runbook_url"] != want {
				t.Errorf("%s: runbook_url %q, want %q", r.Alert, r.Annotations["runbook_url"], want)
			}
			if !strings.Contains(readme, "\n### Runbook: "+r.Alert+"\n") {
				t.Errorf("%s: README.md has no \"### Runbook: %s\" section", r.Alert, r.Alert)
			}
			if !fires[r.Alert] || !silent[r.Alert] {
				t.Errorf("%s: promtool tests must see it fire (%v) and stay silent (%v)", r.Alert, fires[r.Alert], silent[r.Alert])
			}
		}
	}
	if n < 13 {
		t.Fatalf("only %d alerts parsed", n)
	}
}
