package main

import (
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/serve"
	"github.com/go-kit/log"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
)

// handler is the exporter's web interface: landing page, metrics, the
// config summary, health, readiness and (opt-in) reload.
type handler struct {
	mux   *http.ServeMux
	ready atomic.Bool
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func newHandler(rl *reloader, f *flags, shard config.Shard, logger log.Logger) (*handler, error) {
	h := &handler{mux: http.NewServeMux()}
	h.ready.Store(true)

	links := []web.LandingLinks{
		{Address: f.telemetryPath, Text: "Metrics"},
		{Address: "/probe", Text: "Probe", Description: "one account's metrics: /probe?target=<account>"},
		{Address: "/sd", Text: "Service discovery", Description: "this replica's accounts as Prometheus HTTP SD targets"},
		{Address: "/config", Text: "Configuration", Description: "the running configuration, secrets shown as <secret>"},
		{Address: "/-/healthy", Text: "Health"},
		{Address: "/-/ready", Text: "Readiness"},
	}
	if f.telemetryPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        exporterName,
			Description: "Prometheus exporter for SaaS billing: balances, plans, due dates, trials, cloud costs.",
			Version:     version.Info(),
			Links:       links,
		})
		if err != nil {
			return nil, err
		}
		h.mux.Handle("/", landing)
	}
	opt := serve.Options{Logger: logger, TimeoutOffset: f.timeoutOffset, MaxTimeout: f.maxTimeout}
	h.mux.Handle(f.telemetryPath, serve.Text(func() *collector.Exporter { return rl.current.Load().exp }, rl.shared, opt))
	running := func() (*collector.Exporter, *config.Config) { r := rl.current.Load(); return r.exp, r.cfg }
	h.mux.Handle("/probe", serve.Probe(running, shard, opt))
	h.mux.Handle("/sd", serve.SD(running, shard, logger))
	// A failed write to a client that hung up has no one to be reported to.
	h.mux.HandleFunc("/config", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprint(w, rl.current.Load().cfg.Summary())
	})
	h.mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprintln(w, "Healthy")
	})
	h.mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !h.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintln(w, "Shutting down")
			return
		}
		_, _ = fmt.Fprintln(w, "Ready")
	})
	h.mux.HandleFunc("/-/reload", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !f.enableLifecycle:
			http.Error(w, "Lifecycle API is not enabled (--web.enable-lifecycle).", http.StatusForbidden)
		case r.Method != http.MethodPost && r.Method != http.MethodPut:
			w.Header().Set("Allow", "POST, PUT")
			http.Error(w, "Only POST or PUT requests allowed.", http.StatusMethodNotAllowed)
		default:
			if err := rl.reload("HTTP"); err != nil {
				http.Error(w, "failed to reload config: "+err.Error(), http.StatusInternalServerError)
				return
			}
			_, _ = fmt.Fprintln(w, "OK")
		}
	})
	return h, nil
}
