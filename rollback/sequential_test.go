package rollback

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// TestSequentialFalseRollback: on healthy candidates (same error probability
// as the baseline) the mixture SPRT must roll back at most a fraction Alpha
// of the runs, however long it watches, under constant, stepped and tiny
// traffic and a shared error rate that drifts. Tolerance: Alpha + 3 binomial
// standard errors of the estimate, so a correct test fails by chance with
// probability about 0.1 %, while a test that lost its guarantee (e.g. a
// fixed-horizon test repeated each minute, see TestCompareRepeatedLooks)
// exceeds it by far.
func TestSequentialFalseRollback(t *testing.T) {
	const alpha = 0.05
	runs := 2000
	if testing.Short() {
		runs = 400
	}
	step := func(j int) float64 { return math.Min(0.9, 0.1+0.1*float64(j/3)) }
	diurnal := func(j int) float64 { return 0.05 * (1 + 0.8*math.Sin(2*math.Pi*float64(j)/60)) }
	scenarios := []struct {
		name    string
		st      stream
		periods int
		share   int // 1/share of the runs (long streams are costly)
	}{
		{"canary 10%, 50 req/s, 1% errors, 2 h", canary(0.01), 120, 1},
		{"linear 10%→90% every 3 min, 2% errors, 1 h", stream{rate: constant(3000), weight: step, pBase: constant(0.02), pCand: constant(0.02)}, 60, 1},
		{"2 req/s at 20%, diurnal 1–9% errors, 4 h", stream{rate: constant(120), weight: constant(0.2), pBase: diurnal, pCand: diurnal}, 240, 1},
		{"0.2 req/s at 50%, 10% errors, 4 h", stream{rate: constant(12), weight: constant(0.5), pBase: constant(0.1), pCand: constant(0.1)}, 240, 1},
		{"1 req/s at 10%, 5% errors, 24 h", stream{rate: constant(60), weight: constant(0.1), pBase: constant(0.05), pCand: constant(0.05)}, 1440, 4},
	}
	for k, sc := range scenarios {
		runs := runs / sc.share
		tol := alpha + 3*math.Sqrt(alpha*(1-alpha)/float64(runs))
		rng := rand.New(rand.NewPCG(uint64(100+k), 7))
		var s metrics.Series
		fr := 0
		for r := 0; r < runs; r++ {
			sc.st.fill(rng, &s, sc.periods)
			if detectAt(Sequential{Alpha: alpha}, &s) >= 0 {
				fr++
			}
		}
		rate := float64(fr) / float64(runs)
		t.Logf("%s: false rollback %.4f (%d/%d), α = %g", sc.name, rate, fr, runs, alpha)
		if rate > tol {
			t.Errorf("%s: false rollback %.4f > α + 3 s.e. = %.4f", sc.name, rate, tol)
		}
	}
}

// TestCompareRepeatedLooks: the fixed-horizon judge, applied every 10
// minutes for 2 hours at 98 % confidence, rolls back healthy candidates far
// more often than Alpha = 0.05 (12 looks at level 2 % each: about
// 1-(0.98)^12 ≈ 22 % if independent), while Sequential on the same streams
// stays under 0.05. Tolerance as in TestSequentialFalseRollback.
func TestCompareRepeatedLooks(t *testing.T) {
	runs := 1000
	if testing.Short() {
		runs = 300
	}
	rng := rand.New(rand.NewPCG(11, 12))
	var s metrics.Series
	cmp := BaselineComparison{Interval: 10 * time.Minute, Confidence: 0.98, MinRequests: 100}
	seq := Sequential{Alpha: 0.05}
	frC, frS := 0, 0
	for r := 0; r < runs; r++ {
		canary(0.01).fill(rng, &s, 120)
		if detectAt(cmp, &s) >= 0 {
			frC++
		}
		if detectAt(seq, &s) >= 0 {
			frS++
		}
	}
	c, q := float64(frC)/float64(runs), float64(frS)/float64(runs)
	t.Logf("healthy, 2 h: BaselineComparison every 10 min false rollback %.3f, Sequential %.3f", c, q)
	se := math.Sqrt(0.05 * 0.95 / float64(runs))
	if c < 0.05+3*se {
		t.Errorf("repeated fixed-horizon tests: false rollback %.3f, expected well above 0.05", c)
	}
	if q > 0.05+3*se {
		t.Errorf("Sequential false rollback %.3f > 0.05 + 3 s.e.", q)
	}
}

// alarmFamily is every threshold alarm the benchmark tunes: candidate
// Sum(Errors) >= k or ErrorRate >= r, periods 1, 2, 3 and 5 minutes, all
// M of N with N <= 5.
type alarmShape struct {
	metric metrics.Metric
	period time.Duration
	m, n   int
}

func alarmShapes() []alarmShape {
	var out []alarmShape
	for _, metric := range []metrics.Metric{metrics.Errors, metrics.ErrorRate} {
		for _, p := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute, 5 * time.Minute} {
			for n := 1; n <= 5; n++ {
				for m := 1; m <= n; m++ {
					out = append(out, alarmShape{metric, p, m, n})
				}
			}
		}
	}
	return out
}

func (sh alarmShape) alarm(th float64) Alarm {
	return Alarm{Name: "tuned", Metric: sh.metric, Dimension: metrics.Candidate, Statistic: metrics.Statistic{Kind: metrics.Sum},
		Period: sh.period, EvaluationPeriods: sh.n, DatapointsToAlarm: sh.m, Threshold: th, Comparison: GreaterThanOrEqualToThreshold}
}

// thresholds are the candidate thresholds of a shape, increasing.
func (sh alarmShape) thresholds() []float64 {
	var ths []float64
	if sh.metric == metrics.Errors {
		for k := 1; k <= 20*int(sh.period/time.Minute); k++ {
			ths = append(ths, float64(k))
		}
	} else {
		for r := 0; r <= 200; r++ {
			ths = append(ths, 0.01+0.00025*float64(r))
		}
	}
	return ths
}

// fastDetect is the alarm-and-poll-every-minute controller with zero delay
// on series s, evaluated directly on precomputed datapoints: dps[e-1] is the
// datapoint of the window of k minutes ending at minute e (each run's series
// is aggregated once per window end; a period over a minute slides, see
// Alarm.Range). It must agree with the Monitor, which the benchmark checks
// on the winning alarm.
func fastDetect(a *Alarm, dps []Datapoint, k int, buf []Datapoint) int {
	st := StateInsufficientData
	r := a.RangeLength()
	for t := 1; t <= len(dps); t++ { // evaluation at t minutes
		buf = buf[:0]
		for i := 0; i < r; i++ {
			// Windows end at t, t-k, …: with zero delay the newest ends
			// at the evaluation instant (for one minute the aligned
			// periods, longer ones sliding).
			if e := t - (r-1-i)*k; e <= 0 {
				buf = append(buf, Datapoint{Missing: true})
			} else {
				buf = append(buf, dps[e-1])
			}
		}
		st, _ = a.eval(buf, st)
		if st == StateAlarm {
			return t
		}
	}
	return -1
}

// TestSequentialVersusBestAlarm is the benchmark of the issue: a 2x
// error-rate regression (1 % → 2 %) in the canary phase of
// Canary10Percent30Minutes at 50 req/s, zero ingestion delay, every policy
// looking once a minute. The threshold alarm is tuned on one set of seeded
// healthy runs to the false-rollback rate Sequential shows on that set
// (the smallest threshold that stays within it, for each of 120 alarm
// shapes; false rollbacks fall as the threshold rises), and the fastest on
// bad runs of that set is "the best alarm". Both are then measured on fresh
// seeds. Detection time is the restricted mean: minutes to rollback, 31 if
// none within the 30-minute canary phase.
func TestSequentialVersusBestAlarm(t *testing.T) {
	const H = 30
	runs := 1000
	if testing.Short() {
		runs = 300
	}
	gen := func(seed uint64, pc float64) []metrics.Series {
		rng := rand.New(rand.NewPCG(seed, 99))
		out := make([]metrics.Series, runs)
		for i := range out {
			canary(pc).fill(rng, &out[i], H)
		}
		return out
	}
	type set struct{ healthy, bad []metrics.Series }
	tune, eval := set{gen(1, 0.01), gen(2, 0.02)}, set{gen(3, 0.01), gen(4, 0.02)}

	seq := Sequential{Alpha: 0.05}
	measure := func(detect func(*metrics.Series) int, s set) (fr float64, mean float64) {
		n := 0
		for i := range s.healthy {
			if detect(&s.healthy[i]) >= 0 {
				n++
			}
		}
		var sum float64
		for i := range s.bad {
			d := detect(&s.bad[i])
			if d < 0 {
				d = H + 1
			}
			sum += float64(d)
		}
		return float64(n) / float64(len(s.healthy)), sum / float64(len(s.bad))
	}
	seqDetect := func(s *metrics.Series) int { return detectAt(seq, s) }
	budget, _ := measure(seqDetect, tune)

	// Precompute each run's datapoints per (metric, period).
	type key struct {
		m metrics.Metric
		p time.Duration
	}
	dps := map[key][][]Datapoint{}
	pre := func(sh alarmShape, runs []metrics.Series) [][]Datapoint {
		a := sh.alarm(1)
		k := int(sh.period / time.Minute)
		out := make([][]Datapoint, len(runs))
		var agg metrics.VersionStats
		for i := range runs {
			for e := 1; e <= H; e++ {
				a.aggregate(&runs[i], e-k, e, &agg)
				out[i] = append(out[i], a.datapoint(&agg))
			}
		}
		return out
	}
	var buf []Datapoint
	detectFR := func(a *Alarm, d [][]Datapoint, k int, limit int) int {
		n := 0
		for i := range d {
			if fastDetect(a, d[i], k, buf) >= 0 {
				if n++; n > limit {
					break
				}
			}
		}
		return n
	}
	tuneBest := func(budget float64) (Alarm, float64) {
		limit := int(budget * float64(runs))
		bestMean, best := math.Inf(1), Alarm{}
		for _, sh := range alarmShapes() {
			k := int(sh.period / time.Minute)
			kh, kb := key{sh.metric, sh.period}, key{sh.metric, -sh.period}
			if dps[kh] == nil {
				dps[kh], dps[kb] = pre(sh, tune.healthy), pre(sh, tune.bad)
			}
			ths := sh.thresholds()
			lo, hi := 0, len(ths) // smallest threshold index within the budget
			for lo < hi {
				mid := (lo + hi) / 2
				a := sh.alarm(ths[mid])
				if detectFR(&a, dps[kh], k, limit) <= limit {
					hi = mid
				} else {
					lo = mid + 1
				}
			}
			if lo == len(ths) {
				continue
			}
			a := sh.alarm(ths[lo])
			var sum float64
			for i := range dps[kb] {
				d := fastDetect(&a, dps[kb][i], k, buf)
				if d < 0 {
					d = H + 1
				}
				sum += float64(d)
			}
			if m := sum / float64(runs); m < bestMean {
				bestMean, best = m, a
			}
		}
		return best, bestMean
	}
	best, bestMean := tuneBest(budget)

	// The winner through the real controller (poll after each evaluation,
	// CloudWatch cadence) on fresh seeds, and Sequential on the same.
	ctl := Alarms{Alarms: []Alarm{best}}
	alarmFR, alarmMean := measure(func(s *metrics.Series) int { return detectAt(ctl, s) }, eval)
	seqFR, seqMean := measure(seqDetect, eval)
	// The fast path and the Monitor must agree on the tuning runs.
	bk := int(best.Period / time.Minute)
	bd := pre(alarmShape{best.Metric, best.Period, best.M(), best.EvaluationPeriods}, tune.bad)
	for i := range tune.bad {
		if f, m := fastDetect(&best, bd[i], bk, buf), detectAt(ctl, &tune.bad[i]); f != m {
			t.Fatalf("run %d: fast path detects at %d, Monitor at %d", i, f, m)
		}
	}
	describe := func(a Alarm) string {
		return fmt.Sprintf("%s %s >= %.4g, %d of %d, period %v", a.Statistic, a.Metric, a.Threshold, a.M(), a.EvaluationPeriods, a.Period)
	}
	desc := describe(best)
	t.Logf("false-rollback budget from tuning set: %.4f", budget)
	t.Logf("best alarm (%s): tuning mean %.2f min; fresh seeds: false rollback %.4f, mean detection %.2f min", desc, bestMean, alarmFR, alarmMean)
	t.Logf("Sequential α=0.05: fresh seeds: false rollback %.4f, mean detection %.2f min", seqFR, seqMean)
	// A generous comparison: the alarm may roll back healthy candidates up
	// to α = 5 % of the time, ten times what Sequential does here.
	loose, _ := tuneBest(0.05)
	looseFR, looseMean := measure(func(s *metrics.Series) int { return detectAt(Alarms{Alarms: []Alarm{loose}}, s) }, eval)
	t.Logf("best alarm allowed 5%% false rollbacks (%s): fresh seeds: false rollback %.4f, mean detection %.2f min", describe(loose), looseFR, looseMean)
	// Monte Carlo: each restricted mean over the runs has a standard error
	// below 0.3 min here (detection times spread over ~1–31 min); the gap
	// observed is minutes, so the comparison is not noise.
	if seqMean > alarmMean {
		t.Errorf("Sequential detects later (%.2f min) than the best tuned alarm (%.2f min)", seqMean, alarmMean)
	}
	if seqFR > 0.05+3*math.Sqrt(0.05*0.95/float64(runs)) {
		t.Errorf("Sequential false rollback %.4f above α", seqFR)
	}
}

// TestSequentialProperties: the statistic only grows with evidence against
// the candidate: moving one failure from the candidate to the baseline in
// any period never raises the likelihood ratio.
func TestSequentialProperties(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(5)
	params.MinSuccessfulTests = 300
	props := gopter.NewProperties(params)
	props.Property("moving an error to the baseline lowers log Λ", prop.ForAll(
		func(inv []uint16, errs []uint8, at int) bool {
			n := min(len(inv), len(errs))
			if n == 0 {
				return true
			}
			at %= n
			a, b := Sequential{Alpha: 0.05}.NewMonitor(), Sequential{Alpha: 0.05}.NewMonitor()
			for i := 0; i < n; i++ {
				ai, bi := float64(inv[i]%500+1), float64(inv[i]/100+1)
				c, d := math.Min(float64(errs[i]%16), ai), math.Min(float64(errs[i]/16), bi)
				a.Add(ai, c, bi, d)
				if i == at && c > 0 && d < bi {
					c, d = c-1, d+1
				}
				b.Add(ai, c, bi, d)
			}
			return b.LogLR() <= a.LogLR()+1e-9
		},
		gen.SliceOf(gen.UInt16()), gen.SliceOf(gen.UInt8()), gen.IntRange(0, 1000),
	))
	props.TestingRun(t)
}

func TestSequentialValidate(t *testing.T) {
	cases := []struct {
		p    Sequential
		want string
	}{
		{Sequential{}, "rollback: Sequential.Alpha = 0: must be in (0, 1)"},
		{Sequential{Alpha: 1.5}, "rollback: Sequential.Alpha = 1.5: must be in (0, 1)"},
		{Sequential{Alpha: 0.05, MinRatio: 0.5}, "rollback: Sequential.MinRatio = 0.5: must be > 1 (0 for 1.25)"},
		{Sequential{Alpha: 0.05, MinRatio: 3, MaxRatio: 2}, "rollback: Sequential.MaxRatio = 2: must be finite and >= MinRatio (3)"},
		{Sequential{Alpha: 0.05, Interval: -time.Second}, "rollback: Sequential.Interval = -1s: must be >= 0 (0 for one minute)"},
	}
	for _, tc := range cases {
		if err := tc.p.Validate(); err == nil || err.Error() != tc.want {
			t.Errorf("got %v\nwant %s", err, tc.want)
		}
	}
	if err := (Sequential{Alpha: 0.05}).Validate(); err != nil {
		t.Error(err)
	}
}

func BenchmarkSequentialEvaluate(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	var s metrics.Series
	canary(0.01).fill(rng, &s, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		m := Sequential{Alpha: 1e-300}.NewMonitor() // never rolls back
		vis := metrics.Series{Resolution: time.Minute}
		for j := 1; j <= len(s.Periods) && i < b.N; j, i = j+1, i+1 {
			vis.Periods = s.Periods[:j]
			m.Evaluate(Observation{Now: time.Duration(j) * time.Minute, Series: &vis})
		}
	}
}
