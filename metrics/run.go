package metrics

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Never marks an instant that did not happen in a run (no fault onset, no
// detection, no rollback).
const Never time.Duration = -1

// Outcome is how a deployment ended.
type Outcome uint8

const (
	// Completed: the candidate reached its final weight and was healthy.
	Completed Outcome = iota
	// RolledBack: a bad candidate was rolled back (a true positive).
	RolledBack
	// FalseRollback: a healthy candidate was rolled back.
	FalseRollback
	// Missed: the deployment completed with a bad candidate.
	Missed
	// HookAborted: the pre-traffic hook failed; no customer traffic reached the candidate.
	HookAborted
	// Unfinished: the horizon came before the deployment completed or rolled back.
	Unfinished
	// NumOutcomes is the number of outcomes (not an outcome).
	NumOutcomes
)

var outcomeNames = [...]string{"completed", "rolled-back", "false-rollback", "missed", "hook-aborted", "unfinished"}

// String is the outcome's name as people read it ("rolled-back").
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// Key is the outcome's key in JSON and on the command line, in snake_case
// like every other key ("rolled_back").
func (o Outcome) Key() string { return strings.ReplaceAll(o.String(), "-", "_") }

// VersionCounts is what one version served in a run.
type VersionCounts struct {
	Requests   int64 // invocations routed to the version (attempts, including throttled ones)
	Successes  int64
	Errors     int64 // function errors
	Timeouts   int64 // invocations that ran past the timeout
	Throttles  int64
	InFlight   int64 // still running at the end of the run
	ColdStarts int64
}

// Failures is Errors + Timeouts: invocations the caller saw fail (throttles apart).
func (c VersionCounts) Failures() int64 { return c.Errors + c.Timeouts }

// Run is what one simulated deployment measured. Instants are time since the
// deployment started; Never marks one that did not happen. A nil *Run has
// no value: its readers return 0 and false, Validate an error.
type Run struct {
	Seed       uint64
	Resolution string // "request" or "bucket": the engine that produced the run
	Outcome    Outcome
	Bad        bool // the candidate had a fault

	Candidate VersionCounts
	Baseline  VersionCounts

	// Blast radius.
	ExcessFailures  float64 // candidate failures beyond what the baseline's error probability would have failed on the same requests (expected value)
	UsersHit        float64 // distinct users who saw at least one candidate failure (0 when users are not modelled, NaN when not computed: sim.Scenario.Twin)
	ExposureSeconds float64 // ∫ candidate weight dt over the run, in seconds

	// Rollback latency in its parts.
	FaultOnset   time.Duration // when the fault became active
	FirstFailure time.Duration // first candidate failure at or after onset
	Detected     time.Duration // the policy decided to roll back
	WeightZero   time.Duration // the weight went back to 0
	Drained      time.Duration // the last in-flight candidate request ended after WeightZero
	Promoted     time.Duration // the weight reached its final value (deployment duration)
	End          time.Duration // when the run stopped

	Reason string // why the policy rolled back ("" if it did not)
	Alarm  string // which alarm or check fired ("" if none)

	// Latency per version over the whole run, in milliseconds.
	CandidateLatency Sketch
	BaselineLatency  Sketch

	// Event models (issue 4). All zero for synchronous invocation.
	LostEvents      int64 // async events dropped after their retries or maximum age, with no destination
	FailedAttempts  int64 // async: attempts that failed and were retried (each counts in Invocations and Errors); queue: invocations (batches) that failed or were throttled
	DelayedMessages int64 // queue messages delivered later than their first receive because of failed batches
	DeadLettered    int64 // events or messages sent to a failure destination or dead-letter queue
	FailedMessages  int64 // queue message receives that failed: every message of a failed batch, or with partial batch response each message the function reported
	// BatchSizes[n] is the number of queue invocations (batches) of n
	// messages, n in [1, 10]: the batch size distribution.
	BatchSizes [11]int64

	// Series is the per-period metric stream (nil unless the scenario asks to keep it).
	Series *Series
}

// Throttles is the number of invocations throttled on either version: the
// concurrency limit is the function's, so the candidate's traffic can
// throttle the baseline's.
func (r *Run) Throttles() int64 {
	if r == nil {
		return 0
	}
	return r.Candidate.Throttles + r.Baseline.Throttles
}

// ColdStarts is the number of invocations that paid an init on either version.
func (r *Run) ColdStarts() int64 {
	if r == nil {
		return 0
	}
	return r.Candidate.ColdStarts + r.Baseline.ColdStarts
}

// DeployDuration is the time the weight took to reach its final value, and
// false if it never did (rolled back, aborted, or unfinished).
func (r *Run) DeployDuration() (time.Duration, bool) {
	if r == nil || r.Promoted == Never {
		return 0, false
	}
	return r.Promoted, true
}

// Stopped reports whether the deployment was stopped before completing: rolled
// back (rightly or not) or aborted by a hook.
func (r *Run) Stopped() bool {
	return r != nil && (r.Outcome == RolledBack || r.Outcome == FalseRollback || r.Outcome == HookAborted)
}

// Validate checks that the counts are non-negative and that each instant is
// Never or a time since the start; it names the first field that breaks a rule.
func (r *Run) Validate() error {
	if r == nil {
		return fmt.Errorf("metrics: Run.Validate: nil Run")
	}
	if r.Outcome >= NumOutcomes {
		return fmt.Errorf("metrics: Run.Outcome = %d: must be below %d", r.Outcome, NumOutcomes)
	}
	for _, c := range []struct {
		name string
		v    int64
	}{
		{"Candidate.Requests", r.Candidate.Requests}, {"Candidate.Successes", r.Candidate.Successes},
		{"Candidate.Errors", r.Candidate.Errors}, {"Candidate.Timeouts", r.Candidate.Timeouts},
		{"Candidate.Throttles", r.Candidate.Throttles}, {"Candidate.InFlight", r.Candidate.InFlight},
		{"Candidate.ColdStarts", r.Candidate.ColdStarts},
		{"Baseline.Requests", r.Baseline.Requests}, {"Baseline.Successes", r.Baseline.Successes},
		{"Baseline.Errors", r.Baseline.Errors}, {"Baseline.Timeouts", r.Baseline.Timeouts},
		{"Baseline.Throttles", r.Baseline.Throttles}, {"Baseline.InFlight", r.Baseline.InFlight},
		{"Baseline.ColdStarts", r.Baseline.ColdStarts},
		{"LostEvents", r.LostEvents}, {"FailedAttempts", r.FailedAttempts},
		{"DelayedMessages", r.DelayedMessages}, {"DeadLettered", r.DeadLettered},
		{"FailedMessages", r.FailedMessages},
	} {
		if c.v < 0 {
			return fmt.Errorf("metrics: Run.%s = %d: must be >= 0", c.name, c.v)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"UsersHit", r.UsersHit}, {"ExposureSeconds", r.ExposureSeconds}} {
		if f.name == "UsersHit" && math.IsNaN(f.v) {
			continue // not computed (a healthy twin's run, sim.Scenario.Twin)
		}
		if !(f.v >= 0) || math.IsInf(f.v, 1) {
			return fmt.Errorf("metrics: Run.%s = %g: must be finite and >= 0", f.name, f.v)
		}
	}
	if math.IsNaN(r.ExcessFailures) || math.IsInf(r.ExcessFailures, 0) {
		return fmt.Errorf("metrics: Run.ExcessFailures = %g: must be finite", r.ExcessFailures)
	}
	for _, t := range []struct {
		name string
		v    time.Duration
	}{
		{"FaultOnset", r.FaultOnset}, {"FirstFailure", r.FirstFailure}, {"Detected", r.Detected},
		{"WeightZero", r.WeightZero}, {"Drained", r.Drained}, {"Promoted", r.Promoted}, {"End", r.End},
	} {
		if t.v < 0 && t.v != Never {
			return fmt.Errorf("metrics: Run.%s = %v: must be Never or >= 0", t.name, t.v)
		}
	}
	return nil
}

// CandidateFailures is the number of failed requests the candidate served.
func (r *Run) CandidateFailures() int64 {
	if r == nil {
		return 0
	}
	return r.Candidate.Failures()
}

// TimeToDetect is Detected - FaultOnset (or Detected when there was no fault), and false if nothing was detected.
func (r *Run) TimeToDetect() (time.Duration, bool) {
	if r == nil || r.Detected == Never {
		return 0, false
	}
	if r.FaultOnset == Never || r.FaultOnset > r.Detected {
		return r.Detected, true
	}
	return r.Detected - r.FaultOnset, true
}

// TimeToRollback is WeightZero - FaultOnset (or WeightZero when there was no fault), and false if there was no rollback.
func (r *Run) TimeToRollback() (time.Duration, bool) {
	if r == nil || r.WeightZero == Never {
		return 0, false
	}
	if r.FaultOnset == Never || r.FaultOnset > r.WeightZero {
		return r.WeightZero, true
	}
	return r.WeightZero - r.FaultOnset, true
}
