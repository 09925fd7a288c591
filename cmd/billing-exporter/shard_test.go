package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/docspace"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/series"
)

// shardedPortals writes a config of n DocSpace accounts whose key files
// exist only for the accounts of shard s, as on a replica that was given
// its own shard's keys only. It returns the file and the accounts of s.
func shardedPortals(t *testing.T, srv *portals, n int, s config.Shard) (file string, mine []string) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("accounts:\n")
	for i := range n {
		name := fmt.Sprintf("customer-%02d", i)
		url := srv.Mount("/docspace/"+name, docspace.NewFake(docspaceKey))
		key := filepath.Join(dir, name+".key")
		if s.Owns(name) {
			writeFile(t, key, docspaceKey)
			mine = append(mine, name)
		}
		fmt.Fprintf(&b, "  - name: %s\n    provider: docspace\n    base_url: %s\n    api_key_file: %s\n", name, url, key)
	}
	file = filepath.Join(dir, "config.yml")
	writeFile(t, file, b.String())
	if len(mine) == 0 || len(mine) == n {
		t.Fatalf("shard %v owns %d of %d accounts; the test needs both kinds", s, len(mine), n)
	}
	return file, mine
}

// requested lists the accounts the portals received a request for.
func requested(srv *portals) []string {
	seen := map[string]bool{}
	for _, r := range srv.Requests() {
		if rest, ok := strings.CutPrefix(r.Path, "/docspace/"); ok {
			name, _, _ := strings.Cut(rest, "/")
			seen[name] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// TestShardServesOnlyItsAccounts: a replica of shard 1 of 3, without the
// other shards' keys, starts, calls, serves and logs its accounts only,
// and says which shard it is.
func TestShardServesOnlyItsAccounts(t *testing.T) {
	srv := newPortals(t)
	s := config.Shard{Index: 1, Total: 3}
	file, mine := shardedPortals(t, srv, 20, s)
	e := start(t, "--config.file="+file, "--shard.index=1", "--shard.total=3")

	code, body := get(t, nil, "http://"+e.addr+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	if got := requested(srv); !slices.Equal(got, mine) {
		t.Errorf("upstream requests for %v; want this shard's accounts only: %v", got, mine)
	}
	for i := range 20 {
		name := fmt.Sprintf("customer-%02d", i)
		_, served := series.Sample(body, `billing_up{account="`+name+`",provider="docspace"}`)
		if served != s.Owns(name) {
			t.Errorf("billing_up of %s served: %v; its shard is %d", name, served, config.ShardOf(name, 3))
		}
		if !s.Owns(name) && strings.Contains(e.logs.String(), name) {
			t.Errorf("the log names %s, another shard's account:\n%s", name, e.logs)
		}
	}
	if v, ok := series.Sample(body, `billing_exporter_shard_info{index="1",total="3"}`); !ok || v != 1 {
		t.Errorf("billing_exporter_shard_info{index=\"1\",total=\"3\"} = %v, %v; want 1", v, ok)
	}
	if v, ok := series.Sample(body, "billing_exporter_accounts"); !ok || v != float64(len(mine)) {
		t.Errorf("billing_exporter_accounts = %v, %v; want %d", v, ok, len(mine))
	}
}

// TestProbe: /probe answers one account of this shard, through the same
// cache as /metrics; another shard's account or an unknown one is a 404
// saying which.
func TestProbe(t *testing.T) {
	srv := newPortals(t)
	s := config.Shard{Index: 0, Total: 2}
	file, mine := shardedPortals(t, srv, 12, s)
	e := start(t, "--config.file="+file, "--shard.total=2")
	base := "http://" + e.addr

	if code, _ := get(t, nil, base+"/metrics"); code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	calls := len(srv.Requests())
	code, body := get(t, nil, base+"/probe?target="+mine[0])
	if code != http.StatusOK {
		t.Fatalf("/probe of %s: %d %s", mine[0], code, body)
	}
	if n := len(srv.Requests()); n != calls {
		t.Errorf("/probe after /metrics made %d upstream requests; the cache is shared, want 0", n-calls)
	}
	if v, ok := series.Sample(body, `billing_up{account="`+mine[0]+`",provider="docspace"}`); !ok || v != 1 {
		t.Errorf("/probe: billing_up of %s = %v, %v; want 1:\n%s", mine[0], v, ok, body)
	}
	if !strings.Contains(body, "billing_balance{") {
		t.Errorf("/probe lacks the billing families:\n%s", body)
	}
	for _, line := range strings.Split(body, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") && !strings.Contains(line, `account="`+mine[0]+`"`) {
			t.Errorf("/probe of %s serves another series: %s", mine[0], line)
		}
	}

	var foreign string
	for i := range 12 {
		if name := fmt.Sprintf("customer-%02d", i); !s.Owns(name) {
			foreign = name
		}
	}
	for _, tc := range []struct {
		query string
		code  int
		want  string
	}{
		{"?target=" + foreign, http.StatusNotFound, fmt.Sprintf("account %q is served by shard 1 of 2; this replica serves shard 0", foreign)},
		{"?target=nobody", http.StatusNotFound, `unknown account "nobody": it is not in the configuration`},
		{"", http.StatusBadRequest, "missing parameter target"},
	} {
		code, body := get(t, nil, base+"/probe"+tc.query)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("/probe%s: %d %q; want %d %q", tc.query, code, body, tc.code, tc.want)
		}
	}
	if got := requested(srv); !slices.Equal(got, mine) {
		t.Errorf("upstream requests for %v; want this shard's accounts only: %v", got, mine)
	}
}

// TestSD: /sd lists this replica's accounts, one target each, in
// Prometheus' HTTP SD format.
func TestSD(t *testing.T) {
	srv := newPortals(t)
	s := config.Shard{Index: 1, Total: 2}
	file, mine := shardedPortals(t, srv, 12, s)
	e := start(t, "--config.file="+file, "--shard.index=1", "--shard.total=2")
	code, body := get(t, nil, "http://"+e.addr+"/sd")
	if code != http.StatusOK {
		t.Fatalf("/sd: %d %s", code, body)
	}
	var groups []struct {
		Targets []string          `json:"targets"`
		Labels  map[string]string `json:"labels"`
	}
	if err := json.Unmarshal([]byte(body), &groups); err != nil {
		t.Fatalf("/sd: %v:\n%s", err, body)
	}
	var got []string
	for _, g := range groups {
		if len(g.Targets) != 1 {
			t.Fatalf("target group with %d targets: %v", len(g.Targets), g.Targets)
		}
		got = append(got, g.Targets[0])
		want := map[string]string{"__meta_billing_provider": "docspace", "__meta_billing_shard": "1", "__meta_billing_shard_total": "2"}
		if fmt.Sprint(g.Labels) != fmt.Sprint(want) {
			t.Errorf("%s: labels %v, want %v", g.Targets[0], g.Labels, want)
		}
	}
	sort.Strings(got)
	if !slices.Equal(got, mine) {
		t.Errorf("/sd lists %v; want %v", got, mine)
	}
	if len(srv.Requests()) != 0 {
		t.Errorf("/sd called the vendors")
	}
}

func TestShardFromHostname(t *testing.T) {
	srv := newPortals(t)
	file, _ := shardedPortals(t, srv, 12, config.Shard{Index: 1, Total: 2})
	defer func(h func() (string, error)) { hostname = h }(hostname)
	for _, tc := range []struct {
		host string
		err  error
		code int
		want string
	}{
		{"billing-exporter-1", nil, 0, "this replica serves shard 1"},
		{"billing-exporter-0", nil, 1, "api_key_file: cannot read"}, // shard 0's keys are absent
		{"billing-exporter-2", nil, 2, "shard index 2 is outside 0..1"},
		{"billing-exporter", nil, 2, `host name "billing-exporter" does not end in -<ordinal>`},
		{"", errors.New("no uts"), 2, "--shard.from-hostname: no uts"},
	} {
		hostname = func() (string, error) { return tc.host, tc.err }
		var out, errOut bytes.Buffer
		code := run([]string{"--config.check", "--config.file=" + file, "--shard.from-hostname", "--shard.total=2"}, &out, &errOut, nil)
		if code != tc.code || !strings.Contains(out.String()+errOut.String(), tc.want) {
			t.Errorf("host %q: exit %d, want %d with %q:\n%s%s", tc.host, code, tc.code, tc.want, out.String(), errOut.String())
		}
	}
}

// TestConfigCheckPrintsShards: every account of the file with its shard.
func TestConfigCheckPrintsShards(t *testing.T) {
	srv := newPortals(t)
	file, _ := shardedPortals(t, srv, 12, config.Shard{Index: 0, Total: 4})
	var out, errOut bytes.Buffer
	if code := run([]string{"--config.check", "--config.file=" + file, "--shard.total=4"}, &out, &errOut, nil); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for i := range 12 {
		name := fmt.Sprintf("customer-%02d", i)
		if line := fmt.Sprintf("\n  %s: %d\n", name, config.ShardOf(name, 4)); !strings.Contains(out.String(), line) {
			t.Errorf("output lacks %q:\n%s", line, out.String())
		}
	}
	if strings.Contains(out.String(), docspaceKey) {
		t.Fatal("--config.check printed the API key")
	}
}

// TestProbeAnswersWithinItsScrapeTimeout: a probe ends at its own
// Prometheus timeout, not at --scrape.max-timeout, when the vendor hangs.
func TestProbeAnswersWithinItsScrapeTimeout(t *testing.T) {
	t.Parallel()
	srv := newPortals(t)
	hang := make(chan struct{})
	release := sync.OnceFunc(func() { close(hang) })
	t.Cleanup(release)
	srv.SetFault(func(_ http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
		return true
	})
	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfgFile, "global:\n  timeout: 1m\n"+srv.config("hanging"))
	e := start(t, "--config.file="+cfgFile, "--scrape.max-timeout=1m")

	req, err := http.NewRequest(http.MethodGet, "http://"+e.addr+"/probe?target=hanging", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "2")
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req) // a minute without the header
	if err != nil {
		t.Fatalf("/probe with a 2 s Prometheus timeout did not answer: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	if v, ok := series.Sample(string(b), `billing_up{account="hanging",provider="docspace"}`); resp.StatusCode != http.StatusOK || !ok || v != 0 {
		t.Errorf("/probe: %d, billing_up %v (present %v), want 200 and 0:\n%s", resp.StatusCode, v, ok, b)
	}
	// The upstream calls the probe gave up on are still in flight: release
	// them and wait for them through a second probe, so that none outlives
	// this test (they read globals the next test's run writes).
	release()
	get(t, nil, "http://"+e.addr+"/probe?target=hanging")
}
