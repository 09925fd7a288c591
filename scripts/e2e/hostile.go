package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/billing-exporter/billing-exporter/scripts/internal/e2eapi"
)

// Vendor text reaches notifications through labels (a Qovery organization's
// name) and the annotations Prometheus renders from them (its billing
// status message). hostileLabels and hostileAnnotations are a BillingInvalid
// alert as Prometheus would send it for an organization and a message
// written to abuse Slack mrkdwn: mentions, a link, a line break forging a
// "*Where:*" line.
var (
	hostileOrg         = "acme <!channel> & co\n*Where:* account payroll (qovery)"
	hostileMessage     = "<!here> pay at <https://evil.example/pay|Pay now>\r\n*Runbook:* <https://evil.example/fix|BillingInvalid>"
	hostileLabels      = map[string]string{"alertname": "BillingInvalid", "severity": "critical", "job": "billing-exporter", "instance": "127.0.0.1:3", "provider": "qovery", "account": "hostile-check", "organization": hostileOrg, "organization_id": "org-1"}
	hostileAnnotations = map[string]string{
		"summary":     "Billing of qovery account hostile-check is not valid",
		"description": "qovery reports the billing of account hostile-check (organization " + hostileOrg + ") as not valid: deployments may be blocked. Vendor message: " + hostileMessage,
		"runbook_url": "https://github.com/billing-exporter/billing-exporter#runbook-billinginvalid",
	}
)

// slackProblems lists what makes a Slack text of n alerts, rendered by
// billing.tmpl, anything but inert: a mention or link it does not write
// itself (every "<" is its own runbook link), a "*Where:*" or "*Runbook:*"
// line more than one per alert, vendor text missing rather than escaped.
func slackProblems(text string, n int) []string {
	var problems []string
	if c := strings.Count(text, "<"); c != n {
		problems = append(problems, fmt.Sprintf("%d \"<\", want %d (one runbook link per alert)", c, n))
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "<") || (strings.Contains(line, "<") && !strings.HasPrefix(line, "*Runbook:* <https://github.com/billing-exporter/billing-exporter#")) {
			problems = append(problems, fmt.Sprintf("line %q opens a Slack link or mention", line))
		}
	}
	for _, marker := range []string{"*Where:*", "*Runbook:*"} {
		lines := 0
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(strings.TrimLeft(line, " \t\r"), marker) {
				lines++
			}
		}
		if lines != n {
			problems = append(problems, fmt.Sprintf("%d lines start with %s, want %d", lines, marker, n))
		}
	}
	for _, want := range []string{"&lt;!channel&gt; &amp; co", "&lt;!here&gt;", "&lt;https://evil.example/pay|Pay now&gt;"} {
		if !strings.Contains(text, want) {
			problems = append(problems, fmt.Sprintf("the vendor's text is not shown escaped: no %q", want))
		}
	}
	return problems
}

// hostile posts the hostile alert to Alertmanager's API, as Prometheus
// would, and checks the Slack message delivered for it: inert whatever the
// vendor wrote.
func hostile(args []string) error {
	fs := flag.NewFlagSet("hostile", flag.ContinueOnError)
	am := fs.String("am", "", "Alertmanager base URL")
	file := fs.String("file", "", "the receiver's file")
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait")
	if err := fs.Parse(args); err != nil {
		return err
	}
	body, _ := json.Marshal([]any{map[string]any{"labels": hostileLabels, "annotations": hostileAnnotations,
		"startsAt": time.Now().UTC().Format(time.RFC3339), "endsAt": time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)}})
	resp, err := e2eapi.Client.Post(*am+"/api/v2/alerts", "application/json", strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("posting alerts: %s", resp.Status)
	}
	receiver := "billing-" + hostileLabels["severity"]
	title := hostileLabels["provider"] + " account " + hostileLabels["account"]
	var text string
	err = e2eapi.Poll(*timeout, func() (bool, error) {
		d, err := readDeliveries(*file)
		if err != nil {
			return false, err
		}
		for _, m := range d.slack[receiver] {
			for _, at := range m.Attachments {
				if strings.Contains(at.Title, title) {
					text = at.Text
					return true, nil
				}
			}
		}
		return false, fmt.Errorf("no Slack message to %s titled %q", receiver, title)
	})
	if err != nil {
		fmt.Printf("FAIL: hostile vendor text: %v\n", err)
		return nil
	}
	if problems := slackProblems(text, 1); len(problems) > 0 {
		fmt.Printf("FAIL: hostile vendor text reaches Slack live: %s; the text:\n%s\n", strings.Join(problems, "; "), indent(text))
		return nil
	}
	fmt.Printf("PASS: hostile vendor text (mentions, links, a forged line) is delivered to Slack inert:\n%s\n", indent(text))
	return nil
}
