package collector

import (
	"strconv"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
)

// SelfMetrics are the exporter's own series that do not depend on a scrape:
// Go runtime, process, build info and configuration reloads. They live here,
// not in cmd/, so that the tests holding rules and dashboards to the metrics
// the exporter serves read the same descriptors the binary registers.
type SelfMetrics struct {
	ReloadSuccessful  prometheus.Gauge
	ReloadSuccessTime prometheus.Gauge
	Reloads           *prometheus.CounterVec
}

// NewSelfMetrics registers the exporter's own metrics with reg.
func NewSelfMetrics(reg prometheus.Registerer) *SelfMetrics {
	m := &SelfMetrics{
		ReloadSuccessful: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "billing_exporter_config_last_reload_successful",
			Help: "Whether the last configuration reload attempt was successful (1) or kept the previous configuration (0).",
		}),
		ReloadSuccessTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "billing_exporter_config_last_reload_success_timestamp_seconds",
			Help: "Timestamp of the last successful configuration load.",
		}),
		Reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "billing_exporter_config_reloads_total",
			Help: "Configuration reload attempts by trigger (SIGHUP, HTTP, secret_file: a key or password file changed) and result (success, failure).",
		}, []string{"trigger", "result"}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		versioncollector.NewCollector("billing_exporter"),
		m.ReloadSuccessful, m.ReloadSuccessTime, m.Reloads,
	)
	return m
}

// RegisterShardMetrics registers the replica's shard and the number of
// accounts it serves, read from accounts at each scrape (a reload changes it).
func RegisterShardMetrics(reg prometheus.Registerer, s config.Shard, accounts func() int) {
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "billing_exporter_shard_info",
		Help:        "The shard of the accounts this replica serves: those whose hashmod of the account name by total is index.",
		ConstLabels: prometheus.Labels{"index": strconv.FormatUint(s.Index, 10), "total": strconv.FormatUint(s.Total, 10)},
	})
	info.Set(1)
	reg.MustRegister(info, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "billing_exporter_accounts",
		Help: "Accounts this replica serves (its shard's).",
	}, func() float64 { return float64(accounts()) }))
}
