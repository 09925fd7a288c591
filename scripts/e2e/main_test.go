package main

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestShortenForLowersOnlyLongerForsOfRules(t *testing.T) {
	in := `groups:
  - name: g
    rules:
      - record: r
        expr: x
      - alert: Long
        expr: up == 0
        for: 1h
        labels: {for: 2h}
      - alert: Short
        expr: up == 0
        for: 2s
      - alert: Days
        expr: up == 0
        for: 2d
`
	out, n, err := shortenFor([]byte(in), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("counted %d rules with a for, want 3", n)
	}
	var got struct {
		Groups []struct {
			Rules []map[string]any
		}
	}
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	rules := got.Groups[0].Rules
	for i, want := range []any{nil, "5s", "2s", "5s"} {
		if rules[i]["for"] != want {
			t.Errorf("rule %d: for = %v, want %v", i, rules[i]["for"], want)
		}
	}
	// A label that happens to be called "for" is not a rule's for.
	if l := rules[1]["labels"].(map[string]any)["for"]; l != "2h" {
		t.Errorf("label for = %v, want 2h untouched", l)
	}
	if rules[1]["expr"] != "up == 0" || rules[0]["record"] != "r" {
		t.Errorf("other fields changed: %v", rules)
	}
}

func TestShortenForRejectsBadDurations(t *testing.T) {
	_, _, err := shortenFor([]byte("groups: [{name: g, rules: [{alert: A, expr: x, for: soon}]}]"), time.Second)
	if err == nil || !strings.Contains(err.Error(), "soon") {
		t.Errorf("got %v, want an error naming the bad for", err)
	}
}
