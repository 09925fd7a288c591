package collector_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/collector/acefone"
	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"go.uber.org/goleak"
)

// faultAccount is how the fault-injection suite builds a healthy account
// of one kind: every provider's benchmark fixture, and Acefone with a login.
type faultAccount struct {
	provider *provider.Descriptor
	// account mounts a healthy fake for account name on srv and returns the
	// account's config and every secret the account uses (keys, passwords),
	// which must never show anywhere.
	account func(t *testing.T, srv *sandbox.Server, name string) (config.Account, []string)
}

// lateSecrets holds, by account base URL, the secrets a fake hands out
// while the test runs (login tokens), read when the test checks for leaks.
var lateSecrets sync.Map // string -> func() []string

// faultAccounts are the kinds of healthy account, by name.
func faultAccounts() map[string]faultAccount {
	out := map[string]faultAccount{}
	for _, p := range collector.Providers {
		out[p.Name] = faultAccount{provider: p, account: func(t *testing.T, srv *sandbox.Server, name string) (config.Account, []string) {
			acct := fixtureAccount(t, srv, p, name)
			return acct, []string{string(acct.APIKey)}
		}}
	}
	// Acefone with username and password: the login stays healthy, the
	// password and every token it returns must never show.
	const loginID, password = "billing@example.com", "correct horse battery staple"
	out["acefone-login"] = faultAccount{provider: &acefone.Provider, account: func(_ *testing.T, srv *sandbox.Server, name string) (config.Account, []string) {
		fake := acefone.NewFake("", loginID, password)
		acct := config.Account{Name: name, Provider: "acefone", BaseURL: srv.Mount("/"+name, fake),
			Options: &acefone.Options{Username: loginID, Password: password}}
		lateSecrets.Store(acct.BaseURL, fake.Tokens)
		return acct, []string{password}
	}}
	return out
}

// readPaths is, for each endpoint of its table that a healthy scrape of a
// kind reads, the first path read (below the account's base URL, without
// its query), in table order: where per-endpoint faults go.
func readPaths(t *testing.T, kind faultAccount) []string {
	t.Helper()
	srv := newServer(t)
	acct, _ := kind.account(t, srv, "probe")
	collectortest.New(t, &config.Config{Accounts: []config.Account{acct}}).Scrape()
	var out []string
	for _, ep := range kind.provider.Endpoints {
		for _, r := range srv.Requests() {
			path := strings.TrimPrefix(r.Path, "/probe")
			if r.Method == http.MethodGet && collectortest.MatchPath(ep.Path, path) {
				out = append(out, path)
				break
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("a healthy scrape of %s read no endpoint of its table", kind.provider.Name)
	}
	return out
}

func TestMain(m *testing.M) {
	// A request that outlives its scrape goes on until it is answered or
	// its own timeout ends it. goleak waits under half a second for stray
	// goroutines, so a test that leaves one behind waits for it to end.
	goleak.VerifyTestMain(m)
}

// Timing of the fault suite. A vendor that never answers in time is
// waited out: the faulty account's requests give up after faultTimeout,
// the scrape after faultDeadline. Everything else answers, at once or
// after a retry (Qovery reads three dependent levels, each of which may
// wait out a Retry-After of 1 s), and gets slackTimeout and slackDeadline,
// margins no busy machine uses up: the test never waits for them.
const (
	faultTimeout  = 500 * time.Millisecond
	faultDeadline = 3 * time.Second
	slackTimeout  = time.Minute
	slackDeadline = 3 * time.Minute
)

// fault is one kind of bad upstream answer.
type fault struct {
	name string
	// up is billing_up of the faulty account afterwards: 1 where a retry
	// recovers, 0 otherwise.
	up float64
	// reason expected in billing_upstream_errors_total (when up is 0).
	reason string
	// code is the status of the first attempt where a retry recovers: the
	// fault must have happened for billing_up 1 to prove anything.
	code string
	// someValues: the fault garbles the vendor's answer so that some
	// endpoints may still decode (wrong-shape JSON); every other fault
	// leaves an account that never answered without any value series.
	someValues bool
	// serve answers one request; n counts this path's requests so far (1-based).
	serve func(w http.ResponseWriter, r *http.Request, next http.Handler, n int)
	// hangs: the vendor never answers in time, and the faulty account's
	// requests give up after faultTimeout.
	hangs bool
}

func status(code int, body string, header ...string) func(http.ResponseWriter, *http.Request, http.Handler, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ http.Handler, _ int) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		if body != "" && w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}

// thenReal answers the first request of a path with first, later ones as usual.
func thenReal(first func(http.ResponseWriter, *http.Request, http.Handler, int)) func(http.ResponseWriter, *http.Request, http.Handler, int) {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler, n int) {
		if n == 1 {
			first(w, r, next, n)
			return
		}
		next.ServeHTTP(w, r)
	}
}

// garble passes the real answer through f.
func garble(f func([]byte) []byte) func(http.ResponseWriter, *http.Request, http.Handler, int) {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler, _ int) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(f(rec.Body.Bytes()))
	}
}

// numbersToWords turns every JSON number, and every string holding one
// (vendors that send amounts as decimal strings), into a word: a string
// where a number is expected.
func numbersToWords(b []byte) []byte {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return b
	}
	var walk func(any) any
	walk = func(x any) any {
		switch t := x.(type) {
		case json.Number:
			return "lots"
		case string:
			if _, err := strconv.ParseFloat(t, 64); err == nil {
				return "lots"
			}
		case map[string]any:
			for k, e := range t {
				t[k] = walk(e)
			}
		case []any:
			for i, e := range t {
				t[i] = walk(e)
			}
		}
		return x
	}
	out, _ := json.Marshal(walk(v))
	return out
}

var faults = []fault{
	{name: "401", reason: "auth", serve: status(401, `{"message":"Unauthorized"}`)},
	{name: "403", reason: "forbidden", serve: status(403, `{"message":"Forbidden"}`)},
	{name: "404", reason: "not_found", serve: status(404, `{"message":"Not found"}`)},
	{name: "429 Retry-After 1 then 200", up: 1, code: "429", serve: thenReal(status(429, `{"message":"slow down"}`, "Retry-After", "1"))},
	{name: "500 then 200", up: 1, code: "500", serve: thenReal(status(500, `{"message":"oops"}`))},
	{name: "502", reason: "server", serve: status(502, "<html><body>Bad Gateway</body></html>", "Content-Type", "text/html")},
	{name: "503", reason: "server", serve: status(503, `{"message":"maintenance"}`)},
	{name: "timeout", reason: "timeout", hangs: true, serve: func(_ http.ResponseWriter, r *http.Request, _ http.Handler, _ int) {
		<-r.Context().Done() // the client hangs up at its timeout
	}},
	{name: "connection reset", reason: "transport", serve: func(w http.ResponseWriter, _ *http.Request, _ http.Handler, _ int) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // RST instead of FIN
			}
			_ = conn.Close()
		}
	}},
	{name: "empty 200", reason: "decode", serve: status(200, "")},
	{name: "HTML 200", reason: "decode", serve: status(200, "<!DOCTYPE html><html><body>Maintenance</body></html>", "Content-Type", "text/html; charset=utf-8")},
	{name: "HTML 200 labelled JSON", reason: "decode", serve: status(200, "<html><body>Maintenance</body></html>")},
	{name: "truncated JSON", reason: "decode", serve: garble(func(b []byte) []byte { return b[:len(b)/2] })},
	{name: "string where a number is expected", reason: "decode", someValues: true, serve: garble(numbersToWords)},
	{name: "array where an object is expected", reason: "decode", someValues: true, serve: garble(func(b []byte) []byte {
		return append(append([]byte("["), b...), ']')
	})},
	{name: "50 MiB body", reason: "too_large", serve: func(w http.ResponseWriter, _ *http.Request, _ http.Handler, _ int) {
		w.Header().Set("Content-Type", "application/json")
		chunk := bytes.Repeat([]byte("a"), 1<<20)
		_, _ = w.Write([]byte(`{"padding":"`))
		for i := 0; i < 50; i++ {
			if _, err := w.Write(chunk); err != nil {
				return // the client hung up at its limit, as it should
			}
		}
		_, _ = w.Write([]byte(`"}`))
	}},
	{name: "slow body", reason: "timeout", hangs: true, serve: slowBody},
}

// slowBody sends the headers and the first byte of the real answer at
// once, and the rest never: the client hangs up at its timeout.
func slowBody(w http.ResponseWriter, r *http.Request, next http.Handler, _ int) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	if _, err := w.Write(rec.Body.Bytes()[:1]); err == nil {
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
}

// faultWorld is a faulty account of one provider beside a healthy account
// of every provider, on one fake server.
type faultWorld struct {
	h        *collectortest.Harness
	srv      *sandbox.Server
	provider string // of the faulty account
	secrets  []string
	late     []func() []string // tokens handed out while the test runs
	healthy  []string
}

// allSecrets is every key, password and token of the world's accounts.
func (fw *faultWorld) allSecrets() []string {
	out := append([]string(nil), fw.secrets...)
	for _, f := range fw.late {
		out = append(out, f()...)
	}
	return out
}

func newFaultWorld(t *testing.T, kind string, f fault, only string) *faultWorld {
	t.Helper()
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	fw := &faultWorld{srv: srv}
	cfg := &config.Config{}
	retries := 1
	cfg.Global.Retries = &retries
	cfg.Global.Timeout = config.Duration(slackTimeout)
	kinds := faultAccounts()
	for _, p := range slices.Sorted(maps.Keys(kinds)) {
		acct, secrets := kinds[p].account(t, srv, "healthy-"+p)
		cfg.Accounts = append(cfg.Accounts, acct)
		fw.secrets = append(fw.secrets, secrets...)
		fw.healthy = append(fw.healthy, acct.Name)
	}
	faulty, secrets := kinds[kind].account(t, srv, "faulty")
	if f.hangs {
		timeout := config.Duration(faultTimeout)
		faulty.Timeout = &timeout
	}
	cfg.Accounts = append(cfg.Accounts, faulty)
	fw.secrets = append(fw.secrets, secrets...)
	fw.provider = faulty.Provider
	for _, a := range cfg.Accounts {
		if f, ok := lateSecrets.Load(a.BaseURL); ok {
			fw.late = append(fw.late, f.(func() []string))
		}
	}

	var mu sync.Mutex
	seen := map[string]int{}
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !strings.HasPrefix(r.URL.Path, "/faulty/") || only != "" && r.URL.Path != "/faulty"+only {
			return false
		}
		if r.Method != http.MethodGet {
			return false // logins stay healthy: the suite is about billing endpoints
		}
		mu.Lock()
		seen[r.URL.Path]++
		n := seen[r.URL.Path]
		mu.Unlock()
		f.serve(w, r, next, n)
		return true
	})
	fw.h = collectortest.New(t, cfg)
	return fw
}

// baseline counts each healthy account's series when nothing is wrong.
func baseline(t *testing.T) map[string]int {
	t.Helper()
	healthy := fault{serve: func(w http.ResponseWriter, r *http.Request, next http.Handler, _ int) { next.ServeHTTP(w, r) }}
	fw := newFaultWorld(t, "docspace", healthy, "")
	fw.h.ScrapeWithin(slackDeadline)
	counts := map[string]int{}
	for _, name := range fw.healthy {
		counts[name] = fw.seriesOf(name)
	}
	return counts
}

func (fw *faultWorld) seriesOf(account string) int {
	n := 0
	for _, mf := range fw.h.Snapshot() {
		if !strings.HasPrefix(mf.GetName(), "billing_") || strings.HasPrefix(mf.GetName(), "billing_upstream_") ||
			mf.GetName() == "billing_scrape_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "account" && lp.GetValue() == account {
					n++
				}
			}
		}
	}
	return n
}

func (fw *faultWorld) check(t *testing.T, f fault, base map[string]int, endpoints []string) {
	t.Helper()
	wantUp, reason := f.up, f.reason
	deadline := slackDeadline
	if f.hangs {
		deadline = faultDeadline
	}
	// A scrape ends at its deadline whatever the vendor does; the margin
	// is for a busy machine.
	if took := fw.h.ScrapeWithin(deadline); took > deadline+5*time.Second {
		t.Errorf("scrape took %v, past its %v deadline", took, deadline)
	}
	if up := fw.h.Value("billing_up", map[string]string{"account": "faulty"}); up != wantUp {
		t.Errorf("faulty account: billing_up = %v, want %v\nlogs:\n%s", up, wantUp, fw.h.Logs.String())
	}
	for _, name := range fw.healthy {
		if up := fw.h.Value("billing_up", map[string]string{"account": name}); up != 1 {
			t.Errorf("%s: billing_up = %v, want 1", name, up)
		}
		if got, want := fw.seriesOf(name), base[name]; got != want {
			t.Errorf("%s: %d series, want %d as without the fault", name, got, want)
		}
	}
	logs := fw.h.Logs.String()
	if strings.Contains(logs, "panicked") {
		t.Errorf("a collector panicked:\n%s", logs)
	}
	if f.code != "" && fw.h.Count("billing_upstream_requests_total", map[string]string{"account": "faulty", "code": f.code}) == 0 {
		t.Errorf("no request of the faulty account answered %s: the fault did not happen", f.code)
	}
	if wantUp == 0 {
		if fw.h.Value("billing_upstream_errors_total", map[string]string{"account": "faulty", "reason": reason}) == 0 {
			t.Errorf("no error counted with reason %q\nlogs:\n%s", reason, logs)
		}
		named := false
		for _, line := range strings.Split(logs, "\n") {
			if !strings.Contains(line, "account=faulty") || field(line, "provider") != fw.provider ||
				field(line, "reason") != reason || field(line, "status") == "" {
				continue
			}
			// Endpoint names omit ids ("organization/currentCost"); their last
			// segment is part of the endpoint's path.
			name := field(line, "endpoint")
			last := name[strings.LastIndex(name, "/")+1:]
			for _, ep := range endpoints {
				if last != "" && strings.Contains(ep, last) {
					named = true
				}
			}
		}
		if !named {
			t.Errorf("no log line names provider=%s account=faulty, one of its endpoints, a status and reason=%s:\n%s", fw.provider, reason, logs)
		}
		// The account never answered: no value may read as zero money.
		if n := fw.seriesOf("faulty"); !f.someValues && n != 1 {
			t.Errorf("the faulty account, which never answered, exports %d series besides billing_up:\n%s", n-1, fw.h.Text())
		}
	}
	fw.h.AssertNoSecret(fw.allSecrets()...)
}

// field returns the value of key=value in a logfmt line.
func field(line, key string) string {
	i := strings.Index(line, key+"=")
	if i < 0 {
		return ""
	}
	v := line[i+len(key)+1:]
	if strings.HasPrefix(v, `"`) {
		if j := strings.Index(v[1:], `"`); j >= 0 {
			return v[1 : j+1]
		}
	}
	if j := strings.IndexByte(v, ' '); j >= 0 {
		return v[:j]
	}
	return v
}

// TestFaultInjection answers every endpoint of one provider's account with
// each kind of bad upstream answer, beside healthy accounts of every
// provider.
func TestFaultInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("fault suite takes a few seconds")
	}
	base := baseline(t)
	kinds := faultAccounts()
	for _, p := range slices.Sorted(maps.Keys(kinds)) {
		paths := readPaths(t, kinds[p])
		for _, f := range faults {
			t.Run(fmt.Sprintf("%s/%s", p, f.name), func(t *testing.T) {
				t.Parallel()
				fw := newFaultWorld(t, p, f, "")
				fw.check(t, f, base, paths)
			})
		}
		// One endpoint failing for good: the account is down, the rest of
		// its data still shows (a value series besides billing_up: values
		// placed by the failing endpoint's answer, such as Telnyx's top-up
		// amounts in the balance's currency, go with it), and the log names
		// that endpoint.
		for _, ep := range paths {
			t.Run(fmt.Sprintf("%s/only %s 502", p, ep), func(t *testing.T) {
				t.Parallel()
				f := fault{reason: "server", someValues: true, serve: status(502, `{"message":"bad gateway"}`)}
				fw := newFaultWorld(t, p, f, ep)
				fw.check(t, f, base, []string{ep})
				if n := fw.seriesOf("faulty"); len(paths) > 1 && !gatesAll(ep, paths) && n < 2 {
					t.Errorf("faulty account exports only %d series: one bad endpoint hid the others", n)
				}
			})
		}
	}
}

// gatesAll reports whether every other path read lies below path: a list
// whose failure leaves nothing else to read (Qovery's organizations).
func gatesAll(path string, paths []string) bool {
	for _, p := range paths {
		if p != path && !strings.HasPrefix(p, path+"/") {
			return false
		}
	}
	return true
}
