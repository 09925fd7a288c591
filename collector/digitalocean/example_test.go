package digitalocean_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
)

// config.yml's example account is commented out (its key file is no part
// of the example's Secret); uncommented, it must load as it stands.
func TestExampleConfigAccount(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var block []string
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "  # "); ok && (len(block) > 0 || strings.HasPrefix(rest, "- name: digitalocean")) {
			if len(block) > 0 && !strings.HasPrefix(rest, "  ") {
				break
			}
			block = append(block, "  "+rest)
		} else if len(block) > 0 {
			break
		}
	}
	if len(block) < 4 {
		t.Fatalf("config.yml has no commented digitalocean account: %q", block)
	}
	keyFile := filepath.Join(t.TempDir(), "digitalocean")
	if err := os.WriteFile(keyFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := "accounts:\n" + strings.ReplaceAll(strings.Join(block, "\n"), "/run/secrets/digitalocean", keyFile) + "\n"
	cfg, err := config.Parse([]byte(doc), func(string) (string, bool) { return "", false }, collector.ConfigProviders())
	if err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	a := cfg.Accounts[0]
	if a.Provider != "digitalocean" || a.BaseURL != "https://api.digitalocean.com" || string(a.APIKey) != token || a.Alerts.MinBalance["USD"] >= 0 {
		t.Errorf("the example account is %+v", a)
	}
	if _, err := collector.New(cfg, collector.Options{}); err != nil {
		t.Errorf("the collector refuses it: %v", err)
	}
}
