//go:build bench

package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/internal/fakeclock"
)

var (
	flagRuns        = flag.Int("report.runs", 5, "runs per table row (median, min and max are reported; the issue asks for at least 5)")
	flagLatency     = flag.Duration("report.latency", 100*time.Millisecond, "mean latency of every fake vendor request")
	flagJitter      = flag.Duration("report.jitter", 20*time.Millisecond, "latency jitter: each request waits latency ± jitter, uniform")
	flagCold        = flag.String("report.cold", "10,100,1000", "account counts of scenario 1; the largest is also scenario 2's and 4's")
	flagWarm        = flag.Int("report.warm-scrapes", 100, "warm scrapes per run in scenario 2")
	flagHourN       = flag.Int("report.hour-accounts", 100, "accounts of scenario 3 (simulated hour)")
	flagSideN       = flag.Int("report.side-accounts", 100, "Acefone accounts of scenario 5 (json_exporter side by side)")
	flagRounds      = flag.Int("report.rounds", 40, "rounds per run in scenario 5 (20 rounds = 5 minutes of 15 s scrapes)")
	flagProbeConc   = flag.Int("report.probe-concurrency", 32, "json_exporter probes in flight at once in scenario 5")
	flagScenarios   = flag.String("report.scenarios", "1,2,3,4,5", "scenarios to run")
	flagOut         = flag.String("report.out", "RESULTS.md", "report file (relative to bench/); the notes after the marker line are kept")
	flagKeepProfile = flag.Bool("report.profile", false, "also write CPU and heap profiles of the in-process warm scrape to bench/profiles/")
)

// Scrape deadline given to the exporter in every out-of-process scrape:
// the X-Prometheus-Scrape-Timeout-Seconds header and --scrape.max-timeout,
// so that the cold scrape of N = 1000 (≈ 17 s at 100 ms) is not cut off.
const scrapeDeadline = 10 * time.Minute

var httpClient = &http.Client{Transport: &http.Transport{
	MaxIdleConnsPerHost: 64,
	DisableCompression:  true, // gzip only when asked for, and measured as sent
}}

func TestReport(t *testing.T) {
	want := map[string]bool{}
	for _, s := range strings.Split(*flagScenarios, ",") {
		want[strings.TrimSpace(s)] = true
	}
	if *flagRuns < 1 {
		t.Fatal("-report.runs must be at least 1")
	}
	rep := &report{runs: *flagRuns, started: time.Now()}
	rep.machine = machineInfo()
	t.Logf("machine: %s", strings.ReplaceAll(rep.machine, "\n", "; "))

	tmp := t.TempDir()
	ctx := context.Background()
	ours := filepath.Join(tmp, "billing-exporter")
	jx := filepath.Join(tmp, "json_exporter")
	if want["1"] || want["2"] || want["4"] || want["5"] {
		t.Log("building ./cmd/billing-exporter")
		if err := GoBuild(ctx, "..", ours, "./cmd/billing-exporter", "CGO_ENABLED=0"); err != nil {
			t.Fatal(err)
		}
	}
	if want["5"] {
		t.Log("building json_exporter v0.7.0 from the tool directive of bench/jsonexporter/go.mod")
		if err := GoBuild(ctx, "jsonexporter", jx, "github.com/prometheus-community/json_exporter", "CGO_ENABLED=0"); err != nil {
			t.Fatal(err)
		}
	}

	if want["1"] || want["2"] || want["4"] {
		// Scenarios 2 and 4 need the cold scrape first; each table is
		// reported only when its scenario was asked for.
		cold, warm, mem := runBinary(t, ours, tmp, want["2"] || want["4"])
		if want["1"] {
			rep.cold = cold
		}
		if want["2"] {
			rep.warm = warm
		}
		if want["4"] {
			rep.mem = mem
		}
	}
	if want["2"] {
		rep.allocs = runAllocs(t)
	}
	if want["3"] {
		rep.hour = runHour(t)
	}
	if want["5"] {
		rep.side = runSideBySide(t, ours, jx, tmp)
		if *flagKeepProfile {
			if err := profileSide(*flagSideN, "profiles"); err != nil {
				t.Error(err)
			}
			t.Log("wrote profiles/side-cpu.pprof")
		}
	}
	rep.elapsed = time.Since(rep.started)
	rep.loadEnd = loadAvg()
	if err := rep.write(*flagOut); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s in %s", *flagOut, rep.elapsed.Round(time.Second))
}

// ---------------------------------------------------------------------------
// Scenarios 1, 2 and 4: the binary, out of process, against the mixed fixture.

type coldRow struct {
	n        int
	requests Sample // upstream requests of the cold scrape
	latency  Sample // mean injected latency, seconds
	ideal    Sample // seconds
	wall     Sample // seconds
	ratio    Sample
	cpu      Sample // exporter CPU seconds of the cold scrape
	conns    Sample // upstream connections opened
	up       string
}

type warmRow struct {
	n                  int
	p50, p99, max      Sample // milliseconds
	wire, plain        Sample // bytes
	series, billing    Sample
	cpuPer1000         Sample // CPU seconds per 1000 scrapes
	upstreamDuringWarm Sample
	scrapes            int
}

type memRow struct {
	n                        int
	idle, afterCold, hwmCold Sample // MiB
	afterWarm, hwmWarm       Sample
}

func coldNs(t *testing.T) []int {
	var ns []int
	for _, s := range strings.Split(*flagCold, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			t.Fatalf("-report.cold: %q is not a positive count", s)
		}
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

// runBinary runs scenario 1 for every N, and at the largest N the warm
// batch of scenario 2 (when withWarm) and the memory readings of scenario 4.
func runBinary(t *testing.T, bin, tmp string, withWarm bool) ([]coldRow, *warmRow, *memRow) {
	ns := coldNs(t)
	big := ns[len(ns)-1]
	var rows []coldRow
	warm := &warmRow{n: big, scrapes: *flagWarm}
	mem := &memRow{n: big}
	for _, n := range ns {
		fix := NewFixture(n, Mixed, NewLatency(*flagLatency, *flagJitter))
		cfgPath := filepath.Join(tmp, fmt.Sprintf("ours-%d.yml", n))
		if err := fix.WriteConfig(cfgPath, BenchGlobal); err != nil {
			t.Fatal(err)
		}
		row := coldRow{n: n}
		ups := map[string]bool{}
		for r := 0; r < *flagRuns; r++ {
			p, err := Start(bin, filepath.Join(tmp, fmt.Sprintf("ours-%d-%d.log", n, r)),
				"--config.file="+cfgPath, "--scrape.max-timeout="+scrapeDeadline.String(), "--log.level=warn")
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second) // let start-up settle before reading idle memory
			if n == big {
				rss, _, err := p.Mem()
				check(t, err)
				mem.idle = append(mem.idle, MiB(rss))
			}
			req0 := fix.Requests()
			lat0n, lat0d := fix.Latency.Stats()
			conns0 := fix.Conns()
			cpu0, err := p.CPU()
			check(t, err)
			start := time.Now()
			resp, err := Get(httpClient, p.URL+"/metrics", false, scrapeDeadline)
			wall := time.Since(start)
			check(t, err)
			cpu1, err := p.CPU()
			check(t, err)
			body, _ := resp.Body()
			up, total := UpCountText(body)
			ups[fmt.Sprintf("%d/%d", up, total)] = true
			if up != n || total != n {
				t.Errorf("cold scrape N=%d run %d: billing_up 1 for %d of %d accounts (%d series); log: %s", n, r, up, n, total, tail(p.Log))
			}
			reqs := fix.Requests() - req0
			lat1n, lat1d := fix.Latency.Stats()
			mean := (lat1d - lat0d).Seconds() / float64(max(lat1n-lat0n, 1))
			ideal := float64(reqs) * mean / float64(BenchGlobal.MaxConcurrency)
			row.requests = append(row.requests, float64(reqs))
			row.latency = append(row.latency, mean)
			row.ideal = append(row.ideal, ideal)
			row.wall = append(row.wall, wall.Seconds())
			row.ratio = append(row.ratio, wall.Seconds()/ideal)
			row.cpu = append(row.cpu, (cpu1 - cpu0).Seconds())
			row.conns = append(row.conns, float64(fix.Conns()-conns0))
			t.Logf("cold N=%d run %d: %d upstream requests on %d connections, wall %.2fs, ideal %.2fs, ratio %.2f, cpu %.2fs",
				n, r, reqs, fix.Conns()-conns0, wall.Seconds(), ideal, wall.Seconds()/ideal, (cpu1 - cpu0).Seconds())

			if n == big {
				rss, hwm, err := p.Mem()
				check(t, err)
				mem.afterCold = append(mem.afterCold, MiB(rss))
				mem.hwmCold = append(mem.hwmCold, MiB(hwm))
				if withWarm {
					warmBatch(t, p, fix, warm)
					rss, hwm, err = p.Mem()
					check(t, err)
					mem.afterWarm = append(mem.afterWarm, MiB(rss))
					mem.hwmWarm = append(mem.hwmWarm, MiB(hwm))
				}
			}
			p.Stop()
		}
		row.up = strings.Join(sortedKeys(ups), ", ")
		rows = append(rows, row)
		fix.Close()
	}
	return rows, warm, mem
}

// warmBatch is one run of scenario 2: sequential scrapes of a warm
// exporter, as Prometheus sends them (gzip).
func warmBatch(t *testing.T, p *Proc, fix *Fixture, w *warmRow) {
	// One scrape first, decoded, to count series; not timed.
	resp, err := Get(httpClient, p.URL+"/metrics", true, scrapeDeadline)
	check(t, err)
	body, err := resp.Body()
	check(t, err)
	all, billing := SeriesCount(body)
	w.series = append(w.series, float64(all))
	w.billing = append(w.billing, float64(billing))
	w.wire = append(w.wire, float64(len(resp.Wire)))
	w.plain = append(w.plain, float64(len(body)))

	req0 := fix.Requests()
	cpu0, err := p.CPU()
	check(t, err)
	lat := make([]float64, 0, *flagWarm)
	for i := 0; i < *flagWarm; i++ {
		start := time.Now()
		if _, err := Get(httpClient, p.URL+"/metrics", true, scrapeDeadline); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, float64(time.Since(start))/float64(time.Millisecond))
	}
	cpu1, err := p.CPU()
	check(t, err)
	w.p50 = append(w.p50, Percentile(lat, 50))
	w.p99 = append(w.p99, Percentile(lat, 99))
	w.max = append(w.max, slices.Max(lat))
	w.cpuPer1000 = append(w.cpuPer1000, (cpu1-cpu0).Seconds()*1000/float64(*flagWarm))
	w.upstreamDuringWarm = append(w.upstreamDuringWarm, float64(fix.Requests()-req0))
	t.Logf("warm N=%d: p50 %.1fms p99 %.1fms max %.1fms, %d bytes gzip (%d plain), %d series, %.2f CPU s/1000 scrapes",
		w.n, Percentile(lat, 50), Percentile(lat, 99), slices.Max(lat), len(resp.Wire), len(body), all,
		(cpu1-cpu0).Seconds()*1000/float64(*flagWarm))
}

// ---------------------------------------------------------------------------
// Scenario 2, in process: allocations per warm scrape (testing.B).

type allocRow struct {
	n                  int
	allocs, bytes, nsp Sample
	cpu                Sample // process CPU ms per scrape (user + system, all threads)
}

// warmInProc builds an in-process exporter over a latency-free fixture of
// n mixed accounts and fills its cache.
func warmInProc(n int) (*InProc, *Fixture, error) {
	fix := NewFixture(n, Mixed, nil)
	cfg, err := fix.Config(BenchGlobal)
	if err != nil {
		fix.Close()
		return nil, nil, err
	}
	ip, err := NewInProc(cfg, nil)
	if err != nil {
		fix.Close()
		return nil, nil, err
	}
	mfs, err := ip.Gather()
	if up, total := UpCount(mfs); err != nil || up != n || total != n {
		fix.Close()
		return nil, nil, fmt.Errorf("warming %d accounts: %d up of %d (%v)", n, up, total, err)
	}
	return ip, fix, nil
}

func benchWarm(b *testing.B, ip *InProc) {
	b.ReportAllocs()
	var n int
	cpu0 := processCPU()
	for b.Loop() {
		var err error
		if n, err = ip.ScrapeDiscard(); err != nil {
			b.Fatal(err)
		}
	}
	// CPU rather than wall time is what stays comparable on a machine
	// that is not quiet (ns/op then counts time spent waiting for a core).
	b.ReportMetric(float64(processCPU()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(n), "bytes-served/op")
}

// BenchmarkWarmScrape is scenario 2's allocation count: one /metrics
// request of an exporter whose cache holds all N = 1000 accounts.
func BenchmarkWarmScrape(b *testing.B) {
	ns := []int{1000}
	if *flagCold != "" {
		ns = coldNsB(b)
	}
	n := ns[len(ns)-1]
	ip, fix, err := warmInProc(n)
	if err != nil {
		b.Fatal(err)
	}
	defer fix.Close()
	b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) { benchWarm(b, ip) })
}

func coldNsB(b *testing.B) []int {
	var ns []int
	for _, s := range strings.Split(*flagCold, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
			ns = append(ns, n)
		}
	}
	if len(ns) == 0 {
		b.Fatalf("-report.cold: no counts in %q", *flagCold)
	}
	slices.Sort(ns)
	return ns
}

func runAllocs(t *testing.T) *allocRow {
	ns := coldNs(t)
	n := ns[len(ns)-1]
	ip, fix, err := warmInProc(n)
	if err != nil {
		t.Fatal(err)
	}
	defer fix.Close()
	row := &allocRow{n: n}
	for r := 0; r < *flagRuns; r++ {
		res := testing.Benchmark(func(b *testing.B) { benchWarm(b, ip) })
		row.allocs = append(row.allocs, float64(res.AllocsPerOp()))
		row.bytes = append(row.bytes, float64(res.AllocedBytesPerOp()))
		row.nsp = append(row.nsp, float64(res.NsPerOp()))
		row.cpu = append(row.cpu, res.Extra["cpu-ms/op"])
		t.Logf("in-process warm scrape N=%d: %s\t%s", n, res.String(), res.MemString())
	}
	if *flagKeepProfile {
		if err := profileWarm(ip, "profiles"); err != nil {
			t.Error(err)
		}
		t.Log("wrote profiles/warm-cpu.pprof and profiles/warm-heap.pprof")
	}
	return row
}

// ---------------------------------------------------------------------------
// Scenario 3: scrapers every 15 s for a simulated hour, in process with a
// fake clock; the fixture answers at once (latency does not change counts).

const (
	hour           = time.Hour
	scrapeInterval = 15 * time.Second
	hourCacheTTL   = 5 * time.Minute // the default cache_ttl, the contract's TTL
)

type hourRow struct {
	schedule  string
	scrapers  int
	requests  Sample
	contract  int
	overTTL   Sample // endpoints fetched more often than their TTL allows
	scrapes   int
	upAlways  bool
	vsOne     Sample
	vsContrct Sample
}

var schedules = []struct {
	name     string
	scrapers int
	offset   time.Duration // second scraper's phase; -1 = same instant, concurrently
}{
	{"1 scraper", 1, 0},
	{"2 scrapers, 7 s apart", 2, 7 * time.Second},
	{"2 scrapers, same instant (concurrent)", 2, -1},
}

// contractTTL is the TTL each endpoint is cached for with cache_ttl 5m:
// the collectors' hour-long endpoints (plan and currency lists,
// organization, billing info and cluster lists), else cache_ttl.
func contractTTL(path string) time.Duration {
	for _, s := range []string{"/payment/quotas", "/payment/currencies", "/organization", "/billingInfo", "/cluster"} {
		if strings.HasSuffix(path, s) {
			return time.Hour
		}
	}
	return hourCacheTTL
}

func simulateHour(n int, scrapers int, offset time.Duration) (requests, contract, overTTL, scrapes int, upAlways bool, err error) {
	fix := NewFixture(n, Mixed, nil)
	defer fix.Close()
	g := BenchGlobal
	g.CacheTTL = hourCacheTTL
	cfg, err := fix.Config(g)
	if err != nil {
		return
	}
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	clk := fakeclock.At(start)
	ip, err := NewInProc(cfg, clk.Now)
	if err != nil {
		return
	}
	upAlways = true
	gather := func() {
		mfs, gerr := ip.Gather()
		up, total := UpCount(mfs)
		if gerr != nil || up != n || total != n {
			upAlways = false
		}
	}
	for at := time.Duration(0); at < hour; at += scrapeInterval {
		clk.Set(start.Add(at))
		switch {
		case scrapers == 1:
			gather()
			scrapes++
		case offset < 0:
			var wg sync.WaitGroup
			for range scrapers {
				wg.Add(1)
				go func() { defer wg.Done(); gather() }()
			}
			wg.Wait()
			scrapes += scrapers
		default:
			gather()
			clk.Set(start.Add(at + offset))
			gather()
			scrapes += 2
		}
	}
	requests = fix.Requests()
	for path, got := range fix.PerPath() {
		ttl := contractTTL(path)
		allowed := int((hour + ttl - 1) / ttl)
		contract += allowed
		if got > allowed {
			overTTL++
		}
	}
	return requests, contract, overTTL, scrapes, upAlways, nil
}

func runHour(t *testing.T) []hourRow {
	n := *flagHourN
	var rows []hourRow
	for _, s := range schedules {
		row := hourRow{schedule: s.name, scrapers: s.scrapers, upAlways: true}
		for r := 0; r < *flagRuns; r++ {
			req, contract, over, scrapes, up, err := simulateHour(n, s.scrapers, s.offset)
			if err != nil {
				t.Fatal(err)
			}
			row.requests = append(row.requests, float64(req))
			row.overTTL = append(row.overTTL, float64(over))
			row.contract, row.scrapes = contract, scrapes
			row.upAlways = row.upAlways && up
			if !up {
				t.Errorf("simulated hour %q: some scrape had an account down", s.name)
			}
		}
		t.Logf("hour N=%d %s: %s upstream requests (contract %d)", n, s.name, row.requests.Format("%.0f"), row.contract)
		rows = append(rows, row)
	}
	one := rows[0].requests.Median()
	for i := range rows {
		for _, v := range rows[i].requests {
			rows[i].vsOne = append(rows[i].vsOne, v/one)
			rows[i].vsContrct = append(rows[i].vsContrct, v/float64(rows[i].contract))
		}
	}
	return rows
}

// ---------------------------------------------------------------------------
// Scenario 5: side by side with json_exporter v0.7.0 on N Acefone accounts.

type sideRow struct {
	name, how    string
	cpuPerRound  Sample // CPU seconds
	hwm          Sample // MiB
	wall         Sample // seconds per round, median of the run's rounds
	upstream     Sample // upstream requests per round
	conns        Sample // upstream connections opened per round
	seriesRound  Sample // samples per round (all accounts)
	startCPU     Sample // CPU seconds from exec to ready
	cpuRoundsAll Sample // CPU seconds of all rounds of a run
}

func runSideBySide(t *testing.T, ours, jx, tmp string) []sideRow {
	n, rounds := *flagSideN, *flagRounds
	fix := NewFixture(n, AcefoneOnly, NewLatency(*flagLatency, *flagJitter))
	defer fix.Close()
	noCache, deployed := filepath.Join(tmp, "side-nocache.yml"), filepath.Join(tmp, "side-deployed.yml")
	g := BenchGlobal
	g.CacheTTL = time.Nanosecond
	check(t, fix.WriteConfig(noCache, g))
	g.CacheTTL = 5 * time.Minute
	check(t, fix.WriteConfig(deployed, g))
	jxCfg := filepath.Join(tmp, "json_exporter.yml")
	check(t, os.WriteFile(jxCfg, []byte(fix.JSONExporterConfig()), 0o600))

	rows := []sideRow{
		{name: "json_exporter v0.7.0", how: fmt.Sprintf("%d × `/probe?module=<account>&target=<dashboard URL>`, %d in flight", n, *flagProbeConc)},
		{name: "billing-exporter, cache_ttl 1ns", how: "1 × `/metrics`; every round calls the vendor again (the same work as json_exporter)"},
		{name: "billing-exporter, cache_ttl 5m", how: "1 × `/metrics`; as deployed: round 1 cold, the rest from the cache"},
	}
	for r := 0; r < *flagRuns; r++ {
		for i := range rows {
			var p *Proc
			var err error
			logPath := filepath.Join(tmp, fmt.Sprintf("side-%d-%d.log", i, r))
			switch i {
			case 0:
				p, err = Start(jx, logPath, "--config.file="+jxCfg)
			case 1:
				p, err = Start(ours, logPath, "--config.file="+noCache, "--log.level=warn")
			case 2:
				p, err = Start(ours, logPath, "--config.file="+deployed, "--log.level=warn")
			}
			if err != nil {
				t.Fatal(err)
			}
			startCPU, err := p.CPU()
			check(t, err)
			req0 := fix.Requests()
			conns0 := fix.Conns()
			var walls []float64
			series := 0
			for k := 0; k < rounds; k++ {
				start := time.Now()
				var s int
				if i == 0 {
					s, err = probeRound(p, fix)
				} else {
					s, err = metricsRound(p, n)
				}
				if err != nil {
					t.Fatalf("%s run %d round %d: %v; log: %s", rows[i].name, r, k, err, tail(p.Log))
				}
				walls = append(walls, time.Since(start).Seconds())
				series = s
			}
			cpu, err := p.CPU()
			check(t, err)
			_, hwm, err := p.Mem()
			check(t, err)
			p.Stop()
			row := &rows[i]
			row.startCPU = append(row.startCPU, startCPU.Seconds())
			row.cpuRoundsAll = append(row.cpuRoundsAll, (cpu - startCPU).Seconds())
			row.cpuPerRound = append(row.cpuPerRound, (cpu-startCPU).Seconds()/float64(rounds))
			row.hwm = append(row.hwm, MiB(hwm))
			row.wall = append(row.wall, Sample(walls).Median())
			row.upstream = append(row.upstream, float64(fix.Requests()-req0)/float64(rounds))
			row.conns = append(row.conns, float64(fix.Conns()-conns0)/float64(rounds))
			row.seriesRound = append(row.seriesRound, float64(series))
			t.Logf("side by side run %d, %s: %.3f CPU s/round, peak RSS %.1f MiB, wall %.3fs/round, %.1f upstream requests and %.1f connections/round",
				r, row.name, (cpu-startCPU).Seconds()/float64(rounds), MiB(hwm), Sample(walls).Median(),
				float64(fix.Requests()-req0)/float64(rounds), float64(fix.Conns()-conns0)/float64(rounds))
		}
	}
	return rows
}

// probeRound is one json_exporter round: a probe per account, a fixed
// number in flight. It returns the samples served.
func probeRound(p *Proc, fix *Fixture) (int, error) {
	jobs := make(chan Account)
	var mu sync.Mutex
	var errs []error
	series := 0
	var wg sync.WaitGroup
	for range *flagProbeConc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range jobs {
				u := p.URL + "/probe?module=" + url.QueryEscape(a.Name) + "&target=" + url.QueryEscape(a.DashboardURL)
				resp, err := Get(httpClient, u, true, 10*time.Second)
				var body []byte
				if err == nil {
					body, err = resp.Body()
				}
				if err == nil && !strings.Contains(string(body), "\nacefone_balance{") {
					err = fmt.Errorf("probe of %s: no acefone_balance in %.300q", a.Name, body)
				}
				n, _ := SeriesCount(body)
				mu.Lock()
				series += n
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	for _, a := range fix.Accounts {
		jobs <- a
	}
	close(jobs)
	wg.Wait()
	return series, errors.Join(errs...)
}

// metricsRound is one round of ours: a single /metrics for every account.
func metricsRound(p *Proc, n int) (int, error) {
	resp, err := Get(httpClient, p.URL+"/metrics", true, time.Minute)
	if err != nil {
		return 0, err
	}
	body, err := resp.Body()
	if err != nil {
		return 0, err
	}
	if up, total := UpCountText(body); up != n || total != n {
		return 0, fmt.Errorf("billing_up 1 for %d of %d accounts", up, n)
	}
	all, _ := SeriesCount(body)
	return all, nil
}

// ---------------------------------------------------------------------------

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
