package collector

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
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/billing-exporter/billing-exporter/internal/series"
	"github.com/billing-exporter/billing-exporter/internal/testlog"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
)

// Decoders of vendor answers must never panic, whatever the vendor sends:
// decode into the provider's types, then emit as the collector does.
// Seeds live in testdata/fuzz/<Name>; `go test` runs them, and
// `go test -run=^$ -fuzz=FuzzAcefoneDashboard ./collector` explores.

func FuzzAcefoneDashboard(f *testing.F) {
	for _, doc := range []any{sandbox.AcefoneDashboardDoc(), sandbox.AcefoneSeedSample()} {
		b, _ := json.Marshal(doc)
		f.Add(b)
	}
	// A client that is never called: the fuzzed answer has due amount and date.
	client, err := scrape.New(scrape.Options{Provider: "acefone", Account: "fuzz", BaseURL: "http://127.0.0.1:9"})
	if err != nil {
		f.Fatal(err)
	}
	a := &acefone{deps: deps{client: client, now: time.Now}, loc: time.UTC}
	f.Fuzz(func(t *testing.T, body []byte) {
		var d acefoneDashboardDoc
		if json.Unmarshal(body, &d) != nil {
			return
		}
		d.DueCharges.Valid, d.DueDate.Valid = true, true
		a.emitDashboard(context.Background(), newEmitter("acefone", "fuzz"), &d)
	})
}

func FuzzDocSpaceQuota(f *testing.F) {
	b, _ := json.Marshal(map[string]any{"response": sandbox.DocSpaceQuotaBusiness()})
	f.Add(b)
	f.Fuzz(func(t *testing.T, body []byte) {
		var q docspaceEnvelope[docspaceQuotaDoc]
		if json.Unmarshal(body, &q) != nil || q.Response == nil {
			return
		}
		_ = q.Response.plan()
		_ = q.Response.currency()
		for _, f := range q.Response.Features {
			_ = f.ID
		}
	})
}

func FuzzQoveryOrganization(f *testing.F) {
	for _, body := range []string{
		`{"cost":{"plan":"TEAM_2025","remaining_trial_day":0,"renewal_at":"2023-11-07T05:31:56Z","cost":{"total_in_cents":30000,"total":300,"currency_code":"USD"}},` +
			`"invoices":{"results":[{"id":"x","created_at":"2024-01-01T00:00:00Z","status":"PAID","total_in_cents":30000,"total":300,"currency_code":"USD"}]},` +
			`"cards":{"results":[{"id":"c","expiry_month":6,"expiry_year":2025,"last_digit":"7890","is_expired":false,"brand":"visa"}]},` +
			`"range":{"min_cost_in_cents":15000,"min_cost":150,"max_cost_in_cents":30000,"max_cost":300,"currency_code":"USD"}}`,
		`{"cards":{"results":[{"expiry_month":13,"expiry_year":-1}]},"invoices":{"results":[{"status":""}]}}`,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var doc struct {
			Cost     qoveryCurrentCost         `json:"cost"`
			Invoices qoveryList[qoveryInvoice] `json:"invoices"`
			Cards    qoveryList[qoveryCard]    `json:"cards"`
			Range    qoveryCostRange           `json:"range"`
		}
		if json.Unmarshal(body, &doc) != nil {
			return
		}
		e := newEmitter("qovery", "fuzz").ForOrganization("o", "id")
		emitInvoices(e, doc.Invoices.Results)
		emitCards(e, doc.Cards.Results)
		_ = qoveryMoney(doc.Range.MinCostInCents, doc.Range.MinCost)
		if doc.Cost.RenewalAt.Valid {
			_ = doc.Cost.RenewalAt.Unix(time.UTC)
		}
	})
}

// The targets above fuzz single decoders. The ones below fuzz a provider's
// whole scrape as production runs it: every request goes through the
// account's scrape.Client to the provider's fake, in memory, except those
// of the route the fuzzer picked, which get the fuzzed body as a 200. Every
// series is checked as a pedantic registry would, so that a duplicate
// series fails as loudly as a panic.

// fuzzRoute is one endpoint of a provider, matched on the request path
// below the account's base URL (query left out).
type fuzzRoute struct {
	name  string
	match func(path string) bool
}

func pathIs(p string) func(string) bool { return func(s string) bool { return s == p } }

// qoveryOrgPath matches /organization/<id><suffix> for one id segment.
func qoveryOrgPath(suffix string) func(string) bool {
	return func(s string) bool {
		rest, ok := strings.CutPrefix(s, "/organization/")
		if !ok {
			return false
		}
		id, tail, _ := strings.Cut(rest, "/")
		return id != "" && "/"+tail == suffix
	}
}

type fuzzScrape struct {
	exp    *Exporter
	build  func() (*Exporter, error)
	logs   *testlog.Buffer
	routes []fuzzRoute

	mu     sync.Mutex
	route  int      // index into routes; -1 while recording seeds
	body   []byte   // the fuzzed answer of routes[route]
	served bool     // the fuzzed body was requested during this scrape
	seeds  [][]byte // each route's healthy answer
}

// newFuzzScrape builds an exporter of one account with caching off for
// every endpoint, so that each scrape asks every route again, checks that
// a scrape of the healthy fake succeeds and adds each route's healthy
// answer as a seed.
func newFuzzScrape(f *testing.F, acct config.Account, fake http.Handler, routes []fuzzRoute, now *fakeClock) *fuzzScrape {
	fs := &fuzzScrape{logs: &testlog.Buffer{}, routes: routes, route: -1, seeds: make([][]byte, len(routes))}
	const base = "/acct"
	acct.Name, acct.BaseURL = "fuzz", "http://fuzz.invalid"+base
	acct.EndpointCacheTTL = map[string]config.Duration{}
	for _, ep := range providers[acct.Provider].endpoints {
		acct.EndpointCacheTTL[ep] = 0
	}
	retries := 0
	cfg := &config.Config{Global: config.Global{Retries: &retries}, Accounts: []config.Account{acct}}
	if err := cfg.Validate(func(string) (string, bool) { return "", false }); err != nil {
		f.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, base)
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if fs.route >= 0 && routes[fs.route].match(path) {
			fs.served = true
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(fs.body)
			return
		}
		rec := httptest.NewRecorder()
		r.URL.Path = path
		fake.ServeHTTP(rec, r)
		for i, rt := range routes {
			if fs.route < 0 && rt.match(path) && fs.seeds[i] == nil && rec.Code == http.StatusOK {
				fs.seeds[i] = rec.Body.Bytes()
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
	fs.build = func() (*Exporter, error) {
		return New(cfg, Options{Logger: log.NewLogfmtLogger(fs.logs), Now: now.Now, Transport: memTransport{handler}})
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
			f.Fatalf("route %s was not read by a healthy scrape", routes[i].name)
		}
		f.Add(uint8(i), b)
	}
	return fs
}

// scrape answers route r with body, scrapes once and checks what a scrape
// must hold whatever the vendor sends.
func (fs *fuzzScrape) scrape(t *testing.T, r uint8, body []byte) {
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
		t.Fatalf("%s answered with invalid JSON, yet billing_up = %v", fs.routes[fs.route].name, up)
	}
}

// collect scrapes once as /metrics does and checks the answer as
// Prometheus would read it: expfmt parses it, no series is written twice,
// and no value is not a number.
func (fs *fuzzScrape) collect() (up float64, err error) {
	mfs, err := gatherParsed(context.Background(), fs.exp, prometheus.NewRegistry())
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
		r.Body.Close()
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

func FuzzDocSpaceScrape(f *testing.F) {
	routes := []fuzzRoute{}
	for _, ep := range []scrape.Endpoint{docspaceCustomerInfo, docspaceBalance, docspaceQuota, docspaceQuotas, docspaceTopUp, docspaceCurrencies} {
		path, _, _ := strings.Cut(ep.Path, "?")
		routes = append(routes, fuzzRoute{ep.Name, pathIs(path)})
	}
	fs := newFuzzScrape(f, config.Account{Provider: "docspace", APIKey: docspaceKey}, sandbox.NewDocSpace(docspaceKey), routes, newFakeClock())
	f.Fuzz(fs.scrape)
}

func FuzzAcefoneScrape(f *testing.F) {
	fake := sandbox.NewAcefone("", acefoneLoginID, acefonePassword)
	// Without due_charges in the dashboard, due_charges is read too.
	dash := sandbox.AcefoneDashboardDoc()
	delete(dash, "due_charges")
	fake.Set("billing/dashboard", sandbox.Reply{Body: dash})
	routes := []fuzzRoute{
		{"auth/login", pathIs("/v1/auth/login")},
		{acefoneDashboard.Name, pathIs(acefoneDashboard.Path)},
		{acefoneDueCharges.Name, pathIs(acefoneDueCharges.Path)},
	}
	clock := newFakeClock()
	fake.Now = clock.Now
	fs := newFuzzScrape(f, config.Account{Provider: "acefone", Options: &acefoneOptions{Username: acefoneLoginID, Password: acefonePassword}}, fake, routes, clock)
	f.Fuzz(fs.scrape)
}

func FuzzQoveryScrape(f *testing.F) {
	routes := []fuzzRoute{
		{qoveryOrganizations.Name, pathIs("/organization")},
		{qoveryOrgCurrentCost, qoveryOrgPath("/currentCost")},
		{qoveryOrgBillingStatus, qoveryOrgPath("/billingStatus")},
		{qoveryOrgBillingInfo, qoveryOrgPath("/billingInfo")},
		{qoveryOrgInvoice, qoveryOrgPath("/invoice")},
		{qoveryOrgCreditCard, qoveryOrgPath("/creditCard")},
		{qoveryOrgCluster, qoveryOrgPath("/cluster")},
		{qoveryOrgClusterCurrentCost, func(s string) bool {
			rest, ok := strings.CutPrefix(s, "/organization/")
			parts := strings.Split(rest, "/")
			return ok && len(parts) == 4 && parts[1] == "cluster" && parts[3] == "currentCost"
		}},
	}
	fs := newFuzzScrape(f, config.Account{Provider: "qovery", APIKey: qoveryToken}, sandbox.NewQovery(qoveryToken, qoveryOrgs()...), routes, newFakeClock())
	f.Fuzz(fs.scrape)
}
