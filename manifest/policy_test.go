package manifest

import (
	"math"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
)

// series returns a 1-minute series of n periods whose candidate has inv
// invocations and errs errors in each.
func series(n int, inv, errs float64) *metrics.Series {
	s := &metrics.Series{Resolution: time.Minute, Periods: make([]metrics.Period, n)}
	for i := range s.Periods {
		s.Periods[i].Dims[metrics.Candidate].Invocations = inv
		s.Periods[i].Dims[metrics.Candidate].Errors = errs
	}
	return s
}

// drive runs a monitor over a fully visible series until it rolls back or
// has nothing left to measure, returning the instants it evaluated at.
func drive(p rollback.Policy, s *metrics.Series, horizon time.Duration) ([]time.Duration, rollback.Decision) {
	m := p.Start()
	var at []time.Duration
	for t := m.Next(-1); t <= horizon; t = m.Next(t) {
		at = append(at, t)
		visible := *s
		if n := int(t / s.Resolution); n < len(visible.Periods) {
			visible.Periods = visible.Periods[:n]
		}
		if d := m.Evaluate(rollback.Observation{Now: t, Series: &visible}); d.Rollback {
			return at, d
		}
	}
	return at, rollback.Decision{}
}

func errCheck(start time.Duration, count, limit int) Check {
	return Check{Name: "err", Metric: metrics.ErrorRate, Dimension: metrics.Candidate,
		Statistic: metrics.Statistic{Kind: metrics.Sum}, FailWhen: rollback.GreaterThanThreshold, Threshold: 0.01,
		Window: time.Minute, Interval: time.Minute, Count: count, Limit: limit, Start: start, ErrorLimit: argoConsecutiveErrorLimit}
}

func TestArgoPolicyCadenceAndLimit(t *testing.T) {
	// Failing data: measurements at 5, 6 min; the second failure exceeds
	// failureLimit 1 (Argo: failed > failureLimit).
	at, d := drive(argoPolicy{checks: []Check{errCheck(5*time.Minute, 3, 1)}}, series(30, 100, 50), time.Hour)
	if !d.Rollback || len(at) != 2 || at[0] != 5*time.Minute || at[1] != 6*time.Minute {
		t.Errorf("evaluated at %v, decision %+v: want rollback at 6m", at, d)
	}
	// Healthy data: exactly Count measurements, then nothing more to do.
	at, d = drive(argoPolicy{checks: []Check{errCheck(5*time.Minute, 3, 1)}}, series(30, 100, 0), time.Hour)
	if d.Rollback || len(at) != 3 || at[2] != 7*time.Minute {
		t.Errorf("evaluated at %v, decision %+v: want 3 passing measurements", at, d)
	}
	m := argoPolicy{checks: []Check{errCheck(0, 2, 0)}}.Start()
	m.Evaluate(rollback.Observation{Now: 0, Series: series(0, 0, 0)})
	m.Evaluate(rollback.Observation{Now: time.Minute, Series: series(1, 100, 0)})
	if n := m.Next(time.Minute); n != time.Duration(math.MaxInt64) {
		t.Errorf("Next after the last measurement = %v", n)
	}
}

// A measurement with no data is an error in Argo: the fifth in a row
// (consecutiveErrorLimit 4) fails the rollout, unless the condition accepts
// an empty result.
func TestArgoPolicyNoData(t *testing.T) {
	c := errCheck(time.Minute, 0, 0)
	at, d := drive(argoPolicy{checks: []Check{c}}, series(30, 0, 0), time.Hour)
	if !d.Rollback || len(at) != argoConsecutiveErrorLimit+1 {
		t.Errorf("evaluated at %v, decision %+v: want rollback at the 5th measurement", at, d)
	}
	c.PassOnNoData = true
	_, d = drive(argoPolicy{checks: []Check{c}}, series(30, 0, 0), 30*time.Minute)
	if d.Rollback {
		t.Errorf("rolled back on no data with PassOnNoData: %+v", d)
	}
}

// The SAM documentation's deployment, with the alarms of SAM's safe
// deployments page, in the simulator: after its PreTraffic hook (1 min,
// DefaultHookDuration) a healthy candidate takes all traffic 10 minutes
// later (Canary10Percent10Minutes), at 11 min, and the deployment ends after
// the PostTraffic hook, at 12 min. A candidate that fails every request and
// that the pre-traffic hook misses is rolled back by the alarms before 11
// min; one it catches is aborted at 1 min with no candidate request.
func TestSAMExampleInSimulation(t *testing.T) {
	f := read(t, "testdata/sam-safe-deployments.yaml")
	d := only(t, f)
	base := sim.BaseScenario()
	base.Workload = sim.Poisson{Rate: 5}
	base.Seed = 3
	r, err := sim.Run(d.Apply(base))
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.Completed || r.Promoted != 11*time.Minute || r.End != 12*time.Minute {
		t.Errorf("healthy: %v promoted at %v, ended at %v (%s)", r.Outcome, r.Promoted, r.End, r.Reason)
	}
	bad := d.Apply(base)
	bad.Fault = sim.Fault{ErrorProb: 1}
	bad.PreTraffic.CatchProb = 0
	r, err = sim.Run(bad)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.RolledBack || r.Detected >= 11*time.Minute {
		t.Errorf("bad: %v detected at %v (%s)", r.Outcome, r.Detected, r.Reason)
	}
	bad.PreTraffic.CatchProb = 1
	r, err = sim.Run(bad)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != metrics.HookAborted || r.Detected != time.Minute || r.Candidate.Requests != 0 {
		t.Errorf("caught by the hook: %v at %v, %d candidate requests", r.Outcome, r.Detected, r.Candidate.Requests)
	}
}

// Apply: the file says which hooks exist, the caller's non-zero fields say
// how they behave, and a hook the file does not declare is removed.
func TestApplyHooks(t *testing.T) {
	def := sim.Hook{Duration: DefaultHookDuration, CatchProb: DefaultHookCatchProb}
	sam := only(t, read(t, "testdata/sam-docs-gradual.yaml"))   // PreTraffic and PostTraffic
	flagger := only(t, read(t, "testdata/flagger-canary.yaml")) // a pre-rollout webhook
	argo := only(t, read(t, "testdata/argo-canary.yaml"))       // no hook
	for _, c := range []struct {
		name      string
		d         Deployable
		base      sim.Hook // both of base's hooks
		pre, post sim.Hook
	}{
		{"sam, defaults", sam, sim.Hook{}, def, def},
		{"sam, caller's duration", sam, sim.Hook{Duration: 5 * time.Minute}, sim.Hook{Duration: 5 * time.Minute, CatchProb: DefaultHookCatchProb}, sim.Hook{Duration: 5 * time.Minute, CatchProb: DefaultHookCatchProb}},
		{"sam, caller's catch", sam, sim.Hook{CatchProb: 0.9}, sim.Hook{Duration: DefaultHookDuration, CatchProb: 0.9}, sim.Hook{Duration: DefaultHookDuration, CatchProb: 0.9}},
		// Flagger's webhook runs inside the first tick: no duration.
		{"flagger", flagger, sim.Hook{}, sim.Hook{CatchProb: DefaultHookCatchProb}, sim.Hook{}},
		{"flagger, caller's hooks", flagger, sim.Hook{Duration: time.Second, CatchProb: 1}, sim.Hook{Duration: time.Second, CatchProb: 1}, sim.Hook{}},
		{"argo canary, caller's hooks removed", argo, def, sim.Hook{}, sim.Hook{}},
	} {
		base := sim.BaseScenario()
		base.PreTraffic, base.PostTraffic = c.base, c.base
		sc := c.d.Apply(base)
		if sc.PreTraffic != c.pre || sc.PostTraffic != c.post {
			t.Errorf("%s: hooks %+v, %+v; want %+v, %+v", c.name, sc.PreTraffic, sc.PostTraffic, c.pre, c.post)
		}
	}
	if sam.PreTrafficHook == "" || flagger.PreTrafficHook != "acceptance-test" || argo.PreTrafficHook != "" || argo.PostTrafficHook != "" {
		t.Errorf("hook names %q, %q, %q/%q", sam.PreTrafficHook, flagger.PreTrafficHook, argo.PreTrafficHook, argo.PostTrafficHook)
	}
}

// Evaluating an Argo analysis allocates nothing per measurement (the
// monitor runs on the simulator's hot path).
func TestArgoPolicyAllocationFree(t *testing.T) {
	p := argoPolicy{checks: []Check{errCheck(0, 0, 1<<20)}}
	m := p.Start()
	s := series(1000, 100, 50)
	now := time.Duration(0)
	obs := rollback.Observation{Series: s}
	allocs := testing.AllocsPerRun(200, func() {
		now = m.Next(now)
		obs.Now = now
		m.Evaluate(obs)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per evaluation", allocs)
	}
}
