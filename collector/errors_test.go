package collector_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/docspace"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// global.cache_ttl 0s switches caching off, as an account's 0s does.
func TestGlobalCacheTTLZeroSwitchesCachingOff(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	doc := fmt.Sprintf("global:\n  cache_ttl: 0s\naccounts:\n  - name: d\n    provider: docspace\n    base_url: %s\n    api_key: %s\n",
		srv.Mount("/d", docspace.NewFake(docspaceKey)), docspaceKey)
	cfg, err := config.Parse([]byte(doc), func(string) (string, bool) { return "", false }, collector.ConfigProviders())
	if err != nil {
		t.Fatal(err)
	}
	h := collectortest.New(t, cfg)
	h.Scrape()
	first := len(srv.Requests())
	h.Scrape() // same instant on the fake clock
	if again := len(srv.Requests()) - first; again != first {
		t.Errorf("second scrape sent %d requests, the first %d: cache_ttl 0s did not switch caching off", again, first)
	}
}

// A redirect is logged with its target, without the target's query.
func TestRedirectIsLoggedWithItsTarget(t *testing.T) {
	srv := newServer(t)
	h := collectortest.New(t, &config.Config{Accounts: []config.Account{docspaceAccount(srv, "d")}})
	srv.SetFault(func(w http.ResponseWriter, _ *http.Request, _ http.Handler) bool {
		w.Header().Set("Location", "https://sso.example.com/login?session=abc")
		w.WriteHeader(http.StatusFound)
		return true
	})
	h.Scrape()
	logs := h.Logs.String()
	if !strings.Contains(logs, "status=302") || !strings.Contains(logs, "redirect to https://sso.example.com/login (not followed)") {
		t.Errorf("the log does not name the redirect's target:\n%s", logs)
	}
	if strings.Contains(logs, "session=abc") {
		t.Errorf("the log shows the redirect's query:\n%s", logs)
	}
}

// An error body echoing the key URL-encoded (Bearer%20sk-…) is scrubbed.
func TestURLEncodedKeyInErrorBodyIsScrubbed(t *testing.T) {
	const key = "sk-base64+KEY/with=padding=="
	srv := newServer(t)
	h := collectortest.New(t, &config.Config{Accounts: []config.Account{{Name: "d", Provider: "docspace",
		BaseURL: srv.Mount("/d", docspace.NewFake(key)), APIKey: key}}})
	srv.SetFault(func(w http.ResponseWriter, _ *http.Request, _ http.Handler) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = fmt.Fprintf(w, `{"error":{"message":"rejected Authorization=Bearer%%20%s"}}`, url.QueryEscape(key))
		return true
	})
	h.Scrape()
	logs := h.Logs.String()
	if strings.Contains(logs, url.QueryEscape(key)) || !strings.Contains(logs, "<secret>") {
		t.Errorf("the URL-encoded key is in the log:\n%s", logs)
	}
}
