package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/deploysim/deploysim/strategy"
)

// Bounds on the work of one run. A scenario whose cost would be measured in
// hours or gigabytes (a billion requests per second replayed one by one, a
// ten-year horizon recorded minute by minute) is almost always a typo in a
// unit; Validate refuses it up front, naming the fields to change, rather
// than letting Run work for hours with no feedback.
const (
	// MaxRequestArrivals bounds the expected arrivals of a run that the
	// per-request engine simulates (Resolution PerRequest, or Auto when a
	// feature needs it): each arrival is at least two events, and the engine
	// does about ten million events a second on one core (BENCHMARKS.md), so
	// the bound is a few minutes of work per run. The bucketed engine's cost
	// does not grow with the rate; use it, a lower rate or a shorter run.
	MaxRequestArrivals = 1e9
	// MaxArrivals bounds the expected arrivals of any run, whatever the
	// engine: counts are int64, and 1e15 per run leaves room to add up
	// thousands of runs in a summary without overflow.
	MaxArrivals = 1e15
	// MaxPeriods bounds the number of metric periods a run records (the
	// per-request engine: every period of the run; the bucketed one: those
	// a policy or KeepSeries reads): each period holds
	// per-version statistics and latency sketches, about 2.5 kB for a policy
	// and 16 kB with KeepSeries (measured), so the bound is a few hundred
	// megabytes. 50,000 one-minute periods are 34 days, 10-second ones 5.8
	// days; the longest Lambda deployment is 50 hours [doc].
	MaxPeriods = 50_000
	// MaxSpan bounds every duration of a scenario that the run adds to
	// simulated time (Horizon, the deployment's length, Period,
	// IngestionDelay, ActionLatency): 50 years, so that sums of a few of them
	// stay far from time.Duration's 292-year limit. An ingestion delay of
	// math.MaxInt64 used to wrap the publication instants round to negative
	// times and run forever.
	MaxSpan = 50 * 365 * 24 * time.Hour
	// MaxEvents is the run-time budget of a per-request run, a safety net
	// for what Validate cannot bound in advance: an asynchronous event or a
	// queue message can be attempted many times (MaxReceiveCount up to
	// 1,000, redelivered at once with a zero visibility timeout), so the
	// events of a run are not a fixed multiple of its arrivals. Run returns
	// an error when a run reaches it, about twenty minutes of work; runs
	// within MaxRequestArrivals without such retries use at most a fifth of
	// it.
	MaxEvents = 1e10
	// MaxInFlight bounds the expected number of requests in flight at once
	// in a per-request run (the mean rate times the mean time a request is
	// held: its latency, cut at the timeout): each one is a pending
	// completion event on the engine's queue, about 100 bytes with its
	// bookkeeping, so the bound is about a gigabyte per worker. A latency
	// of hours at thousands of requests per second (a unit typo: 1000h for
	// 1000ms) otherwise grows the queue until the process is killed for
	// memory. The bucketed engine holds no request and is not bounded by it.
	MaxInFlight = 1e7
	// MaxEvaluations bounds the evaluations of a policy in one run. The
	// policies of package rollback evaluate at most once a second
	// (rollback.MinInterval), 7,200 times in two hours and about 3e6 times
	// over the longest run MaxPeriods allows; a Monitor whose Next
	// advances by a nanosecond would otherwise evaluate 1e9 times per
	// simulated second, a run that never ends.
	MaxEvaluations = 1e7
	// MaxArrivalFactor bounds the arrivals a run draws from a Workload's
	// Arrivals at MaxArrivalFactor times what its Integral expects, plus
	// a million: far beyond any Poisson fluctuation, but it stops a
	// custom Arrivals whose Next stalls at one instant (each arrival a
	// request in flight that never ends before the next) before it
	// exhausts memory.
	MaxArrivalFactor = 10
	// MaxMonteCarloMemory bounds what the workers of one MonteCarlo hold
	// together, 4 GiB: each worker holds one run's recorded periods (see
	// runMemory), so MonteCarlo runs fewer workers than asked when the
	// runs are long and finely recorded. A 10-second alarm over a 138-hour
	// deployment records 50,000 periods, up to 400 MB per worker: 64
	// workers would have held 27 GB. The result does not depend on the
	// number of workers.
	MaxMonteCarloMemory = 4 << 30
)

// Bytes a run holds per recorded period (measured with runtime.MemStats
// after a run of 49,000 10-second periods, and rounded up about twofold):
// with a policy only, the bucketed engine keeps per-version counts (0.8 kB
// measured); the per-request engine and KeepSeries keep statistics and
// latency sketches per version and per alias (3.5 kB measured).
const (
	periodBytesPolicy = 2 << 10
	periodBytesFull   = 8 << 10
)

// runMemory estimates the bytes one worker holds for a run of the
// validated scenario s: its recorded periods (the rest is small and does
// not grow with the run).
func (s *Scenario) runMemory() int64 {
	periods, _, reader := s.recordedPeriods(s.Strategy.Schedule())
	if reader == "" {
		return 0
	}
	if s.resolution() == PerRequest || s.KeepSeries {
		return periods * periodBytesFull
	}
	return periods * periodBytesPolicy
}

// maxEvents is MaxEvents, a variable so that tests can lower it.
var maxEvents int64 = MaxEvents

// span is the longest a run of the validated scenario s can admit arrivals:
// Horizon, or without one the pre-traffic hook, the schedule, the bake and
// the post-traffic hook end to end (a rollback only shortens it). what names
// the fields it comes from, for error messages.
func (s *Scenario) span(sched strategy.Schedule) (d time.Duration, what string) {
	if s.Horizon > 0 {
		return s.Horizon, fmt.Sprintf("Scenario.Horizon = %v", s.Horizon)
	}
	d = satAdd(satAdd(s.PreTraffic.Duration, sched.Duration()), satAdd(s.Bake, s.PostTraffic.Duration))
	return d, fmt.Sprintf("the deployment's length %v (PreTraffic + schedule %v + Bake + PostTraffic; Horizon = 0)", d, sched.Duration())
}

// satAdd adds two non-negative durations, saturating at the largest one.
func satAdd(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// validateCost refuses a scenario whose run would exceed MaxArrivals,
// MaxRequestArrivals or MaxPeriods. It runs last in Validate, on a scenario
// whose fields are otherwise valid.
func (s *Scenario) validateCost(sched strategy.Schedule) error {
	d, what := s.span(sched)
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"Period", s.Period}, {"IngestionDelay", s.IngestionDelay}, {"ActionLatency", s.ActionLatency}} {
		if f.d > MaxSpan {
			return invalid("Scenario.%s = %v: must be at most MaxSpan = %v (50 years)", f.name, f.d, MaxSpan)
		}
	}
	if d > MaxSpan {
		return invalid("%s: must be at most MaxSpan = %v (50 years)", what, MaxSpan)
	}
	n := s.Workload.Integral(0, d)
	if !(n <= MaxArrivals) {
		return invalid("Scenario.Workload (%T) expects %.3g arrivals over %s: at most MaxArrivals = %.0e per run (int64 counts); lower the rate or shorten the run", s.Workload, n, what, float64(MaxArrivals))
	}
	cost, costWhat := n, "arrivals"
	if dc, ok := s.Workload.(drawCoster); ok {
		cost, costWhat = dc.draws(d), "draws (arrivals, thinning candidates, state switches)"
	}
	if q, ok := s.EventModel.(Queue); ok {
		cost *= q.receives(s)
		costWhat = "invocations (" + costWhat + " × expected receives per message)"
	}
	if s.resolution() == PerRequest && !(cost <= MaxRequestArrivals) {
		why := "Scenario.Resolution = request"
		if s.Resolution == Auto {
			why = "Resolution Auto runs per request because " + needsPerRequest(s)
		}
		return invalid("Scenario.Workload (%T) expects %.3g %s over %s, each simulated as events (%s): at most MaxRequestArrivals = %.0e per run; use Resolution Bucketed, a lower rate or a shorter run", s.Workload, cost, costWhat, what, why, float64(MaxRequestArrivals))
	}
	if s.resolution() == PerRequest && d > 0 {
		if err := s.validateInFlight(n/d.Seconds(), what); err != nil {
			return err
		}
	}
	periods, pwhat, reader := s.recordedPeriods(sched)
	if periods > MaxPeriods {
		return invalid("%s: %s is %d periods of %v, at most MaxPeriods = %d; shorten the run or use a longer Period", reader, pwhat, periods, s.recordPeriod(), MaxPeriods)
	}
	return nil
}

// recordedPeriods is the number of metric periods a run of s records, the
// span they cover and who reads them (0 when nobody does).
func (s *Scenario) recordedPeriods(sched strategy.Schedule) (periods int64, what, reader string) {
	// Which periods are recorded: the per-request engine records every
	// invocation's period, whoever reads them; the bucketed engine only
	// while somebody does (KeepSeries: the whole run; a policy: while the
	// deployment runs).
	d, what := s.span(sched)
	switch {
	case s.resolution() == PerRequest:
		reader = "the per-request engine records the metric series of the whole run"
	case s.KeepSeries:
		reader = "Scenario.KeepSeries"
	case s.Policy != nil:
		reader = fmt.Sprintf("Scenario.Policy %q reads the metric series while the deployment runs", s.Policy.Name())
		if s.Horizon > 0 {
			dep := satAdd(satAdd(s.PreTraffic.Duration, sched.Duration()), satAdd(s.Bake, s.PostTraffic.Duration))
			if dep < s.Horizon {
				d, what = dep, fmt.Sprintf("the deployment's length %v (PreTraffic + schedule + Bake + PostTraffic)", dep)
			}
		}
	default:
		return 0, what, ""
	}
	p := s.recordPeriod()
	periods = int64(d / p)
	if d%p != 0 {
		periods++
	}
	return periods, what, reader
}

// recordPeriod is the length of the periods a run records: the scenario's
// Period, or the finer one its policy's resolution needs.
func (s *Scenario) recordPeriod() time.Duration {
	p := s.Period
	if s.Policy != nil {
		p, _ = s.step()
	}
	return p
}

// drawCoster is a workload whose per-request arrival process draws more than
// its arrivals: thinning draws candidates at the peak rate, a modulated
// process draws its state switches. draws is the expected number of draws
// over [0, d), which is what a per-request run costs.
type drawCoster interface {
	draws(d time.Duration) float64
}

func (d Diurnal) draws(span time.Duration) float64 {
	return d.Mean * (1 + d.Amplitude) * span.Seconds()
}

func (p Profile) draws(span time.Duration) float64 {
	peak := 0.0
	for _, v := range p.Hourly {
		peak = math.Max(peak, v)
	}
	return peak * span.Seconds()
}

// draws adds the switches, one per mean sojourn, to the arrivals (none when
// both rates are 0: the process then never draws).
func (b Bursty) draws(span time.Duration) float64 {
	if b.Rate == 0 && b.BurstRate == 0 {
		return 0
	}
	return b.Integral(0, span) + 2*span.Seconds()/(b.MeanNormal+b.MeanBurst).Seconds()
}

// receives bounds the expected receives of one message: each receive fails
// with probability at most p (the worse version's error probability, the
// fault included; timeouts are not counted), or for a whole-batch retry the
// probability that any of BatchSize messages fails, and a message is
// received until a receive succeeds or MaxReceiveCount times, so
// 1 + p + … + p^(R-1) = (1-p^R)/(1-p).
func (q Queue) receives(s *Scenario) float64 {
	p := math.Max(1-float64((1-s.Candidate.ErrorProb)*(1-s.Fault.ErrorProb)), s.Baseline.ErrorProb)
	if !q.PartialBatchResponse {
		p = 1 - math.Pow(1-p, float64(q.BatchSize))
	}
	r := float64(q.MaxReceiveCount)
	if p >= 1 {
		return r
	}
	return (1 - math.Pow(p, r)) / (1 - p)
}

// validateInFlight refuses a per-request scenario whose expected number of
// requests in flight, Little's law L = λ·W with λ the mean arrival rate and
// W the longer of the two versions' mean holding times, exceeds
// MaxInFlight. W is the mean latency (times the fault's LatencyFactor for
// the candidate), at most the timeout when there is one; with the execution
// model's concurrency limits on, L is at most the limit (the rest is
// throttled). A workload that peaks above its mean can exceed L for a
// while; the bound is on the expectation, as MaxRequestArrivals is.
func (s *Scenario) validateInFlight(rate float64, what string) error {
	hold := func(v Version, factor float64) float64 {
		w := meanLatencyMs(v) / 1000 * factor
		if v.Timeout > 0 {
			w = math.Min(w, v.Timeout.Seconds())
		}
		return w
	}
	factor := 1.0
	if s.Fault.LatencyFactor > 1 {
		factor = s.Fault.LatencyFactor
	}
	w, which, v := hold(s.Baseline, 1), "Baseline", s.Baseline
	if wc := hold(s.Candidate, factor); wc > w {
		w, which, v = wc, "Candidate", s.Candidate
	}
	l := rate * w
	if s.Concurrency.Enabled {
		for _, c := range []int{s.Concurrency.ReservedLimit, s.Concurrency.AccountLimit} {
			if c > 0 {
				l = math.Min(l, float64(c))
			}
		}
	}
	if !(l <= MaxInFlight) {
		return invalid("Scenario.%s holds a request %.3g s on average (mean latency, cut at Timeout %v) at %.3g arrivals/s over %s: %.3g requests in flight at once, at most MaxInFlight = %.0e in a per-request run; check the latency's unit, set a Timeout, or use Resolution Bucketed", which, w, v.Timeout, rate, what, l, float64(MaxInFlight))
	}
	return nil
}
