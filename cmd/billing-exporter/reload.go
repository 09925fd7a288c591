package main

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
)

// now is the clock of the reload success timestamp; tests step it, so that
// a reload's timestamp moves without waiting for the wall clock to.
var now = time.Now

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

	// shared holds what client_golang gathers: the process, Go, build
	// info, reload state and the upstream request duration histogram.
	shared *prometheus.Registry
	self   *collector.SelfMetrics
}

func newReloader(cfg *config.Config, load func() (*config.Config, error), logger log.Logger) (*reloader, error) {
	reg := prometheus.NewRegistry()
	rl := &reloader{
		load:   load,
		logger: logger,
		shared: reg,
		self:   collector.NewSelfMetrics(reg),
	}
	// The upstream counters are written by the exporter; only their
	// duration histogram is on shared.
	exp, err := collector.New(cfg, collector.Options{Logger: logger, Metrics: scrape.NewMetrics(reg)})
	if err != nil {
		return nil, err
	}
	rl.install(cfg, exp)
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
		rl.self.ReloadSuccessful.Set(0)
		rl.self.Reloads.WithLabelValues(trigger, "failure").Inc()
		level.Error(rl.logger).Log("msg", "reload failed; keeping the running configuration", "trigger", trigger, "err", err)
		return err
	}
	rl.install(cfg, next)
	rl.self.Reloads.WithLabelValues(trigger, "success").Inc()
	level.Info(rl.logger).Log("msg", "configuration reloaded", "trigger", trigger, "accounts", len(cfg.Accounts))
	return nil
}

// install makes cfg and exp the running configuration and records a
// successful load.
func (rl *reloader) install(cfg *config.Config, exp *collector.Exporter) {
	rl.current.Store(&running{cfg: cfg, exp: exp})
	rl.self.ReloadSuccessful.Set(1)
	rl.self.ReloadSuccessTime.Set(float64(now().UnixNano()) / 1e9)
}
