//go:build bench

package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	flagShardsN       = flag.Int("shards.accounts", 10000, "accounts of the sharding scenario")
	flagShardsSmall   = flag.Int("shards.small", 1000, "a second, smaller N for the single process, to show how memory grows")
	flagShardsTotal   = flag.Int("shards.total", 4, "shards the accounts are split into")
	flagShardsLatency = flag.Duration("shards.latency", 50*time.Millisecond, "mean latency of every fake vendor request (scenario 1 uses 100ms; shorter keeps the single cold scrape of 10,000 accounts near a minute and a half)")
	flagShardsJitter  = flag.Duration("shards.jitter", 10*time.Millisecond, "latency jitter")
	flagShardsWarm    = flag.Int("shards.warm-scrapes", 50, "warm /metrics scrapes of the single process")
	flagShardsProbes  = flag.Int("shards.probes", 200, "warm /probe requests of one account")
	flagShardsOut     = flag.String("shards.out", "RESULTS.md", "report file (relative to bench/); TestShards rewrites only its own block")
)

// shardFigure is one measurement with the load average when it was taken.
type shardFigure struct {
	what  string
	value string
	load  string
}

type shardReport struct {
	figures []shardFigure
	targets [][3]string // target, measured, verdict
}

func (r *shardReport) add(what, value string) {
	r.figures = append(r.figures, shardFigure{what, value, loadAvg()})
}

func (r *shardReport) target(what, measured string, ok bool) {
	verdict := "**met**"
	if !ok {
		verdict = "**not met**"
	}
	r.targets = append(r.targets, [3]string{what, measured, verdict})
}

// coldScrape reads /metrics once and returns the wall time and how many
// accounts answered.
func coldScrape(t *testing.T, p *Proc) (time.Duration, int) {
	t.Helper()
	start := time.Now()
	resp, err := Get(httpClient, p.URL+"/metrics", false, scrapeDeadline)
	wall := time.Since(start)
	check(t, err)
	body, err := resp.Body()
	check(t, err)
	up, _ := UpCountText(body)
	return wall, up
}

// latencies times k sequential gzip GETs of url, in milliseconds.
func latencies(t *testing.T, url string, k int) []float64 {
	t.Helper()
	out := make([]float64, 0, k)
	for range k {
		start := time.Now()
		_, err := Get(httpClient, url, true, scrapeDeadline)
		check(t, err)
		out = append(out, float64(time.Since(start))/float64(time.Millisecond))
	}
	return out
}

// TestShards measures one process against --shard.total processes over the
// same accounts (bench/README.md: Sharding), and writes its block of
// RESULTS.md.
func TestShards(t *testing.T) {
	began := time.Now()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "billing-exporter")
	t.Log("building ./cmd/billing-exporter")
	if err := GoBuild(context.Background(), "..", bin, "./cmd/billing-exporter", "CGO_ENABLED=0"); err != nil {
		t.Fatal(err)
	}
	rep := &shardReport{}
	total, big := *flagShardsTotal, *flagShardsN
	args := func(cfg string, more ...string) []string {
		return append([]string{"--config.file=" + cfg, "--scrape.max-timeout=" + scrapeDeadline.String(), "--log.level=warn"}, more...)
	}

	var singleCold time.Duration
	var singleReqs int
	var singleHWM int64
	perAccount := map[int]float64{}
	for _, n := range []int{*flagShardsSmall, big} {
		fix := NewFixture(n, Mixed, NewLatency(*flagShardsLatency, *flagShardsJitter))
		cfg := filepath.Join(tmp, fmt.Sprintf("shards-%d.yml", n))
		check(t, fix.WriteConfig(cfg, BenchGlobal))
		p, err := Start(bin, filepath.Join(tmp, fmt.Sprintf("single-%d.log", n)), args(cfg)...)
		check(t, err)
		req0 := fix.Requests()
		wall, up := coldScrape(t, p)
		reqs := fix.Requests() - req0
		_, hwm, err := p.Mem()
		check(t, err)
		if up != n {
			t.Errorf("single N=%d: %d of %d accounts up", n, up, n)
		}
		perAccount[n] = float64(hwm) / 1024 / float64(n)
		rep.add(fmt.Sprintf("one process, N = %d: cold scrape", n), fmt.Sprintf("%.1f s, %d upstream requests, %d/%d accounts up", wall.Seconds(), reqs, up, n))
		rep.add(fmt.Sprintf("one process, N = %d: peak RSS after the cold scrape", n), fmt.Sprintf("%.1f MiB (%.1f KiB per account)", MiB(hwm), perAccount[n]))
		t.Logf("single N=%d: cold %.1fs, %d requests, peak RSS %.1f MiB", n, wall.Seconds(), reqs, MiB(hwm))
		if n != big {
			p.Stop()
			fix.Close()
			continue
		}
		singleCold, singleReqs = wall, reqs

		warm := latencies(t, p.URL+"/metrics", *flagShardsWarm)
		rep.add(fmt.Sprintf("one process, N = %d: warm /metrics (%d scrapes, gzip)", n, len(warm)),
			fmt.Sprintf("p50 %.0f ms, p99 %.0f ms", Percentile(warm, 50), Percentile(warm, 99)))
		probe := latencies(t, p.URL+"/probe?target="+fix.Accounts[n/2].Name, *flagShardsProbes)
		rep.add(fmt.Sprintf("one process, N = %d: warm /probe of one account (%d requests)", n, len(probe)),
			fmt.Sprintf("p50 %.2f ms, p99 %.2f ms", Percentile(probe, 50), Percentile(probe, 99)))
		_, singleHWM, err = p.Mem()
		check(t, err)
		rep.add(fmt.Sprintf("one process, N = %d: peak RSS after the warm scrapes", n), fmt.Sprintf("%.1f MiB", MiB(singleHWM)))
		rep.target(fmt.Sprintf("one process, N = %d: peak RSS ≤ 400 MiB", n), fmt.Sprintf("%.1f MiB", MiB(singleHWM)), MiB(singleHWM) <= 400)
		rep.target(fmt.Sprintf("one process, N = %d: warm /metrics p99 < 300 ms", n), fmt.Sprintf("%.0f ms", Percentile(warm, 99)), Percentile(warm, 99) < 300)
		rep.target("/probe of one account, warm: p99 < 5 ms", fmt.Sprintf("%.2f ms", Percentile(probe, 99)), Percentile(probe, 99) < 5)
		p.Stop()

		// The shards, each its own process with the same max_concurrency,
		// scraped cold at the same instant as Prometheus would.
		procs := make([]*Proc, total)
		for i := range total {
			procs[i], err = Start(bin, filepath.Join(tmp, fmt.Sprintf("shard-%d.log", i)),
				args(cfg, fmt.Sprintf("--shard.index=%d", i), fmt.Sprintf("--shard.total=%d", total))...)
			check(t, err)
		}
		req0 = fix.Requests()
		walls := make([]time.Duration, total)
		ups := make([]int, total)
		var wg sync.WaitGroup
		for i := range total {
			wg.Go(func() { walls[i], ups[i] = coldScrape(t, procs[i]) })
		}
		wg.Wait()
		shardReqs := fix.Requests() - req0
		var hwms []float64
		sumUp := 0
		for i, sp := range procs {
			_, h, err := sp.Mem()
			check(t, err)
			hwms = append(hwms, MiB(h))
			sumUp += ups[i]
			sp.Stop()
		}
		if sumUp != n {
			t.Errorf("shards: %v accounts up, %d in all; want %d", ups, sumUp, n)
		}
		var wallS []string
		var slowest time.Duration
		for _, w := range walls {
			wallS = append(wallS, fmt.Sprintf("%.1f", w.Seconds()))
			slowest = max(slowest, w)
		}
		var hwmS []string
		for _, h := range hwms {
			hwmS = append(hwmS, fmt.Sprintf("%.1f", h))
		}
		rep.add(fmt.Sprintf("%d shards, N = %d: cold scrape of each, all at once", total, n),
			fmt.Sprintf("%s s; accounts %v; %d upstream requests in all", strings.Join(wallS, ", "), ups, shardReqs))
		rep.add(fmt.Sprintf("%d shards, N = %d: peak RSS of each", total, n), strings.Join(hwmS, ", ")+" MiB")
		rep.target(fmt.Sprintf("%d shards: upstream requests summed = one process's", total), fmt.Sprintf("%d vs %d", shardReqs, singleReqs), shardReqs == singleReqs)
		worst := slices.Max(hwms)
		rep.target(fmt.Sprintf("%d shards: each peak RSS ≤ ⅓ of one process's", total),
			fmt.Sprintf("largest %.1f MiB vs %.1f MiB (%.2f×)", worst, MiB(singleHWM), worst/MiB(singleHWM)), worst <= MiB(singleHWM)/3)
		rep.target(fmt.Sprintf("%d shards: slowest cold scrape ≤ 0.35× one process's", total),
			fmt.Sprintf("%.1f s vs %.1f s (%.2f×)", slowest.Seconds(), singleCold.Seconds(), slowest.Seconds()/singleCold.Seconds()),
			slowest.Seconds() <= 0.35*singleCold.Seconds())
		fix.Close()
	}
	check(t, writeShardBlock(*flagShardsOut, rep, time.Since(began), perAccount))
	t.Logf("wrote the sharding block of %s in %s", *flagShardsOut, time.Since(began).Round(time.Second))
}

const (
	shardBlockBegin = "<!-- TestShards writes from here to its end line; keep them. -->"
	shardBlockEnd   = "<!-- end of TestShards -->"
)

// writeShardBlock replaces TestShards' block of path, or appends one.
func writeShardBlock(path string, r *shardReport, elapsed time.Duration, perAccount map[int]float64) error {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("%s\n## Sharding: N = %d, one process vs %d shards\n\n", shardBlockBegin, *flagShardsN, *flagShardsTotal)
	w("Generated by `go test -tags bench -count=1 -v -timeout 60m -run '^TestShards$' ./bench/` (bench/shards_test.go) on %s in %s, at commit %s. ",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), elapsed.Round(time.Second), strings.TrimSpace(cmdOut("git", "rev-parse", "--short", "HEAD"))+dirtyInfo())
	w("One run (not the median of several: a single cold scrape of 10,000 accounts takes minutes). Mixed accounts (%s in turn), every fake request waiting %s ± %s ", strings.Join(Mixed, ", "), *flagShardsLatency, *flagShardsJitter)
	w("(shorter than the 100 ms of the tables above, to keep the run short), max_concurrency %d and account_max_concurrency %d in every process. ", BenchGlobal.MaxConcurrency, BenchGlobal.AccountMaxConcurrency)
	w("The shards run as %d processes on this same machine and are scraped cold at the same instant, so they share its cores and the fixture; on separate machines each would have the cores to itself. ", *flagShardsTotal)
	w("The machine was shared with other builds: the load average (1, 5, 15 min) is given with every figure.\n\n")
	w("| measurement | figure | load average |\n|---|---|---|\n")
	for _, f := range r.figures {
		w("| %s | %s | %s |\n", f.what, f.value, f.load)
	}
	w("\nRSS per account: ")
	var ns []int
	for n := range perAccount {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	for i, n := range ns {
		if i > 0 {
			w(", ")
		}
		w("%.1f KiB at N = %d", perAccount[n], n)
	}
	w(" (peak RSS after the cold scrape / N; start-up included).\n\n")
	w("| target | measured | verdict |\n|---|---|---|\n")
	for _, tg := range r.targets {
		w("| %s | %s | %s |\n", tg[0], tg[1], tg[2])
	}
	w("%s\n", shardBlockEnd)

	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	if i := strings.Index(text, shardBlockBegin); i >= 0 {
		j := strings.Index(text[i:], shardBlockEnd)
		if j < 0 {
			return fmt.Errorf("%s: %q without %q", path, shardBlockBegin, shardBlockEnd)
		}
		text = text[:i] + b.String() + strings.TrimPrefix(text[i+j+len(shardBlockEnd):], "\n")
	} else {
		text = strings.TrimRight(text, "\n") + "\n\n" + b.String()
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
