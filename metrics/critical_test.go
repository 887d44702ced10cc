package metrics

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// The critical values agree with tabulated ones and with gonum (whose
// last bits vary by architecture) to 1e-12.
func TestCriticalValues(t *testing.T) {
	if z := zCritical(0.95); math.Abs(z-z975) > 1e-14*z975 {
		t.Errorf("zCritical(0.95) = %.17g, table %.17g", z, z975)
	}
	// Closed forms: ν = 1 is the Cauchy distribution, t = tan(level·π/2);
	// ν = 2 has t = level·√(2/(1-level²)).
	for _, level := range []float64{0.5, 0.9, 0.95, 0.99} {
		for nu, want := range map[int64]float64{1: math.Tan(level * math.Pi / 2), 2: level * math.Sqrt(2/(1-level*level))} {
			if got := tCritical(level, nu); math.Abs(got-want) > 1e-13*want {
				t.Errorf("tCritical(%v, %d) = %.17g, closed form %.17g", level, nu, got, want)
			}
		}
	}
	if got := tCritical(0.95, 4); math.Abs(got-t975df4) > 1e-14*t975df4 {
		t.Errorf("tCritical(0.95, 4) = %.17g, table %.17g", got, t975df4)
	}
	// gonum agrees to 1e-10 where it is accurate (its quantiles lose digits
	// at very high levels and beyond about 10^6 degrees of freedom).
	for _, level := range []float64{0.5, 0.8, 0.9, 0.95, 0.99, 0.999} {
		p := 1 - (1-level)/2
		if got, want := zCritical(level), distuv.UnitNormal.Quantile(p); math.Abs(got-want) > 1e-13*want {
			t.Errorf("zCritical(%v) = %.17g, gonum %.17g", level, got, want)
		}
		for _, nu := range []int64{1, 2, 3, 4, 5, 7, 10, 29, 30, 99, 100, 999, 1000, 1001, 5000} {
			got := tCritical(level, nu)
			want := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(nu)}.Quantile(p)
			if math.Abs(got-want) > 1e-10*want {
				t.Errorf("tCritical(%v, %d) = %.17g, gonum %.17g", level, nu, got, want)
			}
		}
		// As ν grows t tends to z.
		if got, z := tCritical(level, 1<<40), zCritical(level); math.Abs(got-z) > 1e-11*z {
			t.Errorf("tCritical(%v, 2^40) = %.17g, z = %.17g", level, got, z)
		}
	}
	// The expansion and the exact sum meet where tCritical switches.
	for _, level := range []float64{0.8, 0.95, 0.99, 0.999} {
		for _, nu := range []int64{tDirectMax - 1, tDirectMax, tDirectMax + 1} {
			d, e := tDirect(level, nu), tExpansion(level, nu)
			if math.Abs(d-e) > 1e-13*d {
				t.Errorf("ν = %d, level %v: exact %.17g, expansion %.17g", nu, level, d, e)
			}
		}
	}
	for _, bad := range []float64{0, 1, -1, math.NaN(), 2} {
		if !math.IsNaN(zCritical(bad)) || !math.IsNaN(tCritical(bad, 3)) {
			t.Errorf("level %v accepted", bad)
		}
	}
	if !math.IsNaN(tCritical(0.95, 0)) {
		t.Errorf("ν = 0 accepted")
	}
}

func TestExpNeg(t *testing.T) {
	for _, x := range []float64{0, -1e-300, -0.1, -0.5, -1, -2.5, -10, -100, -700} {
		got, want := expNeg(x), math.Exp(x)
		if math.Abs(got-want) > 4e-16*want {
			t.Errorf("expNeg(%v) = %.17g, math.Exp %.17g", x, got, want)
		}
	}
}

func BenchmarkTCritical(b *testing.B) {
	for b.Loop() {
		tCritical(0.95, 999)
	}
}
