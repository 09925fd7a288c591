// Package charts holds the tests of the Helm chart in billing-exporter/:
// `helm lint` and `helm template` through Helm's own Go packages, the
// rendered objects compared with the kustomize manifests of deploy/. It is
// a module of its own so that Helm's dependencies stay out of the
// exporter's; `make test` runs it.
package charts
