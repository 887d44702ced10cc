// Package metrics holds what a simulated deployment measured (Run), what many
// runs add up to (Summary), and the per-period metric stream (Series) that
// rollback policies watch. It knows nothing of the simulator.
package metrics

import "time"

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
	NumOutcomes
)

var outcomeNames = [...]string{"completed", "rolled-back", "false-rollback", "missed", "hook-aborted", "unfinished"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

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
// deployment started; Never marks one that did not happen.
type Run struct {
	Seed       uint64
	Resolution string // "request" or "bucket": the engine that produced the run
	Outcome    Outcome
	Bad        bool // the candidate had a fault

	Candidate VersionCounts
	Baseline  VersionCounts

	// Blast radius.
	ExcessFailures  float64 // candidate failures beyond what the baseline's error probability would have failed on the same requests (expected value)
	UsersHit        float64 // distinct users who saw at least one candidate failure (0 when users are not modelled)
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

	// Series is the per-period metric stream (nil unless the scenario asks to keep it).
	Series *Series
}

// CandidateFailures is the number of failed requests the candidate served.
func (r *Run) CandidateFailures() int64 { return r.Candidate.Failures() }

// TimeToDetect is Detected - FaultOnset (or Detected when there was no fault), and false if nothing was detected.
func (r *Run) TimeToDetect() (time.Duration, bool) {
	if r.Detected == Never {
		return 0, false
	}
	if r.FaultOnset == Never || r.FaultOnset > r.Detected {
		return r.Detected, true
	}
	return r.Detected - r.FaultOnset, true
}

// TimeToRollback is WeightZero - FaultOnset (or WeightZero when there was no fault), and false if there was no rollback.
func (r *Run) TimeToRollback() (time.Duration, bool) {
	if r.WeightZero == Never {
		return 0, false
	}
	if r.FaultOnset == Never || r.FaultOnset > r.WeightZero {
		return r.WeightZero, true
	}
	return r.WeightZero - r.FaultOnset, true
}
