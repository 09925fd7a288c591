// Command e2eshards proves sharding on real Prometheus servers, all on
// 127.0.0.1 (scripts/e2e-shards.sh runs it):
//
//   - 24 DocSpace accounts on a sandbox vendor; one unsharded exporter on one
//     copy of it, two replicas (shards 0 and 1 of 2) on another, each
//     replica holding only its own shard's key files;
//   - two Prometheus servers run deploy/prometheus/probe-hashmod.yml (server
//     0 and server 1, intervals cut to seconds): both discover the accounts
//     from both replicas' /sd and keep their half with hashmod;
//   - every account is scraped by exactly one Prometheus through exactly one
//     replica, the one its shard names;
//   - the union of both servers' billing series equals the unsharded
//     exporter's: same label sets, same values;
//   - the replicas' upstream requests sum to the unsharded exporter's;
//   - stopping replica 1 takes down exactly its accounts' targets, and
//     BillingAccountProbeDown (deploy/prometheus/probe-rules.yml, its `for`
//     cut to 2s) fires for exactly those accounts.
//
// It prints PASS/FAIL lines and exits 1 if any check failed.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/docspace"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/billing-exporter/billing-exporter/scripts/internal/e2eapi"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const (
	accounts = 24
	apiKey   = "sk-e2e-shards-key"
	shards   = 2
)

var passed, failed int

func pass(format string, a ...any) {
	passed++
	fmt.Printf("PASS: "+format+"\n", a...)
}
func fail(format string, a ...any) {
	failed++
	fmt.Printf("FAIL: "+format+"\n", a...)
}

func fatalf(format string, a ...any) {
	fmt.Printf("FAIL: "+format+"\n", a...)
	stopAll()
	os.Exit(1)
}

func main() {
	exporter := flag.String("exporter", "", "billing-exporter binary")
	prometheus := flag.String("prometheus", "prometheus", "Prometheus binary")
	work := flag.String("work", "", "working directory (logs, data)")
	flag.Parse()
	if *exporter == "" || *work == "" {
		fmt.Fprintln(os.Stderr, "usage: e2eshards -exporter BIN -work DIR [-prometheus BIN]")
		os.Exit(2)
	}
	defer stopAll()

	names := make([]string, accounts)
	for i := range names {
		names[i] = fmt.Sprintf("customer-%02d", i)
	}
	shardOf := map[string]int{}
	for _, n := range names {
		shardOf[n] = int(config.ShardOf(n, shards))
	}

	// One vendor for the unsharded exporter, one for the replicas, so that
	// each side's upstream requests are counted apart.
	single, sharded := vendor(names), vendor(names)
	defer single.Close()
	defer sharded.Close()

	singleAddr := startExporter(*exporter, filepath.Join(*work, "single"), single, names, nil, "single")
	replicas := make([]string, shards)
	for i := range shards {
		replicas[i] = startExporter(*exporter, filepath.Join(*work, fmt.Sprintf("replica-%d", i)), sharded, names,
			func(n string) bool { return shardOf[n] == i }, fmt.Sprintf("replica-%d", i),
			"--shard.index="+strconv.Itoa(i), "--shard.total="+strconv.Itoa(shards))
	}

	proms := make([]string, shards)
	for i := range shards {
		proms[i] = startPrometheus(*prometheus, filepath.Join(*work, fmt.Sprintf("prometheus-%d", i)), i, replicas)
	}

	// Every account up in exactly one Prometheus, at the replica of its shard.
	var ups [shards]model.Vector
	if err := e2eapi.Poll(90*time.Second, func() (bool, error) {
		total := 0
		for i, p := range proms {
			s, err := query(p, `up{job="billing-accounts"} == 1`)
			if err != nil {
				return false, err
			}
			ups[i] = s
			total += len(s)
		}
		return total == accounts, nil
	}); err != nil {
		fatalf("every account up once over both Prometheus servers: %v (up: %d + %d)", err, len(ups[0]), len(ups[1]))
	}
	seen := map[string]int{}
	for i, s := range ups {
		for _, smp := range s {
			name := string(smp.Metric["account"])
			seen[name]++
			if shardOf[name] != i || string(smp.Metric["instance"]) != replicas[i] {
				fail("%s (shard %d) scraped by Prometheus %d at %s", name, shardOf[name], i, smp.Metric["instance"])
			}
		}
	}
	ok := len(seen) == accounts
	for _, n := range names {
		ok = ok && seen[n] == 1
	}
	if ok {
		pass("each of %d accounts scraped by exactly one Prometheus (%d and %d) through the replica of its shard", accounts, len(ups[0]), len(ups[1]))
	} else {
		fail("accounts scraped: %v", seen)
	}
	for i, p := range proms {
		if n := activeTargets(p); n != len(ups[i]) {
			fail("Prometheus %d has %d active billing-accounts targets, want %d", i, n, len(ups[i]))
		}
	}

	// The union of billing series equals the unsharded exporter's.
	want := exporterSeries("http://" + singleAddr + "/metrics")
	got := map[string]float64{}
	for _, p := range proms {
		s, err := query(p, `{job="billing-accounts",__name__=~"billing_.+"}`)
		if err != nil {
			fatalf("query: %v", err)
		}
		for _, smp := range s {
			delete(smp.Metric, "job")
			delete(smp.Metric, "instance")
			if varies(string(smp.Metric["__name__"])) {
				continue
			}
			got[smp.Metric.String()] = float64(smp.Value)
		}
	}
	if len(want) > accounts*5 && equalSeries(got, want) {
		pass("the union of both servers' billing series equals the unsharded exporter's: %d series, same labels and values", len(got))
	} else {
		fail("billing series differ: %d over both servers, %d from the unsharded exporter", len(got), len(want))
	}

	// Upstream requests: the replicas' sum equals the unsharded exporter's.
	perAccount := func(srv *sandbox.Server) map[string]int {
		out := map[string]int{}
		for _, r := range srv.Requests() {
			if rest, ok := strings.CutPrefix(r.Path, "/docspace/"); ok {
				name, _, _ := strings.Cut(rest, "/")
				out[name]++
			}
		}
		return out
	}
	a, b := perAccount(single), perAccount(sharded)
	sum := func(m map[string]int) int {
		n := 0
		for _, v := range m {
			n += v
		}
		return n
	}
	if sum(a) > 0 && fmt.Sprint(a) == fmt.Sprint(b) {
		pass("upstream requests: %d over both replicas = %d of the unsharded exporter, account by account", sum(b), sum(a))
	} else {
		fail("upstream requests differ: replicas %v, unsharded %v", b, a)
	}

	// Stop replica 1: exactly its accounts go down and alert.
	stop("replica-1")
	var mine []string
	for _, n := range names {
		if shardOf[n] == 1 {
			mine = append(mine, n)
		}
	}
	accountsOf := func(s model.Vector) []string {
		var out []string
		for _, smp := range s {
			out = append(out, string(smp.Metric["account"]))
		}
		sort.Strings(out)
		return out
	}
	var down, firing []string
	err := e2eapi.Poll(90*time.Second, func() (bool, error) {
		down, firing = nil, nil
		for _, p := range proms {
			d, err := query(p, `up{job="billing-accounts"} == 0`)
			if err != nil {
				return false, err
			}
			f, err := query(p, `ALERTS{alertname="BillingAccountProbeDown",alertstate="firing"}`)
			if err != nil {
				return false, err
			}
			down, firing = append(down, accountsOf(d)...), append(firing, accountsOf(f)...)
		}
		sort.Strings(down)
		sort.Strings(firing)
		return slices.Equal(down, mine) && slices.Equal(firing, mine), nil
	})
	if err == nil {
		pass("replica 1 stopped: exactly its %d accounts are down and BillingAccountProbeDown fires for them alone", len(mine))
	} else {
		fail("replica 1 stopped: down %v, firing %v; want %v (%v)", down, firing, mine, err)
	}
	if s, err := query(proms[0], `up{job="billing-accounts"} == 1`); err != nil || len(s) != len(ups[0]) {
		fail("Prometheus 0 lost targets when replica 1 stopped: %d up, was %d (%v)", len(s), len(ups[0]), err)
	} else {
		pass("Prometheus 0's %d accounts stay up", len(s))
	}

	stopAll()
	fmt.Printf("e2e-shards: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

// varies names the families whose values depend on when they were read.
func varies(name string) bool {
	return name == "billing_scrape_duration_seconds" || name == "billing_last_success_timestamp_seconds"
}

func equalSeries(got, want map[string]float64) bool {
	ok := len(got) == len(want)
	for k, v := range want {
		if g, found := got[k]; !found || g != v {
			fmt.Printf("  %s: unsharded %v, sharded %v (found %v)\n", k, v, g, found)
			ok = false
		}
	}
	for k := range got {
		if _, found := want[k]; !found {
			fmt.Printf("  %s: only in the sharded servers\n", k)
			ok = false
		}
	}
	return ok
}

// exporterSeries reads an exporter's per-account billing series, as
// Prometheus would store them, less the upstream counters /probe does not
// serve and the series that vary between reads.
func exporterSeries(u string) map[string]float64 {
	resp, err := e2eapi.Client.Get(u)
	if err != nil {
		fatalf("GET %s: %v", u, err)
	}
	defer func() { _ = resp.Body.Close() }()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		fatalf("%s: %v", u, err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		if !strings.HasPrefix(name, "billing_") || strings.HasPrefix(name, "billing_exporter_") || strings.HasPrefix(name, "billing_upstream_") || varies(name) {
			continue
		}
		for _, m := range f.GetMetric() {
			lset := model.Metric{"__name__": model.LabelValue(name)}
			for _, l := range m.GetLabel() {
				if l.GetValue() != "" { // Prometheus stores no empty label
					lset[model.LabelName(l.GetName())] = model.LabelValue(l.GetValue())
				}
			}
			out[lset.String()] = m.GetGauge().GetValue()
		}
	}
	return out
}

func vendor(names []string) *sandbox.Server {
	srv := sandbox.NewServer()
	for _, n := range names {
		srv.Mount("/docspace/"+n, docspace.NewFake(apiKey))
	}
	return srv
}

// startExporter writes a config of every account into dir, with the key
// files of the accounts has accepts only (all when nil), runs the exporter
// there and returns its address.
func startExporter(bin, dir string, srv *sandbox.Server, names []string, has func(string) bool, name string, args ...string) string {
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o755); err != nil {
		fatalf("%v", err)
	}
	var b strings.Builder
	b.WriteString("global:\n  cache_ttl: 1h\naccounts:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  - name: %s\n    provider: docspace\n    base_url: %s/docspace/%s\n    api_key_file: keys/%s.key\n", n, srv.URL(), n, n)
		if has == nil || has(n) {
			if err := os.WriteFile(filepath.Join(dir, "keys", n+".key"), []byte(apiKey), 0o600); err != nil {
				fatalf("%v", err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(b.String()), 0o644); err != nil {
		fatalf("%v", err)
	}
	cmd := exec.Command(bin, append([]string{"--config.file=config.yml", "--web.listen-address=127.0.0.1:0"}, args...)...)
	cmd.Dir = dir
	logs := start(name, cmd, filepath.Join(dir, "exporter.log"))
	re := regexp.MustCompile(`msg="Listening on" address=(\S+)`)
	var addr string
	if err := e2eapi.Poll(30*time.Second, func() (bool, error) {
		b, _ := os.ReadFile(logs)
		if m := re.FindSubmatch(b); m != nil {
			addr = string(m[1])
			return true, nil
		}
		return false, nil
	}); err != nil {
		b, _ := os.ReadFile(logs)
		fatalf("%s did not start: %v\n%s", name, err, b)
	}
	return addr
}

// startPrometheus runs deploy/prometheus/probe-hashmod.yml as server index
// with the replicas' addresses and intervals in seconds.
func startPrometheus(bin, dir string, index int, replicas []string) string {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fatalf("%v", err)
	}
	src, err := os.ReadFile("deploy/prometheus/probe-hashmod.yml")
	if err != nil {
		fatalf("%v", err)
	}
	cfg := string(src)
	idx := strconv.Itoa(index)
	for _, r := range []struct{ old, new string }{
		{"evaluation_interval: 30s", "evaluation_interval: 1s"},
		{"prometheus_shard: '0'", "prometheus_shard: '" + idx + "'"},
		{"scrape_interval: 5m", "scrape_interval: 2s"},
		{"scrape_timeout: 1m", "scrape_timeout: 1500ms"},
		{"regex: '0'", "regex: '" + idx + "'"},
		{"http://billing-exporter-0.billing-exporter:9977/sd", "http://" + replicas[0] + "/sd"},
		{"http://billing-exporter-1.billing-exporter:9977/sd", "http://" + replicas[1] + "/sd"},
		{"refresh_interval: 1m", "refresh_interval: 2s"},
		// Only the probe rules are under test here; the billing rules have
		// scripts/e2e.sh (and may use what this Prometheus lacks).
		{"  - billing-rules.yml\n", ""},
	} {
		if !strings.Contains(cfg, r.old) {
			fatalf("deploy/prometheus/probe-hashmod.yml no longer holds %q: update scripts/e2eshards", r.old)
		}
		cfg = strings.ReplaceAll(cfg, r.old, r.new)
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			fatalf("%v", err)
		}
	}
	write("prometheus.yml", []byte(cfg))
	rules, err := os.ReadFile("deploy/prometheus/probe-rules.yml")
	if err != nil {
		fatalf("%v", err)
	}
	if !strings.Contains(string(rules), "for: 10m") {
		fatalf("deploy/prometheus/probe-rules.yml no longer holds `for: 10m`: update scripts/e2eshards")
	}
	write("probe-rules.yml", []byte(strings.ReplaceAll(string(rules), "for: 10m", "for: 2s")))

	addr := freeAddr()
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr)
	start(fmt.Sprintf("prometheus-%d", index), cmd, filepath.Join(dir, "prometheus.log"))
	u := "http://" + addr
	if err := e2eapi.Poll(60*time.Second, func() (bool, error) {
		resp, err := e2eapi.Client.Get(u + "/-/ready")
		if err != nil {
			return false, nil
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	}); err != nil {
		b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
		fatalf("Prometheus %d not ready: %v\n%s", index, err, b)
	}
	return u
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatalf("%v", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

// named holds the running children by name.
var (
	mu    sync.Mutex
	named = map[string]*exec.Cmd{}
)

// start runs cmd in its own process group, logging to logFile.
func start(name string, cmd *exec.Cmd, logFile string) string {
	f, err := os.Create(logFile)
	if err != nil {
		fatalf("%v", err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		fatalf("starting %s: %v", name, err)
	}
	mu.Lock()
	named[name] = cmd
	mu.Unlock()
	fmt.Printf("started %s (pid %d)\n", name, cmd.Process.Pid)
	return logFile
}

// stop ends the process group of one command and waits for it.
func stop(name string) {
	mu.Lock()
	cmd := named[name]
	delete(named, name)
	mu.Unlock()
	if cmd == nil || cmd.ProcessState != nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

func stopAll() {
	mu.Lock()
	var names []string
	for n := range named {
		names = append(names, n)
	}
	mu.Unlock()
	for _, n := range names {
		stop(n)
	}
}

// query runs an instant query.
func query(prom, expr string) (model.Vector, error) {
	var r struct {
		Data struct {
			Result model.Vector `json:"result"`
		} `json:"data"`
	}
	if err := e2eapi.GetJSON(prom+"/api/v1/query?query="+url.QueryEscape(expr), &r); err != nil {
		return nil, fmt.Errorf("query %s: %w", expr, err)
	}
	return r.Data.Result, nil
}

// activeTargets counts the billing-accounts targets a Prometheus scrapes.
func activeTargets(prom string) int {
	var r struct {
		Data struct {
			ActiveTargets []struct {
				Labels map[string]string `json:"labels"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := e2eapi.GetJSON(prom+"/api/v1/targets?state=active", &r); err != nil {
		fatalf("%v", err)
	}
	n := 0
	for _, t := range r.Data.ActiveTargets {
		if t.Labels["job"] == "billing-accounts" {
			n++
		}
	}
	return n
}
