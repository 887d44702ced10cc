package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/deploysim/deploysim/metrics"
)

// checkRun returns "" when r obeys the invariants every run must obey
// (conservation of requests, agreement of counts and series, order of the
// instants), else the first violation.
func checkRun(s Scenario, r metrics.Run) string {
	if err := r.Validate(); err != nil {
		return err.Error()
	}
	for _, v := range []struct {
		name string
		c    metrics.VersionCounts
	}{{"Candidate", r.Candidate}, {"Baseline", r.Baseline}} {
		c := v.c
		if c.Requests != c.Successes+c.Errors+c.Timeouts+c.Throttles+c.InFlight {
			return fmt.Sprintf("%s: Requests %d != Successes %d + Errors %d + Timeouts %d + Throttles %d + InFlight %d",
				v.name, c.Requests, c.Successes, c.Errors, c.Timeouts, c.Throttles, c.InFlight)
		}
	}
	// Per-version latency sketches hold one value per completed invocation.
	if got, want := r.CandidateLatency.Count(), float64(r.Candidate.Successes+r.Candidate.Errors+r.Candidate.Timeouts); got != want {
		return fmt.Sprintf("CandidateLatency.Count() = %v, want %v completed", got, want)
	}
	if got, want := r.BaselineLatency.Count(), float64(r.Baseline.Successes+r.Baseline.Errors+r.Baseline.Timeouts); got != want {
		return fmt.Sprintf("BaselineLatency.Count() = %v, want %v completed", got, want)
	}
	if r.Series != nil {
		var sum [metrics.NumDimensions]struct{ inv, errs, n float64 }
		for i := range r.Series.Periods {
			for d := range r.Series.Periods[i].Dims {
				v := &r.Series.Periods[i].Dims[d]
				sum[d].inv += v.Invocations
				sum[d].errs += v.Errors
				sum[d].n += v.Duration.Count()
			}
		}
		for _, x := range []struct {
			d metrics.Dimension
			c metrics.VersionCounts
		}{{metrics.Candidate, r.Candidate}, {metrics.Baseline, r.Baseline}} {
			if sum[x.d].inv != float64(x.c.Successes+x.c.Errors+x.c.Timeouts) {
				return fmt.Sprintf("series %v Invocations sum %v != completed %d", x.d, sum[x.d].inv, x.c.Successes+x.c.Errors+x.c.Timeouts)
			}
			if sum[x.d].errs != float64(x.c.Errors+x.c.Timeouts) {
				return fmt.Sprintf("series %v Errors sum %v != errors+timeouts %d", x.d, sum[x.d].errs, x.c.Errors+x.c.Timeouts)
			}
		}
		a, c, b := sum[metrics.Alias], sum[metrics.Candidate], sum[metrics.Baseline]
		if a.inv != c.inv+b.inv || a.errs != c.errs+b.errs || a.n != c.n+b.n {
			return fmt.Sprintf("alias sums %+v != candidate %+v + baseline %+v", a, c, b)
		}
	}
	if s.Horizon > 0 && r.End > s.Horizon {
		return fmt.Sprintf("End %v after Horizon %v", r.End, s.Horizon)
	}
	ordered := func(names string, ts ...time.Duration) string {
		for i := 1; i < len(ts); i++ {
			if ts[i-1] != metrics.Never && ts[i] != metrics.Never && ts[i] < ts[i-1] {
				return fmt.Sprintf("instants out of order (%s): %v", names, ts)
			}
		}
		return ""
	}
	if m := ordered("Detected, WeightZero, Drained, End", r.Detected, r.WeightZero, r.Drained, r.End); m != "" {
		return m
	}
	if m := ordered("FaultOnset, FirstFailure, End", r.FaultOnset, r.FirstFailure, r.End); m != "" {
		return m
	}
	if r.WeightZero != metrics.Never && r.Detected == metrics.Never {
		return "WeightZero without Detected"
	}
	if r.Promoted != metrics.Never && r.Detected != metrics.Never && r.Promoted > r.Detected {
		return fmt.Sprintf("Promoted %v after Detected %v", r.Promoted, r.Detected)
	}
	if (r.Candidate.InFlight > 0 || r.Baseline.InFlight > 0) && (s.Horizon == 0 || r.End != s.Horizon) {
		return fmt.Sprintf("requests in flight (%d, %d) at End %v, but the run did not end at its horizon %v", r.Candidate.InFlight, r.Baseline.InFlight, r.End, s.Horizon)
	}
	if r.UsersHit > float64(s.Users.N) || r.UsersHit > float64(r.Candidate.Failures()) {
		return fmt.Sprintf("UsersHit %v exceeds users %d or candidate failures %d", r.UsersHit, s.Users.N, r.Candidate.Failures())
	}
	if r.Bad != s.Fault.Bad() {
		return fmt.Sprintf("Bad = %v for fault %+v", r.Bad, s.Fault)
	}
	if !s.Fault.effective() && r.FaultOnset != metrics.Never {
		return "FaultOnset set for a candidate without a fault"
	}
	if r.Candidate.Requests > 0 && r.ExposureSeconds == 0 {
		return "candidate requests with zero exposure"
	}
	if math.IsNaN(r.ExcessFailures) {
		return "ExcessFailures is NaN"
	}
	return ""
}
