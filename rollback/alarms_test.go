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
