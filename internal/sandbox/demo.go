package sandbox

import (
	"math"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
)

// Demo is the built-in simulation behind --demo: fake vendor APIs on
// loopback and a config pointing at them with made-up keys. Each
// provider's Demo mounts its fakes on Server; collector.StartDemo
// gathers their accounts into Config.
type Demo struct {
	Server *Server
	Config *config.Config
	start  time.Time
	now    func() time.Time
}

// demoDrift is how fast demo balances fall, per second: slow enough that no
// healthy demo account looks like it runs dry within a week.
const demoDrift = 0.0005

// NewDemo starts the fakes' server. now is the clock that moves balances
// and places due dates (time.Now if nil).
func NewDemo(now func() time.Time) *Demo {
	if now == nil {
		now = time.Now
	}
	return &Demo{Server: NewServer(), start: now(), now: now}
}

// Start is when the demo began: due dates are placed relative to it.
func (d *Demo) Start() time.Time { return d.start }

// Now is the demo's clock.
func (d *Demo) Now() time.Time { return d.now() }

// Drift returns start lowered by rate×demoDrift per second since the demo
// began, with a small wiggle, never below zero.
func (d *Demo) Drift(start, rate float64) float64 {
	s := d.now().Sub(d.start).Seconds()
	v := start - rate*demoDrift*s*(1+0.1*math.Sin(s/60))
	return math.Round(math.Max(v, 0)*100) / 100
}

// Close stops the fake APIs.
func (d *Demo) Close() { d.Server.Close() }
