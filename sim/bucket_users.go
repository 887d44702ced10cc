package sim

import "math"

// usersHit draws the number of distinct users among f candidate failures,
// each failure's user drawn independently from the Zipf activity law (as the
// per-request engine does at each failure): exactly, at a cost bounded by
// the population, not by the rate. With f <= N it draws the f users one by
// one; with more failures than users it draws the failures' multinomial over
// users by sequential binomials (user k gets Binomial(left, q_k/mass left)),
// which visits each user at most once and stops when no failure is left.
func (e *bucketEngine) usersHit(f int64) int64 {
	n := e.s.Users.N
	if f <= int64(n) {
		for i := int64(0); i < f; i++ {
			e.hit.add(e.zipf.sample(e.r))
		}
		return e.hit.n
	}
	s := e.s.Users.Exponent
	total := 0.0
	for k := n; k >= 1; k-- { // smallest terms first, for accuracy
		total += math.Pow(float64(k), -s)
	}
	rem, mass := f, 1.0
	var distinct int64
	for k := 1; k <= n && rem > 0; k++ {
		q := math.Pow(float64(k), -s) / total
		p := 1.0
		if k < n && mass > q {
			p = q / mass
		}
		c := binomialDraw(e.r, rem, p)
		if c > 0 {
			distinct++
		}
		rem -= c
		mass -= q
	}
	return distinct
}
