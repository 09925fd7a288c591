package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-kit/log"
)

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
func TestIdleConnectionsClosed(t *testing.T) {
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
			_, _ = fmt.Fprintf(c, "GET /-/healthy HTTP/1.1\r\nHost: exporter\r\n\r\n")
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				errs <- err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			conns[i] = br
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range raw {
			if c != nil {
				_ = c.Close()
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
			_ = raw[i].SetReadDeadline(time.Now().Add(patience))
			_, err := conns[i].ReadByte()
			_ = raw[i].Close()
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

// After SIGTERM the exporter keeps its listener open for
// --web.shutdown-delay with /-/ready answering 503; another signal cuts
// the delay short, and it exits 0.
func TestReadyAnswers503DuringShutdownDelay(t *testing.T) {
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
