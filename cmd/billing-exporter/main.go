// Command billing-exporter serves vendors' billing data as Prometheus
// metrics. This file only wires flags, configuration, logging and the HTTP
// server; everything provider-specific lives in collector/.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// defaultListenAddress is in the 9100-9999 range Prometheus exporters use.
const defaultListenAddress = ":9977"

type flags struct {
	configFile    string
	listenAddress string
	telemetryPath string
	logLevel      string
	logFormat     string
	demo          bool
	configCheck   bool
	timeoutOffset float64
	maxTimeout    time.Duration
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, nil))
}

// run is main without the process: tests call it with a stop channel.
func run(args []string, stdout, stderr io.Writer, stop <-chan struct{}) int {
	app := kingpin.New("billing-exporter", "Prometheus exporter for SaaS billing: balances, plans, due dates, trials, cloud costs.")
	app.HelpFlag.Short('h')
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	var f flags
	app.Flag("config.file", "Path to the configuration file.").Default("config.yml").StringVar(&f.configFile)
	app.Flag("config.check", "Validate the configuration, print a summary without secrets and exit (0 valid, 1 invalid).").BoolVar(&f.configCheck)
	app.Flag("web.listen-address", "Address to listen on for the web interface and telemetry.").Default(defaultListenAddress).StringVar(&f.listenAddress)
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&f.telemetryPath)
	app.Flag("log.level", "Only log messages with the given severity or above. One of: [debug, info, warn, error]").Default("info").EnumVar(&f.logLevel, "debug", "info", "warn", "error")
	app.Flag("log.format", "Output format of log messages. One of: [logfmt, json]").Default("logfmt").EnumVar(&f.logFormat, "logfmt", "json")
	app.Flag("demo", "Run against a built-in simulation of the vendor APIs on loopback; no config file or credentials needed.").BoolVar(&f.demo)
	app.Flag("scrape.timeout-offset", "Seconds subtracted from Prometheus' X-Prometheus-Scrape-Timeout-Seconds so that the exporter answers before Prometheus gives up.").Default("0.5").Float64Var(&f.timeoutOffset)
	app.Flag("scrape.max-timeout", "Longest a scrape may take when Prometheus sends no timeout header.").Default("30s").DurationVar(&f.maxTimeout)
	if _, err := app.Parse(args); err != nil {
		fmt.Fprintf(stderr, "billing-exporter: %v\n", err)
		return 2
	}
	logger := newLogger(stderr, f.logFormat, f.logLevel)

	var cfg *config.Config
	var demo *sandbox.Demo
	var err error
	switch {
	case f.demo:
		demo, err = sandbox.StartDemo(nil)
		if err != nil {
			level.Error(logger).Log("msg", "cannot start the demo", "err", err)
			return 1
		}
		defer demo.Close()
		cfg = demo.Config
		level.Info(logger).Log("msg", "demo mode: simulated vendor APIs on loopback", "url", demo.Server.URL(), "accounts", len(cfg.Accounts))
	default:
		cfg, err = config.Load(f.configFile)
	}
	if f.configCheck {
		if err != nil {
			fmt.Fprintf(stderr, "configuration invalid: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "configuration valid: %d accounts\n%s", len(cfg.Accounts), cfg.Summary())
		return 0
	}
	if err != nil {
		level.Error(logger).Log("msg", "cannot load configuration", "err", err)
		return 1
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	upstream := scrape.NewMetrics(reg)
	exp, err := collector.New(cfg, collector.Options{Logger: logger, Metrics: upstream})
	if err != nil {
		level.Error(logger).Log("msg", "cannot set up collectors", "err", err)
		return 1
	}

	mux := http.NewServeMux()
	mux.Handle(f.telemetryPath, metricsHandler(exp, reg, logger, f.timeoutOffset, f.maxTimeout))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<html><head><title>billing-exporter</title></head><body><h1>billing-exporter</h1><p><a href=%q>Metrics</a></p></body></html>", f.telemetryPath)
	})
	srv := &http.Server{Addr: f.listenAddress, Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	level.Info(logger).Log("msg", "listening", "address", f.listenAddress, "metrics", "http://"+displayAddr(f.listenAddress)+f.telemetryPath)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sigs)
	select {
	case err := <-errc:
		level.Error(logger).Log("msg", "HTTP server failed", "err", err)
		return 1
	case <-sigs:
	case <-stop:
	}
	level.Info(logger).Log("msg", "shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), f.maxTimeout+5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		level.Error(logger).Log("msg", "shutdown", "err", err)
		return 1
	}
	return 0
}

// metricsHandler builds a registry per request so that the billing
// collector runs under the scrape's own deadline, as mysqld_exporter does.
func metricsHandler(exp *collector.Exporter, shared *prometheus.Registry, logger log.Logger, offset float64, max time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		timeout := max
		if v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); v != "" {
			if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
				t := time.Duration((s - offset) * float64(time.Second))
				if t < 100*time.Millisecond {
					t = 100 * time.Millisecond
				}
				if t < timeout {
					timeout = t
				}
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		perScrape := prometheus.NewRegistry()
		perScrape.MustRegister(exp.WithContext(ctx))
		promhttp.HandlerFor(prometheus.Gatherers{perScrape, shared}, promhttp.HandlerOpts{
			ErrorLog:      stdLogger{logger},
			ErrorHandling: promhttp.ContinueOnError,
		}).ServeHTTP(w, r)
	})
}

type stdLogger struct{ l log.Logger }

func (s stdLogger) Println(v ...any) { level.Error(s.l).Log("msg", fmt.Sprint(v...)) }

func newLogger(w io.Writer, format, lvl string) log.Logger {
	var l log.Logger
	if format == "json" {
		l = log.NewJSONLogger(log.NewSyncWriter(w))
	} else {
		l = log.NewLogfmtLogger(log.NewSyncWriter(w))
	}
	l = level.NewFilter(l, level.Allow(level.ParseDefault(lvl, level.InfoValue())))
	return log.With(l, "ts", log.DefaultTimestampUTC, "caller", log.DefaultCaller)
}

func displayAddr(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "localhost" + addr
	}
	return addr
}
