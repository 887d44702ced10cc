package sim

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// The twin differs from the scenario in its Fault and Horizon only, and the
// scenario itself is left as it was.
func TestHealthyTwinFields(t *testing.T) {
	sc := BaseScenario()
	sc.Workload = Poisson{Rate: 5}
	sc.Kinds = []Kind{{Name: "read", Weight: 3}, {Name: "write", Weight: 1}}
	sc.Fault = Fault{ErrorProb: 0.2, LatencyFactor: 3, OnsetAt: time.Minute, OnsetAfter: 10, Kinds: []string{"write"}}
	sc.Strategy = strategy.Canary{Percent: 10, Interval: 5 * time.Minute}
	sc.Horizon = time.Hour
	sc.Bake = 2 * time.Minute
	sc.Seed = 42
	sc.PostTraffic = Hook{Duration: time.Minute, CatchProb: 0.5}
	before := sc
	tw := sc.Healthy()
	if !reflect.DeepEqual(sc, before) {
		t.Errorf("Healthy changed its receiver")
	}
	if !reflect.DeepEqual(tw.Fault, Fault{}) || tw.Fault.Bad() {
		t.Errorf("twin's Fault = %+v, want the zero Fault", tw.Fault)
	}
	if tw.Horizon != 0 {
		t.Errorf("twin's Horizon = %v, want 0", tw.Horizon)
	}
	tw.Fault, tw.Horizon = sc.Fault, sc.Horizon
	if !reflect.DeepEqual(tw, sc) {
		t.Errorf("twin differs in more than Fault and Horizon:\n%+v\n%+v", tw, sc)
	}
	if err := sc.Healthy().Validate(); err != nil {
		t.Errorf("twin of a valid scenario: %v", err)
	}
}

// Every run of the twin is healthy and ends with its deployment: completed
// at the end of the canary's schedule plus the bake (10 min + 2 min, a
// Promoted instant of 10 min), or falsely rolled back; never missed,
// unfinished or rolled back as a true positive.
func TestHealthyTwinRuns(t *testing.T) {
	sc := BaseScenario()
	sc.Workload = Poisson{Rate: 2}
	sc.Baseline.ErrorProb, sc.Candidate.ErrorProb = 0.01, 0.01
	sc.Fault = Fault{ErrorProb: 0.5}
	sc.Strategy = strategy.Canary{Percent: 10, Interval: 10 * time.Minute}
	sc.Bake = 2 * time.Minute
	sc.Horizon = 3 * time.Hour
	sc.Policy = rollback.CodeDeploy(rollback.Alarm{
		Name: "errors", Metric: metrics.Errors, Dimension: metrics.Candidate, Statistic: metrics.Statistic{Kind: metrics.Sum},
		Period: time.Minute, EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 1,
		Comparison: rollback.GreaterThanOrEqualToThreshold, TreatMissingData: rollback.TreatNotBreaching,
	})
	tw := sc.Healthy()
	completed, falseRB := 0, 0
	for i := range int64(40) {
		tw.Seed = RunSeed(7, i)
		r, err := Run(tw)
		if err != nil {
			t.Fatal(err)
		}
		if r.Bad {
			t.Fatalf("run %d of the twin is bad", i)
		}
		switch r.Outcome {
		case metrics.Completed:
			completed++
			if d, ok := r.DeployDuration(); !ok || d != 10*time.Minute {
				t.Errorf("run %d: DeployDuration = %v, %v, want 10m", i, d, ok)
			}
			if r.End > 12*time.Minute+DefaultTimeout {
				t.Errorf("run %d: ended at %v, after the deployment (12m) and the last request", i, r.End)
			}
		case metrics.FalseRollback:
			falseRB++
		default:
			t.Errorf("run %d of the twin: outcome %v", i, r.Outcome)
		}
	}
	// An alarm on one error a minute: about 12 candidate requests a minute
	// at 10 %, each failing with probability 1 %, put an error in
	// 1-0.99^12 ≈ 11 % of the canary's minutes, and the bake's minutes at
	// 100 % in about 70 %: some healthy runs are rolled back and some
	// complete, so among 40 runs both outcomes must show up.
	if completed == 0 || falseRB == 0 {
		t.Errorf("completed %d, false rollbacks %d: want both", completed, falseRB)
	}
}

// A Twin's runs are Healthy's, draw for draw, on both engines, except the
// figures nobody reads from them: the same outcome, instants and counts,
// UsersHit NaN (not computed, where Healthy's is a count) and empty run
// latency sketches; and a Summary of them holds no users-hit or latency
// value, where one of Healthy's runs holds one per run.
func TestTwinSkipsWhatIsNotRead(t *testing.T) {
	for _, res := range []Resolution{Bucketed, PerRequest} {
		sc := BaseScenario()
		sc.Workload = Poisson{Rate: 50}
		sc.Baseline.ErrorProb, sc.Candidate.ErrorProb = 0.01, 0.01
		sc.Fault = Fault{ErrorProb: 0.1}
		sc.Users = Users{N: 1000, Exponent: 1}
		sc.Strategy = strategy.Canary{Percent: 10, Interval: 5 * time.Minute}
		sc.Policy = rollback.CodeDeploy(rollback.Alarm{
			Name: "errors", Metric: metrics.Errors, Dimension: metrics.Candidate, Statistic: metrics.Statistic{Kind: metrics.Sum},
			Period: time.Minute, EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 5,
			Comparison: rollback.GreaterThanOrEqualToThreshold, TreatMissingData: rollback.TreatNotBreaching,
		})
		sc.Resolution = res
		h, tw := sc.Healthy(), sc.Twin()
		var sh, st metrics.Summary
		for i := range int64(30) {
			h.Seed, tw.Seed = RunSeed(3, i), RunSeed(3, i)
			a, err := Run(h)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Run(tw)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Validate(); err != nil {
				t.Errorf("%v run %d: twin's run does not validate: %v", res, i, err)
			}
			if !math.IsNaN(b.UsersHit) || b.CandidateLatency.Count() != 0 || b.BaselineLatency.Count() != 0 {
				t.Errorf("%v run %d: twin computed users hit %v or latency (%v, %v values)", res, i, b.UsersHit, b.CandidateLatency.Count(), b.BaselineLatency.Count())
			}
			if a.Outcome != b.Outcome || a.End != b.End || a.Promoted != b.Promoted || a.Detected != b.Detected ||
				a.Candidate != b.Candidate || a.Baseline != b.Baseline {
				t.Errorf("%v run %d: twin %v end %v, healthy %v end %v", res, i, b.Outcome, b.End, a.Outcome, a.End)
			}
			if a.CandidateLatency.Count() == 0 {
				t.Errorf("%v run %d: Healthy's run has no latency", res, i)
			}
			sh.Add(&a)
			st.Add(&b)
		}
		if n := st.Stats(metrics.UsersHit).N; n != 0 {
			t.Errorf("%v: twin's summary holds %d users-hit values, want 0", res, n)
		}
		if n := sh.Stats(metrics.UsersHit).N; n != 30 {
			t.Errorf("%v: healthy summary holds %d users-hit values, want 30", res, n)
		}
		if n := st.Stats(metrics.CandidateP99Latency).N; n != 0 {
			t.Errorf("%v: twin's summary holds %d latency values, want 0", res, n)
		}
		if st.Value(metrics.FalseRollbackRate) != sh.Value(metrics.FalseRollbackRate) {
			t.Errorf("%v: false-rollback rates differ", res)
		}
	}
}
