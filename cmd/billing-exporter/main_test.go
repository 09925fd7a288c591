package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/billing-exporter/billing-exporter/collector/docspace"
	"github.com/billing-exporter/billing-exporter/internal/fakeclock"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/billing-exporter/billing-exporter/internal/series"
	"github.com/billing-exporter/billing-exporter/internal/testlog"
	"golang.org/x/crypto/bcrypt"
)

// The signal tests run the real main in a child process: the test binary
// re-executes itself with this variable set.
const childEnv = "BILLING_EXPORTER_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		args := strings.Split(os.Getenv(childEnv+"_ARGS"), "\x1f")
		if os.Getenv(childEnv+"_SOCKET") == "1" {
			// What systemd sets for an activated service: the parent
			// passed the socket as fd 3, but only the child knows its pid.
			if err := os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid())); err != nil {
				panic(err)
			}
			if err := os.Setenv("LISTEN_FDS", "1"); err != nil {
				panic(err)
			}
		}
		os.Exit(run(args, os.Stdout, os.Stderr, nil))
	}
	os.Exit(m.Run())
}

var listeningRe = regexp.MustCompile(`msg="Listening on" address=(\S+)`)

// waitListening returns the address the exporter logged it listens on.
func waitListening(t *testing.T, logs *testlog.Buffer, exited <-chan int) string {
	t.Helper()
	return waitLog(t, logs, exited, listeningRe)[1]
}

// waitLog waits until logs hold a match of re and returns it (with its
// submatches), woken by each write. exited, if not nil, reports that the
// exporter stopped first.
func waitLog(t *testing.T, logs *testlog.Buffer, exited <-chan int, re *regexp.Regexp) []string {
	t.Helper()
	timeout := time.NewTimer(15 * time.Second)
	defer timeout.Stop()
	for {
		written := logs.Written() // before reading, so that no write is missed
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			return m
		}
		select {
		case <-written:
		case code := <-exited:
			t.Fatalf("exporter exited with %d before logging %s:\n%s", code, re, logs)
		case <-timeout.C:
			t.Fatalf("exporter did not log %s:\n%s", re, logs)
		}
	}
}

// exporter is one in-process run of the command.
type exporter struct {
	addr   string
	logs   *testlog.Buffer
	stop   chan struct{}
	exited chan int
}

func start(t *testing.T, args ...string) *exporter {
	t.Helper()
	e := &exporter{logs: &testlog.Buffer{}, stop: make(chan struct{}), exited: make(chan int, 1)}
	args = append([]string{"--web.listen-address=127.0.0.1:0"}, args...)
	go func() { e.exited <- run(args, io.Discard, e.logs, e.stop) }()
	e.addr = waitListening(t, e.logs, e.exited)
	t.Cleanup(func() {
		close(e.stop)
		select {
		case code := <-e.exited:
			if code != 0 {
				t.Errorf("exporter exited with %d:\n%s", code, e.logs)
			}
		case <-time.After(40 * time.Second):
			t.Errorf("exporter did not stop")
		}
	})
	return e
}

func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "text/plain", nil)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestVersionFlag(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"--version"}, &out, io.Discard, nil); code != 0 {
		t.Fatalf("--version exited %d", code)
	}
	for _, want := range []string{"billing-exporter, version", "go version:", "revision"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--version output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBadFlagExits2(t *testing.T) {
	var errOut bytes.Buffer
	if code := run([]string{"--no-such-flag"}, io.Discard, &errOut, nil); code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), "no-such-flag") {
		t.Errorf("error does not name the flag: %q", errOut.String())
	}
}

// A careless flag value exits 2 with a message naming the flag, before
// anything starts: a telemetry path the mux would panic on or never route
// to (every path another route serves, listed from the routes themselves),
// a scrape deadline that is not positive, negative durations. The stop
// channel is closed, so that an exporter that started anyway returns.
func TestCarelessFlagsExit2(t *testing.T) {
	type flagCase struct{ arg, flag string }
	var cases []flagCase
	for _, r := range routes() {
		if r.path != "/" {
			cases = append(cases, flagCase{"--web.telemetry-path=" + r.path, "--web.telemetry-path"})
		}
	}
	if len(cases) < 6 {
		t.Fatalf("only %d routes besides the landing page: %v", len(cases), routes())
	}
	for _, p := range []string{"", "metrics", "/metrics?x=1", "/metrics#top", "/a b", "/{name}", "/metrics\n", "//metrics", "/metrics/../sd", "/./metrics"} {
		cases = append(cases, flagCase{"--web.telemetry-path=" + p, "--web.telemetry-path"})
	}
	for _, d := range []string{"0s", "-5s", "61m"} {
		cases = append(cases, flagCase{"--scrape.max-timeout=" + d, "--scrape.max-timeout"})
	}
	for _, o := range []string{"-0.5", "NaN", "+Inf", "30"} { // 30 s: the whole default deadline
		cases = append(cases, flagCase{"--scrape.timeout-offset=" + o, "--scrape.timeout-offset"})
	}
	cases = append(cases, flagCase{"--web.idle-timeout=-1s", "--web.idle-timeout"}, flagCase{"--web.shutdown-delay=-1s", "--web.shutdown-delay"})
	for _, d := range []string{"-1s", "1ns", "999ms"} { // below a second, the check would read the key files in a busy loop
		cases = append(cases, flagCase{"--config.secrets-check-interval=" + d, "--config.secrets-check-interval"})
	}

	for _, tc := range cases {
		t.Run(tc.arg, func(t *testing.T) {
			stop := make(chan struct{})
			close(stop)
			var errOut bytes.Buffer
			code := run([]string{"--demo", "--web.listen-address=127.0.0.1:0", tc.arg}, io.Discard, &errOut, stop)
			if code != 2 {
				t.Fatalf("exit code %d, want 2\n%s", code, errOut.String())
			}
			if first, _, _ := strings.Cut(errOut.String(), "\n"); !strings.HasPrefix(first, "billing-exporter: "+tc.flag+": ") {
				t.Errorf("the message does not name %s first: %q", tc.flag, errOut.String())
			}
		})
	}
}

// Values at the edge of what the flags accept still parse.
func TestFlagEdgesAccepted(t *testing.T) {
	for _, args := range [][]string{
		{"--web.telemetry-path=/"}, {"--web.telemetry-path=/metrics/"}, {"--web.telemetry-path=/billing/metrics"},
		{"--web.telemetry-path=/sd/"}, {"--scrape.max-timeout=1h"}, {"--scrape.max-timeout=1ms", "--scrape.timeout-offset=0"},
		{"--scrape.timeout-offset=29.9"}, {"--web.idle-timeout=0s"}, {"--web.shutdown-delay=0s"},
		{"--config.secrets-check-interval=0s"}, {"--config.secrets-check-interval=1s"},
	} {
		if _, err := parseFlags(args, io.Discard, io.Discard); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}

const docspaceKey = "sk-test-0123456789abcdef-never-print-me"

// portals fakes DocSpace portals on one loopback server, each mounted
// once however many config files name it.
type portals struct {
	*sandbox.Server
	urls map[string]string
}

func newPortals(t *testing.T) *portals {
	p := &portals{Server: sandbox.NewServer(), urls: map[string]string{}}
	t.Cleanup(p.Close)
	return p
}

// hold makes the portals hold every request until release is called (then
// they answer) or the client hangs up; arrived gets a token per request
// while it has room.
func (p *portals) hold(arrived chan<- struct{}) (release func()) {
	held := make(chan struct{})
	p.SetFault(func(_ http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-held:
			return false
		case <-r.Context().Done():
			return true
		}
	})
	return sync.OnceFunc(func() { close(held) })
}

// config is a config file with one DocSpace account per name.
func (p *portals) config(names ...string) string {
	var b strings.Builder
	b.WriteString("accounts:\n")
	for _, n := range names {
		url, ok := p.urls[n]
		if !ok {
			url = p.Mount("/docspace/"+n, docspace.NewFake(docspaceKey))
			p.urls[n] = url
		}
		fmt.Fprintf(&b, "  - name: %s\n    provider: docspace\n    base_url: %s\n    api_key: %q\n", n, url, docspaceKey)
	}
	return b.String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestConfigCheck(t *testing.T) {
	srv := newPortals(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	writeFile(t, good, srv.config("main"))
	var out, errOut bytes.Buffer
	if code := run([]string{"--config.check", "--config.file=" + good}, &out, &errOut, nil); code != 0 {
		t.Fatalf("valid config: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "configuration valid: 1 accounts") || !strings.Contains(out.String(), "<secret>") {
		t.Errorf("summary lacks the count or the masked key:\n%s", out.String())
	}
	if strings.Contains(out.String(), docspaceKey) {
		t.Fatal("--config.check printed the API key")
	}

	bad := filepath.Join(dir, "bad.yml")
	writeFile(t, bad, strings.Replace(srv.config("main"), "base_url: ", "base_url: ftp", 1))
	out.Reset()
	errOut.Reset()
	if code := run([]string{"--config.check", "--config.file=" + bad}, &out, &errOut, nil); code != 1 {
		t.Fatalf("invalid config: exit %d, want 1", code)
	}
	if msg := errOut.String(); !strings.Contains(msg, `accounts[0] "main": base_url`) || strings.Contains(msg, docspaceKey) {
		t.Errorf("error should name account and field, without the key: %q", msg)
	}
}

// --config.check refuses what would misbehave once running, naming the
// account and the field, and prints the key nowhere.
func TestConfigCheckRejects(t *testing.T) {
	doc := newPortals(t).config("main")
	qovery := strings.Replace(doc, "provider: docspace", "provider: qovery", 1)
	for _, tc := range []struct{ name, doc, want string }{
		{"organization_id that changes the URL path", qovery + "    organization_id: \"../../v1/auth/x?a=1#\"\n",
			`accounts[0] "main": organization_id: "../../v1/auth/x?a=1#"`},
		{"timeout 0s", doc + "    timeout: 0s\n", `accounts[0] "main": timeout: 0 would leave`},
		{"key with a line break", strings.Replace(doc, fmt.Sprintf("api_key: %q", docspaceKey), `api_key: "sk-\nsecond-half-of-the-key"`, 1),
			`accounts[0] "main": api_key: holds a control character`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgFile := filepath.Join(t.TempDir(), "config.yml")
			writeFile(t, cfgFile, tc.doc)
			var out, errOut bytes.Buffer
			if code := run([]string{"--config.check", "--config.file=" + cfgFile}, &out, &errOut, nil); code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", code, out.String(), errOut.String())
			}
			msg := errOut.String()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want it to name %q", msg, tc.want)
			}
			for _, secret := range []string{docspaceKey, "second-half-of-the-key"} {
				if strings.Contains(out.String()+msg, secret) {
					t.Errorf("--config.check printed the key: %q", msg)
				}
			}
		})
	}
}

// The shipped example passes --config.check once its secret files exist.
func TestExampleConfigChecks(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	writeFile(t, keyFile, docspaceKey+"\n")
	doc := regexp.MustCompile(`/run/secrets/[\w-]+`).ReplaceAllString(string(b), keyFile)
	cfgFile := filepath.Join(dir, "config.yml")
	writeFile(t, cfgFile, doc)
	var out, errOut bytes.Buffer
	if code := run([]string{"--config.check", "--config.file=" + cfgFile}, &out, &errOut, nil); code != 0 {
		t.Fatalf("config.yml fails --config.check: %s", errOut.String())
	}
}

func TestLandingPageHealthAndBuildInfo(t *testing.T) {
	e := start(t, "--demo")
	base := "http://" + e.addr

	code, body := get(t, nil, base+"/")
	if code != 200 {
		t.Fatalf("/: %d", code)
	}
	for _, link := range []string{`href="/metrics"`, `href="/config"`, `href="/-/healthy"`, `href="/-/ready"`, "billing-exporter"} {
		if !strings.Contains(body, link) {
			t.Errorf("landing page lacks %s", link)
		}
	}
	if code, _ := get(t, nil, base+"/nope"); code != 404 {
		t.Errorf("/nope: %d, want 404", code)
	}
	if code, body := get(t, nil, base+"/-/healthy"); code != 200 || !strings.Contains(body, "Healthy") {
		t.Errorf("/-/healthy: %d %q", code, body)
	}
	if code, body := get(t, nil, base+"/-/ready"); code != 200 || !strings.Contains(body, "Ready") {
		t.Errorf("/-/ready: %d %q", code, body)
	}
	code, body = get(t, nil, base+"/config")
	if code != 200 || !strings.Contains(body, "name: docspace-main") || !strings.Contains(body, "<secret>") {
		t.Errorf("/config: %d\n%s", code, body)
	}
	if strings.Contains(body, "sk-0000") {
		t.Error("/config shows a demo key")
	}
	// Reload is off unless --web.enable-lifecycle.
	if code, _ := post(t, base+"/-/reload"); code != http.StatusForbidden {
		t.Errorf("POST /-/reload without lifecycle: %d, want 403", code)
	}

	code, body = get(t, nil, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`billing_exporter_build_info{branch=`, `goversion="go`, `version="`,
		"go_goroutines ", "process_resident_memory_bytes ",
		// The README's quick start: the demo serves balances of every provider.
		`billing_up{account="docspace-main",provider="docspace"} 1`,
		`billing_balance{account="docspace-main",currency="USD",provider="docspace",wallet=""} `,
		`billing_up{account="acefone-uk",provider="acefone"} 1`,
		`billing_balance{account="acefone-uk",currency="GBP",provider="acefone",wallet=""} `,
		`billing_up{account="qovery",provider="qovery"} 1`,
		"billing_exporter_config_last_reload_successful 1",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "billing-exporter test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeFile(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})))
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-scraper"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	writeFile(t, webConfig, fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prometheus: %s\n", certFile, keyFile, hash))

	e := start(t, "--demo", "--web.config.file="+webConfig)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	url := "https://" + e.addr + "/metrics"

	// Plain HTTP to a TLS port is refused outright.
	if resp, err := http.Get("http://" + e.addr + "/metrics"); err == nil {
		if resp.StatusCode == 200 {
			t.Error("plain HTTP served metrics on a TLS listener")
		}
		_ = resp.Body.Close()
	}
	// Basic auth covers every path, the health endpoints included (README:
	// probes need credentials).
	for _, p := range []string{"/", "/-/healthy", "/-/ready", "/config"} {
		resp, err := client.Get("https://" + e.addr + p)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without credentials: %d, want 401", p, resp.StatusCode)
		}
	}
	for _, tc := range []struct {
		name, user, pass string
		want             int
	}{
		{"no credentials", "", "", http.StatusUnauthorized},
		{"wrong password", "prometheus", "guess", http.StatusUnauthorized},
		{"unknown user", "admin", "s3cret-scraper", http.StatusUnauthorized},
		{"right password", "prometheus", "s3cret-scraper", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want == 200 && !strings.Contains(string(b), "billing_up{") {
				t.Error("authorised scrape has no billing_up")
			}
		})
	}
}

// A config key holding a terminal escape and a line break (or a secret
// pasted as a key) reaches neither the terminal of --config.check nor the
// body of a failed /-/reload raw: it is quoted.
func TestConfigErrorsQuoteControlCharacters(t *testing.T) {
	srv := newPortals(t)
	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfgFile, srv.config("alpha"))
	bad := srv.config("alpha") + `    "col\e[31mour\nsk-pasted": blue` + "\n"
	raw := func(where, msg string) {
		t.Helper()
		if strings.ContainsRune(msg, '\x1b') || strings.Contains(msg, "our\nsk-pasted") {
			t.Errorf("%s holds the key raw: %q", where, msg)
		}
		if !strings.Contains(msg, `"col\x1b[31mour\nsk-pasted": unknown field`) {
			t.Errorf("%s does not quote the key: %q", where, msg)
		}
	}

	e := start(t, "--config.file="+cfgFile, "--web.enable-lifecycle")
	writeFile(t, cfgFile, bad)
	code, msg := post(t, "http://"+e.addr+"/-/reload")
	if code != http.StatusInternalServerError {
		t.Fatalf("reload of a bad file: %d %q, want 500", code, msg)
	}
	raw("the /-/reload body", msg)

	var errOut bytes.Buffer
	if code := run([]string{"--config.check", "--config.file=" + cfgFile}, io.Discard, &errOut, nil); code != 1 {
		t.Fatalf("--config.check: exit %d, want 1", code)
	}
	raw("--config.check", errOut.String())
}

// upstreamCalls counts the fake's requests for one account's prefix.
func upstreamCalls(srv *portals, account string) int {
	n := 0
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.Path, "/docspace/"+account+"/") {
			n++
		}
	}
	return n
}

func TestReloadOverHTTP(t *testing.T) {
	srv := newPortals(t)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.yml")
	writeFile(t, cfgFile, srv.config("alpha"))
	// The reload timestamps read clk. The wall clock comes back only after
	// the exporter has stopped: cleanups run last registered first, and
	// start registers the stop after this one.
	clk := fakeclock.At(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	wall := now
	t.Cleanup(func() { now = wall })
	now = clk.Now

	e := start(t, "--config.file="+cfgFile, "--web.enable-lifecycle")
	base := "http://" + e.addr
	_, body := get(t, nil, base+"/metrics")
	if v, ok := series.Sample(body, `billing_up{account="alpha",provider="docspace"}`); !ok || v != 1 {
		t.Fatalf("alpha not up before reload:\n%s", e.logs)
	}
	firstOK, _ := series.Sample(body, "billing_exporter_config_last_reload_success_timestamp_seconds")
	if want := float64(clk.Now().Unix()); firstOK != want {
		t.Errorf("success timestamp at start %v, want the clock's %v", firstOK, want)
	}
	alphaCalls := upstreamCalls(srv, "alpha")

	if code, _ := get(t, nil, base+"/-/reload"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: %d, want 405", code)
	}

	// A broken file keeps the running configuration.
	writeFile(t, cfgFile, srv.config("alpha")+"    colour: blue\n")
	code, msg := post(t, base+"/-/reload")
	if code != http.StatusInternalServerError || !strings.Contains(msg, "colour") {
		t.Errorf("bad reload: %d %q; want 500 naming the field", code, msg)
	}
	if strings.Contains(msg, docspaceKey) || strings.Contains(e.logs.String(), docspaceKey) {
		t.Fatal("a reload error shows the API key")
	}
	_, body = get(t, nil, base+"/metrics")
	if v, ok := series.Sample(body, "billing_exporter_config_last_reload_successful"); !ok || v != 0 {
		t.Errorf("last_reload_successful = %v, want 0", v)
	}
	if v, ok := series.Sample(body, `billing_up{account="alpha",provider="docspace"}`); !ok || v != 1 {
		t.Error("alpha vanished after a failed reload")
	}
	if !strings.Contains(e.logs.String(), "reload failed") {
		t.Error("failed reload not logged")
	}

	// A good file adds beta; alpha is unchanged and keeps its cache.
	clk.Advance(time.Second) // the success timestamp must move
	writeFile(t, cfgFile, srv.config("alpha", "beta"))
	if code, msg := post(t, base+"/-/reload"); code != 200 {
		t.Fatalf("good reload: %d %q", code, msg)
	}
	_, body = get(t, nil, base+"/metrics")
	if v, _ := series.Sample(body, "billing_exporter_config_last_reload_successful"); v != 1 {
		t.Errorf("last_reload_successful = %v after a good reload", v)
	}
	if ts, _ := series.Sample(body, "billing_exporter_config_last_reload_success_timestamp_seconds"); ts != firstOK+1 {
		t.Errorf("success timestamp %v did not move to the reload's time %v", ts, firstOK+1)
	}
	if v, ok := series.Sample(body, `billing_up{account="beta",provider="docspace"}`); !ok || v != 1 {
		t.Error("beta not scraped after reload")
	}
	if got := upstreamCalls(srv, "alpha"); got != alphaCalls {
		t.Errorf("alpha made %d upstream calls after reload, want its cache kept (%d)", got, alphaCalls)
	}

	// Removing alpha removes every series of it.
	writeFile(t, cfgFile, srv.config("beta"))
	if code, msg := post(t, base+"/-/reload"); code != 200 {
		t.Fatalf("reload: %d %q", code, msg)
	}
	_, body = get(t, nil, base+"/metrics")
	if strings.Contains(body, `account="alpha"`) {
		t.Error("alpha still exposed after its removal")
	}
	if _, ok := series.Sample(body, `billing_up{account="beta",provider="docspace"}`); !ok {
		t.Error("beta lost")
	}
	if _, ok := series.Sample(body, `billing_exporter_config_reloads_total{result="failure",trigger="HTTP"}`); !ok {
		t.Error("reloads_total has no failure series")
	}
}

// child runs the real binary (this test binary re-executed) with args.
func child(t *testing.T, args ...string) (*exec.Cmd, *testlog.Buffer) {
	t.Helper()
	return childWith(t, nil, args...)
}

// childWith is child with setup applied to the command before it starts.
func childWith(t *testing.T, setup func(*exec.Cmd), args ...string) (*exec.Cmd, *testlog.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", childEnv+"_ARGS="+strings.Join(append([]string{"--web.listen-address=127.0.0.1:0"}, args...), "\x1f"))
	if setup != nil {
		setup(cmd)
	}
	logs := &testlog.Buffer{}
	cmd.Stdout, cmd.Stderr = io.Discard, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, logs
}

func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the exit code is read from cmd.ProcessState
		close(done)
	}()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode()
	case <-time.After(40 * time.Second):
		t.Fatal("process did not exit")
		return -1
	}
}

func TestSIGHUPReloads(t *testing.T) {
	srv := newPortals(t)
	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfgFile, srv.config("alpha"))
	cmd, logs := child(t, "--config.file="+cfgFile)
	addr := waitListening(t, logs, nil)

	// A file that does not load keeps alpha running. The reloader logs the
	// outcome after counting it, so the line says /metrics shows it.
	writeFile(t, cfgFile, srv.config("beta")+"    colour: blue\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, logs, nil, regexp.MustCompile(`msg="reload failed[^"]*" trigger=SIGHUP`))
	_, body := get(t, nil, "http://"+addr+"/metrics")
	if v, _ := series.Sample(body, `billing_exporter_config_reloads_total{result="failure",trigger="SIGHUP"}`); v != 1 {
		t.Errorf("reloads_total{SIGHUP,failure} = %v after a SIGHUP with a bad file, want 1", v)
	}
	if v, ok := series.Sample(body, "billing_exporter_config_last_reload_successful"); !ok || v != 0 {
		t.Errorf("last_reload_successful = %v after a failed SIGHUP reload, want 0", v)
	}
	if v, ok := series.Sample(body, `billing_up{account="alpha",provider="docspace"}`); !ok || v != 1 {
		t.Error("alpha not served after a failed SIGHUP reload")
	}
	if strings.Contains(body, `account="beta"`) {
		t.Error("the file that failed to load was applied")
	}

	writeFile(t, cfgFile, srv.config("beta"))
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, logs, nil, regexp.MustCompile(`msg="configuration reloaded" trigger=SIGHUP`))
	_, body = get(t, nil, "http://"+addr+"/metrics")
	if _, beta := series.Sample(body, `billing_up{account="beta",provider="docspace"}`); !beta || strings.Contains(body, `account="alpha"`) {
		t.Errorf("SIGHUP did not apply the new config:\n%s", body)
	}
	if v, _ := series.Sample(body, `billing_exporter_config_reloads_total{result="success",trigger="SIGHUP"}`); v != 1 {
		t.Errorf("reloads_total{SIGHUP,success} = %v", v)
	}
	if v, _ := series.Sample(body, "billing_exporter_config_last_reload_successful"); v != 1 {
		t.Errorf("last_reload_successful = %v after a good SIGHUP reload", v)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit code %d after SIGTERM:\n%s", code, logs)
	}
}

// A SIGTERM during a scrape lets that scrape finish, then exits 0. The
// vendor answers only once the exporter has closed its listener, so the
// scrape is still in flight when the shutdown waits for it.
func TestSIGTERMFinishesInFlightScrape(t *testing.T) {
	srv := newPortals(t)
	cfgFile := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfgFile, srv.config("slow"))
	arrived := make(chan struct{}, 16)
	release := srv.hold(arrived)
	t.Cleanup(release)
	cmd, logs := child(t, "--config.file="+cfgFile)
	addr := waitListening(t, logs, nil)

	type result struct {
		code int
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer func() { _ = resp.Body.Close() }()
		b, err := io.ReadAll(resp.Body)
		got <- result{code: resp.StatusCode, body: string(b), err: err}
	}()
	select {
	case <-arrived: // the scrape is waiting on the vendor
	case <-time.After(15 * time.Second):
		t.Fatal("scrape never reached the vendor")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLog(t, logs, nil, regexp.MustCompile(`msg="listener closed`))
	release()
	r := <-got
	if r.err != nil || r.code != 200 {
		t.Fatalf("in-flight scrape: %d %v", r.code, r.err)
	}
	if v, ok := series.Sample(r.body, `billing_up{account="slow",provider="docspace"}`); !ok || v != 1 {
		t.Errorf("in-flight scrape cut short: billing_up = %v, %v", v, ok)
	}
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit code %d after SIGTERM:\n%s", code, logs)
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Error("shutdown not logged")
	}
}

func TestSystemdSocketFlag(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("exporter-toolkit offers --web.systemd-socket on Linux only")
	}
	f, err := parseFlags([]string{"--web.systemd-socket"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatalf("--web.systemd-socket: %v", err)
	}
	if f.web.WebSystemdSocket == nil || !*f.web.WebSystemdSocket {
		t.Error("--web.systemd-socket did not set the toolkit's flag")
	}
}

// With --web.systemd-socket the exporter serves on the socket systemd
// passes (fd 3, LISTEN_FDS), not on --web.listen-address.
func TestSystemdSocketActivation(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("socket activation is Linux only")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	file, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	cmd, logs := childWith(t, func(c *exec.Cmd) {
		c.ExtraFiles = []*os.File{file} // fd 3
		c.Env = append(c.Env, childEnv+"_SOCKET=1")
	}, "--demo", "--web.systemd-socket")
	// Only the child holds the socket now.
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}

	if got := waitListening(t, logs, nil); got != addr {
		t.Errorf("listening on %s, want the activated socket %s", got, addr)
	}
	if !strings.Contains(logs.String(), "systemd activated listeners") {
		t.Errorf("no socket activation in the log:\n%s", logs)
	}
	if code, body := get(t, nil, "http://"+addr+"/-/healthy"); code != 200 || !strings.Contains(body, "Healthy") {
		t.Errorf("/-/healthy on the activated socket: %d %q", code, body)
	}
	if _, body := get(t, nil, "http://"+addr+"/metrics"); !strings.Contains(body, `billing_up{account="docspace-main",provider="docspace"} 1`) {
		t.Error("/metrics on the activated socket lacks billing_up")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit code %d after SIGTERM:\n%s", code, logs)
	}
}
