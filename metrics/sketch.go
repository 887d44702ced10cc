package metrics

import (
	"math"

	"github.com/deploysim/deploysim/internal/xmath"
)

// SketchAccuracy is the relative accuracy of Sketch quantiles: a quantile
// estimate q̂ of a true sample quantile q satisfies |q̂-q| <= SketchAccuracy·|q|
// (for |q| above the zero threshold of 1e-9, below which values count as 0).
// It is the DDSketch guarantee (Masson, Rim, Lee, VLDB 2019) for log-spaced
// buckets with ratio gamma = (1+a)/(1-a).
const SketchAccuracy = 0.01

var (
	sketchGamma    = (1 + SketchAccuracy) / (1 - SketchAccuracy)
	sketchLogGamma = xmath.Log(sketchGamma) // xmath: the same bits on every GOARCH
)

// Sketch is a mergeable quantile sketch (latencies in milliseconds,
// concurrency). Buckets are log-spaced with a fixed global indexing, so
// merging two sketches adds bucket counts and is exact: the merge of the
// sketches of two samples is the sketch of their union (counts are float64,
// exact for whole counts below 2^53). Count, Min and Max are exact; Sum is
// the float64 sum, so it depends on the order of the additions in its last
// bits. Negative values are kept in a mirrored set of buckets with the same
// guarantee; values with |v| <= 1e-9 count as 0. The zero value is an empty
// sketch ready to use. A Sketch holds a slice: copy one with CopyFrom, not
// with assignment. A nil *Sketch reads as an empty one (Count, Sum, Min,
// Max, Mean, Quantile); the methods that record need a Sketch.
type Sketch struct {
	count    float64
	sum      float64
	min, max float64
	zeros    float64        // values with |v| <= minIndexable
	pos      store[float64] // v > minIndexable, by BucketIndex(v)
	neg      store[float64] // v < -minIndexable, by BucketIndex(-v)
}

// minIndexable: values at or below it in magnitude land in the zero bucket.
const minIndexable = 1e-9

// BucketIndex returns the index of the bucket that holds v (> 1e-9): the
// integer i with ceil(ln v / ln gamma) = i, computed as bucketIndexSlow does
// it. It is on every sketch insertion, so for the values a simulation
// records (2^-30 <= v < 2^64) it avoids math.Log: an estimate from the
// exponent and a table of the mantissa's top bits is within one bucket, and
// comparisons with bucketBound, the exact largest float64 of each bucket
// under bucketIndexSlow, settle it. The result is the same function of v,
// bit for bit (TestBucketIndexMatchesDefinition checks every float64 within
// 4096 ulps of every bound, where only the rounding of math.Log could
// decide).
func BucketIndex(v float64) int {
	bits := math.Float64bits(v)
	e := int(bits>>52) - 1023 // v = 2^e · (1 + m), sign bit clear for v > 0
	if e < bucketFastMinExp || e > bucketFastMaxExp {
		return bucketIndexSlow(v)
	}
	x := float64(float64(e)*math.Ln2) + bucketLogMant[(bits>>(52-bucketMantBits))&(1<<bucketMantBits-1)]
	i := int(x*bucketInvLogGamma) - bucketFastMin
	// x underestimates ln v by less than one bucket, so i is the index or up
	// to two below it; the bounds move it up (and down, for safety).
	for v > bucketBound[i] {
		i++
	}
	for i > 0 && v <= bucketBound[i-1] {
		i--
	}
	return i + bucketFastMin
}

// bucketIndexSlow is the definition of the bucket index.
func bucketIndexSlow(v float64) int { return int(math.Ceil(xmath.Log(v) / sketchLogGamma)) }

// The fast path of BucketIndex covers exponents [bucketFastMinExp,
// bucketFastMaxExp] (about 9.3e-10 up to 1.8e19); bucketBound[k] is the
// largest float64 whose bucketIndexSlow is bucketFastMin+k.
const (
	bucketFastMinExp = -31
	bucketFastMaxExp = 63
	bucketMantBits   = 8
)

var (
	bucketInvLogGamma = 1 / sketchLogGamma
	// bucketLogMant[j] = ln(1 + j/2^bucketMantBits): the log of the
	// mantissa truncated to its top bits, at most ln(1+2^-8) ≈ 0.0039 below
	// ln of the full mantissa, a fifth of a bucket (ln gamma ≈ 0.02).
	bucketLogMant = func() (t [1 << bucketMantBits]float64) {
		for j := range t {
			t[j] = xmath.Log1p(float64(j) / (1 << bucketMantBits))
		}
		return t
	}()
	bucketFastMin = bucketIndexSlow(math.Ldexp(1, bucketFastMinExp)) - 2
	bucketBound   = makeBucketBounds()
)

// makeBucketBounds finds, for each bucket of the fast range, the largest
// float64 that bucketIndexSlow maps to it, by stepping ulp by ulp from
// BucketUpper (which is within a few ulps of it).
func makeBucketBounds() []float64 {
	hi := bucketIndexSlow(math.Ldexp(1, bucketFastMaxExp+1)) + 2
	b := make([]float64, hi-bucketFastMin+1)
	for k := range b {
		i := bucketFastMin + k
		u := BucketUpper(i)
		for bucketIndexSlow(u) > i {
			u = math.Nextafter(u, 0)
		}
		for bucketIndexSlow(math.Nextafter(u, math.Inf(1))) <= i {
			u = math.Nextafter(u, math.Inf(1))
		}
		b[k] = u
	}
	return b
}

// BucketUpper returns the upper bound gamma^i of bucket i; bucket i holds
// values in (BucketUpper(i-1), BucketUpper(i)].
func BucketUpper(i int) float64 { return xmath.Exp(float64(float64(i) * sketchLogGamma)) }

// bucketValue is the value reported for bucket i: the point 2·gamma^i/(1+gamma),
// whose relative distance to both ends of the bucket is (gamma-1)/(gamma+1) =
// SketchAccuracy, so every value in the bucket is within the guarantee.
func bucketValue(i int) float64 { return 2 * BucketUpper(i) / (1 + sketchGamma) }

// store is a dense run of bucket counts starting at bucket index offset.
// It is shared by Sketch (float counts) and the Summary's exact integer
// sketch.
type store[C int64 | float64] struct {
	offset int
	counts []C
}

func (st *store[C]) add(i int, n C) {
	if len(st.counts) == 0 {
		if cap(st.counts) == 0 {
			st.counts = make([]C, 1, 64)
		} else {
			st.counts = st.counts[:1]
			st.counts[0] = 0
		}
		st.offset = i
	}
	if i < st.offset {
		grow := st.offset - i
		old := len(st.counts)
		for k := 0; k < grow; k++ {
			st.counts = append(st.counts, 0)
		}
		copy(st.counts[grow:], st.counts[:old])
		clear(st.counts[:grow])
		st.offset = i
	}
	for i-st.offset >= len(st.counts) {
		st.counts = append(st.counts, 0)
	}
	st.counts[i-st.offset] += n
}

func (st *store[C]) reset() { st.counts = st.counts[:0]; st.offset = 0 }

func (st *store[C]) merge(o *store[C]) {
	for j, c := range o.counts {
		if c != 0 {
			st.add(o.offset+j, c)
		}
	}
}

// trimmed returns the counts without leading and trailing zero buckets and
// the index of the first one, so two stores that hold the same counts have
// the same trimmed form whatever their history.
func (st *store[C]) trimmed() (offset int, counts []C) {
	lo, hi := 0, len(st.counts)
	for lo < hi && st.counts[lo] == 0 {
		lo++
	}
	for hi > lo && st.counts[hi-1] == 0 {
		hi--
	}
	if lo == hi {
		return 0, nil
	}
	return st.offset + lo, st.counts[lo:hi]
}

func (st *store[C]) copyFrom(o *store[C]) {
	st.counts = append(st.counts[:0], o.counts...)
	st.offset = o.offset
}

// Add records one value.
func (s *Sketch) Add(v float64) { s.AddN(v, 1) }

// AddN records n copies of value v. NaN values and n <= 0 are ignored.
func (s *Sketch) AddN(v float64, n float64) {
	if n <= 0 || math.IsNaN(v) || math.IsNaN(n) {
		return
	}
	s.note(v, n)
	switch {
	case v > minIndexable:
		s.pos.add(BucketIndex(v), n)
	case v < -minIndexable:
		s.neg.add(BucketIndex(-v), n)
	default:
		s.zeros += n
	}
}

func (s *Sketch) note(v, n float64) {
	if s.count == 0 || v < s.min {
		s.min = v
	}
	if s.count == 0 || v > s.max {
		s.max = v
	}
	s.count += n
	s.sum += float64(v * n) // converted: not fused into a multiply-add on arm64 (same bits on every GOARCH)
}

// AddBucket records n positive values known only to lie in bucket i (used by
// the bucketed engine, which draws bucket counts directly). It updates Count,
// and Sum, Min and Max from the bucket's representative value.
func (s *Sketch) AddBucket(i int, n float64) {
	if n <= 0 || math.IsNaN(n) {
		return
	}
	s.note(bucketValue(i), n)
	s.pos.add(i, n)
}

// Reset empties the sketch, keeping its memory for reuse.
func (s *Sketch) Reset() {
	s.count, s.sum, s.min, s.max, s.zeros = 0, 0, 0, 0, 0
	s.pos.reset()
	s.neg.reset()
}

// CopyFrom makes s a copy of o that shares no memory with it (empty for a
// nil o).
func (s *Sketch) CopyFrom(o *Sketch) {
	if o == nil {
		s.Reset()
		return
	}
	s.count, s.sum, s.min, s.max, s.zeros = o.count, o.sum, o.min, o.max, o.zeros
	s.pos.copyFrom(&o.pos)
	s.neg.copyFrom(&o.neg)
}

// Merge adds every value recorded in o to s.
func (s *Sketch) Merge(o *Sketch) {
	if o == nil || o.count == 0 {
		return
	}
	if s.count == 0 || o.min < s.min {
		s.min = o.min
	}
	if s.count == 0 || o.max > s.max {
		s.max = o.max
	}
	s.count += o.count
	s.sum += o.sum
	s.zeros += o.zeros
	s.pos.merge(&o.pos)
	s.neg.merge(&o.neg)
}

// Count is the number of values recorded.
func (s *Sketch) Count() float64 {
	if s == nil {
		return 0
	}
	return s.count
}

// Sum is the sum of the values recorded.
func (s *Sketch) Sum() float64 {
	if s == nil {
		return 0
	}
	return s.sum
}

// Min is the smallest value recorded (0 when empty).
func (s *Sketch) Min() float64 {
	if s == nil {
		return 0
	}
	return s.min
}

// Max is the largest value recorded (0 when empty).
func (s *Sketch) Max() float64 {
	if s == nil {
		return 0
	}
	return s.max
}

// Mean is Sum/Count (NaN when empty).
func (s *Sketch) Mean() float64 {
	if s == nil || s.count == 0 {
		return math.NaN()
	}
	return s.sum / s.count
}

// Quantile returns the q-quantile (q in [0, 1]) of the recorded values: the
// value of rank ceil(q·Count) (nearest rank, the definition CloudWatch's
// percentiles follow), within SketchAccuracy relative error, clamped to
// [Min, Max]. q <= 0 gives Min and q >= 1 gives Max exactly. It returns NaN
// for an empty sketch or a NaN q.
func (s *Sketch) Quantile(q float64) float64 {
	if s == nil || s.count == 0 || math.IsNaN(q) {
		return math.NaN()
	}
	if q <= 0 {
		return s.min
	}
	if q >= 1 {
		return s.max
	}
	rank := math.Ceil(q * s.count)
	if rank < 1 {
		rank = 1
	}
	v, ok := walk(&s.neg, s.zeros, &s.pos, rank)
	if !ok {
		return s.max
	}
	return math.Max(s.min, math.Min(s.max, v))
}

// walk finds the bucket that holds the value of the given rank (1-based),
// from the most negative bucket up, and returns its representative value.
func walk[C int64 | float64](neg *store[C], zeros C, pos *store[C], rank C) (float64, bool) {
	var seen C
	for j := len(neg.counts) - 1; j >= 0; j-- {
		seen += neg.counts[j]
		if seen >= rank {
			return -bucketValue(neg.offset + j), true
		}
	}
	seen += zeros
	if seen >= rank {
		return 0, true
	}
	for j, c := range pos.counts {
		seen += c
		if seen >= rank {
			return bucketValue(pos.offset + j), true
		}
	}
	return 0, false
}
