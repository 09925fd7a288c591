package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/template"
	"time"
)

// The template as Alertmanager runs it: text/template with the functions
// of Alertmanager's template package that billing.tmpl uses.
var amFuncs = template.FuncMap{
	"toUpper": strings.ToUpper,
	"reReplaceAll": func(pattern, repl, text string) string {
		return regexp.MustCompile(pattern).ReplaceAllString(text, repl)
	},
}

// tmplAlert and tmplData are the part of Alertmanager's template data that
// billing.tmpl reads.
type tmplAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
}

type tmplAlerts []tmplAlert

func (as tmplAlerts) Firing() []tmplAlert {
	var out []tmplAlert
	for _, a := range as {
		if a.Status == "firing" {
			out = append(out, a)
		}
	}
	return out
}

type tmplData struct {
	Receiver     string            `json:"receiver"`
	Status       string            `json:"status"`
	Alerts       tmplAlerts        `json:"alerts"`
	GroupLabels  map[string]string `json:"groupLabels"`
	CommonLabels map[string]string `json:"commonLabels"`
}

func hostileData() tmplData {
	a := tmplAlert{Status: "firing", Labels: hostileLabels, Annotations: hostileAnnotations,
		StartsAt: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	return tmplData{Receiver: "billing-critical", Status: "firing", Alerts: tmplAlerts{a},
		GroupLabels:  map[string]string{"provider": "qovery", "account": "hostile-check"},
		CommonLabels: hostileLabels}
}

var shippedTemplate = filepath.Join("..", "..", "deploy", "alertmanager", "billing.tmpl")

// amtool finds an amtool to render with: $AMTOOL, the one on PATH, or the
// one scripts/prom3.sh built.
func amtool() string {
	if p := os.Getenv("AMTOOL"); p != "" {
		return p
	}
	if p, err := exec.LookPath("amtool"); err == nil {
		return p
	}
	home, _ := os.UserHomeDir()
	found, _ := filepath.Glob(filepath.Join(home, ".cache", "billing-exporter", "alertmanager-*", "amtool"))
	if len(found) > 0 {
		return found[len(found)-1]
	}
	return ""
}

// Vendor text in labels and annotations (an organization named to mention
// @channel and forge a "*Where:*" line, a billing message carrying a
// link) reaches the Slack text escaped and on the lines the template
// writes: inert.
func TestSlackTextOfHostileVendorTextIsInert(t *testing.T) {
	tmpl, err := template.New("").Funcs(amFuncs).ParseFiles(shippedTemplate)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tmpl.ExecuteTemplate(&b, "billing.slack.text", hostileData()); err != nil {
		t.Fatal(err)
	}
	for _, p := range slackProblems(b.String(), 1) {
		t.Errorf("text/template: %s", p)
	}
	if t.Failed() {
		t.Logf("rendered:\n%s", b.String())
	}

	// The same with Alertmanager's own engine, when an amtool is at hand
	// (scripts/e2e.sh runs both Alertmanager versions in any case).
	tool, out := renderHostileWithAmtool(t, "billing.slack.text")
	for _, p := range slackProblems(out, 1) {
		t.Errorf("%s: %s", tool, p)
	}
	if t.Failed() {
		t.Logf("%s rendered:\n%s", tool, out)
	}
}

// The checker itself: the demo's ordinary text passes it but for the
// escaped vendor text it lacks, and forged lines fail it.
func TestSlackProblemsSeesForgedLines(t *testing.T) {
	ok := "x\n*Where:* account a (p)  *Since:* now\n*Runbook:* <https://github.com/billing-exporter/billing-exporter#r|R>\n" +
		"&lt;!channel&gt; &amp; co &lt;!here&gt; &lt;https://evil.example/pay|Pay now&gt;"
	if p := slackProblems(ok, 1); len(p) != 0 {
		t.Errorf("inert text refused: %v", p)
	}
	for _, bad := range []string{ok + " <!channel>", ok + "\n*Where:* forged", ok + "\n<https://evil.example|x>"} {
		if len(slackProblems(bad, 1)) == 0 {
			t.Errorf("not refused: %q", bad)
		}
	}
}

// The e-mail's plain text part shows vendor text as it is, but on the
// lines the template writes: five per alert, none of them forged by a
// line break in a label or an annotation.
func TestEmailTextOfHostileVendorTextHasNoForgedLines(t *testing.T) {
	tmpl, err := template.New("").Funcs(amFuncs).ParseFiles(shippedTemplate)
	if err != nil {
		t.Fatal(err)
	}
	check := func(engine, text string) {
		t.Helper()
		lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
		if len(lines) != 5 {
			t.Errorf("%s: %d lines, want 5 (one alert):\n%s", engine, len(lines), text)
			return
		}
		for i, prefix := range []string{"BillingInvalid (critical): ", "qovery reports", "Where: account hostile-check (qovery, organization ", "Since: ", "Runbook: "} {
			if !strings.HasPrefix(lines[i], prefix) {
				t.Errorf("%s: line %d is %q, want it to start with %q", engine, i+1, lines[i], prefix)
			}
		}
		for _, want := range []string{"acme <!channel> & co *Where:* account payroll (qovery)", "<!here> pay at <https://evil.example/pay|Pay now> *Runbook:*"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the vendor's text is not shown as it is, on one line: no %q in\n%s", engine, want, text)
			}
		}
	}
	var b strings.Builder
	if err := tmpl.ExecuteTemplate(&b, "billing.email.text", hostileData()); err != nil {
		t.Fatal(err)
	}
	check("text/template", b.String())

	check(renderHostileWithAmtool(t, "billing.email.text"))
}

// renderHostileWithAmtool renders the shipped template name for the
// hostile alert with Alertmanager's own engine, through amtool; it skips
// the test when no amtool is at hand.
func renderHostileWithAmtool(t *testing.T, name string) (tool, out string) {
	t.Helper()
	tool = amtool()
	if tool == "" {
		t.Skip("no amtool: rendered with text/template only")
	}
	data, err := json.Marshal(hostileData())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "data.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command(tool, "template", "render", "--template.glob="+shippedTemplate, "--template.data="+file,
		"--template.text="+`{{ template "`+name+`" . }}`).CombinedOutput()
	if err != nil {
		t.Fatalf("%s template render: %v\n%s", tool, err, b)
	}
	return tool, string(b)
}
