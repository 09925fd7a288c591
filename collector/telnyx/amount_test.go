package telnyx

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func decodeAmount(t *testing.T, raw string) amount {
	t.Helper()
	var a amount
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return a
}

func TestAmountDecodes(t *testing.T) {
	for _, tc := range []struct {
		raw   string
		want  float64
		valid bool
	}{
		{`"104.00"`, 104, true},
		{`"12.3400"`, 12.34, true},
		{`"-5.10"`, -5.1, true},
		{`" 7.5 "`, 7.5, true},
		{`"+3"`, 3, true},
		{`"123456789012345678901234.56"`, 123456789012345678901234.56, true},
		{`"1.5e2"`, 150, true},
		{`42.25`, 42.25, true},
		{`null`, 0, false},
		{`""`, 0, false},
	} {
		a := decodeAmount(t, tc.raw)
		if a.Valid != tc.valid || a.V != tc.want {
			t.Errorf("%s: %v (valid %v), want %v (valid %v)", tc.raw, a.V, a.Valid, tc.want, tc.valid)
		}
	}
	for _, bad := range []string{`"lots"`, `"NaN"`, `"1e400"`, `true`, `{}`, `[]`} {
		var a amount
		if err := json.Unmarshal([]byte(bad), &a); err == nil {
			t.Errorf("%s: accepted as %v", bad, a.V)
		}
	}
}

func TestAmountSumIsExact(t *testing.T) {
	tenth, fifth := 0.1, 0.2 // variables: a constant expression would be exact
	for _, tc := range []struct {
		a, b string
		want float64
	}{
		{`"0.10"`, `"0.20"`, 0.3}, // 0.1 + 0.2 in float64 is 0.30000000000000004
		{`"104.00"`, `"104.00"`, 208},
		{`"100.10"`, `"0.20"`, 100.3},
		{`"-5.10"`, `"5.10"`, 0},
		{`"12.3400"`, `"0.0066"`, 12.3466},
		{`0.1`, `"0.2"`, 0.3},
		{`"9999999999999999999999.99"`, `"0.01"`, 1e22},
		// Outside plain decimals the sum is float64's.
		{`"1e-1"`, `"0.2"`, tenth + fifth},
	} {
		got := decodeAmount(t, tc.a).plus(decodeAmount(t, tc.b))
		if !got.Valid || got.V != tc.want {
			t.Errorf("%s + %s = %v (valid %v), want %v", tc.a, tc.b, got.V, got.Valid, tc.want)
		}
	}
	if got := decodeAmount(t, `"1.00"`).plus(decodeAmount(t, `null`)); got.Valid {
		t.Errorf("a sum with an absent amount is %v, want absent", got.V)
	}
	if got := decodeAmount(t, `null`).plus(decodeAmount(t, `"1.00"`)); got.Valid {
		t.Errorf("a sum with an absent amount is %v, want absent", got.V)
	}
}

// A vendor's exponent or length must not make the exact sum expensive.
func TestAmountHugeTextStaysCheap(t *testing.T) {
	start := time.Now()
	for _, raw := range []string{`"1e-99999999"`, `"0.` + strings.Repeat("1", 1<<20) + `"`, `"` + strings.Repeat("9", 300) + `"`} {
		var a amount
		_ = json.Unmarshal([]byte(raw), &a)
		if a.exact != nil {
			t.Errorf("%d-byte amount read exactly; only short plain decimals are", len(raw))
		}
		a.plus(a)
	}
	// Not a speed target: big.Rat on these would take minutes.
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v", took)
	}
}
