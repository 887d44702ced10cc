// Package seed derives the random sources of simulation runs from seeds.
//
// A run's randomness comes from one PCG generator (math/rand/v2) whose two
// 64-bit state words are SplitMix64 mixes of the run's seed, so nearby seeds
// (0, 1, 2, …) give unrelated streams. A Monte Carlo of many runs derives run
// i's seed from (base seed, i) with Derive; the result depends only on those
// two numbers, never on worker count, scheduling or platform.
package seed

import "math/rand/v2"

// golden is 2^64/φ, SplitMix64's increment (Steele, Lea, Flood, OOPSLA 2014).
const golden = 0x9e3779b97f4a7c15

// Mix is SplitMix64's finaliser: a bijection of uint64 whose output bits each
// depend on every input bit.
func Mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Derive returns the seed of the index-th run of a family whose base seed is
// base: the (index+1)-th SplitMix64 output of a generator seeded with
// Mix(base). Distinct indices give distinct seeds (Mix is a bijection).
func Derive(base, index uint64) uint64 {
	return Mix(Mix(base) + (index+1)*golden)
}

// PCG returns the generator of a run with seed s.
func PCG(s uint64) *rand.PCG {
	g := uint64(golden)
	return rand.NewPCG(Mix(s+g), Mix(s+2*g))
}
