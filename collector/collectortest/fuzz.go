package collectortest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/fakeclock"
	"github.com/billing-exporter/billing-exporter/internal/series"
	"github.com/billing-exporter/billing-exporter/internal/testlog"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
)

// Route is one endpoint of a provider, matched on the request path
// below the account's base URL (query left out).
type Route struct {
	Name  string
	Match func(path string) bool
}

// Routes are the routes of a provider's endpoint table.
func Routes(table []scrape.Endpoint) []Route {
	out := make([]Route, len(table))
	for i, ep := range table {
		out[i] = Route{Name: ep.Name, Match: func(path string) bool { return MatchPath(ep.Path, path) }}
	}
	return out
}

// MatchPath reports whether path (without a query) is one of template's,
// a path of an endpoint table whose {placeholders} stand for one
// non-empty segment each; template's own query is left out.
func MatchPath(template, path string) bool {
	template, _, _ = strings.Cut(template, "?")
	want, got := strings.Split(template, "/"), strings.Split(path, "/")
	if len(want) != len(got) {
		return false
	}
	for i, w := range want {
		placeholder := strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}")
		if w != got[i] && (!placeholder || got[i] == "") {
			return false
		}
	}
	return true
}

// FuzzScrape fuzzes a provider's whole scrape as production runs it: every
// request goes through the account's scrape.Client to the provider's fake,
// in memory, except those of the route the fuzzer picked, which get the
// fuzzed body as a 200. Every series is checked as a pedantic registry
// would, so that a duplicate series fails as loudly as a panic.
type FuzzScrape struct {
	exp    *collector.Exporter
	build  func() (*collector.Exporter, error)
	logs   *testlog.Buffer
	routes []Route

	mu     sync.Mutex
	route  int      // index into routes; -1 while recording seeds
	body   []byte   // the fuzzed answer of routes[route]
	served bool     // the fuzzed body was requested during this scrape
	seeds  [][]byte // each route's healthy answer
}

// NewFuzzScrape builds an exporter of one account with caching off for
// every endpoint, so that each scrape asks every route again, checks that
// a scrape of the healthy fake succeeds and adds each route's healthy
// answer as a seed.
func NewFuzzScrape(f *testing.F, acct config.Account, fake http.Handler, routes []Route, now *fakeclock.Clock) *FuzzScrape {
	fs := &FuzzScrape{logs: &testlog.Buffer{}, routes: routes, route: -1, seeds: make([][]byte, len(routes))}
	const base = "/acct"
	acct.Name, acct.BaseURL = "fuzz", "http://fuzz.invalid"+base
	acct.EndpointCacheTTL = map[string]config.Duration{}
	for _, p := range collector.Providers {
		for _, ep := range p.Endpoints {
			if p.Name == acct.Provider {
				acct.EndpointCacheTTL[ep.Name] = 0
			}
		}
	}
	retries := 0
	cfg := &config.Config{Global: config.Global{Retries: &retries}, Accounts: []config.Account{acct}}
	if err := cfg.Validate(func(string) (string, bool) { return "", false }, collector.ConfigProviders()); err != nil {
		f.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, base)
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if fs.route >= 0 && routes[fs.route].Match(path) {
			fs.served = true
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(fs.body)
			return
		}
		rec := httptest.NewRecorder()
		r.URL.Path = path
		fake.ServeHTTP(rec, r)
		for i, rt := range routes {
			if fs.route < 0 && rt.Match(path) && fs.seeds[i] == nil && rec.Code == http.StatusOK {
				fs.seeds[i] = rec.Body.Bytes()
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
	fs.build = func() (*collector.Exporter, error) {
		return collector.New(cfg, collector.Options{Logger: log.NewLogfmtLogger(fs.logs), Now: now.Now, Transport: memTransport{handler}})
	}
	exp, err := fs.build()
	if err != nil {
		f.Fatal(err)
	}
	fs.exp = exp

	if up, err := fs.collect(); err != nil || up != 1 {
		f.Fatalf("billing_up = %v, err = %v", up, err)
	}
	if logs := fs.logs.String(); logs != "" {
		f.Fatalf("the scrape of the healthy fake failed:\n%s", logs)
	}
	for i, b := range fs.seeds {
		if b == nil {
			f.Fatalf("route %s was not read by a healthy scrape", routes[i].Name)
		}
		f.Add(uint8(i), b)
	}
	return fs
}

// Scrape answers route r with body, scrapes once and checks what a scrape
// must hold whatever the vendor sends.
func (fs *FuzzScrape) Scrape(t *testing.T, r uint8, body []byte) {
	fs.mu.Lock()
	fs.route, fs.body, fs.served = int(r)%len(fs.routes), body, false
	fs.mu.Unlock()
	// A fresh exporter per input: no token or login backoff carries over
	// from the previous one, so coverage depends on the input alone.
	exp, err := fs.build()
	if err != nil {
		t.Fatal(err)
	}
	fs.exp = exp
	fs.logs.Reset()

	up, err := fs.collect()
	if err != nil {
		t.Fatalf("%v\nlogs:\n%s", err, fs.logs.String())
	}
	if strings.Contains(fs.logs.String(), "panicked") {
		t.Fatalf("the collector panicked:\n%s", fs.logs.String())
	}
	fs.mu.Lock()
	served := fs.served
	fs.mu.Unlock()
	if served && !json.Valid(body) && up != 0 {
		t.Fatalf("%s answered with invalid JSON, yet billing_up = %v", fs.routes[fs.route].Name, up)
	}
}

// collect scrapes once as /metrics does and checks the answer as
// Prometheus would read it: expfmt parses it, no series is written twice,
// and no value is not a number.
func (fs *FuzzScrape) collect() (up float64, err error) {
	mfs, err := GatherParsed(context.Background(), fs.exp, prometheus.NewRegistry())
	if err != nil {
		return 0, err
	}
	up = -1
	seen := map[string]bool{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName() + "\xff" + series.Key(m)
			v := m.GetGauge().GetValue()
			if m.Counter != nil {
				v = m.GetCounter().GetValue()
			}
			switch {
			case seen[key]:
				return 0, fmt.Errorf("series written twice: %s%v", mf.GetName(), m.GetLabel())
			case math.IsNaN(v) || math.IsInf(v, 0):
				return 0, fmt.Errorf("%s%v = %v", mf.GetName(), m.GetLabel(), v)
			case mf.GetName() == "billing_up":
				up = v
			}
			seen[key] = true
		}
	}
	if up < 0 {
		return 0, errors.New("no billing_up")
	}
	return up, nil
}

// memTransport answers requests with a handler, without sockets.
type memTransport struct{ h http.Handler }

func (m memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, r)
	if r.Body != nil {
		_ = r.Body.Close()
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}
