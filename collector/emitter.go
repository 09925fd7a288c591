package collector

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/billing-exporter/billing-exporter/scrape"
	"github.com/prometheus/client_golang/prometheus"
)

// Emitter collects one account's metrics and endpoint errors during a
// scrape. It fills the provider and account labels (and the organization
// pair for org-scoped families) so providers only pass their own labels.
type Emitter struct {
	provider, account string
	org, orgID        string

	shared *emitted
}

type emitted struct {
	metrics []prometheus.Metric
	errs    []error
}

// ForOrganization returns an Emitter that fills organization labels; it
// shares the account's metric buffer.
func (e *Emitter) ForOrganization(name, id string) *Emitter {
	e.init()
	return &Emitter{provider: e.provider, account: e.account, org: name, orgID: id, shared: e.shared}
}

func (e *Emitter) init() {
	if e.shared == nil {
		e.shared = &emitted{}
	}
}

// Gauge emits f with value v and f's own labels in order.
func (e *Emitter) Gauge(f *family, v float64, labels ...string) {
	e.init()
	if len(labels) != f.labels {
		e.shared.errs = append(e.shared.errs, fmt.Errorf("internal: %s wants %d labels, got %d", f.desc, f.labels, len(labels)))
		return
	}
	if math.IsNaN(v) {
		return
	}
	values := make([]string, 0, 4+len(labels))
	values = append(values, e.provider, e.account)
	values = append(values, labels...)
	if f.org {
		values = append(values, e.org, e.orgID)
	}
	m, err := prometheus.NewConstMetric(f.desc, prometheus.GaugeValue, v, values...)
	if err != nil {
		e.shared.errs = append(e.shared.errs, err)
		return
	}
	e.shared.metrics = append(e.shared.metrics, m)
}

// GaugeIf emits f only when the value was present upstream.
func (e *Emitter) GaugeIf(f *family, v scrape.Float, labels ...string) {
	if v.Valid {
		e.Gauge(f, v.V, labels...)
	}
}

// Bool emits 1 or 0 when the value was present upstream.
func (e *Emitter) Bool(f *family, v scrape.Bool, labels ...string) {
	if v.Valid {
		e.Gauge(f, v.Float64(), labels...)
	}
}

// Fail records an endpoint error: the account's billing_up becomes 0.
func (e *Emitter) Fail(err error) {
	e.init()
	if err != nil {
		e.shared.errs = append(e.shared.errs, err)
	}
}

// Fetch reads ep through the account's client and records a failure. It
// returns true when out holds data to emit (fresh, or stale within limits).
func (e *Emitter) Fetch(ctx context.Context, c *scrape.Client, ep scrape.Endpoint, out any) bool {
	ok, err := c.GetJSON(ctx, ep, out)
	e.Fail(err)
	return ok
}

func (e *Emitter) err() error {
	if e.shared == nil {
		return nil
	}
	return errors.Join(e.shared.errs...)
}

func (e *Emitter) collected() []prometheus.Metric {
	if e.shared == nil {
		return nil
	}
	return e.shared.metrics
}
