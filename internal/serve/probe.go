package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// Running is what the probe and discovery endpoints read at each request:
// the current exporter and the configuration it was built from (a reload
// replaces both).
type Running func() (*collector.Exporter, *config.Config)

// Probe serves /probe?target=<account>: that account's billing and health
// families only, under the deadline of that scrape, as blackbox_exporter
// probes one target per request. It goes through the exporter /metrics
// uses, so both share each account's cache and in-flight requests. An
// account this replica does not serve is a 404 saying why: not configured,
// or which shard serves it.
func Probe(current Running, s config.Shard, opt Options) http.Handler {
	logger := orNop(opt.Logger)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("target")
		if name == "" {
			http.Error(w, "missing parameter target: the account name, e.g. /probe?target=docspace-main", http.StatusBadRequest)
			return
		}
		exp, cfg := current()
		ctx, cancel := context.WithTimeout(r.Context(), ScrapeTimeout(r, opt.TimeoutOffset, opt.MaxTimeout))
		defer cancel()
		if fams, ok := exp.Probe(ctx, name); ok {
			writeText(w, r, fams, logger)
			return
		}
		if shard, ok := cfg.Elsewhere[name]; ok {
			http.Error(w, fmt.Sprintf("account %q is served by shard %d of %d; this replica serves shard %d", name, shard, s.Total, s.Index), http.StatusNotFound)
			return
		}
		http.Error(w, fmt.Sprintf("unknown account %q: it is not in the configuration", name), http.StatusNotFound)
	})
}

// targetGroup is one entry of Prometheus' HTTP service discovery format.
type targetGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// SD serves this replica's accounts in Prometheus' HTTP service discovery
// format, one target per account named by its account name, for a scrape
// config to relabel into /probe URLs (README: Scaling out).
func SD(current Running, s config.Shard, logger log.Logger) http.Handler {
	logger = orNop(logger)
	index, total := strconv.FormatUint(s.Index, 10), strconv.FormatUint(s.Total, 10)
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		exp, _ := current()
		groups := []targetGroup{}
		for _, t := range exp.Targets() {
			groups = append(groups, targetGroup{
				Targets: []string{t.Name},
				Labels: map[string]string{
					"__meta_billing_provider":    t.Provider,
					"__meta_billing_shard":       index,
					"__meta_billing_shard_total": total,
				},
			})
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(groups); err != nil {
			level.Error(logger).Log("msg", "writing service discovery", "err", err)
		}
	})
}
