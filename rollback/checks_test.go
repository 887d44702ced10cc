package rollback

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
)

// Closed forms computed by hand (Φ̄(z) = erfc(z/√2)/2, independent of gonum).
func TestTestStatistics(t *testing.T) {
	survival := func(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }
	// Two proportions 30/1000 vs 20/1000: pooled p = 0.025,
	// z = 0.01 / sqrt(0.025·0.975·(2/1000)) = 1.43223.
	z := 0.01 / math.Sqrt(0.025*0.975*0.002)
	if got, want := TwoProportionP(30, 1000, 20, 1000), survival(z); math.Abs(got-want) > 1e-9 {
		t.Errorf("TwoProportionP = %g, want %g", got, want)
	}
	if got := TwoProportionP(0, 100, 0, 100); got != 1 {
		t.Errorf("no errors at all: p = %g, want 1", got)
	}
	// Binomial tail by direct summation of the pmf.
	tail := func(x, n int, p float64) float64 {
		s := 0.0
		for k := x; k <= n; k++ {
			lg1, _ := math.Lgamma(float64(n + 1))
			lg2, _ := math.Lgamma(float64(k + 1))
			lg3, _ := math.Lgamma(float64(n - k + 1))
			s += math.Exp(lg1 - lg2 - lg3 + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
		}
		return s
	}
	for _, tc := range []struct {
		x, n int
		p    float64
	}{{7, 30, 0.1}, {1, 5, 0.2}, {12, 40, 0.1}, {30, 30, 0.5}} {
		if got, want := BinomialTestP(float64(tc.x), float64(tc.n), tc.p), tail(tc.x, tc.n, tc.p); math.Abs(got-want) > 1e-9*math.Max(1, want) {
			t.Errorf("BinomialTestP(%d, %d, %g) = %g, want %g", tc.x, tc.n, tc.p, got, want)
		}
	}
	// Mann–Whitney, no ties: x = {4,5,6}, y = {1,2,3}: U = 9, mean 4.5,
	// variance 3·3·7/12 = 5.25, z = (9-4.5-0.5)/√5.25.
	if got, want := MannWhitneyGreaterP([]float64{4, 5, 6}, []float64{1, 2, 3}), survival(4/math.Sqrt(5.25)); math.Abs(got-want) > 1e-12 {
		t.Errorf("MannWhitney no ties = %g, want %g", got, want)
	}
	// With ties: x = {2,2}, y = {1,2}: U = 3, mean 2, three 2s give
	// t³-t = 24, variance 4/12·(5 - 24/12) = 1, z = 0.5.
	if got, want := MannWhitneyGreaterP([]float64{2, 2}, []float64{1, 2}), survival(0.5); math.Abs(got-want) > 1e-12 {
		t.Errorf("MannWhitney ties = %g, want %g", got, want)
	}
}

// TestCompareLevels: per window, the exact error test's false-fail rate is
// at most 1-Confidence (it is conservative), and so is the latency test's
// (significance and a 25 % effect are both required); a 2x error rate and a 1.5x latency fail most windows.
// Tolerance: 3 binomial standard errors over the windows.
func TestCompareLevels(t *testing.T) {
	windows := 1500
	if testing.Short() {
		windows = 400
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var s metrics.Series
	errOnly := BaselineComparison{Interval: 10 * time.Minute, Confidence: 0.98, MinRequests: 100, Exact: true}
	latOnly := BaselineComparison{Interval: 10 * time.Minute, Confidence: 0.98, LatencyQuantile: 0.5, LatencyTolerance: 0.25}
	rate := func(name string, c BaselineComparison, st stream) float64 {
		j := c.NewJudge()
		fails := 0
		for w := 0; w < windows; w++ {
			st.fill(rng, &s, 10)
			if j.Judge(&s, 0, 10) == Fail {
				fails++
			}
		}
		r := float64(fails) / float64(windows)
		t.Logf("%s: fails %.4f of %d windows", name, r, windows)
		return r
	}
	tol := 0.02 + 3*math.Sqrt(0.02*0.98/float64(windows))
	lat := func(f float64) stream {
		st := stream{rate: constant(60), weight: constant(0.5), pBase: constant(0), pCand: constant(0), latency: true, latFactor: f}
		return st
	}
	if r := rate("errors, healthy", errOnly, canary(0.01)); r > tol {
		t.Errorf("exact error test false-fail rate %.4f > %.4f", r, tol)
	}
	if r := rate("errors, 2x", errOnly, canary(0.02)); r < 0.9 {
		t.Errorf("exact error test detects a 2x error rate in %.3f of 10-minute windows, want >= 0.9", r)
	}
	if r := rate("latency, healthy", latOnly, lat(1)); r > tol {
		t.Errorf("latency test false-fail rate %.4f > %.4f", r, tol)
	}
	if r := rate("latency, 1.5x", latOnly, lat(1.5)); r < 0.9 {
		t.Errorf("latency test detects 1.5x latency in %.3f of windows, want >= 0.9", r)
	}
	// A 10 % slowdown is significant but inside the 25 % tolerance: pass.
	if r := rate("latency, 1.1x", latOnly, lat(1.1)); r > tol {
		t.Errorf("latency within tolerance fails %.4f of windows", r)
	}
}

func TestComparePolicyNoData(t *testing.T) {
	// An idle canary: no invocations at all.
	idle := &metrics.Series{Resolution: time.Minute, Periods: make([]metrics.Period, 60)}
	for _, tc := range []struct {
		nd   NoDataAction
		want int
	}{{NoDataFail, 10}, {NoDataPass, -1}, {NoDataHold, -1}} {
		c := BaselineComparison{Interval: 10 * time.Minute, Confidence: 0.98, MinRequests: 50, NoData: tc.nd}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := detectAt(c, idle); got != tc.want {
			t.Errorf("NoData %s: rollback after %d periods, want %d", tc.nd, got, tc.want)
		}
	}
	// Hold grows the window: 10 requests per minute per version, 50 needed:
	// the first 10-minute window already has 100; with 1 request per minute
	// the window must grow to 50 minutes before a judgement, which a 100 %
	// candidate error rate then fails.
	s := &metrics.Series{Resolution: time.Minute, Periods: make([]metrics.Period, 60)}
	for i := range s.Periods {
		s.Periods[i].Dims[metrics.Candidate] = metrics.VersionStats{Invocations: 1, Errors: 1}
		s.Periods[i].Dims[metrics.Baseline] = metrics.VersionStats{Invocations: 1}
	}
	c := BaselineComparison{Interval: 10 * time.Minute, Confidence: 0.98, MinRequests: 50, NoData: NoDataHold}
	if got := detectAt(c, s); got != 50 {
		t.Errorf("held window: rollback after %d periods, want 50", got)
	}
	if err := (BaselineComparison{Interval: time.Minute, Confidence: 0.3}).Validate(); err == nil || err.Error() != "rollback: BaselineComparison.Confidence = 0.3: must be in (0.5, 1)" {
		t.Errorf("BaselineComparison.Validate: %v", err)
	}
}

func errorRateCheck() MetricCheck {
	// Flagger's request-success-rate >= 99 %: fails when the error rate > 1 %.
	return MetricCheck{ID: "request-success-rate", Metric: metrics.ErrorRate, Dimension: metrics.Candidate,
		Comparison: GreaterThanThreshold, Threshold: 0.01}
}

// perMinute builds a series whose minute i has 100 candidate invocations
// and errs[i] errors (or no invocations when errs[i] < 0).
func perMinute(errs ...float64) *metrics.Series {
	s := &metrics.Series{Resolution: time.Minute, Periods: make([]metrics.Period, len(errs))}
	for i, e := range errs {
		if e >= 0 {
			s.Periods[i].Dims[metrics.Candidate] = metrics.VersionStats{Invocations: 100, Errors: e}
		}
	}
	return s
}

func TestFailedChecks(t *testing.T) {
	bad := perMinute(5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5)
	// Flagger's scheduler (advanceCanary) tests FailedChecks >= threshold
	// at the start of a tick, before that tick's checks: with every check
	// failing, checks 1..threshold fail at ticks 1..threshold and the
	// rollback comes at tick threshold+1, (threshold + 1) × interval, one
	// interval after the documentation's interval × threshold.
	for _, tc := range []struct {
		interval  time.Duration
		threshold int
	}{{time.Minute, 5}, {2 * time.Minute, 3}, {time.Minute, 1}} {
		p := FailedChecks{Threshold: tc.threshold, Interval: tc.interval, Checks: []Check{errorRateCheck()}}
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
		want := int(tc.interval/time.Minute) * (tc.threshold + 1)
		if got := detectAt(p, bad); got != want {
			t.Errorf("interval %v threshold %d: rollback at minute %d, want %d", tc.interval, tc.threshold, got, want)
		}
	}
	// Passing checks never reset the counter: fail, pass, fail, pass, fail
	// (minutes 1..5) → the third failure at 5, the rollback at the tick after, 6.
	p := FailedChecks{Threshold: 3, Interval: time.Minute, Checks: []Check{errorRateCheck()}}
	if got := detectAt(p, perMinute(5, 0, 5, 0, 5, 0, 0)); got != 6 {
		t.Errorf("alternating: rollback at %d, want 6", got)
	}
	// No data: an idle service rolls back after threshold+1 intervals by
	// default (Flagger), never with NoDataPass or NoDataHold.
	idle := perMinute(-1, -1, -1, -1, -1, -1)
	for nd, want := range map[NoDataAction]int{NoDataFail: 4, NoDataPass: -1, NoDataHold: -1} {
		p.NoData = nd
		if got := detectAt(p, idle); got != want {
			t.Errorf("idle, NoData %s: rollback at %d, want %d", nd, got, want)
		}
	}
	p.NoData = NoDataFail
	m := p.Start()
	for i := 1; i <= 4; i++ {
		dec := m.Evaluate(Observation{Now: time.Duration(i) * time.Minute, Series: &metrics.Series{Resolution: time.Minute, Periods: bad.Periods[:i]}})
		if i == 4 && (!dec.Rollback || dec.Alarm != "request-success-rate" || !strings.Contains(dec.Reason, "3 failed checks (threshold 3) at 3m0s")) {
			t.Errorf("decision %+v", dec)
		}
		if i < 4 && dec.Rollback {
			t.Errorf("rollback at tick %d, before the tick after the threshold", i)
		}
	}
	if err := (FailedChecks{Interval: time.Minute, Checks: []Check{errorRateCheck()}}).Validate(); err == nil || err.Error() != "rollback: FailedChecks.Threshold = 0: must be >= 1" {
		t.Errorf("FailedChecks.Validate: %v", err)
	}
}

// TestFailedChecksProgression follows Flagger's runCanary by hand: the
// weight advances only on a passing tick and the passing tick at maxWeight
// promotes, so with k failed checks (below the threshold) a canary of n
// weights is promoted at (n + k) × interval.
func TestFailedChecksProgression(t *testing.T) {
	p := FailedChecks{Threshold: 5, Interval: time.Minute, Checks: []Check{errorRateCheck()},
		Progression: Progression{Weights: []float64{0.1, 0.2, 0.3}}}
	if err := p.Validate(); err != nil || !Drives(p) || !QueriesRanges(p) || !QueriesRanges(AnyOf(p)) {
		t.Fatalf("Validate %v, Drives %v", err, Drives(p))
	}
	// minutes: pass, fail, pass, fail, pass, pass → weights 0.2 at 1,
	// held at 2, 0.3 at 3, held at 4, promotion at 5 = (3 + 2) ticks.
	s := perMinute(0, 5, 0, 5, 0, 0)
	m := p.Start()
	type step struct {
		w       float64
		set     bool
		promote bool
	}
	want := []step{{0.2, true, false}, {}, {0.3, true, false}, {}, {0, false, true}}
	for i, w := range want {
		now := time.Duration(i+1) * time.Minute
		d := m.Evaluate(Observation{Now: now, Series: &metrics.Series{Resolution: time.Minute, Periods: s.Periods[:i+1]}})
		if d.Rollback || d.SetWeight != w.set || d.Weight != w.w || d.Promote != w.promote {
			t.Errorf("tick %d: %+v, want %+v", i+1, d, w)
		}
	}
	// Blue/green, 2 iterations: ticks 1 (iteration 2), 2 (all traffic to
	// the canary), then a failing check (held), then a passing one
	// promotes: Iterations + 1 passes, plus one failure.
	p.Progression = Progression{Iterations: 2, BlueGreen: true}
	if p.Progression.Passes() != 3 {
		t.Errorf("Passes = %d, want 3", p.Progression.Passes())
	}
	s = perMinute(0, 0, 5, 0)
	m = p.Start()
	wantBG := []step{{}, {1, true, false}, {}, {0, false, true}}
	for i, w := range wantBG {
		now := time.Duration(i+1) * time.Minute
		d := m.Evaluate(Observation{Now: now, Series: &metrics.Series{Resolution: time.Minute, Periods: s.Periods[:i+1]}})
		if d.Rollback || d.SetWeight != w.set || d.Weight != w.w || d.Promote != w.promote {
			t.Errorf("blue/green tick %d: %+v, want %+v", i+1, d, w)
		}
	}
	if err := (FailedChecks{Threshold: 1, Interval: time.Minute, Checks: []Check{errorRateCheck()},
		Progression: Progression{Weights: []float64{0.5, 0.4}}}).Validate(); err == nil || !strings.Contains(err.Error(), "Weights[1] = 0.4: must increase") {
		t.Errorf("decreasing weights: %v", err)
	}
}

// TestWindowRule checks the one window rule on a series of 10-second
// periods: a query over [1m] at t with the visible periods ending at t − D
// reads the last 6 visible periods, whatever the check's cadence.
func TestWindowRule(t *testing.T) {
	s := &metrics.Series{Resolution: 10 * time.Second, Periods: make([]metrics.Period, 9)}
	from, to := Window(Observation{Now: 105 * time.Second, Series: s}, time.Minute)
	if from != 3 || to != 9 {
		t.Errorf("Window = [%d, %d), want [3, 9)", from, to)
	}
	// A window that is not whole periods is rounded up to whole periods.
	if from, _ := Window(Observation{Series: s}, 25*time.Second); from != 6 {
		t.Errorf("25s window from %d, want 6", from)
	}
	// A check every 15 s over [1m] validates: the window need not divide
	// the interval (Flagger's interval: 15s, issue 19.1).
	c := errorRateCheck()
	c.Window = time.Minute
	p := FailedChecks{Threshold: 2, Interval: 15 * time.Second, Checks: []Check{c}}
	if err := p.Validate(); err != nil || p.Resolution() != 15*time.Second {
		t.Errorf("Validate %v, Resolution %v", err, p.Resolution())
	}
}

func TestAnalysis(t *testing.T) {
	// failureLimit 2: the third failed measurement aborts (strictly greater).
	p := ArgoAnalysis(time.Minute, errorRateCheck())
	p.FailureLimit = 2
	if got := detectAt(p, perMinute(5, 0, 5, 0, 5, 0)); got != 5 {
		t.Errorf("failureLimit 2: abort at %d, want 5", got)
	}
	p.FailureLimit = -1
	if got := detectAt(p, perMinute(5, 5, 5, 5, 5, 5)); got != -1 {
		t.Errorf("failureLimit -1 aborted at %d", got)
	}
	// No data is an error, not a failure: consecutiveErrorLimit 4 (Argo's
	// default) aborts on the fifth consecutive empty measurement; a
	// measurement with data resets the run.
	p = ArgoAnalysis(time.Minute, errorRateCheck())
	if got := detectAt(p, perMinute(-1, -1, -1, -1, 0, -1, -1, -1, -1, -1)); got != 10 {
		t.Errorf("consecutive errors: abort at %d, want 10", got)
	}
	// InitialDelay shifts the measurements.
	p.InitialDelay = 30 * time.Second
	if got := p.Start().Next(0); got != 30*time.Second {
		t.Errorf("first measurement at %v, want 30s", got)
	}
	if err := (Analysis{Interval: time.Minute, ConsecutiveErrorLimit: -1, Checks: []Check{errorRateCheck()}}).Validate(); err == nil ||
		err.Error() != "rollback: Analysis.ConsecutiveErrorLimit = -1: must be >= 0" {
		t.Errorf("Analysis.Validate: %v", err)
	}
}

func TestAnyOf(t *testing.T) {
	slow := FailedChecks{Threshold: 4, Interval: time.Minute, Checks: []Check{errorRateCheck()}}
	fast := CodeDeploy(errorsAlarm("ErrorsHigh", 5))
	p := AnyOf(slow, fast)
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.Resolution() != time.Minute || p.Name() != "anyOf(failedChecks(request-success-rate),alarms(ErrorsHigh))" {
		t.Errorf("Resolution %v, Name %q", p.Resolution(), p.Name())
	}
	m := p.Start()
	s := perMinute(5, 5, 5, 5, 5)
	vis := metrics.Series{Resolution: time.Minute}
	var dec Decision
	at := time.Duration(0)
	for t0 := m.Next(0); t0 <= 5*time.Minute; t0 = m.Next(t0) {
		vis.Periods = s.Periods[:int(t0/time.Minute)]
		if dec = m.Evaluate(Observation{Now: t0, Series: &vis}); dec.Rollback {
			at = t0
			break
		}
	}
	if at != time.Minute || dec.Alarm != "ErrorsHigh" {
		t.Errorf("AnyOf: rollback at %v by %q, want 1m by ErrorsHigh", at, dec.Alarm)
	}
	if err := AnyOf().Validate(); err == nil || err.Error() != "rollback: AnyOf.policies = []: must list at least one policy" {
		t.Errorf("AnyOf().Validate: %v", err)
	}
	// A nil member, or a nil pointer to a policy, is an error naming it, and
	// Name does not panic on it (sim formats its errors with Name).
	var nilAlarms *Alarms
	for _, c := range []struct {
		p          Policy
		name, want string
	}{
		{AnyOf(Sequential{Alpha: 0.05}, nil), "anyOf(sequential(α=0.05),nil)", "rollback: AnyOf.policies[1] = nil: must be a policy"},
		{AnyOf(nilAlarms), "anyOf(nil)", "rollback: AnyOf.policies[0] = (*rollback.Alarms)(nil): must be a policy"},
	} {
		if got := c.p.Name(); got != c.name {
			t.Errorf("Name() = %q, want %q", got, c.name)
		}
		if err := c.p.Validate(); err == nil || err.Error() != c.want {
			t.Errorf("Validate() = %v, want %q", err, c.want)
		}
	}
	// The same for a nil check of FailedChecks or Analysis.
	var nilCheck *MetricCheck
	for _, c := range []struct {
		p          Policy
		name, want string
	}{
		{FailedChecks{Interval: time.Minute, Threshold: 1, Checks: []Check{nilCheck}}, "failedChecks(nil)", "rollback: FailedChecks.Checks[0] = (*rollback.MetricCheck)(nil): must be a check"},
		{Analysis{Interval: time.Minute, Checks: []Check{nil}}, "analysis(nil)", "rollback: Analysis.Checks[0] = nil: must be a check"},
	} {
		if got := c.p.Name(); got != c.name {
			t.Errorf("Name() = %q, want %q", got, c.name)
		}
		if err := c.p.Validate(); err == nil || err.Error() != c.want {
			t.Errorf("Validate() = %v, want %q", err, c.want)
		}
	}
}

// TestComparePeriod: on a 10 s series, latency quantiles are taken per
// minute (Period), so a 10-minute window yields 10 values per version.
func TestComparePeriod(t *testing.T) {
	s := &metrics.Series{Resolution: 10 * time.Second, Periods: make([]metrics.Period, 60)}
	for i := range s.Periods {
		s.Periods[i].Dims[metrics.Candidate].Invocations = 1
		s.Periods[i].Dims[metrics.Baseline].Invocations = 1
		s.Periods[i].Dims[metrics.Candidate].Duration.Add(200)
		s.Periods[i].Dims[metrics.Baseline].Duration.Add(100)
	}
	c := BaselineComparison{Interval: 10 * time.Minute, Confidence: 0.98, LatencyQuantile: 0.5}
	j := c.NewJudge().(*compareJudge)
	if v := j.Judge(s, 0, 60); v != Fail || len(j.cand) != 10 {
		t.Errorf("verdict %s over %d latency periods, want fail over 10", v, len(j.cand))
	}
	// A window not aligned to minutes keeps its partial minutes at both ends.
	if j.Judge(s, 3, 21); len(j.cand) != 4 {
		t.Errorf("periods 3..20 span minutes 0 (part), 1, 2, 3 (part): %d values, want 4", len(j.cand))
	}
	if err := (BaselineComparison{Interval: 10 * time.Minute, Period: 3 * time.Minute, Confidence: 0.98}).Validate(); err == nil ||
		err.Error() != "rollback: BaselineComparison.Period = 3m0s: must divide Interval (10m0s); 0 for one minute" {
		t.Errorf("BaselineComparison.Validate: %v", err)
	}
}

// TestMonitorsAllocationFree: after warming up, evaluating any policy's
// monitor allocates nothing (the simulator calls them once per tick).
func TestMonitorsAllocationFree(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	var s metrics.Series
	st := canary(0.01)
	st.latency, st.latFactor = true, 1
	st.rate = constant(100)
	st.fill(rng, &s, 500)
	policies := []Policy{
		Sequential{Alpha: 1e-12},
		BaselineComparison{Interval: 5 * time.Minute, Confidence: 0.999999, MinRequests: 10, LatencyQuantile: 0.99, LatencyTolerance: 10, NoData: NoDataHold},
		FailedChecks{Threshold: 1000, Interval: time.Minute, Checks: []Check{MetricCheck{ID: "p99", Metric: metrics.Duration, Dimension: metrics.Candidate,
			Statistic: metrics.Statistic{Kind: metrics.Percentile, P: 99}, Comparison: GreaterThanThreshold, Threshold: 1e9}}},
		ArgoAnalysis(time.Minute, MetricCheck{ID: "never", Metric: metrics.ErrorRate, Dimension: metrics.Candidate, Comparison: GreaterThanThreshold, Threshold: 1}),
		AnyOf(Sequential{Alpha: 1e-12}, CodeDeploy(errorsAlarm("E", 1e6))),
	}
	for _, p := range policies {
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
		m := p.Start()
		vis := metrics.Series{Resolution: time.Minute}
		now := time.Duration(0)
		step := func() {
			now = m.Next(now)
			vis.Periods = s.Periods[:min(int(now/time.Minute), len(s.Periods))]
			if d := m.Evaluate(Observation{Now: now, Series: &vis}); d.Rollback {
				t.Fatalf("%s rolled back: %s", p.Name(), d.Reason)
			}
		}
		for i := 0; i < 30; i++ {
			step()
		}
		if n := testing.AllocsPerRun(50, step); n != 0 {
			t.Errorf("%s: %v allocations per evaluation", p.Name(), n)
		}
	}
}
