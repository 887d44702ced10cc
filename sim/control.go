package sim

import (
	"fmt"
	"time"

	"github.com/deploysim/deploysim/internal/eventq"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// Event kinds. The numeric order is the order of events at the same instant
// (eventq breaks ties by kind, then by scheduling order); the gaps leave room
// for kinds other engines add. At one instant t:
//
//  1. completions: requests ending at t are counted before anything else
//     happens at t (a policy at t sees them; a drain ends at t); then the
//     ConcurrentExecutions sample at t (exec.go) sees them ended;
//  2. fault onset: the fault affects requests arriving at t;
//  3. publication: a datapoint due at t is visible to an evaluation at t;
//  4. evaluation: the controller checks the policy before it shifts traffic,
//     as CodeDeploy checks alarms before each step, so a rollback decided at
//     the instant of a step cancels that step; then a hook's end (hooks.go),
//     which decides whether the schedule starts or the deployment ends;
//  5. weight change: the schedule's step at t (right-continuous: arrivals
//     at t see the new weight);
//  6. end of the bake: the deployment is over (an evaluation at t still
//     counted);
//  7. rollback action: the weight goes to 0 (after any step at t);
//  8. horizon: the run ends; arrivals at the horizon are not admitted;
//  9. arrival: a new request sees every change made at its instant; then
//     a queue message visible again, an asynchronous event's retry and a
//     batching window's end (async.go, queue.go), each routed like one.
const (
	evCompletion  uint8 = 10
	evSample      uint8 = 15
	evFaultOnset  uint8 = 20
	evPublish     uint8 = 30
	evEvaluate    uint8 = 40
	evHook        uint8 = 45
	evWeight      uint8 = 50
	evBakeEnd     uint8 = 55
	evRollback    uint8 = 60
	evHorizon     uint8 = 70
	evArrival     uint8 = 80
	evVisible     uint8 = 85
	evRetry       uint8 = 90
	evBatchWindow uint8 = 95
)

// control is the deployment controller, shared by the engines: it applies the
// schedule, publishes datapoints, consults the policy, performs the rollback
// and decides when the run stops. It owns the run's counts and instants
// (in run), which the engine updates as requests come and go.
type control struct {
	q     *eventq.Queue
	rec   *recorder
	sched strategy.Schedule
	mon   rollback.Monitor
	pol   rollback.Policy

	horizon       time.Duration
	bake          time.Duration
	actionLatency time.Duration
	fault         Fault
	bad           bool

	weight    float64
	driven    bool // the policy's decisions move the weight after the schedule's first step (rollback.Driver)
	started   bool // the schedule's first step has applied
	deploying bool // the schedule is running: steps apply and the policy is consulted
	stopped   bool // no arrival is admitted any more
	drain     bool // the run ends when the last request in flight ends
	faultTime bool // the fault's OnsetAt has passed
	faultOn   bool // the fault shows

	inflight [metrics.NumDimensions]int64
	pending  int64 // asynchronous events waiting for a retry: a drain waits for them too
	hk       hooks
	expo     float64 // ∫ weight dt up to expoT, in seconds
	expoT    time.Duration
	evals    int64 // the policy's evaluations so far (MaxEvaluations)
	err      error

	run metrics.Run
}

// start initialises the controller for a validated scenario and schedules its
// first events.
func (c *control) start(s *Scenario, q *eventq.Queue, rec *recorder) {
	*c = control{
		q:             q,
		rec:           rec,
		sched:         s.Strategy.Schedule(),
		pol:           s.Policy,
		horizon:       s.Horizon,
		bake:          s.Bake,
		actionLatency: s.ActionLatency,
		fault:         s.Fault,
		bad:           s.Fault.Bad(),
		deploying:     true,
		driven:        rollback.Drives(s.Policy),
	}
	c.run = metrics.Run{
		Seed:         s.Seed,
		Bad:          c.bad,
		FaultOnset:   metrics.Never,
		FirstFailure: metrics.Never,
		Detected:     metrics.Never,
		WeightZero:   metrics.Never,
		Drained:      metrics.Never,
		Promoted:     metrics.Never,
		End:          metrics.Never,
	}
	c.hk.start(s)
	c.startSchedule()
	if s.Horizon > 0 {
		q.Push(eventq.Event{At: s.Horizon, Kind: evHorizon})
	}
	if s.Fault.effective() {
		q.Push(eventq.Event{At: s.Fault.OnsetAt, Kind: evFaultOnset})
	}
	if s.Policy != nil {
		c.mon = s.Policy.Start()
		if isNil(c.mon) {
			// The run goes on without a policy and Run reports the error.
			c.err = fmt.Errorf("sim: Policy %q: Start() returned a nil Monitor", s.Policy.Name())
			c.mon = nil
			return
		}
		q.Push(eventq.Event{At: rec.publishAt(0), Kind: evPublish, Idx: 0})
		c.nextEvaluation(-1)
	}
}

func (c *control) nextEvaluation(after time.Duration) {
	next := c.mon.Next(after)
	if next <= after {
		c.err = fmt.Errorf("sim: Policy %q: Monitor.Next(%v) = %v: must be after %v", c.pol.Name(), after, next, after)
		return
	}
	if c.evals++; c.evals > MaxEvaluations {
		c.err = fmt.Errorf("sim: Policy %q: more than MaxEvaluations = %d evaluations in one run (the last at %v, the next asked for %v after it): a Monitor.Next that advances by nanoseconds never lets the run end; evaluate at a coarser cadence", c.pol.Name(), int64(MaxEvaluations), after, next-after)
		return
	}
	c.q.Push(eventq.Event{At: next, Kind: evEvaluate})
}

// handle performs a control event. It returns true when the run must end now.
func (c *control) handle(e eventq.Event) (end bool) {
	now := e.At
	switch e.Kind {
	case evFaultOnset:
		if c.stopped {
			return false
		}
		c.faultTime = true
		if c.run.Candidate.Requests >= c.fault.OnsetAfter {
			c.faultOn = true
			c.run.FaultOnset = now
		}
	case evPublish:
		if !c.deploying {
			return false // nobody is watching any more
		}
		c.rec.publish(int(e.Idx))
		c.q.Push(eventq.Event{At: c.rec.publishAt(int(e.Idx) + 1), Kind: evPublish, Idx: e.Idx + 1})
	case evEvaluate:
		if !c.deploying {
			return false
		}
		d := c.mon.Evaluate(rollback.Observation{Now: now, Series: c.rec.observe(), Weight: c.weight})
		if d.Rollback {
			c.deploying = false
			c.run.Detected = now
			c.run.Reason, c.run.Alarm = d.Reason, d.Alarm
			c.q.Push(eventq.Event{At: now + c.actionLatency, Kind: evRollback})
			return false
		}
		if c.driven && c.started && c.run.Promoted == metrics.Never {
			// The policy moves the traffic (Flagger): a weight set at an
			// evaluation applies to the arrivals at its instant.
			switch {
			case d.Promote:
				c.setWeight(now, 1)
				if c.promote(now) {
					return true
				}
			case d.SetWeight:
				c.setWeight(now, d.Weight)
			}
		}
		if !c.deploying {
			return false
		}
		c.nextEvaluation(now)
		return c.err != nil
	case evHook:
		return c.hookEnd(now, e.Idx)
	case evWeight:
		if !c.deploying {
			return false // stopped by a rollback decision
		}
		c.setWeight(now, c.sched[e.Idx].Weight)
		c.started = true
		if c.driven {
			return false // the policy's decisions take it from here
		}
		if int(e.Idx) == len(c.sched)-1 {
			return c.promote(now)
		}
		c.q.Push(eventq.Event{At: c.sched[e.Idx+1].At + c.hk.shift, Kind: evWeight, Idx: e.Idx + 1})
	case evBakeEnd:
		if !c.deploying {
			return false // rolled back during the bake
		}
		if c.hk.postPending {
			return false // the post-traffic hook ends the deployment
		}
		return c.endDeployment(now)
	case evRollback:
		c.setWeight(now, 0)
		c.run.WeightZero = now
		if c.inflight[metrics.Candidate] == 0 {
			c.run.Drained = now
		}
		return c.stop(now, true)
	case evHorizon:
		c.stop(now, false)
		return true
	}
	return false
}

// promote records that the weight reached its final value at now (the
// schedule's last step, or a Driver's Promote) and starts what follows: the
// post-traffic hook and the bake, or the end of the deployment. It returns
// true when the run must end now.
func (c *control) promote(now time.Duration) bool {
	c.run.Promoted = now
	if c.hk.post.Enabled() {
		// The deployment, and the policy's watch, last until the
		// post-traffic hook and the bake have both ended.
		c.hk.postPending = true
		c.q.Push(eventq.Event{At: now + c.hk.post.Duration, Kind: evHook, Idx: hookPost})
	}
	if c.bake > 0 {
		c.q.Push(eventq.Event{At: now + c.bake, Kind: evBakeEnd})
		return false
	}
	if c.hk.postPending {
		return false
	}
	return c.endDeployment(now)
}

// endDeployment ends a deployment that completed (no rollback): the policy
// is no longer consulted, and without a horizon the run stops and drains.
func (c *control) endDeployment(now time.Duration) bool {
	c.deploying = false
	if c.horizon == 0 {
		return c.stop(now, true)
	}
	return false
}

// setWeight changes the weight at now, accumulating the exposure.
func (c *control) setWeight(now time.Duration, w float64) {
	if !c.stopped {
		c.expo += float64(c.weight * (now - c.expoT).Seconds()) // converted: no fused multiply-add on arm64
		c.expoT = now
	}
	c.weight = w
}

// stop stops admitting arrivals at now. With drain, the run ends when the
// requests in flight have ended (true if none is).
func (c *control) stop(now time.Duration, drain bool) bool {
	if c.stopped {
		return !drain || c.inflightTotal() == 0
	}
	c.setWeight(now, c.weight)
	c.stopped, c.drain = true, drain
	return !drain || c.inflightTotal() == 0
}

// inflightTotal is what a drain waits for: requests running and
// asynchronous events waiting for a retry.
func (c *control) inflightTotal() int64 {
	return c.inflight[metrics.Candidate] + c.inflight[metrics.Baseline] + c.pending
}

// busy is the function's executions in progress (both versions).
func (c *control) busy() int64 {
	return c.inflight[metrics.Candidate] + c.inflight[metrics.Baseline]
}

// candidateArrival is called for each request routed to the candidate,
// before it is counted; it says whether the fault (if any) shows for it,
// ignoring request kinds.
func (c *control) candidateArrival(now time.Duration) bool {
	if !c.faultTime {
		return false
	}
	if !c.faultOn {
		if c.run.Candidate.Requests < c.fault.OnsetAfter {
			return false
		}
		c.faultOn = true
		c.run.FaultOnset = now
	}
	return true
}

// candidateFailure is called for each candidate request that fails, at the
// instant the caller sees the failure.
func (c *control) candidateFailure(now time.Duration) {
	if c.run.FirstFailure == metrics.Never && c.faultOn && now >= c.run.FaultOnset {
		c.run.FirstFailure = now
	}
}

// finish completes the run record at end: in-flight counts, exposure,
// outcome, latency sketches and series.
func (c *control) finish(end time.Duration, resolution Resolution, keepSeries bool) metrics.Run {
	if !c.stopped {
		c.stop(end, false)
	}
	r := c.run
	r.End = end
	r.Resolution = resolution.String()
	r.Candidate.InFlight = c.inflight[metrics.Candidate]
	r.Baseline.InFlight = c.inflight[metrics.Baseline]
	r.ExposureSeconds = c.expo
	switch {
	case c.hk.aborted:
		r.Outcome = metrics.HookAborted
	case r.Detected != metrics.Never && c.bad:
		r.Outcome = metrics.RolledBack
	case r.Detected != metrics.Never:
		r.Outcome = metrics.FalseRollback
	case r.Promoted != metrics.Never && c.bad:
		r.Outcome = metrics.Missed
	case r.Promoted != metrics.Never:
		r.Outcome = metrics.Completed
	default:
		r.Outcome = metrics.Unfinished
	}
	c.rec.latency(metrics.Candidate, &r.CandidateLatency)
	c.rec.latency(metrics.Baseline, &r.BaselineLatency)
	if keepSeries {
		r.Series = c.rec.series()
	}
	return r
}
