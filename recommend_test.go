package deploysim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// The closed-form case (the model of sim's TestAlarmClosedFormThroughSimulator):
// Poisson traffic at lambda, a 10 % canary for M one-minute periods, a
// Sum(Errors) >= k alarm on the candidate, 1 of 1, evaluated and polled at
// every period end with no ingestion delay and no action latency. Period
// j's candidate errors are Poisson(μ), μ = lambda·w·p·60 s, independent
// across periods, and the alarm is read at the end of each of the M
// periods, so
//
//	P(false rollback) = 1 - P(Poisson(μ0) < k)^M   (healthy: p = baseline rate)
//	P(detect)         = 1 - P(Poisson(μ1) < k)^M   (bad: p = 1-(1-baseline)(1-fault))
const (
	cfLambda   = 100.0
	cfWeight   = 0.10
	cfBase     = 0.001
	cfFault    = 0.005
	cfPeriods  = 4
	cfMaxFalse = 0.05
)

func closedFormScenario() sim.Scenario {
	sc := sim.BaseScenario()
	sc.Workload = sim.Poisson{Rate: cfLambda}
	sc.Baseline.ErrorProb, sc.Candidate.ErrorProb = cfBase, cfBase
	for _, v := range []*sim.Version{&sc.Baseline, &sc.Candidate} {
		v.P50, v.P99 = time.Millisecond, time.Millisecond
	}
	sc.Fault = sim.Fault{ErrorProb: cfFault}
	sc.IngestionDelay, sc.ActionLatency = 0, 0
	sc.Period = time.Minute
	sc.Seed = 3
	return sc
}

func errorsAlarm(k float64) rollback.Alarm {
	return rollback.Alarm{
		Name: "CandidateErrors", Metric: metrics.Errors, Dimension: metrics.Candidate,
		Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: time.Minute,
		EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: k,
		Comparison: rollback.GreaterThanOrEqualToThreshold, TreatMissingData: rollback.TreatNotBreaching,
	}
}

// idealAlarm is CloudWatch evaluating and CodeDeploy polling at every
// period end.
func idealAlarm(k float64) rollback.Policy {
	return rollback.Alarms{Alarms: []rollback.Alarm{errorsAlarm(k)}, EvaluationInterval: time.Minute}
}

func poissonTail(mu, k float64) float64 { return 1 - distuv.Poisson{Lambda: mu}.CDF(k-1) }

func closedFormRates(k float64) (falseRollback, detect float64) {
	mu0 := cfLambda * cfWeight * cfBase * 60
	p1 := 1 - (1-cfBase)*(1-cfFault)
	mu1 := cfLambda * cfWeight * p1 * 60
	return 1 - math.Pow(1-poissonTail(mu0, k), cfPeriods), 1 - math.Pow(1-poissonTail(mu1, k), cfPeriods)
}

func closedFormSpace() Space {
	sp := Space{Strategies: []strategy.Strategy{strategy.Canary{Percent: 100 * cfWeight, Interval: cfPeriods * time.Minute}}, NoPreset: true}
	for k := 1.0; k <= 7; k++ {
		sp.Policies = append(sp.Policies, idealAlarm(k))
	}
	return sp
}

// The recommendation on the closed-form case is the grid's optimum: the
// lowest threshold whose false-rollback rate is below the limit (failures
// grow with the threshold, as a higher one fires later). The expected
// threshold comes from the Poisson tails, with margins that make it the
// only possible answer at 512 runs: the threshold below it has a rate above
// 1.5 × the limit (its lower bound will exceed the limit), and its own rate
// is below half the limit (its upper bound will not).
func TestRecommendFindsClosedFormOptimum(t *testing.T) {
	want := 0.0
	for k := 1.0; k <= 7; k++ {
		if fr, _ := closedFormRates(k); fr < cfMaxFalse/2 {
			want = k
			break
		}
	}
	if below, _ := closedFormRates(want - 1); !(want > 1 && below > 1.5*cfMaxFalse) {
		t.Fatalf("test design: threshold %g's neighbour below has rate %.4f: not clearly over %g", want, below, cfMaxFalse)
	}
	sc := closedFormScenario()
	rec, err := Recommend(context.Background(), sc, closedFormSpace(), Constraints{MaxFalseRollback: cfMaxFalse})
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Feasible {
		t.Fatalf("not feasible: %s", rec.Closest)
	}
	got := rec.Best.Policy.(rollback.Alarms).Alarms[0].Threshold
	if got != want {
		t.Errorf("recommended threshold %g, closed-form optimum %g", got, want)
	}
	// Every candidate's estimates agree with the closed forms within 4
	// standard errors (binomial), a false failure about once in 16,000.
	for _, c := range rec.Candidates {
		k := c.Policy.(rollback.Alarms).Alarms[0].Threshold
		fr, det := closedFormRates(k)
		n := float64(c.Runs)
		for _, x := range []struct {
			name      string
			got, want float64
		}{
			{"false-rollback rate", c.Summary.Value(metrics.FalseRollbackRate), fr},
			{"detection rate", c.Summary.Value(metrics.DetectionRate), det},
		} {
			se := math.Sqrt(max(x.want*(1-x.want), 1/n) / n)
			if math.Abs(x.got-x.want) > 4*se {
				t.Errorf("threshold %g: %s %.4f over %d runs, closed form %.4f (tolerance %.4f)", k, x.name, x.got, c.Runs, x.want, 4*se)
			}
		}
	}

	// Fresh seeds: the recommendation meets the limit on runs it never saw.
	fresh := sc
	fresh.Seed = 987654321
	fresh.Strategy, fresh.Policy = rec.Best.Strategy, rec.Best.Policy
	sum, err := Estimate(context.Background(), fresh, 2000, EstimateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fr := sum.Value(metrics.FalseRollbackRate); fr > cfMaxFalse {
		t.Errorf("fresh seeds: false-rollback rate %.4f > limit %g", fr, cfMaxFalse)
	}
	t.Logf("threshold %g; %d configurations, %d runs (exhaustive %d); dropped %v", got, rec.Configurations, rec.Runs, rec.Exhaustive, rec.Dropped)
}

// exhaustivePick evaluates every configuration at maxRuns runs with the
// same seeds and picks the feasible one of lowest objective mean (ties:
// space order), independently of the racing code.
func exhaustivePick(t *testing.T, sc sim.Scenario, sp Space, c Constraints, maxRuns int) int {
	t.Helper()
	level := 2*c.confidence() - 1
	best, bestV := -1, math.Inf(1)
	for i, cfg := range sp.Configurations() {
		s := sc
		s.Strategy, s.Policy = cfg.Strategy, cfg.Policy
		sum, err := Estimate(context.Background(), s, maxRuns, EstimateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ok := true
		if c.MaxFalseRollback > 0 && sum.RateAt(metrics.FalseRollbackRate, level).CIHigh > c.MaxFalseRollback {
			ok = false
		}
		if c.MinDetection > 0 && sum.RateAt(metrics.DetectionRate, level).CILow < c.MinDetection {
			ok = false
		}
		if v := sum.Value(c.Objective); ok && v < bestV {
			best, bestV = i, v
		}
	}
	return best
}

// On a grid of strategies and thresholds, racing recommends what the
// exhaustive grid on the same seeds does, for fewer runs.
func TestRecommendMatchesExhaustiveGrid(t *testing.T) {
	sc := closedFormScenario()
	sp := Space{MaxRuns: 256, NoPreset: true}
	percents := []float64{5, 10, 20}
	if testing.Short() {
		sp.MaxRuns, percents = 128, percents[1:2]
	}
	for _, p := range percents {
		sp.Strategies = append(sp.Strategies, strategy.Canary{Percent: p, Interval: cfPeriods * time.Minute})
	}
	for k := 1.0; k <= 8; k++ {
		sp.Policies = append(sp.Policies, idealAlarm(k))
	}
	sp.Policies = append(sp.Policies, rollback.Sequential{Alpha: 0.05, Interval: time.Minute})
	cons := Constraints{MaxFalseRollback: cfMaxFalse, MinDetection: 0.5}
	rec, err := Recommend(context.Background(), sc, sp, cons)
	if err != nil {
		t.Fatal(err)
	}
	want := exhaustivePick(t, sc, sp, cons, sp.MaxRuns)
	if rec.Best.Index != want {
		t.Errorf("racing picked %d (%s), the exhaustive grid %d (%s)", rec.Best.Index, rec.Best.Label(), want, sp.Configurations()[want])
	}
	if rec.Runs >= rec.Exhaustive {
		t.Errorf("racing spent %d runs, the exhaustive grid %d", rec.Runs, rec.Exhaustive)
	}
	t.Logf("%d configurations: %d runs against %d exhaustive (%.0f %%)", rec.Configurations, rec.Runs, rec.Exhaustive, 100*float64(rec.Runs)/float64(rec.Exhaustive))
}

// The answer does not depend on the number of workers.
func TestRecommendDeterministic(t *testing.T) {
	sc := closedFormScenario()
	var recs []Recommendation
	for _, w := range []int{1, 3} {
		sp := closedFormSpace()
		sp.Workers, sp.MaxRuns = w, 128
		rec, err := Recommend(context.Background(), sc, sp, Constraints{MaxFalseRollback: 0.1})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	a, b := recs[0], recs[1]
	if a.Best.Index != b.Best.Index || a.Runs != b.Runs || !a.Best.Summary.Equal(b.Best.Summary) {
		t.Fatalf("1 worker: %d, %d runs; 3 workers: %d, %d runs", a.Best.Index, a.Runs, b.Best.Index, b.Runs)
	}
	var ja, jb bytes.Buffer
	if err := a.WriteJSON(&ja, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteJSON(&jb, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ja.Bytes(), jb.Bytes()) {
		t.Error("JSON differs between 1 and 3 workers")
	}
}

// Limits no configuration meets: the answer says so and names the limit.
func TestRecommendInfeasible(t *testing.T) {
	sp := closedFormSpace()
	sp.MaxRuns = 64
	rec, err := Recommend(context.Background(), closedFormScenario(), sp, Constraints{MaxFalseRollback: 0.001, MinDetection: 0.999})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Feasible || rec.Best == nil {
		t.Fatalf("feasible = %v with a 0.1 %% limit over 64 runs (the Wilson bound of 0/64 is above it)", rec.Feasible)
	}
	if !strings.Contains(rec.Closest, "cannot all be met") || !strings.Contains(rec.Closest, "false_rollback_rate") {
		t.Errorf("Closest = %q", rec.Closest)
	}
}

// myPolicy is a policy type of the user's own: Recommend runs it, the
// command line cannot express it.
type myPolicy struct{ rollback.Sequential }

func (myPolicy) Name() string { return "mine" }

func TestRecommendUserTypes(t *testing.T) {
	sp := Space{
		Strategies: []strategy.Strategy{strategy.Steps{{SetWeight: 5}, {Pause: 4 * time.Minute}}},
		Policies:   []rollback.Policy{myPolicy{rollback.Sequential{Alpha: 0.05}}},
		MaxRuns:    16,
		NoPreset:   true,
	}
	rec, err := Recommend(context.Background(), closedFormScenario(), sp, Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Best.Policy.Name() != "mine" {
		t.Errorf("best policy %s", rec.Best.Policy.Name())
	}
	if args, err := rec.Best.CompareArgs(); err == nil {
		t.Errorf("CompareArgs of a user's policy = %q, want an error", args)
	}
	var out bytes.Buffer
	if err := rec.WriteJSON(&out, map[string]int{"rps": 100}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["compare_args"] != nil {
		t.Errorf("compare_args = %v, want null", doc["compare_args"])
	}
	best := doc["best"].(map[string]any)
	if best["policy"] != "mine" || best["strategy"] != "Steps:5%,4m" {
		t.Errorf("best = %v / %v", best["strategy"], best["policy"])
	}
}

func TestRecommendErrors(t *testing.T) {
	sc := closedFormScenario()
	sp := closedFormSpace()
	for _, tc := range []struct {
		name string
		sc   sim.Scenario
		sp   Space
		c    Constraints
		want string
	}{
		{"false rollback", sc, sp, Constraints{MaxFalseRollback: 1.5}, "MaxFalseRollback = 1.5"},
		{"detection", sc, sp, Constraints{MinDetection: -1}, "MinDetection = -1"},
		{"duration", sc, sp, Constraints{MaxDuration: -time.Second}, "MaxDuration = -1s"},
		{"objective", sc, sp, Constraints{Objective: metrics.ColdStarts}, "Objective = cold_starts"},
		{"confidence", sc, sp, Constraints{Confidence: 1}, "Confidence = 1"},
		{"runs", sc, Space{Strategies: sp.Strategies, Policies: sp.Policies, MinRuns: 64, MaxRuns: 8}, Constraints{}, "MaxRuns = 8"},
		{"nil strategy", sc, Space{Strategies: []strategy.Strategy{nil}, Policies: sp.Policies}, Constraints{}, "Strategies[0] = nil"},
		{"empty", sc, Space{}, Constraints{}, "space is empty"},
		{"bad policy", sc, Space{Strategies: sp.Strategies, Policies: []rollback.Policy{rollback.Sequential{Alpha: 2}}}, Constraints{}, "configuration 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Recommend(context.Background(), tc.sc, tc.sp, tc.c)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, sim.ErrInvalid) {
				t.Errorf("err = %v, want %q wrapping sim.ErrInvalid", err, tc.want)
			}
		})
	}
	healthy := sc
	healthy.Fault = sim.Fault{}
	if _, err := Recommend(context.Background(), healthy, sp, Constraints{}); !errors.Is(err, ErrNotBad) {
		t.Errorf("healthy scenario: err = %v, want ErrNotBad", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Recommend(ctx, sc, sp, Constraints{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

// DescribePolicy writes what the command line builds back into its flags.
func TestDescribePolicy(t *testing.T) {
	a := DescribePolicy(rollback.CodeDeploy(DefaultAlarm()))
	want := "AlarmName=CandidateErrorRate,MetricName=ErrorRate,Dimension=candidate,Statistic=Sum,Period=60,EvaluationPeriods=1,DatapointsToAlarm=1,Threshold=0.01,ComparisonOperator=GreaterThanOrEqualToThreshold,TreatMissingData=notBreaching"
	if a.Err != nil || a.Policy != "alarms" || len(a.Alarms) != 1 || a.Alarms[0] != want {
		t.Errorf("default alarm: %+v", a)
	}
	if got := strings.Join(a.Args, " "); got != "--policy alarms --alarm "+want+" --evaluation-interval 0s --poll-interval 1m0s" {
		t.Errorf("args %q", got)
	}
	c := DescribePolicy(comparePolicy(0.98))
	if c.Err != nil || strings.Join(c.Args, " ") != "--policy compare --compare-confidence 0.98 --evaluation-interval 1m0s" {
		t.Errorf("compare: %+v", c)
	}
	if c := DescribePolicy(rollback.BaselineComparison{Interval: time.Minute, Confidence: 0.98, LatencyQuantile: 0.99}); c.Err == nil {
		t.Error("a latency comparison has no flags, but no error")
	}
	s := DescribePolicy(rollback.Sequential{Alpha: 0.05})
	if s.Err != nil || strings.Join(s.Args, " ") != "--policy sequential --sequential-alpha 0.05 --evaluation-interval 0s" {
		t.Errorf("sequential: %+v", s)
	}
	if n := DescribePolicy(nil); n.Policy != "none" {
		t.Errorf("nil: %+v", n)
	}
}

func TestDefaultSpace(t *testing.T) {
	sp := DefaultSpace()
	n := len(sp.Configurations())
	if n < 4000 || n > 6000 {
		t.Errorf("default space: %d configurations, documented as about 5,000", n)
	}
	for _, p := range strategy.LambdaPresets() {
		found := false
		for _, s := range sp.Strategies {
			found = found || strategy.Equal(s, p)
		}
		if !found {
			t.Errorf("preset %s missing from the default space", p)
		}
	}
	for i, s := range sp.Strategies {
		if back, err := strategy.Parse(s.String()); err != nil || !strategy.Equal(back, s) {
			t.Errorf("strategy %d %s does not parse back: %v", i, s, err)
		}
		for j := range i {
			if strategy.Equal(sp.Strategies[j], s) {
				t.Errorf("strategy %s listed twice", s)
			}
		}
	}
	for _, p := range sp.Policies {
		if f := DescribePolicy(p); f.Err != nil {
			t.Errorf("default policy %s has no flags: %v", p.Name(), f.Err)
		}
	}
}

func TestWithBake(t *testing.T) {
	s := WithBake(strategy.LambdaCanary10Percent5Minutes, 10*time.Minute)
	if got := s.String(); got != "Steps:10%,5m,100%,10m" {
		t.Errorf("baked canary = %s", got)
	}
	if d := s.Schedule().Duration(); d != 15*time.Minute {
		t.Errorf("baked canary lasts %v, want 15m", d)
	}
	if WithBake(strategy.AllAtOnce{}, 0) != (strategy.AllAtOnce{}) {
		t.Error("no bake changed the strategy")
	}
}

// Halving waits for the runs a rate limit needs: with no event in n runs
// the one-sided Wilson bound is z²/(n+z²) (z the one-sided normal
// quantile), at most the limit from n = z²/limit - z² on: 52 runs for 5 %
// at 95 %.
func TestHalvingGate(t *testing.T) {
	z := distuv.UnitNormal.Quantile(0.95)
	for _, lim := range []float64{0.05, 0.01} {
		want := int(math.Ceil(z*z/lim - z*z))
		r := &race{cons: Constraints{MaxFalseRollback: lim}, lims: Constraints{MaxFalseRollback: lim}.limits(), space: Space{}, level: 0.9}
		if got := r.halvingGate(); got != want {
			t.Errorf("limit %g: gate %d runs, want %d", lim, got, want)
		}
	}
}

// The zero Candidate is a value the API answers, not a panic: Label names
// what is missing and CompareArgs returns an error.
func TestZeroCandidate(t *testing.T) {
	var c Candidate
	if got := c.Label(); !strings.Contains(got, "no strategy") {
		t.Errorf("Label() = %q", got)
	}
	if _, err := c.CompareArgs(); err == nil {
		t.Errorf("CompareArgs() of the zero Candidate: want an error")
	}
}
