package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/billing-exporter/billing-exporter/scripts/internal/e2eapi"
	"gopkg.in/yaml.v3"
)

// amconfig writes the Alertmanager configuration the e2e test runs: the
// shipped one, routes, grouping, inhibition and templates untouched, with
// every receiver delivering to the receiver on loopback (Slack to
// BASE/slack/NAME, plus a webhook to BASE/webhook/NAME) and short waits.
// E-mail is left out: nothing here speaks SMTP; the Slack message is
// rendered by the same template.
func amconfig(args []string) error {
	fs := flag.NewFlagSet("amconfig", flag.ContinueOnError)
	base := fs.String("url", "", "base URL of the receiver")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 || *base == "" {
		return errors.New("want -url BASE IN OUT")
	}
	raw, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(filepath.Dir(fs.Arg(0)))
	if err != nil {
		return err
	}
	out, err := loopbackReceivers(raw, *base, dir)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	return os.WriteFile(fs.Arg(1), out, 0o644)
}

func loopbackReceivers(raw []byte, base, dir string) ([]byte, error) {
	var cfg map[string]any
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	route, ok := cfg["route"].(map[string]any)
	if !ok {
		return nil, errors.New("no route")
	}
	route["group_wait"], route["group_interval"] = "1s", "1s"
	if ts, ok := cfg["templates"].([]any); ok {
		for i, t := range ts {
			if p, ok := t.(string); ok && !filepath.IsAbs(p) {
				ts[i] = filepath.Join(dir, p)
			}
		}
	}
	receivers, _ := cfg["receivers"].([]any)
	if len(receivers) == 0 {
		return nil, errors.New("no receivers")
	}
	for _, r := range receivers {
		rec, ok := r.(map[string]any)
		if !ok {
			return nil, errors.New("a receiver is not a mapping")
		}
		name, _ := rec["name"].(string)
		slack, _ := rec["slack_configs"].([]any)
		for _, s := range slack {
			if s, ok := s.(map[string]any); ok {
				s["api_url"] = base + "/slack/" + name
			}
		}
		delete(rec, "email_configs")
		rec["webhook_configs"] = []any{map[string]any{"url": base + "/webhook/" + name, "send_resolved": false}}
	}
	return yaml.Marshal(cfg)
}

// receive serves on a loopback address and appends every request it gets
// as one JSON line {"path", "body"} to a file, answering 200.
func receive(args []string) error {
	fs := flag.NewFlagSet("receive", flag.ContinueOnError)
	listen := fs.String("listen", "", "127.0.0.1:PORT")
	out := fs.String("out", "", "file to append the requests to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if host, _, err := net.SplitHostPort(*listen); err != nil || host != "127.0.0.1" {
		return fmt.Errorf("-listen %q: want 127.0.0.1:PORT", *listen)
	}
	f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	var mu sync.Mutex
	return http.ListenAndServe(*listen, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || !json.Valid(body) {
			http.Error(w, "want a JSON body", http.StatusBadRequest)
			return
		}
		line, _ := json.Marshal(delivery{Path: r.URL.Path, Body: body})
		mu.Lock()
		_, err = f.Write(append(line, '\n'))
		mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = fmt.Fprintln(w, "ok")
	}))
}

// delivery is one request the receiver got.
type delivery struct {
	Path string          `json:"path"`
	Body json.RawMessage `json:"body"`
}

// webhookMessage is Alertmanager's webhook payload (version 4).
type webhookMessage struct {
	Receiver    string            `json:"receiver"`
	Status      string            `json:"status"`
	GroupLabels map[string]string `json:"groupLabels"`
	Alerts      []webhookAlert    `json:"alerts"`

	raw json.RawMessage // the payload as sent: Alertmanager's template data
}

type webhookAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// slackMessage is what Alertmanager posts to a Slack webhook.
type slackMessage struct {
	Attachments []struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"attachments"`
}

type deliveries struct {
	webhooks []webhookMessage
	slack    map[string][]slackMessage // by receiver
}

func readDeliveries(file string) (deliveries, error) {
	d := deliveries{slack: map[string][]slackMessage{}}
	f, err := os.Open(file)
	if err != nil {
		return d, err
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 2<<20)
	for sc.Scan() {
		var del delivery
		if err := json.Unmarshal(sc.Bytes(), &del); err != nil {
			return d, err
		}
		switch {
		case strings.HasPrefix(del.Path, "/webhook/"):
			var m webhookMessage
			if err := json.Unmarshal(del.Body, &m); err != nil {
				return d, err
			}
			m.raw = del.Body
			d.webhooks = append(d.webhooks, m)
		case strings.HasPrefix(del.Path, "/slack/"):
			var m slackMessage
			if err := json.Unmarshal(del.Body, &m); err != nil {
				return d, err
			}
			name := strings.TrimPrefix(del.Path, "/slack/")
			d.slack[name] = append(d.slack[name], m)
		}
	}
	return d, sc.Err()
}

// delivered returns the firing alerts matching e in webhook messages,
// with the receiver that got them.
func (d deliveries) delivered(e expectation) (found []webhookAlert, receivers []string) {
	for _, m := range d.webhooks {
		for _, a := range m.Alerts {
			if a.Status == "firing" && e.match(a.Labels) {
				found = append(found, a)
				receivers = append(receivers, m.Receiver)
			}
		}
	}
	return found, receivers
}

// slackText is the expected rendering of one alert in a Slack message.
type slackText struct {
	alert    expectation
	title    string
	contains []string
}

// slackTexts are what billing.tmpl must render for the demo: the group's
// title, and for one alert its name, summary, description with amount and
// currency, where it applies and its runbook link.
var slackTexts = []slackText{{
	alert: demoAlerts[0],
	title: "Billing: docspace account docspace-trial",
	contains: []string{
		":red_circle: *BillingBalanceLow* (warning): Prepaid balance of docspace account docspace-trial is low\n",
		"The USD balance of docspace account docspace-trial is 12.",
		"USD, under its minimum of 20.00 USD",
		"*Where:* account docspace-trial (docspace)  *Since:* ",
		"*Runbook:* <https://github.com/billing-exporter/billing-exporter#runbook-billingbalancelow|BillingBalanceLow>",
	},
}}

// notifications checks what Alertmanager delivered to the receiver: every
// demo alert reaches the receiver of its severity, grouped per provider
// and account; the inhibited alert, firing in Prometheus, never arrives
// while the one inhibiting it does; and the template renders the expected
// Slack text.
func notifications(args []string) error {
	fs := flag.NewFlagSet("notifications", flag.ContinueOnError)
	file := fs.String("file", "", "the receiver's file")
	prom := fs.String("prom", "", "Prometheus base URL")
	am := fs.String("am", "", "Alertmanager base URL")
	instance := fs.String("inhibited-instance", "", "instance whose BillingScrapeFailing is inhibited")
	amtool := fs.String("amtool", "", "amtool to render the e-mail template with (none: skipped)")
	tmpl := fs.String("template", "", "the notification template file")
	timeout := fs.Duration("timeout", 90*time.Second, "how long to wait for deliveries")
	if err := fs.Parse(args); err != nil {
		return err
	}

	var d deliveries
	read := func() (bool, error) {
		var err error
		d, err = readDeliveries(*file)
		return err == nil, err
	}

	// Every demo alert is delivered, to the receiver of its severity.
	for _, want := range demoAlerts {
		var got []webhookAlert
		var receivers []string
		err := e2eapi.Poll(*timeout, func() (bool, error) {
			if ok, err := read(); !ok {
				return false, err
			}
			got, receivers = d.delivered(want)
			return len(got) > 0, fmt.Errorf("not among %d webhook notifications", len(d.webhooks))
		})
		wantReceiver := "billing-" + want.labels["severity"]
		switch {
		case err != nil:
			fmt.Printf("FAIL: delivered %s: %v\n", want.name(), err)
		case receivers[0] != wantReceiver:
			fmt.Printf("FAIL: %s delivered to %s, want %s (routing by severity)\n", want.name(), receivers[0], wantReceiver)
		default:
			fmt.Printf("PASS: delivered %s to %s\n", want.name(), receivers[0])
		}
	}

	// Grouping: a notification is about one provider and account, and the
	// latest one of each account holds all of its alerts of a severity.
	bad := 0
	for _, m := range d.webhooks {
		keys := make([]string, 0, len(m.GroupLabels))
		for k := range m.GroupLabels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if strings.Join(keys, ",") != "account,provider" && len(keys) > 0 {
			fmt.Printf("FAIL: a notification is grouped by %v, want provider and account\n", keys)
			bad++
			continue
		}
		for _, a := range m.Alerts {
			for k, v := range m.GroupLabels {
				if a.Labels[k] != v {
					fmt.Printf("FAIL: notification for %v holds %s of %s=%q\n", m.GroupLabels, a.Labels["alertname"], k, a.Labels[k])
					bad++
				}
			}
		}
	}
	if bad == 0 {
		fmt.Printf("PASS: each of %d webhook notifications is about one provider and account\n", len(d.webhooks))
	}
	type group struct{ receiver, provider, account string }
	byGroup := map[group][]expectation{}
	for _, e := range demoAlerts {
		g := group{"billing-" + e.labels["severity"], e.labels["provider"], e.labels["account"]}
		byGroup[g] = append(byGroup[g], e)
	}
	for g, want := range byGroup {
		if len(want) < 2 {
			continue
		}
		var names []string
		for _, e := range want {
			names = append(names, e.labels["alertname"])
		}
		together := false
		for _, m := range d.webhooks {
			if m.Receiver != g.receiver || m.GroupLabels["account"] != g.account || m.GroupLabels["provider"] != g.provider {
				continue
			}
			all := true
			for _, e := range want {
				one := false
				for _, a := range m.Alerts {
					one = one || e.match(a.Labels)
				}
				all = all && one
			}
			together = together || all
		}
		if together {
			fmt.Printf("PASS: %s account %s: %s arrive in one notification to %s\n", g.provider, g.account, strings.Join(names, ", "), g.receiver)
		} else {
			fmt.Printf("FAIL: %s account %s: no notification to %s holds all of %s\n", g.provider, g.account, g.receiver, strings.Join(names, ", "))
		}
	}

	if *instance != "" {
		inhibited(*file, *prom, *am, *instance, *timeout)
	}

	if *amtool != "" {
		emailCheck(d, *amtool, *tmpl)
	}

	// The template, as Slack gets it.
	for _, want := range slackTexts {
		receiver := "billing-" + want.alert.labels["severity"]
		var last string
		err := e2eapi.Poll(*timeout, func() (bool, error) {
			if ok, err := read(); !ok {
				return false, err
			}
			for _, m := range d.slack[receiver] {
				for _, at := range m.Attachments {
					if !strings.Contains(at.Title, want.title) {
						continue
					}
					last = at.Title + "\n" + at.Text
					ok := true
					for _, c := range want.contains {
						ok = ok && strings.Contains(at.Text, c)
					}
					if ok {
						return true, nil
					}
				}
			}
			return false, fmt.Errorf("no Slack message to %s titled %q with the expected text; last: %q", receiver, want.title, last)
		})
		if err != nil {
			fmt.Printf("FAIL: template: %v\n", err)
		} else {
			fmt.Printf("PASS: template renders %s for Slack:\n%s\n", want.alert.name(), indent(last))
		}
	}
	return nil
}

// inhibited checks the inhibition of an exporter's BillingScrapeFailing
// by its BillingExporterConfigReloadFailed: the target fires in
// Prometheus and Alertmanager holds it as suppressed, the source is
// delivered, and after a few group intervals the target has not been.
func inhibited(file, prom, am, instance string, timeout time.Duration) {
	source := expectation{labels: map[string]string{"alertname": "BillingExporterConfigReloadFailed", "instance": instance}}
	target := expectation{labels: map[string]string{"alertname": "BillingScrapeFailing", "instance": instance}}
	err := e2eapi.Poll(timeout, func() (bool, error) {
		rules, err := promAlerts(prom)
		if err != nil {
			return false, err
		}
		for _, a := range rules {
			if a.State == "firing" && target.match(a.Labels) {
				return true, nil
			}
		}
		return false, errors.New("not firing in Prometheus")
	})
	if err != nil {
		fmt.Printf("FAIL: inhibition: %s: %v\n", target.name(), err)
		return
	}
	if err = suppressed(am, target, timeout); err != nil {
		fmt.Printf("FAIL: inhibition: %s: %v\n", target.name(), err)
		return
	}
	if _, err = waitDelivered(file, source, timeout); err != nil {
		fmt.Printf("FAIL: inhibition: the inhibiting %s: %v\n", source.name(), err)
		return
	}
	// Several group_interval (1s) later, the target is still not delivered.
	time.Sleep(5 * time.Second)
	d, err := readDeliveries(file)
	if err != nil {
		fmt.Printf("FAIL: inhibition: %v\n", err)
		return
	}
	if got, _ := d.delivered(target); len(got) > 0 {
		fmt.Printf("FAIL: inhibition: %s was delivered although %s fires\n", target.name(), source.name())
		return
	}
	fmt.Printf("PASS: inhibition: %s fires in Prometheus, is suppressed in Alertmanager and never delivered; %s is delivered\n",
		target.name(), source.name())
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// inhibitDown checks the inhibition by BillingExporterDown on the running
// Alertmanager. A down exporter's per-account alerts resolve in Prometheus
// as its series go stale, so the e2e cannot make both fire from a real
// scrape: the alerts are posted to Alertmanager's API as Prometheus would
// post them. The per-account alert of the down instance must be suppressed
// and never delivered; the same alert of another instance is delivered.
func inhibitDown(args []string) error {
	fs := flag.NewFlagSet("inhibit-down", flag.ContinueOnError)
	am := fs.String("am", "", "Alertmanager base URL")
	file := fs.String("file", "", "the receiver's file")
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait")
	if err := fs.Parse(args); err != nil {
		return err
	}
	alert := func(labels map[string]string) map[string]any {
		return map[string]any{"labels": labels, "startsAt": time.Now().UTC().Format(time.RFC3339),
			"endsAt": time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)}
	}
	perAccount := func(instance string) map[string]string {
		return map[string]string{"alertname": "BillingBalanceLow", "severity": "warning", "job": "billing-exporter",
			"instance": instance, "provider": "acefone", "account": "inhibit-check", "currency": "GBP"}
	}
	down, up := "127.0.0.1:1", "127.0.0.1:2"
	body, _ := json.Marshal([]any{
		alert(map[string]string{"alertname": "BillingExporterDown", "severity": "critical", "job": "billing-exporter", "instance": down}),
		alert(perAccount(down)), alert(perAccount(up)),
	})
	resp, err := e2eapi.Client.Post(*am+"/api/v2/alerts", "application/json", strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("posting alerts: %s", resp.Status)
	}
	target := expectation{labels: perAccount(down)}
	other := expectation{labels: perAccount(up)}
	if err = suppressed(*am, target, *timeout); err != nil {
		fmt.Printf("FAIL: inhibition: %s: %v\n", target.name(), err)
		return nil
	}
	d, err := waitDelivered(*file, other, *timeout)
	if err != nil {
		fmt.Printf("FAIL: inhibition: the same alert of an exporter that is up, %s: %v\n", other.name(), err)
		return nil
	}
	if got, _ := d.delivered(target); len(got) > 0 {
		fmt.Printf("FAIL: inhibition: %s was delivered although its exporter is down\n", target.name())
		return nil
	}
	fmt.Printf("PASS: inhibition: BillingExporterDown of %s suppresses its %s; the same alert of %s is delivered\n",
		down, target.labels["alertname"], up)
	return nil
}

// waitDelivered reads the receiver's file until a webhook notification
// holds the alert matching e, and returns what it read last.
func waitDelivered(file string, e expectation, timeout time.Duration) (deliveries, error) {
	var d deliveries
	err := e2eapi.Poll(timeout, func() (bool, error) {
		var err error
		if d, err = readDeliveries(file); err != nil {
			return false, err
		}
		got, _ := d.delivered(e)
		return len(got) > 0, errors.New("not delivered")
	})
	return d, err
}

// suppressed waits until Alertmanager holds the alert matching target as
// suppressed by an inhibition.
func suppressed(am string, target expectation, timeout time.Duration) error {
	return e2eapi.Poll(timeout, func() (bool, error) {
		var got []amAlert
		if err := e2eapi.GetJSON(am+"/api/v2/alerts", &got); err != nil {
			return false, err
		}
		for _, a := range got {
			if target.match(a.Labels) && a.Status.State == "suppressed" && len(a.Status.InhibitedBy) > 0 {
				return true, nil
			}
		}
		return false, errors.New("not suppressed by an inhibition in Alertmanager")
	})
}

// emailCheck renders the e-mail subject and text parts with amtool from the
// data of a delivered notification (the webhook payload is Alertmanager's
// template data), as the e-mail receiver would.
func emailCheck(d deliveries, amtool, tmpl string) {
	want := slackTexts[0]
	var data json.RawMessage
	for _, m := range d.webhooks {
		if m.GroupLabels["account"] == want.alert.labels["account"] && m.GroupLabels["provider"] == want.alert.labels["provider"] {
			data = m.raw
		}
	}
	if data == nil {
		fmt.Printf("FAIL: e-mail template: no notification for %s to render\n", want.alert.name())
		return
	}
	f, err := os.CreateTemp("", "e2e-template-data-*.json")
	if err == nil {
		_, err = f.Write(data)
		err = errors.Join(err, f.Close())
		defer func() { _ = os.Remove(f.Name()) }()
	}
	if err != nil {
		fmt.Printf("FAIL: e-mail template: %v\n", err)
		return
	}
	out, err := exec.Command(amtool, "template", "render", "--template.glob="+tmpl, "--template.data="+f.Name(),
		"--template.text="+`{{ template "billing.email.subject" . }}`+"\n"+`{{ template "billing.email.text" . }}`+"\n"+`{{ template "billing.email.html" . }}`).CombinedOutput()
	if err != nil {
		fmt.Printf("FAIL: e-mail template: amtool template render: %v\n%s\n", err, out)
		return
	}
	text := string(out)
	for _, c := range []string{
		"Billing: " + want.alert.labels["provider"] + " account " + want.alert.labels["account"] + "\n",
		"BillingBalanceLow (warning): Prepaid balance of docspace account docspace-trial is low\n",
		"The USD balance of docspace account docspace-trial is 12.",
		"\nWhere: account docspace-trial (docspace)\n",
		"\nRunbook: https://github.com/billing-exporter/billing-exporter#runbook-billingbalancelow\n",
		`<a href="https://github.com/billing-exporter/billing-exporter#runbook-billingbalancelow">`,
	} {
		if !strings.Contains(text, c) {
			fmt.Printf("FAIL: e-mail template: the rendering lacks %q:\n%s\n", c, indent(text))
			return
		}
	}
	subject, rest, _ := strings.Cut(text, "\n")
	plain, _, _ := strings.Cut(rest, "<!doctype html>")
	fmt.Printf("PASS: e-mail template renders %s (amtool template render on the delivered data):\n%s\n", want.alert.name(), indent("Subject: "+subject+"\n"+plain))
}
