package sim

import (
	"math"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// flaggerChain is the closed form of a healthy Flagger canary whose weights
// are held on a failed check (issue 18.1), a Markov chain over (weight index
// i, failed checks j, weight index a of the interval before), computed
// exactly by dynamic programming.
//
// The canary: Poisson arrivals at rate lam, candidate errors Bernoulli(p),
// weights ws (ws[0] from the start), a check every interval I over the
// window [kI − D − W, kI − D) with W = I, failing when the window's error
// rate exceeds 1 % (100·errors > n) or when it has no request (Flagger:
// no data is a failed check). The window of tick k holds D of the weight
// set at tick k−2 (a) and I − D of the weight set at tick k−1 (i); at tick
// 1, only the I − D since the start. Its candidate requests are
// Poisson(lam·(D·w_a + (I−D)·w_i)) and its errors Binomial given their
// number, so a check fails with
//
//	f(μ) = Σ_n e^{−μ} μ^n/n! · [n = 0 or P(Bin(n, p) > n/100)].
//
// A pass at i < len(ws)−1 moves to i+1; a pass at the last weight promotes
// (tick k: promotion at k·I); a fail adds one to j, holds i, and j reaching
// the threshold T rolls back at the next tick. It returns the false-rollback
// probability and the distribution of the promotion tick.
func flaggerChain(lam, p float64, ws []float64, I, D time.Duration, T int) (pFalse float64, promoteAt map[int]float64) {
	fail := func(mu float64) float64 {
		// Poisson weights by recurrence in log space; n up to μ + 12√μ + 30.
		top := int(mu + 12*math.Sqrt(mu) + 30)
		f := math.Exp(-mu) // n = 0: no data, a failed check
		for n := 1; n <= top; n++ {
			lp := -mu + float64(n)*math.Log(mu) - lgamma(float64(n)+1)
			k := n / 100 // errors <= k pass (100·k <= n)
			f += math.Exp(lp) * (1 - binomCDF(k, n, p))
		}
		return f
	}
	type state struct{ i, j, a int }
	cur := map[state]float64{{0, 0, -1}: 1}
	promoteAt = map[int]float64{}
	for k := 1; len(cur) > 0; k++ {
		next := map[state]float64{}
		for s, pr := range cur {
			mu := lam * (I - D).Seconds() * ws[s.i]
			if s.a >= 0 {
				mu += lam * D.Seconds() * ws[s.a]
			}
			q := fail(mu)
			if s.j+1 >= T {
				pFalse += pr * q
			} else {
				next[state{s.i, s.j + 1, s.i}] += pr * q
			}
			if s.i+1 == len(ws) {
				promoteAt[k] += pr * (1 - q)
			} else {
				next[state{s.i + 1, s.j, s.i}] += pr * (1 - q)
			}
		}
		cur = next
	}
	return pFalse, promoteAt
}

func lgamma(x float64) float64 { v, _ := math.Lgamma(x); return v }

// binomCDF is P(Bin(n, p) <= k).
func binomCDF(k, n int, p float64) float64 {
	s := 0.0
	for i := 0; i <= k && i <= n; i++ {
		s += math.Exp(lgamma(float64(n)+1) - lgamma(float64(i)+1) - lgamma(float64(n-i)+1) +
			float64(i)*math.Log(p) + float64(n-i)*math.Log1p(-p))
	}
	return math.Min(s, 1)
}

// flaggerIssueScenario is issue 18.1's canary: interval 1m, stepWeight 10,
// maxWeight 50, request-success-rate min 99 over [1m], 20 req/s, 0.5 %
// errors on both versions, Prometheus's 15 s delay.
func flaggerIssueScenario(threshold int) Scenario {
	ws := []float64{0.1, 0.2, 0.3, 0.4, 0.5}
	var st strategy.Steps
	for _, w := range ws {
		st = append(st, strategy.CanaryStep{SetWeight: 100 * w}, strategy.CanaryStep{Pause: time.Minute})
	}
	s := BaseScenario()
	s.Workload = Poisson{Rate: 20}
	s.Baseline.ErrorProb, s.Candidate.ErrorProb = 0.005, 0.005
	s.Strategy = st
	s.Period = 10 * time.Second
	s.IngestionDelay = 15 * time.Second
	s.Policy = rollback.FailedChecks{Threshold: threshold, Interval: time.Minute, NoData: rollback.NoDataFail,
		Checks: []rollback.Check{rollback.MetricCheck{ID: "request-success-rate", Metric: metrics.ErrorRate,
			Dimension: metrics.Candidate, Comparison: rollback.GreaterThanThreshold, Threshold: 0.01, Window: time.Minute}},
		Progression: rollback.Progression{Weights: ws}}
	return s
}

// TestFlaggerHeldWeights compares the simulator with flaggerChain on issue
// 18.1's canary at thresholds 2 and 3: the false-rollback rate and the
// distribution of the promotion instant, within 4 standard errors of a
// proportion over n runs (a bound a correct engine breaks with probability
// about 6e-5 per comparison; the closed form is exact, so any excess is a
// modelling difference). Over 20,000 runs: 0.1771 simulated against 0.1758
// at threshold 2, 0.0442 against 0.0446 at threshold 3.
func TestFlaggerHeldWeights(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 1000
	}
	for _, T := range []int{2, 3} {
		want, promo := flaggerChain(20, 0.005, []float64{0.1, 0.2, 0.3, 0.4, 0.5}, time.Minute, 15*time.Second, T)
		sc := flaggerIssueScenario(T)
		falseRB := 0
		gotPromo := map[int]int{}
		for i := 0; i < n; i++ {
			sc.Seed = RunSeed(18, int64(i))
			r, err := Run(sc)
			if err != nil {
				t.Fatal(err)
			}
			switch r.Outcome {
			case metrics.FalseRollback:
				falseRB++
				// Rolled back at the tick after the threshold: a whole
				// number of intervals, at least T+1.
				if r.Detected%time.Minute != 0 || r.Detected < time.Duration(T+1)*time.Minute {
					t.Fatalf("threshold %d: rollback decided at %v", T, r.Detected)
				}
			case metrics.Completed:
				gotPromo[int(r.Promoted/time.Minute)]++
			default:
				t.Fatalf("outcome %v", r.Outcome)
			}
		}
		check := func(what string, got int, p float64) {
			se := math.Sqrt(p * (1 - p) / float64(n))
			if d := math.Abs(float64(got)/float64(n) - p); d > 4*se+1e-9 {
				t.Errorf("threshold %d, %s: simulated %.4f, closed form %.4f (|diff| %.4f > 4 SE %.4f)", T, what, float64(got)/float64(n), p, d, 4*se)
			}
		}
		check("false rollbacks", falseRB, want)
		for k := 5; k < 5+T; k++ {
			check("promotion at minute "+string(rune('0'+k)), gotPromo[k], promo[k])
		}
		t.Logf("threshold %d: false rollbacks %.4f simulated, %.4f closed form; promotion at 5/6/7 min: %.4f %.4f %.4f",
			T, float64(falseRB)/float64(n), want, promo[5], promo[6], promo[7])
	}
}

// The per-request engine follows the same controller (the seam is in the
// shared control, not in an engine): at threshold 2, over 1,000 runs, its
// false-rollback rate is within 4 standard errors of the chain's 17.6 %.
func TestFlaggerHeldWeightsPerRequest(t *testing.T) {
	const n = 1000
	want, _ := flaggerChain(20, 0.005, []float64{0.1, 0.2, 0.3, 0.4, 0.5}, time.Minute, 15*time.Second, 2)
	sc := flaggerIssueScenario(2)
	sc.Resolution = PerRequest
	falseRB := 0
	for i := 0; i < n; i++ {
		sc.Seed = RunSeed(19, int64(i))
		r, err := Run(sc)
		if err != nil {
			t.Fatal(err)
		}
		if r.Resolution != PerRequest.String() {
			t.Fatalf("resolution %s", r.Resolution)
		}
		if r.Outcome == metrics.FalseRollback {
			falseRB++
		}
	}
	got := float64(falseRB) / n
	if se := math.Sqrt(want * (1 - want) / n); math.Abs(got-want) > 4*se {
		t.Errorf("per request: false rollbacks %.4f, closed form %.4f ± %.4f", got, want, 4*se)
	}
}
