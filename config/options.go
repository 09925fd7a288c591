package config

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Provider is what config needs to know of a provider: its name and the
// account keys only it reads. The list of providers lives in the
// collector package, which passes it to Load and Validate.
type Provider struct {
	Name string
	// DefaultBaseURL is the vendor's API host, which an account that
	// leaves base_url out is read from; "" where every account has a host
	// of its own (a portal, a region), and base_url is required.
	DefaultBaseURL string
	// Options returns a pointer to a new struct of the account keys only
	// this provider reads, each field named by its yaml tag; nil if it
	// reads none. Validate decodes an account's keys into it (a key it
	// lacks is an error) and leaves it in Account.Options. A Secret field
	// is resolved as api_key is, from the string field <key>_file if that
	// is set; such a secret stands in for api_key.
	Options func() any
	// Check validates the account after its Options are decoded and its
	// secrets resolved; nil if any values will do.
	Check func(*Account) error
}

// Providers is every provider a config may name.
type Providers []Provider

func (ps Providers) lookup(name string) (Provider, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p, true
		}
	}
	return Provider{}, false
}

// names lists the providers, sorted.
func (ps Providers) names() []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	slices.Sort(out)
	return out
}

// keys lists the yaml keys of p's Options. Every field needs a key, and
// none may hold a struct, whose keys the strict check would not see.
func (p Provider) keys() ([]string, error) {
	if p.Options == nil {
		return nil, nil
	}
	t := reflect.TypeOf(p.Options())
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("provider %s: Options must return a pointer to a struct, not %v", p.Name, t)
	}
	var keys []string
	for _, f := range reflect.VisibleFields(t.Elem()) {
		key := yamlKey(f)
		if key == "" || !flat(f.Type) {
			return nil, fmt.Errorf("provider %s: option %s needs a yaml key and a value without structs", p.Name, f.Name)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// readers lists the providers that read key.
func (ps Providers) readers(key string) []string {
	var out []string
	for _, p := range ps {
		if keys, _ := p.keys(); slices.Contains(keys, key) {
			out = append(out, p.Name)
		}
	}
	slices.Sort(out)
	return out
}

func yamlKey(f reflect.StructField) string {
	key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if key == "-" || !f.IsExported() {
		return ""
	}
	return key
}

// flat reports whether t holds no struct (nor an interface that might).
func flat(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct, reflect.Interface:
		return false
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return flat(t.Elem())
	}
	return true
}

// Settings are an account's keys beyond the common ones, as the file holds
// them. They print as their keys only: a password may be among the values.
type Settings map[string]yaml.Node

// Setting is a value as a file would hold it, for a Config built in code.
func Setting(v string) yaml.Node {
	return yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

// Format prints the keys for every verb, as Secret.Format does.
func (s Settings) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, "settings["+strings.Join(slices.Sorted(maps.Keys(s)), " ")+"]")
}

// MarshalText keeps encoding/json, log/slog and yaml from printing values.
func (s Settings) MarshalText() ([]byte, error) {
	return []byte(strings.Join(slices.Sorted(maps.Keys(s)), ", ")), nil
}

// unknownSettings lists the keys no provider reads, quoted: a key is
// whatever the file holds, control characters or a pasted secret included.
func (a *Account) unknownSettings(ps Providers) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(a.Settings)) {
		if len(ps.readers(k)) == 0 {
			out = append(out, strconv.Quote(k))
		}
	}
	return out
}

var unknownField = regexp.MustCompile(`(?s)^(line \d+: field )(.*)( not found in type \S+)$`)

// cleanYAML quotes the keys yaml.v3 echoes in "field X not found" and
// escapes control characters in the rest of its errors (it echoes short
// values too): an error goes to a terminal, a log or an HTTP body, where
// an escape sequence or a line break of the file must not arrive raw.
func cleanYAML(err error) error {
	te, ok := errors.AsType[*yaml.TypeError](err)
	if !ok {
		if msg := err.Error(); strings.ContainsFunc(msg, unicode.IsControl) {
			return errors.New(escapeControl(msg))
		}
		return err
	}
	out := &yaml.TypeError{Errors: make([]string, len(te.Errors))}
	for i, e := range te.Errors {
		if m := unknownField.FindStringSubmatch(e); m != nil {
			e = m[1] + strconv.Quote(m[2]) + m[3]
		}
		out.Errors[i] = escapeControl(e)
	}
	return out
}

// escapeControl writes control characters as Go escapes (\x1b, \n).
func escapeControl(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// decodeOptions moves the account's Settings into Options, a new value of
// p's unless code set one; a key p does not read is an error naming the
// providers that do.
func (a *Account) decodeOptions(p Provider, ps Providers) error {
	known, err := p.keys()
	if err != nil {
		return err
	}
	keys := slices.Sorted(maps.Keys(a.Settings))
	for _, k := range keys {
		if !slices.Contains(known, k) {
			return fmt.Errorf("%s: only applies to provider %s", k, strings.Join(ps.readers(k), ", "))
		}
	}
	if p.Options == nil {
		if a.Options != nil {
			return fmt.Errorf("options: provider %s reads none, got %T", a.Provider, a.Options)
		}
		a.Settings = nil
		return nil
	}
	if a.Options == nil {
		a.Options = p.Options()
	} else if want := reflect.TypeOf(p.Options()); reflect.TypeOf(a.Options) != want {
		return fmt.Errorf("options: provider %s reads %s, got %T", a.Provider, want, a.Options)
	}
	for _, k := range keys {
		v := a.Settings[k]
		one := yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: k}, &v}}
		if err := one.Decode(a.Options); err != nil {
			return fmt.Errorf("%s: %w", k, cleanYAML(err))
		}
	}
	a.Settings = nil
	return nil
}

// optionSecrets calls f with the key of each Secret field of the account's
// Options, the field, and its <key>_file field (the zero Value if it has
// none); both are settable.
func (a *Account) optionSecrets(f func(key string, secret, file reflect.Value) error) error {
	if a.Options == nil {
		return nil
	}
	v := reflect.ValueOf(a.Options).Elem()
	fields := reflect.VisibleFields(v.Type())
	for _, field := range fields {
		if field.Type != reflect.TypeFor[Secret]() {
			continue
		}
		key, file := yamlKey(field), reflect.Value{}
		for _, other := range fields {
			if yamlKey(other) == key+"_file" && other.Type.Kind() == reflect.String {
				file = v.FieldByIndex(other.Index)
			}
		}
		if err := f(key, v.FieldByIndex(field.Index), file); err != nil {
			return err
		}
	}
	return nil
}

// Secrets lists the values of the account's secrets, api_key and its
// provider's, for scrubbing them from what upstreams answer.
func (a *Account) Secrets() []string {
	out := []string{string(a.APIKey)}
	_ = a.optionSecrets(func(_ string, secret, _ reflect.Value) error {
		out = append(out, secret.String())
		return nil
	})
	return out
}

// WithoutCredentials is a copy of the account with its credentials blank:
// api_key and its provider's secrets, and the files they are read from.
// Two accounts equal without them are one account whose key rotated.
func (a Account) WithoutCredentials() Account {
	a.APIKey, a.APIKeyFile = "", ""
	t := reflect.TypeOf(a.Options)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct || reflect.ValueOf(a.Options).IsNil() {
		return a // not options Validate made: none of its secrets are known
	}
	v := reflect.New(t.Elem())
	v.Elem().Set(reflect.ValueOf(a.Options).Elem())
	a.Options = v.Interface()
	_ = a.optionSecrets(func(_ string, secret, file reflect.Value) error {
		secret.SetString("")
		if file.IsValid() {
			file.SetString("")
		}
		return nil
	})
	return a
}

// Format prints the account as MarshalYAML shows it, on one line: fmt
// itself would print its Options' secrets raw for a verb that does not fit
// them, such as %s.
func (a Account) Format(f fmt.State, _ rune) {
	n, err := a.node()
	var b []byte
	if err == nil {
		n.Style = yaml.FlowStyle
		b, err = yaml.Marshal(n)
	}
	if err != nil {
		_, _ = fmt.Fprintf(f, "account %q: %v", a.Name, err)
		return
	}
	_, _ = io.WriteString(f, strings.TrimSpace(string(b)))
}

// MarshalYAML shows the account as a file would hold it, its provider's
// keys after the common credentials; a Secret among them shows as
// "<secret>", and keys not yet decoded (Settings) do not show.
func (a Account) MarshalYAML() (any, error) { return a.node() }

func (a Account) node() (*yaml.Node, error) {
	type plain Account // without this method
	p := plain(a)
	p.Settings = nil
	var n yaml.Node
	if err := n.Encode(p); err != nil {
		return nil, err
	}
	if a.Options == nil {
		return &n, nil
	}
	var o yaml.Node
	if err := o.Encode(a.Options); err != nil {
		return nil, err
	}
	at := 0
	for i := 0; i < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "name", "provider", "base_url", "api_key", "api_key_file":
			at = i + 2
		}
	}
	n.Content = slices.Insert(n.Content, at, o.Content...)
	return &n, nil
}
