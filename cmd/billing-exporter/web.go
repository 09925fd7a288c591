package main

import (
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"unicode"

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

// site is what the routes' handlers are built from.
type site struct {
	h     *handler
	rl    *reloader
	f     *flags
	shard config.Shard
	opt   serve.Options // its Logger is the site's
}

// route is a path the web interface serves besides --web.telemetry-path,
// with its link on the landing page (none without text).
type route struct {
	path, text, description string
	handler                 func(*site) (http.Handler, error)
}

// routes are what newHandler registers besides the telemetry path, which
// checkTelemetryPath keeps off them: http.ServeMux panics on a second
// pattern for one path. The telemetry path may take over the landing
// page "/" alone.
func routes() []route {
	return []route{
		{path: "/", handler: (*site).landing},
		{path: "/probe", text: "Probe", description: "one account's metrics: /probe?target=<account>", handler: (*site).probe},
		{path: "/sd", text: "Service discovery", description: "this replica's accounts as Prometheus HTTP SD targets", handler: (*site).sd},
		{path: "/config", text: "Configuration", description: "the running configuration, secrets shown as <secret>", handler: (*site).config},
		{path: "/-/healthy", text: "Health", handler: (*site).healthy},
		{path: "/-/ready", text: "Readiness", handler: (*site).readiness},
		{path: "/-/reload", handler: (*site).reload},
	}
}

func newHandler(rl *reloader, f *flags, shard config.Shard, logger log.Logger) (*handler, error) {
	h := &handler{mux: http.NewServeMux()}
	h.ready.Store(true)
	s := &site{h: h, rl: rl, f: f, shard: shard,
		opt: serve.Options{Logger: logger, TimeoutOffset: f.timeoutOffset, MaxTimeout: f.maxTimeout}}
	h.mux.Handle(f.telemetryPath, serve.Text(func() *collector.Exporter { return rl.current.Load().exp }, rl.shared, s.opt))
	for _, r := range routes() {
		if r.path == f.telemetryPath {
			continue
		}
		rh, err := r.handler(s)
		if err != nil {
			return nil, err
		}
		h.mux.Handle(r.path, rh)
	}
	return h, nil
}

// checkTelemetryPath refuses a path that http.ServeMux would not take
// (it panics), would read as more than a path (a host, a method, a
// wildcard), would never route a request to (requests are
// cleaned first), or that another route already serves.
func checkTelemetryPath(p string) error {
	switch {
	case p == "":
		return errors.New("is empty; the default is /metrics")
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q must start with /", p)
	case strings.ContainsFunc(p, notInPath):
		return fmt.Errorf("%q must be a plain URL path, without spaces, control characters, ?, # or braces", p)
	case p != path.Clean(p) && p != path.Clean(p)+"/":
		return fmt.Errorf("%q is not a clean path (no //, . or .. segments): no request would reach it", p)
	}
	var own []string
	for _, r := range routes() {
		if r.path != "/" {
			own = append(own, r.path)
		}
	}
	if slices.Contains(own, p) {
		return fmt.Errorf("%q is one of the exporter's own paths (%s); choose another", p, strings.Join(own, ", "))
	}
	return nil
}

// notInPath reports a rune a pattern of http.ServeMux reads as more than
// a path (space: after a method; braces: a wildcard) or no request path
// holds (a query, a fragment, control characters).
func notInPath(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("?#{}", r)
}

// landing is the landing page, linking the telemetry path and the routes
// with a text.
func (s *site) landing() (http.Handler, error) {
	links := []web.LandingLinks{{Address: s.f.telemetryPath, Text: "Metrics"}}
	for _, r := range routes() {
		if r.text != "" {
			links = append(links, web.LandingLinks{Address: r.path, Text: r.text, Description: r.description})
		}
	}
	return web.NewLandingPage(web.LandingConfig{
		Name:        exporterName,
		Description: "Prometheus exporter for SaaS billing: balances, plans, due dates, trials, cloud costs.",
		Version:     version.Info(),
		Links:       links,
	})
}

func (s *site) running() (*collector.Exporter, *config.Config) {
	r := s.rl.current.Load()
	return r.exp, r.cfg
}

func (s *site) probe() (http.Handler, error) { return serve.Probe(s.running, s.shard, s.opt), nil }

func (s *site) sd() (http.Handler, error) { return serve.SD(s.running, s.shard, s.opt.Logger), nil }

// A failed write to a client that hung up has no one to be reported to.
func (s *site) config() (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprint(w, s.rl.current.Load().cfg.Summary())
	}), nil
}

func (s *site) healthy() (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprintln(w, "Healthy")
	}), nil
}

func (s *site) readiness() (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !s.h.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintln(w, "Shutting down")
			return
		}
		_, _ = fmt.Fprintln(w, "Ready")
	}), nil
}

func (s *site) reload() (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !s.f.enableLifecycle:
			http.Error(w, "Lifecycle API is not enabled (--web.enable-lifecycle).", http.StatusForbidden)
		case r.Method != http.MethodPost && r.Method != http.MethodPut:
			w.Header().Set("Allow", "POST, PUT")
			http.Error(w, "Only POST or PUT requests allowed.", http.StatusMethodNotAllowed)
		default:
			if err := s.rl.reload("HTTP"); err != nil {
				http.Error(w, "failed to reload config: "+err.Error(), http.StatusInternalServerError)
				return
			}
			_, _ = fmt.Fprintln(w, "OK")
		}
	}), nil
}
