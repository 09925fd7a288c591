package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// newTicker is the clock of the key file check; tests tick it by hand.
var newTicker = func(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// minSecretsCheckInterval keeps a careless --config.secrets-check-interval
// from reading every key file in a busy loop.
const minSecretsCheckInterval = time.Second

// checkSecretsInterval refuses an interval the check cannot work at.
func checkSecretsInterval(d time.Duration) error {
	if d != 0 && d < minSecretsCheckInterval {
		return fmt.Errorf("%v must be 0s (no check) or at least %v", d, minSecretsCheckInterval)
	}
	return nil
}

// keyWatch reloads the configuration, as SIGHUP does, when a key or
// password file no longer holds what the running configuration read from
// it. It reads the files at each check rather than subscribing to file
// system events (ADR 0020): comparing contents catches a Kubernetes
// Secret's symlink swap, an editor's rename and a write in place alike.
type keyWatch struct {
	rl     *reloader
	logger log.Logger

	// tried is what the files held when a reload this watch started
	// failed, and against is the configuration then running: a file that
	// does not load is tried once, not at every check, until it changes
	// again or another reload succeeds.
	tried   map[string]config.Digest
	against *running
}

// check reloads if a file differs both from what the running configuration
// read and from what a failed reload found; it reports whether it did.
func (w *keyWatch) check() bool {
	cur := w.rl.current.Load()
	if cur != w.against {
		w.tried, w.against = nil, cur
	}
	now := make(map[string]config.Digest, len(cur.cfg.SecretFiles))
	var changed []string
	for _, path := range slices.Sorted(maps.Keys(cur.cfg.SecretFiles)) {
		// An unreadable file is the zero digest: a change, which the reload
		// reports with the reason.
		d, _ := config.ReadDigest(path)
		now[path] = d
		if tried, ok := w.tried[path]; d != cur.cfg.SecretFiles[path] && (!ok || d != tried) {
			changed = append(changed, path)
		}
	}
	if len(changed) == 0 {
		return false
	}
	level.Info(w.logger).Log("msg", "key or password files changed; reloading", "files", strings.Join(changed, ","))
	if w.rl.reload("secret_file") != nil {
		w.tried = now
	}
	return true
}
