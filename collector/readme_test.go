package collector_test

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/readme"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/prometheus/client_golang/prometheus"
)

// The README's "Metrics" section is the contract users read: these tests
// hold it to the descriptors the exporter registers and to what each
// provider really emits.

// readmeRow is one metric row of a table in README.md's Metrics section.
type readmeRow struct {
	names  []string // `a` / `b` rows document two metrics
	labels []string
	source string // third column
}

type readmeMetrics struct {
	tables map[string][]readmeRow // by provider; "" is the health table
	text   string                 // the whole section, prose included
}

var (
	readmeTick       = regexp.MustCompile("`([^`]+)`")
	readmeProviderRe = regexp.MustCompile(`provider="([a-z]+)"`)
)

func readReadmeMetrics(t *testing.T) readmeMetrics {
	t.Helper()
	section := readme.Section(t, "Metrics")
	out := readmeMetrics{tables: map[string][]readmeRow{}, text: section}
	provider, inTable := "", false
	for _, line := range strings.Split(section, "\n") {
		if head, ok := strings.CutPrefix(line, "### "); ok {
			provider, inTable = "", false
			if m := readmeProviderRe.FindStringSubmatch(head); m != nil {
				provider = m[1]
			} else if !strings.HasPrefix(head, "Exporter health") {
				provider = "?" + head
			}
			continue
		}
		if !strings.HasPrefix(line, "|") {
			inTable = false
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if !inTable { // the header row, then the |---| row
			inTable = true
			if len(cells) != 3 || cells[0] != "metric" || cells[1] != "labels" {
				t.Errorf("README table under %q: header %q, want | metric | labels | source |", provider, line)
			}
			continue
		}
		if strings.HasPrefix(cells[0], "---") {
			continue
		}
		if len(cells) != 3 {
			t.Errorf("README row %q: %d cells, want 3", line, len(cells))
			continue
		}
		var row readmeRow
		for _, m := range readmeTick.FindAllStringSubmatch(cells[0], -1) {
			row.names = append(row.names, m[1])
		}
		for _, m := range readmeTick.FindAllStringSubmatch(cells[1], -1) {
			row.labels = append(row.labels, m[1])
		}
		row.source = cells[2]
		out.tables[provider] = append(out.tables[provider], row)
	}
	return out
}

// descRecorder is a Registerer that keeps the descriptors of what is
// registered with it.
type descRecorder struct{ descs []*prometheus.Desc }

func (r *descRecorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		r.descs = append(r.descs, d)
	}
	return nil
}

func (r *descRecorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = r.Register(c)
	}
}

func (r *descRecorder) Unregister(prometheus.Collector) bool { return false }

var (
	descNameRe   = regexp.MustCompile(`fqName: "([^"]+)"`)
	descLabelsRe = regexp.MustCompile(`variableLabels: \{([^{}]*)\}\}$`)
)

// registeredMetrics maps every billing_* metric the binary can serve to
// its label names: the provider families, the upstream metrics and the
// exporter's own.
func registeredMetrics(t *testing.T) map[string][]string {
	t.Helper()
	rec := &descRecorder{}
	upstream := scrape.NewMetrics(rec)
	collector.NewSelfMetrics(rec)
	collector.RegisterShardMetrics(rec, config.Unsharded, func() int { return 0 })
	out := map[string][]string{}
	for _, f := range collector.Families() {
		out[f.Name] = f.Names
	}
	for _, d := range upstream.Families() {
		out[d.Name] = d.Labels
	}
	for _, d := range rec.descs {
		s := d.String()
		n, l := descNameRe.FindStringSubmatch(s), descLabelsRe.FindStringSubmatch(s)
		if n == nil || l == nil {
			t.Fatalf("cannot read descriptor %s", s)
		}
		if !strings.HasPrefix(n[1], "billing_") {
			continue // go_*, process_*
		}
		var labels []string
		if l[1] != "" {
			labels = strings.Split(l[1], ",")
		}
		out[n[1]] = labels
	}
	if len(out) < 40 {
		t.Fatalf("only %d billing_* descriptors registered", len(out))
	}
	return out
}

// ownLabels drops the labels every series has (provider, account) and the
// organization pair the section's introduction documents once.
func ownLabels(labels []string) []string {
	var out []string
	for _, l := range labels {
		switch l {
		case "provider", "account", "organization", "organization_id":
		default:
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

func TestReadmeDocumentsEveryRegisteredMetric(t *testing.T) {
	readme := readReadmeMetrics(t)
	registered := registeredMetrics(t)

	inTables := map[string]bool{}
	for provider, rows := range readme.tables {
		if strings.HasPrefix(provider, "?") {
			t.Errorf("README metrics table under %q: no provider=\"…\" in its heading", provider[1:])
		}
		for _, row := range rows {
			if len(row.names) == 0 {
				t.Errorf("README row without a metric name under %q: %+v", provider, row)
			}
			for _, name := range row.names {
				inTables[name] = true
				labels, ok := registered[name]
				if !ok {
					t.Errorf("README documents %s, which the exporter does not register", name)
					continue
				}
				if got, want := ownLabels(row.labels), ownLabels(labels); !slices.Equal(got, want) {
					t.Errorf("README %s labels %v, the descriptor has %v", name, got, want)
				}
			}
		}
	}
	for name := range registered {
		if strings.HasPrefix(name, "billing_exporter_") {
			// The exporter's own metrics are named in the prose under the health table.
			if !strings.Contains(readme.text, "`"+name+"`") && !strings.Contains(readme.text, "`"+name+"{") {
				t.Errorf("README Metrics section does not name %s", name)
			}
			continue
		}
		if !inTables[name] {
			t.Errorf("%s is registered but in no README metrics table", name)
		}
	}
	for _, p := range append([]string{""}, providerNames()...) {
		if len(readme.tables[p]) == 0 {
			t.Errorf("README has no metrics table for provider %q", p)
		}
	}
}

// Each provider table row names the endpoint its value comes from: one of
// the provider's endpoint names (or its last path segment, as the tables
// write "dashboard" for billing/dashboard).
func TestReadmeMetricSourcesNameAnEndpoint(t *testing.T) {
	readme := readReadmeMetrics(t)
	for provider, rows := range readme.tables {
		if provider == "" {
			continue
		}
		var words []string
		var names []string
		for _, ep := range endpoints(provider) {
			names = append(names, ep.Name)
			words = append(words, regexp.QuoteMeta(ep.Name), regexp.QuoteMeta(ep.Name[strings.LastIndex(ep.Name, "/")+1:]))
		}
		if len(words) == 0 {
			t.Errorf("README table for %q, a provider without endpoints", provider)
			continue
		}
		endpoint := regexp.MustCompile(`(^|[^A-Za-z_])(` + strings.Join(words, "|") + `)([^A-Za-z_]|$)`)
		for _, row := range rows {
			if !endpoint.MatchString(row.source) {
				t.Errorf("README %s (%s): source %q names none of the endpoints %v", strings.Join(row.names, ", "), provider, row.source, names)
			}
		}
	}
}

// What each provider emits against its fake in the demo is exactly what
// its README table lists (beyond the health metrics every account has).
func TestReadmeProviderTablesMatchWhatTheDemoEmits(t *testing.T) {
	readme := readReadmeMetrics(t)
	health := map[string]bool{}
	for _, row := range readme.tables[""] {
		for _, n := range row.names {
			health[n] = true
		}
	}
	h, demo, _ := demoHarness(t, nil)
	h.Scrape()
	emitted := map[string]map[string]bool{}
	for _, mf := range h.Snapshot() {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "provider" && !health[mf.GetName()] {
					if emitted[l.GetValue()] == nil {
						emitted[l.GetValue()] = map[string]bool{}
					}
					emitted[l.GetValue()][mf.GetName()] = true
				}
			}
		}
	}
	for _, a := range demo.Config.Accounts {
		if up := h.Value("billing_up", map[string]string{"account": a.Name}); up != 1 {
			t.Fatalf("demo account %s: billing_up %v\n%s", a.Name, up, h.Logs)
		}
	}
	for _, provider := range providerNames() {
		documented := map[string]bool{}
		for _, row := range readme.tables[provider] {
			for _, n := range row.names {
				documented[n] = true
				if !emitted[provider][n] {
					t.Errorf("README lists %s for %s, but the %s demo accounts do not emit it", n, provider, provider)
				}
			}
		}
		for n := range emitted[provider] {
			if !documented[n] {
				t.Errorf("%s emits %s, which its README table does not list", provider, n)
			}
		}
	}
}
