package collector

import (
	"testing"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// faultProvider lets the fault-injection suite build a healthy account of
// each provider. Each provider's test file registers itself in init().
type faultProvider struct {
	// account mounts a healthy fake for account name on srv and returns the
	// account's config and every secret the account uses (keys, passwords,
	// tokens the fake hands out), which must never show anywhere.
	account func(t *testing.T, srv *sandbox.Server, name string) (config.Account, []string)
	// endpoints lists the path prefixes (below the account's base URL) of
	// every endpoint the collector reads, for per-endpoint faults.
	endpoints []string
}

var faultProviders = map[string]faultProvider{}

func init() {
	faultProviders["docspace"] = faultProvider{
		account: func(t *testing.T, srv *sandbox.Server, name string) (config.Account, []string) {
			fake := sandbox.NewDocSpace(docspaceKey)
			return config.Account{Name: name, Provider: "docspace", BaseURL: srv.Mount("/"+name, fake), APIKey: docspaceKey}, []string{docspaceKey}
		},
		endpoints: []string{"/api/2.0/portal/payment/customerinfo", "/api/2.0/portal/payment/customer/balance",
			"/api/2.0/portal/payment/quota", "/api/2.0/portal/payment/quotas",
			"/api/2.0/portal/payment/topupsettings", "/api/2.0/portal/payment/currencies"},
	}
}
