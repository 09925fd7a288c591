// Package provider is what a provider's folder under collector/ builds
// on: the Scraper it implements, the Descriptor the engine knows it by,
// the Emitter it writes series to and the families it declares. The
// engine (package collector) reads providers only through Descriptor.
package provider

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/go-kit/log"
)

// Scraper reads one account at one vendor and emits its billing metrics.
type Scraper interface {
	// Scrape returns the errors of the endpoints that failed; metrics of
	// endpoints that answered are emitted all the same.
	Scrape(ctx context.Context, e *Emitter) error
	// Due is when the scraper next has work however fresh its cached
	// answers are (a login token to renew), or the zero time if never.
	Due() time.Time
}

// Deps is what a provider's Build gets besides the account's config.
type Deps struct {
	Client *scrape.Client   // the account's upstream client
	Logger log.Logger       // already carries provider and account
	Now    func() time.Time // clock for token expiry and dates (tests move it)
}

// Descriptor is everything the engine, config, the demo, the benchmark
// and the tests know of a provider. Each provider's folder declares one;
// collector.Providers lists them.
type Descriptor struct {
	// Name is the provider key of an account in the config.
	Name string
	// DefaultBaseURL is the host the vendor's spec serves its API from,
	// for accounts that leave base_url out; "" if accounts differ (a
	// portal, a region). The provider's contract test holds it to the spec.
	DefaultBaseURL string
	// Endpoints is the provider's endpoint table: every endpoint it reads,
	// its path (with {placeholders} for ids) and its TTL. Its names are
	// the keys endpoint_cache_ttl accepts.
	Endpoints []scrape.Endpoint
	// Families are the families only this provider writes; the shared ones
	// (Balance, PlanInfo, …) are declared here in the kit.
	Families []*Family
	// Options returns a pointer to a new struct of the account keys only
	// this provider reads (see config.Provider); nil if it reads none.
	Options func() any
	// Check validates an account after its options are decoded and their
	// secrets resolved; nil if any values will do.
	Check func(*config.Account) error
	// Build makes the account's scraper. It calls no vendor.
	Build func(acct *config.Account, d Deps) (Scraper, error)
	// VendorMessage pulls the vendor's own message out of an error body,
	// "" if it holds none.
	VendorMessage func(body []byte) string
	// Demo starts the provider's demo accounts' fakes on d.Server and
	// returns their config.
	Demo func(d *sandbox.Demo) []config.Account
	// Fixture is the benchmark's account number i: a fake of its own that
	// answers every endpoint healthily, and the key it accepts.
	Fixture func(i int) (http.Handler, config.Secret)
}

// Config is what config validation needs to know of the provider.
func (d *Descriptor) Config() config.Provider {
	return config.Provider{Name: d.Name, DefaultBaseURL: d.DefaultBaseURL, Options: d.Options, Check: d.Check}
}

// OptionsOf is the account's own keys as config decoded them, or the zero
// value on an account that was not validated.
func OptionsOf[O any](a *config.Account) *O {
	if o, ok := a.Options.(*O); ok {
		return o
	}
	return new(O)
}

// SendBearer makes c send the account's api_key as "Authorization:
// Bearer <key>", the way most vendors take a token.
func SendBearer(c *scrape.Client, acct *config.Account) {
	header := "Bearer " + string(acct.APIKey)
	c.SetAuth(func(r *http.Request) { r.Header.Set("Authorization", header) })
}

// NothingDue is the Due of a scraper whose values come only from cached
// answers: it never has work of its own between refreshes. Embed it.
type NothingDue struct{}

// Due is the zero time: never.
func (NothingDue) Due() time.Time { return time.Time{} }

// CheckLogin is the check of a provider that logs in with a username and
// a password: either both or neither.
func CheckLogin(username string, password config.Secret) error {
	switch {
	case username != "" && password == "":
		return errors.New("password: missing (username needs password or password_file)")
	case username == "" && password != "":
		return errors.New("username: missing (password needs username)")
	}
	return nil
}
