package metrics

import (
	"fmt"
	"math/big"
	"slices"

	"github.com/deploysim/deploysim/internal/quote"
)

// ExactValues is how many values of one figure (per population) a Summary
// keeps one by one. Up to that many runs its quantiles are exact order
// statistics, the nearest-rank values of the sample itself, and merging two
// summaries takes the sorted union of their values, so the merge of shards
// still has exact quantiles while the total is within the limit. Beyond it
// the values are dropped and quantiles come from the integer sketch, within
// SketchAccuracy. Whether a figure is exact depends only on how many runs
// had it (and on no part having come without its values, see
// Summary.UnmarshalJSON), so it is the same for any order of adding and
// merging. The cost is 8 bytes per value: at most 2.5 MB for a Summary whose
// sixteen figures all have 10,000 values in both populations.
const ExactValues = 10_000

// accumulator is the exact, mergeable state of one figure, in integer units.
type accumulator struct {
	n        int64
	sum      int128
	sumSq    int128
	min, max int64
	zeros    int64
	pos, neg store[int64]
	// vals holds every value while the figure is exact (n <= ExactValues
	// and inexact unset); sorted says they are in ascending order. The
	// sketch above is kept in both cases.
	vals    []int64
	sorted  bool
	inexact bool
}

// exact reports whether the quantiles of a are order statistics of its values.
func (a *accumulator) exact() bool { return !a.inexact && int64(len(a.vals)) == a.n }

func (a *accumulator) add(u int64) {
	if a.n == 0 || u < a.min {
		a.min = u
	}
	if a.n == 0 || u > a.max {
		a.max = u
	}
	if !a.inexact {
		if a.n < ExactValues {
			a.sorted = len(a.vals) == 0 || (a.isSorted() && u >= a.vals[len(a.vals)-1])
			a.vals = append(a.vals, u)
		} else {
			a.inexact, a.vals, a.sorted = true, nil, false
		}
	}
	a.n++
	a.sum = a.sum.add(int128From(u))
	a.sumSq = a.sumSq.add(square(u))
	a.bucket(u)
}

// bucket counts u in the sketch.
func (a *accumulator) bucket(u int64) {
	switch {
	case u > 0:
		a.pos.add(BucketIndex(float64(u)), 1)
	case u < 0:
		a.neg.add(BucketIndex(float64(-u)), 1)
	default:
		a.zeros++
	}
}

func (a *accumulator) isSorted() bool { return a.sorted || len(a.vals) < 2 }

// sortedVals returns the values in ascending order, without changing a
// (readers may share a Summary).
func (a *accumulator) sortedVals() []int64 {
	if a.isSorted() {
		return a.vals
	}
	c := slices.Clone(a.vals)
	slices.Sort(c)
	return c
}

// mergeCheck returns the sums of a and o, or an error if a count or a sum
// would leave its integer type. It changes nothing.
func (a *accumulator) mergeCheck(o *accumulator) (n int64, sum, sumSq int128, err error) {
	n = a.n + o.n
	if n < a.n {
		return 0, sum, sumSq, fmt.Errorf("n = %d + %d overflows 64 bits", a.n, o.n)
	}
	sum, ok := a.sum.addChecked(o.sum)
	if !ok {
		return 0, sum, sumSq, fmt.Errorf("sum = %s + %s overflows 128 bits", a.sum.big(), o.sum.big())
	}
	sumSq, ok = a.sumSq.addChecked(o.sumSq)
	if !ok {
		return 0, sum, sumSq, fmt.Errorf("sum_sq = %s + %s overflows 128 bits", a.sumSq.big(), o.sumSq.big())
	}
	return n, sum, sumSq, nil
}

// merge adds o to a; mergeCheck must have passed.
func (a *accumulator) merge(o *accumulator) {
	if o.n == 0 {
		return
	}
	if a.n == 0 || o.min < a.min {
		a.min = o.min
	}
	if a.n == 0 || o.max > a.max {
		a.max = o.max
	}
	switch {
	case a.inexact || o.inexact || a.n+o.n > ExactValues:
		a.inexact, a.vals, a.sorted = true, nil, false
	default:
		a.vals, a.sorted = sortedUnion(a.sortedVals(), o.sortedVals()), true
	}
	a.n += o.n
	a.sum = a.sum.add(o.sum)
	a.sumSq = a.sumSq.add(o.sumSq)
	a.zeros += o.zeros
	a.pos.merge(&o.pos)
	a.neg.merge(&o.neg)
}

// sortedUnion merges two ascending lists into a new one.
func sortedUnion(x, y []int64) []int64 {
	out := make([]int64, 0, len(x)+len(y))
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		if y[j] < x[i] {
			out = append(out, y[j])
			j++
		} else {
			out = append(out, x[i])
			i++
		}
	}
	out = append(out, x[i:]...)
	return append(out, y[j:]...)
}

func (a *accumulator) reset() {
	a.n, a.sum, a.sumSq, a.min, a.max, a.zeros = 0, int128{}, int128{}, 0, 0, 0
	a.pos.reset()
	a.neg.reset()
	a.vals, a.sorted, a.inexact = a.vals[:0], false, false
}

func (a *accumulator) clone() accumulator {
	c := *a
	c.pos, c.neg = store[int64]{}, store[int64]{}
	c.pos.copyFrom(&a.pos)
	c.neg.copyFrom(&a.neg)
	c.vals = slices.Clone(a.vals)
	return c
}

func (a *accumulator) equal(o *accumulator) bool {
	if a.n != o.n || a.sum != o.sum || a.sumSq != o.sumSq || a.min != o.min || a.max != o.max || a.zeros != o.zeros ||
		a.exact() != o.exact() {
		return false
	}
	if a.exact() && !slices.Equal(a.sortedVals(), o.sortedVals()) {
		return false
	}
	return storesEqual(&a.pos, &o.pos) && storesEqual(&a.neg, &o.neg)
}

func storesEqual(a, b *store[int64]) bool {
	ao, ac := a.trimmed()
	bo, bc := b.trimmed()
	return ao == bo && slices.Equal(ac, bc)
}

// mean is sum/(n·per) correctly rounded: the mean in display units.
func (a *accumulator) mean(per int64) float64 {
	den := new(big.Int).Mul(big.NewInt(a.n), big.NewInt(per))
	m, _ := new(big.Rat).SetFrac(a.sum.big(), den).Float64()
	return m
}

// variance is (n·Σx² - (Σx)²) / (n(n-1)·per²) computed exactly, then
// rounded once: no cancellation, whatever the size of the mean.
func (a *accumulator) variance(per int64) float64 {
	n := big.NewInt(a.n)
	num := new(big.Int).Mul(n, a.sumSq.big())
	s := a.sum.big()
	num.Sub(num, s.Mul(s, s))
	p := big.NewInt(per)
	den := new(big.Int).Mul(n, big.NewInt(a.n-1))
	den.Mul(den, p).Mul(den, p)
	v, _ := new(big.Rat).SetFrac(num, den).Float64()
	return v
}

// nearestRank is the 1-based rank of the nearest-rank q-quantile of n
// values, ceil(q·n) within [1, n]. q·n is one IEEE multiplication, the
// same on every architecture.
func nearestRank(q float64, n int64) int64 {
	r := q * float64(n)
	k := int64(r)
	if float64(k) < r {
		k++
	}
	return max(1, min(n, k))
}

// quantiles returns the nearest-rank quantiles of a at each q, in units:
// order statistics of the values when a is exact, otherwise the
// representative value of the sketch bucket that holds the rank, clamped
// to the exact [min, max]. q <= 0 gives min and q >= 1 max.
func (a *accumulator) quantiles(qs ...float64) []float64 {
	out := make([]float64, len(qs))
	var sorted []int64
	if a.exact() {
		sorted = a.sortedVals()
	}
	for i, q := range qs {
		switch {
		case q <= 0:
			out[i] = float64(a.min)
		case q >= 1:
			out[i] = float64(a.max)
		case sorted != nil:
			out[i] = float64(sorted[nearestRank(q, a.n)-1])
		default:
			v, ok := walk(&a.neg, a.zeros, &a.pos, nearestRank(q, a.n))
			if !ok {
				v = float64(a.max)
			}
			out[i] = max(float64(a.min), min(float64(a.max), v))
		}
	}
	return out
}

// check verifies the invariants that a state read from a file must hold
// (a hand-edited or corrupt shard breaks at least one of them): min <= max
// within the stored range, min·n <= sum <= max·n (so the mean lies within
// [min, max]), n·sum_sq >= sum² (a variance that is not negative), sum_sq
// <= n·max(min², max²), and the sketch or the values agreeing with n, min
// and max. It returns the name of the broken rule.
func (a *accumulator) check() error {
	if a.n == 0 {
		return nil
	}
	if a.min > a.max || a.min < -maxUnits || a.max > maxUnits {
		return fmt.Errorf("min, max = %d, %d: must satisfy -2^53 <= min <= max <= 2^53", a.min, a.max)
	}
	n := big.NewInt(a.n)
	sum, sumSq := a.sum.big(), a.sumSq.big()
	lo := new(big.Int).Mul(n, big.NewInt(a.min))
	hi := new(big.Int).Mul(n, big.NewInt(a.max))
	if sum.Cmp(lo) < 0 || sum.Cmp(hi) > 0 {
		return fmt.Errorf("sum = %s with n = %d: the mean must lie within [min, max] = [%d, %d]", clip(sum.String()), a.n, a.min, a.max)
	}
	if sumSq.Sign() < 0 {
		return fmt.Errorf("sum_sq = %s: must be >= 0", clip(sumSq.String()))
	}
	if new(big.Int).Mul(n, sumSq).Cmp(new(big.Int).Mul(sum, sum)) < 0 {
		return fmt.Errorf("sum_sq = %s with sum = %s and n = %d: n·sum_sq must be >= sum² (a variance cannot be negative)", clip(sumSq.String()), clip(sum.String()), a.n)
	}
	m := max(absBig(a.min), absBig(a.max))
	bm := new(big.Int).SetUint64(m)
	if sumSq.Cmp(bm.Mul(bm, bm).Mul(bm, n)) > 0 {
		return fmt.Errorf("sum_sq = %s: must be <= n·max(min², max²) = %d·%d²", clip(sumSq.String()), a.n, m)
	}
	if a.exact() {
		return a.checkValues()
	}
	return a.checkSketch()
}

func absBig(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}

// checkValues: the values are the sample, so they must give back n, min,
// max, sum and sum_sq exactly.
func (a *accumulator) checkValues() error {
	v := a.vals
	if !slices.IsSorted(v) {
		return fmt.Errorf("values: must be in ascending order")
	}
	if v[0] != a.min || v[len(v)-1] != a.max {
		return fmt.Errorf("values from %d to %d: must run from min = %d to max = %d", v[0], v[len(v)-1], a.min, a.max)
	}
	var sum, sumSq int128
	for _, u := range v {
		sum = sum.add(int128From(u)) // |u| <= 2^53 and n <= ExactValues: no overflow
		sumSq = sumSq.add(square(u))
	}
	if sum != a.sum {
		return fmt.Errorf("sum = %s: the values add up to %s", clip(a.sum.big().String()), sum.big())
	}
	if sumSq != a.sumSq {
		return fmt.Errorf("sum_sq = %s: the squares of the values add up to %s", clip(a.sumSq.big().String()), sumSq.big())
	}
	return nil
}

// checkSketch: the buckets hold n values, the lowest non-empty one holds
// min and the highest holds max.
func (a *accumulator) checkSketch() error {
	total := a.zeros
	for _, st := range []*store[int64]{&a.pos, &a.neg} {
		for _, c := range st.counts {
			if c < 0 || c > a.n {
				return fmt.Errorf("sketch count %d: must be in [0, n = %d]", c, a.n)
			}
			total += c
		}
	}
	if total != a.n {
		return fmt.Errorf("zeros and bucket counts add up to %d: must equal n = %d", total, a.n)
	}
	posLo, posHi, posOK := bounds(&a.pos)
	negLo, negHi, negOK := bounds(&a.neg)
	// The smallest value: in the largest-magnitude negative bucket, the
	// zeros, or the smallest positive bucket.
	switch {
	case a.min < 0 && (!negOK || negHi != BucketIndex(float64(-a.min))):
		return fmt.Errorf("min = %d: the sketch's most negative bucket must hold it", a.min)
	case a.min == 0 && (negOK || a.zeros == 0):
		return fmt.Errorf("min = 0: the sketch must have zeros and no negative bucket")
	case a.min > 0 && (negOK || a.zeros > 0 || !posOK || posLo != BucketIndex(float64(a.min))):
		return fmt.Errorf("min = %d: the sketch's smallest bucket must hold it", a.min)
	case a.max > 0 && (!posOK || posHi != BucketIndex(float64(a.max))):
		return fmt.Errorf("max = %d: the sketch's largest bucket must hold it", a.max)
	case a.max == 0 && (posOK || a.zeros == 0):
		return fmt.Errorf("max = 0: the sketch must have zeros and no positive bucket")
	case a.max < 0 && (posOK || a.zeros > 0 || !negOK || negLo != BucketIndex(float64(-a.max))):
		return fmt.Errorf("max = %d: the sketch's bucket nearest zero must hold it", a.max)
	}
	return nil
}

// bounds returns the indices of the first and last non-empty buckets.
func bounds(st *store[int64]) (lo, hi int, ok bool) {
	off, c := st.trimmed()
	if len(c) == 0 {
		return 0, 0, false
	}
	return off, off + len(c) - 1, true
}

// clip shortens a quoted value for an error message.
func clip(s string) string { return quote.Clip(s, 48) }
