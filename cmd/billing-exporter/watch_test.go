package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/collector/docspace"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/expo"
	"github.com/billing-exporter/billing-exporter/internal/series"
	"github.com/billing-exporter/billing-exporter/internal/testlog"
	"github.com/go-kit/log"
)

// secretVolume is a directory laid out as the kubelet lays out a mounted
// Secret: each key a symlink into ..data, itself a symlink to a
// timestamped directory that holds the files.
type secretVolume struct {
	dir string
	n   int
}

// publish replaces the volume's files as the kubelet's atomic writer does:
// a new timestamped directory, a ..data_tmp symlink to it renamed over
// ..data, then the keys no longer present and the old directory removed.
func (v *secretVolume) publish(t *testing.T, files map[string]string) {
	t.Helper()
	v.n++
	ts := fmt.Sprintf("..2024_05_01_12_00_00.%09d", v.n)
	if err := os.Mkdir(filepath.Join(v.dir, ts), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		writeFile(t, filepath.Join(v.dir, ts, name), content)
	}
	old, _ := os.Readlink(filepath.Join(v.dir, "..data"))
	if err := os.Symlink(ts, filepath.Join(v.dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(v.dir, "..data_tmp"), filepath.Join(v.dir, "..data")); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(v.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, keep := files[e.Name()]; !keep && !strings.HasPrefix(e.Name(), "..") {
			if err := os.Remove(filepath.Join(v.dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name := range files {
		if _, err := os.Lstat(filepath.Join(v.dir, name)); os.IsNotExist(err) {
			if err := os.Symlink(filepath.Join("..data", name), filepath.Join(v.dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if old != "" {
		if err := os.RemoveAll(filepath.Join(v.dir, old)); err != nil {
			t.Fatal(err)
		}
	}
}

// rotatingPortal is a DocSpace portal whose key the test changes: each
// fake takes one key, and the portal counts the requests that carried
// each of the two keys the tests use.
type rotatingPortal struct {
	fake             atomic.Pointer[docspace.Fake]
	withOld, withNew atomic.Int64
}

const rotatedKey = "sk-test-fedcba9876543210-never-print-me-either"

func (p *rotatingPortal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Header.Get("Authorization") {
	case "Bearer " + docspaceKey:
		p.withOld.Add(1)
	case "Bearer " + rotatedKey:
		p.withNew.Add(1)
	}
	p.fake.Load().ServeHTTP(w, r)
}

// rotationSetup is a config file with the account "rotating", its key in
// a Secret volume and read from the vendor at every scrape (cache_ttl 0s,
// so that a scrape shows the key in use), and the account "steady", its
// key inline and its answers cached.
func rotationSetup(t *testing.T) (cfgFile string, srv *portals, portal *rotatingPortal, keys *secretVolume) {
	t.Helper()
	srv = newPortals(t)
	portal = &rotatingPortal{}
	portal.fake.Store(docspace.NewFake(docspaceKey))
	keys = &secretVolume{dir: t.TempDir()}
	keys.publish(t, map[string]string{"docspace": docspaceKey + "\n"})
	cfgFile = filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfgFile, srv.config("steady")+fmt.Sprintf(
		"  - name: rotating\n    provider: docspace\n    base_url: %s\n    api_key_file: %s\n    cache_ttl: 0s\n",
		srv.Mount("/docspace/rotating", portal), filepath.Join(keys.dir, "docspace")))
	return cfgFile, srv, portal, keys
}

// The key watch reloads when a key file holds something else than the
// running configuration read: not when a swap leaves the content as it
// was, once per broken content rather than at every check, again when the
// file changes. The account's next request carries the new key; the
// other account's cache is untouched.
func TestKeyWatchReloadsOnChangedContent(t *testing.T) {
	cfgFile, srv, portal, keys := rotationSetup(t)
	load := func() (*config.Config, error) {
		return config.LoadShard(cfgFile, config.Unsharded, collector.ConfigProviders())
	}
	cfg, err := load()
	if err != nil {
		t.Fatal(err)
	}
	logs := &testlog.Buffer{}
	rl, err := newReloader(cfg, load, log.NewLogfmtLogger(logs))
	if err != nil {
		t.Fatal(err)
	}
	w := &keyWatch{rl: rl, logger: log.NewLogfmtLogger(logs)}
	scrape := func() string {
		t.Helper()
		fams, err := rl.current.Load().exp.Gather(context.Background(), rl.shared)
		var b strings.Builder
		if err == nil {
			err = expo.Write(&b, fams)
		}
		if err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	sample := func(body, name string) float64 {
		t.Helper()
		v, _ := series.Sample(body, name)
		return v
	}
	const (
		up       = `billing_up{account="rotating",provider="docspace"}`
		failures = `billing_exporter_config_reloads_total{result="failure",trigger="secret_file"}`
		reloads  = `billing_exporter_config_reloads_total{result="success",trigger="secret_file"}`
		ok       = "billing_exporter_config_last_reload_successful"
	)
	if body := scrape(); sample(body, up) != 1 || portal.withOld.Load() == 0 {
		t.Fatalf("rotating not up on its first key:\n%s", body)
	}

	keys.publish(t, map[string]string{"docspace": docspaceKey + "\n"})
	if w.check() {
		t.Error("a swap to the same content reloaded")
	}

	portal.fake.Store(docspace.NewFake(rotatedKey))
	keys.publish(t, map[string]string{"docspace": rotatedKey + "\n"})
	steady, old := upstreamCalls(srv, "steady"), portal.withOld.Load()
	if !w.check() {
		t.Fatal("a rotated key did not reload")
	}
	body := scrape()
	if sample(body, reloads) != 1 || sample(body, up) != 1 || portal.withNew.Load() == 0 || portal.withOld.Load() != old {
		t.Errorf("after the rotation: %d requests with the new key, %d more with the old, up %v, reloads %v",
			portal.withNew.Load(), portal.withOld.Load()-old, sample(body, up), sample(body, reloads))
	}
	if n := upstreamCalls(srv, "steady") - steady; n != 0 {
		t.Errorf("steady made %d upstream calls after another account's key rotated; want its cache kept", n)
	}
	if !strings.Contains(logs.String(), "files="+filepath.Join(keys.dir, "docspace")) {
		t.Errorf("the reload does not name the file that changed:\n%s", logs)
	}
	if w.check() {
		t.Error("reloaded again with nothing changed")
	}

	// An empty file does not load: one failed reload, not one per check;
	// the running configuration keeps the key it has.
	keys.publish(t, map[string]string{"docspace": "\n"})
	for i, want := range []bool{true, false, false} {
		if got := w.check(); got != want {
			t.Errorf("check %d with the key file empty: reloaded %v, want %v", i, got, want)
		}
	}
	body = scrape()
	if sample(body, failures) != 1 || sample(body, ok) != 0 || sample(body, up) != 1 {
		t.Errorf("empty key file: %v failed reloads (want 1), last_reload_successful %v, up %v", sample(body, failures), sample(body, ok), sample(body, up))
	}
	// A key removed from the Secret is another change, tried once too.
	keys.publish(t, map[string]string{"other": "x"})
	if !w.check() || w.check() {
		t.Error("a removed key file: want one reload")
	}
	keys.publish(t, map[string]string{"docspace": rotatedKey + "\n"})
	if w.check() {
		t.Error("reloaded for a file back to what the running configuration read")
	}
	keys.publish(t, map[string]string{"docspace": " " + rotatedKey + "\n"})
	if !w.check() {
		t.Error("a file changed after failed reloads did not reload")
	}
	body = scrape()
	if sample(body, failures) != 2 || sample(body, reloads) != 2 || sample(body, ok) != 1 || sample(body, up) != 1 {
		t.Errorf("after failed reloads and a good file: %v failed, %v good, last_reload_successful %v, up %v",
			sample(body, failures), sample(body, reloads), sample(body, ok), sample(body, up))
	}
	if strings.Contains(logs.String(), rotatedKey) || strings.Contains(logs.String(), docspaceKey) {
		t.Error("a key shows in the logs")
	}
}

// The running exporter checks the key files at every tick of its clock
// (here the test's): a key the kubelet rotates reaches the vendor without
// a signal or a restart.
func TestKeyFileRotationWithoutRestart(t *testing.T) {
	cfgFile, _, portal, keys := rotationSetup(t)
	ticks := make(chan time.Time)
	var interval time.Duration
	wall := newTicker
	t.Cleanup(func() { newTicker = wall }) // after the exporter stops: start's cleanup runs first
	newTicker = func(d time.Duration) (<-chan time.Time, func()) {
		interval = d
		return ticks, func() {}
	}
	e := start(t, "--config.file="+cfgFile, "--config.secrets-check-interval=45s")
	if interval != 45*time.Second {
		t.Errorf("check interval %v, want the flag's 45s", interval)
	}
	metrics := "http://" + e.addr + "/metrics"
	if _, body := get(t, nil, metrics); !strings.Contains(body, `billing_up{account="rotating",provider="docspace"} 1`) {
		t.Fatalf("rotating not up on its first key:\n%s", body)
	}

	portal.fake.Store(docspace.NewFake(rotatedKey))
	keys.publish(t, map[string]string{"docspace": rotatedKey + "\n"})
	ticks <- time.Now()
	waitLog(t, e.logs, e.exited, regexp.MustCompile(`msg="configuration reloaded" trigger=secret_file`))
	old := portal.withOld.Load()
	if _, body := get(t, nil, metrics); !strings.Contains(body, `billing_up{account="rotating",provider="docspace"} 1`) ||
		portal.withNew.Load() == 0 || portal.withOld.Load() != old {
		t.Errorf("after the rotation: %d requests with the new key, %d more with the old:\n%s",
			portal.withNew.Load(), portal.withOld.Load()-old, body)
	}
}
