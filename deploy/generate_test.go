package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// root is the repository's root: go test runs in deploy/.
const root = ".."

// The committed files are what `go generate ./deploy/...` writes: editing
// one by hand, or the rule file or config.yml without regenerating, fails.
func TestGeneratedFilesUpToDate(t *testing.T) {
	files, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	dashboards, _ := filepath.Glob(filepath.Join(root, DashboardsDir, "*.json"))
	if want := 6 + 2*len(dashboards); len(files) != want || len(dashboards) == 0 {
		t.Errorf("Generate returned %d files, want %d: two Kubernetes files, the chart's rules, config and %d dashboards, and the mixin's rules, dashboards and their index",
			len(files), want, len(dashboards))
	}
	for path, want := range files {
		got, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Errorf("%v: run `go generate ./deploy/...`", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date (%s); run `go generate ./deploy/...`", path, firstDiff(got, want))
		}
	}
}

// firstDiff names the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		if i >= len(g) || i >= len(w) || g[i] != w[i] {
			var gl, wl string
			if i < len(g) {
				gl = g[i]
			}
			if i < len(w) {
				wl = w[i]
			}
			return fmt.Sprintf("line %d: committed %q, generated %q", i+1, gl, wl)
		}
	}
	return "identical lines, different bytes"
}

func TestPrometheusRuleKeepsGroupsAndComments(t *testing.T) {
	src := "# header, dropped\ngroups:\n  # kept\n  - name: g\n    rules:\n      - alert: A\n        expr: |\n          up\n\n          == 0\n"
	out, err := PrometheusRule([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{"kind: PrometheusRule", "\nspec:\n  groups:\n    # kept\n    - name: g\n", "            up\n\n            == 0\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "header, dropped") {
		t.Error("the rule file's header comment was copied")
	}
	for _, bad := range []string{
		"",
		"groups: []\nextra: 1\n", // a key that would be lost
		"  groups:\n    - name: g\n",
	} {
		if _, err := PrometheusRule([]byte(bad)); err == nil {
			t.Errorf("PrometheusRule(%q) did not fail", bad)
		}
	}
}

// The ConfigMap holds its input exactly, whatever the text's first and last
// lines look like.
func TestConfigMapRoundTrip(t *testing.T) {
	for _, in := range []string{
		"accounts: []\n",
		"accounts: []",
		"accounts: []\n\n\n",
		"  # indented first line\naccounts: []\n",
		"# c\n\naccounts:\n  - api_key_file: /run/secrets/a\n    # password_file: /run/secrets/b\n",
	} {
		out, err := ConfigMap([]byte(in))
		if err != nil {
			t.Errorf("ConfigMap(%q): %v", in, err)
			continue
		}
		var cm struct {
			Data map[string]string `yaml:"data"`
		}
		if err := yaml.Unmarshal(out, &cm); err != nil {
			t.Fatalf("ConfigMap(%q) does not parse: %v", in, err)
		}
		if want := string(K8sConfig([]byte(in))); cm.Data[ConfigKey] != want {
			t.Errorf("ConfigMap(%q) holds %q, want %q", in, cm.Data[ConfigKey], want)
		}
	}
	got := string(K8sConfig([]byte("api_key_file: /run/secrets/a\n# password_file: /run/secrets/b\nbase_url: https://x/run/secrets/\n")))
	want := "api_key_file: " + KeysDir + "/a\n# password_file: " + KeysDir + "/b\nbase_url: https://x/run/secrets/\n"
	if got != want {
		t.Errorf("K8sConfig = %q, want %q", got, want)
	}
	if _, err := ConfigMap([]byte("\n")); err == nil {
		t.Error("an empty config was accepted")
	}
}
