package collector

import (
	"fmt"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// StartDemo starts the simulation behind --demo: every provider's demo
// accounts, their fakes on one loopback server, and a validated config
// pointing at them. now moves balances and places due dates (nil:
// time.Now).
func StartDemo(now func() time.Time) (*sandbox.Demo, error) {
	d := sandbox.NewDemo(now)
	cfg := &config.Config{}
	for _, p := range Providers {
		cfg.Accounts = append(cfg.Accounts, p.Demo(d)...)
	}
	// Short cache so that the demo's graphs move.
	cfg.Global.CacheTTL = config.Duration(5 * time.Second)
	if err := cfg.Validate(func(string) (string, bool) { return "", false }, ConfigProviders()); err != nil {
		d.Close()
		return nil, fmt.Errorf("demo config: %w", err)
	}
	d.Config = cfg
	return d, nil
}
