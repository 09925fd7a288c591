package qovery_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/qovery"
	"github.com/billing-exporter/billing-exporter/config"
)

// manyOrgs is n organizations without clusters.
func manyOrgs(n int) []qovery.Org {
	orgs := make([]qovery.Org, n)
	for i := range orgs {
		orgs[i] = qovery.Org{ID: fmt.Sprintf("%08x-0000-4000-8000-000000000000", i), Name: fmt.Sprintf("org-%05d", i), Plan: "TEAM_2025"}
	}
	return orgs
}

// An organization list longer than max_items_per_list is read up to the
// bound: the account fails with too_large, counted and logged once, and
// keeps the series of the organizations it read.
func TestQoveryOrganizationsBeyondTheBoundFailTooLarge(t *testing.T) {
	h, srv := qoveryHarness(t, qovery.NewFake(qoveryToken, manyOrgs(5)...), config.Account{MaxItemsPerList: 3}, nil)
	h.Scrape()
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v, want 0", up)
	}
	if n := h.Value("billing_upstream_errors_total", map[string]string{"reason": "too_large"}); n != 2 {
		t.Errorf("too_large counted %v times in two scrapes, want 2", n)
	}
	if n := strings.Count(h.Logs.String(), "reason=too_large"); n != 1 {
		t.Errorf("too_large logged %d times, want once:\n%s", n, h.Logs.String())
	}
	if n := h.Count("billing_valid", nil); n != 3 {
		t.Errorf("billing_valid of %d organizations, want the 3 read", n)
	}
	for _, r := range srv.Requests() {
		if strings.Contains(r.Path, "/organization/00000003-") || strings.Contains(r.Path, "/organization/00000004-") {
			t.Errorf("%s: an organization past the bound was read", r.Path)
		}
	}
}

// An account exports at most max_series_per_account series: the rest are
// dropped and the account fails with too_large.
func TestQoverySeriesBeyondTheBoundFailTooLarge(t *testing.T) {
	h, _ := qoveryHarness(t, qovery.NewFake(qoveryToken, manyOrgs(10)...), config.Account{MaxSeriesPerAccount: 25}, nil)
	h.Scrape()
	n := 0
	for _, mf := range h.Snapshot() {
		if name := mf.GetName(); !strings.HasPrefix(name, "billing_upstream_") && name != "billing_up" &&
			name != "billing_scrape_duration_seconds" && name != "billing_last_success_timestamp_seconds" && name != "billing_cost_budget" {
			n += len(mf.GetMetric())
		}
	}
	if n != 25 {
		t.Errorf("%d billing series, want the 25 of the bound", n)
	}
	if up := h.Value("billing_up", nil); up != 0 {
		t.Errorf("billing_up = %v, want 0", up)
	}
	if !strings.Contains(h.Logs.String(), "max_series_per_account") {
		t.Errorf("the bound is not logged:\n%s", h.Logs.String())
	}
}

// However many organizations the vendor lists, a scrape runs as many
// goroutines as the account's requests in flight allow, and leaves as many
// requests behind when its deadline ends: not one per organization.
func TestQoveryGoroutinesBoundedByConcurrencyNotByOrganizations(t *testing.T) {
	const orgs, slots = 300, 4
	fake := qovery.NewFake(qoveryToken, manyOrgs(orgs)...)
	arrived := make(chan struct{}, 4*orgs*7)
	release := make(chan struct{})
	h, srv := qoveryHarness(t, fake, config.Account{MaxItemsPerList: 10 * orgs, MaxConcurrency: slots}, nil)
	srv.SetFault(func(_ http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		if r.URL.Path == "/qov/organization" {
			return false
		}
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	})
	defer close(release)

	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ScrapeCtx(ctx)
	}()
	for range slots {
		<-arrived
	}
	for range 1000 { // every chance to start more than it should
		runtime.Gosched()
	}
	bound := 20 * slots // workers, their reads, the requests and the server's handlers
	if extra := runtime.NumGoroutine() - before; extra > bound {
		t.Errorf("%d goroutines while %d requests are held, for %d organizations; want at most %d", extra, slots, orgs, bound)
	}
	cancel()
	<-done
	for range 1000 {
		runtime.Gosched()
	}
	if extra := runtime.NumGoroutine() - before; extra > bound {
		t.Errorf("%d goroutines left behind by a scrape past its deadline, for %d organizations; want at most %d", extra, orgs, bound)
	}
}
