package qovery_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/qovery"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/billing-exporter/billing-exporter/internal/series"
)

// Concurrent scrapes of one account all read the organization list from
// the cache (an hour's TTL) while a per-organization endpoint fails, so
// that no scrape's text is reused and every scrape runs the provider
// again: under -race, a provider writing into a value read from the
// cache, or the cache handing one value to two readers, is a data race.
// Every scrape still reports each organization's deployment restriction.
func TestConcurrentScrapesShareNoOrganizationList(t *testing.T) {
	const goroutines, scrapes = 8, 5
	fake := qovery.NewFake(qoveryToken, qoveryOrgs()...)
	for _, id := range []string{orgA, orgB} {
		fake.Set("/organization/"+id+"/billingStatus", sandbox.Reply{Status: http.StatusInternalServerError,
			Body: map[string]any{"status": 500, "error": "Internal Server Error", "detail": "billing service unavailable"}})
	}
	retries := 0
	h, srv := qoveryHarness(t, fake, config.Account{}, &config.Config{Global: config.Global{Retries: &retries}})

	// The first scrape fills the cache; the concurrent ones read it.
	h.Scrape()
	if up := h.Value("billing_up", nil); up != 0 {
		t.Fatalf("billing_up = %v with billingStatus failing, want 0\n%s", up, h.Logs.String())
	}
	want := map[string]map[string]string{
		"alpha": {"organization": "alpha", "organization_id": orgA, "restriction": ""},
		"beta":  {"organization": "beta", "organization_id": orgB, "restriction": "INVOICE_UNPAID"},
	}
	wantValue := map[string]float64{"alpha": 0, "beta": 1}

	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		errs = append(errs, fmt.Errorf(format, args...))
		mu.Unlock()
	}
	for g := range goroutines {
		wg.Go(func() {
			for i := range scrapes {
				mfs, err := collectortest.GatherParsed(context.Background(), h.Exp, h.Shared)
				if err != nil {
					fail("goroutine %d scrape %d: %v", g, i, err)
					continue
				}
				if _, n := series.Find(mfs, "billing_deployment_restricted", nil); n != len(want) {
					fail("goroutine %d scrape %d: %d billing_deployment_restricted series, want %d", g, i, n, len(want))
				}
				for org, labels := range want {
					v, n := series.Find(mfs, "billing_deployment_restricted", labels)
					if n != 1 || v != wantValue[org] {
						fail("goroutine %d scrape %d: billing_deployment_restricted%v = %v (%d series), want %v", g, i, labels, v, n, wantValue[org])
					}
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}

	// The organization list came from the cache: read once, by the first
	// scrape. billingStatus was asked again (concurrent asks may share one
	// request): the scrapes ran the provider, they did not reuse text.
	count := srv.RequestsPerPath()
	if n := count["/qov/organization"]; n != 1 {
		t.Errorf("organization list read %d times, want 1 (the cache's)", n)
	}
	if n := count["/qov/organization/"+orgA+"/billingStatus"]; n < 2 {
		t.Errorf("billingStatus read %d times, want more than once: the scrapes were not run again", n)
	}
}
