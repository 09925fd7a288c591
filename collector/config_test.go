package collector_test

import (
	"testing"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
)

// config/testdata/full.yml sets every option; a config that passes the
// config package must also build collectors (endpoint_cache_ttl names are
// checked here, against each provider's endpoints). New calls no vendor.
func TestFullConfigBuildsCollectors(t *testing.T) {
	t.Chdir("../config") // the file names its secret files relative to there
	cfg, err := config.LoadShard("testdata/full.yml", config.Unsharded, collector.ConfigProviders())
	if err != nil {
		t.Fatal(err)
	}
	exp, err := collector.New(cfg, collector.Options{})
	if err != nil {
		t.Fatalf("full.yml loads but does not build: %v", err)
	}
	if got := len(accountNames(exp)); got != len(cfg.Accounts) {
		t.Errorf("%d accounts built, want %d", got, len(cfg.Accounts))
	}
}
