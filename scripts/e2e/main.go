// Command e2e is the helper of scripts/e2e.sh: it does what would be
// fragile in shell (YAML, JSON, polling with a deadline) and prints one
// "PASS: …" or "FAIL: …" line per check for the script to count.
//
//	e2e freeport N                         print N free loopback ports
//	e2e shortfor -max 5s IN OUT            copy a rule file, every `for` at most -max
//	e2e wait -prom URL -query Q            poll until the instant query Q has a result
//	e2e alerts -am URL                     assert the demo's alerts reach Alertmanager
//	e2e quiet -prom URL -am URL            assert the healthy demo account raised none
//	e2e panels -prom URL [-empty-ok P=R]… DASHBOARD…
//	                                       run every panel query of each dashboard
//	e2e amconfig -url BASE IN OUT          the shipped Alertmanager config, delivering to BASE
//	e2e receive -listen ADDR -out FILE     record every notification posted to ADDR
//	e2e notifications -file FILE -prom URL -am URL [-inhibited-instance I]
//	                                       assert what Alertmanager delivered
//	e2e inhibit-down -am URL -file FILE    assert BillingExporterDown's inhibition
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/billing-exporter/billing-exporter/grafana"
	"github.com/billing-exporter/billing-exporter/scripts/internal/e2eapi"
	"gopkg.in/yaml.v3"
)

func main() {
	if len(os.Args) < 2 {
		fatalf("usage: e2e freeport|shortfor|wait|alerts|quiet|panels|amconfig|receive|notifications|inhibit-down|hostile …")
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "freeport":
		err = freeport(args)
	case "shortfor":
		err = shortfor(args)
	case "wait":
		err = wait(args)
	case "alerts":
		err = alerts(args)
	case "quiet":
		err = quiet(args)
	case "panels":
		err = panels(args)
	case "amconfig":
		err = amconfig(args)
	case "receive":
		err = receive(args)
	case "notifications":
		err = notifications(args)
	case "inhibit-down":
		err = inhibitDown(args)
	case "hostile":
		err = hostile(args)
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fatalf("e2e %s: %v", cmd, err)
	}
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", a...)
	os.Exit(2)
}

// freeport prints N ports that were free on 127.0.0.1 a moment ago. All
// are held open until every one is chosen, so they differ.
func freeport(args []string) error {
	n := 1
	if len(args) > 0 {
		if _, err := fmt.Sscan(args[0], &n); err != nil {
			return err
		}
	}
	var ports []string
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer func() { _ = l.Close() }()
		ports = append(ports, fmt.Sprint(l.Addr().(*net.TCPAddr).Port))
	}
	fmt.Println(strings.Join(ports, " "))
	return nil
}

// shortfor writes a copy of a rule file whose every `for` is at most -max,
// so the e2e test runs the shipped rules, not a second copy of them.
func shortfor(args []string) error {
	fs := flag.NewFlagSet("shortfor", flag.ContinueOnError)
	longest := fs.Duration("max", 5*time.Second, "longest for to keep")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("want IN OUT")
	}
	raw, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	out, n, err := shortenFor(raw, *longest)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: no rule has a for", fs.Arg(0))
	}
	return os.WriteFile(fs.Arg(1), out, 0o644)
}

// shortenFor lowers every rule's `for` above longest to longest and reports
// how many rules have one.
func shortenFor(raw []byte, longest time.Duration) ([]byte, int, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, 0, err
	}
	n := 0
	// Change the value of every "for" key of a rule (a mapping with an
	// alert or record key), leaving the rest of the tree as it was.
	var visit func(*yaml.Node) error
	visit = func(node *yaml.Node) error {
		if node.Kind == yaml.MappingNode {
			isRule := false
			for i := 0; i+1 < len(node.Content); i += 2 {
				if k := node.Content[i].Value; k == "alert" || k == "record" {
					isRule = true
				}
			}
			for i := 0; i+1 < len(node.Content); i += 2 {
				if isRule && node.Content[i].Value == "for" {
					v := node.Content[i+1]
					d, err := parseDuration(v.Value)
					if err != nil {
						return fmt.Errorf("line %d: for %q: %v", v.Line, v.Value, err)
					}
					if d > longest {
						v.Value = longest.String()
					}
					n++
				}
			}
		}
		for _, c := range node.Content {
			if err := visit(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := visit(&doc); err != nil {
		return nil, 0, err
	}
	out, err := yaml.Marshal(&doc)
	return out, n, err
}

// parseDuration reads Prometheus durations, which also have d, w and y.
func parseDuration(s string) (time.Duration, error) {
	units := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'y': 365 * 24 * time.Hour}
	if len(s) > 1 {
		if u, ok := units[s[len(s)-1]]; ok {
			var n int
			if _, err := fmt.Sscanf(s[:len(s)-1], "%d", &n); err != nil {
				return 0, err
			}
			return time.Duration(n) * u, nil
		}
	}
	return time.ParseDuration(s)
}

type sample struct {
	Metric map[string]string `json:"metric"`
}

type queryResult struct {
	Status string `json:"status"`
	Data   struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// instantQuery runs expr at the current time. A scalar or string result
// counts as one series.
func instantQuery(prom, expr string) ([]sample, error) {
	var r queryResult
	if err := e2eapi.GetJSON(prom+"/api/v1/query?query="+url.QueryEscape(expr), &r); err != nil {
		return nil, err
	}
	switch r.Data.ResultType {
	case "vector", "matrix":
		var s []sample
		err := json.Unmarshal(r.Data.Result, &s)
		return s, err
	default:
		return []sample{{}}, nil
	}
}

func wait(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ContinueOnError)
	prom := fs.String("prom", "", "Prometheus base URL")
	expr := fs.String("query", "", "instant query that must return a series")
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return e2eapi.Poll(*timeout, func() (bool, error) {
		s, err := instantQuery(*prom, *expr)
		return err == nil && len(s) > 0, err
	})
}

type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	Status      struct {
		State       string   `json:"state"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
}

// promAlert is an alert of a Prometheus rule, pending or firing.
type promAlert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

// promAlerts reads every pending or firing alert of Prometheus.
func promAlerts(prom string) ([]promAlert, error) {
	var r struct {
		Data struct {
			Alerts []promAlert `json:"alerts"`
		} `json:"data"`
	}
	err := e2eapi.GetJSON(prom+"/api/v1/alerts", &r)
	return r.Data.Alerts, err
}

// expectation is an alert the demo must raise: labels it must carry and
// text its description must contain.
type expectation struct {
	labels      map[string]string
	description []string
}

func (e expectation) name() string {
	keys := make([]string, 0, len(e.labels))
	for k := range e.labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if k != "alertname" {
			parts = append(parts, k+"="+e.labels[k])
		}
	}
	return e.labels["alertname"] + "{" + strings.Join(parts, ",") + "}"
}

func (e expectation) match(labels map[string]string) bool {
	for k, v := range e.labels {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// demoAlerts are what the demo's accounts must trigger (each provider's
// fake.go): docspace-trial's USD balance, 12.40, is under its top-up
// minimum of 20, its storage is 95 % used and its trial ends in two days
// by its tariff (its quota has no due date), as does that of Qovery's
// acme-lab, which has no card (NO_CREDIT_CARD); docspace-grace is past due,
// in its grace period; acefone-uk has 300 of its plan's 5000 minutes left;
// acefone-postpaid is 460 GBP into its 500 GBP credit, telnyx-credit
// 230.50 USD into its 250 USD credit; every Qovery organization has a
// NOT_PAID invoice, acme-prod's unpaid for six days; DigitalOcean's team
// owes 60.22 USD, more than the 50 it accepts owing (its min_balance is
// -50); the Twilio account's USD balance, 8.40, is under its
// alerts.min_balance of 20.
var demoAlerts = []expectation{
	{
		labels: map[string]string{"alertname": "BillingBalanceLow", "severity": "warning",
			"provider": "docspace", "account": "docspace-trial", "currency": "USD", "job": "billing-exporter"},
		description: []string{"docspace account docspace-trial is 12.", "USD, under its minimum of 20.00 USD"},
	},
	{
		labels: map[string]string{"alertname": "BillingBalanceLow", "severity": "warning",
			"provider": "digitalocean", "account": "digitalocean", "currency": "USD", "job": "billing-exporter"},
		description: []string{"digitalocean account digitalocean is -60.22 USD, under its minimum of -50.00 USD"},
	},
	{
		labels: map[string]string{"alertname": "BillingBalanceLow", "severity": "warning",
			"provider": "twilio", "account": "twilio", "currency": "USD", "job": "billing-exporter"},
		description: []string{"twilio account twilio is 8.", "USD, under its minimum of 20.00 USD"},
	},
	{
		labels: map[string]string{"alertname": "BillingTrialEndingSoon", "severity": "warning",
			"provider": "docspace", "account": "docspace-trial", "plan": "Business (trial)", "job": "billing-exporter"},
		description: []string{"The trial of plan Business (trial) of docspace account docspace-trial ends on "},
	},
	{
		labels: map[string]string{"alertname": "BillingGracePeriod", "severity": "warning",
			"provider": "docspace", "account": "docspace-grace", "state": "grace", "job": "billing-exporter"},
		description: []string{"docspace account docspace-grace was not paid when its plan fell due and keeps working only until its grace period ends, on "},
	},
	{
		labels: map[string]string{"alertname": "BillingTrialEndingSoon", "severity": "warning",
			"provider": "qovery", "account": "qovery", "organization": "acme-lab", "job": "billing-exporter"},
		description: []string{"The trial of qovery account qovery (organization acme-lab) ends in 2d 0h 0m 0s."},
	},
	{
		labels: map[string]string{"alertname": "BillingQuotaNearlyFull", "severity": "warning",
			"provider": "docspace", "account": "docspace-trial", "feature": "total_size", "job": "billing-exporter"},
		description: []string{"docspace account docspace-trial uses 95% of its total_size quota: 95GiB of 100GiB."},
	},
	{
		labels: map[string]string{"alertname": "BillingCallTimeLow", "severity": "warning",
			"provider": "acefone", "account": "acefone-uk", "plan": "UK Unlimited", "job": "billing-exporter"},
		description: []string{"has 18000 s (5h 0m 0s) of call time left of 3d 11h 20m 0s"},
	},
	{
		labels: map[string]string{"alertname": "BillingCreditLimitNearlyReached", "severity": "critical",
			"provider": "acefone", "account": "acefone-postpaid", "currency": "GBP", "job": "billing-exporter"},
		description: []string{"is -460.00 GBP against a credit limit of 500.00 GBP: 40.00 GBP can still be spent"},
	},
	{
		labels: map[string]string{"alertname": "BillingCreditLimitNearlyReached", "severity": "critical",
			"provider": "telnyx", "account": "telnyx-credit", "currency": "USD", "job": "billing-exporter"},
		description: []string{"telnyx account telnyx-credit is -230.50 USD against a credit limit of 250.00 USD: 19.50 USD can still be spent"},
	},
	{
		labels: map[string]string{"alertname": "BillingInvoiceUnpaid", "severity": "warning",
			"provider": "qovery", "account": "qovery", "organization": "acme-prod", "status": "NOT_PAID", "job": "billing-exporter"},
		description: []string{"1 invoice(s) of qovery account qovery (organization acme-prod) have been NOT_PAID for over a day, 299.50 USD."},
	},
	{
		labels: map[string]string{"alertname": "BillingInvoiceOverdue", "severity": "critical",
			"provider": "qovery", "account": "qovery", "organization": "acme-prod", "job": "billing-exporter"},
		description: []string{"The oldest unpaid invoice of qovery account qovery (organization acme-prod) dates from ", "A week unpaid makes the organization's billing invalid on "},
	},
	{
		labels: map[string]string{"alertname": "BillingDeploymentsRestricted", "severity": "warning",
			"provider": "qovery", "account": "qovery", "organization": "acme-lab", "restriction": "NO_CREDIT_CARD", "job": "billing-exporter"},
		description: []string{"(organization acme-lab) for a billing reason (NO_CREDIT_CARD): a trial without a credit card"},
	},
}

// healthyAccount must raise nothing, pending included.
const healthyAccount = "docspace-main"

func alerts(args []string) error {
	fs := flag.NewFlagSet("alerts", flag.ContinueOnError)
	am := fs.String("am", "", "Alertmanager base URL")
	timeout := fs.Duration("timeout", 90*time.Second, "how long to wait for the alerts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var got []amAlert
	for _, want := range demoAlerts {
		var found *amAlert
		err := e2eapi.Poll(*timeout, func() (bool, error) {
			if err := e2eapi.GetJSON(*am+"/api/v2/alerts?active=true", &got); err != nil {
				return false, err
			}
			for i := range got {
				if want.match(got[i].Labels) {
					found = &got[i]
					return true, nil
				}
			}
			return false, fmt.Errorf("not among the %d alerts in Alertmanager", len(got))
		})
		switch {
		case err != nil:
			fmt.Printf("FAIL: Alertmanager has %s: %v\n", want.name(), err)
		case found.Annotations["runbook_url"] != "https://github.com/billing-exporter/billing-exporter#runbook-"+strings.ToLower(want.labels["alertname"]):
			fmt.Printf("FAIL: %s runbook_url is %q\n", want.name(), found.Annotations["runbook_url"])
		default:
			ok := true
			for _, text := range want.description {
				if !strings.Contains(found.Annotations["description"], text) {
					fmt.Printf("FAIL: %s description %q lacks %q\n", want.name(), found.Annotations["description"], text)
					ok = false
				}
			}
			if ok {
				fmt.Printf("PASS: Alertmanager has %s: %s\n", want.name(), found.Annotations["description"])
			}
		}
	}

	return nil
}

// quiet asserts that the healthy demo account raised nothing. It runs last:
// by then every rule has been evaluated many times over its shortened for,
// so anything about the account would be pending or firing.
func quiet(args []string) error {
	fs := flag.NewFlagSet("quiet", flag.ContinueOnError)
	prom := fs.String("prom", "", "Prometheus base URL")
	am := fs.String("am", "", "Alertmanager base URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var got []amAlert
	var quiet []string
	if err := e2eapi.GetJSON(*am+"/api/v2/alerts", &got); err != nil {
		return err
	}
	for _, a := range got {
		if a.Labels["account"] == healthyAccount {
			quiet = append(quiet, "Alertmanager: "+a.Labels["alertname"])
		}
	}
	rules, err := promAlerts(*prom)
	if err != nil {
		return err
	}
	for _, a := range rules {
		if a.Labels["account"] == healthyAccount {
			quiet = append(quiet, "Prometheus: "+a.Labels["alertname"]+" ("+a.State+")")
		}
	}
	if len(quiet) > 0 {
		fmt.Printf("FAIL: no alert for %s, but: %s\n", healthyAccount, strings.Join(quiet, ", "))
	} else {
		fmt.Printf("PASS: no alert for %s, pending or firing, in Prometheus (%d alerts) or Alertmanager (%d)\n",
			healthyAccount, len(rules), len(got))
	}
	return nil
}

// emptyOK lists panels, or panel/refId queries, that may return nothing,
// each with the reason.
type emptyOK map[string]string

func (e emptyOK) String() string { return fmt.Sprint(map[string]string(e)) }

func (e emptyOK) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" || v == "" {
		return fmt.Errorf("%q: want PANEL[/REF]=REASON", s)
	}
	e[k] = v
	return nil
}

func panels(args []string) error {
	fs := flag.NewFlagSet("panels", flag.ContinueOnError)
	prom := fs.String("prom", "", "Prometheus base URL")
	timeout := fs.Duration("timeout", 60*time.Second, "how long empty queries may take to fill")
	allowed := emptyOK{}
	fs.Var(allowed, "empty-ok", "PANEL[/REF]=REASON: a query legitimately empty in the demo (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	type check struct {
		name, expr string
		reason     string // why it may stay empty; "" if it may not
		series     int
		err        error
		done       bool
	}
	var checks []*check
	used := map[string]bool{}
	for _, file := range fs.Args() {
		raw, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		// The values Grafana would give its own variables for a short range.
		qs, err := grafana.Queries(raw, map[string]string{"__rate_interval": "1m", "__interval": "15s", "__range": "1h"})
		if err != nil {
			fmt.Printf("FAIL: %s: %v\n", file, err)
			continue
		}
		for _, q := range qs {
			c := &check{name: fmt.Sprintf("%s: %s/%s", file, q.Panel, q.Ref), expr: q.Expr}
			for _, key := range []string{q.Panel + "/" + q.Ref, q.Panel} {
				if r, ok := allowed[key]; ok {
					c.reason, used[key] = r, true
					break
				}
			}
			checks = append(checks, c)
		}
	}

	// Run every query; those still empty again until the deadline, since
	// rates and recording rules need a few samples. Queries allowed to be
	// empty are not waited for, and a query Prometheus rejects is final.
	deadline := time.Now().Add(*timeout)
	for {
		waiting := false
		for _, c := range checks {
			if c.done {
				continue
			}
			s, err := instantQuery(*prom, c.expr)
			c.series, c.err = len(s), err
			c.done = err != nil || len(s) > 0
			waiting = waiting || (!c.done && c.reason == "")
		}
		if !waiting || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	for _, c := range checks {
		switch {
		case c.err != nil:
			fmt.Printf("FAIL: %s: %v\n    %s\n", c.name, c.err, c.expr)
		case c.series > 0 && c.reason != "":
			// Keep the list of exceptions honest.
			fmt.Printf("FAIL: %s: has %d series, but is listed as empty in the demo (%s): drop it from the list\n", c.name, c.series, c.reason)
		case c.series > 0:
			fmt.Printf("PASS: %s: %d series\n", c.name, c.series)
		case c.reason != "":
			fmt.Printf("PASS: %s: empty, as expected in the demo: %s\n", c.name, c.reason)
		default:
			fmt.Printf("FAIL: %s: no series after %v\n    %s\n", c.name, *timeout, c.expr)
		}
	}
	for k := range allowed {
		if !used[k] {
			fmt.Printf("FAIL: -empty-ok %q names no panel query\n", k)
		}
	}
	return nil
}
