package sim

import (
	"fmt"
	"github.com/deploysim/deploysim/internal/xmath"
	"math"
	"math/rand/v2"
	"time"

	"github.com/deploysim/deploysim/internal/eventq"
	"github.com/deploysim/deploysim/internal/seed"
	"github.com/deploysim/deploysim/metrics"
)

// Outcomes of an invocation, carried by its completion event.
const (
	outSuccess uint8 = iota
	outError
	outTimeout
)

// maxLatencyMs caps a latency draw (about 11.6 days), so that a heavy-tailed
// or faulty sampler cannot overflow simulated time; NaN draws are capped too.
const maxLatencyMs = 1e9

// version is the per-run state of one version's behaviour.
type version struct {
	lat Sampler
	// logn is set when lat is a LogNormal drawing from the engine's own
	// *rand.Rand: attempt then makes the same draw, exp(Mu + Sigma·Z), inline
	// instead of through the interface (a call and a copy of the value per
	// request on the hottest path).
	logn      bool
	mu, sigma float64
	p         float64       // error probability
	timeout   time.Duration // 0: none
}

// engine is the per-request discrete-event engine: every arrival and every
// completion is an event on one queue, with the controller's events.
//
// What is shared and what is not: control (control.go) owns the deployment —
// schedule, policy, rollback, fault onset, stop and drain, the run record —
// and recorder (publish.go) owns the metric series and its visibility; a
// second engine (the bucketed one) drives the same two types from its own
// loop on its own eventq.Queue, pushing its bucket boundaries as a new event
// kind. What is per request lives here: routing, the version's draws and the
// completion event. The execution model (concurrency pools, cold starts,
// throttles, retries) slots into arrive and complete: a throttle counts in
// VersionCounts.Throttles and recorder.throttle and schedules no completion;
// an environment or attempt number fits the completion event's Idx field;
// a retry is a new event kind routed like an arrival.
type engine struct {
	runState
	arr Arrivals

	// The next arrival is held outside the queue (stamped by it, so the
	// order of events is that of a queued one): it is replaced at every
	// arrival, and one comparison with the queue's next event (in
	// PopBefore) is cheaper than filing it in the queue each time.
	nextArr eventq.Event
	hasArr  bool
	nArr    int64 // arrivals drawn so far, held under maxArr
	maxArr  int64 // MaxArrivalFactor × expected arrivals + 1e6

	ver [metrics.NumDimensions]version // indexed by metrics.Candidate / metrics.Baseline

	// Request kinds: cumulative weights (normalised), and the fault's mask.
	kindCum  []float64
	kindMask uint64

	// The fault's effect on an affected candidate request.
	faultP      float64
	faultFactor float64
	hasFault    bool

	// Candidate requests by whether the fault affected them, for ExcessFailures.
	nHealthy, nFaulty int64

	users    bool
	zipf     zipf
	usersHit userSet

	x  exec       // execution environments (exec.go)
	as asyncState // asynchronous events (async.go)
	qs queueState // queue messages and batches (queue.go)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// setup prepares the engine for a validated scenario, reusing its memory.
func (e *engine) setup(s *Scenario) {
	e.runState.reset(s)
	e.arr = s.Workload.Arrivals(e.r)
	for _, d := range []metrics.Dimension{metrics.Baseline, metrics.Candidate} {
		v := s.Baseline
		if d == metrics.Candidate {
			v = s.Candidate
		}
		e.ver[d] = version{lat: v.sampler(e.r), p: v.ErrorProb, timeout: v.Timeout}
		if ln, ok := e.ver[d].lat.(LogNormal); ok && ln.R == e.r {
			e.ver[d].logn, e.ver[d].mu, e.ver[d].sigma = true, ln.Mu, ln.Sigma
		}
	}
	e.kindCum = e.kindCum[:0]
	if len(s.Kinds) > 1 {
		total := 0.0
		for _, k := range s.Kinds {
			total += k.Weight
		}
		acc := 0.0
		for _, k := range s.Kinds {
			acc += k.Weight
			e.kindCum = append(e.kindCum, acc/total)
		}
	}
	e.kindMask = ^uint64(0)
	if len(s.Fault.Kinds) > 0 {
		e.kindMask = 0
		for _, name := range s.Fault.Kinds {
			e.kindMask |= 1 << kindIndex(s.Kinds, name)
		}
	}
	e.hasFault = s.Fault.effective()
	e.faultP = 1 - float64((1-s.Candidate.ErrorProb)*(1-s.Fault.ErrorProb)) // converted: not fused on arm64
	e.faultFactor = s.Fault.LatencyFactor
	if e.faultFactor == 0 {
		e.faultFactor = 1
	}
	e.nHealthy, e.nFaulty = 0, 0
	e.users = s.Users.N > 0 // drawn for a twin too: the draws share the run's stream
	if e.users {
		e.zipf = newZipf(s.Users.N, s.Users.Exponent)
		e.usersHit.reset(s.Users.N)
	}
	e.c.start(s, &e.q, &e.rec)
	e.setupExec(s)
	e.as.setup(s)
	e.qs.setup(s)
	e.hasArr = false
	span, _ := s.span(e.c.sched)
	e.nArr, e.maxArr = 0, int64(math.Min(float64(MaxArrivalFactor*s.Workload.Integral(0, span))+1e6, math.MaxInt64/2))
	if t := e.arr.Next(); t != NoArrival {
		if t < 0 {
			e.c.err = fmt.Errorf("sim: Workload %T: Arrivals.Next() = %v: the first arrival must not be before 0", s.Workload, t)
			return
		}
		e.nextArr = eventq.Event{At: t, Kind: evArrival}
		e.q.Stamp(&e.nextArr)
		e.hasArr = true
	}
}

// loop runs events until the run ends and returns the end instant. A run
// that reaches maxEvents stops with an error (see MaxEvents).
func (e *engine) loop() time.Duration {
	for n := int64(0); !e.step(); n++ {
		if n >= maxEvents {
			e.c.err = fmt.Errorf("sim: run stopped after MaxEvents = %d events, at simulated time %v of the per-request engine: retries or redeliveries (Scenario.EventModel) multiply the requests beyond what Validate bounds; shorten the run, lower the rate or the failure rate, or raise the retry delays", maxEvents, e.now)
			break
		}
	}
	return e.now
}

// held is the next arrival, or nil when there is none.
func (e *engine) held() *eventq.Event {
	if e.hasArr {
		return &e.nextArr
	}
	return nil
}

// step handles the next event and reports whether the run has ended.
func (e *engine) step() (end bool) {
	// The queue's next event if it comes before the held arrival: one pass
	// and one copy of the event.
	var ev eventq.Event
	if !e.q.PopBefore(e.held(), &ev) {
		if !e.hasArr {
			return true // nothing left to happen
		}
		at := e.nextArr.At
		e.now = at
		if t := e.arr.Next(); t != NoArrival && !e.c.stopped {
			if e.nArr++; t < at || e.nArr > e.maxArr {
				e.c.err = arrivalsError(e.arr, at, t, e.nArr, e.maxArr)
				return true
			}
			e.nextArr = eventq.Event{At: t, Kind: evArrival}
			e.q.Stamp(&e.nextArr)
		} else {
			e.hasArr = false
		}
		if !e.c.stopped {
			e.arrive(at)
		}
		return false
	}
	e.now = ev.At
	switch ev.Kind {
	case evCompletion:
		e.complete(&ev)
		return e.c.stopped && e.c.drain && e.c.inflightTotal() == 0
	case evSample:
		e.sample(ev.At)
		return false
	case evRetry:
		e.retry(&ev)
		return e.c.stopped && e.c.drain && e.c.inflightTotal() == 0
	case evVisible:
		e.visibleAgain(ev.Idx, ev.At)
		return e.c.stopped && e.c.drain && e.c.inflightTotal() == 0
	case evBatchWindow:
		e.batchWindow(ev.At)
		return false
	}
	return e.c.handle(ev)
}

// arrive admits one request (or asynchronous event) at now.
func (e *engine) arrive(now time.Duration) {
	if e.qs.on {
		e.send(now)
		return
	}
	ev := int32(-1)
	if e.as.on {
		ev = e.as.alloc(now)
	}
	e.attempt(now, ev, -1, 0)
}

// attempt makes one invocation at now: it routes it, decides its fate and
// schedules its completion. With n > 0 it is a queue batch of n messages and
// ev the batch; else ev is the asynchronous event it is an attempt of (-1: a
// synchronous request). kind is its request kind (-1: draw one).
func (e *engine) attempt(now time.Duration, ev int32, kind int, n int) {
	c := &e.c
	d := metrics.Baseline
	if w := c.weight; w > 0 && (w >= 1 || e.r.Float64() < w) {
		d = metrics.Candidate
	}
	if kind < 0 {
		kind = 0
		if len(e.kindCum) > 1 {
			u := e.r.Float64()
			for kind < len(e.kindCum)-1 && u >= e.kindCum[kind] {
				kind++
			}
		}
		if ev >= 0 && n == 0 {
			e.as.evs[ev].kind = uint8(kind)
		}
	}
	counts := &c.run.Baseline
	if d == metrics.Candidate {
		counts = &c.run.Candidate
	}
	var cold, prov bool
	if e.x.on {
		var throttled bool
		throttled, cold, prov = e.x.acquire(d, now, c.busy())
		if throttled {
			counts.Requests++
			counts.Throttles++
			e.rec.throttle(d, now)
			if n > 0 {
				e.batchRelease(ev, now, true)
			} else if ev >= 0 {
				e.asyncThrottled(ev, now)
			}
			return
		}
	}
	v := &e.ver[d]
	var lat float64
	if v.logn {
		lat = xmath.Exp(v.mu + float64(v.sigma*e.r.NormFloat64())) // LogNormal.Rand (converted: no fused multiply-add on arm64)
	} else {
		lat = v.lat.Rand()
	}
	p, pf := v.p, e.faultP
	if e.dsp.on {
		p, pf = e.dsp.probs(d, now, p, pf)
	}
	if d == metrics.Candidate {
		if e.hasFault && c.candidateArrival(now) && e.kindMask>>kind&1 != 0 {
			lat *= e.faultFactor
			p = pf
			if n > 0 {
				e.qs.nFaulty[n]++
			} else {
				e.nFaulty++
			}
		} else if n > 0 {
			e.qs.nHealthy[n]++
		} else {
			e.nHealthy++
		}
	}
	if n > 0 {
		p = e.batchErrorProb(ev, n, p)
	}
	counts.Requests++
	if !(lat < maxLatencyMs) {
		lat = maxLatencyMs
	} else if lat < 0 {
		lat = 0
	}
	dur := time.Duration(lat * float64(time.Millisecond))
	out := outSuccess
	if v.timeout > 0 && dur > v.timeout {
		out, dur = outTimeout, v.timeout
	} else if p > 0 && e.r.Float64() < p {
		out = outError
	}
	if cold {
		// The init runs before the handler and the caller waits for both.
		counts.ColdStarts++
		init := e.x.init.Rand()
		if !(init < maxLatencyMs) {
			init = maxLatencyMs
		} else if init < 0 {
			init = 0
		}
		dur += time.Duration(init * float64(time.Millisecond))
	}
	if prov {
		out |= flagProvEv
	}
	if n > 0 {
		out |= flagBatch
	}
	c.inflight[d]++
	e.q.Push(eventq.Event{At: now + dur, Kind: evCompletion, A: uint8(d), B: out, Aux: int64(now), Idx: ev})
}

// complete ends one request.
func (e *engine) complete(ev *eventq.Event) {
	c := &e.c
	d := metrics.Dimension(ev.A)
	c.inflight[d]--
	if e.x.on {
		e.x.release(d, ev.At, ev.B&flagProvEv != 0)
	}
	counts := &c.run.Baseline
	if d == metrics.Candidate {
		counts = &c.run.Candidate
	}
	failed := true
	switch ev.B & outMask {
	case outSuccess:
		counts.Successes++
		failed = false
	case outError:
		counts.Errors++
	case outTimeout:
		counts.Timeouts++
	}
	start := time.Duration(ev.Aux)
	e.rec.invocation(d, start, ms(ev.At-start), failed)
	if ev.B&flagBatch != 0 {
		e.batchDone(ev.Idx, ev.At, failed)
	} else if ev.Idx >= 0 {
		e.asyncDone(ev.Idx, ev.At, failed)
	}
	if d != metrics.Candidate {
		return
	}
	if failed {
		c.candidateFailure(ev.At)
		if e.users {
			e.usersHit.add(e.zipf.sample(e.r))
		}
	}
	if c.inflight[metrics.Candidate] == 0 && c.run.WeightZero != metrics.Never && c.run.Drained == metrics.Never {
		c.run.Drained = ev.At
	}
}

// failProb is the probability that a request to a version with error
// probability p, latency sampler lat (scaled by factor) and timeout fails:
// P(timeout) + P(no timeout)·p. P(timeout) is known only when the sampler
// has a CDF; otherwise it is taken as 0.
func failProb(lat Sampler, factor float64, timeout time.Duration, p float64) float64 {
	pt := 0.0
	if c, ok := lat.(cdfer); ok && timeout > 0 {
		pt = 1 - c.CDF(ms(timeout)/factor)
		pt = math.Min(1, math.Max(0, pt))
	}
	return pt + float64((1-pt)*p) // converted: no fused multiply-add (same bits on every GOARCH)
}

// result finishes the run. ExcessFailures is an expected value: each
// candidate request, once routed (in flight at the end or not), adds its
// failure probability on the candidate minus the baseline's, so the figure
// has no sampling noise from the error draws themselves.
func (e *engine) result(s *Scenario, end time.Duration) metrics.Run {
	r := e.c.finish(end, PerRequest, s.KeepSeries)
	base := &e.ver[metrics.Baseline]
	cand := &e.ver[metrics.Candidate]
	qb := failProb(base.lat, 1, base.timeout, base.p)
	q0 := failProb(cand.lat, 1, cand.timeout, cand.p)
	q1 := failProb(cand.lat, e.faultFactor, cand.timeout, e.faultP)
	// Products converted before the sum: no fused multiply-add on arm64,
	// so the figure has the same bits on every GOARCH.
	r.ExcessFailures = float64(float64(e.nHealthy)*(q0-qb)) + float64(float64(e.nFaulty)*(q1-qb))
	for n := 1; n <= MaxBatchSize; n++ {
		if e.qs.nHealthy[n]+e.qs.nFaulty[n] == 0 {
			continue
		}
		pb, p0, p1 := base.p, cand.p, e.faultP
		if e.qs.m.PartialBatchResponse {
			pb, p0, p1 = 0, 0, 0 // only a timeout fails the invocation
		}
		qbn := batchFailProb(base.lat, 1, base.timeout, pb, n)
		r.ExcessFailures += float64(float64(e.qs.nHealthy[n])*(batchFailProb(cand.lat, 1, cand.timeout, p0, n)-qbn)) +
			float64(float64(e.qs.nFaulty[n])*(batchFailProb(cand.lat, e.faultFactor, cand.timeout, p1, n)-qbn))
	}
	if e.users {
		r.UsersHit = float64(e.usersHit.n)
	}
	if s.twin {
		// Nobody reads a twin's users hit or latency (Scenario.Twin).
		r.UsersHit = math.NaN()
		r.CandidateLatency.Reset()
		r.BaselineLatency.Reset()
	}
	return r
}

// runState is what both engines keep per run and reset the same way: the
// event queue, the metric recorder, the controller, the run's random source
// and the simulated clock.
type runState struct {
	q   eventq.Queue
	rec recorder
	c   control
	dsp dispersion // per-period error rates (dispersion.go)
	pcg *rand.PCG
	r   *rand.Rand
	now time.Duration
}

// reset seeds the random source from s.Seed (reusing its memory), empties the
// queue, rewinds the clock and sizes the recorder's series for s.
func (b *runState) reset(s *Scenario) {
	if b.pcg == nil {
		b.pcg = seed.PCG(s.Seed)
		b.r = rand.New(b.pcg)
	} else {
		*b.pcg = *seed.PCG(s.Seed)
	}
	b.q.Reset()
	b.now = 0
	period := s.Period
	if s.Policy != nil {
		period, _ = s.step()
	}
	b.rec.reset(period, s.IngestionDelay)
	b.dsp.setup(s)
}

// arrivalsError says how a Workload's Arrivals broke its contract: an
// arrival before the previous one, or more arrivals than the run can hold
// (a Next that stalls at one instant).
func arrivalsError(a Arrivals, prev, t time.Duration, n, most int64) error {
	if t < prev {
		return fmt.Errorf("sim: Arrivals %T: Next() = %v after an arrival at %v: arrivals must not go back in time", a, t, prev)
	}
	return fmt.Errorf("sim: Arrivals %T: %d arrivals by %v, more than %d (%d times what the Workload's Integral expects, plus a million): Next must advance time (MaxArrivalFactor)", a, n, t, most, MaxArrivalFactor)
}
