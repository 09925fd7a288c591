//go:build bench

// Package bench is the benchmark harness: a load fixture of
// fake vendor APIs on loopback with N accounts and a per-request latency,
// and the scenarios of bench_test.go that measure the exporter against it
// (and against prometheus-community/json_exporter), writing RESULTS.md.
//
// Every file carries the build tag "bench": `go build ./...`, `go vet ./...`
// and `go test ./...` in CI neither build nor run any of it. Run it with
// `make bench` (see README.md).
package bench

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/config"
)

// Latency delays every request of a fake by Mean ± Jitter (uniform), as a
// vendor API far away would, and keeps count of the delays it applied so
// that an ideal wall time can be computed from what was really injected.
type Latency struct {
	Mean, Jitter time.Duration

	mu  sync.Mutex
	rng *rand.Rand

	n     atomic.Int64
	total atomic.Int64 // nanoseconds slept
}

// NewLatency returns a latency with a fixed seed, so that runs draw the
// same sequence of delays.
func NewLatency(mean, jitter time.Duration) *Latency {
	return &Latency{Mean: mean, Jitter: jitter, rng: rand.New(rand.NewPCG(7, 7))}
}

func (l *Latency) draw() time.Duration {
	if l.Mean <= 0 {
		return 0
	}
	d := l.Mean
	if l.Jitter > 0 {
		l.mu.Lock()
		d += time.Duration(l.rng.Int64N(int64(2*l.Jitter)+1)) - l.Jitter
		l.mu.Unlock()
	}
	return max(d, 0)
}

// Wrap returns h delayed by the latency.
func (l *Latency) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := l.draw()
		if d > 0 {
			start := time.Now()
			select {
			case <-time.After(d):
			case <-r.Context().Done():
			}
			l.total.Add(int64(time.Since(start)))
		}
		l.n.Add(1)
		h.ServeHTTP(w, r)
	})
}

// Stats returns how many requests were delayed and their total delay.
func (l *Latency) Stats() (int64, time.Duration) {
	return l.n.Load(), time.Duration(l.total.Load())
}

// Mix names the providers of a fixture's accounts, assigned round-robin.
type Mix []string

var (
	// Mixed is scenario 1's mix: every provider, in turn.
	Mixed = func() Mix {
		var m Mix
		for _, p := range collector.Providers {
			m = append(m, p.Name)
		}
		return m
	}()
	// AcefoneOnly is scenario 5's fixture: json_exporter is wired to one
	// vendor's dashboard, the way its users do by hand.
	AcefoneOnly = Mix{"acefone"}
)

// Account is one fixture account: its exporter config and, for Acefone,
// the dashboard URL and token json_exporter needs.
type Account struct {
	config.Account
	DashboardURL string // Acefone only
}

// Fixture is one loopback server holding N fake accounts. It is its own
// server rather than sandbox.Server so that it can count connections
// (ConnState) and requests without keeping every request.
type Fixture struct {
	srv      *httptest.Server
	mux      *http.ServeMux
	Latency  *Latency
	Accounts []Account

	requests atomic.Int64
	conns    atomic.Int64
	mu       sync.Mutex
	perPath  map[string]int
}

// NewFixture starts a server with n accounts of mix, each its own fake with
// its own credentials, mounted under /<account name>/.
func NewFixture(n int, mix Mix, lat *Latency) *Fixture {
	f := &Fixture{mux: http.NewServeMux(), Latency: lat, perPath: map[string]int{}}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("bench: cannot listen on loopback: " + err.Error())
	}
	_ = f.srv.Listener.Close()
	f.srv.Listener = l
	f.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			f.conns.Add(1)
		}
	}
	f.srv.Start()
	for i := 0; i < n; i++ {
		p := mix[i%len(mix)]
		name := fmt.Sprintf("%s-%04d", p, i)
		acct := Account{Account: config.Account{Name: name, Provider: p}}
		at := slices.IndexFunc(collector.Providers, func(d *provider.Descriptor) bool { return d.Name == p })
		if at < 0 {
			panic("bench: no provider " + p)
		}
		h, key := collector.Providers[at].Fixture(i)
		acct.APIKey = key
		if lat != nil {
			h = lat.Wrap(h)
		}
		prefix := "/" + name
		f.mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
		acct.BaseURL = f.srv.URL + prefix
		if p == "acefone" {
			acct.DashboardURL = acct.BaseURL + "/v1/billing/dashboard"
		}
		f.Accounts = append(f.Accounts, acct)
	}
	return f
}

func (f *Fixture) serve(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	f.mu.Lock()
	f.perPath[r.URL.Path]++
	f.mu.Unlock()
	f.mux.ServeHTTP(w, r)
}

// URL is the server's root.
func (f *Fixture) URL() string { return f.srv.URL }

// Close stops the server.
func (f *Fixture) Close() {
	f.srv.CloseClientConnections()
	f.srv.Close()
}

// Requests is how many requests the fakes have seen so far.
func (f *Fixture) Requests() int { return int(f.requests.Load()) }

// Conns is how many TCP connections clients have opened so far (in
// production each would be a TLS handshake the vendor serves).
func (f *Fixture) Conns() int { return int(f.conns.Load()) }

// PerPath is how many requests each path has seen (prefix included).
func (f *Fixture) PerPath() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.perPath)
}

// Global is the global section of every generated config.
type Global struct {
	Timeout, CacheTTL                     time.Duration
	MaxConcurrency, AccountMaxConcurrency int
}

// BenchGlobal is what the scenarios run with: the defaults (32 upstream
// requests in flight, 4 per account) but a request timeout long enough
// that a request may queue behind the whole cold scrape of N = 1000 for a
// slot (the timeout bounds the wait for a slot too), and a cache TTL longer
// than any scenario so that warm scrapes are all hits.
var BenchGlobal = Global{Timeout: 5 * time.Minute, CacheTTL: time.Hour,
	MaxConcurrency: config.DefaultMaxConcurrency, AccountMaxConcurrency: config.DefaultAccountMaxConc}

// Config is the fixture as a validated config.Config.
func (f *Fixture) Config(g Global) (*config.Config, error) {
	return config.Parse([]byte(f.YAML(g)), func(string) (string, bool) { return "", false }, collector.ConfigProviders())
}

// YAML renders the exporter's config.yml for the fixture. config.Config
// cannot be marshalled for this: secrets marshal as "<secret>".
func (f *Fixture) YAML(g Global) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Generated by bench/: %d accounts on %s.\nglobal:\n", len(f.Accounts), f.URL())
	fmt.Fprintf(&b, "  timeout: %s\n  cache_ttl: %s\n  max_concurrency: %d\n  account_max_concurrency: %d\n",
		g.Timeout, g.CacheTTL, g.MaxConcurrency, g.AccountMaxConcurrency)
	b.WriteString("accounts:\n")
	for _, a := range f.Accounts {
		fmt.Fprintf(&b, "  - name: %s\n    provider: %s\n    base_url: %q\n    api_key: %q\n",
			a.Name, a.Provider, a.BaseURL, string(a.APIKey))
	}
	return b.String()
}

// WriteConfig writes YAML(g) to path, after checking that the exporter's
// own loader accepts it.
func (f *Fixture) WriteConfig(path string, g Global) error {
	if _, err := f.Config(g); err != nil {
		return fmt.Errorf("generated config is invalid: %w", err)
	}
	return os.WriteFile(path, []byte(f.YAML(g)), 0o600)
}

// JSONExporterConfig renders json_exporter's config: one module per
// Acefone account (each account has its own token, so its own
// Authorization header), exporting what ours exports from the dashboard
// that json_exporter can express: balance, credit limit, due charges, auto
// charge, per active plan the call minutes, per active subscription the
// charge. (Dates arrive as zone-less strings; json_exporter cannot turn
// them into numbers, so they are left out.)
func (f *Fixture) JSONExporterConfig() string {
	var b strings.Builder
	b.WriteString("# Generated by bench/: one module per Acefone account.\nmodules:\n")
	for _, a := range f.Accounts {
		if a.Provider != "acefone" {
			continue
		}
		fmt.Fprintf(&b, "  %s:\n    headers:\n      Authorization: %q\n", a.Name, "Bearer "+string(a.APIKey))
		b.WriteString(jsonExporterMetrics)
	}
	return b.String()
}

const jsonExporterMetrics = `    metrics:
    - name: acefone_balance
      path: '{ .balance }'
      help: Account balance
      labels:
        currency: '{ .currency }'
    - name: acefone_credit_limit
      path: '{ .credit_limit }'
      help: Credit limit
      labels:
        currency: '{ .currency }'
    - name: acefone_due_charges
      path: '{ .due_charges }'
      help: Charges due
      labels:
        currency: '{ .currency }'
    - name: acefone_auto_charge
      path: '{ .auto_charge }'
      help: 1 if the account is charged automatically
    - name: acefone_plan
      type: object
      path: '{ .plans.active[*] }'
      help: Active plan call minutes
      labels:
        plan: '{ .name }'
      values:
        minutes_remaining: '{ .minutes_remaining }'
        minutes_consumed: '{ .minutes_consumed }'
        minutes_assigned: '{ .minutes_assigned }'
    - name: acefone_subscription
      type: object
      path: '{ .subscriptions.active[*] }'
      help: Active subscription monthly charge
      labels:
        subscription: '{ .name }'
      values:
        charge: '{ .charge }'
`
