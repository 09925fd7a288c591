package scrape

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/internal/expo"
	"github.com/billing-exporter/billing-exporter/internal/fakeclock"
	"github.com/billing-exporter/billing-exporter/internal/series"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"
)

// TestMain proves that no test leaves a goroutine behind: flights,
// retries, slow bodies and held handlers must all end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	testProvider = "docspace"
	testAccount  = "docspace-main"
	optionSecret = "sk-OPTIONSECRET-0123456789"
	runtimeToken = "tok-RUNTIME-9876543210"
)

// fake is an upstream API on 127.0.0.1 that counts requests and the
// handlers running at once.
type fake struct {
	srv      *httptest.Server
	requests atomic.Int64
	inFlight atomic.Int64
	maxIn    atomic.Int64

	mu      sync.Mutex
	headers []http.Header
	arrived []time.Time
	handler http.HandlerFunc
}

func newFake(t *testing.T, h http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{handler: h}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		n := f.inFlight.Add(1)
		defer f.inFlight.Add(-1)
		for {
			m := f.maxIn.Load()
			if n <= m || f.maxIn.CompareAndSwap(m, n) {
				break
			}
		}
		f.mu.Lock()
		f.headers = append(f.headers, r.Header.Clone())
		f.arrived = append(f.arrived, time.Now())
		h := f.handler
		f.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) count() int { return int(f.requests.Load()) }

func (f *fake) header(i int) http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.headers[i]
}

// gap is the time between the arrival of request i-1 and request i.
func (f *fake) gap(i int) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.arrived[i].Sub(f.arrived[i-1])
}

// sequence answers the i-th request with the i-th handler, and any later
// one with the last.
func sequence(hs ...http.HandlerFunc) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(hs) {
			i = len(hs) - 1
		}
		hs[i](w, r)
	}
}

func reply(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if len(header)%2 == 0 {
			for i := 0; i < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func ok(body string) http.HandlerFunc { return reply(200, body) }

// clock is a settable Options.Now for cache tests.
type clock = fakeclock.Clock

func newClock() *clock { return fakeclock.At(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)) }

type testClient struct {
	*Client
	t       *testing.T
	metrics *Metrics
	reg     prometheus.Gatherer // what /metrics serves of metrics
}

// parsed is f's text as Prometheus reads it.
func parsed(t *testing.T, f *expo.CounterVec) []*dto.MetricFamily {
	t.Helper()
	var text strings.Builder
	if fam, ok := f.Family(); ok {
		if err := expo.Write(&text, []expo.Family{fam}); err != nil {
			t.Fatal(err)
		}
	}
	mfs, err := series.Parse(text.String())
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// counted is the value of f's series with these label values, 0 if none.
func counted(t *testing.T, f *expo.CounterVec, values ...string) float64 {
	t.Helper()
	labels := map[string]string{}
	for i, name := range f.Desc().Labels {
		labels[name] = values[i]
	}
	v, _ := series.Find(parsed(t, f), f.Desc().Name, labels)
	return v
}

// served is what /metrics serves of m: the duration histogram registered
// on reg and the counters of Text, read back with expfmt.
func served(reg *prometheus.Registry, m *Metrics) prometheus.Gatherer {
	return prometheus.Gatherers{reg, prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		var text strings.Builder
		if err := expo.Write(&text, m.Text()); err != nil {
			return nil, err
		}
		return series.Parse(text.String())
	})}
}

// newClient builds a client for f with test defaults (no retries, short
// timeout, instrumented) that mod may change. Each client has its own
// transport so that its idle connections close with the test.
func newClient(t *testing.T, f *fake, mod func(*Options)) *testClient {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	opt := Options{
		Provider:      testProvider,
		Account:       testAccount,
		BaseURL:       f.srv.URL + "/",
		Timeout:       5 * time.Second,
		Secrets:       []string{optionSecret},
		VendorMessage: testVendorMessage,
		Metrics:       m,
		Transport:     transport,
	}
	if mod != nil {
		mod(&opt)
	}
	c, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return &testClient{Client: c, t: t, metrics: m, reg: served(reg, m)}
}

var balance = Endpoint{Name: "customer/balance", Path: "/api/2.0/portal/payment/customer/balance"}

type balanceDoc struct {
	Amount Float `json:"amount"`
}

// scrapeErr asserts that err is an *Error and returns it.
func scrapeErr(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *scrape.Error, got %T %v", err, err)
	}
	return e
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// testVendorMessage reads the message of the error bodies the tests'
// fakes send, {"message"} or {"error": {"message"}}, as a provider's
// parser would.
func testVendorMessage(b []byte) string {
	var v struct {
		Message string `json:"message"`
		Error   struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &v)
	return cmp.Or(v.Message, v.Error.Message)
}

// scrubListLen is how many spellings of secrets the client scrubs.
func (c *Client) scrubListLen() int {
	c.authMu.RLock()
	defer c.authMu.RUnlock()
	return len(c.scrubList.forms)
}
