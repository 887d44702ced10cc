package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/deploysim/deploysim/metrics"
)

// execKnobs are the generated settings of the execution model, event model
// and hooks, on top of a generated core scenario (knobs).
type execKnobs struct {
	Limit       int // reserved concurrency, 0: none
	Provisioned int
	KeepAliveS  int
	Scaling     bool
	Async       int // 0: sync, 1: async, 2: async with a destination, 3: queue, 4: queue with a window and a cap
	MaxRetries  int
	AgeS        int // maximum event age, seconds
	PreCatch    float64
	PostCatch   float64
}

func (x execKnobs) apply(s *Scenario) {
	s.Concurrency = DefaultConcurrency()
	s.Concurrency.ReservedLimit = x.Limit
	s.Concurrency.KeepAlive = time.Duration(x.KeepAliveS) * time.Second
	s.Concurrency.ScalingLimit = x.Scaling
	if x.Provisioned > 0 && (x.Limit == 0 || x.Provisioned <= x.Limit) {
		s.Candidate.Provisioned = x.Provisioned
	}
	if x.Async >= 3 {
		q := DefaultQueue()
		q.MaxReceiveCount = x.MaxRetries + 1
		q.VisibilityTimeout = time.Duration(x.AgeS/10) * time.Second
		if x.Async == 4 {
			q.BatchSize, q.BatchWindow, q.MaxConcurrency = 5, 2*time.Second, 2
			q.PartialBatchResponse = x.Scaling
		}
		s.EventModel = q
	} else if x.Async > 0 {
		a := DefaultAsync()
		a.MaxRetries = x.MaxRetries
		a.MaxEventAge = time.Duration(x.AgeS) * time.Second
		// Shorter delays keep the generated runs short.
		a.RetryDelays = [2]time.Duration{10 * time.Second, 20 * time.Second}
		a.Destination = x.Async == 2
		s.EventModel = a
	}
	if x.PreCatch > 0 {
		s.PreTraffic = Hook{Duration: 30 * time.Second, CatchProb: x.PreCatch}
	}
	if x.PostCatch > 0 {
		s.PostTraffic = Hook{Duration: 40 * time.Second, CatchProb: x.PostCatch}
	}
	s.Resolution = PerRequest
}

// checkExec adds the execution and event models' invariants to checkRun's:
// published throttles and cold starts add up, an async event's failed
// attempts are retried or discarded, and a hook-aborted run served the
// candidate nothing.
func checkExec(s Scenario, r metrics.Run) string {
	if msg := checkRun(s, r); msg != "" {
		return msg
	}
	for _, c := range []metrics.VersionCounts{r.Candidate, r.Baseline} {
		if c.ColdStarts > c.Requests-c.Throttles {
			return fmt.Sprintf("ColdStarts %d > invocations that ran %d", c.ColdStarts, c.Requests-c.Throttles)
		}
	}
	if l := int64(s.Concurrency.Limit()); l > 0 && r.Candidate.InFlight+r.Baseline.InFlight > l {
		return fmt.Sprintf("in flight %d above the limit %d", r.Candidate.InFlight+r.Baseline.InFlight, l)
	}
	thr := float64(r.Throttles())
	if r.Series != nil {
		thr = 0
	}
	for i := 0; r.Series != nil && i < len(r.Series.Periods); i++ {
		thr += r.Series.Periods[i].Dims[metrics.Alias].Throttles
		p := &r.Series.Periods[i].Dims
		if l := float64(s.Concurrency.Limit()); l > 0 && p[metrics.Alias].Concurrency.Max() > l {
			return fmt.Sprintf("period %d: concurrency sample %v above the limit %v", i, p[metrics.Alias].Concurrency.Max(), l)
		}
	}
	if thr != float64(r.Throttles()) {
		return fmt.Sprintf("published throttles %v != run's %d", thr, r.Throttles())
	}
	failed := r.Candidate.Failures() + r.Baseline.Failures()
	ended := r.FailedAttempts + r.LostEvents + r.DeadLettered
	_, async := s.EventModel.(Async)
	_, queue := s.EventModel.(Queue)
	switch {
	case queue && (r.FailedAttempts != failed+r.Throttles() || r.LostEvents != 0):
		return fmt.Sprintf("queue run with FailedAttempts %d (failed or throttled batches: %d), LostEvents %d", r.FailedAttempts, failed+r.Throttles(), r.LostEvents)
	case queue && r.FailedMessages < r.DeadLettered:
		return fmt.Sprintf("queue run with FailedMessages %d < DeadLettered %d", r.FailedMessages, r.DeadLettered)
	case queue && batchTotal(r) != r.Candidate.Requests+r.Baseline.Requests:
		return fmt.Sprintf("BatchSizes add up to %d batches, the run invoked %d", batchTotal(r), r.Candidate.Requests+r.Baseline.Requests)
	case queue && !s.EventModel.(Queue).PartialBatchResponse && r.DeadLettered > 10*(failed+r.Throttles()):
		return fmt.Sprintf("DeadLettered %d above 10 messages per failed or throttled batch (%d)", r.DeadLettered, failed+r.Throttles())
	case !async && !queue && ended != 0:
		return fmt.Sprintf("sync run with FailedAttempts %d, LostEvents %d, DeadLettered %d", r.FailedAttempts, r.LostEvents, r.DeadLettered)
	case async && r.Throttles() == 0 && failed != ended:
		return fmt.Sprintf("no throttles: Errors+Timeouts %d != FailedAttempts %d + LostEvents %d + DeadLettered %d", failed, r.FailedAttempts, r.LostEvents, r.DeadLettered)
	case async && failed+r.Throttles() < ended:
		return fmt.Sprintf("Errors+Timeouts %d + Throttles %d < FailedAttempts %d + LostEvents %d + DeadLettered %d", failed, r.Throttles(), r.FailedAttempts, r.LostEvents, r.DeadLettered)
	case async && s.EventModel.(Async).Destination && r.LostEvents != 0:
		return fmt.Sprintf("LostEvents %d with a destination", r.LostEvents)
	case async && !s.EventModel.(Async).Destination && r.DeadLettered != 0:
		return fmt.Sprintf("DeadLettered %d without a destination", r.DeadLettered)
	}
	if r.Outcome == metrics.HookAborted && (r.Candidate.Requests != 0 || r.Alarm != PreTrafficHook) {
		return fmt.Sprintf("hook-aborted run with %d candidate requests, alarm %q", r.Candidate.Requests, r.Alarm)
	}
	return ""
}

// Conservation with throttles, cold starts, retries and hooks: every
// attempt ends as exactly one of success, error, timeout, throttle or in
// flight (checkRun), and the invariants of checkExec hold, over generated
// core scenarios with generated execution settings.
func TestExecConservationProperty(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(20261126)
	params.MinSuccessfulTests = 200
	if testing.Short() {
		params.MinSuccessfulTests = 50
	}
	properties := gopter.NewProperties(params)
	gens := []gopter.Gen{
		gen.Float64Range(0, 100), gen.Float64Range(0, 0.3), gen.Float64Range(0, 0.6),
		gen.IntRange(0, len(testStrategies)-1), gen.OneConstOf(0, 61, 600), gen.IntRange(0, 3),
		gen.OneConstOf(0, 100, 3000), gen.UInt64(),
		gen.OneConstOf(0, 1, 3, 10), gen.OneConstOf(0, 2, 5), gen.OneConstOf(1, 30, 600), gen.Bool(),
		gen.IntRange(0, 4), gen.IntRange(0, 2), gen.OneConstOf(60, 100, 21600),
		gen.OneConstOf(0.0, 0.5, 1.0), gen.OneConstOf(0.0, 0.5, 1.0),
	}
	properties.Property("conservation with the execution model", prop.ForAll(
		func(rate, p, fp float64, strat, horizon, pol, timeout int, seed uint64,
			limit, prov, keep int, scaling bool, async, retries, age int, pre, post float64) string {
			k := knobs{Rate: rate, PBase: p, PCand: p, FaultP: fp, Strategy: strat, HorizonSec: horizon,
				Policy: pol, TimeoutMs: timeout, DelaySec: 60, ActionSec: 5, Seed: seed}
			s := k.scenario()
			execKnobs{limit, prov, keep, scaling, async, retries, age, pre, post}.apply(&s)
			r, err := Run(s)
			if err != nil {
				return "Run: " + err.Error()
			}
			return checkExec(s, r)
		}, gens...))
	properties.TestingRun(t)
}

// batchTotal is the number of batches in r.BatchSizes.
func batchTotal(r metrics.Run) int64 {
	n := int64(0)
	for _, c := range r.BatchSizes {
		n += c
	}
	return n
}
