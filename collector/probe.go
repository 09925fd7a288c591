package collector

import (
	"context"
	"strconv"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/expo"
	"github.com/prometheus/client_golang/prometheus"
)

// Target is one account as service discovery lists it.
type Target struct {
	Name, Provider string
}

// Targets lists the accounts this exporter serves, in configuration order.
func (e *Exporter) Targets() []Target {
	out := make([]Target, 0, len(e.targets))
	for _, t := range e.targets {
		out = append(out, Target{Name: t.acct.Name, Provider: t.acct.Provider})
	}
	return out
}

// Probe is Gather for the one account named account: its billing and
// health families only, through the same clients, caches and reuse as
// every other scrape, so that an account read through both costs one
// upstream request. It reports false, calling nothing, when no account has
// that name.
func (e *Exporter) Probe(ctx context.Context, account string) ([]expo.Family, bool) {
	for _, t := range e.targets {
		if t.acct.Name == account {
			one := *e
			one.targets = []*target{t}
			return one.render(ctx), true
		}
	}
	return nil, false
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
