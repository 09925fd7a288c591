package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"
)

// The e2e Alertmanager runs the shipped routes, inhibitions and templates;
// only the receivers' destinations and the waits change.
func TestLoopbackReceiversKeepRoutesAndInhibitions(t *testing.T) {
	shipped := filepath.Join("..", "..", "deploy", "alertmanager", "alertmanager.yml")
	raw, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	out, err := loopbackReceivers(raw, "http://127.0.0.1:1", "/etc/am")
	if err != nil {
		t.Fatal(err)
	}
	var before, after map[string]any
	if err := yaml.Unmarshal(raw, &before); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(out, &after); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before["inhibit_rules"], after["inhibit_rules"]) {
		t.Errorf("inhibit_rules changed:\n%v\n%v", before["inhibit_rules"], after["inhibit_rules"])
	}
	route := after["route"].(map[string]any)
	if route["group_wait"] != "1s" || !reflect.DeepEqual(route["routes"], before["route"].(map[string]any)["routes"]) ||
		!reflect.DeepEqual(route["group_by"], before["route"].(map[string]any)["group_by"]) {
		t.Errorf("route: %v", route)
	}
	if ts := after["templates"].([]any); len(ts) != 1 || ts[0] != "/etc/am/billing.tmpl" {
		t.Errorf("templates %v, want the shipped one by absolute path", ts)
	}
	receivers := after["receivers"].([]any)
	if len(receivers) != 2 {
		t.Fatalf("%d receivers, want the 2 shipped", len(receivers))
	}
	for _, r := range receivers {
		rec := r.(map[string]any)
		name := rec["name"].(string)
		if _, ok := rec["email_configs"]; ok {
			t.Errorf("%s: e-mail kept", name)
		}
		hook := rec["webhook_configs"].([]any)[0].(map[string]any)
		if hook["url"] != "http://127.0.0.1:1/webhook/"+name {
			t.Errorf("%s: webhook %v", name, hook["url"])
		}
		slack := rec["slack_configs"].([]any)[0].(map[string]any)
		if slack["api_url"] != "http://127.0.0.1:1/slack/"+name || slack["text"] != `{{ template "billing.slack.text" . }}` {
			t.Errorf("%s: slack %v", name, slack)
		}
	}
}
