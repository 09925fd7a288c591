package qovery

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// Fake is https://api.qovery.com as its OpenAPI spec and Go client
// describe it: lists as {"results": [...]}, CostRange with only
// currency_code reliably present, nullable renewal_at, UUID ids, errors as
// {"status", "error", "detail"}, and 403 for an organization or cluster
// the token cannot see. API tokens come as "Token <t>", JWTs as
// "Bearer <t>"; both are accepted unless Scheme pins one.
// Its replies are set by path, such as "/organization/<id>/billingStatus".
type Fake struct {
	Token  string
	Scheme string // "" accepts Token and Bearer; "Token" or "Bearer" only that one
	sandbox.Replies
}

// Org is one organization of the fake, with its clusters.
type Org struct {
	ID, Name    string
	Plan        string
	Restriction any // billing_deployment_restriction: nil or a string
	Clusters    []Cluster
	// Unlisted leaves the organization out of GET /organization; GET
	// /organization/{id} still answers.
	Unlisted bool
}

// Cluster is one cluster with its current cost range.
type Cluster struct {
	ID, Name string
	Cost     map[string]any // CostRange
}

// NewFake returns a token that sees orgs; each organization gets
// realistic cost, status, billing info, invoices and a card.
func NewFake(token string, orgs ...Org) *Fake {
	q := &Fake{Token: token}
	var list []any
	for _, o := range orgs {
		doc := map[string]any{
			"id": o.ID, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2026-06-01T00:00:00Z",
			"name": o.Name, "description": nil, "plan": o.Plan, "owner": "7c1f0e8a-5b7d-4f0e-9a3c-2d1e0f9a8b7c",
			"billing_deployment_restriction": o.Restriction,
			"organization_plan":              map[string]any{"plan": o.Plan, "audit_logs_retention_in_days": 30},
		}
		if !o.Unlisted {
			list = append(list, doc)
		}
		base := "/organization/" + o.ID
		q.Set(base, sandbox.Reply{Body: doc})
		var clusters []any
		for _, c := range o.Clusters {
			clusters = append(clusters, map[string]any{"id": c.ID, "created_at": "2024-02-01T00:00:00Z",
				"organization": map[string]any{"id": o.ID}, "name": c.Name, "region": "eu-west-3",
				"cloud_provider": "AWS", "status": "DEPLOYED", "production": true, "is_demo": false})
			q.Set("/organization/"+o.ID+"/cluster/"+c.ID+"/currentCost", sandbox.Reply{Body: c.Cost})
		}
		q.Set(base+"/cluster", sandbox.Reply{Body: map[string]any{"results": nonNil(clusters)}})
		q.Set(base+"/currentCost", sandbox.Reply{Body: map[string]any{"plan": o.Plan, "remaining_trial_day": 0,
			"renewal_at": "2026-12-15T00:00:00Z",
			"cost":       map[string]any{"total_in_cents": 30050, "total": 300.5, "currency_code": "USD"}}})
		q.Set(base+"/billingStatus", sandbox.Reply{Body: map[string]any{"is_valid": true, "message": ""}})
		q.Set(base+"/billingInfo", sandbox.Reply{Body: map[string]any{"first_name": "Jane", "last_name": "Payer",
			"email": "billing@example.com", "address": "1 Main St", "city": "Paris", "zip": "75001", "state": nil,
			"country_code": "FR", "company": "Acme SAS", "vat_number": "FR00123456789"}})
		q.Set(base+"/invoice", sandbox.Reply{Body: map[string]any{"results": []any{
			map[string]any{"id": "a1b2c3d4-0000-4000-8000-000000000001", "created_at": "2026-09-01T00:00:00Z", "status": "PAID", "total_in_cents": 30000, "total": 300, "currency_code": "USD"},
			map[string]any{"id": "a1b2c3d4-0000-4000-8000-000000000002", "created_at": "2026-10-01T00:00:00Z", "status": "PAID", "total_in_cents": 31000, "total": 310, "currency_code": "USD"},
			map[string]any{"id": "a1b2c3d4-0000-4000-8000-000000000003", "created_at": "2026-11-01T00:00:00Z", "status": "NOT_PAID", "total_in_cents": 29950, "total": 299.5, "currency_code": "USD"},
		}}})
		q.Set(base+"/creditCard", sandbox.Reply{Body: map[string]any{"results": []any{
			map[string]any{"id": "c0ffee00-0000-4000-8000-00000000000" + o.ID[len(o.ID)-1:], "created_at": "2024-01-01T00:00:00Z",
				"expiry_month": 6, "expiry_year": 2027, "last_digit": "4242", "is_expired": false, "brand": "visa"},
		}}})
	}
	q.Set("/organization", sandbox.Reply{Body: map[string]any{"results": nonNil(list)}})
	return q
}

func nonNil(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

// Cost is a full CostRange in USD, in cents and in units.
func Cost(minCents, maxCents int) map[string]any {
	return map[string]any{"min_cost_in_cents": minCents, "min_cost": float64(minCents) / 100,
		"max_cost_in_cents": maxCents, "max_cost": float64(maxCents) / 100, "currency_code": "USD"}
}

func errorReply(status int, title, detail string) sandbox.Reply {
	return sandbox.Reply{Status: status, Body: map[string]any{"status": status, "error": title, "detail": detail}}
}

func (q *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if tok != q.Token || (scheme != "Token" && scheme != "Bearer") || (q.Scheme != "" && scheme != q.Scheme) {
		errorReply(http.StatusUnauthorized, "Unauthorized", "Access token is missing or invalid").Write(w)
		return
	}
	if r.Method != http.MethodGet {
		errorReply(http.StatusMethodNotAllowed, "Method Not Allowed", "this fake serves only reads").Write(w)
		return
	}
	rep, ok := q.Get(r.URL.Path)
	if !ok {
		// Qovery answers 403 for objects the token cannot see, unknown ones included.
		errorReply(http.StatusForbidden, "Forbidden", "organization does not exist or access is denied").Write(w)
		return
	}
	rep.Write(w)
}

// demo is a paying organization with two clusters, a card expiring next
// month and an invoice unpaid for six days, a day before Qovery would
// invalidate its billing, and a trial organization without a card.
func demo(d *sandbox.Demo) []config.Account {
	prod := Org{ID: "5a1f3c2e-7b4d-4e8f-9a6b-1c2d3e4f5a61", Name: "acme-prod", Plan: "TEAM_2025", Clusters: []Cluster{
		{ID: "8e2d1c0b-3a4f-4b5c-8d7e-6f5a4b3c2d11", Name: "prod-eu", Cost: Cost(45000, 90000)},
		{ID: "8e2d1c0b-3a4f-4b5c-8d7e-6f5a4b3c2d12", Name: "prod-us", Cost: Cost(30000, 52000)},
	}}
	trial := Org{ID: "5a1f3c2e-7b4d-4e8f-9a6b-1c2d3e4f5a62", Name: "acme-lab", Plan: "USER_2025", Restriction: "NO_CREDIT_CARD",
		Clusters: []Cluster{{ID: "8e2d1c0b-3a4f-4b5c-8d7e-6f5a4b3c2d21", Name: "lab", Cost: map[string]any{"currency_code": "USD", "max_cost_in_cents": 12000}}}}
	token := fmt.Sprintf("qov_demo_%x", 0xbeef)
	q := NewFake(token, prod, trial)
	q.Set("/organization/"+trial.ID+"/currentCost", sandbox.Reply{Body: func() any {
		return map[string]any{"plan": "USER_2025", "remaining_trial_day": 2, "renewal_at": nil,
			"cost": map[string]any{"total_in_cents": 0, "total": 0, "currency_code": "USD"}}
	}})
	q.Set("/organization/"+trial.ID+"/billingStatus", sandbox.Reply{Body: map[string]any{"is_valid": true, "message": "Your trial ends soon: add a credit card"}})
	q.Set("/organization/"+trial.ID+"/creditCard", sandbox.Reply{Body: map[string]any{"results": []any{}}})
	for _, o := range []struct {
		id         string
		unpaidDays int
	}{{prod.ID, 6}, {trial.ID, 2}} {
		q.Set("/organization/"+o.id+"/invoice", sandbox.Reply{Body: func() any {
			month := d.Start().UTC().AddDate(0, -1, 0)
			return map[string]any{"results": []any{
				map[string]any{"id": "a1b2c3d4-0000-4000-8000-000000000001", "created_at": month.AddDate(0, -1, 0).Format(time.RFC3339),
					"status": "PAID", "total_in_cents": 30000, "total": 300, "currency_code": "USD"},
				map[string]any{"id": "a1b2c3d4-0000-4000-8000-000000000002", "created_at": month.Format(time.RFC3339),
					"status": "PAID", "total_in_cents": 31000, "total": 310, "currency_code": "USD"},
				map[string]any{"id": "a1b2c3d4-0000-4000-8000-000000000003", "created_at": d.Start().UTC().AddDate(0, 0, -o.unpaidDays).Format(time.RFC3339),
					"status": "NOT_PAID", "total_in_cents": 29950, "total": 299.5, "currency_code": "USD"},
			}}
		}})
	}
	q.Set("/organization/"+prod.ID+"/creditCard", sandbox.Reply{Body: func() any {
		exp := d.Start().UTC().AddDate(0, 1, 0)
		return map[string]any{"results": []any{map[string]any{"id": "c0ffee00-0000-4000-8000-000000000001",
			"created_at": "2024-01-01T00:00:00Z", "expiry_month": int(exp.Month()), "expiry_year": exp.Year(),
			"last_digit": "4242", "is_expired": false, "brand": "visa"}}}
	}})
	return []config.Account{{Name: "qovery", Provider: "qovery", BaseURL: d.Server.Mount("/qovery", q),
		APIKey: config.Secret(token), Alerts: config.Alerts{MonthlyBudget: map[string]float64{"USD": 2000}}}}
}

// FixtureClusters is how many clusters the organization of each
// benchmark account has; each costs one more request per refresh.
const FixtureClusters = 2

// fixture is one organization with FixtureClusters clusters.
func fixture(i int) (http.Handler, config.Secret) {
	id := func(j int) string { return fmt.Sprintf("%08x-%04x-4000-8000-%012x", i, j, 0xbe0c+i) }
	tok := fmt.Sprintf("qov_bench_%04d", i)
	org := Org{ID: id(0), Name: fmt.Sprintf("org-%04d", i), Plan: "TEAM_2025"}
	for c := 1; c <= FixtureClusters; c++ {
		org.Clusters = append(org.Clusters, Cluster{ID: id(c),
			Name: fmt.Sprintf("cluster-%d", c), Cost: Cost(10000*c, 20000*c)})
	}
	return NewFake(tok, org), config.Secret(tok)
}
