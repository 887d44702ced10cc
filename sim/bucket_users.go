package sim

import (
	"math"
	"math/rand/v2"

	"github.com/deploysim/deploysim/internal/xmath"
)

// Users hit in the bucketed engine.
//
// Given the f candidate failures of a run, each failure's user is drawn
// independently from the Zipf activity law w_k = k^-s / H (H = Σ_{k≤N}
// k^-s), as the per-request engine does at each failure, and the figure is
// the number D of distinct users among them: the occupancy of f balls
// thrown into N cells of probabilities w_k. Its conditional law has the
// closed-form mean
//
//	E[D | f] = Σ_k 1 - (1-w_k)^f
//
// and, as cov(hit_i, hit_j) = (1-w_i-w_j)^f - q_i q_j with q_k = (1-w_k)^f,
// to first order in f·w_i·w_j (each such term also carries q_i q_j =
// e^{-f(w_i+w_j)}, so it is only large where the product is negligible),
// the variance
//
//	Var[D | f] ≈ Σ_k q_k(1-q_k) - f (Σ_k w_k q_k)² + f Σ_k w_k² q_k²,
//
// the de-Poissonised variance of the independent-cells approximation minus
// the negative dependence of a fixed number of balls.
//
// The draw (usersLaw.draw) costs the same whatever N and the request rate:
//
//   - f <= usersDirect: exact, the f users drawn one by one (Zipf
//     rejection-inversion, O(1) per draw) into a small hash set;
//   - otherwise the sums above are taken over weight classes: ranks below
//     20 one by one, then runs of ranks [a, 1.1a) whose weights differ by
//     at most a factor 1.1^s, each class's users taken at their mean weight
//     (the class's total is exact, by Euler–Maclaurin summation; only the
//     spread of weights inside a class is neglected: a relative error of
//     the mean of 1.6e-4 at s = 1 and 3.9e-4 at s = 2 at worst over f from
//     300 to 10^6, N = 10^4 and 10^6; TestUsersHitClosedForm bounds it by
//     1e-3). Then:
//   - when fewer than usersTail users are expected to be missed, D = N - E
//     with E a count of rare events (rareCount: Poisson, or binomial with
//     the variance above in a small population) of mean E[N-D];
//   - when fewer than usersTail collisions are expected, D = f - C with C
//     likewise of mean f - E[D];
//   - otherwise D is the rounded normal with the mean and variance above,
//     clipped to [1, min(f, N)].
//
// TestUsersHitLaw compares these draws with exact occupancy draws (two
// samples, Kolmogorov–Smirnov, and the variance) over the regimes, and
// TestUsersHitClosedForm their mean with the closed form.
const (
	usersDirect = 256
	usersTail   = 30.0
)

// userClass is a run of ranks with (about) the same weight.
type userClass struct {
	m float64 // users in the class
	w float64 // mean weight of one of them (the class's share / m)
	l float64 // log(1 - w), so that (1-w)^f = exp(f·l)
}

// usersLaw is what draws users hit for one population (N, s); it is built
// once per scenario and kept by a Runner from run to run.
type usersLaw struct {
	n   int
	s   float64
	cls []userClass
	z   zipf
	set []int32 // open-addressing hash set for the direct draw (-1: empty)
}

// init prepares the law for N = n users of exponent s, unless it already is.
func (u *usersLaw) init(n int, s float64) {
	if u.cls != nil && u.n == n && u.s == s {
		return
	}
	u.n, u.s = n, s
	u.z = newZipf(n, s)
	if u.set == nil {
		u.set = make([]int32, 2*usersDirect)
	}
	u.cls = u.cls[:0]
	for a := 1; a <= n; {
		b := a + max(1, a/10)
		if b > n+1 {
			b = n + 1
		}
		u.cls = append(u.cls, userClass{m: float64(b - a), w: zipfSum(a, b, s)})
		a = b
	}
	total := 0.0
	for i := len(u.cls) - 1; i >= 0; i-- { // smallest terms first
		total += u.cls[i].w
	}
	for i := range u.cls {
		c := &u.cls[i]
		c.w = c.w / total / c.m
		c.l = xmath.Log1p(-c.w)
	}
}

// zipfSum is Σ_{k=a}^{b-1} k^-s: term by term for short runs or small
// ranks, otherwise by the Euler–Maclaurin formula with three correction
// terms, whose remainder is below s(s+1)…(s+4)·a^(-s-5)/30240 relative to
// a^-s, under 1e-9 for a >= 20 and s <= 3.
func zipfSum(a, b int, s float64) float64 {
	if b-a <= 8 || a < 20 {
		sum := 0.0
		for k := b - 1; k >= a; k-- {
			sum += xmath.Pow(float64(k), -s)
		}
		return sum
	}
	x, y := float64(a), float64(b)
	f := func(t float64) float64 { return xmath.Pow(t, -s) }
	var integral float64
	if s == 1 {
		integral = xmath.Log(y / x)
	} else {
		integral = (xmath.Pow(y, 1-s) - xmath.Pow(x, 1-s)) / (1 - s)
	}
	// Products converted where they meet a sum: no fused multiply-add on arm64.
	d1 := func(t float64) float64 { return float64(-s * xmath.Pow(t, -s-1)) }
	d3 := func(t float64) float64 { return float64(-s * (s + 1) * (s + 2) * xmath.Pow(t, -s-3)) }
	return integral + float64((f(x)-f(y))/2) + float64((d1(y)-d1(x))/12) - float64((d3(y)-d3(x))/720)
}

// draw draws the number of distinct users among f failures.
func (u *usersLaw) draw(r *rand.Rand, f int64) int64 {
	if f <= 0 || u.n <= 0 {
		return 0
	}
	if f <= usersDirect {
		return u.direct(r, int(f))
	}
	n := float64(u.n)
	ff := float64(f)
	var mean, vind, wq, w2q2 float64
	for i := range u.cls {
		c := &u.cls[i]
		q := xmath.Exp(ff * c.l)
		mean += float64(c.m * (1 - q)) // products converted: no fused multiply-add on arm64
		vind += float64(c.m * q * (1 - q))
		wq += float64(c.m * c.w * q)
		w2q2 += float64(c.m * c.w * c.w * q * q)
	}
	hi := min(ff, n)
	v := math.Max(0, vind-float64(ff*wq*wq)+float64(ff*w2q2))
	switch {
	case n-mean < usersTail:
		return int64(n) - min(rareCount(r, n-mean, v), int64(n)-1)
	case ff-mean < usersTail:
		return f - min(rareCount(r, ff-mean, v), f-1)
	}
	d := math.Floor(mean + float64(math.Sqrt(v)*r.NormFloat64()) + 0.5)
	return int64(math.Max(1, math.Min(hi, d)))
}

// rareCount draws a count of rare events (missed users, collisions) of mean
// mu and variance v <= mu: Poisson(mu) when v is within 0.1 % of mu (many
// cells, each rarely involved), otherwise the binomial with that mean and
// variance, Binomial(⌈mu²/(mu-v)⌉, mu/n), whose smaller variance is the
// negative dependence that a small population shows.
func rareCount(r *rand.Rand, mu, v float64) int64 {
	if !(mu > 0) {
		return 0
	}
	if v >= mu*(1-1e-3) {
		return poissonDraw(r, mu)
	}
	n := math.Ceil(mu * mu / (mu - v))
	return binomialDraw(r, int64(n), mu/n)
}

// direct draws the f users one by one and counts the distinct ones.
func (u *usersLaw) direct(r *rand.Rand, f int) int64 {
	set := u.set
	for i := range set {
		set[i] = -1
	}
	mask := uint32(len(set) - 1)
	var d int64
	for i := 0; i < f; i++ {
		k := int32(u.z.sample(r))
		h := (uint32(k) * 0x9E3779B1) & mask
		for set[h] != -1 && set[h] != k {
			h = (h + 1) & mask
		}
		if set[h] == -1 {
			set[h] = k
			d++
		}
	}
	return d
}
