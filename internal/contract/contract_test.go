package contract

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/scrape"
)

// recorder is a testing.TB that keeps failures instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(f string, a ...any) { r.errs = append(r.errs, fmt.Sprintf(f, a...)) }

type doc struct {
	Response *struct {
		Amount  scrape.Float `json:"amount"`
		Name    string       `json:"name"`
		Enabled bool         `json:"enabled"`
		Items   []struct {
			ID string `json:"id"`
		} `json:"items"`
	} `json:"response"`
}

func writeTable(t *testing.T, text string) string {
	path := filepath.Join(t.TempDir(), "contract.yml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func table(t *testing.T, text string) *Table { return Load(t, writeTable(t, text)) }

const full = `spec: github.com/example/spec@0123456789abcdef openapi.yaml
endpoints:
  balance:
    - {path: response, type: object}
    - {path: response.amount, type: number}
    - {path: response.name, type: string, nullable: true}
    - {path: response.enabled, type: boolean}
    - {path: response.items, type: array}
    - {path: "response.items[].id", type: string, enum: [a, b]}
`

func TestDecoderFieldsMustBeListedWithATypeTheyAccept(t *testing.T) {
	table(t, full).CheckDecoder(t, "balance", doc{})

	r := &recorder{TB: t}
	table(t, strings.Replace(full, "    - {path: response.name, type: string, nullable: true}\n", "", 1)).CheckDecoder(r, "balance", doc{})
	if len(r.errs) != 1 {
		t.Errorf("a field the contract lacks: %d failures, want 1", len(r.errs))
	}
	r = &recorder{TB: t}
	table(t, strings.Replace(full, "{path: response.enabled, type: boolean}", "{path: response.enabled, type: string}", 1)).CheckDecoder(r, "balance", doc{})
	if len(r.errs) != 1 {
		t.Errorf("a bool read where the spec says string: %d failures, want 1", len(r.errs))
	}
}

func TestAnswersMustSatisfyTheContract(t *testing.T) {
	tb := table(t, full)
	tb.CheckAnswer(t, "balance", []byte(`{"response": {"amount": 1.5, "name": null, "enabled": true, "items": [{"id": "a"}], "other": 1}}`))
	for _, bad := range []string{
		`{"response": {"amount": "1.5"}}`,
		`{"response": {"enabled": null}}`,
		`{"response": {"items": [{"id": "c"}]}}`,
	} {
		r := &recorder{TB: t}
		tb.CheckAnswer(r, "balance", []byte(bad))
		if len(r.errs) != 1 {
			t.Errorf("%s: %d failures, want 1", bad, len(r.errs))
		}
	}
}

func TestEveryEndpointOfTheTableHasItsDecoderChecked(t *testing.T) {
	endpoints := []scrape.Endpoint{{Name: "balance"}}
	tb := Load(t, writeTable(t, full))
	tb.checkDecoders(t, endpoints, map[string]any{"balance": doc{}})

	r := &recorder{TB: t}
	tb.checkDecoders(r, endpoints, map[string]any{})
	if len(r.errs) == 0 {
		t.Error("an endpoint without a decoder: no failure")
	}
	r = &recorder{TB: t}
	Load(t, writeTable(t, full+"  history:\n    - {path: items, type: array}\n")).checkDecoders(r, endpoints, map[string]any{"balance": doc{}})
	if len(r.errs) != 1 {
		t.Errorf("an endpoint of the contract no decoder reads: %d failures, want 1", len(r.errs))
	}
}

func TestDefaultBaseURLMustBeTheSpecsServer(t *testing.T) {
	endpoints := []scrape.Endpoint{{Name: "balance", Path: "/v2/balance"}, {Name: "plan", Path: "/v2/accounts/{id}/plan"}}
	served := table(t, full+"server: https://api.example.com/v2\n")
	served.checkBaseURL(t, "https://api.example.com", endpoints)
	table(t, full).checkBaseURL(t, "", endpoints)

	for _, tc := range []struct {
		name string
		tb   *Table
		def  string
	}{
		{"a default where the spec names no server", table(t, full), "https://api.example.com"},
		{"no default where the spec names a server", served, ""},
		{"another host", served, "https://api.example.org"},
		{"the version twice", served, "https://api.example.com/v2"},
		{"a host that only begins like the server's", served, "https://api.example.com.evil"},
		{"plain http", served, "http://api.example.com"},
	} {
		r := &recorder{TB: t}
		tc.tb.checkBaseURL(r, tc.def, endpoints)
		if len(r.errs) == 0 {
			t.Errorf("%s (%q): no failure", tc.name, tc.def)
		}
	}
	r := &recorder{TB: t}
	served.checkBaseURL(r, "https://api.example.com", append(endpoints, scrape.Endpoint{Name: "old", Path: "/v1/balance"}))
	if len(r.errs) != 1 {
		t.Errorf("an endpoint outside the server's path: %d failures, want 1", len(r.errs))
	}
}
