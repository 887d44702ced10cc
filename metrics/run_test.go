package metrics

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestRunFigures(t *testing.T) {
	r := &Run{
		Outcome:    RolledBack,
		Bad:        true,
		Candidate:  VersionCounts{Requests: 100, Errors: 7, Timeouts: 2, Throttles: 3, ColdStarts: 4},
		Baseline:   VersionCounts{Requests: 900, Errors: 1, Throttles: 5, ColdStarts: 6},
		FaultOnset: 30 * time.Second, FirstFailure: 31 * time.Second, Detected: 150 * time.Second,
		WeightZero: 155 * time.Second, Drained: 156 * time.Second, Promoted: Never, End: 156 * time.Second,
	}
	if r.CandidateFailures() != 9 || r.Throttles() != 8 || r.ColdStarts() != 10 || !r.Stopped() {
		t.Errorf("failures %d throttles %d cold %d stopped %v", r.CandidateFailures(), r.Throttles(), r.ColdStarts(), r.Stopped())
	}
	if d, ok := r.TimeToDetect(); !ok || d != 120*time.Second {
		t.Errorf("TimeToDetect = %v, %v; want 2m0s", d, ok)
	}
	if d, ok := r.TimeToRollback(); !ok || d != 125*time.Second {
		t.Errorf("TimeToRollback = %v, %v; want 2m5s", d, ok)
	}
	if _, ok := r.DeployDuration(); ok {
		t.Errorf("DeployDuration of a rolled-back run")
	}
	// A false rollback: no fault, so the times count from the start.
	h := &Run{Outcome: FalseRollback, FaultOnset: Never, Detected: 90 * time.Second, WeightZero: 95 * time.Second, Promoted: Never}
	if d, ok := h.TimeToDetect(); !ok || d != 90*time.Second {
		t.Errorf("healthy TimeToDetect = %v, %v", d, ok)
	}
	c := &Run{Outcome: Completed, FaultOnset: Never, Detected: Never, WeightZero: Never, Promoted: 9 * time.Minute}
	if _, ok := c.TimeToDetect(); ok || c.Stopped() {
		t.Errorf("completed run detected or stopped")
	}
	if d, ok := c.DeployDuration(); !ok || d != 9*time.Minute {
		t.Errorf("DeployDuration = %v, %v", d, ok)
	}
	for o, want := range map[Outcome]bool{Completed: false, RolledBack: true, FalseRollback: true, Missed: false, HookAborted: true, Unfinished: false} {
		if (&Run{Outcome: o}).Stopped() != want {
			t.Errorf("%v.Stopped() != %v", o, want)
		}
	}
	if Outcome(42).String() != "unknown" || HookAborted.String() != "hook-aborted" {
		t.Errorf("outcome names: %v %v", Outcome(42), HookAborted)
	}
}

func TestRunValidate(t *testing.T) {
	ok := func() *Run {
		return &Run{FaultOnset: Never, FirstFailure: Never, Detected: Never, WeightZero: Never, Drained: Never, Promoted: time.Minute, End: time.Hour}
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("valid run: %v", err)
	}
	cases := map[string]struct {
		edit func(*Run)
		want string
	}{
		"outcome":  {func(r *Run) { r.Outcome = NumOutcomes }, "Run.Outcome = 6"},
		"errors":   {func(r *Run) { r.Candidate.Errors = -1 }, "Run.Candidate.Errors = -1: must be >= 0"},
		"lost":     {func(r *Run) { r.LostEvents = -2 }, "Run.LostEvents = -2"},
		"users":    {func(r *Run) { r.UsersHit = -1 }, "Run.UsersHit = -1"},
		"exposure": {func(r *Run) { r.ExposureSeconds = math.NaN() }, "Run.ExposureSeconds = NaN"},
		"excess":   {func(r *Run) { r.ExcessFailures = math.Inf(1) }, "Run.ExcessFailures = +Inf"},
		"instant":  {func(r *Run) { r.Detected = -5 }, "Run.Detected = -5ns: must be Never or >= 0"},
	}
	for name, c := range cases {
		r := ok()
		c.edit(r)
		err := r.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
}
