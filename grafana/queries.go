package grafana

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// Query is one PromQL expression of a dashboard panel, its template
// variables replaced.
type Query struct {
	Panel string // panel title
	Ref   string // the query's refId within the panel
	Expr  string
}

// dashboardJSON is the part of a dashboard's JSON that holds queries.
type dashboardJSON struct {
	Panels     []panelJSON `json:"panels"`
	Templating struct {
		List []struct {
			Name     string `json:"name"`
			Type     string `json:"type"`
			AllValue string `json:"allValue"`
		} `json:"list"`
	} `json:"templating"`
}

type panelJSON struct {
	Title   string      `json:"title"`
	Type    string      `json:"type"`
	Panels  []panelJSON `json:"panels"` // a collapsed row's panels
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

// templateVariable is a Grafana variable in a query. A name starts with a
// letter or _: "$1" is label_replace's first group, which Grafana leaves
// alone as no variable can be named so.
var templateVariable = regexp.MustCompile(`\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))`)

// Queries lists every PromQL expression of every panel of a dashboard's
// JSON, as Grafana would send it with each query variable set to "All"
// (its allValue). builtins gives values to Grafana's own variables, such as
// __rate_interval. A variable that is neither is an error, as is a panel
// with no query.
func Queries(raw []byte, builtins map[string]string) ([]Query, error) {
	var d dashboardJSON
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, err
	}
	values := map[string]string{}
	for k, v := range builtins {
		values[k] = v
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			values[v.Name] = v.AllValue
		}
	}
	var out []Query
	var walk func([]panelJSON) error
	walk = func(panels []panelJSON) error {
		for _, p := range panels {
			if p.Type == "row" {
				if err := walk(p.Panels); err != nil {
					return err
				}
				continue
			}
			if len(p.Targets) == 0 {
				return fmt.Errorf("panel %q has no query", p.Title)
			}
			for _, t := range p.Targets {
				var missing []string
				expr := templateVariable.ReplaceAllStringFunc(t.Expr, func(m string) string {
					sub := templateVariable.FindStringSubmatch(m)
					name := sub[1] + sub[2]
					v, ok := values[name]
					if !ok {
						missing = append(missing, name)
					}
					return v
				})
				if len(missing) > 0 {
					return fmt.Errorf("panel %q query %s: unknown variables %v", p.Title, t.RefID, missing)
				}
				out = append(out, Query{Panel: p.Title, Ref: t.RefID, Expr: expr})
			}
		}
		return nil
	}
	if err := walk(d.Panels); err != nil {
		return nil, err
	}
	return out, nil
}
