package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/internal/series"
	"github.com/go-kit/log"
)

// The server-side cases of the attack run, one per row: each fails while
// its defect is there (the collector-side ones are collector.TestAttacks).
func TestServerAttacks(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"idle keep-alive connections are closed", attackIdleConnections},
		{"a huge or infinite scrape-timeout header means --scrape.max-timeout", attackHugeTimeoutHeader},
		{"--config.check rejects an organization_id that changes the URL path", checkRejects(
			"    organization_id: \"../../v1/auth/x?a=1#\"\n", `accounts[0] "main": organization_id: "../../v1/auth/x?a=1#"`)},
		{"--config.check rejects timeout: 0s", checkRejects("    timeout: 0s\n", `accounts[0] "main": timeout: 0 would leave`)},
		{"/-/ready answers 503 during the shutdown delay", attackReadyDuringShutdown},
		{"--config.check rejects a key with a line break, without printing it", checkRejects(
			"", `accounts[0] "main": api_key: holds a control character`)},
	} {
		t.Run(tc.name, tc.run)
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(entries)
}

// 2000 keep-alive connections that each got an answer and then went quiet
// are closed by the exporter after --web.idle-timeout; its descriptors
// return to their idle level. The timeout is short here so that the test
// does not wait; the margins hold on a busy machine.
func attackIdleConnections(t *testing.T) {
	p := newPortals(t)
	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfgFile, p.config("main"))
	const idle = 2 * time.Second
	e := start(t, "--config.file="+cfgFile, "--web.idle-timeout="+idle.String())
	before := openFDs(t)

	const n = 2000
	conns := make([]*bufio.Reader, n)
	raw := make([]net.Conn, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 64)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			c, err := net.Dial("tcp", e.addr)
			if err != nil {
				errs <- err
				return
			}
			raw[i] = c
			fmt.Fprintf(c, "GET /-/healthy HTTP/1.1\r\nHost: exporter\r\n\r\n")
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				errs <- err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			conns[i] = br
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range raw {
			if c != nil {
				c.Close()
			}
		}
	})
	close(errs)
	for err := range errs {
		t.Fatalf("connection: %v", err)
	}
	// Both ends are in this process; the exporter may already have closed
	// the first connections while the last ones opened.
	peak := openFDs(t)
	if peak < before+n {
		t.Fatalf("%d descriptors with %d open connections, %d before", peak, n, before)
	}

	// Each client waits for the exporter to hang up, then hangs up too.
	start := time.Now()
	// The idle timeout plus a busy machine's margin, well short of the
	// read timeout net/http falls back to without an idle timeout.
	const patience = idle + 18*time.Second
	closed := make(chan error, n)
	for i := range n {
		go func() {
			raw[i].SetReadDeadline(time.Now().Add(patience))
			_, err := conns[i].ReadByte()
			raw[i].Close()
			closed <- err
		}()
	}
	for range n {
		if err := <-closed; err != io.EOF {
			t.Fatalf("an idle connection was not closed by the exporter: %v", err)
		}
	}
	took := time.Since(start)
	// Nothing is left to wait for: a client reads EOF once the exporter
	// has closed its descriptor, and Close returns once the client's own
	// is closed.
	after := openFDs(t)
	if after > before+20 {
		t.Errorf("%d descriptors after the idle connections closed, %d before", after, before)
	}
	t.Logf("descriptors: %d idle, %d with %d connections, %d after; all closed %v after going idle (idle timeout %v)",
		before, peak, n, after, took.Round(10*time.Millisecond), idle)
}

// X-Prometheus-Scrape-Timeout-Seconds of 1e10 or Inf gives a scrape
// --scrape.max-timeout, not the 100 ms floor an overflow would fall to.
// The vendor holds its answer until a scrape at the floor, sent after this
// one reached the vendor, has given up: had this one got the floor too,
// it would have given up before.
func attackHugeTimeoutHeader(t *testing.T) {
	for _, header := range []string{"1e10", "Inf"} {
		t.Run(header, func(t *testing.T) {
			p := newPortals(t)
			cfgFile := filepath.Join(t.TempDir(), "config.yml")
			writeFile(t, cfgFile, p.config("slow"))
			arrived := make(chan struct{}, 1)
			hold := make(chan struct{})
			release := sync.OnceFunc(func() { close(hold) })
			p.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
				select {
				case arrived <- struct{}{}:
				default:
				}
				select {
				case <-hold:
					return false
				case <-r.Context().Done():
					return true
				}
			})
			e := start(t, "--config.file="+cfgFile, "--scrape.max-timeout=20s")
			t.Cleanup(release) // before the exporter stops: it waits for held scrapes

			scrape := func(header string) <-chan string {
				body := make(chan string, 1)
				go func() {
					defer close(body)
					req, _ := http.NewRequest(http.MethodGet, "http://"+e.addr+"/metrics", nil)
					req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", header)
					resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
					if err != nil {
						t.Errorf("scrape with timeout header %s: %v", header, err)
						return
					}
					defer resp.Body.Close()
					b, _ := io.ReadAll(resp.Body)
					body <- string(b)
				}()
				return body
			}
			huge := scrape(header)
			select {
			case <-arrived:
			case <-time.After(15 * time.Second):
				t.Fatal("the scrape never reached the vendor")
			}
			// 0.3 s less the 0.5 s offset: the floor.
			if v, ok := series.Sample(<-scrape("0.3"), `billing_up{account="slow",provider="docspace"}`); !ok || v != 0 {
				t.Fatalf("billing_up = %v (%v) of a scrape at the floor while the vendor holds its answer, want 0", v, ok)
			}
			release()
			if v, ok := series.Sample(<-huge, `billing_up{account="slow",provider="docspace"}`); !ok || v != 1 {
				t.Errorf("billing_up = %v (%v): the scrape did not get --scrape.max-timeout\n%s", v, ok, e.logs)
			}
		})
	}
}

// After SIGTERM the exporter keeps its listener open for
// --web.shutdown-delay with /-/ready answering 503; another signal cuts
// the delay short, and it exits 0.
func attackReadyDuringShutdown(t *testing.T) {
	p := newPortals(t)
	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfgFile, p.config("main"))
	// Only the second signal can end a delay this long.
	cmd, logs := child(t, "--config.file="+cfgFile, "--web.shutdown-delay=1h")
	addr := waitListening(t, logs, nil)
	if code, _ := get(t, nil, "http://"+addr+"/-/ready"); code != http.StatusOK {
		t.Fatalf("/-/ready = %d before shutdown", code)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Readiness is off by the time this line is logged.
	waitLog(t, logs, nil, regexp.MustCompile(`msg="shutting down" signal=terminated`))
	if code, body := get(t, nil, "http://"+addr+"/-/ready"); code != http.StatusServiceUnavailable {
		t.Errorf("/-/ready = %d %q after SIGTERM, want 503:\n%s", code, body, logs)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit code %d after SIGTERM:\n%s", code, logs)
	}
}

// checkRejects runs --config.check on a one-account file with extra lines
// (a key with a line break when extra is empty) and expects exit 1 with
// want in the error and the key nowhere.
func checkRejects(extra, want string) func(t *testing.T) {
	return func(t *testing.T) {
		p := newPortals(t)
		doc := p.config("main") + extra
		if strings.Contains(extra, "organization_id") {
			doc = strings.Replace(doc, "provider: docspace", "provider: qovery", 1)
		}
		if extra == "" {
			doc = strings.Replace(doc, fmt.Sprintf("api_key: %q", docspaceKey), `api_key: "sk-\nsecond-half-of-the-key"`, 1)
		}
		cfgFile := filepath.Join(t.TempDir(), "config.yml")
		writeFile(t, cfgFile, doc)
		var out, errOut bytes.Buffer
		if code := run([]string{"--config.check", "--config.file=" + cfgFile}, &out, &errOut, nil); code != 1 {
			t.Fatalf("exit %d, want 1\n%s%s", code, out.String(), errOut.String())
		}
		msg := errOut.String()
		if !strings.Contains(msg, want) {
			t.Errorf("error %q, want it to name %q", msg, want)
		}
		for _, secret := range []string{docspaceKey, "second-half-of-the-key"} {
			if strings.Contains(out.String()+msg, secret) {
				t.Errorf("--config.check printed the key: %q", msg)
			}
		}
	}
}

// The server's deadlines never cut a scrape short: a read deadline that
// passes while the handler runs cancels the scrape's context.
func TestServerTimeoutsLeaveTheLongestScrape(t *testing.T) {
	f, err := parseFlags([]string{"--scrape.max-timeout=2m"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(http.NotFoundHandler(), f, log.NewNopLogger())
	if srv.ReadTimeout <= f.maxTimeout || srv.WriteTimeout <= f.maxTimeout {
		t.Errorf("read %v / write %v timeouts cut a %v scrape short", srv.ReadTimeout, srv.WriteTimeout, f.maxTimeout)
	}
	if srv.IdleTimeout != 2*time.Minute || srv.ReadHeaderTimeout == 0 {
		t.Errorf("idle %v, read header %v", srv.IdleTimeout, srv.ReadHeaderTimeout)
	}
}
