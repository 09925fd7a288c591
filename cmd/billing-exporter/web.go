package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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

func newHandler(rl *reloader, f *flags, logger log.Logger) (*handler, error) {
	h := &handler{mux: http.NewServeMux()}
	h.ready.Store(true)

	links := []web.LandingLinks{
		{Address: f.telemetryPath, Text: "Metrics"},
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
	h.mux.Handle(f.telemetryPath, metricsHandler(rl, logger, f.timeoutOffset, f.maxTimeout))
	h.mux.HandleFunc("/config", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, rl.current.Load().cfg.Summary())
	})
	h.mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "Healthy")
	})
	h.mux.HandleFunc("/-/ready", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !h.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "Shutting down")
			return
		}
		fmt.Fprintln(w, "Ready")
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
			fmt.Fprintln(w, "OK")
		}
	})
	return h, nil
}

// metricsHandler builds a registry per request so that the billing
// collector runs under the scrape's own deadline, as mysqld_exporter does,
// and on whichever configuration is current when the scrape starts.
func metricsHandler(rl *reloader, logger log.Logger, offset float64, limit time.Duration) http.Handler {
	opts := promhttp.HandlerOpts{ErrorLog: stdLogger{logger}, ErrorHandling: promhttp.ContinueOnError}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), scrapeTimeout(r, offset, limit))
		defer cancel()
		perScrape := prometheus.NewRegistry()
		perScrape.MustRegister(rl.current.Load().exp.WithContext(ctx))
		promhttp.HandlerFor(prometheus.Gatherers{perScrape, rl.shared}, opts).ServeHTTP(w, r)
	})
}

// scrapeTimeout is Prometheus' own timeout less the offset, never above
// limit and never so small that nothing can answer.
func scrapeTimeout(r *http.Request, offset float64, limit time.Duration) time.Duration {
	timeout := limit
	if v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
			t := time.Duration((s - offset) * float64(time.Second))
			t = min(max(t, 100*time.Millisecond), timeout)
			timeout = t
		}
	}
	return timeout
}

type stdLogger struct{ l log.Logger }

func (s stdLogger) Println(v ...any) { level.Error(s.l).Log("msg", fmt.Sprint(v...)) }
