package rollback

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"gonum.org/v1/gonum/stat/distuv"
)

// errorsAlarm: candidate Sum(Errors) >= k over 1-minute periods, 1 of 1.
func errorsAlarm(name string, k float64) Alarm {
	return Alarm{
		Name: name, Metric: metrics.Errors, Dimension: metrics.Candidate,
		Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: time.Minute,
		EvaluationPeriods: 1, Threshold: k, Comparison: GreaterThanOrEqualToThreshold,
	}
}

// drive calls the monitor at every instant it asks for up to horizon, with
// the base periods of full that are visible then (period end + delay), and
// returns the rollback instant (metrics.Never if none) and decision.
func drive(m Monitor, full *metrics.Series, delay, horizon time.Duration) (time.Duration, Decision) {
	vis := metrics.Series{Resolution: full.Resolution}
	for t := m.Next(0); t <= horizon; t = m.Next(t) {
		n := 0
		for n < len(full.Periods) && time.Duration(n+1)*full.Resolution+delay <= t {
			n++
		}
		vis.Periods = full.Periods[:n]
		if d := m.Evaluate(Observation{Now: t, Series: &vis, Weight: 0.1}); d.Rollback {
			return t, d
		}
	}
	return metrics.Never, Decision{}
}

func TestControllerCadence(t *testing.T) {
	// Errors per minute: only period 2 ([2m, 3m)) breaches 5.
	errs := []float64{0, 1, 9, 0, 0, 0, 0, 0}
	inv := []float64{100, 100, 100, 100, 100, 100, 100, 100}
	full := series(time.Minute, inv, errs)
	a := errorsAlarm("ErrorsHigh", 5)

	cases := []struct {
		name    string
		p       Alarms
		delay   time.Duration
		want    time.Duration
		wantNxt []time.Duration // Next(0), Next(Next(0)), …
	}{
		// Zero delay: period 2 is visible at 3m, evaluated at 3m, polled at 3m.
		{"defaults, no delay", CodeDeploy(a), 0, 3 * time.Minute, []time.Duration{time.Minute, 2 * time.Minute}},
		// A 60 s ingestion delay: visible at 4m; the range still holds it at 4m.
		{"60s delay", CodeDeploy(a), time.Minute, 4 * time.Minute, nil},
		// A poll 30 s after each evaluation sees the ALARM 30 s later.
		{"poll offset", Alarms{Alarms: []Alarm{a}, PollInterval: time.Minute, PollOffset: 30 * time.Second}, 0, 3*time.Minute + 30*time.Second,
			[]time.Duration{30 * time.Second, time.Minute, 90 * time.Second}},
		// Polls every 5 minutes: the first poll after 3m is at 5m, and the
		// 1-of-1 alarm is back to OK by then (period 3 is clean): never seen.
		{"slow poll misses a short ALARM", Alarms{Alarms: []Alarm{a}, PollInterval: 5 * time.Minute}, 0, metrics.Never, nil},
		// Poll on every evaluation.
		{"poll on evaluation", Alarms{Alarms: []Alarm{a}}, 0, 3 * time.Minute, nil},
		// Evaluation every 2 minutes: evaluations at 2m (period 1) and 4m (period 3): missed.
		{"sparse evaluation", Alarms{Alarms: []Alarm{a}, EvaluationInterval: 2 * time.Minute}, 0, metrics.Never, nil},
	}
	for _, tc := range cases {
		if err := tc.p.Validate(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, d := drive(tc.p.Start(), full, tc.delay, 8*time.Minute)
		if got != tc.want {
			t.Errorf("%s: rollback at %v, want %v (%+v)", tc.name, got, tc.want, d)
		}
		if got != metrics.Never && (d.Alarm != "ErrorsHigh" || !strings.Contains(d.Reason, "alarm ErrorsHigh in ALARM since") || !strings.Contains(d.Reason, "1 of 1 datapoints >= 5")) {
			t.Errorf("%s: decision %+v", tc.name, d)
		}
		m, tt := tc.p.Start(), time.Duration(0)
		for i, w := range tc.wantNxt {
			tt = m.Next(tt)
			if tt != w {
				t.Errorf("%s: Next #%d = %v, want %v", tc.name, i, tt, w)
			}
		}
	}
}

func TestControllerTransitions(t *testing.T) {
	// A 10 s high-resolution alarm, evaluated every 10 s; CodeDeploy polls
	// every minute. Period [10s, 20s) breaches, [20s, 30s) does not: the
	// alarm is in ALARM from 20 s to 30 s and CodeDeploy never sees it.
	a := errorsAlarm("Fast", 1)
	a.Period = 10 * time.Second
	errs := make([]float64, 12)
	inv := make([]float64, 12)
	for i := range inv {
		inv[i] = 10
	}
	errs[1] = 3
	full := series(10*time.Second, inv, errs)
	p := CodeDeploy(a)
	if p.Resolution() != 10*time.Second {
		t.Fatalf("Resolution = %v", p.Resolution())
	}
	m := p.NewMonitor()
	if at, d := drive(m, full, 0, 2*time.Minute); at != metrics.Never {
		t.Fatalf("rolled back at %v: %+v", at, d)
	}
	want := []Transition{
		{10 * time.Second, "Fast", StateInsufficientData, StateOK},
		{20 * time.Second, "Fast", StateOK, StateAlarm},
		{30 * time.Second, "Fast", StateAlarm, StateOK},
	}
	if fmt.Sprint(m.Transitions()) != fmt.Sprint(want) {
		t.Errorf("transitions %v, want %v", m.Transitions(), want)
	}
	if m.State(0) != StateOK {
		t.Errorf("final state %s", m.State(0))
	}
}

func TestControllerValidate(t *testing.T) {
	a := errorsAlarm("A", 1)
	eleven := make([]Alarm, 11)
	for i := range eleven {
		eleven[i] = errorsAlarm(fmt.Sprint("A", i), 1)
	}
	bad := a
	bad.DatapointsToAlarm = 2
	cases := []struct {
		p    Alarms
		want string
	}{
		{Alarms{}, "rollback: Alarms.Alarms = []: must list at least one alarm"},
		{Alarms{Alarms: eleven}, "rollback: Alarms.Alarms = 11 alarms: CodeDeploy allows at most 10 alarms per deployment group"},
		{Alarms{Alarms: []Alarm{a, a}}, `rollback: Alarms.Alarms[1].Name = "A": must be unique (Alarms[0] has it too)`},
		{Alarms{Alarms: []Alarm{bad}}, `rollback: Alarm "A".DatapointsToAlarm = 2: must be <= EvaluationPeriods (1)`},
		{Alarms{Alarms: []Alarm{a}, PollInterval: -time.Second}, "rollback: Alarms.PollInterval = -1s: must be 0 (poll after every evaluation) or >= 1s"},
		{Alarms{Alarms: []Alarm{a}, PollInterval: 1}, "rollback: Alarms.PollInterval = 1ns: must be 0 (poll after every evaluation) or >= 1s"},
		{Alarms{Alarms: []Alarm{a}, PollInterval: time.Minute, PollOffset: time.Minute}, "rollback: Alarms.PollOffset = 1m0s: must be in [0, PollInterval (1m0s))"},
		{Alarms{Alarms: []Alarm{a}, EvaluationInterval: -1}, "rollback: Alarms.EvaluationInterval = -1ns: must be 0 (CloudWatch's cadence) or >= 1s"},
		{Alarms{Alarms: []Alarm{a}, EvaluationInterval: 999 * time.Millisecond}, "rollback: Alarms.EvaluationInterval = 999ms: must be 0 (CloudWatch's cadence) or >= 1s"},
	}
	for _, tc := range cases {
		err := tc.p.Validate()
		if err == nil || err.Error() != tc.want {
			t.Errorf("got %v\nwant %s", err, tc.want)
		}
	}
}

// TestControllerPoissonClosedForm: errors per period ~ Poisson(μ), alarm
// Sum(Errors) >= k, 1 of 1, zero delay, poll on every evaluation. Each
// period alarms independently with q = P(Poisson(μ) >= k), so the detection
// period is geometric: P(detect at period j) = (1-q)^(j-1)·q, and the
// expected errors up to and including detection over H periods are
// Σ_{j<=H} (1-q)^(j-1)·μ (the Σ_j Π_{i<j}(1-q_i)·μ_j).
func TestControllerPoissonClosedForm(t *testing.T) {
	const (
		mu = 3.0
		k  = 6.0
		H  = 30
	)
	runs := 20000
	if testing.Short() {
		runs = 5000
	}
	q := distuv.Poisson{Lambda: mu}.Survival(k - 1) // P(X >= k) = P(X > k-1)
	wantFail := mu * (1 - math.Pow(1-q, H)) / q

	p := Alarms{Alarms: []Alarm{errorsAlarm("E", k)}}
	rng := rand.New(rand.NewPCG(1, 2))
	pois := distuv.Poisson{Lambda: mu, Src: rng}
	full := &metrics.Series{Resolution: time.Minute, Periods: make([]metrics.Period, H)}
	detections, atRisk := 0, 0
	var sumF, sumF2 float64
	for r := 0; r < runs; r++ {
		for i := range full.Periods {
			d := &full.Periods[i].Dims[metrics.Candidate]
			d.Invocations, d.Errors = 1000, pois.Rand()
		}
		at, _ := drive(p.Start(), full, 0, H*time.Minute)
		periods := H
		if at != metrics.Never {
			detections++
			periods = int(at / time.Minute)
		}
		atRisk += periods
		f := 0.0
		for i := 0; i < periods; i++ {
			f += full.Periods[i].Dims[metrics.Candidate].Errors
		}
		sumF += f
		sumF2 += f * f
	}
	// Geometric MLE: detections / periods at risk. Its standard error is
	// about sqrt(q²(1-q)/detections); 4 standard errors keep a false
	// failure below 1e-4 while catching an off-by-one-period error (which
	// moves q̂ by far more).
	qHat := float64(detections) / float64(atRisk)
	se := math.Sqrt(q * q * (1 - q) / float64(detections))
	if math.Abs(qHat-q) > 4*se {
		t.Errorf("P(alarm in a period) = %.5f, closed form %.5f (±%.5f)", qHat, q, 4*se)
	}
	meanF := sumF / float64(runs)
	seF := math.Sqrt((sumF2/float64(runs) - meanF*meanF) / float64(runs))
	if math.Abs(meanF-wantFail) > 4*seF {
		t.Errorf("errors before rollback = %.3f, closed form %.3f (±%.3f)", meanF, wantFail, 4*seF)
	}
	t.Logf("q̂ = %.5f (closed form %.5f), failures %.3f (closed form %.3f), %d runs", qHat, q, meanF, wantFail, runs)
}

func TestControllerAllocationFree(t *testing.T) {
	a := errorsAlarm("E", 1000)
	b := a
	b.Name, b.Metric, b.Statistic, b.Period, b.Threshold = "L", metrics.Duration, metrics.Statistic{Kind: metrics.Percentile, P: 99}, 5*time.Minute, 1e9
	full := series(time.Minute, make([]float64, 60), make([]float64, 60))
	for i := range full.Periods {
		d := &full.Periods[i].Dims[metrics.Candidate]
		d.Invocations, d.Errors = 50, 1
		for j := 0; j < 50; j++ {
			d.Duration.Add(float64(10 + j))
		}
	}
	m := CodeDeploy(a, b).Start()
	vis := metrics.Series{Resolution: time.Minute}
	now := time.Duration(0)
	step := func() {
		now = m.Next(now)
		vis.Periods = full.Periods[:int(now/time.Minute)]
		if d := m.Evaluate(Observation{Now: now, Series: &vis}); d.Rollback {
			t.Fatalf("rollback: %+v", d)
		}
	}
	for i := 0; i < 20; i++ { // warm the buffers up
		step()
	}
	if n := testing.AllocsPerRun(20, step); n != 0 {
		t.Errorf("Evaluate allocates %v times per call in the steady state", n)
	}
}

func BenchmarkControllerEvaluate(b *testing.B) {
	a := errorsAlarm("E", 1000)
	full := series(time.Minute, make([]float64, 1), make([]float64, 1))
	full.Periods = make([]metrics.Period, b.N+2)
	for i := range full.Periods {
		full.Periods[i].Dims[metrics.Candidate].Invocations = 100
	}
	m := CodeDeploy(a).Start()
	vis := metrics.Series{Resolution: time.Minute}
	b.ReportAllocs()
	b.ResetTimer()
	now := time.Duration(0)
	for i := 0; i < b.N; i++ {
		now = m.Next(now)
		vis.Periods = full.Periods[:int(now/time.Minute)]
		m.Evaluate(Observation{Now: now, Series: &vis})
	}
}

// TestSlidingStateSequence: alarms with a 5-minute period, evaluated every
// minute over sliding windows, CodeDeploy never rolling back (the states
// are read from the transitions). Errors per minute (100 invocations each):
//
//	minute  0 1 2 3 4 5 6 7 8 9 10 11
//	errors  0 1 2 1 0 0 3 2 0 0 0  0
//
// With zero delay the newest window at t minutes is [t-5, t), clipped at
// the deployment start, and older ones step back 5 minutes.
//
// A: Sum >= 5, 1 of 1. Newest window sums: t=1 [0,1) 0, t=2 1, t=3 3,
// t=4 4, t=5 4, t=6 [1,6) 4, t=7 [2,7) 6, t=8 [3,8) 6, t=9 [4,9) 5,
// t=10 [5,10) 5, t=11 [6,11) 5, t=12 [7,12) 2: OK at 1m, ALARM at 7m, OK
// at 12m. (Periods aligned with the start would have alarmed at 10m only.)
//
// B: Sum >= 4, 2 of 2 (range of 4 windows, ending t, t-5, t-10, t-15):
// t=1..3 one real window below 4: OK at 1m. t=4: [0,4) = 4 breaches, the
// only real datapoint and 1 period old (< M = 2): INSUFFICIENT_DATA.
// t=5: [0,5) 4, same. t=6: [1,6) 4 and [-4,1) 0: 1 of 2, OK. t=7: 6, 1;
// t=8: 6, 3: OK. t=9: [4,9) 5 and [-1,4) 4: ALARM. t=10: 5, [0,5) 4;
// t=11: 5, [1,6) 4: ALARM. t=12: 2, [2,7) 6: OK.
//
// With a 1-minute ingestion delay every window ends a minute earlier, so
// each transition of A comes a minute later (and nothing is visible at 1m).
func TestSlidingStateSequence(t *testing.T) {
	errs := []float64{0, 1, 2, 1, 0, 0, 3, 2, 0, 0, 0, 0, 0}
	inv := make([]float64, len(errs))
	for i := range inv {
		inv[i] = 100
	}
	full := series(time.Minute, inv, errs)
	a := errorsAlarm("A", 5)
	a.Period = 5 * time.Minute
	b := errorsAlarm("B", 4)
	b.Period, b.EvaluationPeriods, b.DatapointsToAlarm = 5*time.Minute, 2, 2
	p := Alarms{Alarms: []Alarm{a, b}}
	run := func(delay, horizon time.Duration) []Transition {
		m := p.NewMonitor()
		vis := metrics.Series{Resolution: time.Minute}
		for now := m.Next(0); now <= horizon; now = m.Next(now) {
			vis.Periods = full.Periods[:min(len(full.Periods), max(0, int((now-delay)/time.Minute)))]
			m.Evaluate(Observation{Now: now, Series: &vis, Weight: 0.1})
		}
		return m.Transitions()
	}
	I, O, A := StateInsufficientData, StateOK, StateAlarm
	want := []Transition{
		{1 * time.Minute, "A", I, O}, {1 * time.Minute, "B", I, O},
		{4 * time.Minute, "B", O, I},
		{6 * time.Minute, "B", I, O},
		{7 * time.Minute, "A", O, A},
		{9 * time.Minute, "B", O, A},
		{12 * time.Minute, "A", A, O}, {12 * time.Minute, "B", A, O},
	}
	if got := run(0, 12*time.Minute); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("zero delay:\n got %v\nwant %v", got, want)
	}
	p.Alarms = p.Alarms[:1]
	want = []Transition{{2 * time.Minute, "A", I, O}, {8 * time.Minute, "A", O, A}, {13 * time.Minute, "A", A, O}}
	if got := run(time.Minute, 13*time.Minute); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("1-minute delay:\n got %v\nwant %v", got, want)
	}
}

// TestSlidingHourAlarmClosedForm: a 1-hour Sum(Errors) >= k alarm (1 of 1)
// on a 30-minute canary whose candidate fails at +5 % of 20 invocations a
// minute, errors per minute Poisson(μ = 1). Within the first hour the
// sliding window at t minutes holds every visible minute since the
// deployment started, and its sum only grows, so the alarm has fired by t
// iff Poisson(μ·(t − delay)) >= k: with k = 30, P(detected in 30 min) is
// the Poisson(30) tail P(X >= 30) ≈ 0.524 with no delay, and the Poisson(29)
// tail with a 1-minute delay. Periods aligned with the deployment start
// never fired (no hour had ended). Tolerance: 4 binomial standard errors
// of each detected fraction over the runs (false failure < 1e-4).
func TestSlidingHourAlarmClosedForm(t *testing.T) {
	const (
		mu = 1.0
		k  = 30.0
		H  = 30
	)
	runs := 4000
	if testing.Short() {
		runs = 1000
	}
	a := errorsAlarm("Hour", k)
	a.Period = time.Hour
	p := Alarms{Alarms: []Alarm{a}}
	rng := rand.New(rand.NewPCG(7, 8))
	pois := distuv.Poisson{Lambda: mu, Src: rng}
	full := &metrics.Series{Resolution: time.Minute, Periods: make([]metrics.Period, H)}
	for _, delay := range []time.Duration{0, time.Minute} {
		byMinute := [H + 1]int{} // detections at or before each minute
		for r := 0; r < runs; r++ {
			for i := range full.Periods {
				d := &full.Periods[i].Dims[metrics.Candidate]
				d.Invocations, d.Errors = 20, pois.Rand()
			}
			if at, _ := drive(p.Start(), full, delay, H*time.Minute); at != metrics.Never {
				for m := int(at / time.Minute); m <= H; m++ {
					byMinute[m]++
				}
			}
		}
		for _, m := range []int{10, 20, 30} {
			minutes := float64(m) - delay.Minutes()
			want := distuv.Poisson{Lambda: mu * minutes}.Survival(k - 1)
			got := float64(byMinute[m]) / float64(runs)
			se := math.Sqrt(want * (1 - want) / float64(runs))
			if math.Abs(got-want) > 4*se+1e-9 {
				t.Errorf("delay %v: P(detected by %d min) = %.4f, Poisson(%g) tail %.4f (±%.4f)", delay, m, got, mu*minutes, want, 4*se)
			}
			if m == H {
				t.Logf("delay %v: P(detected in %d min) = %.4f, closed form %.4f, %d runs", delay, H, got, want, runs)
			}
		}
	}
}
