package main

import (
	"sync"
	"sync/atomic"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
)

// running is one loaded configuration and the exporter built from it;
// scrapes take whichever is current when they start.
type running struct {
	cfg *config.Config
	exp *collector.Exporter
}

// reloader owns the current configuration. A reload that fails leaves the
// running one untouched, as Prometheus does.
type reloader struct {
	mu      sync.Mutex // serialises reloads; scrapes never wait on it
	current atomic.Pointer[running]
	load    func() (*config.Config, error)
	logger  log.Logger

	// shared holds what does not depend on the scrape: the process, Go,
	// build info, reload state and upstream request metrics.
	shared      *prometheus.Registry
	lastOK      prometheus.Gauge
	lastOKTime  prometheus.Gauge
	reloadTotal *prometheus.CounterVec
}

func newReloader(cfg *config.Config, load func() (*config.Config, error), logger log.Logger) (*reloader, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		versioncollector.NewCollector("billing_exporter"),
	)
	rl := &reloader{
		load:   load,
		logger: logger,
		shared: reg,
		lastOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "billing_exporter_config_last_reload_successful",
			Help: "Whether the last configuration reload attempt was successful (1) or kept the previous configuration (0).",
		}),
		lastOKTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "billing_exporter_config_last_reload_success_timestamp_seconds",
			Help: "Timestamp of the last successful configuration load.",
		}),
		reloadTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "billing_exporter_config_reloads_total",
			Help: "Configuration reload attempts by trigger (SIGHUP, HTTP) and result (success, failure).",
		}, []string{"trigger", "result"}),
	}
	reg.MustRegister(rl.lastOK, rl.lastOKTime, rl.reloadTotal)
	exp, err := collector.New(cfg, collector.Options{Logger: logger, Metrics: scrape.NewMetrics(reg)})
	if err != nil {
		return nil, err
	}
	rl.current.Store(&running{cfg: cfg, exp: exp})
	rl.lastOK.Set(1)
	rl.lastOKTime.SetToCurrentTime()
	return rl, nil
}

// reload reads the configuration again and swaps it in only if it loads
// and builds. Unchanged accounts keep their clients, so their caches and
// tokens survive; removed accounts vanish from the next scrape.
func (rl *reloader) reload(trigger string) error {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	cur := rl.current.Load()
	cfg, err := rl.load()
	var next *collector.Exporter
	if err == nil {
		next, err = cur.exp.Reload(cfg)
	}
	if err != nil {
		rl.lastOK.Set(0)
		rl.reloadTotal.WithLabelValues(trigger, "failure").Inc()
		level.Error(rl.logger).Log("msg", "reload failed; keeping the running configuration", "trigger", trigger, "err", err)
		return err
	}
	rl.current.Store(&running{cfg: cfg, exp: next})
	rl.lastOK.Set(1)
	rl.lastOKTime.SetToCurrentTime()
	rl.reloadTotal.WithLabelValues(trigger, "success").Inc()
	level.Info(rl.logger).Log("msg", "configuration reloaded", "trigger", trigger, "accounts", len(cfg.Accounts))
	return nil
}
