package config

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // timezone checks must not depend on the host's zoneinfo

	"gopkg.in/yaml.v3"
)

const (
	fileKey      = "sk-docspace-FILEKEY-123"      // testdata/docspace.key
	filePassword = "acefone-PASSWORD-456"         // testdata/acefone.password
	envKey       = "sk-from-ENVIRONMENT-789"      // $DOCSPACE_API_KEY
	inlineKey    = "sk-inline-KEY-000$literal$$x" // a bare $ is not expansion
)

func env(name string) (string, bool) {
	v, ok := map[string]string{
		"DOCSPACE_API_KEY": envKey,
		"EMPTY":            "",
		"PREFIX":           "sk-",
	}[name]
	return v, ok
}

func parse(t *testing.T, doc string) (*Config, error) {
	t.Helper()
	return Parse([]byte(doc), env, testProviders)
}

// account wraps the lines of one account (indented by four) in a file.
func account(lines ...string) string {
	return "accounts:\n  - " + strings.TrimPrefix(strings.Join(lines, "\n    "), "") + "\n"
}

func TestParseErrors(t *testing.T) {
	docspace := []string{"name: docspace-main", "provider: docspace", "base_url: https://portal.onlyoffice.com"}
	with := func(base []string, more ...string) string {
		return account(append(append([]string{}, base...), more...)...)
	}
	withKey := func(base []string, more ...string) string {
		return with(base, append([]string{"api_key_file: testdata/docspace.key"}, more...)...)
	}
	acefone := []string{"name: acefone-uk", "provider: acefone", "base_url: https://api.acefone.co.uk"}
	qovery := []string{"name: qovery", "provider: qovery", "base_url: https://api.qovery.com"}
	ds := `accounts[0] "docspace-main": `
	known := strings.Join(testProviders.names(), ", ") // every provider of the list, sorted

	for _, tc := range []struct{ name, doc, want string }{
		{"empty file", "", "parsing YAML: the file is empty"},
		{"not YAML", "accounts: [", "parsing YAML: yaml: line 1: did not find expected node content"},
		{"unknown top-level key", "acounts: []\n",
			"parsing YAML: yaml: unmarshal errors:\n  line 1: field \"acounts\" not found in type config.Config"},
		{"unknown global key", "global:\n  timeout: 5s\n  retry: 3\n",
			"parsing YAML: yaml: unmarshal errors:\n  line 3: field \"retry\" not found in type config.Global"},
		{"unknown account key", withKey(docspace, "apikey: x", "base_ulr: y"), ds + `"apikey", "base_ulr": unknown field`},
		{"unknown alerts key", withKey(docspace, "alerts:", "  min_balans: {USD: 1}"),
			"parsing YAML: yaml: unmarshal errors:\n  line 7: field \"min_balans\" not found in type config.Alerts"},
		{"missing name", with([]string{"provider: docspace"}), `accounts[0] "": name: missing`},
		{"bad name", with([]string{"name: docspace main"}), `accounts[0] "docspace main": name: "docspace main" may only hold letters, digits and _ . : -`},
		{"duplicate name", withKey(docspace) + "  - " + strings.Join(append(docspace, "api_key: x"), "\n    ") + "\n",
			`accounts[1] "docspace-main": name: duplicate of accounts[0]; names must be unique`},
		{"unknown provider", with([]string{"name: a", "provider: onlyoffice"}), `accounts[0] "a": provider: "onlyoffice" is unknown (one of ` + known + `)`},
		{"missing provider", with([]string{"name: a"}), `accounts[0] "a": provider: "" is unknown (one of ` + known + `)`},
		{"missing base_url", with(docspace[:2]), ds + "base_url: missing (docspace has no default: each account has its own)"},
		{"base_url without scheme", with(docspace[:2], "base_url: portal.onlyoffice.com"),
			ds + `base_url: "portal.onlyoffice.com" must start with https:// (or http://)`},
		{"base_url ftp", with(docspace[:2], "base_url: ftp://portal.onlyoffice.com"),
			ds + `base_url: "ftp://portal.onlyoffice.com" must start with https:// (or http://)`},
		{"base_url without host", with(docspace[:2], "base_url: https:///api"), ds + `base_url: "https:///api" has no host`},
		{"base_url unparsable", with(docspace[:2], "base_url: 'https://portal .com/%zz'"), ds + `base_url: "https://portal .com/%zz" is not a URL`},
		{"base_url credentials", with(docspace[:2], "base_url: https://admin:hunter2@portal.onlyoffice.com"),
			ds + "base_url: must not carry credentials; use api_key or api_key_file"},
		{"base_url credentials and bad scheme", with(docspace[:2], "base_url: ftp://admin:hunter2@portal.onlyoffice.com"),
			ds + "base_url: must not carry credentials; use api_key or api_key_file"},
		{"base_url credentials unparsable", with(docspace[:2], "base_url: 'https://admin:hun%ter2@portal.onlyoffice.com'"),
			ds + "base_url: must not carry credentials; use api_key or api_key_file"},
		{"base_url query", with(docspace[:2], "base_url: https://portal.onlyoffice.com/?key=hunter2"),
			ds + "base_url: must not have a query or fragment"},
		{"base_url fragment", with(docspace[:2], "base_url: https://portal.onlyoffice.com/#x"), ds + "base_url: must not have a query or fragment"},
		{"no key", with(docspace), ds + "api_key: missing or empty (set api_key or api_key_file)"},
		{"missing key file", with(docspace, "api_key_file: testdata/nope.key"),
			ds + `api_key_file: cannot read "testdata/nope.key": no such file or directory`},
		{"unreadable key file", with(docspace, "api_key_file: testdata"), ds + `api_key_file: cannot read "testdata": is a directory`},
		{"empty key file", with(docspace, "api_key_file: testdata/empty.key"), ds + `api_key_file: "testdata/empty.key" is empty`},
		{"key and key file", withKey(docspace, "api_key: x"), ds + "api_key and api_key_file: set only one"},
		{"empty inline key", with(docspace, `api_key: "  "`), ds + "api_key: empty after expanding environment variables"},
		{"unset variable", with(docspace, `api_key: "${NOPE}-${ALSO_NOPE}"`), ds + "api_key: environment variable NOPE, ALSO_NOPE is not set"},
		{"empty variable", with(docspace, `api_key: "${EMPTY}"`), ds + "api_key: empty after expanding environment variables"},
		{"username without password", with(acefone, "username: ops@example.com"),
			`accounts[0] "acefone-uk": password: missing (username needs password or password_file)`},
		{"password without username", with(acefone, "password: secret"), `accounts[0] "acefone-uk": username: missing (password needs username)`},
		{"password on docspace", withKey(docspace, "username: u", "password: secret"),
			ds + "password: only applies to provider acefone, twilio"},
		{"password file on qovery", with(qovery, "api_key: x", "password_file: testdata/acefone.password"),
			`accounts[0] "qovery": password_file: only applies to provider acefone, twilio`},
		{"empty password file", with(acefone, "username: u", "password_file: testdata/empty.key"),
			`accounts[0] "acefone-uk": password_file: "testdata/empty.key" is empty`},
		{"password from an unset variable", with(acefone, "username: u", `password: "${NOPE}"`),
			`accounts[0] "acefone-uk": password: environment variable NOPE is not set`},
		{"timezone not a string", with(acefone, "api_key: x", "timezone: [Europe/London]"),
			`accounts[0] "acefone-uk": timezone: yaml: unmarshal errors:` + "\n  line 6: cannot unmarshal !!seq into string"},
		{"neither key nor login", with(acefone, "timezone: UTC"), `accounts[0] "acefone-uk": api_key: missing or empty (set api_key or api_key_file)`},
		{"missing password file", with(acefone, "username: u", "password_file: testdata/nope"),
			`accounts[0] "acefone-uk": password_file: cannot read "testdata/nope": no such file or directory`},
		{"password and password file", with(acefone, "username: u", "password: x", "password_file: testdata/acefone.password"),
			`accounts[0] "acefone-uk": password and password_file: set only one`},
		{"invalid timezone", with(acefone, "api_key: x", "timezone: Mars/Olympus"), `accounts[0] "acefone-uk": timezone: "Mars/Olympus" is not an IANA time zone`},
		{"timezone on docspace", withKey(docspace, "timezone: UTC"), ds + "timezone: only applies to provider acefone"},
		{"organization_id on docspace", withKey(docspace, "organization_id: 3f0c"), ds + "organization_id: only applies to provider qovery"},
		{"auth_scheme on acefone", with(acefone, "api_key: x", "auth_scheme: Token"), `accounts[0] "acefone-uk": auth_scheme: only applies to provider qovery`},
		{"bad auth_scheme", with(qovery, "api_key: x", "auth_scheme: Basic"), `accounts[0] "qovery": auth_scheme: "Basic" must be Token or Bearer`},
		{"bad global duration", "global:\n  timeout: 10\n", `parsing YAML: line 2: "10" is not a duration (examples: 30s, 5m, 1h)`},
		{"negative global duration", "global:\n  max_stale: -1h\n", `parsing YAML: line 2: "-1h" must not be negative`},
		{"bad account duration", withKey(docspace, "cache_ttl: 5 minutes"), `parsing YAML: line 6: "5 minutes" is not a duration (examples: 30s, 5m, 1h)`},
		{"bad endpoint duration", withKey(docspace, "endpoint_cache_ttl:", "  quotas: 1d"), `parsing YAML: line 7: "1d" is not a duration (examples: 30s, 5m, 1h)`},
		{"negative retries", "global:\n  retries: -1\n", "global: retries: -1 is outside 0..10"},
		{"too many retries", "global:\n  retries: 11\n", "global: retries: 11 is outside 0..10"},
		{"tiny max_response_bytes", "global:\n  max_response_bytes: 100\n", "global: max_response_bytes: 100 is below 1024"},
		{"negative max_response_bytes", "global:\n  max_response_bytes: -1\n", "global: max_response_bytes: -1 is below 1024"},
		{"negative max_concurrency", "global:\n  max_concurrency: -1\n", "global: max_concurrency: -1 must be positive"},
		{"negative account_max_concurrency", "global:\n  account_max_concurrency: -2\n", "global: account_max_concurrency: -2 must be positive"},
		{"negative account max_concurrency", withKey(docspace, "max_concurrency: -1"), ds + "max_concurrency: -1 must be positive"},
		{"negative max_items_per_list", "global:\n  max_items_per_list: -1\n", "global: max_items_per_list: -1 must be positive"},
		{"negative max_series_per_account", "global:\n  max_series_per_account: -1\n", "global: max_series_per_account: -1 must be positive"},
		{"negative account max_items_per_list", withKey(docspace, "max_items_per_list: -3"), ds + "max_items_per_list: -3 must be positive"},
		{"negative account max_series_per_account", withKey(docspace, "max_series_per_account: -3"), ds + "max_series_per_account: -3 must be positive"},
		{"negative requests_per_minute", withKey(docspace, "requests_per_minute: -0.5"), ds + "requests_per_minute: -0.5 must be positive"},
		{"lowercase currency", withKey(docspace, "alerts:", "  min_balance: {usd: 50}"), ds + `alerts.min_balance: "usd" is not a 3-letter currency code`},
		{"symbol currency", withKey(docspace, "alerts:", "  monthly_budget: {$: 50}"), ds + `alerts.monthly_budget: "$" is not a 3-letter currency code`},
		{"second account named", withKey(docspace) + "  - " + strings.Join(append(qovery, "api_key: x", "timezone: UTC"), "\n    ") + "\n",
			`accounts[1] "qovery": timezone: only applies to provider acefone`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parse(t, tc.doc)
			if err == nil {
				t.Fatalf("no error for\n%s\nsummary:\n%s", tc.doc, c.Summary())
			}
			if err.Error() != tc.want {
				t.Errorf("got  %q\nwant %q\nfor\n%s", err, tc.want, tc.doc)
			}
			for _, secret := range []string{fileKey, filePassword, envKey, "hunter2"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows a secret: %v", err)
				}
			}
		})
	}
}

// A key or value holding control characters (a terminal escape, a line
// break, a secret pasted where a key belongs) is quoted in every error,
// ours and yaml.v3's, never echoed raw to a terminal or an HTTP body.
func TestConfigErrorsQuoteControlCharacters(t *testing.T) {
	const key = `"bad\e[31mkey\nsk-pasted"` // YAML's double-quoted escapes
	quoted := strconv.Quote("bad\x1b[31mkey\nsk-pasted")
	// A provider with an option yaml.v3 decodes itself, and echoes.
	ps := append(Providers{{Name: "counter", Options: func() any {
		return &struct {
			N int `yaml:"n"`
		}{}
	}}}, testProviders...)
	docspace := func(lines ...string) string {
		return account(append([]string{"name: d", "provider: docspace", "base_url: https://portal.onlyoffice.com", `api_key: "sk-abc"`}, lines...)...)
	}
	for _, tc := range []struct{ name, doc, want string }{
		{"account key", docspace(key + ": x"), `accounts[0] "d": ` + quoted + ": unknown field"},
		{"top-level key", key + ": x\n", "line 1: field " + quoted + " not found in type config.Config"},
		{"global key", "global:\n  " + key + ": 3\n", "line 2: field " + quoted + " not found in type config.Global"},
		{"alerts key", docspace("alerts:", "  "+key+": {USD: 1}"), "field " + quoted + " not found in type config.Alerts"},
		{"value of the wrong type", docspace(`max_concurrency: "\e[31m"`), "cannot unmarshal !!str `\\x1b[31m` into int"},
		{"provider option of the wrong type", account("name: c", "provider: counter", "base_url: https://c.example.com", "api_key: k",
			`n: "\e[31m"`), `accounts[0] "c": n: yaml: unmarshal errors:` + "\n  line 6: cannot unmarshal !!str `\\x1b[31m` into int"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), env, ps)
			if err == nil {
				t.Fatal("loaded")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("got  %s\nwant it to contain %s", msg, tc.want)
			}
			if strings.ContainsRune(msg, '\x1b') || strings.Contains(msg, "key\nsk-pasted") {
				t.Errorf("the error holds the control characters raw: %q", msg)
			}
		})
	}
}

// refused wants Parse to refuse doc with an error containing want, and
// without secret (if not empty) in it.
func refused(t *testing.T, doc, want, secret string) {
	t.Helper()
	_, err := Parse([]byte(doc), env, testProviders)
	if err == nil {
		t.Fatalf("loaded; want an error containing %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to contain %q", err, want)
	}
	if secret != "" && strings.Contains(err.Error(), secret) {
		t.Errorf("error prints the key: %q", err)
	}
}

// A key that cannot travel in an HTTP header is refused, naming the
// account and the position, never the key.
func TestKeyWithControlCharacterRefused(t *testing.T) {
	docspace := func(key string) string {
		return account("name: d", "provider: docspace", "base_url: https://portal.onlyoffice.com", key)
	}
	for _, tc := range []struct{ name, doc, want, secret string }{
		{"newline", docspace(`api_key: "sk-\nXsecretpart"`), `accounts[0] "d": api_key: holds a control character at byte 3`, "Xsecretpart"},
		{"tab", docspace(`api_key: "sk-\tXsecretpart"`), `accounts[0] "d": api_key: holds a control character`, "Xsecretpart"},
		{"line break inside a key file", docspace("api_key_file: testdata/two-lines.key"), `accounts[0] "d": api_key: holds a control character`, "second-line"},
	} {
		t.Run(tc.name, func(t *testing.T) { refused(t, tc.doc, tc.want, tc.secret) })
	}
}

// A Qovery organization_id is one URL path segment: anything that would
// send the token to another path is refused.
func TestOrganizationIDIsOnePathSegment(t *testing.T) {
	qovery := func(org string) string {
		return account("name: q", "provider: qovery", "base_url: https://api.qovery.com", "api_key: qov-token",
			"organization_id: "+org)
	}
	for _, tc := range []struct{ name, doc, want string }{
		{"walking up the path", qovery(`"../../v1/auth/x?a=1#"`), `accounts[0] "q": organization_id: "../../v1/auth/x?a=1#" may only hold`},
		{"slash", qovery("abc/def"), `accounts[0] "q": organization_id: "abc/def"`},
		{"percent", qovery("abc%2Fdef"), `accounts[0] "q": organization_id:`},
		{"dot dot", qovery(`".."`), `accounts[0] "q": organization_id: ".."`},
	} {
		t.Run(tc.name, func(t *testing.T) { refused(t, tc.doc, tc.want, "") })
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

// A timeout of 0 is refused, globally or per account: unlike the other
// durations, 0 cannot mean "off" for the bound on upstream requests.
func TestTimeoutZeroRefused(t *testing.T) {
	docspace := func(lines ...string) string {
		return account(append([]string{"name: d", "provider: docspace", "base_url: https://portal.onlyoffice.com", `api_key: "sk-abc"`}, lines...)...)
	}
	for _, tc := range []struct{ name, doc, want string }{
		{"global", "global:\n  timeout: 0s\n" + docspace(), "global: timeout: 0 would leave upstream requests without a bound"},
		{"account", docspace("timeout: 0s"), `accounts[0] "d": timeout: 0 would leave`},
	} {
		t.Run(tc.name, func(t *testing.T) { refused(t, tc.doc, tc.want, "") })
	}
}

// Every duration, size and limit has an upper bound that keeps it from
// overflowing or exhausting memory where it is used: the bound itself
// loads, one above it is refused with an error naming the field and the
// bound.
func TestBoundsAtBoundLoadAboveRefused(t *testing.T) {
	docspace := func(lines ...string) string {
		return account(append([]string{"name: d", "provider: docspace", "base_url: https://portal.onlyoffice.com", `api_key: "sk-abc"`}, lines...)...)
	}
	global := func(line string) string { return "global:\n  " + line + "\n" + docspace() }
	ds := `accounts[0] "d": `
	for _, tc := range []struct{ name, ok, refused, want string }{
		{"global timeout", global("timeout: 1h"), global("timeout: 1h0m1s"), "global: timeout: 1h0m1s is above 1h"},
		{"global timeout that overflows twice", global("timeout: 1h"), global("timeout: 1500000h"), "global: timeout: 1500000h is above 1h"},
		{"max_response_bytes", global("max_response_bytes: 1073741824"), global("max_response_bytes: 1073741825"),
			"global: max_response_bytes: 1073741825 is above 1073741824 (1 GiB)"},
		{"max_response_bytes that overflows plus one", global("max_response_bytes: 1073741824"), global("max_response_bytes: 9223372036854775807"),
			"global: max_response_bytes: 9223372036854775807 is above 1073741824 (1 GiB)"},
		{"global cache_ttl", global("cache_ttl: 168h"), global("cache_ttl: 168h0m1s"), "global: cache_ttl: 168h0m1s is above 168h"},
		{"max_stale", global("max_stale: 720h"), global("max_stale: 721h"), "global: max_stale: 721h is above 720h"},
		{"global max_concurrency", global("max_concurrency: 1024"), global("max_concurrency: 1025"), "global: max_concurrency: 1025 is above 1024"},
		{"account_max_concurrency", global("account_max_concurrency: 1024"), global("account_max_concurrency: 1025"),
			"global: account_max_concurrency: 1025 is above 1024"},
		{"account timeout", docspace("timeout: 1h"), docspace("timeout: 61m"), ds + "timeout: 1h1m is above 1h"},
		{"account cache_ttl", docspace("cache_ttl: 168h"), docspace("cache_ttl: 169h"), ds + "cache_ttl: 169h is above 168h"},
		{"endpoint_cache_ttl", docspace("endpoint_cache_ttl: {quota: 168h}"), docspace("endpoint_cache_ttl: {quota: 2h, quotas: 169h}"),
			ds + `endpoint_cache_ttl: "quotas": 169h is above 168h`},
		{"account max_concurrency", docspace("max_concurrency: 1024"), docspace("max_concurrency: 1025"), ds + "max_concurrency: 1025 is above 1024"},
		{"requests_per_minute", docspace("requests_per_minute: 60000"), docspace("requests_per_minute: 60000.5"),
			ds + "requests_per_minute: 60000.5 is above 60000 (leave it out for no limit)"},
		{"requests_per_minute infinite", docspace("requests_per_minute: 60000"), docspace("requests_per_minute: .inf"),
			ds + "requests_per_minute: +Inf is above 60000 (leave it out for no limit)"},
		{"requests_per_minute not a number", docspace("requests_per_minute: 0.5"), docspace("requests_per_minute: .nan"),
			ds + "requests_per_minute: .nan is not a number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parse(t, tc.ok); err != nil {
				t.Errorf("at the bound: %v\n%s", err, tc.ok)
			}
			_, err := parse(t, tc.refused)
			if err == nil || err.Error() != tc.want {
				t.Errorf("above the bound:\ngot  %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := parse(t, account("name: d", "provider: docspace", "base_url: https://p.example.com", "api_key: k"))
	if err != nil {
		t.Fatal(err)
	}
	g := c.Global
	if g.Timeout.D() != DefaultTimeout || *g.Retries != DefaultRetries || g.MaxResponseBytes != DefaultMaxResponseBytes ||
		g.CacheTTL.D() != DefaultCacheTTL || g.MaxStale.D() != DefaultMaxStale ||
		g.MaxConcurrency != DefaultMaxConcurrency || g.AccountMaxConcurrency != DefaultAccountMaxConc ||
		g.MaxItemsPerList != DefaultMaxItemsPerList || g.MaxSeriesPerAccount != DefaultMaxSeriesPerAccount {
		t.Errorf("defaults not filled: %+v", g)
	}
	if got := c.EffectiveTimeout(&c.Accounts[0]); got != DefaultTimeout {
		t.Errorf("EffectiveTimeout = %v", got)
	}
	// retries: 0 is a choice, not a missing value.
	c, err = parse(t, "global:\n  retries: 0\n")
	if err != nil || *c.Global.Retries != 0 {
		t.Fatalf("retries 0: %v %v", err, c)
	}
}

// One rule for every duration key: left out, the default; 0, the feature
// is off.
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

func TestSecrets(t *testing.T) {
	c, err := parse(t, account("name: d", "provider: docspace", "base_url: https://p.example.com", "api_key_file: testdata/docspace.key")+
		"  - "+strings.Join([]string{"name: e", "provider: docspace", "base_url: https://p.example.com", `api_key: "${DOCSPACE_API_KEY}"`}, "\n    ")+"\n"+
		"  - "+strings.Join([]string{"name: f", "provider: docspace", "base_url: https://p.example.com", `api_key: "${PREFIX}x-${PREFIX}y"`}, "\n    ")+"\n"+
		"  - "+strings.Join([]string{"name: g", "provider: docspace", "base_url: https://p.example.com", "api_key: '" + inlineKey + "'"}, "\n    ")+"\n"+
		"  - "+strings.Join([]string{"name: h", "provider: acefone", "base_url: https://api.acefone.in", "username: ops@example.com",
		"password_file: testdata/acefone.password", "timezone: Asia/Kolkata"}, "\n    ")+"\n")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []Secret{fileKey, envKey, "sk-x-sk-y", inlineKey, ""} {
		if got := c.Accounts[i].APIKey; got != want {
			t.Errorf("accounts[%d] api_key: got %d bytes, want %d", i, len(got), len(want))
		}
	}
	if got := c.Accounts[4].Secrets(); !slices.Contains(got, filePassword) {
		t.Errorf("password_file not read (or not trimmed): %d secrets", len(got))
	}
}

// The config records what it read of every key and password file, so
// that a change on disk can be told from the running config; a file of
// another shard's account is not read, so not recorded.
func TestSecretFilesRecorded(t *testing.T) {
	doc := account("name: d", "provider: docspace", "base_url: https://p.example.com", "api_key_file: testdata/docspace.key") +
		"  - " + strings.Join([]string{"name: e", "provider: acefone", "base_url: https://api.acefone.in", "username: ops@example.com",
		"password_file: testdata/acefone.password"}, "\n    ") + "\n" +
		"  - " + strings.Join([]string{"name: g", "provider: docspace", "base_url: https://p.example.com", "api_key: '" + inlineKey + "'"}, "\n    ") + "\n"
	c, err := parse(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(c.SecretFiles)); !slices.Equal(got, []string{"testdata/acefone.password", "testdata/docspace.key"}) {
		t.Fatalf("SecretFiles = %v", got)
	}
	for path, d := range c.SecretFiles {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if d != sha256.Sum256(b) {
			t.Errorf("%s: recorded digest is not the file's", path)
		}
		if now, err := ReadDigest(path); err != nil || now != d {
			t.Errorf("ReadDigest(%s) = %x, %v; want the recorded digest", path, now, err)
		}
	}
	if _, err := ReadDigest("testdata/missing.key"); err == nil {
		t.Error("ReadDigest of a missing file: no error")
	}

	// The shard serving d does not serve e: only d's file is recorded.
	s := Shard{Index: ShardOf("d", 2), Total: 2}
	if ShardOf("e", 2) == s.Index {
		t.Fatal("test setup: d and e are in one shard")
	}
	c, err = ParseShard([]byte(strings.ReplaceAll(doc, "testdata/acefone.password", "testdata/absent-here")), env, s, testProviders)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(c.SecretFiles)); !slices.Equal(got, []string{"testdata/docspace.key"}) {
		t.Errorf("sharded SecretFiles = %v, want only d's file", got)
	}
}

// Accounts equal but for their credentials (the values and the files
// they come from) are equal without them; any other change is a change.
func TestWithoutCredentials(t *testing.T) {
	load := func(lines ...string) Account {
		t.Helper()
		c, err := parse(t, account(append([]string{"name: h", "provider: acefone", "base_url: https://api.acefone.in"}, lines...)...))
		if err != nil {
			t.Fatal(err)
		}
		return c.Accounts[0]
	}
	login := load("username: ops@example.com", "password_file: testdata/acefone.password", "timezone: Asia/Kolkata")
	same := []Account{
		load("username: ops@example.com", "password: other", "timezone: Asia/Kolkata"),
		load("username: ops@example.com", "password_file: testdata/docspace.key", "timezone: Asia/Kolkata"),
	}
	for i, a := range same {
		if reflect.DeepEqual(a, login) {
			t.Fatalf("test setup: same[%d] is the very account", i)
		}
		if !reflect.DeepEqual(a.WithoutCredentials(), login.WithoutCredentials()) {
			t.Errorf("same[%d] differs from the account by more than its password", i)
		}
	}
	for i, a := range []Account{
		load("username: other@example.com", "password_file: testdata/acefone.password", "timezone: Asia/Kolkata"),
		load("username: ops@example.com", "password_file: testdata/acefone.password", "timezone: Europe/London"),
	} {
		if reflect.DeepEqual(a.WithoutCredentials(), login.WithoutCredentials()) {
			t.Errorf("other[%d] reads as the same account", i)
		}
	}
	token, other := load("api_key_file: testdata/docspace.key"), load("api_key: other")
	if !reflect.DeepEqual(token.WithoutCredentials(), other.WithoutCredentials()) {
		t.Error("accounts differing only in api_key differ without credentials")
	}
	// The account itself keeps its credentials.
	if !slices.Contains(login.Secrets(), filePassword) || token.APIKey != fileKey || token.APIKeyFile == "" {
		t.Error("WithoutCredentials changed the account it was called on")
	}
	blank := login.WithoutCredentials()
	if got := blank.Secrets(); slices.ContainsFunc(got, func(s string) bool { return s != "" }) {
		t.Errorf("WithoutCredentials kept %d secrets", len(got))
	}
}

// A secret never prints: not as a Secret, not in an account whose
// provider's keys are still as the file had them (Settings), not once
// they are decoded into the provider's Options.
func TestSecretNeverPrints(t *testing.T) {
	s := Secret(fileKey)
	raw := Account{Name: "d", Provider: "acefone", BaseURL: "https://api.acefone.in", APIKey: s,
		Settings: Settings{"username": Setting("u"), "password": Setting(fileKey)}}
	c := &Config{Accounts: []Account{raw}}
	if err := c.Validate(env, testProviders); err != nil {
		t.Fatal(err)
	}
	a := c.Accounts[0]
	if len(a.Settings) != 0 || !slices.Contains(a.Secrets(), fileKey) {
		t.Fatalf("the password was not moved into the options: %d settings left", len(a.Settings))
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s"} {
		for _, v := range []any{s, raw, &raw, raw.Settings, a, &a, a.Options} {
			if out := fmt.Sprintf(format, v); strings.Contains(out, fileKey) || strings.Contains(out, fmt.Sprintf("%x", fileKey)) {
				t.Errorf("%s of %T shows the secret: %s", format, v, out)
			}
		}
	}
	for name, marshal := range map[string]func(any) ([]byte, error){"yaml": yaml.Marshal, "json": json.Marshal} {
		for _, v := range []any{s, raw, a, a.Options} {
			b, err := marshal(v)
			if err != nil || strings.Contains(string(b), fileKey) || !strings.Contains(string(b), "secret") {
				t.Errorf("%s of %T: %s %v", name, v, b, err)
			}
		}
	}
	if s.String() != "<secret>" {
		t.Error("String")
	}
}

func TestSummary(t *testing.T) {
	c, err := LoadShard("testdata/full.yml", Unsharded, testProviders)
	if err != nil {
		t.Fatal(err)
	}
	sum := c.Summary()
	for _, secret := range []string{fileKey, filePassword, "sk-qovery-INLINE"} {
		if strings.Contains(sum, secret) {
			t.Errorf("summary shows a secret:\n%s", sum)
		}
	}
	for _, want := range []string{"api_key: <secret>", "password: <secret>", "api_key_file: testdata/docspace.key",
		"timeout: 10s", "cache_ttl: 5m0s", "retries: 2", "name: acefone-in", "timezone: Asia/Kolkata", "organization/invoice: 1h0m0s",
		"username: billing@example.com", "password_file: testdata/acefone.password", "auth_scheme: Token"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	// The summary is itself a config that loads back to the same settings
	// (except the secrets, which it hides).
	var back Config
	if err := yaml.Unmarshal([]byte(sum), &back); err != nil {
		t.Fatalf("summary is not YAML: %v", err)
	}
	if len(back.Accounts) != len(c.Accounts) || back.Global.MaxStale != c.Global.MaxStale {
		t.Errorf("summary lost settings:\n%s", sum)
	}
}

func TestLoadFull(t *testing.T) {
	c, err := LoadShard("testdata/full.yml", Unsharded, testProviders)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Accounts) != 4 {
		t.Fatalf("accounts: %d", len(c.Accounts))
	}
	uk := c.Accounts[1]
	if options(t, uk)["timezone"] != "Europe/London" || uk.Timeout.D() != 20*time.Second || uk.CacheTTL.D() != 10*time.Minute ||
		uk.MaxConcurrency != 2 || uk.RequestsPerMinute != 30 {
		t.Errorf("acefone-uk overrides: %+v", uk)
	}
	if got := c.EffectiveTimeout(&uk); got != 20*time.Second {
		t.Errorf("EffectiveTimeout = %v", got)
	}
	q := c.Accounts[3]
	if o := options(t, q); o["organization_id"] == nil || o["auth_scheme"] != "Token" || q.EndpointCacheTTL["organization/invoice"].D() != time.Hour || q.Alerts.MonthlyBudget["USD"] != 2000 {
		t.Errorf("qovery: %+v", q)
	}
	if c.Accounts[0].Alerts.MinBalance["USD"] != 50 {
		t.Errorf("alerts: %+v", c.Accounts[0].Alerts)
	}
}

// options are the keys of a's provider as a's summary shows them.
func options(t *testing.T, a Account) map[string]any {
	t.Helper()
	b, err := yaml.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := yaml.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// The example config.yml at the repository root names secret files that
// exist only in production; with those swapped for test files it must load.
func TestExampleConfig(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "config.yml"))
	if err != nil {
		t.Skip(err)
	}
	doc := string(b)
	for _, f := range []string{"/run/secrets/docspace", "/run/secrets/acefone-in-password", "/run/secrets/acefone", "/run/secrets/qovery"} {
		doc = strings.ReplaceAll(doc, f+"\n", "testdata/docspace.key\n")
	}
	if _, err := Parse([]byte(doc), env, testProviders); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrors(t *testing.T) {
	_, err := LoadShard("testdata/bad-base-url.yml", Unsharded, testProviders)
	want := `testdata/bad-base-url.yml: accounts[1] "docspace-main": base_url: "portal.onlyoffice.com" must start with https:// (or http://)`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	_, err = LoadShard("testdata/missing.yml", Unsharded, testProviders)
	if want := "reading config: open testdata/missing.yml: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("got %v", err)
	}
}

// Validate is what the demo calls on a Config it builds itself.
func TestValidateBuiltConfig(t *testing.T) {
	c := &Config{Accounts: []Account{{Name: "demo", Provider: "docspace", BaseURL: "http://127.0.0.1:1", APIKey: "k"}}}
	if err := c.Validate(env, testProviders); err != nil {
		t.Fatal(err)
	}
	if c.Global.Timeout.D() != DefaultTimeout {
		t.Error("defaults not filled")
	}
}

// A key file the exporter's user may not read (the directory case above
// runs everywhere; this one needs a non-root user, as in production).
func TestKeyFileWithoutPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	f := filepath.Join(t.TempDir(), "docspace.key")
	if err := os.WriteFile(f, []byte(fileKey), 0o000); err != nil {
		t.Fatal(err)
	}
	_, err := parse(t, account("name: docspace-main", "provider: docspace", "base_url: https://portal.onlyoffice.com", "api_key_file: "+f))
	want := `accounts[0] "docspace-main": api_key_file: cannot read "` + f + `": permission denied`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

// An account that leaves base_url out is read from its provider's
// default host; one it gives wins; a provider without a default (each
// account its own host) needs it.
func TestBaseURLDefaultsToTheProvidersHost(t *testing.T) {
	ps := Providers{{Name: "hosted", DefaultBaseURL: "https://api.example.com"}, {Name: "portal"}}
	for _, tc := range []struct{ name, doc, want string }{
		{"left out", account("name: h", "provider: hosted", "api_key: k"), "https://api.example.com"},
		{"given", account("name: h", "provider: hosted", "base_url: http://127.0.0.1:8080", "api_key: k"), "http://127.0.0.1:8080"},
		{"empty", account("name: h", "provider: hosted", `base_url: ""`, "api_key: k"), "https://api.example.com"},
	} {
		c, err := Parse([]byte(tc.doc), env, ps)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := c.Accounts[0].BaseURL; got != tc.want {
			t.Errorf("%s: base_url %q, want %q", tc.name, got, tc.want)
		}
	}
	_, err := Parse([]byte(account("name: p", "provider: portal", "api_key: k")), env, ps)
	if want := `accounts[0] "p": base_url: missing (portal has no default: each account has its own)`; err == nil || err.Error() != want {
		t.Errorf("a portal without base_url: %v, want %s", err, want)
	}
}
