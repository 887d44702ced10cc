package metrics

import (
	"math"
	"strings"
	"testing"
)

// With no success in n runs the Wilson interval is [0, z²/(n+z²)] exactly:
// at k = 0 its centre (z²/2n)/(1+z²/n) equals its half-width, so the upper
// end is twice the centre. z = 1.959964 at 95 %, so the upper end is about
// 3.84/n, the two-sided cousin of the "rule of three" (3/n, one-sided).
// The table printed it with one decimal of percent, and from n ≈ 77,000 on
// a 0 % rate read "0% [0,0]": a certainty the runs cannot give.
func TestZeroRateInterval(t *testing.T) {
	const z = 1.959963984540054 // standard normal 0.975 quantile
	for _, n := range []int64{10, 1000, 100_000, 10_000_000, 1 << 40} {
		w := Wilson(0, n, 0.95)
		want := z * z / (float64(n) + z*z)
		if w.CILow != 0 || !(w.CIHigh > 0) || math.Abs(w.CIHigh-want) > 1e-9*want {
			t.Errorf("Wilson(0, %d) = [%g, %g], want [0, %g]", n, w.CILow, w.CIHigh, want)
		}
		// Rule of three: within 1 % of z²/n once n >> z².
		if n >= 1000 && math.Abs(float64(n)*w.CIHigh-z*z) > 0.01*z*z {
			t.Errorf("Wilson(0, %d): n·upper = %g, want about z² = %g", n, float64(n)*w.CIHigh, z*z)
		}
		// All successes mirror it.
		if m := Wilson(n, n, 0.95); m.CIHigh != 1 || math.Abs((1-m.CILow)-want) > 1e-9*want+1e-15 {
			t.Errorf("Wilson(%d, %d) = [%g, %g], want [1-%g, 1]", n, n, m.CILow, m.CIHigh, want)
		}
	}
	for _, c := range []struct {
		k, n int64
		want string
	}{
		{0, 50, "0% [0,7.1]"}, // unchanged where one decimal shows it
		{0, 100_000, "0% [0,0.004]"},
		{0, 10_000_000, "0% [0,0.00004]"},
		{100_000, 100_000, "100% [99.996,100]"},
		{1, 10_000_000, "0.00001% [0.000002,0.00006]"},
	} {
		if got := fmtRate(Wilson(c.k, c.n, 0.95)); got != c.want {
			t.Errorf("fmtRate(Wilson(%d, %d)) = %q, want %q", c.k, c.n, got, c.want)
		}
		if strings.Contains(fmtRate(Wilson(c.k, c.n, 0.95)), "[0,0]") {
			t.Errorf("k=%d n=%d: interval collapses to [0,0]", c.k, c.n)
		}
	}
}

func TestPercentDecimals(t *testing.T) {
	for _, c := range []struct {
		p    float64
		min  int
		want int
	}{
		{0, 1, 1}, {1, 1, 1}, {math.NaN(), 1, 1}, {0.5, 1, 1},
		{0.0005, 1, 1},      // 0.05 % rounds to 0.1: shows
		{0.0004, 1, 2},      // 0.04 % would round to 0: one significant digit
		{3.84e-7, 1, 5},     // 0.0000384 %: 0.00004
		{1 - 3.84e-5, 1, 3}, // 99.99616 %: 100 - 0.00384, 99.996
		{0.004, 0, 1},       // 0.4 % at 0 decimals would round to 0: 0.4
		{0.006, 0, 0},       // 0.6 % rounds to 1: shows
	} {
		got := PercentDecimals(c.p, c.min)
		if got != c.want {
			t.Errorf("PercentDecimals(%g, %d) = %d, want %d", c.p, c.min, got, c.want)
		}
	}
}
