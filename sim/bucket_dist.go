package sim

import (
	"github.com/deploysim/deploysim/internal/xmath"
	"math"
	"math/rand/v2"

	"github.com/deploysim/deploysim/metrics"
)

// durLaw is the law of the duration D (milliseconds) of one class of
// invocations in the bucketed engine: the version's latency scaled by the
// fault's factor and conditioned on not exceeding the timeout (an invocation
// that would exceed it is in the timeout class instead, whose duration is
// the point mass at the timeout: point).
//
// The bucketed engine needs, besides the CDF, the integral of the survival
// function S(x) = P(D > x): a request arriving uniformly in [a, b) is still
// running at t with probability (1/(b-a))∫_{t-b}^{t-a} S(u) du, and the
// partial expectations that thin a latency-sketch bucket follow from it by
// parts. Both are closed form for the lognormal; for any other sampler with
// a CDF the integral is taken by composite Simpson quadrature.
type durLaw struct {
	point bool    // every duration is exactly at
	at    float64 // the point, ms

	// Continuous law: base latency L (lognormal mu, sigma, or cdf) times
	// factor, conditioned on D <= trunc (+Inf: no timeout).
	logn      bool
	mu, sigma float64
	cdf       func(float64) float64
	factor    float64
	trunc     float64
	fT, sT    float64 // base F and S at trunc/factor: the normaliser and the cut mass

	// F and S at the sketch's bucket bounds BucketUpper(j), j = tabBase+i,
	// computed on first use (NaN: not yet); a Runner keeps them from run to
	// run while the law is the same.
	tabBase          int
	fTab, sTab, iTab []float64 // iTab[i]: IS over bucket j = tabBase+i, (BucketUpper(j-1), BucketUpper(j)]
}

// same reports whether l and o are the same law (the bucketed engine then
// draws their durations together).
func (l *durLaw) same(o *durLaw) bool {
	return l.point == o.point && l.at == o.at && l.logn == o.logn && l.cdf == nil && o.cdf == nil &&
		l.mu == o.mu && l.sigma == o.sigma && l.factor == o.factor && l.trunc == o.trunc
}

// reuse takes old's bound tables when old is the same lognormal law, and
// otherwise old's memory for fresh ones.
func (l *durLaw) reuse(old *durLaw) {
	if old.fTab != nil && l.logn && old.logn && l.mu == old.mu && l.sigma == old.sigma &&
		l.factor == old.factor && l.trunc == old.trunc {
		l.tabBase, l.fTab, l.sTab, l.iTab = old.tabBase, old.fTab, old.sTab, old.iTab
		return
	}
	l.fTab, l.sTab, l.iTab = old.fTab, old.sTab, old.iTab
	l.initTab()
}

func (l *durLaw) initTab() {
	l.tabBase = metrics.BucketIndex(sketchZero) - 2
	n := metrics.BucketIndex(maxLatencyMs) - l.tabBase + 2
	if cap(l.fTab) < n || cap(l.iTab) < n {
		l.fTab, l.sTab, l.iTab = make([]float64, n), make([]float64, n), make([]float64, n)
	}
	l.fTab, l.sTab, l.iTab = l.fTab[:n], l.sTab[:n], l.iTab[:n]
	for i := range l.fTab {
		l.fTab[i], l.sTab[i], l.iTab[i] = math.NaN(), math.NaN(), math.NaN()
	}
}

// fAt and sAt are F and S at BucketUpper(j).
func (l *durLaw) fAt(j int) float64 {
	if l.fTab == nil {
		l.initTab()
	}
	i := j - l.tabBase
	if i < 0 || i >= len(l.fTab) {
		return l.F(metrics.BucketUpper(j))
	}
	if v := l.fTab[i]; v == v {
		return v
	}
	v := l.F(metrics.BucketUpper(j))
	l.fTab[i] = v
	return v
}

func (l *durLaw) sAt(j int) float64 {
	if l.sTab == nil {
		l.initTab()
	}
	i := j - l.tabBase
	if i < 0 || i >= len(l.sTab) {
		return l.S(metrics.BucketUpper(j))
	}
	if v := l.sTab[i]; v == v {
		return v
	}
	v := l.S(metrics.BucketUpper(j))
	l.sTab[i] = v
	return v
}

// newDurLaw builds the law of lat·factor conditioned on <= timeout (0: none).
func newDurLaw(lat Sampler, factor float64, timeoutMs float64) durLaw {
	l := durLaw{factor: factor, trunc: math.Inf(1)}
	if ln, ok := lat.(LogNormal); ok {
		l.logn, l.mu, l.sigma = true, ln.Mu, ln.Sigma
	} else if c, ok := lat.(cdfer); ok {
		l.cdf = c.CDF
	}
	l.fT, l.sT = 1, 0
	if timeoutMs > 0 {
		l.trunc = timeoutMs
		l.fT, l.sT = l.baseF(timeoutMs/factor), l.baseS(timeoutMs/factor)
	}
	return l
}

// pointLaw is the law of a duration that is always at (a timeout).
func pointLaw(at float64) durLaw { return durLaw{point: true, at: at} }

// baseF and baseS are the CDF and survival function of the base latency L,
// each computed from its own tail so that small values keep their precision.
func (l *durLaw) baseF(y float64) float64 {
	if !(y > 0) {
		if l.logn || l.cdf == nil {
			return 0
		}
	}
	if l.logn {
		if l.sigma == 0 {
			if xmath.Log(y) >= l.mu {
				return 1
			}
			return 0
		}
		return 0.5 * xmath.Erfc(-(xmath.Log(y)-l.mu)/(l.sigma*math.Sqrt2))
	}
	return math.Min(1, math.Max(0, l.cdf(y)))
}

func (l *durLaw) baseS(y float64) float64 {
	if l.logn {
		if !(y > 0) {
			return 1
		}
		if l.sigma == 0 {
			if xmath.Log(y) >= l.mu {
				return 0
			}
			return 1
		}
		return 0.5 * xmath.Erfc((xmath.Log(y)-l.mu)/(l.sigma*math.Sqrt2))
	}
	return 1 - l.baseF(y)
}

// phiDiff is Φ(w2) - Φ(w1) for w1 <= w2, from whichever tail keeps precision.
func phiDiff(w1, w2 float64) float64 {
	if w1 > 0 {
		return 0.5 * (xmath.Erfc(w1/math.Sqrt2) - xmath.Erfc(w2/math.Sqrt2))
	}
	return 0.5 * (xmath.Erfc(-w2/math.Sqrt2) - xmath.Erfc(-w1/math.Sqrt2))
}

// baseIS is ∫_{y1}^{y2} S_L(u) du for 0 <= y1 <= y2 < ∞.
//
// Lognormal: by parts, ∫ S = [u S(u)] + ∫ u f(u) du, and the partial
// expectation is E[L; L <= y] = e^{μ+σ²/2} Φ((ln y - μ - σ²)/σ).
func (l *durLaw) baseIS(y1, y2 float64) float64 {
	if !(y2 > y1) {
		return 0
	}
	if l.logn {
		if l.sigma == 0 {
			m := xmath.Exp(l.mu)
			return math.Max(0, math.Min(y2, m)-math.Min(y1, m))
		}
		z := func(y float64) float64 {
			if y <= 0 {
				return math.Inf(-1)
			}
			return (xmath.Log(y) - l.mu) / l.sigma
		}
		z1, z2 := z(y1), z(y2)
		pe := float64(xmath.Exp(l.mu+float64(float64(l.sigma*l.sigma)/2)) * phiDiff(z1-l.sigma, z2-l.sigma))
		v := float64(y2*l.baseS(y2)) - float64(y1*l.baseS(y1)) + pe // converted: no fused multiply-add on arm64
		return math.Max(0, math.Min(v, y2-y1))
	}
	// Composite Simpson on 64 panels (S is monotone and bounded by 1).
	const panels = 64
	h := (y2 - y1) / panels
	sum := l.baseS(y1) + l.baseS(y2)
	for i := 1; i < panels; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		sum += float64(w * l.baseS(y1+float64(float64(i)*h)))
	}
	return math.Max(0, math.Min(sum*h/3, y2-y1))
}

// S is P(D > x).
func (l *durLaw) S(x float64) float64 {
	if l.point {
		if x < l.at {
			return 1
		}
		return 0
	}
	if x < 0 {
		return 1
	}
	if x >= l.trunc || l.fT == 0 {
		return 0
	}
	return math.Max(0, (l.baseS(x/l.factor)-l.sT)/l.fT)
}

// F is P(D <= x), from the lower tail.
func (l *durLaw) F(x float64) float64 {
	if l.point {
		return 1 - l.S(x)
	}
	if x < 0 {
		return 0
	}
	if x >= l.trunc || l.fT == 0 {
		return 1
	}
	return math.Min(1, l.baseF(x/l.factor)/l.fT)
}

// IS is ∫_{x1}^{x2} S(u) du for x1 <= x2 (S = 1 below 0).
func (l *durLaw) IS(x1, x2 float64) float64 {
	if !(x2 > x1) {
		return 0
	}
	if l.point {
		return math.Max(0, math.Min(x2, l.at)-x1)
	}
	v := 0.0
	if x1 < 0 {
		v += math.Min(x2, 0) - x1
		x1 = 0
	}
	hi := math.Min(x2, l.trunc)
	if hi > x1 && l.fT > 0 {
		v += math.Max(0, (float64(l.factor*l.baseIS(x1/l.factor, hi/l.factor))-float64((hi-x1)*l.sT))/l.fT)
	}
	return v
}

// pending is P(s + D > t) for s uniform on [a, b) (a point when a == b),
// all in milliseconds: the probability that a request of the class arriving
// in the bucket is still running at t.
func (l *durLaw) pending(a, b, t float64) float64 {
	if b <= a {
		return l.S(t - a)
	}
	return math.Min(1, l.IS(t-b, t-a)/(b-a))
}

// iAt is IS over sketch bucket j, (BucketUpper(j-1), BucketUpper(j)].
func (l *durLaw) iAt(j int) float64 {
	if l.iTab == nil {
		l.initTab()
	}
	i := j - l.tabBase
	if i >= 0 && i < len(l.iTab) {
		if v := l.iTab[i]; v == v {
			return v // the bounds cost a math.Exp each: only on a miss
		}
	}
	v := l.IS(metrics.BucketUpper(j-1), metrics.BucketUpper(j))
	if i < 0 || i >= len(l.iTab) {
		return v
	}
	l.iTab[i] = v
	return v
}

// inflightInBucket is inflightIn over sketch bucket j, x1 = BucketUpper(j-1)
// and x2 = BucketUpper(j), with the same result: for a continuous law, the
// terms at the bucket's bounds come from the law's tables (computed once
// per scenario), so only the one or two buckets that hold t-b or t-a
// compute S and IS afresh; the others cost no erfc.
func (l *durLaw) inflightInBucket(a, b, t float64, j int, x1, x2 float64) float64 {
	if l.point || b <= a {
		return l.inflightIn(a, b, t, x1, x2)
	}
	l0, l1 := t-b, t-a
	if x2 <= l0 {
		return 0 // every duration of the bucket has ended by t
	}
	if x1 < l0 || (x1 < l1 && x2 > l1) {
		return l.inflightIn(a, b, t, x1, x2) // straddles a bound of the ramp
	}
	sx1, sx2 := l.sAt(j-1), l.sAt(j)
	mass := sx1 - sx2
	if !(mass > 0) {
		return 0
	}
	var num float64
	if x1 >= l1 {
		num = sx1 - sx2 // all of the bucket above the ramp: still running
	} else {
		// Inside the ramp [l0, l1]: the formula of inflightIn with u1 = x1,
		// u2 = x2.
		jv := float64((x1-l0)*sx1) - float64((x2-l0)*sx2) + l.iAt(j) // converted: no fused multiply-add on arm64
		num = math.Max(0, jv) / (l1 - l0)
	}
	return math.Max(0, math.Min(1, num/mass))
}

// inflightIn is P(s + D > t | D in (x1, x2]) for s uniform on [a, b): the
// probability that a request whose duration fell in that sketch bucket is
// still running at t. With h(x) = P(s > t - x), it is ∫ h dF / P(x1 < D <= x2),
// and ∫ (x - L0) dF over an interval is [-(x - L0) S(x)] + ∫ S by parts.
func (l *durLaw) inflightIn(a, b, t, x1, x2 float64) float64 {
	mass := l.S(x1) - l.S(x2)
	if l.point {
		if l.at > x1 && l.at <= x2 {
			return l.pending(a, b, t)
		}
		return 0
	}
	if !(mass > 0) {
		return 0
	}
	l0, l1 := t-b, t-a // h is 0 below l0, 1 above l1, linear between
	num := 0.0
	if b <= a {
		if x2 > l1 {
			num = l.S(math.Max(x1, l1)) - l.S(x2)
		}
		return math.Min(1, num/mass)
	}
	if u1, u2 := math.Max(x1, l0), math.Min(x2, l1); u2 > u1 {
		j := float64((u1-l0)*l.S(u1)) - float64((u2-l0)*l.S(u2)) + l.IS(u1, u2)
		num += math.Max(0, j) / (l1 - l0)
	}
	if x2 > l1 {
		num += l.S(math.Max(x1, l1)) - l.S(x2)
	}
	return math.Max(0, math.Min(1, num/mass))
}

// sketchDraw holds one multinomial draw of n durations over the sketch's
// global log buckets: counts[j-base] values in bucket j for j in [min, max],
// and zeros values at or below the sketch's zero threshold. Its memory
// covers every bucket a duration can fall in and is reused between draws.
type sketchDraw struct {
	base     int
	counts   []int64
	min, max int
	zeros    int64
	upper    []float64 // upper[j-base+1] = metrics.BucketUpper(j), a math.Exp each, computed once
	rep      []float64 // rep[j-base]: the value Sketch.AddBucket records for bucket j (NaN: use AddBucket)
}

// sketchGamma is the sketch's bucket ratio, the value metrics uses.
const sketchGamma = (1 + metrics.SketchAccuracy) / (1 - metrics.SketchAccuracy)

// up is metrics.BucketUpper(j) for j in [base-1, base+len(counts)).
func (d *sketchDraw) up(j int) float64 {
	if i := j - d.base + 1; i >= 0 && i < len(d.upper) {
		return d.upper[i]
	}
	return metrics.BucketUpper(j)
}

func (d *sketchDraw) reset() {
	if d.counts == nil {
		d.base = metrics.BucketIndex(sketchZero) - 1
		d.counts = make([]int64, metrics.BucketIndex(maxLatencyMs)-d.base+2)
		d.upper = make([]float64, len(d.counts)+1)
		for i := range d.upper {
			d.upper[i] = metrics.BucketUpper(d.base - 1 + i)
		}
		// AddN(rep, c) records exactly what AddBucket(j, c) does (the same
		// value, computed by the same operations, and its bucket) without
		// a math.Exp per call; where the bucket of rep were not j, AddBucket.
		d.rep = make([]float64, len(d.counts))
		gamma := float64(sketchGamma) // rounded first, then 1+gamma, as metrics does
		for i := range d.rep {
			j := d.base + i
			d.rep[i] = 2 * d.upper[i+1] / (1 + gamma)
			if metrics.BucketIndex(d.rep[i]) != j {
				d.rep[i] = math.NaN()
			}
		}
	} else if d.min <= d.max {
		clear(d.counts[d.min-d.base : d.max-d.base+1])
	}
	d.min, d.max = math.MaxInt, math.MinInt
	d.zeros = 0
}

func (d *sketchDraw) set(j int, c int64) {
	d.counts[j-d.base] += c
	d.min, d.max = min(d.min, j), max(d.max, j)
}

// add adds the drawn values to s, each bucket at its representative value
// (as Sketch.AddBucket does), except that no value is recorded above top:
// the bucket holding a timeout records its values at most at the timeout,
// so the sketch's Max never exceeds what a request can take.
func (d *sketchDraw) add(s *metrics.Sketch, top float64) {
	if d.zeros > 0 {
		s.AddN(0, float64(d.zeros))
	}
	gamma := metrics.BucketUpper(1)
	for j := d.min; j <= d.max; j++ {
		c := d.counts[j-d.base]
		if c <= 0 {
			continue
		}
		if rep := 2 * d.up(j) / (1 + gamma); rep > top {
			s.AddN(top, float64(c))
		} else if v := d.rep[j-d.base]; v == v {
			s.AddN(v, float64(c))
		} else {
			s.AddBucket(j, float64(c))
		}
	}
}

// sketchZero is the sketch's zero threshold: values at or below count as 0.
const sketchZero = 1e-9

// draw draws the bucket counts of n iid durations of the law into d: the
// counts are Multinomial(n, bucket probabilities), drawn exactly by
// sequential conditional binomials, outwards from the median so that the
// walk stops as soon as every value is placed (its length is the range the
// n values span, not the width of the distribution's support).
func (l *durLaw) draw(r *rand.Rand, n int64, d *sketchDraw) {
	d.reset()
	if n <= 0 {
		return
	}
	if l.point {
		if l.at <= sketchZero {
			d.zeros = n
		} else {
			d.set(metrics.BucketIndex(l.at), n)
		}
		return
	}
	// The median's bucket, by bisection on bucket indices.
	lo, hi := metrics.BucketIndex(sketchZero), metrics.BucketIndex(maxLatencyMs)
	if l.trunc < math.Inf(1) {
		hi = metrics.BucketIndex(l.trunc)
	}
	if l.F(sketchZero) >= 0.5 {
		hi = lo
	}
	for lo < hi {
		m := lo + (hi-lo)/2
		if l.fAt(m) >= 0.5 {
			hi = m
		} else {
			lo = m + 1
		}
	}
	j0 := hi
	below := l.fAt(j0 - 1) // mass of the buckets under j0
	nLow := binomialDraw(r, n, below)
	// Upwards: bucket j takes its share of what lies above bucket j-1.
	rem := n - nLow
	sPrev := l.sAt(j0 - 1)
	for j := j0; rem > 0; j++ {
		x := d.up(j)
		sj := l.sAt(j)
		var c int64
		if sj <= 0 || sPrev <= 0 || x >= maxLatencyMs {
			c = rem
		} else {
			c = binomialDraw(r, rem, (sPrev-sj)/sPrev)
		}
		if c > 0 {
			d.set(j, c)
		}
		rem -= c
		sPrev = sj
	}
	// Downwards: bucket j takes its share of what lies at or below its top.
	rem = nLow
	fPrev := below
	for j := j0 - 1; rem > 0; j-- {
		xl := d.up(j - 1)
		if xl <= sketchZero {
			// The rest is split between this bucket and the zero bucket.
			fz := l.F(sketchZero)
			c := rem
			if fPrev > 0 {
				c = binomialDraw(r, rem, (fPrev-fz)/fPrev)
			}
			if c > 0 {
				d.set(j, c)
			}
			d.zeros += rem - c
			break
		}
		fl := l.fAt(j - 1)
		var c int64
		if fl <= 0 || fPrev <= 0 {
			c = rem
		} else {
			c = binomialDraw(r, rem, (fPrev-fl)/fPrev)
		}
		if c > 0 {
			d.set(j, c)
		}
		rem -= c
		fPrev = fl
	}
}
