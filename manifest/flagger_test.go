package manifest

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
)

func flaggerYAML(interval time.Duration, threshold, maxWeight, stepWeight int) string {
	return fmt.Sprintf(`apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: app
spec:
  analysis:
    interval: %s
    threshold: %d
    maxWeight: %d
    stepWeight: %d
    metrics:
      - name: request-success-rate
        thresholdRange: {min: 99}
        interval: %s
`, interval, threshold, maxWeight, stepWeight, interval)
}

// Flagger documents the minimum time to promote as interval × (maxWeight /
// stepWeight) (docs: Deployment strategies, Canary release). When stepWeight
// does not divide maxWeight its scheduler overshoots (weight += step until
// >= maxWeight), so the number of steps is the ceiling.
func TestFlaggerPromotionClosedForm(t *testing.T) {
	cases := []struct {
		interval        time.Duration
		max, step, mins int // expected promotion, in intervals
	}{
		{time.Minute, 50, 2, 25}, // the docs' own example: "will run for 25 minutes"
		{time.Minute, 50, 10, 5},
		{30 * time.Second, 30, 10, 3},
		{10 * time.Second, 100, 5, 20},
		{time.Minute, 50, 20, 3}, // 20, 40, 60: Flagger's rollout-weights guide
	}
	for _, c := range cases {
		f, err := Read("c.yaml", []byte(flaggerYAML(c.interval, 5, c.max, c.step)))
		if err != nil {
			t.Fatal(err)
		}
		s := only(t, f).Strategy.Schedule()
		if got, want := s.Duration(), time.Duration(c.mins)*c.interval; got != want {
			t.Errorf("interval %v max %d step %d: promotion at %v, want %v", c.interval, c.max, c.step, got, want)
		}
		if c.max%c.step == 0 {
			if want := time.Duration(float64(c.interval) * float64(c.max) / float64(c.step)); s.Duration() != want {
				t.Errorf("closed form interval × maxWeight/stepWeight = %v, schedule %v", want, s.Duration())
			}
		}
	}
}

// Properties of every Flagger progression: weights step up by stepWeight
// each interval (capped at 100 %), never exceed the first value >= maxWeight,
// and promotion comes at interval × ceil(maxWeight/stepWeight).
func TestFlaggerScheduleProperties(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 200
	params.Rng.Seed(1) // deterministic
	props := gopter.NewProperties(params)
	props.Property("flagger schedule", prop.ForAll(
		func(ivSec, max, step int) bool {
			iv := time.Duration(ivSec) * time.Second
			f, err := Read("p.yaml", []byte(flaggerYAML(iv, 3, max, step)))
			if err != nil {
				t.Log(err)
				return false
			}
			s := only(t, f).Strategy.Schedule()
			n := (max + step - 1) / step
			if len(s) != n+1 || s.Duration() != time.Duration(n)*iv || s[n].Weight != 1 {
				return false
			}
			for k := 0; k < n; k++ {
				w := math.Min(float64((k+1)*step), 100) / 100
				if s[k].At != time.Duration(k)*iv || math.Abs(s[k].Weight-w) > 1e-12 {
					return false
				}
			}
			return s.Validate() == nil
		},
		gen.IntRange(1, 600), gen.IntRange(1, 100), gen.IntRange(1, 100),
	))
	props.TestingRun(t)
}

// The simulator, driven by a Flagger manifest, reproduces Flagger's closed
// forms: a healthy canary is promoted at interval × maxWeight/stepWeight, and
// a canary failing every check is rolled back at (threshold + 1) × interval,
// the tick after the threshold is reached (scheduler.go, advanceCanary; the
// documentation's interval × threshold is one interval short). The
// checks run at fixed ticks, so Apply's Prometheus delay (15 s, 10 s periods)
// does not move them; a candidate that fails every request fails every check
// whatever the seed, so no Monte Carlo tolerance is needed.
func TestFlaggerClosedFormsInSimulation(t *testing.T) {
	const interval, threshold, maxW, step = time.Minute, 3, 50, 10
	f, err := Read("c.yaml", []byte(flaggerYAML(interval, threshold, maxW, step)))
	if err != nil {
		t.Fatal(err)
	}
	d := only(t, f)
	base := sim.BaseScenario()
	base.Workload = sim.Poisson{Rate: 20}
	base.ActionLatency = 0
	base.Seed = 7

	healthy := d.Apply(base)
	r, err := sim.Run(healthy)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.Completed || r.Promoted != interval*maxW/step {
		t.Errorf("healthy: outcome %v promoted %v, want completed at %v (%s)", r.Outcome, r.Promoted, interval*maxW/step, r.Reason)
	}

	bad := d.Apply(base)
	bad.Fault = sim.Fault{ErrorProb: 1}
	r, err = sim.Run(bad)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.RolledBack || r.Detected != interval*(threshold+1) {
		t.Errorf("bad: outcome %v detected %v, want rolled back at %v (%s)", r.Outcome, r.Detected, interval*(threshold+1), r.Reason)
	}
}

// Why Apply sets a Prometheus-like metric delay for Flagger: with
// CloudWatch's 60 s delay the first check (at one interval) finds no data,
// which Flagger counts as a failure, so a threshold of 1 rolls back every
// healthy canary at the tick after the first check; with the Prometheus
// delay it completes.
func TestFlaggerNeedsPrometheusDelay(t *testing.T) {
	f, err := Read("c.yaml", []byte(flaggerYAML(time.Minute, 1, 50, 10)))
	if err != nil {
		t.Fatal(err)
	}
	d := only(t, f)
	if d.IngestionDelay != PrometheusDelay || d.Period != PrometheusPeriod {
		t.Fatalf("delay %v period %v", d.IngestionDelay, d.Period)
	}
	base := sim.BaseScenario()
	base.Workload = sim.Poisson{Rate: 20}
	base.Seed = 2
	s := d.Apply(base)
	r, err := sim.Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.Completed {
		t.Errorf("Prometheus delay: %v at %v (%s)", r.Outcome, r.Detected, r.Reason)
	}
	s.IngestionDelay, s.Period = sim.DefaultIngestionDelay, sim.DefaultPeriod
	r, err = sim.Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.FalseRollback || r.Detected != 2*time.Minute {
		t.Errorf("CloudWatch delay: %v at %v (%s), want a false rollback at the tick after the first check", r.Outcome, r.Detected, r.Reason)
	}
}

// Flagger's own examples check every 15 s (issue 19.1): a Prometheus range
// query reads any window at any instant, so 15 s, 25 s and 45 s evaluate,
// with a 1m metric window. Closed forms, exact whatever the seed: a canary
// with no error and 50 req/s (thousands of requests per window, never no
// data) passes every check whose window holds data and is promoted at
// interval × 5 (stepWeight 10, maxWeight 50) plus one interval per failed
// check: at 15 s the first check's window ends at 15 s − 15 s (the
// Prometheus delay) = 0, holds nothing, fails (Flagger: no values found)
// and holds the first weight, so promotion comes at 6 × 15 s. A canary
// failing every request fails every check and is rolled back at
// (threshold + 1) × interval.
func TestFlaggerAnyInterval(t *testing.T) {
	for _, iv := range []time.Duration{15 * time.Second, 25 * time.Second, 45 * time.Second} {
		y := fmt.Sprintf("apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: c}\nspec:\n  analysis:\n    interval: %s\n    threshold: 2\n    maxWeight: 50\n    stepWeight: 10\n    metrics:\n      - {name: request-success-rate, thresholdRange: {min: 99}, interval: 1m}\n", iv)
		d := only(t, mustRead(t, y))
		base := sim.BaseScenario()
		base.Workload = sim.Poisson{Rate: 50}
		base.ActionLatency = 0
		s := d.Apply(base)
		if r := sim.MetricResolution(s); r != 5*time.Second {
			t.Errorf("interval %v: published every %v, want 5s (gcd of 10s, %v, 1m, 15s)", iv, r, iv)
		}
		r, err := sim.Run(s)
		if err != nil {
			t.Fatalf("interval %v: %v", iv, err)
		}
		want := 5 * iv
		if iv <= PrometheusDelay {
			want += iv // the first window is empty
		}
		if r.Outcome != metrics.Completed || r.Promoted != want {
			t.Errorf("interval %v healthy: %v promoted %v, want completed at %v (%s)", iv, r.Outcome, r.Promoted, want, r.Reason)
		}
		s.Fault = sim.Fault{ErrorProb: 1}
		if r, err = sim.Run(s); err != nil {
			t.Fatal(err)
		}
		if r.Outcome != metrics.RolledBack || r.Detected != 3*iv {
			t.Errorf("interval %v bad: %v at %v, want rolled back at %v (%s)", iv, r.Outcome, r.Detected, 3*iv, r.Reason)
		}
	}
}

// Flagger's runMetricChecks honours the deprecated threshold of a custom
// metric as a maximum (issue 19.3), and without thresholdRange or
// threshold compares with 0.
func TestFlaggerDeprecatedThreshold(t *testing.T) {
	const head = "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: c}\nspec:\n  analysis:\n    interval: 1m\n    threshold: 2\n    stepWeight: 20\n    metrics:\n"
	q := `sum(rate(http_requests_total{workload="{{ target }}",code=~"5.."}[1m])) / sum(rate(http_requests_total{workload="{{ target }}"}[1m]))`
	d := only(t, mustRead(t, head+"      - {name: errors, threshold: 0.02, query: '"+q+"'}\n"))
	if len(d.Checks) != 1 || !near(d.Checks[0].Threshold, 0.02) || d.Checks[0].FailWhen != rollback.GreaterThanThreshold {
		t.Errorf("threshold 0.02: checks %+v", d.Checks)
	}
	d = only(t, mustRead(t, head+"      - {name: errors, query: '"+q+"'}\n"))
	if len(d.Checks) != 1 || d.Checks[0].Threshold != 0 || d.Checks[0].FailWhen != rollback.GreaterThanThreshold {
		t.Errorf("no threshold: checks %+v", d.Checks)
	}
}

// An interval × iterations beyond time.Duration's range is one clear error
// (issue 19.9), not a wrapped-around duration.
func TestFlaggerOverflow(t *testing.T) {
	_, err := Read("c.yaml", []byte("apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: c}\nspec:\n  analysis: {interval: 1000000h, iterations: 1000000, threshold: 2}\n"))
	if err == nil || !strings.Contains(err.Error(), "overflows the simulator's span") || strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %v", err)
	}
}
