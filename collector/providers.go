package collector

import (
	"slices"
	"strings"

	"github.com/billing-exporter/billing-exporter/collector/acefone"
	"github.com/billing-exporter/billing-exporter/collector/digitalocean"
	"github.com/billing-exporter/billing-exporter/collector/docspace"
	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/collector/qovery"
	"github.com/billing-exporter/billing-exporter/collector/telnyx"
	"github.com/billing-exporter/billing-exporter/collector/twilio"
	"github.com/billing-exporter/billing-exporter/config"
)

// Providers is the one list of providers: config validation, the demo,
// the benchmark fixture and the tests all read it. A new provider is a
// folder beside this file and one line here.
var Providers = []*provider.Descriptor{
	&docspace.Provider,
	&acefone.Provider,
	&qovery.Provider,
	&digitalocean.Provider,
	&telnyx.Provider,
	&twilio.Provider,
}

// ConfigProviders is what config validation needs of each provider.
func ConfigProviders() []config.Provider {
	out := make([]config.Provider, len(Providers))
	for i, p := range Providers {
		out[i] = p.Config()
	}
	return out
}

// lookup is the provider named name.
func lookup(name string) (*provider.Descriptor, bool) {
	i := slices.IndexFunc(Providers, func(p *provider.Descriptor) bool { return p.Name == name })
	if i < 0 {
		return nil, false
	}
	return Providers[i], true
}

// catalog is every family the exporter may write, sorted by name, the
// order they are written in: the shared ones, the health ones and each
// provider's own.
var catalog = func() []*provider.Family {
	all := slices.Concat(provider.Shared, healthFamilies[:])
	for _, p := range Providers {
		all = append(all, p.Families...)
	}
	slices.SortFunc(all, func(a, b *provider.Family) int { return strings.Compare(a.Name, b.Name) })
	return slices.CompactFunc(all, func(a, b *provider.Family) bool { return a == b })
}()

// Families is every family the exporter may write, in name order.
func Families() []*provider.Family { return catalog }
