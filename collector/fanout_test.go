package collector

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// TestScrapeFanOutIsBounded: while a hanging vendor holds every upstream
// slot, a scrape of many accounts runs a few of them per slot, not one
// goroutine per account.
func TestScrapeFanOutIsBounded(t *testing.T) {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	release := make(chan struct{})
	var inflight atomic.Int32
	srv.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		inflight.Add(1)
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
			BaseURL: srv.Mount("/"+name, sandbox.NewDocSpace(docspaceKey)), APIKey: docspaceKey})
	}
	h := newHarness(t, cfg)

	before := runtime.NumGoroutine()
	done := make(chan struct{})
	go func() {
		h.exp.render(context.Background())
		close(done)
	}()
	for inflight.Load() < slots {
		time.Sleep(time.Millisecond)
	}
	// Every chance for the scrape to start more accounts than it should.
	for range 100 {
		runtime.Gosched()
	}
	time.Sleep(20 * time.Millisecond)
	// Bounded, about 120: each account in flight reads its endpoints
	// concurrently. Unbounded, several per account: thousands.
	if extra := runtime.NumGoroutine() - before; extra > n/2 {
		t.Errorf("%d goroutines while %d upstream slots are taken, for %d accounts; want a few per slot", extra, slots, n)
	}
	close(release)
	<-done
}
