// Command billing-exporter serves vendors' billing data as Prometheus
// metrics. This package only wires flags, configuration, logging and the
// HTTP server; everything provider-specific lives in collector/.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	// Account time zones must resolve in a distroless image without
	// /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/alecthomas/kingpin/v2"
	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"
	slokgokit "github.com/tjhop/slog-gokit"
)

// defaultListenAddress is in the 9100-9999 range Prometheus exporters use.
const defaultListenAddress = ":9977"

const exporterName = "billing-exporter"

type flags struct {
	configFile      string
	telemetryPath   string
	logLevel        string
	logFormat       string
	demo            bool
	configCheck     bool
	enableLifecycle bool
	showVersion     bool
	timeoutOffset   float64
	maxTimeout      time.Duration
	idleTimeout     time.Duration
	shutdownDelay   time.Duration
	secretsInterval time.Duration
	web             *web.FlagConfig
	shard           shardFlags
}

func main() {
	// Builds without the Makefile's ldflags (go run, go install) still
	// send a version in the User-Agent and build_info.
	if version.Version == "" {
		version.Version = "dev"
	}
	// Once per process: flights of one run may outlive it, and the tests
	// call run many times.
	scrape.Version = version.Version
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, nil))
}

func parseFlags(args []string, stdout, stderr io.Writer) (*flags, error) {
	app := kingpin.New(exporterName, "Prometheus exporter for SaaS billing: balances, plans, due dates, trials, cloud costs.")
	app.HelpFlag.Short('h')
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	f := &flags{}
	app.Flag("config.file", "Path to the configuration file.").Default("config.yml").StringVar(&f.configFile)
	app.Flag("config.check", "Validate the configuration, print a summary without secrets and exit (0 valid, 1 invalid).").BoolVar(&f.configCheck)
	app.Flag("config.secrets-check-interval", "How often the key and password files the configuration names are checked; a changed one reloads the configuration. 0s turns the check off.").Default("30s").DurationVar(&f.secretsInterval)
	f.web = kingpinflag.AddFlags(app, defaultListenAddress)
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&f.telemetryPath)
	app.Flag("web.enable-lifecycle", "Enable reloading the configuration via HTTP POST to /-/reload.").BoolVar(&f.enableLifecycle)
	app.Flag("web.idle-timeout", "Close keep-alive connections idle this long.").Default("2m").DurationVar(&f.idleTimeout)
	app.Flag("web.shutdown-delay", "After SIGTERM, keep serving with /-/ready answering 503 this long before closing the listener.").Default("0s").DurationVar(&f.shutdownDelay)
	app.Flag("log.level", "Only log messages with the given severity or above. One of: [debug, info, warn, error]").Default("info").EnumVar(&f.logLevel, "debug", "info", "warn", "error")
	app.Flag("log.format", "Output format of log messages. One of: [logfmt, json]").Default("logfmt").EnumVar(&f.logFormat, "logfmt", "json")
	app.Flag("demo", "Run against a built-in simulation of the vendor APIs on loopback; no config file or credentials needed.").BoolVar(&f.demo)
	app.Flag("scrape.timeout-offset", "Seconds subtracted from Prometheus' X-Prometheus-Scrape-Timeout-Seconds so that the exporter answers before Prometheus gives up.").Default("0.5").Float64Var(&f.timeoutOffset)
	app.Flag("scrape.max-timeout", "Longest a scrape may take when Prometheus sends no timeout header.").Default("30s").DurationVar(&f.maxTimeout)
	addShardFlags(app, &f.shard)
	// Our own flag rather than app.Version: kingpin's exits the process,
	// and run must return so tests can call it.
	app.Flag("version", "Show version information and exit.").BoolVar(&f.showVersion)
	if _, err := app.Parse(args); err != nil {
		return nil, err
	}
	// kingpin sets no defaults when --version is given, and nothing runs.
	if f.showVersion {
		return f, nil
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, nil
}

// maxScrapeTimeout bounds --scrape.max-timeout: the server's deadlines and
// the shutdown add to it, and no scrape is worth waiting an hour for.
const maxScrapeTimeout = time.Hour

// check refuses flag values that would panic at startup (a telemetry path
// the mux cannot take) or leave the exporter unable to work (a scrape
// deadline of 0, negative durations), naming the flag.
func (f *flags) check() error {
	if err := checkTelemetryPath(f.telemetryPath); err != nil {
		return fmt.Errorf("--web.telemetry-path: %w", err)
	}
	switch {
	case f.maxTimeout <= 0:
		return fmt.Errorf("--scrape.max-timeout: %v must be positive: every scrape would give up at once", f.maxTimeout)
	case f.maxTimeout > maxScrapeTimeout:
		return fmt.Errorf("--scrape.max-timeout: %v is above %v", f.maxTimeout, maxScrapeTimeout)
	case math.IsNaN(f.timeoutOffset) || f.timeoutOffset < 0:
		return fmt.Errorf("--scrape.timeout-offset: %v must be 0 or more seconds", f.timeoutOffset)
	case f.timeoutOffset >= f.maxTimeout.Seconds():
		return fmt.Errorf("--scrape.timeout-offset: %v s must be below --scrape.max-timeout (%v): no scrape would have time left", f.timeoutOffset, f.maxTimeout)
	case f.idleTimeout < 0:
		return fmt.Errorf("--web.idle-timeout: %v must not be negative (0 uses the read timeout)", f.idleTimeout)
	case f.shutdownDelay < 0:
		return fmt.Errorf("--web.shutdown-delay: %v must not be negative", f.shutdownDelay)
	}
	if err := checkSecretsInterval(f.secretsInterval); err != nil {
		return fmt.Errorf("--config.secrets-check-interval: %w", err)
	}
	return nil
}

// run is main without the process: tests call it with a stop channel.
func run(args []string, stdout, stderr io.Writer, stop <-chan struct{}) int {
	f, err := parseFlags(args, stdout, stderr)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "%s: %v\n", exporterName, err)
		return 2
	}
	if f.showVersion {
		_, _ = fmt.Fprintln(stdout, version.Print(exporterName))
		return 0
	}
	bridge, logger := newLoggers(stderr, f.logFormat, f.logLevel)
	shard, err := f.shard.shard()
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "%s: %v\n", exporterName, err)
		return 2
	}

	// load is what a reload calls again: the demo's in-memory config, or
	// the file.
	providers := collector.ConfigProviders()
	load := func() (*config.Config, error) {
		return config.LoadShard(f.configFile, shard, providers)
	}
	if f.demo {
		demo, err := collector.StartDemo(nil)
		if err != nil {
			level.Error(logger).Log("msg", "cannot start the demo", "err", err)
			return 1
		}
		defer demo.Close()
		load = func() (*config.Config, error) { return demo.Config.Sharded(shard), nil }
		level.Info(logger).Log("msg", "demo mode: simulated vendor APIs on loopback", "url", demo.Server.URL(), "accounts", len(demo.Config.Accounts))
	}
	cfg, err := load()
	if f.configCheck {
		if err == nil {
			// Building the collectors checks what only they know (endpoint
			// names, time zones) and calls no vendor.
			_, err = collector.New(cfg, collector.Options{})
		}
		if err != nil {
			_, _ = fmt.Fprintf(stderr, "configuration invalid: %v\n", err)
			return 1
		}
		_, _ = fmt.Fprintf(stdout, "configuration valid: %d accounts\n%s", len(cfg.Accounts), cfg.Summary())
		if shard.Total > 1 {
			printShards(stdout, cfg, shard)
		}
		return 0
	}
	if err != nil {
		level.Error(logger).Log("msg", "cannot load configuration", "err", err)
		return 1
	}
	level.Info(logger).Log("msg", "starting "+exporterName, "version", version.Info(), "build_context", version.BuildContext())

	rl, err := newReloader(cfg, load, logger)
	if err != nil {
		level.Error(logger).Log("msg", "cannot set up collectors", "err", err)
		return 1
	}
	collector.RegisterShardMetrics(rl.shared, shard, func() int { return len(rl.current.Load().cfg.Accounts) })
	if shard.Total > 1 {
		level.Info(logger).Log("msg", "serving one shard of the accounts", "shard", shard, "accounts", len(cfg.Accounts), "elsewhere", len(cfg.Elsewhere))
	}
	h, err := newHandler(rl, f, shard, logger)
	if err != nil {
		level.Error(logger).Log("msg", "cannot build the web interface", "err", err)
		return 1
	}
	srv := newServer(h, f, logger)

	// Signals are subscribed to before serving so that a SIGTERM sent as
	// soon as the port answers is not lost.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sigs)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var keyCheck <-chan time.Time // nil, never ready, with the check off
	if f.secretsInterval > 0 {
		tick, stop := newTicker(f.secretsInterval)
		defer stop()
		keyCheck = tick
	}
	keys := &keyWatch{rl: rl, logger: logger}

	errc := make(chan error, 1)
	go func() {
		errc <- web.ListenAndServe(srv, f.web, slog.New(slokgokit.NewGoKitHandler(bridge, slogLevel(f.logLevel))))
	}()
	var signalled []any
	for {
		select {
		case err := <-errc:
			level.Error(logger).Log("msg", "HTTP server failed", "err", err)
			return 1
		case <-hup:
			_ = rl.reload("SIGHUP")
			continue
		case <-keyCheck:
			keys.check()
			continue
		case s := <-sigs:
			signalled = []any{"signal", s.String()}
		case <-stop:
		}
		break
	}
	// In-flight scrapes run to their own deadline at most (the longest is
	// --scrape.max-timeout); readiness turns false so load balancers stop
	// sending new ones. It turns false before the line is logged, so that
	// whoever reads the line may count on /-/ready answering 503.
	h.ready.Store(false)
	level.Info(logger).Log(append([]any{"msg", "shutting down"}, signalled...)...)
	drainDelay(f.shutdownDelay, sigs)
	ctx, cancel := context.WithTimeout(context.Background(), f.maxTimeout+5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		level.Error(logger).Log("msg", "shutdown did not finish in time", "err", err)
		return 1
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		level.Error(logger).Log("msg", "HTTP server failed", "err", err)
		return 1
	}
	level.Info(logger).Log("msg", "stopped")
	return 0
}

// newLoggers returns the go-kit logger the project logs with, and the
// logger exporter-toolkit's slog records go to: the slog bridge adds its own
// caller and time, so it gets neither from us, only "time" renamed to the
// "ts" our other lines use.
func newLoggers(w io.Writer, format, lvl string) (bridge, logger log.Logger) {
	var base log.Logger
	if format == "json" {
		base = log.NewJSONLogger(log.NewSyncWriter(w))
	} else {
		base = log.NewLogfmtLogger(log.NewSyncWriter(w))
	}
	base = level.NewFilter(base, level.Allow(level.ParseDefault(lvl, level.InfoValue())))
	bridge = log.LoggerFunc(func(kv ...any) error {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == "time" {
				kv[i] = "ts"
				if t, ok := kv[i+1].(time.Time); ok {
					kv[i+1] = t.UTC().Format(time.RFC3339Nano)
				}
			}
		}
		return base.Log(kv...)
	})
	return bridge, log.With(base, "ts", log.DefaultTimestampUTC, "caller", log.DefaultCaller)
}

func slogLevel(lvl string) slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(lvl))
	return l
}
