package sim

import (
	"math"
	"sort"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// The proof that the two resolutions agree: for scenarios spanning the
// presets (AllAtOnce, a canary, a linear), rates from 0.5 to 5,000 req/s,
// regressions from 0.1 % to 20 % and healthy candidates, with CodeDeploy's
// alarm controller, independent samples of runs from each engine must not be
// told apart by
//
//   - a two-sample Kolmogorov–Smirnov test on the candidate's failures and
//     on the detection instant of the runs that were rolled back,
//   - a chi-square test of homogeneity on the outcome (and detected or not),
//   - a two-sample z-test on the mean candidate failures (and users hit),
//   - KS on the instants the bucketed engine draws from completion laws:
//     FirstFailure after the onset, the drain after the rollback, End,
//
// each at significance alpha = 0.001. With about 25 tests in all, the
// chance that the suite fails although the engines agree is at most 2.5 %
// (Bonferroni), and being seeded, a passing suite keeps passing.
// KS on discrete values (counts, instants on the poll grid) is conservative:
// it rejects less often than alpha, never more.
//
// How many seeds: the z-test detects a shift delta of the mean, relative to
// the mean, with power 0.8 at alpha = 0.001 (two-sided) when each sample has
// n >= 2·(z_{0.9995} + z_{0.8})²·CV²/delta² = 2·(3.2905+0.8416)²·CV²/delta²
// = 34.15·CV²/delta² runs, CV being the coefficient of variation of the
// quantity. For delta = 5 % that is 13,661·CV². The test measures CV on a
// bucketed pilot (cheap), sets n for delta = 5 %, at least 100, within the
// scenario's budget of per-request runs, and fails if the budget cannot
// reach 5 %. With -short, or under the race detector (CI runs the package
// twice), delta is 10 % and 20 %, needing n/4 and n/16 runs, and the budgets
// shrink by the same factors; the test still runs every scenario and every
// check. The full-mode sizes at the CVs measured (go test -v prints them):
// from 100 runs per engine (CV < 0.09) to 4,091 (the 0.5 req/s canary, CV
// 0.55), about 9,000 per-request runs in all.

// agreeScenario is one row of the proof.
type agreeScenario struct {
	name string
	s    Scenario
	max  int // per-request runs affordable in full mode
}

// agreeAlarm is CodeDeploy's controller on one alarm on the candidate's
// errors. With 10 s periods it polls after every alarm evaluation (every
// 10 s) rather than every minute, so that short high-rate runs are watched.
func agreeAlarm(period time.Duration, threshold float64) rollback.Policy {
	p := rollback.CodeDeploy(rollback.Alarm{
		Name: "CandidateErrors", Metric: metrics.Errors, Dimension: metrics.Candidate,
		Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: period,
		EvaluationPeriods: 1, Threshold: threshold, Comparison: rollback.GreaterThanOrEqualToThreshold,
	})
	if period < time.Minute {
		p.PollInterval = 0
	}
	return p
}

func agreeScenarios() []agreeScenario {
	base := func(rate float64, st strategy.Strategy, fault, baseP float64) Scenario {
		s := BaseScenario()
		s.Workload = Poisson{Rate: rate}
		s.Strategy = st
		s.Fault = Fault{ErrorProb: fault}
		s.Baseline.ErrorProb = baseP
		s.Candidate.ErrorProb = baseP
		return s
	}
	var out []agreeScenario
	add := func(name string, s Scenario, max int) {
		out = append(out, agreeScenario{name, s, max})
	}
	// AllAtOnce at 0.5 req/s, a 20 % regression, over 30 minutes: the
	// policy is not consulted after the single step, so this compares the
	// blast radius of a missed fault at the lowest rate.
	s := base(0.5, strategy.AllAtOnce{}, 0.2, 0)
	s.Horizon = 30 * time.Minute
	add("AllAtOnce/0.5rps/20%", s, 4000)
	// Canary10Percent5Minutes at 0.5 req/s, 20 %: one candidate failure
	// in a minute rolls back, which happens in some runs only.
	s = base(0.5, strategy.Canary{Percent: 10, Interval: 5 * time.Minute}, 0.2, 0)
	s.Policy = agreeAlarm(time.Minute, 1)
	add("Canary10Percent5Minutes/0.5rps/20%", s, 5000)
	// The same canary at 50 req/s with a 2 % regression: ~6 failures a
	// minute against a threshold of 5.
	s = base(50, strategy.Canary{Percent: 10, Interval: 5 * time.Minute}, 0.02, 0)
	s.Policy = agreeAlarm(time.Minute, 5)
	s.Users = Users{N: 40, Exponent: 1} // ~15 failures among 40 users: UsersHit is compared too
	add("Canary10Percent5Minutes/50rps/2%", s, 1200)
	// Linear10PercentEvery1Minute at 200 req/s with a 0.1 % regression:
	// failures grow with the weight, detection time varies.
	s = base(200, strategy.Linear{Percent: 10, Interval: time.Minute}, 0.001, 0)
	s.Policy = agreeAlarm(time.Minute, 4)
	add("Linear10PercentEvery1Minute/200rps/0.1%", s, 2000)
	// A healthy candidate at 20 req/s with a 2 % base error rate on both
	// versions through Linear10PercentEvery2Minutes: 24·w candidate errors a
	// minute at weight w against a threshold of 18, so some runs roll back
	// falsely late in the rollout and others complete.
	s = base(20, strategy.Linear{Percent: 10, Interval: 2 * time.Minute}, 0, 0.02)
	s.Policy = agreeAlarm(time.Minute, 18)
	add("Linear10PercentEvery2Minutes/20rps/healthy", s, 3000)
	// A latency regression (x3) at 100 req/s through the canary, watched by
	// a p99 Duration alarm on the candidate (healthy p99 500 ms, faulty
	// 1.5 s against a 1 s threshold, 600 samples a minute): the per-period
	// latency sketches are drawn as multinomials in bucketed mode.
	s = base(100, strategy.Canary{Percent: 10, Interval: 5 * time.Minute}, 0, 0.01)
	s.Fault = Fault{LatencyFactor: 3}
	s.Policy = rollback.CodeDeploy(rollback.Alarm{
		Name: "CandidateP99", Metric: metrics.Duration, Dimension: metrics.Candidate,
		Statistic: metrics.Statistic{Kind: metrics.Percentile, P: 99}, Period: time.Minute,
		EvaluationPeriods: 1, Threshold: 1000, Comparison: rollback.GreaterThanOrEqualToThreshold,
	})
	add("Canary10Percent5Minutes/100rps/latency x3", s, 1500)
	// 5,000 req/s: high-resolution 10 s alarms (and series) on short
	// custom canaries keep the per-request side short. A 20 % regression
	// on a 10 % canary, whose 10 s error count (mean 1,000) reaches the
	// threshold of 950 at the first poll most of the time, not always; and a healthy candidate at a 2 % error
	// rate on a 30-second canary, rolled back when a 10 s count (mean 100) reaches 115.
	s = base(5000, steps{{At: 0, Weight: 0.1}, {At: 5 * time.Minute, Weight: 1}}, 0.2, 0)
	s.Period, s.IngestionDelay = 10*time.Second, 10*time.Second
	s.Policy = agreeAlarm(10*time.Second, 950)
	add("Canary10Percent/5000rps/20%", s, 480)
	s = base(5000, steps{{At: 0, Weight: 0.1}, {At: 30 * time.Second, Weight: 1}}, 0, 0.02)
	s.Period, s.IngestionDelay = 10*time.Second, 10*time.Second
	s.Policy = agreeAlarm(10*time.Second, 115)
	add("Canary10Percent30Seconds/5000rps/healthy", s, 480)
	return out
}

// agreeSample is what the proof compares, per run.
type agreeSample struct {
	failures []float64
	users    []float64
	detected []float64 // seconds, rolled-back runs only
	first    []float64 // FirstFailure - FaultOnset, seconds, where both happened
	drain    []float64 // Drained - WeightZero, seconds, rolled-back runs
	end      []float64 // End, seconds
	outcomes map[string]float64
}

func runSample(t *testing.T, s Scenario, res Resolution, seed0 uint64, n int) agreeSample {
	t.Helper()
	var r Runner
	out := agreeSample{outcomes: map[string]float64{}}
	s.Resolution = res
	for i := 0; i < n; i++ {
		s.Seed = seed0 + uint64(i)
		run, err := r.Run(s)
		if err != nil {
			t.Fatal(err)
		}
		if run.Resolution != res.String() {
			t.Fatalf("Run.Resolution = %q, want %q", run.Resolution, res)
		}
		out.failures = append(out.failures, float64(run.Candidate.Failures()))
		out.users = append(out.users, run.UsersHit)
		if run.Detected != metrics.Never {
			out.detected = append(out.detected, run.Detected.Seconds())
		}
		if run.FirstFailure != metrics.Never && run.FaultOnset != metrics.Never {
			out.first = append(out.first, (run.FirstFailure - run.FaultOnset).Seconds())
		}
		if run.Drained != metrics.Never && run.WeightZero != metrics.Never {
			out.drain = append(out.drain, (run.Drained - run.WeightZero).Seconds())
		}
		out.end = append(out.end, run.End.Seconds())
		out.outcomes[run.Outcome.String()]++
	}
	return out
}

// ksPValue is the asymptotic p-value of the two-sample KS statistic d for
// sample sizes n and m (Numerical Recipes, 3rd ed., §14.3.3: Q_KS with the
// Stephens correction).
func ksPValue(d float64, n, m int) float64 {
	ne := float64(n) * float64(m) / float64(n+m)
	lambda := (math.Sqrt(ne) + 0.12 + 0.11/math.Sqrt(ne)) * d
	if lambda < 0.2 {
		return 1
	}
	sum, sign := 0.0, 1.0
	for j := 1; j <= 100; j++ {
		term := sign * math.Exp(-2*float64(j*j)*lambda*lambda)
		sum += term
		if math.Abs(term) < 1e-12 {
			break
		}
		sign = -sign
	}
	return math.Min(1, math.Max(0, 2*sum))
}

func ksTest(x, y []float64) (d, p float64) {
	x = append([]float64(nil), x...)
	y = append([]float64(nil), y...)
	sort.Float64s(x)
	sort.Float64s(y)
	d = stat.KolmogorovSmirnov(x, nil, y, nil)
	return d, ksPValue(d, len(x), len(y))
}

// chiSquare tests that two samples of categories come from one
// distribution (homogeneity, df = categories - 1).
func chiSquare(a, b map[string]float64) (x2, p float64, df int) {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var na, nb float64
	for _, v := range a {
		na += v
	}
	for _, v := range b {
		nb += v
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		tot := a[k] + b[k]
		ea, eb := tot*na/(na+nb), tot*nb/(na+nb)
		x2 += (a[k]-ea)*(a[k]-ea)/ea + (b[k]-eb)*(b[k]-eb)/eb
	}
	df = len(names) - 1
	if df == 0 {
		return 0, 1, 0
	}
	return x2, distuv.ChiSquared{K: float64(df)}.Survival(x2), df
}

func meanZ(x, y []float64) float64 {
	mx, vx := stat.MeanVariance(x, nil)
	my, vy := stat.MeanVariance(y, nil)
	se := math.Sqrt(vx/float64(len(x)) + vy/float64(len(y)))
	if se == 0 {
		if mx == my {
			return 0
		}
		return math.Inf(1)
	}
	return (mx - my) / se
}

const (
	agreeAlpha = 0.001
	zAlpha     = 3.2905 // z_{1-alpha/2}
	zPower     = 0.8416 // z_{0.8}
)

// seedsFor is the per-sample size that detects a relative mean shift delta
// with power 0.8 at agreeAlpha for a quantity of coefficient of variation cv.
func seedsFor(cv, delta float64) int {
	return int(math.Ceil(2 * (zAlpha + zPower) * (zAlpha + zPower) * cv * cv / (delta * delta)))
}

func TestResolutionsAgree(t *testing.T) {
	delta := 0.05
	switch {
	case raceEnabled:
		delta = 0.20
	case testing.Short():
		delta = 0.10
	}
	for i, sc := range agreeScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			if err := sc.s.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := sc.s.resolution(); got != Bucketed {
				t.Fatalf("Auto resolves to %v, want bucket", got)
			}
			// Pilot: the CV of the candidate failures on bucketed runs
			// (cheap), to size the samples. (The latency scenario has
			// failures only from the base error rate; its CV sizes it all
			// the same.)
			pilot := runSample(t, sc.s, Bucketed, 1<<40+uint64(i)<<20, 400)
			m, sd := stat.MeanStdDev(pilot.failures, nil)
			cv := sd / m
			if m == 0 {
				t.Fatal("pilot: no candidate failure at all; the scenario proves nothing")
			}
			maxN := sc.max
			switch {
			case raceEnabled:
				maxN /= 16
			case testing.Short():
				maxN /= 4
			}
			need := seedsFor(cv, delta)
			if need > maxN {
				t.Fatalf("CV %.3f needs %d runs per sample to detect a %.0f%% shift, budget %d", cv, need, 100*delta, maxN)
			}
			// At least 100 runs per engine where the budget allows, so
			// that KS and chi-square have some power whatever the CV.
			n := min(max(need, 100), maxN)
			req := runSample(t, sc.s, PerRequest, uint64(i)<<20, n)
			buck := runSample(t, sc.s, Bucketed, 1<<41+uint64(i)<<20, n)
			mr, _ := stat.MeanStdDev(req.failures, nil)
			mb, _ := stat.MeanStdDev(buck.failures, nil)
			t.Logf("n = %d per engine (CV %.3f, detects a %.0f%% mean shift); mean failures: request %.3f, bucket %.3f; outcomes: request %v, bucket %v",
				n, cv, 100*delta, mr, mb, req.outcomes, buck.outcomes)
			if d, p := ksTest(req.failures, buck.failures); p < agreeAlpha {
				t.Errorf("candidate failures: KS D = %.4f, p = %.2g < %v", d, p, agreeAlpha)
			}
			if z := meanZ(req.failures, buck.failures); math.Abs(z) > zAlpha {
				t.Errorf("mean candidate failures: z = %.2f, beyond ±%.4f", z, zAlpha)
			}
			if x2, p, df := chiSquare(req.outcomes, buck.outcomes); p < agreeAlpha {
				t.Errorf("outcomes: chi-square %.2f (df %d), p = %.2g < %v", x2, df, p, agreeAlpha)
			}
			if sc.s.Users.N > 0 {
				if d, p := ksTest(req.users, buck.users); p < agreeAlpha {
					t.Errorf("users hit: KS D = %.4f, p = %.2g < %v", d, p, agreeAlpha)
				}
				if z := meanZ(req.users, buck.users); math.Abs(z) > zAlpha {
					t.Errorf("mean users hit: z = %.2f, beyond ±%.4f", z, zAlpha)
				}
			}
			if len(req.detected) >= 20 && len(buck.detected) >= 20 {
				if d, p := ksTest(req.detected, buck.detected); p < agreeAlpha {
					t.Errorf("detection time: KS D = %.4f, p = %.2g < %v", d, p, agreeAlpha)
				}
				if z := meanZ(req.detected, buck.detected); math.Abs(z) > zAlpha {
					t.Errorf("mean detection time: z = %.2f, beyond ±%.4f", z, zAlpha)
				}
			}
			// The instants the bucketed engine draws by inversion from the
			// groups' completion laws: the first failure after the onset,
			// the drain after the rollback, the end of the run.
			mean := func(x []float64) float64 {
				if len(x) == 0 {
					return math.NaN()
				}
				return stat.Mean(x, nil)
			}
			t.Logf("mean seconds (request / bucket): first failure after onset %.3f / %.3f (%d / %d runs), drain %.3f / %.3f (%d / %d), end %.2f / %.2f",
				mean(req.first), mean(buck.first), len(req.first), len(buck.first),
				mean(req.drain), mean(buck.drain), len(req.drain), len(buck.drain), mean(req.end), mean(buck.end))
			for _, q := range []struct {
				name string
				x, y []float64
			}{{"FirstFailure - FaultOnset", req.first, buck.first}, {"Drained - WeightZero", req.drain, buck.drain}, {"End", req.end, buck.end}} {
				if len(q.x) < 20 || len(q.y) < 20 {
					continue
				}
				if d, p := ksTest(q.x, q.y); p < agreeAlpha {
					t.Errorf("%s: KS D = %.4f, p = %.2g < %v", q.name, d, p, agreeAlpha)
				}
			}
			if sc.s.Policy != nil && sc.s.Fault.Bad() && len(req.detected)+len(buck.detected) < 40 {
				t.Error("fewer than 40 runs detected the fault: the detection time is not compared")
			}
		})
	}
}

func TestKSPValue(t *testing.T) {
	// Q_KS(1.36) = 0.049 and Q_KS(1.63) = 0.010: the classic 5 % and 1 %
	// critical values of the Kolmogorov distribution.
	for _, c := range []struct{ lambda, p float64 }{{1.358, 0.05}, {1.628, 0.01}} {
		// Large n: lambda ≈ sqrt(ne)·D.
		n := 1_000_000
		d := c.lambda / math.Sqrt(float64(n)/2)
		if got := ksPValue(d, n, n); math.Abs(got-c.p) > 0.001 {
			t.Errorf("ksPValue at lambda %v = %v, want %v", c.lambda, got, c.p)
		}
	}
	if got := seedsFor(1, 0.05); got < 13600 || got > 13700 {
		t.Errorf("seedsFor(1, 5%%) = %d, want 2·(3.29+0.84)²/0.0025 ≈ 13,661", got)
	}
}
