// Package grafana builds billing-exporter's Grafana dashboards with
// Grafana's own schema types (grafana-foundation-sdk), so that a dashboard
// that does not fit the schema does not compile or does not build.
//
// The JSON that Grafana loads is committed under dashboards/ and
// provisioned from provisioning/. Its tests check that the committed JSON
// is what this package generates and that it passes the SDK's strict
// decoding and validation. After editing a dashboard here, regenerate it:
//
//	go test ./grafana -update
package grafana
