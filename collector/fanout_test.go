package collector_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/collector/docspace"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/prometheus/client_golang/prometheus"
)

// TestScrapeFanOutIsBounded: while a hanging vendor holds every upstream
// slot, a scrape of many accounts runs a few of them per slot, not one
// goroutine per account.
func TestScrapeFanOutIsBounded(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	release := make(chan struct{})
	arrived := make(chan struct{}, 1<<12)
	srv.SetFault(func(_ http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	})
	const n, slots = 500, 2
	cfg := &config.Config{Global: config.Global{MaxConcurrency: slots}}
	for i := range n {
		name := fmt.Sprintf("acct-%03d", i)
		cfg.Accounts = append(cfg.Accounts, config.Account{Name: name, Provider: "docspace",
			BaseURL: srv.Mount("/"+name, docspace.NewFake(docspaceKey)), APIKey: docspaceKey})
	}
	h := collectortest.New(t, cfg)

	before := runtime.NumGoroutine()
	done := make(chan struct{})
	go func() {
		_, _ = h.Exp.Gather(context.Background(), prometheus.NewRegistry())
		close(done)
	}()
	for range slots {
		<-arrived
	}
	// Every chance for the scrape to start more accounts than it should.
	for range 1000 {
		runtime.Gosched()
	}
	// Bounded, about 120: each account in flight reads its endpoints
	// concurrently. Unbounded, several per account: thousands.
	if extra := runtime.NumGoroutine() - before; extra > n/2 {
		t.Errorf("%d goroutines while %d upstream slots are taken, for %d accounts; want a few per slot", extra, slots, n)
	}
	close(release)
	<-done
}
