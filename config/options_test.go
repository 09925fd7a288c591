package config

import (
	"fmt"
	"strings"
	"testing"
)

// Options whose keys the strict check could not all see are refused
// whichever key an account sets, even none.
func TestUncheckableOptionsAreRefused(t *testing.T) {
	for name, options := range map[string]func() any{
		"not a pointer": func() any { return struct{}{} },
		"untagged":      func() any { return &struct{ Region string }{} },
		"nested struct": func() any {
			return &struct {
				Login struct{ User string } `yaml:"login"`
			}{}
		},
		"struct in a list": func() any {
			return &struct {
				Orgs []struct{ ID string } `yaml:"orgs"`
			}{}
		},
	} {
		ps := append(Providers{{Name: "test", Options: options}}, testProviders...)
		c := &Config{Accounts: []Account{{Name: "t", Provider: "test", BaseURL: "https://t.example.com", APIKey: "k"}}}
		if err := c.Validate(env, ps); err == nil || !strings.Contains(err.Error(), "provider test: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Options set in code must be the provider's own type.
func TestOptionsOfAnotherType(t *testing.T) {
	c := &Config{Accounts: []Account{{Name: "q", Provider: "qovery", BaseURL: "https://api.qovery.com", APIKey: "k",
		Options: &struct{}{}}}}
	err := c.Validate(env, testProviders)
	if err == nil || !strings.HasPrefix(err.Error(), `accounts[0] "q": options: provider qovery reads *qovery.Options, got *struct {}`) {
		t.Fatalf("err = %v", err)
	}
}

// widgetOptions are the keys of a provider config has never heard of.
type widgetOptions struct {
	Region    string `yaml:"region,omitempty"`
	Token     Secret `yaml:"token,omitempty"`
	TokenFile string `yaml:"token_file,omitempty"`
}

// A provider that registers keys of its own, a secret among them, needs
// nothing in config: its keys are decoded strictly, its secret resolved,
// printed and required as api_key is.
func TestProviderWithItsOwnKeys(t *testing.T) {
	var checked *widgetOptions
	ps := append(Providers{{Name: "widget", Options: func() any { return &widgetOptions{} }, Check: func(a *Account) error {
		checked = a.Options.(*widgetOptions)
		return nil
	}}}, testProviders...)
	parse := func(t *testing.T, doc string) (*Config, error) {
		t.Helper()
		return Parse([]byte(doc), env, ps)
	}
	widget := func(lines ...string) string {
		return account(append([]string{"name: w", "provider: widget", "base_url: https://widget.example.com"}, lines...)...)
	}

	c, err := parse(t, widget("region: eu", "token_file: testdata/acefone.password"))
	if err != nil {
		t.Fatal(err)
	}
	o, ok := c.Accounts[0].Options.(*widgetOptions)
	if !ok || o != checked || o.Region != "eu" || o.Token != filePassword {
		t.Fatalf("options %T not decoded, resolved or checked", c.Accounts[0].Options)
	}
	sum := c.Summary()
	if !strings.Contains(sum, "region: eu") || !strings.Contains(sum, "token: <secret>") || strings.Contains(sum, filePassword) ||
		strings.Contains(fmt.Sprintf("%s %v", c.Accounts[0], c.Accounts), filePassword) {
		t.Errorf("summary or fmt of the account:\n%s", sum)
	}

	for _, tc := range []struct{ doc, want string }{
		{widget("region: eu", "regoin: us", "api_key: k"), `accounts[0] "w": "regoin": unknown field`},
		{widget("timezone: UTC", "api_key: k"), `accounts[0] "w": timezone: only applies to provider acefone`},
		{account("name: d", "provider: docspace", "base_url: https://p.example.com", "api_key: k", "region: eu"),
			`accounts[0] "d": region: only applies to provider widget`},
		{widget("region: [eu]", "api_key: k"), `accounts[0] "w": region: yaml: unmarshal errors:` + "\n  line 5: cannot unmarshal !!seq into string"},
		{widget("token_file: testdata/nope"), `accounts[0] "w": token_file: cannot read "testdata/nope": no such file or directory`},
		{widget("token: x", "token_file: testdata/acefone.password"), `accounts[0] "w": token and token_file: set only one`},
		{widget("region: eu"), `accounts[0] "w": api_key: missing or empty (set api_key or api_key_file)`},
	} {
		if _, err := parse(t, tc.doc); err == nil || err.Error() != tc.want {
			t.Errorf("got  %v\nwant %s\nfor\n%s", err, tc.want, tc.doc)
		}
	}

	// Another shard's account needs neither its token file nor the variable.
	doc := widget("token_file: /nonexistent") + "  - name: other2\n    provider: widget\n    base_url: https://w.example.com\n" +
		"    token: ${UNSET_VARIABLE}\n"
	s := Shard{Index: 1, Total: 2}
	if s.Owns("w") || s.Owns("other2") {
		t.Fatal("test names on shard 1; pick others")
	}
	if c, err := ParseShard([]byte(doc), env, s, ps); err != nil || len(c.Elsewhere) != 2 {
		t.Fatalf("other shards' tokens: %v", err)
	}
}
