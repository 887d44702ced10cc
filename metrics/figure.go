package metrics

import (
	"fmt"
	"math"
	"strings"
)

// Figure names one number a run measures, or one rate over runs, so that
// tables, Pareto fronts and recommendations can be asked about any of them.
// Its String is the key the JSON schema and the command line use.
type Figure uint8

// The figures a Summary describes. Per-run figures have a distribution over
// runs (mean, stddev, quantiles); the last three are proportions over runs.
// Every per-run figure but DeployDuration is read over the bad runs (what
// the fault costs and how fast it is stopped), DeployDuration over the
// healthy ones (what a good release costs): see Figure.Population.
const (
	CandidateFailures   Figure = iota // failed requests (errors + timeouts) the candidate served
	ExcessFailures                    // candidate failures beyond the baseline's expected ones (may be negative)
	UsersHit                          // distinct users who saw a candidate failure
	CandidateRequests                 // requests routed to the candidate
	Exposure                          // ∫ candidate weight dt, in seconds
	TimeToDetect                      // seconds from fault onset to the rollback decision, over bad runs that were detected
	TimeToRollback                    // seconds from fault onset to weight 0, over bad runs that were rolled back
	DeployDuration                    // seconds to reach the final weight, over healthy runs that reached it
	ThrottledRequests                 // invocations throttled on either version
	ColdStarts                        // invocations that paid an init, either version
	LostEvents                        // async events dropped
	FailedAttempts                    // async attempts that failed and were retried
	DelayedMessages                   // queue messages delayed by failed batches
	DeadLettered                      // events or messages sent to a DLQ or failure destination
	CandidateP99Latency               // the run's p99 candidate latency in ms (within SketchAccuracy), over runs with candidate invocations
	BaselineP99Latency                // the run's p99 baseline latency in ms, over runs with baseline invocations
	numRunFigures
)

// The proportions over runs. A run is stopped when it was rolled back or
// aborted by a hook; whether it was bad is Run.Bad, the ground truth.
const (
	DetectionRate     Figure = numRunFigures + iota // bad runs stopped / bad runs (higher is better)
	FalseRollbackRate                               // healthy runs stopped / healthy runs
	MissRate                                        // 1 - DetectionRate
	numFigures
)

// RunFigures lists the per-run figures in the order tables print them.
var RunFigures = []Figure{
	CandidateFailures, ExcessFailures, UsersHit, CandidateRequests, Exposure,
	TimeToDetect, TimeToRollback, DeployDuration, ThrottledRequests, ColdStarts,
	LostEvents, FailedAttempts, DelayedMessages, DeadLettered,
	CandidateP99Latency, BaselineP99Latency,
}

var figureNames = [...]string{
	CandidateFailures:   "candidate_failures",
	ExcessFailures:      "excess_failures",
	UsersHit:            "users_hit",
	CandidateRequests:   "candidate_requests",
	Exposure:            "exposure_s",
	TimeToDetect:        "time_to_detect_s",
	TimeToRollback:      "time_to_rollback_s",
	DeployDuration:      "duration_s",
	ThrottledRequests:   "throttles",
	ColdStarts:          "cold_starts",
	LostEvents:          "lost_events",
	FailedAttempts:      "failed_attempts",
	DelayedMessages:     "delayed_messages",
	DeadLettered:        "dead_lettered",
	CandidateP99Latency: "candidate_p99_ms",
	BaselineP99Latency:  "baseline_p99_ms",
	DetectionRate:       "detection_rate",
	FalseRollbackRate:   "false_rollback_rate",
	MissRate:            "miss_rate",
}

// figureLabels are the column headings, without the unit (figureUnit adds it).
var figureLabels = [...]string{
	CandidateFailures:   "failures",
	ExcessFailures:      "excess failures",
	UsersHit:            "users hit",
	CandidateRequests:   "cand. requests",
	Exposure:            "exposure",
	TimeToDetect:        "detect",
	TimeToRollback:      "rollback",
	DeployDuration:      "duration",
	ThrottledRequests:   "throttles",
	ColdStarts:          "cold starts",
	LostEvents:          "lost events",
	FailedAttempts:      "failed attempts",
	DelayedMessages:     "delayed msgs",
	DeadLettered:        "dead-lettered",
	CandidateP99Latency: "cand. p99",
	BaselineP99Latency:  "base p99",
	DetectionRate:       "detected",
	FalseRollbackRate:   "false rollbacks",
	MissRate:            "missed",
}

// Label is the figure's short column heading in text and Markdown tables,
// without its unit ("detect"; the table heading is "detect (s)").
func (f Figure) Label() string {
	if int(f) < len(figureLabels) && figureLabels[f] != "" {
		return figureLabels[f]
	}
	return f.String()
}

// String is the figure's key in JSON and on the command line ("duration_s").
func (f Figure) String() string {
	if int(f) < len(figureNames) && figureNames[f] != "" {
		return figureNames[f]
	}
	return fmt.Sprintf("Figure(%d)", f)
}

// ParseFigure reads a figure's key ("candidate_failures", "duration_s", …).
func ParseFigure(s string) (Figure, error) {
	for i, n := range figureNames {
		if n != "" && n == s {
			return Figure(i), nil
		}
	}
	names := make([]string, 0, len(figureNames))
	for _, n := range figureNames {
		if n != "" {
			names = append(names, n)
		}
	}
	return 0, fmt.Errorf("metrics: Figure = %q: must be one of %s", s, strings.Join(names, ", "))
}

// Population is the runs figure f is about. DeployDuration is about
// healthy runs: how long a good release takes to reach full weight (a bad
// one reaches it only when the fault is missed, and how soon it is stopped
// is TimeToRollback). Every other per-run figure is about bad runs: the
// blast radius (CandidateFailures, ExcessFailures, UsersHit, and the
// exposure that bounds it, CandidateRequests and Exposure), the detection
// (TimeToDetect, TimeToRollback), and what a bad candidate does to
// throttles, cold starts, async events and latency. A healthy candidate's
// failures are the baseline's error rate at work, the same for every
// strategy in proportion to its exposure: they answer no question a
// comparison of strategies asks once bad runs are there. The rates carry
// their own populations: DetectionRate and MissRate over bad runs,
// FalseRollbackRate over healthy ones; for them Population reports the
// same. Summary.Population falls back to the other population when a
// Summary has no run of this one.
func (f Figure) Population() Population {
	if f == DeployDuration || f == FalseRollbackRate {
		return HealthyCandidate
	}
	return BadCandidate
}

// IsRate reports whether f is a proportion over runs rather than a per-run figure.
func (f Figure) IsRate() bool { return f >= DetectionRate && f < numFigures }

// HigherIsBetter reports whether larger values of f are better (only
// DetectionRate); Pareto and Best minimise every other figure.
func (f Figure) HigherIsBetter() bool { return f == DetectionRate }

func (f Figure) valid() bool { return f < numRunFigures || f.IsRate() }

// perUnit is the number of stored units in one display unit of f: counts
// are stored as whole numbers, times in nanoseconds (displayed in seconds),
// the float figures in millionths. Dividing by it (rather than multiplying
// by its inverse, which is not a float64) rounds once: 60e9 ns is 60 s exactly.
func (f Figure) perUnit() int64 {
	switch f {
	case TimeToDetect, TimeToRollback, DeployDuration:
		return 1e9
	case ExcessFailures, UsersHit, Exposure, CandidateP99Latency, BaselineP99Latency:
		return 1e6
	}
	return 1
}

// maxUnits bounds a stored value so that sums of squares of up to 2^20 runs
// stay within 127 bits (2^53 ns is 104 days; 2^53 millionths is 9·10^9).
const maxUnits = 1 << 53

// units returns f of run r in stored units, and false when the run has no
// such value (no detection, never promoted).
func (f Figure) units(r *Run) (int64, bool) {
	switch f {
	case CandidateFailures:
		return clampUnits(r.CandidateFailures()), true
	case ExcessFailures:
		return microUnits(r.ExcessFailures), true
	case UsersHit:
		if math.IsNaN(r.UsersHit) { // not computed (sim.Scenario.Twin)
			return 0, false
		}
		return microUnits(r.UsersHit), true
	case CandidateRequests:
		return clampUnits(r.Candidate.Requests), true
	case Exposure:
		return microUnits(r.ExposureSeconds), true
	case TimeToDetect:
		if !r.Bad {
			return 0, false
		}
		d, ok := r.TimeToDetect()
		return clampUnits(int64(d)), ok
	case TimeToRollback:
		if !r.Bad {
			return 0, false
		}
		d, ok := r.TimeToRollback()
		return clampUnits(int64(d)), ok
	case DeployDuration:
		d, ok := r.DeployDuration()
		return clampUnits(int64(d)), ok
	case ThrottledRequests:
		return clampUnits(r.Throttles()), true
	case ColdStarts:
		return clampUnits(r.ColdStarts()), true
	case LostEvents:
		return clampUnits(r.LostEvents), true
	case FailedAttempts:
		return clampUnits(r.FailedAttempts), true
	case DelayedMessages:
		return clampUnits(r.DelayedMessages), true
	case DeadLettered:
		return clampUnits(r.DeadLettered), true
	case CandidateP99Latency:
		if r.CandidateLatency.Count() == 0 {
			return 0, false
		}
		return microUnits(r.CandidateLatency.Quantile(0.99)), true
	case BaselineP99Latency:
		if r.BaselineLatency.Count() == 0 {
			return 0, false
		}
		return microUnits(r.BaselineLatency.Quantile(0.99)), true
	}
	return 0, false
}

// Of returns figure f of one run in its display unit (seconds for times), as
// the Summary stores it (rounded to a millionth for the float figures), and
// false when the run has no such value (or is nil) or f is a rate.
func (f Figure) Of(r *Run) (float64, bool) {
	if r == nil {
		return 0, false
	}
	u, ok := f.units(r)
	if !ok {
		return 0, false
	}
	return float64(u) / float64(f.perUnit()), true
}

func clampUnits(v int64) int64 { return max(-maxUnits, min(maxUnits, v)) }

func microUnits(v float64) int64 {
	if math.IsNaN(v) {
		return 0
	}
	u := math.Round(v * 1e6) // millionths: perUnit of the float figures
	return int64(max(-maxUnits, min(maxUnits, u)))
}
