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

	for _, f := range fakes {
		cfg.Accounts = append(cfg.Accounts, f.demo(d)...)
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

// drift returns start lowered by rate×demoDrift per second since the demo
// began, with a small wiggle, never below zero.
func (d *Demo) drift(start, rate float64) float64 {
	s := d.now().Sub(d.start).Seconds()
	v := start - rate*demoDrift*s*(1+0.1*math.Sin(s/60))
	return math.Round(math.Max(v, 0)*100) / 100
}

// Close stops the fake APIs.
func (d *Demo) Close() { d.Server.Close() }
