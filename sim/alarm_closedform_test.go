package sim

import (
	"math"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/deploysim/deploysim/internal/seed"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// Issue 5's closed form, end to end through the simulator: Poisson traffic λ,
// a constant candidate weight w, candidate error probability p, an alarm
// Sum(Errors) >= k over period T on the candidate, 1 of 1, with no
// ingestion delay, evaluation and poll at every period end and no action
// latency. The errors of period j are Poisson(μ) with μ = λ·w·p·T, so the
// alarm fires at the end of period j with probability q = P(Poisson(μ) >= k),
// independently across periods; over M periods of canary:
//
//	P(detect)                  = 1 - (1-q)^M
//	E[failures before rollback] = Σ_{j<M} (1-q)^j · μ      (a period is served
//	                                                        only if no earlier one fired)
//	E[detect instant | detect] = Σ_{j<M} (j+1)·T·(1-q)^j·q / P(detect)
//
// The formulas come from the model, not from the code. Latencies are a
// constant 1 ms, so the requests that start in a period but complete after
// its datapoint is read (about λ·w·1 ms per period, 0.001 requests) do not
// move the figures measurably. Tolerance: 4 standard errors of each
// estimate (binomial for the rate, the sample standard deviation for the
// means), a false failure about once in 16,000 runs of the test.
func TestAlarmClosedFormThroughSimulator(t *testing.T) {
	const (
		lambda = 10.0 // req/s
		w      = 0.10 // Canary10Percent…: 10% until the interval ends
		p      = 0.05
		k      = 6.0
		M      = 30 // periods of canary (a 30-minute canary with 60 s periods)
	)
	T := time.Minute
	mu := lambda * w * p * T.Seconds() // 3 errors per period
	q := 1 - distuv.Poisson{Lambda: mu}.CDF(k-1)

	pDetect := 1 - math.Pow(1-q, M)
	eFailures, eDetect := 0.0, 0.0
	for j := 0; j < M; j++ {
		survive := math.Pow(1-q, float64(j))
		eFailures += survive * mu
		eDetect += float64(j+1) * T.Seconds() * survive * q
	}
	eDetect /= pDetect

	alarm := rollback.Alarm{
		Name:              "CandidateErrors",
		Metric:            metrics.Errors,
		Dimension:         metrics.Candidate,
		Statistic:         metrics.Statistic{Kind: metrics.Sum},
		Period:            T,
		EvaluationPeriods: 1,
		DatapointsToAlarm: 1,
		Threshold:         k,
		Comparison:        rollback.GreaterThanOrEqualToThreshold,
		TreatMissingData:  rollback.TreatNotBreaching,
	}
	s := perRequestScenario()
	s.Workload = Poisson{Rate: lambda}
	s.Strategy = strategy.Canary{Percent: 100 * w, Interval: M * T}
	s.Policy = rollback.Alarms{Alarms: []rollback.Alarm{alarm}, EvaluationInterval: T, PollInterval: 0}
	s.Fault = Fault{ErrorProb: p}
	s.Baseline.P50, s.Baseline.P99 = time.Millisecond, time.Millisecond
	s.Candidate.P50, s.Candidate.P99 = time.Millisecond, time.Millisecond
	s.IngestionDelay, s.ActionLatency = 0, 0
	s.Period = T

	runs := 2000
	if testing.Short() {
		runs = 400
	}
	var detected int
	var fSum, fSq, dSum, dSq float64
	var r Runner
	for i := 0; i < runs; i++ {
		s.Seed = seed.Derive(5, uint64(i))
		run, err := r.Run(s)
		if err != nil {
			t.Fatal(err)
		}
		f := float64(run.Candidate.Failures())
		fSum += f
		fSq += f * f
		if run.Detected != metrics.Never {
			detected++
			d := run.Detected.Seconds()
			dSum += d
			dSq += d * d
			if run.WeightZero != run.Detected {
				t.Fatalf("run %d: weight back at 0 at %v, detected at %v: with no action latency they must coincide", i, run.WeightZero, run.Detected)
			}
			if math.Mod(d, T.Seconds()) != 0 {
				t.Fatalf("run %d: detected at %v: with no delay the alarm can only fire at a period end", i, run.Detected)
			}
		}
	}
	n := float64(runs)
	rate := float64(detected) / n
	if se := math.Sqrt(pDetect * (1 - pDetect) / n); math.Abs(rate-pDetect) > 4*se {
		t.Errorf("P(detect) = %.4f, closed form %.4f (tolerance %.4f)", rate, pDetect, 4*se)
	}
	meanF := fSum / n
	sdF := math.Sqrt(fSq/n - meanF*meanF)
	if se := sdF / math.Sqrt(n); math.Abs(meanF-eFailures) > 4*se {
		t.Errorf("E[candidate failures] = %.3f, closed form %.3f (tolerance %.3f)", meanF, eFailures, 4*se)
	}
	nd := float64(detected)
	meanD := dSum / nd
	sdD := math.Sqrt(dSq/nd - meanD*meanD)
	if se := sdD / math.Sqrt(nd); math.Abs(meanD-eDetect) > 4*se {
		t.Errorf("E[detect instant | detect] = %.1f s, closed form %.1f s (tolerance %.1f)", meanD, eDetect, 4*se)
	}
	t.Logf("q = %.4f; P(detect) %.4f vs %.4f; failures %.2f vs %.2f; detect %.0f s vs %.0f s",
		q, rate, pDetect, meanF, eFailures, meanD, eDetect)
}
