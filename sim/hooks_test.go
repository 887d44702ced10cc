package sim

import (
	"math"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
)

// hookScenario: 5 req/s, a 10% canary for 5 minutes, both engines.
func hookScenario(res Resolution) Scenario {
	s := BaseScenario()
	s.Workload = Poisson{Rate: 5}
	s.Strategy = canary(10, 5*time.Minute)
	s.Resolution = res
	s.KeepSeries = true
	return s
}

var engines = []Resolution{PerRequest, Bucketed}

// A pre-traffic hook that catches the fault ends the deployment before any
// customer request reaches the candidate [doc: BeforeAllowTraffic runs
// before any traffic shifts; a failed hook fails the deployment].
func TestPreTrafficHookAborts(t *testing.T) {
	for _, res := range engines {
		t.Run(res.String(), func(t *testing.T) {
			s := hookScenario(res)
			s.Fault = Fault{ErrorProb: 0.5}
			s.PreTraffic = Hook{Duration: 2 * time.Minute, CatchProb: 1}
			r, err := Run(s)
			if err != nil {
				t.Fatal(err)
			}
			if msg := checkRun(s, r); msg != "" {
				t.Fatal(msg)
			}
			if r.Outcome != metrics.HookAborted || !r.Stopped() {
				t.Errorf("Outcome = %v, want hook-aborted", r.Outcome)
			}
			if r.Candidate.Requests != 0 || r.ExposureSeconds != 0 {
				t.Errorf("candidate served %d requests (exposure %v s), want none", r.Candidate.Requests, r.ExposureSeconds)
			}
			if r.Detected != 2*time.Minute || r.Alarm != PreTrafficHook || r.Promoted != metrics.Never {
				t.Errorf("Detected %v, Alarm %q, Promoted %v; want 2m, %q, never", r.Detected, r.Alarm, r.Promoted, PreTrafficHook)
			}
			if r.Baseline.Requests == 0 {
				t.Error("no baseline traffic during the hook")
			}
		})
	}
}

// A hook cannot catch a fault that is not active while it runs: one whose
// onset comes after the hook, or one that needs customer requests to show.
// The schedule is then delayed by the hook's duration.
func TestPreTrafficHookMissesLaterFault(t *testing.T) {
	for _, res := range engines {
		for _, f := range []Fault{
			{ErrorProb: 0.5, OnsetAt: 3 * time.Minute},
			{ErrorProb: 0.5, OnsetAfter: 10},
		} {
			s := hookScenario(res)
			s.Fault = f
			s.PreTraffic = Hook{Duration: 2 * time.Minute, CatchProb: 1}
			r, err := Run(s)
			if err != nil {
				t.Fatal(err)
			}
			if msg := checkRun(s, r); msg != "" {
				t.Fatal(msg)
			}
			if r.Outcome != metrics.Missed || r.Promoted != 7*time.Minute {
				t.Errorf("%v, fault %+v: Outcome %v, Promoted %v; want missed at 2m + 5m", res, f, r.Outcome, r.Promoted)
			}
			// The weight was 10% over [2m, 7m): exposure 30 s.
			if math.Abs(r.ExposureSeconds-30) > 1e-9 {
				t.Errorf("%v: exposure %v s, want 30", res, r.ExposureSeconds)
			}
		}
	}
}

// CatchProb is the probability of catching an active fault: over n seeds the
// aborted fraction is Binomial(n, 0.3)/n; 4 standard errors of tolerance
// (a false failure about once in 16,000 runs of the test). The hook's draw
// is the same on both engines.
func TestPreTrafficHookCatchProb(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 150
	}
	for _, res := range engines {
		s := hookScenario(res)
		s.Workload = Poisson{Rate: 0.5}
		s.KeepSeries = false
		s.Fault = Fault{ErrorProb: 0.5}
		s.PreTraffic = Hook{Duration: time.Minute, CatchProb: 0.3}
		aborted := 0
		for i := 0; i < n; i++ {
			s.Seed = uint64(i)
			r, err := Run(s)
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcome == metrics.HookAborted {
				aborted++
			}
		}
		p := float64(aborted) / float64(n)
		if se := math.Sqrt(0.3 * 0.7 / float64(n)); math.Abs(p-0.3) > 4*se {
			t.Errorf("%v: aborted fraction %.3f over %d seeds, want 0.3 ± %.3f", res, p, n, 4*se)
		}
	}
}

// A post-traffic hook that catches the fault rolls the deployment back after
// the last step [doc: AfterAllowTraffic; a failed hook triggers rollback];
// a healthy candidate completes when the hook ends.
func TestPostTrafficHook(t *testing.T) {
	for _, res := range engines {
		t.Run(res.String(), func(t *testing.T) {
			s := hookScenario(res)
			s.Fault = Fault{ErrorProb: 0.2}
			s.PostTraffic = Hook{Duration: 3 * time.Minute, CatchProb: 1}
			r, err := Run(s)
			if err != nil {
				t.Fatal(err)
			}
			if msg := checkRun(s, r); msg != "" {
				t.Fatal(msg)
			}
			if r.Outcome != metrics.RolledBack || r.Alarm != PostTrafficHook || r.Reason != PostTrafficHook+" failed" {
				t.Errorf("Outcome %v, Alarm %q, Reason %q; want rolled back by %q", r.Outcome, r.Alarm, r.Reason, PostTrafficHook)
			}
			if r.Promoted != 5*time.Minute || r.Detected != 8*time.Minute || r.WeightZero != 8*time.Minute+s.ActionLatency {
				t.Errorf("Promoted %v, Detected %v, WeightZero %v; want 5m, 8m, 8m + %v", r.Promoted, r.Detected, r.WeightZero, s.ActionLatency)
			}

			s.Fault = Fault{}
			r, err = Run(s)
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcome != metrics.Completed || r.Promoted != 5*time.Minute || r.End < 8*time.Minute {
				t.Errorf("healthy: Outcome %v, Promoted %v, End %v; want completed at 5m, running until the hook's end 8m", r.Outcome, r.Promoted, r.End)
			}
			// Traffic continues at 100% during the hook: exposure 30 s + 180 s.
			if math.Abs(r.ExposureSeconds-210) > 1e-9 {
				t.Errorf("healthy: exposure %v s, want 210", r.ExposureSeconds)
			}
		})
	}
}

// With Bake and a post-traffic hook, the deployment lasts until both end;
// the policy is consulted until then.
func TestPostTrafficHookWithBake(t *testing.T) {
	for _, tc := range []struct{ bake, hook, end time.Duration }{
		{2 * time.Minute, 4 * time.Minute, 9 * time.Minute},
		{4 * time.Minute, 2 * time.Minute, 9 * time.Minute},
	} {
		s := hookScenario(PerRequest)
		s.Bake = tc.bake
		s.PostTraffic = Hook{Duration: tc.hook, CatchProb: 1}
		r, err := Run(s)
		if err != nil {
			t.Fatal(err)
		}
		// The run ends once the deployment has ended and the last request
		// drained: within a few seconds of it.
		if r.Outcome != metrics.Completed || r.End < tc.end || r.End > tc.end+10*time.Second {
			t.Errorf("bake %v, hook %v: Outcome %v, End %v; want completed, ending at %v", tc.bake, tc.hook, r.Outcome, r.End, tc.end)
		}
	}
}

// A hook does not change the traffic's draws: without a fault to catch, a
// post-traffic hook of zero duration leaves the run as it was.
func TestHookKeepsTrafficDraws(t *testing.T) {
	s := hookScenario(PerRequest)
	a, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	s.PostTraffic = Hook{CatchProb: 0.5}
	b, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if a.Candidate != b.Candidate || a.Baseline != b.Baseline || a.End != b.End {
		t.Errorf("a zero-duration hook changed the run: %+v vs %+v", a.Candidate, b.Candidate)
	}
}
