// Package deploy holds the deployment files of billing-exporter (see
// README.md in this directory) and the code that generates two of them from
// the project's own sources, so that they cannot drift:
//
//   - kubernetes/prometheusrule.yaml from prometheus/billing-rules.yml;
//   - kubernetes/configmap.yaml from the repository's config.yml;
//   - the Helm chart's copies of both and of grafana/dashboards/ (Helm
//     reads no file outside charts/billing-exporter/);
//   - billing-mixin/'s copies of the rules and dashboards, and the index
//     of the dashboards it renders (a mixin vendors as one directory).
//
// Regenerate with `go generate ./deploy/...`; the package's tests fail when
// a committed file differs from what the generator writes, and check every
// YAML file under deploy/ against the exporter, the rules and each other.
package deploy

//go:generate go run ./gen
