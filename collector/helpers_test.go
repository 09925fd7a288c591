package collector_test

import (
	"slices"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/collector/docspace"
	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/billing-exporter/billing-exporter/scrape"
)

// The engine's tests use DocSpace accounts where any provider would do.
const docspaceKey = "sk-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// docspaceAccount mounts a healthy DocSpace portal for account name.
func docspaceAccount(srv *sandbox.Server, name string) config.Account {
	return config.Account{Name: name, Provider: "docspace", BaseURL: srv.Mount("/"+name, docspace.NewFake(docspaceKey)), APIKey: docspaceKey}
}

// newServer is a sandbox server closed with the test.
func newServer(t testing.TB) *sandbox.Server {
	srv := sandbox.NewServer()
	t.Cleanup(srv.Close)
	return srv
}

// accountNames lists the exporter's accounts, sorted.
func accountNames(exp *collector.Exporter) []string {
	var names []string
	for _, t := range exp.Targets() {
		names = append(names, t.Name)
	}
	slices.Sort(names)
	return names
}

// endpoints is the endpoint table of the provider named name.
func endpoints(name string) []scrape.Endpoint {
	for _, p := range collector.Providers {
		if p.Name == name {
			return p.Endpoints
		}
	}
	return nil
}

const acefoneKey = "acefone-long-lived-token-7f3a9c"

// fixtureAccount mounts the provider's benchmark fixture for account name:
// a healthy fake answering every endpoint, with the key it accepts.
func fixtureAccount(t testing.TB, srv *sandbox.Server, p *provider.Descriptor, name string) config.Account {
	t.Helper()
	h, key := p.Fixture(0)
	return config.Account{Name: name, Provider: p.Name, BaseURL: srv.Mount("/"+name, h), APIKey: key}
}

// providerNames lists the providers' names, in the list's order.
func providerNames() []string {
	var out []string
	for _, p := range collector.Providers {
		out = append(out, p.Name)
	}
	return out
}
