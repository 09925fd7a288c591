package config

import (
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/internal/readme"
)

// yamlKeys lists the YAML keys of struct type t under prefix, descending
// into nested structs (alerts.min_balance) but not into maps or inline
// catch-alls.
func yamlKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")
		if tag[0] == "" || tag[0] == "-" {
			continue // inline Extra
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.NumField() > 0 && ft.Field(0).IsExported() && ft.Name() != "Duration" {
			keys = append(keys, yamlKeys(ft, prefix+tag[0]+".")...)
			continue
		}
		keys = append(keys, prefix+tag[0])
	}
	return keys
}

// The README's Configuration table documents every key the config accepts,
// and only those.
func TestReadmeConfigurationTable(t *testing.T) {
	section := readme.Section(t, "Configuration")
	tick := regexp.MustCompile("`([^`]+)`")
	documented := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.Split(strings.Trim(line, "|"), "|")[0]
		prefix := ""
		for i, m := range tick.FindAllStringSubmatch(first, -1) {
			key := m[1]
			if i == 0 {
				prefix = key[:strings.LastIndex(key, ".")+1]
			} else if !strings.Contains(key, ".") {
				key = prefix + key
			}
			documented[key] = true
		}
	}
	var want []string
	want = append(want, yamlKeys(reflect.TypeOf(Global{}), "global.")...)
	want = append(want, yamlKeys(reflect.TypeOf(Account{}), "accounts[].")...)
	for _, p := range testProviders {
		if p.Options != nil {
			want = append(want, yamlKeys(reflect.TypeOf(p.Options()).Elem(), "accounts[].")...)
		}
	}
	sort.Strings(want)
	want = slices.Compact(want)
	if len(want) < 20 {
		t.Fatalf("only %d config keys found: %v", len(want), want)
	}
	for _, k := range want {
		if !documented[k] {
			t.Errorf("config key %s is not in the README's Configuration table", k)
		}
		delete(documented, k)
	}
	for k := range documented {
		t.Errorf("the README's Configuration table documents %s, which the config does not accept", k)
	}
}

// The README's base_url row names every provider's default host, and says
// base_url is required for the providers without one.
func TestReadmeBaseURLRowNamesEachDefault(t *testing.T) {
	var row string
	for _, line := range strings.Split(readme.Section(t, "Configuration"), "\n") {
		if strings.HasPrefix(line, "| `accounts[].base_url` |") {
			row = line
		}
	}
	if row == "" {
		t.Fatal("no accounts[].base_url row in the README's Configuration table")
	}
	cells := strings.Split(strings.Trim(row, "|"), "|")
	if len(cells) != 3 {
		t.Fatalf("the base_url row has %d cells: %s", len(cells), row)
	}
	required := cells[1]
	for _, p := range testProviders {
		if p.DefaultBaseURL == "" {
			if !strings.Contains(required, "`"+p.Name+"`") {
				t.Errorf("%s has no default base_url; the row's default cell does not say it is required for it: %s", p.Name, required)
			}
			continue
		}
		if !strings.Contains(row, "`"+p.DefaultBaseURL+"`") {
			t.Errorf("the base_url row does not name %s's default %s", p.Name, p.DefaultBaseURL)
		}
		if strings.Contains(required, "`"+p.Name+"`") {
			t.Errorf("the row says base_url is required for %s, which has a default", p.Name)
		}
	}
}
