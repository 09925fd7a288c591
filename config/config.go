// Package config loads and validates the exporter's YAML configuration.
// Everything is checked once, at load time, so that collectors can trust it.
package config

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Secret is a string that never prints: String, yaml and fmt show "<secret>".
type Secret string

const redacted = "<secret>"

func (s Secret) String() string { return redacted }

// Format covers every verb, %#v and bad ones such as %d included, which
// fmt would otherwise print with the raw value.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalText keeps encoding/json, log/slog and any other text encoder
// from printing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalYAML redacts the value in config summaries.
func (s Secret) MarshalYAML() (any, error) {
	if s == "" {
		return "", nil
	}
	return redacted, nil
}

// Duration is a time.Duration read from strings such as "10s" or "1h".
// One rule holds for every duration key: left out, it takes its default;
// set to 0, it switches its feature off (Off), and where nothing can be
// off (timeouts) 0 is a load error.
type Duration time.Duration

// Off is a duration set to 0 in the file, kept apart from the zero value,
// which means "not set". D returns 0 for it.
const Off Duration = -1

// UnmarshalYAML reads a duration string; 0 is Off.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	// yaml.v3 passes this error on as it is: name the line ourselves.
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (examples: 30s, 5m, 1h)", n.Line, s)
	}
	if v < 0 {
		return fmt.Errorf("line %d: %q must not be negative", n.Line, s)
	}
	*d = Duration(v)
	if v == 0 {
		*d = Off
	}
	return nil
}

// MarshalYAML writes the duration as the file would hold it.
func (d Duration) MarshalYAML() (any, error) { return d.D().String(), nil }

// D returns the value as a time.Duration, 0 for Off.
func (d Duration) D() time.Duration { return time.Duration(max(d, 0)) }

// Config is the whole file.
type Config struct {
	Global   Global    `yaml:"global"`
	Accounts []Account `yaml:"accounts"`
	// Elsewhere maps the accounts of other shards to their shard when the
	// file was loaded for one shard (LoadShard); they are not in Accounts.
	Elsewhere map[string]uint64 `yaml:"-"`
	// SecretFiles holds the digest of every key or password file read for
	// Accounts, by the path the file names: what a check for rotated keys
	// compares the files on disk with. Other shards' files are not read.
	SecretFiles map[string]Digest `yaml:"-"`
}

// Global holds defaults that apply to every account.
type Global struct {
	// Timeout bounds one upstream request, retries included.
	Timeout Duration `yaml:"timeout"`
	// Retries is how many times a failed idempotent request is tried again.
	Retries *int `yaml:"retries,omitempty"`
	// MaxResponseBytes caps an upstream body; larger answers are an error.
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
	// CacheTTL is how long an upstream answer is reused before it is fetched again.
	CacheTTL Duration `yaml:"cache_ttl"`
	// MaxStale is how long the last good answer is still served while refreshes fail.
	MaxStale Duration `yaml:"max_stale"`
	// MaxConcurrency caps upstream requests in flight across all accounts.
	MaxConcurrency int `yaml:"max_concurrency"`
	// AccountMaxConcurrency caps upstream requests in flight per account.
	AccountMaxConcurrency int `yaml:"account_max_concurrency"`
	// MaxItemsPerList caps the entries read from one list a vendor answers
	// with (organizations, clusters, invoices, plans…): the work one answer
	// can cause, whatever its size.
	MaxItemsPerList int `yaml:"max_items_per_list"`
	// MaxSeriesPerAccount caps the series one account exports.
	MaxSeriesPerAccount int `yaml:"max_series_per_account"`
}

// Account is one set of credentials at one vendor.
type Account struct {
	Name     string `yaml:"name"`
	Provider string `yaml:"provider"`
	// BaseURL is where the vendor's API is read; validation fills in the
	// provider's DefaultBaseURL when the config leaves it out.
	BaseURL string `yaml:"base_url"`

	APIKey     Secret `yaml:"api_key,omitempty"`
	APIKeyFile string `yaml:"api_key_file,omitempty"`

	// Settings are the keys only the account's provider reads, as the
	// file holds them; Validate moves them into Options.
	Settings Settings `yaml:",inline"`
	// Options is what the provider made of them: the value its registered
	// Options returned, decoded and with its secrets resolved.
	Options any `yaml:"-"`

	// Per-account overrides of the global settings.
	Timeout             *Duration           `yaml:"timeout,omitempty"`
	CacheTTL            *Duration           `yaml:"cache_ttl,omitempty"`
	EndpointCacheTTL    map[string]Duration `yaml:"endpoint_cache_ttl,omitempty"`
	MaxConcurrency      int                 `yaml:"max_concurrency,omitempty"`
	MaxItemsPerList     int                 `yaml:"max_items_per_list,omitempty"`
	MaxSeriesPerAccount int                 `yaml:"max_series_per_account,omitempty"`
	RequestsPerMinute   float64             `yaml:"requests_per_minute,omitempty"`
	Alerts              Alerts              `yaml:"alerts,omitempty"`
}

// Alerts holds per-account thresholds exported as gauges, so that one shared
// rule file serves every account.
type Alerts struct {
	// MinBalance per currency code, e.g. {USD: 50}.
	MinBalance map[string]float64 `yaml:"min_balance,omitempty"`
	// MonthlyBudget per currency code for cloud spend.
	MonthlyBudget map[string]float64 `yaml:"monthly_budget,omitempty"`
}

// Defaults for Global; config.yml documents the same values.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultRetries          = 2
	DefaultMaxResponseBytes = 10 << 20
	DefaultCacheTTL         = 5 * time.Minute
	DefaultMaxStale         = time.Hour
	DefaultMaxConcurrency   = 32
	DefaultAccountMaxConc   = 4
	// Far above any real account's lists (a few organizations, tens of
	// clusters or invoices, a handful of plans) and series (hundreds).
	DefaultMaxItemsPerList     = 1000
	DefaultMaxSeriesPerAccount = 10000
)

// Upper bounds, each far above any sensible value and below what would
// overflow or exhaust memory where the value is used.
const (
	// MaxTimeout: a cache refresh may take twice the timeout (a wait for
	// a connection slot, then the request).
	MaxTimeout = time.Hour
	// MaxResponseBytes: the client reads one byte past the limit to tell
	// a body that is too large.
	MaxResponseBytes = 1 << 30
	// MaxCacheTTL bounds cache_ttl and endpoint_cache_ttl.
	MaxCacheTTL = 7 * 24 * time.Hour
	MaxMaxStale = 30 * 24 * time.Hour
	// MaxConcurrency bounds every concurrency limit: a limit allocates
	// its slots up front.
	MaxConcurrency = 1024
	// MaxRequestsPerMinute is a thousand a second; unlimited is leaving
	// requests_per_minute out.
	MaxRequestsPerMinute = 60000
	// MaxItemsPerList and MaxSeriesPerAccount keep the bounds on one
	// account's work bounds: past them one account could take the
	// memory of every other.
	MaxItemsPerList     = 1_000_000
	MaxSeriesPerAccount = 1_000_000
)

// checkDuration refuses d above bound.
func checkDuration(key string, d Duration, bound time.Duration) error {
	if d.D() > bound {
		return fmt.Errorf("%s: %s is above %s", key, short(d.D()), short(bound))
	}
	return nil
}

// checkCount refuses n outside 0..bound.
func checkCount(key string, n, bound int) error {
	switch {
	case n < 0:
		return fmt.Errorf("%s: %d must be positive", key, n)
	case n > bound:
		return fmt.Errorf("%s: %d is above %d", key, n, bound)
	}
	return nil
}

// short writes d as a file would: 1h, not 1h0m0s.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

var accountName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]*$`)

// Parse decodes b strictly (unknown keys are errors), fills defaults, reads
// secret files and validates every account against ps. lookupEnv resolves
// ${VAR} in the secrets.
func Parse(b []byte, lookupEnv func(string) (string, bool), ps Providers) (*Config, error) {
	return ParseShard(b, lookupEnv, Unsharded, ps)
}

// Validate fills defaults, resolves secrets and checks every account
// against ps, as Parse does; code that builds a Config itself (the demo)
// must call it.
func (c *Config) Validate(lookupEnv func(string) (string, bool), ps Providers) error {
	return c.validate(lookupEnv, Unsharded, ps)
}

// validate is Validate for the replica serving s: the secrets of other
// shards' accounts are placeholders (see resolver).
func (c *Config) validate(lookupEnv func(string) (string, bool), s Shard, ps Providers) error {
	if err := c.Global.fill(); err != nil {
		return err
	}
	seen := map[string]int{}
	c.SecretFiles = map[string]Digest{}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		where := fmt.Sprintf("accounts[%d] %q", i, a.Name)
		if err := a.validate(resolver{lookupEnv: lookupEnv, elsewhere: !s.Owns(a.Name), files: c.SecretFiles}, ps); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if j, dup := seen[a.Name]; dup {
			return fmt.Errorf("%s: name: duplicate of accounts[%d]; names must be unique", where, j)
		}
		seen[a.Name] = i
	}
	return nil
}

func (g *Global) fill() error {
	if g.Timeout == Off {
		return fmt.Errorf("global: timeout: %w", errTimeoutOff)
	}
	g.Timeout = cmp.Or(g.Timeout, Duration(DefaultTimeout))
	g.Retries = cmp.Or(g.Retries, new(DefaultRetries))
	g.MaxResponseBytes = cmp.Or(g.MaxResponseBytes, DefaultMaxResponseBytes)
	g.CacheTTL = cmp.Or(g.CacheTTL, Duration(DefaultCacheTTL))
	g.MaxStale = cmp.Or(g.MaxStale, Duration(DefaultMaxStale))
	g.MaxConcurrency = cmp.Or(g.MaxConcurrency, DefaultMaxConcurrency)
	g.AccountMaxConcurrency = cmp.Or(g.AccountMaxConcurrency, DefaultAccountMaxConc)
	g.MaxItemsPerList = cmp.Or(g.MaxItemsPerList, DefaultMaxItemsPerList)
	g.MaxSeriesPerAccount = cmp.Or(g.MaxSeriesPerAccount, DefaultMaxSeriesPerAccount)
	switch {
	case *g.Retries < 0 || *g.Retries > 10:
		return fmt.Errorf("global: retries: %d is outside 0..10", *g.Retries)
	case g.MaxResponseBytes < 1024:
		return fmt.Errorf("global: max_response_bytes: %d is below 1024", g.MaxResponseBytes)
	case g.MaxResponseBytes > MaxResponseBytes:
		return fmt.Errorf("global: max_response_bytes: %d is above %d (1 GiB)", g.MaxResponseBytes, MaxResponseBytes)
	}
	for _, err := range []error{
		checkDuration("timeout", g.Timeout, MaxTimeout),
		checkDuration("cache_ttl", g.CacheTTL, MaxCacheTTL),
		checkDuration("max_stale", g.MaxStale, MaxMaxStale),
		checkCount("max_concurrency", g.MaxConcurrency, MaxConcurrency),
		checkCount("account_max_concurrency", g.AccountMaxConcurrency, MaxConcurrency),
		checkCount("max_items_per_list", g.MaxItemsPerList, MaxItemsPerList),
		checkCount("max_series_per_account", g.MaxSeriesPerAccount, MaxSeriesPerAccount),
	} {
		if err != nil {
			return fmt.Errorf("global: %w", err)
		}
	}
	return nil
}

func (a *Account) validate(r resolver, ps Providers) error {
	if unknown := a.unknownSettings(ps); len(unknown) > 0 {
		return fmt.Errorf("%s: unknown field", strings.Join(unknown, ", "))
	}
	if a.Name == "" {
		return errors.New("name: missing")
	}
	if !accountName.MatchString(a.Name) {
		return fmt.Errorf("name: %q may only hold letters, digits and _ . : -", a.Name)
	}
	p, ok := ps.lookup(a.Provider)
	if !ok {
		return fmt.Errorf("provider: %q is unknown (one of %s)", a.Provider, strings.Join(ps.names(), ", "))
	}
	if a.BaseURL == "" {
		if p.DefaultBaseURL == "" {
			return fmt.Errorf("base_url: missing (%s has no default: each account has its own)", p.Name)
		}
		a.BaseURL = p.DefaultBaseURL
	}
	if err := checkBaseURL(a.BaseURL); err != nil {
		return fmt.Errorf("base_url: %w", err)
	}
	if err := a.decodeOptions(p, ps); err != nil {
		return err
	}
	var err error
	if a.APIKey, err = r.secret("api_key", a.APIKey, a.APIKeyFile); err != nil {
		return err
	}
	login := false // a provider's secret stands in for api_key
	err = a.optionSecrets(func(key string, secret, file reflect.Value) error {
		path := ""
		if file.IsValid() {
			path = file.String()
		}
		s, err := r.secret(key, Secret(secret.String()), path)
		secret.SetString(string(s))
		login = login || s != ""
		return err
	})
	if err != nil {
		return err
	}
	if err := checkHeaderValue(a.APIKey); err != nil {
		return fmt.Errorf("api_key: %w", err)
	}
	if p.Check != nil {
		if err := p.Check(a); err != nil {
			return err
		}
	}
	if a.APIKey == "" && !login {
		return errors.New("api_key: missing or empty (set api_key or api_key_file)")
	}
	if err := a.checkBounds(); err != nil {
		return err
	}
	for key, m := range map[string]map[string]float64{"min_balance": a.Alerts.MinBalance, "monthly_budget": a.Alerts.MonthlyBudget} {
		for cur := range m {
			if !currencyCode.MatchString(cur) {
				return fmt.Errorf("alerts.%s: %q is not a 3-letter currency code", key, cur)
			}
		}
	}
	return nil
}

// checkBounds checks the account's overrides of the global settings.
func (a *Account) checkBounds() error {
	if a.Timeout != nil {
		if *a.Timeout == Off {
			return fmt.Errorf("timeout: %w", errTimeoutOff)
		}
		if err := checkDuration("timeout", *a.Timeout, MaxTimeout); err != nil {
			return err
		}
	}
	if a.CacheTTL != nil {
		if err := checkDuration("cache_ttl", *a.CacheTTL, MaxCacheTTL); err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(a.EndpointCacheTTL)) {
		if err := checkDuration(fmt.Sprintf("endpoint_cache_ttl: %q", name), a.EndpointCacheTTL[name], MaxCacheTTL); err != nil {
			return err
		}
	}
	if err := checkCount("max_concurrency", a.MaxConcurrency, MaxConcurrency); err != nil {
		return err
	}
	if err := checkCount("max_items_per_list", a.MaxItemsPerList, MaxItemsPerList); err != nil {
		return err
	}
	if err := checkCount("max_series_per_account", a.MaxSeriesPerAccount, MaxSeriesPerAccount); err != nil {
		return err
	}
	switch rpm := a.RequestsPerMinute; {
	case math.IsNaN(rpm):
		return errors.New("requests_per_minute: .nan is not a number")
	case rpm < 0:
		return fmt.Errorf("requests_per_minute: %v must be positive", rpm)
	case rpm > MaxRequestsPerMinute:
		return fmt.Errorf("requests_per_minute: %v is above %d (leave it out for no limit)", rpm, MaxRequestsPerMinute)
	}
	return nil
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

func checkBaseURL(raw string) error {
	// Credentials first: the other messages quote the URL.
	if hasUserinfo(raw) {
		return errors.New("must not carry credentials; use api_key or api_key_file")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q must start with https:// (or http://)", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must not have a query or fragment")
	}
	return nil
}

// hasUserinfo reports an "@" in the authority part of raw, whether or not
// the URL parses (a password may hold characters url.Parse refuses).
func hasUserinfo(raw string) bool {
	if i := strings.Index(raw, "://"); i >= 0 {
		raw = raw[i+3:]
	}
	if i := strings.IndexAny(raw, "/?#"); i >= 0 {
		raw = raw[:i]
	}
	return strings.Contains(raw, "@")
}

// envRef is the only expansion form: a bare $ stays literal, so that a
// key or password holding "$" is not mangled.
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// resolver reads one account's secrets. For an account another shard
// serves (elsewhere), a value or a file that is set becomes a placeholder
// that validates, so that everything else about the account is checked
// without reading its files or the environment; both set is still an error.
type resolver struct {
	lookupEnv func(string) (string, bool)
	elsewhere bool
	files     map[string]Digest // records the digest of each file read
}

// secret resolves an inline value (with ${VAR} expansion) or a file.
// Errors name the field and the file, never the value.
func (r resolver) secret(field string, inline Secret, file string) (Secret, error) {
	if inline != "" && file != "" {
		return "", fmt.Errorf("%s and %s_file: set only one", field, field)
	}
	if r.elsewhere && (inline != "" || file != "") {
		return "other-shard", nil
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			if pe, ok := errors.AsType[*os.PathError](err); ok {
				err = pe.Err
			}
			return "", fmt.Errorf("%s_file: cannot read %q: %v", field, file, err)
		}
		r.files[file] = sha256.Sum256(b)
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("%s_file: %q is empty", field, file)
		}
		return Secret(v), nil
	}
	if inline == "" {
		return "", nil
	}
	var missing []string
	v := envRef.ReplaceAllStringFunc(string(inline), func(ref string) string {
		name := ref[2 : len(ref)-1]
		val, ok := r.lookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return val
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%s: environment variable %s is not set", field, strings.Join(missing, ", "))
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", fmt.Errorf("%s: empty after expanding environment variables", field)
	}
	return Secret(v), nil
}

// Digest is the SHA-256 of a key or password file's content: enough to
// tell that the file changed, nothing that could print the secret.
type Digest [sha256.Size]byte

// ReadDigest is the digest of the file at path now, as SecretFiles
// records it.
func ReadDigest(path string) (Digest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Digest{}, err
	}
	return sha256.Sum256(b), nil
}

// EffectiveTimeout returns the account's timeout or the global one.
func (c *Config) EffectiveTimeout(a *Account) time.Duration {
	if a.Timeout != nil && *a.Timeout > 0 {
		return a.Timeout.D()
	}
	return c.Global.Timeout.D()
}

// Summary renders the config as YAML with every secret shown as "<secret>".
func (c *Config) Summary() string {
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Sprintf("cannot render config: %v", err)
	}
	return string(b)
}
