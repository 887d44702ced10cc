package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// exactQuantile is the nearest-rank sample quantile: the value of rank
// ceil(q·n) in the sorted sample (rank 1 for q = 0), the definition Sketch
// documents.
func exactQuantile(sorted []float64, q float64) float64 {
	k := int(math.Ceil(q * float64(len(sorted))))
	k = max(1, min(len(sorted), k))
	return sorted[k-1]
}

// TestSketchRelativeAccuracy checks the DDSketch guarantee against exact
// sample quantiles. Why it must hold exactly (no statistical tolerance): the
// bucket counts are exact, so the walk stops in the bucket that holds the
// value of the requested rank; the reported point 2γ^i/(1+γ) is within
// (γ-1)/(γ+1) = SketchAccuracy of both ends of that bucket, hence of every
// value in it; and clamping to the exact [Min, Max] only moves it closer.
// The 1e-9 slack covers a value on a bucket boundary that math.Log puts in
// the neighbouring bucket, whose point is then at distance exactly
// SketchAccuracy, up to rounding.
func TestSketchRelativeAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 1))
	dists := map[string]func() float64{
		"lognormal-latency-ms": func() float64 { return math.Exp(4 + 1.2*rng.NormFloat64()) },
		"uniform-9-decades":    func() float64 { return math.Pow(10, -3+9*rng.Float64()) },
		"exponential":          func() float64 { return rng.ExpFloat64() },
		"with-negatives-and-0": func() float64 {
			switch rng.IntN(4) {
			case 0:
				return 0
			case 1:
				return -math.Exp(3 * rng.NormFloat64())
			}
			return math.Exp(3 * rng.NormFloat64())
		},
		"few-distinct": func() float64 { return float64(1 + rng.IntN(5)) },
	}
	names := make([]string, 0, len(dists))
	for k := range dists {
		names = append(names, k)
	}
	slices.Sort(names)
	qs := []float64{0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1}
	for _, name := range names {
		for _, n := range []int{1, 2, 10, 1000, 20000} {
			var s Sketch
			vals := make([]float64, n)
			for i := range vals {
				vals[i] = dists[name]()
				s.Add(vals[i])
			}
			slices.Sort(vals)
			for _, q := range qs {
				want := exactQuantile(vals, q)
				got := s.Quantile(q)
				if math.Abs(got-want) > SketchAccuracy*math.Abs(want)*(1+1e-9) {
					t.Errorf("%s n=%d q=%g: got %g, exact %g: relative error %g > %g", name, n, q, got, want, math.Abs(got-want)/math.Abs(want), SketchAccuracy)
				}
			}
			if s.Quantile(0) != vals[0] || s.Quantile(1) != vals[n-1] || s.Min() != vals[0] || s.Max() != vals[n-1] {
				t.Errorf("%s n=%d: min/max not exact: %g %g vs %g %g", name, n, s.Quantile(0), s.Quantile(1), vals[0], vals[n-1])
			}
			if s.Count() != float64(n) {
				t.Errorf("%s: Count = %g, want %d", name, s.Count(), n)
			}
		}
	}
}

func sketchOf(vals []float64) *Sketch {
	var s Sketch
	for _, v := range vals {
		s.Add(v)
	}
	return &s
}

// sketchesSame compares the bucket state exactly and the float sum within
// rounding (Sum is a float64 sum, so its last bits depend on the order).
func sketchesSame(a, b *Sketch) bool {
	if a.count != b.count || a.min != b.min || a.max != b.max || a.zeros != b.zeros {
		return false
	}
	for _, pair := range [][2]*store[float64]{{&a.pos, &b.pos}, {&a.neg, &b.neg}} {
		ao, ac := pair[0].trimmed()
		bo, bc := pair[1].trimmed()
		if ao != bo || !slices.Equal(ac, bc) {
			return false
		}
	}
	return math.Abs(a.sum-b.sum) <= 1e-9*math.Max(1, math.Abs(a.sum))
}

// TestSketchMergeEqualsWhole: merging the sketches of any two halves gives
// the sketch of the whole: same buckets, count, min, max, so the same
// quantiles bit for bit.
func TestSketchMergeEqualsWhole(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.Rng.Seed(7)
	props := gopter.NewProperties(params)
	val := gen.OneGenOf(gen.Float64Range(-1e6, 1e6), gen.Float64Range(0, 10), gen.Const(0.0), gen.Float64Range(-1e-12, 1e-12))
	props.Property("merge(a, b) == sketch(a ++ b)", prop.ForAll(
		func(vals []float64, cut int) bool {
			cut = cut % (len(vals) + 1)
			whole := sketchOf(vals)
			m := sketchOf(vals[:cut])
			m.Merge(sketchOf(vals[cut:]))
			if !sketchesSame(m, whole) {
				return false
			}
			for _, q := range []float64{0, 0.01, 0.3, 0.5, 0.77, 0.99, 1} {
				if !sameFloat(m.Quantile(q), whole.Quantile(q)) {
					return false
				}
			}
			return true
		},
		gen.SliceOf(val), gen.IntRange(0, 1000),
	))
	props.TestingRun(t)
}

// TestSketchReset: a reset sketch behaves as a new one and reuses its memory.
func TestSketchReset(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	var s Sketch
	for range 5000 {
		s.Add(math.Exp(5 * rng.NormFloat64()))
		s.Add(-math.Exp(5 * rng.NormFloat64()))
	}
	s.Reset()
	if s.Count() != 0 || !math.IsNaN(s.Quantile(0.5)) || !math.IsNaN(s.Mean()) || s.Min() != 0 || s.Max() != 0 || s.Sum() != 0 {
		t.Fatalf("after Reset: count %g q50 %g mean %g min %g max %g sum %g", s.Count(), s.Quantile(0.5), s.Mean(), s.Min(), s.Max(), s.Sum())
	}
	vals := []float64{7, 3, 3000, 0.5, 12}
	fresh := sketchOf(vals)
	for _, v := range vals {
		s.Add(v)
	}
	if !sketchesSame(&s, fresh) {
		t.Errorf("reset sketch differs from a fresh one")
	}
	for _, q := range []float64{0, 0.2, 0.5, 0.8, 1} {
		if s.Quantile(q) != fresh.Quantile(q) {
			t.Errorf("q=%g: reset %g, fresh %g", q, s.Quantile(q), fresh.Quantile(q))
		}
	}
	// The buckets the values use were allocated before the reset.
	allocs := testing.AllocsPerRun(100, func() {
		s.Reset()
		for _, v := range vals {
			s.Add(v)
		}
	})
	if allocs != 0 {
		t.Errorf("Reset and refill allocated %g times per run, want 0", allocs)
	}
}

func TestSketchZeroNegativeAndEdgeValues(t *testing.T) {
	var empty Sketch
	if !math.IsNaN(empty.Quantile(0.5)) || !math.IsNaN(empty.Mean()) || empty.Count() != 0 {
		t.Errorf("empty sketch: q50 %g mean %g count %g", empty.Quantile(0.5), empty.Mean(), empty.Count())
	}

	zeros := sketchOf([]float64{0, 0, 0})
	for _, q := range []float64{0, 0.5, 1} {
		if zeros.Quantile(q) != 0 {
			t.Errorf("all zeros: q%g = %g, want 0", q, zeros.Quantile(q))
		}
	}
	if zeros.Mean() != 0 || zeros.Count() != 3 {
		t.Errorf("all zeros: mean %g count %g", zeros.Mean(), zeros.Count())
	}

	// Sorted: -5 -3 0 3 8. Nearest ranks: q=0.4 -> rank 2 (-3), q=0.5 -> rank 3 (0), q=0.7 -> rank 4 (3).
	mixed := sketchOf([]float64{3, -5, 0, 8, -3})
	for _, c := range []struct{ q, want float64 }{{0, -5}, {0.2, -5}, {0.4, -3}, {0.5, 0}, {0.7, 3}, {0.9, 8}, {1, 8}} {
		got := mixed.Quantile(c.q)
		if math.Abs(got-c.want) > SketchAccuracy*math.Abs(c.want) {
			t.Errorf("mixed: q%g = %g, want %g within 1%%", c.q, got, c.want)
		}
	}
	if mixed.Sum() != 3 || mixed.Mean() != 0.6 || mixed.Min() != -5 || mixed.Max() != 8 {
		t.Errorf("mixed: sum %g mean %g min %g max %g", mixed.Sum(), mixed.Mean(), mixed.Min(), mixed.Max())
	}

	// Ignored inputs: NaN values, n <= 0, NaN n.
	var s Sketch
	s.Add(math.NaN())
	s.AddN(5, 0)
	s.AddN(5, -2)
	s.AddN(5, math.NaN())
	if s.Count() != 0 {
		t.Errorf("ignored inputs were counted: %g", s.Count())
	}
	s.AddN(5, 3)
	if s.Count() != 3 || s.Sum() != 15 {
		t.Errorf("AddN(5, 3): count %g sum %g", s.Count(), s.Sum())
	}

	// Tiny magnitudes count as zero.
	tiny := sketchOf([]float64{1e-12, -1e-12, 1e-10})
	if got := tiny.Quantile(0.5); got != 0 {
		t.Errorf("tiny: q50 = %g, want 0", got)
	}
}

// TestSketchAddBucket: values known only by bucket are reported at the
// bucket's point, which lies inside the bucket.
func TestSketchAddBucket(t *testing.T) {
	var s Sketch
	i := BucketIndex(250)
	s.AddBucket(i, 4)
	s.AddBucket(i, 0)
	lo, hi := BucketUpper(i-1), BucketUpper(i)
	if !(lo < 250 && 250 <= hi) {
		t.Fatalf("BucketIndex(250) = %d covers (%g, %g]", i, lo, hi)
	}
	q := s.Quantile(0.5)
	if !(lo < q && q <= hi) || math.Abs(q-250) > SketchAccuracy*250 {
		t.Errorf("AddBucket point %g: want inside (%g, %g] and within 1%% of 250", q, lo, hi)
	}
	if s.Count() != 4 || s.Sum() != 4*q {
		t.Errorf("AddBucket: count %g sum %g", s.Count(), s.Sum())
	}
}

func TestSketchCopyFrom(t *testing.T) {
	a := sketchOf([]float64{1, 2, 3})
	var b Sketch
	b.CopyFrom(a)
	a.Add(1000)
	if b.Count() != 3 || b.Quantile(1) != 3 || b.Quantile(0.99) > 3 {
		t.Errorf("copy shares memory with its source: count %g max %g", b.Count(), b.Quantile(1))
	}
}

// BenchmarkSketchAdd: the per-invocation cost of recording a latency.
func BenchmarkSketchAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	vals := make([]float64, 4096)
	for i := range vals {
		vals[i] = math.Exp(4 + rng.NormFloat64())
	}
	var s Sketch
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Add(vals[i&4095])
	}
}
