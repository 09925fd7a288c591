package sandbox

import (
	"fmt"
	"net/http"

	"github.com/billing-exporter/billing-exporter/config"
)

// fake is what a provider's fake file registers, so that the demo and the
// benchmark fixture iterate the fakes instead of naming providers.
type fake struct {
	provider string
	// demo adds the provider's demo accounts to d.
	demo func(d *Demo) []config.Account
	// fixture is the benchmark's account number i: a fake of its own that
	// answers every endpoint, and the key it accepts.
	fixture func(i int) (http.Handler, config.Secret)
}

// fakes are in registration order: file order, then order within a file.
var fakes []fake

func registerFake(f fake) { fakes = append(fakes, f) }

// Providers lists the providers that have a fake, in registration order.
func Providers() []string {
	out := make([]string, len(fakes))
	for i, f := range fakes {
		out[i] = f.provider
	}
	return out
}

// FixtureAccount returns the benchmark fixture's account number i of
// provider: a fake of its own, healthy on every endpoint, and its key.
func FixtureAccount(provider string, i int) (http.Handler, config.Secret, error) {
	for _, f := range fakes {
		if f.provider == provider {
			h, key := f.fixture(i)
			return h, key, nil
		}
	}
	return nil, "", fmt.Errorf("sandbox: provider %q has no fake", provider)
}
