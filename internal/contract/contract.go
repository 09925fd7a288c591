// Package contract holds a provider's decoders and its fake to a table of
// the vendor's published API: testdata/contract.yml in the provider's
// folder, written by hand from the vendor's spec (field, JSON type,
// nullable, enum values) and naming the spec's commit. When the vendor
// changes its spec, that table is the one place to start.
package contract

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/scrape"
	"gopkg.in/yaml.v3"
)

// Table is a vendor's contract, as far as the exporter reads it.
type Table struct {
	// Spec names the source: repository, file and commit.
	Spec string `yaml:"spec"`
	// Server is the URL the spec serves the API from (its servers entry);
	// empty where each account has a host of its own.
	Server string `yaml:"server,omitempty"`
	// Endpoints are the fields of each endpoint's answer, by the name of
	// the provider's endpoint table.
	Endpoints map[string][]Field `yaml:"endpoints"`
}

// Field is one field of an answer.
type Field struct {
	// Path is the field's JSON path: names joined by ".", with "[]" after
	// an array's name for its elements ("results[].id").
	Path string `yaml:"path"`
	// Type is the JSON type the spec gives: string, number, integer,
	// boolean, object, array, or any (the spec leaves it open).
	Type     string   `yaml:"type"`
	Nullable bool     `yaml:"nullable,omitempty"`
	Enum     []string `yaml:"enum,omitempty"`
}

// Load reads a table, failing the test if it does not hold one.
func Load(t testing.TB, path string) *Table {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tb Table
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&tb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if !strings.Contains(tb.Spec, "@") {
		t.Fatalf("%s: spec %q names no commit (repository@commit path)", path, tb.Spec)
	}
	for ep, fields := range tb.Endpoints {
		for _, f := range fields {
			if !slices.Contains([]string{"string", "number", "integer", "boolean", "object", "array", "any"}, f.Type) {
				t.Fatalf("%s: %s %s: type %q is not a JSON type", path, ep, f.Path, f.Type)
			}
		}
	}
	return &tb
}

func (tb *Table) field(t testing.TB, endpoint, path string) (Field, bool) {
	t.Helper()
	fields, ok := tb.Endpoints[endpoint]
	if !ok {
		t.Fatalf("the contract has no endpoint %q", endpoint)
	}
	i := slices.IndexFunc(fields, func(f Field) bool { return f.Path == path })
	if i < 0 {
		return Field{}, false
	}
	return fields[i], true
}

// CheckDecoder fails the test for every field that a value of v's type
// reads (by its json tags, at any depth) which the endpoint's table lacks,
// or whose type in the table the decoder does not accept.
func (tb *Table) CheckDecoder(t testing.TB, endpoint string, v any) {
	t.Helper()
	for path, accepts := range readFields(reflect.TypeOf(v), "") {
		f, ok := tb.field(t, endpoint, path)
		accepted := slices.Contains(accepts, f.Type) || f.Type == "integer" && slices.Contains(accepts, "number")
		switch {
		case !ok:
			t.Errorf("%s: the decoder reads %s, which the contract does not list", endpoint, path)
		case f.Type != "any" && !accepted:
			t.Errorf("%s: the decoder reads %s as %s, the contract says %s", endpoint, path, strings.Join(accepts, " or "), f.Type)
		case f.Type == "any" && !slices.Contains(accepts, "any"):
			t.Errorf("%s: the decoder reads %s as %s, but the contract leaves its type open: it must accept any", endpoint, path, strings.Join(accepts, " or "))
		}
	}
}

// every JSON type a tolerant leaf accepts
var anyType = []string{"string", "number", "integer", "boolean", "object", "array", "any"}

// readFields maps each JSON path a value of type t reads to the JSON
// types its decoder accepts there.
func readFields(t reflect.Type, prefix string) map[string][]string {
	out := map[string][]string{}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if accepts, ok := leaf(t); ok {
		out[prefix] = accepts
		return out
	}
	switch t.Kind() {
	case reflect.Struct:
		for _, f := range reflect.VisibleFields(t) {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" || f.Anonymous {
				continue
			}
			if name == "" {
				name = f.Name
			}
			path := name
			if prefix != "" {
				path = prefix + "." + name
			}
			for p, a := range readFields(f.Type, path) {
				out[p] = a
			}
		}
		if prefix != "" {
			out[prefix] = []string{"object"}
		}
	case reflect.Slice, reflect.Array:
		out[prefix] = []string{"array"}
		for p, a := range readFields(t.Elem(), prefix+"[]") {
			if p != prefix+"[]" || len(a) != 1 || a[0] != "object" {
				out[p] = a
			}
		}
	case reflect.Map:
		out[prefix] = []string{"object"}
	}
	return out
}

// leaf is the JSON types a value of t accepts when its decoding is its own.
func leaf(t reflect.Type) ([]string, bool) {
	switch t {
	case reflect.TypeFor[scrape.Float](), reflect.TypeFor[scrape.Time]():
		return []string{"number", "integer", "string"}, true
	case reflect.TypeFor[scrape.String]():
		return []string{"string", "number", "integer"}, true
	case reflect.TypeFor[scrape.Bool]():
		return []string{"boolean", "string", "number", "integer"}, true
	case reflect.TypeFor[json.RawMessage]():
		return anyType, true
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return anyType, true
	}
	switch t.Kind() {
	case reflect.String:
		return []string{"string"}, true
	case reflect.Bool:
		return []string{"boolean"}, true
	case reflect.Float32, reflect.Float64:
		return []string{"number", "integer"}, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return []string{"integer"}, true
	case reflect.Interface:
		return anyType, true
	}
	return nil, false
}

// CheckAnswer fails the test for every value in body, an answer of the
// endpoint, at a path the table lists, that is not of the table's type
// (null only where nullable) or not one of its enum values. Fields the
// table does not list are left alone: the exporter does not read them.
func (tb *Table) CheckAnswer(t testing.TB, endpoint string, body []byte) {
	t.Helper()
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Errorf("%s: the answer is not JSON: %v", endpoint, err)
		return
	}
	fields, ok := tb.Endpoints[endpoint]
	if !ok {
		t.Fatalf("the contract has no endpoint %q", endpoint)
	}
	for _, f := range fields {
		for _, v := range at(doc, strings.Split(f.Path, ".")) {
			if err := f.check(v); err != nil {
				t.Errorf("%s: %s: %v", endpoint, f.Path, err)
			}
		}
	}
}

// at lists the values at path in doc, every element of an array marked
// "[]"; a missing field gives none.
func at(doc any, path []string) []any {
	if len(path) == 0 {
		return []any{doc}
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil
	}
	name, each := strings.CutSuffix(path[0], "[]")
	v, ok := obj[name]
	if !ok {
		return nil
	}
	if !each {
		return at(v, path[1:])
	}
	list, _ := v.([]any)
	var out []any
	for _, e := range list {
		out = append(out, at(e, path[1:])...)
	}
	return out
}

func (f Field) check(v any) error {
	if v == nil {
		if f.Nullable || f.Type == "any" {
			return nil
		}
		return fmt.Errorf("null, which the contract does not allow")
	}
	got := jsonType(v)
	switch {
	case f.Type == "any":
	case f.Type == "number" && got == "integer":
	case got != f.Type:
		return fmt.Errorf("%s where the contract says %s", got, f.Type)
	}
	if s, ok := v.(string); ok && len(f.Enum) > 0 && !slices.Contains(f.Enum, s) {
		return fmt.Errorf("%q is none of %v", s, f.Enum)
	}
	return nil
}

func jsonType(v any) string {
	switch v := v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if v == float64(int64(v)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "any"
}

// CheckProvider holds a provider to the contract: its decoders, by
// checkDecoders (decoders has one per endpoint of its table, and any
// other answer it reads, such as an error body), and its default base
// URL, by checkBaseURL.
func (tb *Table) CheckProvider(t testing.TB, p *provider.Descriptor, decoders map[string]any) {
	t.Helper()
	tb.checkDecoders(t, p.Endpoints, decoders)
	tb.checkBaseURL(t, p.DefaultBaseURL, p.Endpoints)
}

// checkDecoders checks the decoder of every endpoint of a provider's
// endpoint table, and of any other answer in decoders (an error body),
// by CheckDecoder; an endpoint without a decoder, and one the contract
// lists that neither names, fail the test.
func (tb *Table) checkDecoders(t testing.TB, table []scrape.Endpoint, decoders map[string]any) {
	t.Helper()
	for _, ep := range table {
		if _, ok := decoders[ep.Name]; !ok {
			t.Errorf("endpoint %s has no decoder to check", ep.Name)
		}
	}
	for name, dec := range decoders {
		tb.CheckDecoder(t, name, dec)
	}
	for name := range tb.Endpoints {
		if _, ok := decoders[name]; !ok {
			t.Errorf("the contract lists %s, which no decoder reads", name)
		}
	}
}

// checkBaseURL holds a provider's default base URL to the spec's server:
// the default is the server's scheme and host, and the server's path (an
// API version) begins every endpoint's path, as a base_url a user writes
// is a host. A contract without a server allows no default.
func (tb *Table) checkBaseURL(t testing.TB, def string, table []scrape.Endpoint) {
	t.Helper()
	switch {
	case tb.Server == "" && def != "":
		t.Errorf("default base URL %q, but the spec names no server: each account has a host of its own", def)
		return
	case tb.Server != "" && def == "":
		t.Errorf("the spec serves the API from %s, but the provider has no default base URL", tb.Server)
		return
	case def == "":
		return
	}
	server, err := url.Parse(tb.Server)
	if err != nil || server.Scheme != "https" || server.Host == "" {
		t.Errorf("the contract's server %q is not an https URL", tb.Server)
		return
	}
	if origin := server.Scheme + "://" + server.Host; def != origin {
		t.Errorf("default base URL %q, want the spec's server's scheme and host %q", def, origin)
	}
	under := strings.TrimSuffix(server.Path, "/") + "/"
	for _, ep := range table {
		if !strings.HasPrefix(ep.Path, under) {
			t.Errorf("endpoint %s: path %s is not under the spec's server path %s", ep.Name, ep.Path, under)
		}
	}
}

// Fetch GETs url with the Authorization header auth, as the exporter
// would ask the vendor, and returns the status and body; an answer of 200
// is held to the endpoint's contract by CheckAnswer.
func (tb *Table) Fetch(t testing.TB, endpoint, url, auth string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK {
		tb.CheckAnswer(t, endpoint, body)
	}
	return resp.StatusCode, body
}
