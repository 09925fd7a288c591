package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// --- Dockerfile ----------------------------------------------------------

type stage struct {
	from, name string
	lines      []string // instructions after FROM, continuations joined
}

type parsedDockerfile struct {
	args       map[string]string // ARGs before the first FROM
	stages     []stage
	entrypoint []string
}

func dockerfile(t *testing.T) parsedDockerfile {
	t.Helper()
	df := parsedDockerfile{args: map[string]string{}}
	var cur strings.Builder
	var instrs []string
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, "Dockerfile")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		instrs = append(instrs, cur.String())
		cur.Reset()
	}
	for _, in := range instrs {
		word, rest, _ := strings.Cut(in, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(word) {
		case "FROM":
			f := strings.Fields(rest)
			s := stage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			df.stages = append(df.stages, s)
			continue
		case "ARG":
			if len(df.stages) == 0 {
				k, v, _ := strings.Cut(rest, "=")
				df.args[k] = v
			}
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &df.entrypoint); err != nil {
				t.Fatalf("Dockerfile: ENTRYPOINT is not the exec (JSON) form: %v", err)
			}
		}
		if len(df.stages) == 0 {
			continue
		}
		s := &df.stages[len(df.stages)-1]
		s.lines = append(s.lines, strings.ToUpper(word)+" "+rest)
	}
	if len(df.stages) == 0 {
		t.Fatal("Dockerfile: no FROM")
	}
	return df
}

// instr returns the arguments of the stage's instructions named word.
func (s stage) instr(word string) []string {
	var out []string
	for _, l := range s.lines {
		if w, rest, _ := strings.Cut(l, " "); w == word {
			out = append(out, rest)
		}
	}
	return out
}

// goVersion parses "1.26.8" (or "1.26") into numbers.
func goVersion(s string) []int {
	var v []int
	for _, p := range strings.Split(s, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil
		}
		v = append(v, n)
	}
	return v
}

func TestDockerfile(t *testing.T) {
	df := dockerfile(t)
	if len(df.stages) < 2 {
		t.Fatalf("Dockerfile: %d stages, want a build stage and a runtime stage", len(df.stages))
	}
	build, final := df.stages[0], df.stages[len(df.stages)-1]

	// The build stage runs `make build`, so the image holds what CI builds,
	// with the version passed in (.git is not in the context).
	var makeBuild string
	for _, r := range build.instr("RUN") {
		if strings.Contains(r, "make build") {
			makeBuild = r
		}
		if regexp.MustCompile(`\bgo build\b`).MatchString(r) {
			t.Errorf("Dockerfile: `%s` builds without the Makefile", r)
		}
	}
	if makeBuild == "" {
		t.Fatal("Dockerfile: the build stage does not RUN make build")
	}
	for _, v := range []string{"VERSION", "REVISION", "BRANCH"} {
		if !strings.Contains(makeBuild, v+`="${`+v+`}"`) || !slices.ContainsFunc(build.instr("ARG"), func(a string) bool { return strings.HasPrefix(a, v) }) {
			t.Errorf("Dockerfile: build argument %s is not declared and passed to make build", v)
		}
	}
	// make build is static and stamps the version.
	mk := string(readFile(t, "Makefile"))
	recipe := regexp.MustCompile(`(?m)^build:.*\n\t(.*)$`).FindStringSubmatch(mk)
	if recipe == nil || !strings.Contains(recipe[1], "CGO_ENABLED=0") || !strings.Contains(recipe[1], "-ldflags '$(LDFLAGS)'") ||
		!strings.Contains(mk, "$(VERSION_PKG).Version=$(VERSION)") {
		t.Errorf("Makefile: the build recipe is not `CGO_ENABLED=0 go build ... -ldflags '$(LDFLAGS)'` with the version ldflags")
	}
	// The builder's Go is at least go.mod's.
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(string(readFile(t, "go.mod")))
	if m == nil {
		t.Fatal("go.mod: no go directive")
	}
	want, have := goVersion(m[1]), goVersion(df.args["GO_VERSION"])
	if !strings.HasPrefix(build.from, "golang:${GO_VERSION}") || have == nil || slices.Compare(have, want) < 0 {
		t.Errorf("Dockerfile: builder %s with GO_VERSION %q; want golang:${GO_VERSION} at least go.mod's %s", build.from, df.args["GO_VERSION"], m[1])
	}

	// The runtime stage: distroless static, nonroot, pinned by tag.
	if !regexp.MustCompile(`^gcr\.io/distroless/static(-debian\d+)?:nonroot$`).MatchString(final.from) {
		t.Errorf("Dockerfile: runtime base %q, want gcr.io/distroless/static-debianNN:nonroot", final.from)
	}
	copies := final.instr("COPY")
	if len(copies) != 1 || !strings.HasPrefix(copies[0], "--from="+build.name+" ") || !strings.HasSuffix(copies[0], " /bin/billing-exporter") {
		t.Errorf("Dockerfile: runtime stage copies %v, want only the binary from stage %q to /bin/billing-exporter", copies, build.name)
	}
	if len(final.instr("RUN")) > 0 {
		t.Error("Dockerfile: the runtime stage RUNs something (distroless has no shell)")
	}
	users := final.instr("USER")
	if len(users) == 0 {
		t.Error("Dockerfile: no USER in the runtime stage")
	} else {
		u, _, _ := strings.Cut(users[len(users)-1], ":")
		if n, err := strconv.Atoi(u); err != nil || n == 0 {
			t.Errorf("Dockerfile: USER %s, want a numeric non-root uid (Kubernetes' runAsNonRoot checks it)", users[len(users)-1])
		}
	}
	if got, want := final.instr("EXPOSE"), []string{strconv.Itoa(defaultPort(t))}; !slices.Equal(got, want) {
		t.Errorf("Dockerfile: EXPOSE %v, want %v (cmd/billing-exporter defaultListenAddress)", got, want)
	}
	if want := []string{"/bin/billing-exporter", "--config.file=/etc/billing-exporter/config.yml"}; !slices.Equal(df.entrypoint, want) {
		t.Errorf("Dockerfile: ENTRYPOINT %q, want %q", df.entrypoint, want)
	}
}

// dockerignored reports whether .dockerignore's patterns leave rel (a slash
// path from the root) out of the build context: a pattern matches the path
// or one of its parent directories, the last matching pattern wins.
func dockerignored(patterns []string, rel string) bool {
	ignored := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(strings.TrimPrefix(p, "!"), "/")
		re := regexp.MustCompile("^" + globRegexp(path.Clean(p)) + "$")
		for q := rel; q != "." && q != "/"; q = path.Dir(q) {
			if re.MatchString(q) {
				ignored = !neg
				break
			}
		}
	}
	return ignored
}

func globRegexp(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case strings.HasPrefix(p[i:], "**/"):
			b.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(p[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}

func TestDockerignoreKeepsTheBuildInputs(t *testing.T) {
	var patterns []string
	for _, l := range strings.Split(string(readFile(t, ".dockerignore")), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	for _, p := range []string{".git", "billing-exporter", "x/y.test"} {
		if !dockerignored(patterns, p) {
			t.Errorf(".dockerignore: %s is sent to the build", p)
		}
	}
	// Everything `make build` reads: the Makefile, the module files and
	// every file of every package of the module the binary is built from.
	need := []string{"Makefile", "go.mod", "go.sum"}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goCmd, "list", "-deps", "-f", `{{if .Module}}{{if .Module.Main}}{{range .GoFiles}}{{$.Dir}}/{{.}}
{{end}}{{range .EmbedFiles}}{{$.Dir}}/{{.}}
{{end}}{{end}}{{end}}`, "./cmd/billing-exporter")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(abs, f)
		if err != nil {
			t.Fatal(err)
		}
		need = append(need, filepath.ToSlash(rel))
	}
	if len(need) < 10 {
		t.Fatalf("go list found only %v", need)
	}
	for _, f := range need {
		if dockerignored(patterns, f) {
			t.Errorf(".dockerignore leaves %s out of the build context", f)
		}
	}
}

// --- docker-compose.yml --------------------------------------------------

type composeService struct {
	Build struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Volumes []string `yaml:"volumes"`
	Ports   []string `yaml:"ports"`
}

type compose struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

// hostPath maps a path inside the service's container to the file that the
// service's bind mounts put there, relative to deploy/, or "".
func (s composeService) hostPath(p string) string {
	best, host := "", ""
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 || !strings.HasPrefix(parts[0], ".") {
			continue
		}
		dst := parts[1]
		if (p == dst || strings.HasPrefix(p, dst+"/")) && len(dst) > len(best) {
			best, host = dst, filepath.Join(filepath.FromSlash(parts[0]), filepath.FromSlash(strings.TrimPrefix(p, dst)))
		}
	}
	return host
}

func (s composeService) flag(name string) (string, bool) {
	for _, a := range s.Command {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

func readYAMLFile(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// hostPort splits "host:port" and checks that host is a compose service.
func hostPort(t *testing.T, c compose, what, addr string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Errorf("%s: %q: %v", what, addr, err)
		return "", ""
	}
	if _, ok := c.Services[h]; !ok {
		t.Errorf("%s: %q is not a compose service", what, addr)
	}
	return h, p
}

func TestComposeStack(t *testing.T) {
	var c compose
	readYAMLFile(t, "docker-compose.yml", &c)
	port := strconv.Itoa(defaultPort(t))
	job := ruleJob(t)

	for name, s := range c.Services {
		if s.Image == "" || (s.Build.Context == "" && (!strings.Contains(s.Image, ":") || strings.HasSuffix(s.Image, ":latest"))) {
			t.Errorf("service %s: image %q is not pinned to a tag", name, s.Image)
		}
		if len(s.Ports) == 0 {
			t.Errorf("service %s publishes no port", name)
		}
		for _, p := range s.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("service %s: port %q is not published on 127.0.0.1 only", name, p)
			}
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") {
				if _, err := os.Stat(filepath.FromSlash(src)); err != nil {
					t.Errorf("service %s: volume %s: %v", name, v, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("service %s: named volume %s is not declared", name, src)
			}
		}
	}

	// The exporter: the root Dockerfile, demo mode, its default port.
	exp, ok := c.Services[job]
	if !ok {
		t.Fatalf("no service %q (the job the rules expect; Prometheus scrapes it under that name)", job)
	}
	if _, err := os.Stat(filepath.Join(exp.Build.Context, exp.Build.Dockerfile)); err != nil || filepath.Clean(exp.Build.Context) != root {
		t.Errorf("service %s: build %+v is not the repository's Dockerfile", job, exp.Build)
	}
	if !slices.Equal(exp.Command, []string{"--demo"}) {
		t.Errorf("service %s: command %v, want [--demo]", job, exp.Command)
	}
	if !slices.Equal(exp.Ports, []string{"127.0.0.1:" + port + ":" + port}) {
		t.Errorf("service %s: ports %v, want 127.0.0.1:%s:%s", job, exp.Ports, port, port)
	}

	// Prometheus: its config and rule files are the project's.
	prom := c.Services["prometheus"]
	cfgPath, ok := prom.flag("config.file")
	if !ok {
		t.Fatal("service prometheus: no --config.file")
	}
	hostCfg := prom.hostPath(cfgPath)
	if hostCfg == "" {
		t.Fatalf("service prometheus: no bind mount holds %s", cfgPath)
	}
	var pc struct {
		RuleFiles []string `yaml:"rule_files"`
		Alerting  struct {
			Alertmanagers []struct {
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAMLFile(t, hostCfg, &pc)
	var rules []string
	for _, rf := range pc.RuleFiles {
		if !path.IsAbs(rf) {
			rf = path.Join(path.Dir(cfgPath), rf)
		}
		rules = append(rules, filepath.Clean(prom.hostPath(rf)))
	}
	if want := filepath.Join("prometheus", filepath.Base(RulesFile)); !slices.Equal(rules, []string{want}) {
		t.Errorf("%s: rule files %v are mounted from %v, want deploy/%s", hostCfg, pc.RuleFiles, rules, want)
	}
	var amTargets []string
	for _, am := range pc.Alerting.Alertmanagers {
		for _, sc := range am.StaticConfigs {
			amTargets = append(amTargets, sc.Targets...)
		}
	}
	if len(amTargets) != 1 {
		t.Errorf("%s: alertmanagers %v, want the compose one", hostCfg, amTargets)
	}
	for _, a := range amTargets {
		if h, p := hostPort(t, c, hostCfg+": alertmanager", a); h != "alertmanager" || p != "9093" {
			t.Errorf("%s: alertmanager %s, want alertmanager:9093", hostCfg, a)
		}
	}
	scraped := false
	for _, sc := range pc.ScrapeConfigs {
		if sc.JobName != job {
			continue
		}
		for _, s := range sc.StaticConfigs {
			for _, target := range s.Targets {
				if h, p := hostPort(t, c, hostCfg+": job "+job, target); h == job && p == port {
					scraped = true
				}
			}
		}
	}
	if !scraped {
		t.Errorf("%s: no job %q scraping %s:%s", hostCfg, job, job, port)
	}

	// Alertmanager: a config whose route goes to a receiver it defines.
	am := c.Services["alertmanager"]
	amPath, _ := am.flag("config.file")
	hostAM := am.hostPath(amPath)
	if hostAM == "" {
		t.Fatalf("service alertmanager: no bind mount holds --config.file %q", amPath)
	}
	var ac struct {
		Route struct {
			Receiver string `yaml:"receiver"`
		} `yaml:"route"`
		Receivers []struct {
			Name string `yaml:"name"`
		} `yaml:"receivers"`
	}
	readYAMLFile(t, hostAM, &ac)
	if !slices.ContainsFunc(ac.Receivers, func(r struct {
		Name string `yaml:"name"`
	}) bool {
		return r.Name == ac.Route.Receiver
	}) {
		t.Errorf("%s: route receiver %q is not defined", hostAM, ac.Route.Receiver)
	}

	// Grafana: the provisioning files reach Grafana's provisioning
	// directory, their data source is the compose Prometheus and their
	// dashboard path holds the dashboards.
	gf := c.Services["grafana"]
	dsDir := gf.hostPath("/etc/grafana/provisioning/datasources")
	dbDir := gf.hostPath("/etc/grafana/provisioning/dashboards")
	if dsDir == "" || dbDir == "" {
		t.Fatalf("service grafana: provisioning not mounted (datasources %q, dashboards %q)", dsDir, dbDir)
	}
	dsFiles, _ := filepath.Glob(filepath.Join(dsDir, "*.yml"))
	dbFiles, _ := filepath.Glob(filepath.Join(dbDir, "*.yml"))
	if len(dsFiles) == 0 || len(dbFiles) == 0 {
		t.Fatalf("grafana provisioning: %d data source and %d dashboard provider files", len(dsFiles), len(dbFiles))
	}
	for _, f := range dsFiles {
		var ds struct {
			Datasources []struct {
				Type string `yaml:"type"`
				URL  string `yaml:"url"`
			} `yaml:"datasources"`
		}
		readYAMLFile(t, f, &ds)
		for _, d := range ds.Datasources {
			if d.Type != "prometheus" {
				continue
			}
			u, err := url.Parse(d.URL)
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			if h, p := hostPort(t, c, f+": url", u.Host); h != "prometheus" || p != "9090" {
				t.Errorf("%s: url %s, want http://prometheus:9090 (the compose Prometheus)", f, d.URL)
			}
		}
	}
	for _, f := range dbFiles {
		var dp struct {
			Providers []struct {
				Options struct {
					Path string `yaml:"path"`
				} `yaml:"options"`
			} `yaml:"providers"`
		}
		readYAMLFile(t, f, &dp)
		for _, p := range dp.Providers {
			dir := gf.hostPath(p.Options.Path)
			dashboards, _ := filepath.Glob(filepath.Join(dir, "*.json"))
			if dir == "" || len(dashboards) == 0 {
				t.Errorf("%s: dashboards path %s holds no dashboard in compose (mounted from %q)", f, p.Options.Path, dir)
			}
		}
	}
}

// promtool and amtool, where installed, check the compose configurations
// as Prometheus and Alertmanager will read them (local files only).
func TestPrometheusAndAlertmanagerConfigsCheck(t *testing.T) {
	ran := 0
	for _, c := range []struct{ tool, sub, file string }{
		{"promtool", "check config", "prometheus/prometheus.yml"},
		{"amtool", "check-config", "alertmanager/alertmanager.yml"},
	} {
		bin, err := exec.LookPath(c.tool)
		if err != nil {
			t.Logf("%s not installed: skipping it", c.tool)
			continue
		}
		ran++
		out, err := exec.Command(bin, append(strings.Fields(c.sub), c.file)...).CombinedOutput()
		if err != nil {
			t.Errorf("%s %s deploy/%s: %v\n%s", c.tool, c.sub, c.file, err, out)
		}
	}
	if ran == 0 {
		t.Skip("neither promtool nor amtool is installed")
	}
}

// --- systemd -------------------------------------------------------------

func TestSystemdUnit(t *testing.T) {
	const file = "systemd/billing-exporter.service"
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	unit := map[string][]string{} // "Section.Key" -> values in order
	section := ""
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "["):
			section = strings.Trim(l, "[]")
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				t.Errorf("%s: %q is not Key=Value", file, l)
			}
			unit[section+"."+k] = append(unit[section+"."+k], v)
		}
	}
	last := func(k string) string {
		if v := unit["Service."+k]; len(v) > 0 {
			return v[len(v)-1]
		}
		return "<unset>"
	}
	for k, want := range map[string]string{
		"ExecStart":               "/usr/local/bin/billing-exporter --config.file=/etc/billing-exporter/config.yml",
		"ExecReload":              "/bin/kill -HUP $MAINPID",
		"Restart":                 "on-failure",
		"DynamicUser":             "yes",
		"NoNewPrivileges":         "yes",
		"CapabilityBoundingSet":   "",
		"AmbientCapabilities":     "",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"ProtectKernelTunables":   "yes",
		"ProtectKernelModules":    "yes",
		"ProtectControlGroups":    "yes",
		"RestrictSUIDSGID":        "yes",
		"MemoryDenyWriteExecute":  "yes",
		"SystemCallArchitectures": "native",
	} {
		if got := last(k); got != want {
			t.Errorf("%s: %s=%s, want %s=%s", file, k, got, k, want)
		}
	}
	if !slices.Contains(unit["Service.SystemCallFilter"], "@system-service") {
		t.Errorf("%s: no SystemCallFilter=@system-service", file)
	}
	if slices.Contains(strings.Fields(last("ProcSubset")), "pid") {
		t.Errorf("%s: ProcSubset=pid hides /proc/stat, which the process_* metrics read", file)
	}
	if len(unit["Install.WantedBy"]) == 0 {
		t.Errorf("%s: no [Install] WantedBy", file)
	}

	// systemd-analyze, where installed, checks every key and value. The
	// binary is not installed here: a copy of the unit starts `true`.
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: skipping `systemd-analyze verify`")
		return
	}
	trueBin, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1)")
	}
	tmp := filepath.Join(t.TempDir(), "billing-exporter.service")
	if err := os.WriteFile(tmp, bytes.ReplaceAll(b, []byte("/usr/local/bin/billing-exporter"), []byte(trueBin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", tmp).CombinedOutput()
	var problems []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, tmp) || strings.Contains(l, "billing-exporter.service") {
			problems = append(problems, l)
		} else if strings.TrimSpace(l) != "" {
			t.Logf("systemd-analyze (not about the unit): %s", l)
		}
	}
	if err != nil || len(problems) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", file, err, strings.Join(problems, "\n"))
	}
}

func TestNoRealLookingKeysInDeployFiles(t *testing.T) {
	key := regexp.MustCompile(`sk-[A-Za-z0-9]{16,}|-----BEGIN [A-Z ]*PRIVATE KEY-----|eyJ[A-Za-z0-9_-]{20,}\.`)
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if m := key.Find(b); m != nil {
			t.Errorf("deploy/%s holds something that looks like a key: %.12s…", filepath.ToSlash(p), m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"Dockerfile", ".dockerignore"} {
		if m := key.Find(readFile(t, f)); m != nil {
			t.Errorf("%s holds something that looks like a key: %.12s…", f, m)
		}
	}
}
