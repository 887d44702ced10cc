package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// bisect is solve's definition: the smallest t in [lo, hi] with f(t) >= 0
// (hi if none), by plain bisection.
func bisect(lo, hi time.Duration, f func(time.Duration) float64) time.Duration {
	if f(lo) >= 0 {
		return lo
	}
	for hi-lo > 1 {
		m := lo + (hi-lo)/2
		if f(m) >= 0 {
			hi = m
		} else {
			lo = m
		}
	}
	return hi
}

// solve finds bisection's instant, to the nanosecond, on nondecreasing
// functions of the shapes the bucketed engine hands it: log-probabilities
// that are -Inf over a prefix, +Inf at the top, steep, flat, linear in t or
// in log t, with roots anywhere from the first nanosecond to the last; and
// it takes fewer evaluations than bisection on the smooth ones.
func TestSolveIsBisection(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var evals, bisections [4]int
	for i := 0; i < 3000; i++ {
		lo := time.Duration(r.Int64N(int64(time.Hour)))
		hi := lo + time.Duration(1+r.Int64N(int64(time.Minute)))
		root := lo + time.Duration(r.Int64N(int64(hi-lo)+1))
		dead := lo + time.Duration(r.Int64N(int64(root-lo)+1)) // f is -Inf below dead
		scale := math.Pow(10, r.Float64()*6-3)
		kind := i % 4
		f := func(t time.Duration) float64 {
			if t < dead {
				return math.Inf(-1)
			}
			if kind == 3 && t == hi && root < hi {
				return math.Inf(1)
			}
			x := float64(t - root)
			switch kind {
			case 0: // linear in t
				return scale * x
			case 1: // linear in log(t - lo)
				return scale * (math.Log(float64(t-lo+1)) - math.Log(float64(root-lo+1)))
			default: // steep near the root, flat away from it
				return math.Cbrt(x) * scale
			}
		}
		n := 0
		counted := func(t time.Duration) float64 { n++; return f(t) }
		got, want := solve(lo, hi, counted), bisect(lo, hi, f)
		if got != want {
			t.Fatalf("case %d (kind %d): solve = %v, bisection = %v (lo %v, hi %v, root %v, dead %v)", i, kind, got, want, lo, hi, root, dead)
		}
		evals[kind] += n
		bisections[kind] += 2 + int(math.Ceil(math.Log2(float64(hi-lo))))
	}
	t.Logf("evaluations by kind: %v; bisection's: %v", evals, bisections)
	// Smooth (linear in t or in log t): a few steps of regula falsi, then
	// the bracket's last nanoseconds.
	for kind := 0; kind < 2; kind++ {
		if evals[kind] >= bisections[kind]/2 {
			t.Errorf("kind %d: solve took %d evaluations, bisection about %d: expected under half", kind, evals[kind], bisections[kind])
		}
	}
	// A cube root is not smooth at its root: regula falsi stalls there,
	// and the fallback to bisection bounds the cost.
	for kind := 2; kind < 4; kind++ {
		if evals[kind] > bisections[kind]*3/2 {
			t.Errorf("kind %d: solve took %d evaluations, bisection about %d: expected at most 1.5 times", kind, evals[kind], bisections[kind])
		}
	}
}
