package sim

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// countArrivals counts the arrivals of w in [a, b) for one seeded run.
func countArrivals(w Workload, sd uint64, a, b time.Duration) float64 {
	p := w.Arrivals(rand.New(rand.NewPCG(sd, sd^0xdeadbeef)))
	n := 0.0
	for t := p.Next(); t < b; t = p.Next() {
		if t >= a {
			n++
		}
	}
	return n
}

// numIntegral integrates rate over [a, b) by the midpoint rule with 1 s
// steps: an integral computed independently of Integral's closed form.
func numIntegral(rate func(time.Duration) float64, a, b time.Duration) float64 {
	sum := 0.0
	for t := a; t < b; t += time.Second {
		sum += rate(t + time.Second/2)
	}
	return sum
}

func TestWorkloadIntegrals(t *testing.T) {
	d := Diurnal{Mean: 10, Amplitude: 0.6, PeakHour: 15, StartHour: 9.5}
	var p Profile
	for h := range p.Hourly {
		p.Hourly[h] = float64(1 + h%7)
	}
	p.StartHour = 22.25
	for _, tc := range []struct {
		name string
		w    Workload
		rate func(time.Duration) float64
	}{
		{"Diurnal", d, d.Rate},
		{"Profile", p, p.Rate},
		{"Poisson", Poisson{Rate: 3.5}, func(time.Duration) float64 { return 3.5 }},
	} {
		for _, iv := range [][2]time.Duration{{0, time.Hour}, {17 * time.Minute, 5 * time.Hour}, {0, 30 * time.Hour}} {
			got := tc.w.Integral(iv[0], iv[1])
			want := numIntegral(tc.rate, iv[0], iv[1])
			// The midpoint rule's error on these smooth or piecewise-linear
			// rates with 1 s steps is far below 1e-6 relative.
			if math.Abs(got-want) > 1e-6*want {
				t.Errorf("%s.Integral(%v, %v) = %v, numerical %v", tc.name, iv[0], iv[1], got, want)
			}
		}
	}
}

// Arrivals of Poisson workloads: the count in [a, b) is Poisson with mean
// Integral(a, b). Over M runs the mean count has standard error sqrt(μ/M)
// (4 of them allowed) and the dispersion index is χ²(M-1) (two-sided 0.1%).
func TestPoissonWorkloadCounts(t *testing.T) {
	var p Profile
	for h := range p.Hourly {
		p.Hourly[h] = 0.2 + float64(h%5)
	}
	tr, err := LoadTrace("testdata/trace.csv")
	if err != nil {
		t.Fatal(err)
	}
	runs := 300
	if testing.Short() {
		runs = 100
	}
	for _, tc := range []struct {
		name string
		w    Workload
		a, b time.Duration
	}{
		{"Poisson", Poisson{Rate: 7}, 10 * time.Second, 10 * time.Minute},
		{"Diurnal", Diurnal{Mean: 2, Amplitude: 0.9, PeakHour: 3, StartHour: 0}, 0, 3 * time.Hour},
		{"Diurnal trough", Diurnal{Mean: 2, Amplitude: 0.9, PeakHour: 3, StartHour: 0}, 13 * time.Hour, 17 * time.Hour},
		{"Profile", p, 30 * time.Minute, 2 * time.Hour},
		{"Trace", tr, 0, 10 * time.Minute},
		{"Trace burst", tr, 4 * time.Minute, 5 * time.Minute},
		{"Trace looped", Trace{Counts: []float64{0, 3, 0.5}, Loop: true}, 0, 20 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.w.Poisson() {
				t.Fatal("Poisson() = false")
			}
			mu := tc.w.Integral(tc.a, tc.b)
			x := make([]float64, runs)
			mean := 0.0
			for i := range x {
				x[i] = countArrivals(tc.w, uint64(i), tc.a, tc.b)
				mean += x[i]
			}
			mean /= float64(runs)
			if tol := 4 * math.Sqrt(mu/float64(runs)); math.Abs(mean-mu) > tol {
				t.Errorf("mean count %.2f, want Integral = %.2f ± %.2f", mean, mu, tol)
			}
			disp := 0.0
			for _, v := range x {
				disp += (v - mean) * (v - mean)
			}
			disp /= mean
			if cdf := (distuv.ChiSquared{K: float64(runs - 1)}).CDF(disp); cdf < 0.0005 || cdf > 0.9995 {
				t.Errorf("dispersion index %.1f over %d runs: χ² CDF %.5f, not Poisson", disp, runs, cdf)
			}
		})
	}
}

// Bursty (MMPP-2) counts: mean MeanRate·T, and variance/mean equal to the
// MMPP-2 index of dispersion for a stationary start (Fischer and
// Meier-Hellstern, "The MMPP cookbook", 1993):
//
//	IDC(T) = 1 + 2π₁π₂(λ₁-λ₂)²/(λ̄ s) · (1 - (1-e^{-sT})/(sT)),  s = 1/τ₁ + 1/τ₂.
//
// The sample variance of M counts has relative standard error about
// sqrt(2/M) (≈ 8% at M = 300, more for heavy-tailed counts); the test allows 30%,
// which still tells the MMPP (IDC ≈ 149) from a Poisson process (IDC = 1).
func TestBurstyCounts(t *testing.T) {
	b := Bursty{Rate: 2, BurstRate: 20, MeanNormal: 40 * time.Second, MeanBurst: 10 * time.Second}
	if b.Poisson() {
		t.Fatal("Bursty.Poisson() = true")
	}
	T := 2000 * time.Second
	runs := 300
	x := make([]float64, runs)
	mean := 0.0
	for i := range x {
		x[i] = countArrivals(b, uint64(i), 0, T)
		mean += x[i]
	}
	mean /= float64(runs)
	v := 0.0
	for _, c := range x {
		v += (c - mean) * (c - mean)
	}
	v /= float64(runs - 1)
	p1, p2 := 0.8, 0.2
	lbar := p1*2 + p2*20
	s := 1/40.0 + 1/10.0
	sT := s * T.Seconds()
	idc := 1 + 2*p1*p2*18*18/(lbar*s)*(1-(1-math.Exp(-sT))/sT)
	mu := lbar * T.Seconds()
	if got := b.Integral(0, T); math.Abs(got-mu) > 1e-9*mu {
		t.Errorf("Integral = %v, want λ̄T = %v", got, mu)
	}
	if tol := 4 * math.Sqrt(idc*mu/float64(runs)); math.Abs(mean-mu) > tol {
		t.Errorf("mean count %.1f, want %.1f ± %.1f", mean, mu, tol)
	}
	if ratio := v / mean / idc; ratio < 0.7 || ratio > 1.3 {
		t.Errorf("variance/mean = %.1f, want IDC = %.1f (ratio %.2f)", v/mean, idc, ratio)
	}
}

func TestParseTrace(t *testing.T) {
	tr, err := ParseTrace(strings.NewReader("# head\nsecond,count\n0,2\n\n3,4.5\n"), "t.csv")
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{2, 0, 0, 4.5}; !equalFloats(tr.Counts, want) {
		t.Errorf("Counts = %v, want %v (skipped seconds are 0)", tr.Counts, want)
	}
	tr, err = ParseTrace(strings.NewReader("5\n 6 \n0\n"), "t.csv")
	if err != nil || !equalFloats(tr.Counts, []float64{5, 6, 0}) {
		t.Errorf("counts-only trace: %v, %v", tr.Counts, err)
	}
	// A spreadsheet's byte order mark before the header or the first count.
	for _, in := range []string{"\uFEFFsecond,count\n0,5\n1,6\n", "\uFEFF5\n6\n"} {
		tr, err = ParseTrace(strings.NewReader(in), "t.csv")
		if err != nil || !equalFloats(tr.Counts, []float64{5, 6}) {
			t.Errorf("ParseTrace(%q) = %v, %v; want [5 6]", in, tr.Counts, err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"0,1\n1,-3\n", `sim: t.csv:2: count = "-3": must be a finite number >= 0`},
		{"# c\n\n0,1\nx,2\n", `sim: t.csv:4: second = "x": must be an integer >= 0`},
		{"second,count\n3,1\n2,1\n", `sim: t.csv:3: second = 2: must be greater than the previous second 3`},
		{"1\n2,3\n", `sim: t.csv:2: "2,3": has 2 fields where earlier lines have 1`},
		{"1,2,3\n", `sim: t.csv:1: "1,2,3": want "count" or "second,count", got 3 fields`},
		{"NaN\n", `sim: t.csv:1: count = "NaN": must be a finite number >= 0`},
		{"# nothing\n", `sim: t.csv: no counts: want at least one line`},
		{"99999999999,1\n", `sim: t.csv:1: second = 99999999999: must be at most 4320000 (50 days)`},
	} {
		_, err := ParseTrace(strings.NewReader(tc.in), "t.csv")
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseTrace(%q) error = %v, want %q", tc.in, err, tc.want)
		}
	}
	tr, err = LoadTrace("testdata/trace.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Counts) != 600 || tr.Counts[250] < 50 {
		t.Errorf("testdata/trace.csv: %d seconds, second 250 = %v; want 600 seconds with a burst at 240-299", len(tr.Counts), tr.Counts[250])
	}
	if _, err := LoadTrace("testdata/no-such.csv"); err == nil || !strings.Contains(err.Error(), "no-such.csv") {
		t.Errorf("missing file: %v", err)
	}
	if got := (Trace{Counts: []float64{1, 2}, Loop: true}).Integral(0, 5*time.Second+500*time.Millisecond); got != 1+2+1+2+1+1 {
		t.Errorf("looped Integral(0, 5.5s) = %v, want 8", got)
	}
	if got := (Trace{Counts: []float64{1, 2}}).Integral(time.Second, time.Hour); got != 2 {
		t.Errorf("Integral past the end = %v, want 2", got)
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The Zipf sampler against the exact law P(k) ∝ 1/k^s: Pearson χ² over the
// n categories at a 0.1% level.
func TestZipf(t *testing.T) {
	const n, draws = 30, 200000
	for _, s := range []float64{0, 0.5, 1, 1.3, 3} {
		z := newZipf(n, s)
		r := rand.New(rand.NewPCG(1, uint64(s*10)))
		var obs [n]float64
		for i := 0; i < draws; i++ {
			k := z.sample(r)
			if k < 0 || k >= n {
				t.Fatalf("s=%v: sample %d outside [0, %d)", s, k, n)
			}
			obs[k]++
		}
		norm := 0.0
		for k := 1; k <= n; k++ {
			norm += math.Pow(float64(k), -s)
		}
		chi := 0.0
		for k := 1; k <= n; k++ {
			e := draws * math.Pow(float64(k), -s) / norm
			chi += (obs[k-1] - e) * (obs[k-1] - e) / e
		}
		if p := 1 - (distuv.ChiSquared{K: n - 1}).CDF(chi); p < 0.001 {
			t.Errorf("s=%v: χ² = %.1f (p = %.2g): samples do not follow Zipf", s, chi, p)
		}
	}
}

// Distinct users hit: given F candidate failures, each from a user drawn
// from the activity law π, E[distinct | F] = Σ_k 1-(1-π_k)^F. The test
// averages the residual (UsersHit - E[distinct | F]) over runs and allows
// 4 standard errors.
func TestUsersHit(t *testing.T) {
	const users = 50
	s := perRequestScenario()
	s.Workload = Poisson{Rate: 2}
	s.Strategy = steps{{At: 0, Weight: 0.5}}
	s.Candidate.ErrorProb = 0.2
	s.Horizon = 5 * time.Minute
	s.Users = Users{N: users, Exponent: 1}
	norm := 0.0
	for k := 1; k <= users; k++ {
		norm += 1 / float64(k)
	}
	runs := 300
	res := make([]float64, runs)
	mean := 0.0
	for i := range res {
		s.Seed = uint64(i)
		r, err := Run(s)
		if err != nil {
			t.Fatal(err)
		}
		f := float64(r.Candidate.Failures())
		want := 0.0
		for k := 1; k <= users; k++ {
			want += 1 - math.Pow(1-1/(float64(k)*norm), f)
		}
		res[i] = r.UsersHit - want
		mean += res[i]
	}
	mean /= float64(runs)
	sd := 0.0
	for _, v := range res {
		sd += (v - mean) * (v - mean)
	}
	sd = math.Sqrt(sd / float64(runs-1))
	if math.Abs(mean) > 4*sd/math.Sqrt(float64(runs)) {
		t.Errorf("mean residual of UsersHit = %.3f (sd %.3f over %d runs), want 0", mean, sd, runs)
	}
}

// An exact replay puts exactly Counts[i] arrivals in second i, in order,
// spread uniformly within the second: over many seconds the mean position
// within its second is 1/2 (standard error sqrt(1/12/n), 4 allowed).
func TestExactTrace(t *testing.T) {
	tr := Trace{Counts: []float64{3, 0, 7, 1}, Exact: true, Loop: true}
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	if tr.Poisson() {
		t.Error("exact trace claims Poisson counts")
	}
	p := tr.Arrivals(rand.New(rand.NewPCG(4, 5)))
	const seconds = 4000
	counts := make([]int, seconds)
	last := time.Duration(-1)
	pos, n := 0.0, 0.0
	for at := p.Next(); at < seconds*time.Second; at = p.Next() {
		if at < last {
			t.Fatalf("arrival at %v before the previous one at %v", at, last)
		}
		last = at
		counts[at/time.Second]++
		pos += float64(at%time.Second) / float64(time.Second)
		n++
	}
	for i, c := range counts {
		if want := int(tr.Counts[i%4]); c != want {
			t.Fatalf("second %d: %d arrivals, want exactly %d", i, c, want)
		}
	}
	if mean := pos / n; math.Abs(mean-0.5) > 4*math.Sqrt(1.0/12/n) {
		t.Errorf("mean position within the second %.4f, want 0.5", mean)
	}
	if err := (Trace{Counts: []float64{1.5}, Exact: true}).Validate(); err == nil {
		t.Error("exact trace with a fractional count accepted")
	}
}
