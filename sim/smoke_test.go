package sim

import (
	"testing"
	"time"
)

func TestSmoke(t *testing.T) {
	s := DefaultScenario()
	s.Workload = Poisson{Rate: 50}
	s.Candidate.ErrorProb = 0.01
	s.Fault = Fault{ErrorProb: 0.05}
	s.Strategy = canary(10, 5*time.Minute)
	s.Policy = visiblePolicy{Every: time.Minute, Res: time.Minute, Trigger: 0}
	s.KeepSeries = true
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", r.Outcome)
	t.Logf("cand %+v base %+v", r.Candidate, r.Baseline)
	t.Logf("onset %v first %v det %v zero %v drained %v promoted %v end %v expo %v excess %v", r.FaultOnset, r.FirstFailure, r.Detected, r.WeightZero, r.Drained, r.Promoted, r.End, r.ExposureSeconds, r.ExcessFailures)
	t.Logf("periods %d", len(r.Series.Periods))
}
