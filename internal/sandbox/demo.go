package sandbox

import (
	"fmt"
	"math"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
)

// Demo is the built-in simulation behind --demo: fake vendor APIs on
// loopback and a config pointing at them with made-up keys.
type Demo struct {
	Server *Server
	Config *config.Config
	start  time.Time
	now    func() time.Time
}

// demoDrift is how fast demo balances fall, per second: slow enough that no
// healthy demo account looks like it runs dry within a week.
const demoDrift = 0.0005

// StartDemo starts the simulation. now is the clock that moves balances
// and places due dates (time.Now outside tests).
func StartDemo(now func() time.Time) (*Demo, error) {
	if now == nil {
		now = time.Now
	}
	d := &Demo{Server: NewServer(), start: now(), now: now}
	cfg := &config.Config{}

	// A healthy paid portal with balances in two currencies.
	mainKey := demoKey(1)
	main := NewDocSpace(mainKey)
	main.Set(DocSpaceBalance, DocSpaceOK(func() any {
		return map[string]any{
			"accountNumber": 100042, "accountCurrency": "USD",
			"subAccounts": []any{
				map[string]any{"currency": "USD", "amount": d.drift(1500.75, 1)},
				map[string]any{"currency": "EUR", "amount": d.drift(230.5, 0.2)},
			},
			"lastCredit": map[string]any{"date": "2026-07-05T10:11:12.1234567Z", "currency": "USD", "amount": 500},
		}
	}))
	main.Set(DocSpaceQuota, DocSpaceOK(func() any {
		q := DocSpaceQuotaBusiness()
		q["dueDate"] = d.start.UTC().Add(45 * 24 * time.Hour).Format("2006-01-02T15:04:05")
		return q
	}))
	cfg.Accounts = append(cfg.Accounts, config.Account{Name: "docspace-main", Provider: "docspace",
		BaseURL: d.Server.Mount("/docspace/main", main), APIKey: config.Secret(mainKey)})

	// A portal on a trial that ends in two days, whose balance has fallen
	// under its top-up minimum and whose storage is nearly full.
	trialKey := demoKey(2)
	trial := NewDocSpace(trialKey)
	trial.Set(DocSpaceCustomerInfo, DocSpaceOK(map[string]any{"portalId": "portal-2", "paymentMethodStatus": 0}))
	trial.Set(DocSpaceBalance, DocSpaceOK(func() any {
		return map[string]any{"accountNumber": 100043, "accountCurrency": "USD",
			"subAccounts": []any{map[string]any{"currency": "USD", "amount": d.drift(12.4, 0.1)}}}
	}))
	trial.Set(DocSpaceQuota, DocSpaceOK(func() any {
		q := DocSpaceQuotaBusiness()
		q["title"], q["trial"] = "Business (trial)", true
		// 95 GB of the 100 GB storage quota used.
		for _, f := range q["features"].([]any) {
			if f := f.(map[string]any); f["id"] == "total_size" {
				f["used"] = map[string]any{"value": 102005473280, "title": "95 GB"}
			}
		}
		// .NET's round-trip form: Z and exactly 7 fractional digits.
		q["dueDate"] = d.start.UTC().Add(2 * 24 * time.Hour).Format("2006-01-02T15:04:05.0000000Z")
		return q
	}))
	trial.Set(DocSpaceTopUp, DocSpaceOK(map[string]any{
		"enabled": false, "minBalance": 20, "upToBalance": 100, "currency": "USD", "lastModified": "2026-06-01T08:00:00"}))
	cfg.Accounts = append(cfg.Accounts, config.Account{Name: "docspace-trial", Provider: "docspace",
		BaseURL: d.Server.Mount("/docspace/trial", trial), APIKey: config.Secret(trialKey)})

	for _, add := range demoProviders {
		cfg.Accounts = append(cfg.Accounts, add(d)...)
	}
	// Short cache so that the demo's graphs move.
	cfg.Global.CacheTTL = config.Duration(5 * time.Second)
	if err := cfg.Validate(func(string) (string, bool) { return "", false }); err != nil {
		d.Close()
		return nil, fmt.Errorf("demo config: %w", err)
	}
	d.Config = cfg
	return d, nil
}

// demoProviders lets each provider's fake add its demo accounts.
var demoProviders []func(d *Demo) []config.Account

// drift returns start lowered by rate×demoDrift per second since the demo
// began, with a small wiggle, never below zero.
func (d *Demo) drift(start, rate float64) float64 {
	s := d.now().Sub(d.start).Seconds()
	v := start - rate*demoDrift*s*(1+0.1*math.Sin(s/60))
	return math.Round(math.Max(v, 0)*100) / 100
}

// Now is the demo's clock.
func (d *Demo) Now() time.Time { return d.now() }

// Start is when the demo began.
func (d *Demo) Start() time.Time { return d.start }

// Close stops the fake APIs.
func (d *Demo) Close() { d.Server.Close() }

// demoKey makes a key in DocSpace's format (sk- and 64 hex digits); it is
// only valid against the demo's own fakes.
func demoKey(n int) string { return fmt.Sprintf("sk-%064x", 0xde30+n) }
