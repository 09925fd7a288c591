package config

import (
	"strings"
	"testing"
	"time"
)

// Inputs that used to pass --config.check and then misbehave are load
// errors naming the account and the field, never printing a key.
func TestHardeningLoadErrors(t *testing.T) {
	docspace := account("name: d", "provider: docspace", "base_url: https://portal.onlyoffice.com", `api_key: "sk-abc"`)
	qovery := func(org string) string {
		return account("name: q", "provider: qovery", "base_url: https://api.qovery.com", "api_key: qov-token",
			"organization_id: "+org)
	}
	for _, tc := range []struct{ name, doc, want, secret string }{
		{"key with a newline", account("name: d", "provider: docspace", "base_url: https://portal.onlyoffice.com",
			`api_key: "sk-\nXsecretpart"`), `accounts[0] "d": api_key: holds a control character at byte 3`, "Xsecretpart"},
		{"key with a tab", account("name: d", "provider: docspace", "base_url: https://portal.onlyoffice.com",
			`api_key: "sk-\tXsecretpart"`), `accounts[0] "d": api_key: holds a control character`, "Xsecretpart"},
		{"key file with a line break inside", account("name: d", "provider: docspace", "base_url: https://portal.onlyoffice.com",
			"api_key_file: testdata/two-lines.key"), `accounts[0] "d": api_key: holds a control character`, "second-line"},
		{"organization_id walking up the path", qovery(`"../../v1/auth/x?a=1#"`), `accounts[0] "q": organization_id: "../../v1/auth/x?a=1#" may only hold`, ""},
		{"organization_id with a slash", qovery("abc/def"), `accounts[0] "q": organization_id: "abc/def"`, ""},
		{"organization_id with a percent", qovery("abc%2Fdef"), `accounts[0] "q": organization_id:`, ""},
		{"organization_id ..", qovery(`".."`), `accounts[0] "q": organization_id: ".."`, ""},
		{"global timeout 0", "global:\n  timeout: 0s\n" + docspace, "global: timeout: 0 would leave upstream requests without a bound", ""},
		{"account timeout 0", account("name: d", "provider: docspace", "base_url: https://portal.onlyoffice.com",
			`api_key: "sk-abc"`, "timeout: 0s"), `accounts[0] "d": timeout: 0 would leave`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), env, testProviders)
			if err == nil {
				t.Fatalf("loaded; want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error prints the key: %q", err)
			}
		})
	}
}

// A plain Qovery id (a UUID) still loads.
func TestOrganizationIDUUIDLoads(t *testing.T) {
	doc := account("name: q", "provider: qovery", "base_url: https://api.qovery.com", "api_key: qov-token",
		"organization_id: 0d3d1f62-53a4-4b0e-9b59-6a5e3c1d2f4a")
	if _, err := Parse([]byte(doc), env, testProviders); err != nil {
		t.Fatal(err)
	}
}

// One rule for every duration key: left out, the default; 0, the feature
// is off. global.cache_ttl and global.max_stale 0 used to mean 5m and 1h.
func TestZeroDurationsSwitchOff(t *testing.T) {
	docspace := account("name: d", "provider: docspace", "base_url: https://portal.onlyoffice.com", `api_key: "sk-abc"`,
		"cache_ttl: 0s", "endpoint_cache_ttl: {quota: 0s}")
	c, err := Parse([]byte("global:\n  cache_ttl: 0s\n  max_stale: 0\n"+docspace), env, testProviders)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Accounts[0]
	for name, d := range map[string]Duration{"global.cache_ttl": c.Global.CacheTTL, "global.max_stale": c.Global.MaxStale,
		"cache_ttl": *a.CacheTTL, "endpoint_cache_ttl.quota": a.EndpointCacheTTL["quota"]} {
		if d.D() != 0 {
			t.Errorf("%s: 0s became %v", name, d.D())
		}
	}
	// Left out: the defaults.
	c, err = Parse([]byte(account("name: d", "provider: docspace", "base_url: https://portal.onlyoffice.com", `api_key: "sk-abc"`)), env, testProviders)
	if err != nil {
		t.Fatal(err)
	}
	if c.Global.CacheTTL.D() != DefaultCacheTTL || c.Global.MaxStale.D() != DefaultMaxStale || c.Global.Timeout.D() != DefaultTimeout {
		t.Errorf("defaults: cache_ttl %v max_stale %v timeout %v", c.Global.CacheTTL.D(), c.Global.MaxStale.D(), c.Global.Timeout.D())
	}
	// The summary says 0s, and reads back as off.
	c, _ = Parse([]byte("global:\n  cache_ttl: 0s\n"+docspace), env, testProviders)
	if !strings.Contains(c.Summary(), "cache_ttl: 0s") {
		t.Errorf("summary:\n%s", c.Summary())
	}
	back, err := Parse([]byte(c.Summary()), env, testProviders)
	if err != nil || back.Global.CacheTTL.D() != 0 || back.Global.MaxStale.D() != time.Hour {
		t.Errorf("summary read back: %v, cache_ttl %v", err, back.Global.CacheTTL.D())
	}
}
