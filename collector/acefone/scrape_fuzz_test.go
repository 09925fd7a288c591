package acefone_test

import (
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/acefone"
	"github.com/billing-exporter/billing-exporter/collector/collectortest"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// FuzzAcefoneScrape fuzzes the whole scrape with a login (see
// collectortest.FuzzScrape): route 0 is the login, then the endpoint
// table. Seeds live in testdata/fuzz/FuzzAcefoneScrape.
func FuzzAcefoneScrape(f *testing.F) {
	fake := acefone.NewFake("", acefoneLoginID, acefonePassword)
	// Without due_charges in the dashboard, due_charges is read too.
	dash := acefone.DashboardDoc()
	delete(dash, "due_charges")
	fake.Set(acefone.Dashboard.Name, sandbox.Reply{Body: dash})
	routes := append([]collectortest.Route{
		{Name: "auth/login", Match: func(path string) bool { return collectortest.MatchPath("/v1/auth/login", path) }},
	}, collectortest.Routes(acefone.Provider.Endpoints)...)
	clock := collectortest.NewClock()
	fake.Now = clock.Now
	fs := collectortest.NewFuzzScrape(f, config.Account{Provider: "acefone",
		Options: &acefone.Options{Username: acefoneLoginID, Password: acefonePassword}}, fake, routes, clock)
	f.Fuzz(fs.Scrape)
}
