package deploy

import (
	"os"
	"path/filepath"
)

// ChartDir is the Helm chart's directory, relative to the repository root.
// Helm reads no file outside it, so the chart carries copies of the rules,
// the example configuration and the dashboards, generated like the
// Kubernetes files.
const ChartDir = "charts/billing-exporter"

// DashboardsDir holds the Grafana dashboards the chart ships as ConfigMaps.
const DashboardsDir = "grafana/dashboards"

// chartFiles returns the chart's generated files, by path relative to root:
// the rule file as it is, config.yml with its key files under KeysDir, and
// every dashboard.
func chartFiles(root string, rules, cfg []byte) (map[string][]byte, error) {
	out := map[string][]byte{
		ChartDir + "/files/billing-rules.yml": rules,
		ChartDir + "/files/config.yml":        K8sConfig(cfg),
	}
	dashboards, err := filepath.Glob(filepath.Join(root, DashboardsDir, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, d := range dashboards {
		b, err := os.ReadFile(d)
		if err != nil {
			return nil, err
		}
		out[ChartDir+"/dashboards/"+filepath.Base(d)] = b
	}
	return out, nil
}
