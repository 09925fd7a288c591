package collector

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// panicky is a provider whose collector panics, to prove the fan-out
// contains it.
type panicky struct{}

func (panicky) Name() string                           { return "docspace" }
func (panicky) Help() string                           { return "panics" }
func (panicky) Scrape(context.Context, *Emitter) error { panic("boom") }

func TestPanicInOneAccountHidesNoOther(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	cfg := &config.Config{Accounts: []config.Account{
		{Name: "a", Provider: "docspace", BaseURL: srv.Mount("/a", sandbox.NewDocSpace(docspaceKey)), APIKey: docspaceKey},
		{Name: "b", Provider: "docspace", BaseURL: srv.Mount("/b", sandbox.NewDocSpace(docspaceKey)), APIKey: docspaceKey},
	}}
	h := newHarness(t, cfg)
	h.exp.targets[0].scraper = panicky{}
	h.scrape()
	if up := h.value("billing_up", map[string]string{"account": "a"}); up != 0 {
		t.Errorf("panicking account: billing_up = %v", up)
	}
	if up := h.value("billing_up", map[string]string{"account": "b"}); up != 1 {
		t.Errorf("other account: billing_up = %v", up)
	}
	if !strings.Contains(h.logs.String(), "collector panicked: boom") {
		t.Errorf("panic not logged:\n%s", h.logs.String())
	}
}

func TestFailureLogsAreRateLimited(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		if strings.HasSuffix(r.URL.Path, "/currencies") {
			w.WriteHeader(http.StatusNotFound)
			return true
		}
		return false
	})
	cfg := &config.Config{Accounts: []config.Account{{Name: "a", Provider: "docspace",
		BaseURL: srv.Mount("/a", sandbox.NewDocSpace(docspaceKey)), APIKey: docspaceKey}}}
	h := newHarness(t, cfg)
	for i := 0; i < 10; i++ {
		h.scrape()
		h.clock.Advance(15 * time.Second)
	}
	if n := strings.Count(h.logs.String(), "endpoint=currencies"); n != 1 {
		t.Errorf("a dead endpoint was logged %d times in 10 scrapes within 5 minutes, want once", n)
	}
	h.clock.Advance(5 * time.Minute)
	h.scrape()
	if n := strings.Count(h.logs.String(), "endpoint=currencies"); n != 2 {
		t.Errorf("after 5 minutes the failure was logged %d times in all, want 2", n)
	}
}

func TestReloadKeepsUnchangedAccountsCaches(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	acct := func(name string) config.Account {
		return config.Account{Name: name, Provider: "docspace", BaseURL: srv.Mount("/"+name, sandbox.NewDocSpace(docspaceKey)), APIKey: docspaceKey}
	}
	keep, drop, added := acct("keep"), acct("drop"), acct("new")
	cfg := &config.Config{Global: config.Global{CacheTTL: config.Duration(time.Hour)}, Accounts: []config.Account{keep, drop}}
	h := newHarness(t, cfg)
	h.scrape()
	before := len(srv.Requests())

	next := &config.Config{Global: config.Global{CacheTTL: config.Duration(time.Hour)}, Accounts: []config.Account{keep, added}}
	if err := next.Validate(func(string) (string, bool) { return "", false }); err != nil {
		t.Fatal(err)
	}
	exp, err := h.exp.Reload(next)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(exp.Accounts(), ","); got != "keep,new" {
		t.Fatalf("accounts after reload = %s", got)
	}
	if exp.targets[0] != h.exp.targets[0] {
		t.Error("unchanged account was rebuilt: its cache is lost")
	}
	if h.count("billing_upstream_cache_lookups_total", map[string]string{"account": "drop"}) == 0 {
		t.Fatal("test setup: dropped account had no upstream series")
	}
	// Swap the harness over to the reloaded exporter.
	h2 := &harness{t: t, exp: exp, reg: gatherers(exp, h.upstream), upstream: h.upstream, logs: h.logs, clock: h.clock}
	h2.scrape()
	if n := len(srv.Requests()) - before; n != 6 {
		t.Errorf("reload made %d upstream requests, want 6 (only the new account's endpoints)", n)
	}
	if n := h2.count("billing_up", map[string]string{"account": "drop"}); n != 0 {
		t.Error("removed account still exported")
	}
	if n := h2.count("billing_upstream_cache_lookups_total", map[string]string{"account": "drop"}); n != 0 {
		t.Error("removed account's upstream series still exported")
	}

	bad := &config.Config{Accounts: []config.Account{{Name: "x", Provider: "nope"}}}
	if _, err := h.exp.Reload(bad); err == nil {
		t.Error("reload accepted an unknown provider")
	}
}

func TestEndpointCacheTTLKeysAreEndpointNames(t *testing.T) {
	srv := sandbox.NewServer()
	defer srv.Close()
	cfg := func(key string) *config.Config {
		c := &config.Config{Accounts: []config.Account{{Name: "q", Provider: "qovery",
			BaseURL: srv.Mount("/q/"+strings.ReplaceAll(key, "/", "-"), sandbox.NewQovery("tok")), APIKey: "tok",
			EndpointCacheTTL: map[string]config.Duration{key: config.Duration(time.Hour)}}}}
		if err := c.Validate(func(string) (string, bool) { return "", false }); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, err := New(cfg("organization/invoice"), Options{}); err != nil {
		t.Errorf("a real endpoint name is refused: %v", err)
	}
	_, err := New(cfg("invoice"), Options{})
	if err == nil || !strings.Contains(err.Error(), `accounts[0] "q": endpoint_cache_ttl: "invoice" is not a qovery endpoint`) ||
		!strings.Contains(err.Error(), "organization/invoice") {
		t.Errorf("unknown endpoint name: %v; want the account, the field and the valid names", err)
	}
}

// Every endpoint a scrape reads (logins aside, which are never cached) can
// be named in endpoint_cache_ttl.
func TestCachedEndpointsListEveryEndpointRead(t *testing.T) {
	demo, err := sandbox.StartDemo(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer demo.Close()
	h := newHarness(t, demo.Config)
	h.scrape()
	mfs, err := h.upstream.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, mf := range mfs {
		if mf.GetName() != "billing_upstream_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if strings.HasPrefix(l["endpoint"], "auth/") {
				continue
			}
			seen++
			if !slices.Contains(cachedEndpoints[l["provider"]], l["endpoint"]) {
				t.Errorf("%s endpoint %q is read but not listed in cachedEndpoints", l["provider"], l["endpoint"])
			}
		}
	}
	if seen < 10 {
		t.Fatalf("only %d endpoints read; the demo should read every provider's", seen)
	}
}
