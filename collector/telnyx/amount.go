package telnyx

import (
	"encoding/json"
	"math/big"
	"regexp"
	"strings"

	"github.com/billing-exporter/billing-exporter/scrape"
)

// amount is a sum of money as Telnyx sends it, a decimal string (a
// number is accepted too), kept exact besides its float64: the top-up
// target is the sum of two amounts, and float64 addition turns
// "0.10" + "0.20" into 0.30000000000000004.
type amount struct {
	scrape.Float
	exact *big.Rat // nil when the text is not plain decimal notation
}

// plainDecimal is the notation read exactly. Exponents are left to
// float64: big.Rat would expand "1e-99999999" digit by digit.
var plainDecimal = regexp.MustCompile(`^[+-]?[0-9]{1,40}(\.[0-9]{1,40})?$`)

// UnmarshalJSON accepts what scrape.Float accepts and refuses what it refuses.
func (a *amount) UnmarshalJSON(b []byte) error {
	*a = amount{}
	if err := a.Float.UnmarshalJSON(b); err != nil || !a.Valid {
		return err
	}
	var text string
	if json.Unmarshal(b, &text) != nil {
		text = string(b) // a JSON number
	}
	if text = strings.TrimSpace(text); plainDecimal.MatchString(text) {
		a.exact, _ = new(big.Rat).SetString(text)
	}
	return nil
}

// plus is a + b, exact when both are plain decimals; absent unless both
// are present.
func (a amount) plus(b amount) scrape.Float {
	if !a.Valid || !b.Valid {
		return scrape.Float{}
	}
	if a.exact != nil && b.exact != nil {
		v, _ := new(big.Rat).Add(a.exact, b.exact).Float64()
		return scrape.Float{V: v, Valid: true}
	}
	return scrape.Float{V: a.V + b.V, Valid: true}
}
