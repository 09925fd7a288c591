// Package expo writes the Prometheus text exposition format (0.0.4) by
// hand, for the series the exporter renders without client_golang's
// per-series protobuf objects, checks and sorting (a pre-rendered line
// costs a copy; see ADR 0010). All of the exporter's text-format writing
// is here.
package expo

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// ContentType is what the hand-rendered answer is served as; Prometheus
// accepts it whatever format it prefers.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// AppendHeader appends a family's HELP and TYPE lines.
func AppendHeader(b []byte, name, help, typ string) []byte {
	b = append(b, "# HELP "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = appendEscaped(b, help, false)
	b = append(b, "\n# TYPE "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, typ...)
	return append(b, '\n')
}

// LabelOrder is the order AppendPrefix writes labels in: by name, as
// client_golang does, so that a line reads the same either way.
func LabelOrder(labels []string) []int {
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	return order
}

// AppendPrefix appends `name{l1="v1",...} `, a series' line up to its
// value, with the labels in order (LabelOrder).
func AppendPrefix(b []byte, name string, labels, values []string, order []int) []byte {
	b = append(b, name...)
	if len(labels) > 0 {
		b = append(b, '{')
		for n, i := range order {
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, labels[i]...)
			b = append(b, `="`...)
			b = appendEscaped(b, values[i], true)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	return append(b, ' ')
}

// AppendValue appends v as expfmt writes it, and the line's end.
func AppendValue(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		b = append(b, "NaN"...)
	case math.IsInf(v, 1):
		b = append(b, "+Inf"...)
	case math.IsInf(v, -1):
		b = append(b, "-Inf"...)
	default:
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	return append(b, '\n')
}

// appendEscaped escapes \ and newline, and " too in label values.
func appendEscaped(b []byte, s string, quote bool) []byte {
	if !strings.ContainsAny(s, "\\\n\"") {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}
