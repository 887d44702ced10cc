package sim

import (
	"fmt"
	"github.com/deploysim/deploysim/internal/xmath"
	"math"
	"math/rand/v2"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
)

// The bucketed engine.
//
// Between two control events (weight steps, fault onset, publications,
// policy evaluations, the rollback action, the horizon) and, while somebody
// reads the series, two period boundaries, nothing about the routing or the
// versions changes. Over such a bucket [a, b) the engine draws counts
// instead of requests: for Poisson arrivals of intensity λ(t) and per-request
// independent routing, the candidate's and the baseline's arrivals are
// independent Poisson(w·Λ) and Poisson((1-w)·Λ) with Λ = ∫_a^b λ (thinning
// of a Poisson process); the requests of a version split by kind binomially,
// their timeouts are Binomial(n, P(latency > timeout)) and their errors
// Binomial(n - timeouts, p), errors being independent of latency. These are
// the laws of the per-request engine's counts, so every count, and therefore
// every datapoint the policy sees, has exactly the per-request distribution
// at a cost per bucket that does not depend on the rate.
//
// What depends on when requests end is resolved from the same groups of
// counts (one group per bucket, version, affected-or-not and outcome):
// given its count, a group's arrival instants are iid uniform on [a, b) and
// its durations iid from the class's law, so "still running at t" has a
// closed-form probability (durLaw.pending). This gives:
//
//   - in flight at the horizon: Binomial per latency-sketch bucket, with
//     the probability that a request of that duration started late enough
//     (durLaw.inflightIn), so the counts, the series and the latency sketch
//     lose exactly the requests still running;
//   - the drain after a rollback (Drained) and the end of the run (End): the
//     maximum completion instant of all groups, drawn by inversion of the
//     product of the groups' completion CDFs;
//   - FirstFailure: the minimum completion instant, at or after the fault's
//     onset, of the candidate's failed requests, drawn the same way;
//   - OnsetAfter (the fault shows after N candidate requests): the bucket is
//     split at the (N+1)-th candidate arrival, drawn as the order statistic
//     of the bucket's arrivals (Beta), mapped through Λ.
//
// Each of these is exact in its marginal distribution for a constant-rate
// Poisson workload. Two dependences of the per-request engine are not
// reproduced, and are documented here rather than approximated silently:
// the draws of FirstFailure, End and the latency sketch of one group are
// independent, whereas in the per-request engine the same requests shape
// all three (it matters only when a handful of requests decide them at
// once); and for a time-varying rate (Diurnal, Profile, Trace) arrivals are
// taken as uniform within a bucket for these timing quantities (not for the
// counts, which stay exact), an error of the order of the rate's relative
// change over one bucket, at most 0.44 % per minute for a full-amplitude
// Diurnal.
//
// Latency: the durations of n requests of one class are iid, so their
// counts in the metrics sketch's global log buckets are Multinomial(n, the
// law's bucket probabilities), drawn exactly by sequential binomials over
// the buckets the sample spans (durLaw.draw): the sketch is then distributed
// exactly as the per-request engine's (Count and every bucket count; Sum,
// Min and Max come from the buckets' representative values, so they are
// within the sketch's 1 %), and percentile alarms work bucketed. The
// per-period Duration sketches cost a few hundred binomials per bucket, so
// they are drawn only when somebody reads them: a policy that may read
// Duration (an alarm set with a Duration alarm, or any policy that does not
// say what it reads) or a kept series. The run's CandidateLatency and
// BaselineLatency are always drawn, once per run from per-class totals.
//
// A policy sees a period's datapoint only once all of its invocations have
// ended when the ingestion delay is at least the longest possible
// invocation (the larger timeout); otherwise late data would need
// completion times per period and the scenario needs per-request resolution
// (needsPerRequest).

// needsPerRequest names the first feature of s that the bucketed engine
// cannot reproduce exactly, or returns "" when s can run bucketed. Auto picks
// PerRequest when it returns a reason; an explicit Bucketed is then an error
// naming that reason. Each feature that only the per-request engine models
// must be listed here (issue 4: concurrency limits, cold starts, throttles,
// asynchronous retries, queue batches, hooks).
func needsPerRequest(s *Scenario) string {
	if s.Concurrency.Enabled {
		return "Scenario.Concurrency.Enabled: execution environments, cold starts and throttles are per invocation"
	}
	if s.EventModel != nil {
		if _, ok := s.EventModel.(Sync); !ok {
			return fmt.Sprintf("Scenario.EventModel = %s: retries are per event", s.EventModel.Name())
		}
	}
	if !s.Workload.Poisson() {
		return fmt.Sprintf("Scenario.Workload (%T) is not a Poisson process: its counts per bucket are not Poisson draws", s.Workload)
	}
	for _, v := range []struct {
		name string
		v    Version
	}{{"Baseline", s.Baseline}, {"Candidate", s.Candidate}} {
		if v.v.Latency == nil {
			continue
		}
		lat := v.v.Latency(rand.NewPCG(0, 0))
		if _, ok := lat.(cdfer); !ok {
			return fmt.Sprintf("Scenario.%s.Latency (%T) has no CDF method: timeouts, drains and latency sketches need the distribution function", v.name, lat)
		}
	}
	if s.Policy != nil {
		for _, v := range []struct {
			name string
			t    time.Duration
		}{{"Baseline", s.Baseline.Timeout}, {"Candidate", s.Candidate.Timeout}} {
			if v.t == 0 {
				return fmt.Sprintf("Scenario.%s.Timeout = 0 (none) with a policy: a datapoint could become visible before its invocations end (late data)", v.name)
			}
			if v.t > s.IngestionDelay {
				return fmt.Sprintf("Scenario.%s.Timeout = %v > Scenario.IngestionDelay = %v with a policy: a datapoint could become visible before its invocations end (late data)", v.name, v.t, s.IngestionDelay)
			}
		}
	}
	return ""
}

// resolution is the engine that runs the validated scenario s: the one it
// asks for, or for Auto, Bucketed unless needsPerRequest names a reason.
// (Validate has already refused an explicit Bucketed that needs per-request
// resolution.)
func (s *Scenario) resolution() Resolution {
	switch {
	case s.Resolution == PerRequest:
		return PerRequest
	case s.Resolution == Bucketed || needsPerRequest(s) == "":
		return Bucketed
	}
	return PerRequest
}

// Outcome classes of a group.
const (
	clsSuccess = iota
	clsError
	clsTimeout
	numClasses
)

// group is the requests of one class that arrived in one bucket: count by
// outcome, of one version, affected by the fault or not.
type group struct {
	a, b   time.Duration
	period int // series period of a, or -1 when not recorded
	d      metrics.Dimension
	aff    int
	n      [numClasses]int64
}

// bucketEngine draws a run bucket by bucket; the controller (control), the
// event queue of control events and the recorder are those of the
// per-request engine.
type bucketEngine struct {
	runState
	s *Scenario

	ver    [metrics.NumDimensions]version
	law    [metrics.NumDimensions][2]durLaw // non-timeout durations by version, affected
	tlaw   [metrics.NumDimensions]durLaw    // timeout durations (point)
	pErr   [metrics.NumDimensions][2]float64
	pTime  [metrics.NumDimensions][2]float64
	maxDur time.Duration // longest possible duration

	hasFault bool
	kindFrac float64 // share of candidate requests of the kinds the fault affects

	latPeriods bool // fill the per-period Duration sketches
	groups     []group
	totals     [metrics.NumDimensions][2][numClasses]int64
	sk         sketchDraw
	extra      [metrics.NumDimensions]metrics.Sketch // latency not recorded per period

	nHealthy, nFaulty int64
	candFailed        int64 // candidate failures that completed
	first             time.Duration

	users bool
	ulaw  usersLaw
}

// run runs the validated scenario s with the bucketed engine, reusing the
// engine's memory from an earlier run.
func (e *bucketEngine) run(s *Scenario) (metrics.Run, error) {
	e.setup(s)
	end := e.loop()
	if e.c.err != nil {
		return metrics.Run{Seed: s.Seed}, e.c.err
	}
	return e.result(end), nil
}

func (e *bucketEngine) setup(s *Scenario) {
	e.s = s
	e.runState.reset(s)
	e.hasFault = s.Fault.effective()
	factor := s.Fault.LatencyFactor
	if factor == 0 {
		factor = 1
	}
	e.maxDur = 0
	for _, d := range []metrics.Dimension{metrics.Baseline, metrics.Candidate} {
		v := s.Baseline
		if d == metrics.Candidate {
			v = s.Candidate
		}
		e.ver[d] = version{lat: v.sampler(e.r), p: v.ErrorProb, timeout: v.Timeout}
		tms := ms(v.Timeout)
		e.tlaw[d] = pointLaw(tms)
		for aff := 0; aff < 2; aff++ {
			f, p := 1.0, v.ErrorProb
			if aff == 1 {
				f = factor
				p = 1 - float64((1-v.ErrorProb)*(1-s.Fault.ErrorProb)) // converted: not fused on arm64
			}
			l := newDurLaw(e.ver[d].lat, f, tms)
			l.reuse(&e.law[d][aff])
			e.law[d][aff] = l
			e.pErr[d][aff] = p
			e.pTime[d][aff] = 0
			if v.Timeout > 0 {
				l := newDurLaw(e.ver[d].lat, f, 0)
				e.pTime[d][aff] = l.S(tms)
			}
		}
		m := v.Timeout
		if m == 0 {
			m = time.Duration(maxLatencyMs * float64(time.Millisecond))
		}
		e.maxDur = max(e.maxDur, m)
	}
	e.kindFrac = 1
	if len(s.Fault.Kinds) > 0 && len(s.Kinds) > 1 {
		total, aff := 0.0, 0.0
		for _, k := range s.Kinds {
			total += k.Weight
			for _, name := range s.Fault.Kinds {
				if name == k.Name {
					aff += k.Weight
					break
				}
			}
		}
		e.kindFrac = aff / total
	}
	e.latPeriods = s.KeepSeries || readsDuration(s.Policy)
	e.groups = e.groups[:0]
	e.extra[metrics.Candidate].Reset()
	e.extra[metrics.Baseline].Reset()
	e.totals = [metrics.NumDimensions][2][numClasses]int64{}
	e.nHealthy, e.nFaulty, e.candFailed = 0, 0, 0
	e.first = metrics.Never
	e.users = s.Users.N > 0 && !s.twin
	if e.users {
		e.ulaw.init(s.Users.N, s.Users.Exponent)
	}
	e.c.start(s, &e.q, &e.rec)
}

// readsDuration reports whether policy p may read the Duration metric, so
// that the per-period latency sketches must be drawn. Only CloudWatch alarm
// sets say what they read; any other policy is assumed to read it.
func readsDuration(p rollback.Policy) bool {
	if p == nil {
		return false
	}
	var alarms []rollback.Alarm
	switch a := p.(type) {
	case rollback.Alarms:
		alarms = a.Alarms
	case *rollback.Alarms:
		alarms = a.Alarms
	default:
		return true
	}
	for _, a := range alarms {
		if a.Metric == metrics.Duration {
			return true
		}
	}
	return false
}

// recording reports whether the per-period series is read: by the policy
// while the deployment runs, or by the caller when it keeps the series.
func (e *bucketEngine) recording() bool {
	return e.s.KeepSeries || (e.c.pol != nil && e.c.deploying)
}

// loop draws buckets up to each control event and handles it, until the run
// stops; it returns the end instant.
func (e *bucketEngine) loop() time.Duration {
	for {
		ev, ok := e.q.Peek()
		if !ok {
			// Nothing is left to happen (cannot occur: the schedule's last
			// step stops a run without horizon); end here.
			e.c.stop(e.now, true)
			return e.drain()
		}
		e.advance(ev.At)
		e.q.Pop()
		e.prune(ev.At)
		e.c.handle(ev)
		if e.c.err != nil {
			return e.now
		}
		if e.c.stopped {
			if e.c.drain {
				return e.drain()
			}
			e.resolveAt(e.now, true)
			return e.now
		}
	}
}

// advance draws the buckets from now to t.
func (e *bucketEngine) advance(t time.Duration) {
	for e.now < t {
		b := t
		// No bucket straddles the last maxDur before the horizon, so that
		// only the requests that can still run at the horizon are thinned
		// one latency bucket at a time; the earlier ones retire whole.
		if h := e.s.Horizon; h > 0 {
			if c := h - e.maxDur; c > e.now && c < b {
				b = c
			}
		}
		if e.recording() {
			if pe := time.Duration(e.rec.index(e.now)+1) * e.rec.period; pe < b {
				b = pe
			}
		}
		b = e.dsp.end(e.now, b)
		if !e.c.stopped {
			e.bucket(e.now, b)
		}
		e.now = b
	}
}

// bucket draws the arrivals of [a, b) and their fates.
func (e *bucketEngine) bucket(a, b time.Duration) {
	c := &e.c
	lam := e.s.Workload.Integral(a, b)
	w := c.weight
	var nc, nb int64
	switch {
	case w >= 1:
		nc = poissonDraw(e.r, lam)
	case w <= 0:
		nb = poissonDraw(e.r, lam)
	default:
		nc = poissonDraw(e.r, lam*w)
		nb = poissonDraw(e.r, lam*(1-w))
	}
	e.add(a, b, metrics.Baseline, 0, nb)
	if nc == 0 {
		return
	}
	if !e.hasFault || !c.faultTime {
		e.add(a, b, metrics.Candidate, 0, nc)
		return
	}
	if !c.faultOn {
		need := c.fault.OnsetAfter - c.run.Candidate.Requests
		if nc <= need {
			e.add(a, b, metrics.Candidate, 0, nc)
			return
		}
		// The (need+1)-th candidate arrival of the bucket is the first the
		// fault affects: the order statistic of nc iid arrivals.
		u := orderStat(e.r, need+1, nc)
		ton := e.invert(a, b, u)
		e.add(a, ton, metrics.Candidate, 0, need)
		c.faultOn = true
		c.run.FaultOnset = ton
		aff := binomialDraw(e.r, 1, e.kindFrac)
		e.add(ton, ton, metrics.Candidate, int(aff), 1)
		nc -= need + 1
		a = ton
	}
	aff := binomialDraw(e.r, nc, e.kindFrac)
	e.add(a, b, metrics.Candidate, 1, aff)
	e.add(a, b, metrics.Candidate, 0, nc-aff)
}

// invert is the instant t in [a, b] with Λ(a, t) = u·Λ(a, b): where a
// fraction u of the bucket's arrival intensity lies (arrival instants,
// given their number, are iid with density λ/Λ).
func (e *bucketEngine) invert(a, b time.Duration, u float64) time.Duration {
	if _, ok := e.s.Workload.(Poisson); ok {
		return a + time.Duration(u*float64(b-a))
	}
	target := u * e.s.Workload.Integral(a, b)
	lo, hi := a, b
	for hi-lo > 1 {
		m := lo + (hi-lo)/2
		if e.s.Workload.Integral(a, m) < target {
			lo = m
		} else {
			hi = m
		}
	}
	return hi
}

// add draws the fates of n requests of version d (affected by the fault or
// not) arriving in [a, b) and records them.
func (e *bucketEngine) add(a, b time.Duration, d metrics.Dimension, aff int, n int64) {
	if n <= 0 {
		return
	}
	g := group{a: a, b: b, period: -1, d: d, aff: aff}
	nt := binomialDraw(e.r, n, e.pTime[d][aff])
	p, pf := e.dsp.probs(d, a, e.pErr[d][0], e.pErr[d][1])
	if aff == 1 {
		p = pf
	}
	ne := binomialDraw(e.r, n-nt, p)
	g.n = [numClasses]int64{n - nt - ne, ne, nt}
	counts := &e.c.run.Baseline
	if d == metrics.Candidate {
		counts = &e.c.run.Candidate
		if aff == 1 {
			e.nFaulty += n
		} else {
			e.nHealthy += n
		}
	}
	counts.Requests += n
	counts.Successes += g.n[clsSuccess]
	counts.Errors += ne
	counts.Timeouts += nt
	if e.recording() {
		g.period = e.rec.index(a)
		v := &e.rec.at(g.period).Dims[d]
		v.Invocations += float64(n)
		v.Errors += float64(ne + nt)
	}
	e.groups = append(e.groups, g)
}

// prune retires the groups whose requests have all ended by t: their
// durations are drawn into the latency sketches and their failures offered
// to FirstFailure.
func (e *bucketEngine) prune(t time.Duration) {
	keep := e.groups[:0]
	for i := range e.groups {
		g := &e.groups[i]
		if g.b+e.maxDur > t && !e.done(g, t) {
			keep = append(keep, *g)
			continue
		}
		e.retire(g, metrics.Never)
	}
	e.groups = keep
}

// done reports whether every request of g has ended by t in floating point.
func (e *bucketEngine) done(g *group, t time.Duration) bool {
	a, b, tm := ms(g.a), ms(g.b), ms(t)
	if g.n[clsTimeout] > 0 && e.tlaw[g.d].pending(a, b, tm) > 0 {
		return false
	}
	if g.n[clsSuccess]+g.n[clsError] > 0 && e.law[g.d][g.aff].pending(a, b, tm) > 0 {
		return false
	}
	return true
}

// retire accounts for a group whose remaining requests have all completed
// (by cap, when cap is not Never: their completion law is conditioned on
// ending by cap).
func (e *bucketEngine) retire(g *group, cap time.Duration) {
	n := g.n[clsSuccess] + g.n[clsError]
	if e.latPeriods && g.period >= 0 {
		sk := &e.rec.at(g.period).Dims[g.d].Duration
		if n > 0 {
			e.law[g.d][g.aff].draw(e.r, n, &e.sk)
			e.sk.add(sk, e.law[g.d][g.aff].trunc)
		}
		if g.n[clsTimeout] > 0 {
			sk.AddN(ms(e.ver[g.d].timeout), float64(g.n[clsTimeout]))
		}
	} else {
		for k := range g.n {
			e.totals[g.d][g.aff][k] += g.n[k]
		}
	}
	if g.d == metrics.Candidate {
		e.candFailed += g.n[clsError] + g.n[clsTimeout]
		e.firstFailure(g, cap)
	}
}

// firstFailure offers g's failed requests to FirstFailure: the first
// candidate failure that completes at or after the fault's onset.
func (e *bucketEngine) firstFailure(g *group, cap time.Duration) {
	c := &e.c
	if !c.faultOn || (e.first != metrics.Never && g.a >= e.first) {
		return
	}
	on := c.run.FaultOnset
	for _, k := range []int{clsError, clsTimeout} {
		n := g.n[k]
		if n == 0 {
			continue
		}
		l := &e.law[g.d][g.aff]
		if k == clsTimeout {
			if e.first != metrics.Never && e.first <= g.a+e.ver[g.d].timeout {
				// A timeout ends a timeout after its arrival: none of
				// these can come before the failure already found (at
				// high rates, the group's own errors found it).
				continue
			}
			l = &e.tlaw[g.d]
		}
		a, b := ms(g.a), ms(g.b)
		pc := 0.0 // P(still running at cap)
		if cap != metrics.Never {
			pc = l.pending(a, b, ms(cap))
		}
		// Completions are whole nanoseconds: "at or after on" is "after on-1ns".
		po := l.pending(a, b, ms(on-1))
		if g.a >= on {
			po = 1
		}
		p := (po - pc) / (1 - pc)
		m := binomialDraw(e.r, n, math.Min(1, math.Max(0, p)))
		if m == 0 {
			continue
		}
		// The minimum of m completions on [on, cap]: P(min > t) =
		// ((pend(t) - pc)/(po - pc))^m; invert at a uniform draw.
		target := pc + float64((po-pc)*xmath.Pow(e.r.Float64(), 1/float64(m))) // converted: no fused multiply-add on arm64
		lo, hi := max(on, g.a), g.b+e.maxDur
		if cap != metrics.Never && cap < hi {
			hi = cap
		}
		// In logs, the tail that holds the target is close to linear in t,
		// which regula falsi needs.
		var t time.Duration
		if target < 0.5 {
			lt := xmath.Log(target)
			t = solve(lo, hi, func(t time.Duration) float64 { return lt - xmath.Log(l.pending(a, b, ms(t))) })
		} else {
			lt := xmath.Log1p(-target)
			t = solve(lo, hi, func(t time.Duration) float64 { return xmath.Log1p(-l.pending(a, b, ms(t))) - lt })
		}
		if e.first == metrics.Never || t < e.first {
			e.first = t
		}
	}
}

// solve returns the smallest t in [lo, hi] with f(t) >= 0 (hi if none),
// for a nondecreasing f: the instant bisection would find to the
// nanosecond, in fewer evaluations. It keeps a bracket lo < t <= hi with
// f(lo) < 0 <= f(hi) and steps by regula falsi with the Illinois
// modification (Dowell and Jarratt, BIT 11, 1971: the value kept at a
// stagnant end is halved, which makes convergence superlinear), falling
// back to halving the bracket while the values are infinite and after four
// steps in a row that did not halve it. f is a log-probability of a smooth
// law here, close to linear in the logarithm of t - lo over wide brackets:
// those it halves and interpolates in that logarithm. In the target
// command's runs it takes 7 evaluations a call at 1 req/s and 12 at 10⁶
// (BenchmarkBucketedRate's scenarios; bisection takes 32 to 36).
func solve(lo, hi time.Duration, f func(time.Duration) float64) time.Duration {
	flo := f(lo)
	if flo >= 0 {
		return lo
	}
	if hi <= lo {
		return hi
	}
	fhi := f(hi)
	side, slow := 0, 0
	lo0 := lo
	for hi-lo > 1 {
		width := hi - lo
		m := lo + width/2
		if math.IsInf(flo, -1) && hi-lo0 > 64 {
			// Nothing is known below but that f is -Inf there (a
			// probability that rounds to 0 or 1): halve the bracket in
			// log-distance from lo0, where these laws' tails are about
			// linear, not in time (the first solves of a run bracket a
			// millisecond root in a minute: 5 steps instead of 12).
			m = lo0 + time.Duration(math.Sqrt(float64(max(lo-lo0, 1)))*math.Sqrt(float64(hi-lo0)))
			m = min(max(m, lo+1), hi-1)
		} else if fhi >= 0 && !math.IsInf(flo, 0) && !math.IsInf(fhi, 0) && fhi > flo && slow < 4 {
			x := -flo / (fhi - flo)
			if lo > lo0 && hi-lo0 > 2*(lo-lo0) {
				// A bracket wide in log-distance from lo0: interpolate
				// there, where f is close to linear.
				ul, uh := xmath.Log(float64(lo-lo0)), xmath.Log(float64(hi-lo0))
				m = lo0 + time.Duration(xmath.Exp(ul+float64(x*(uh-ul))))
			} else {
				m = lo + time.Duration(float64(width)*x)
			}
			m = min(max(m, lo+1), hi-1)
		}
		fm := f(m)
		if fm >= 0 {
			hi, fhi = m, fm
			if side == 1 {
				flo /= 2
			}
			side = 1
		} else {
			lo, flo = m, fm
			if side == -1 {
				fhi /= 2
			}
			side = -1
		}
		if hi-lo > width/2 {
			slow++ // after four slow steps, one bisection
		} else {
			slow = 0
		}
		if slow > 4 {
			slow = 0
		}
	}
	return hi
}

// resolveAt ends the run at the horizon t: the requests of the pending
// groups still running at t are drawn per latency-sketch bucket and become
// in flight; the others complete by t.
func (e *bucketEngine) resolveAt(t time.Duration, retire bool) (inflight [metrics.NumDimensions]int64) {
	tm := ms(t)
	for i := range e.groups {
		g := &e.groups[i]
		a, b := ms(g.a), ms(g.b)
		var gone [numClasses]int64
		if n := g.n[clsSuccess] + g.n[clsError]; n > 0 {
			// Successes and errors share one duration law: one draw of
			// their durations, thinned bucket by bucket to those still
			// running at t (durations at or below the zero threshold end
			// at once) ...
			l := &e.law[g.d][g.aff]
			l.draw(e.r, n, &e.sk)
			var x int64
			for j := e.sk.min; j <= e.sk.max; j++ {
				c := e.sk.counts[j-e.sk.base]
				if c == 0 {
					continue
				}
				xj := binomialDraw(e.r, c, l.inflightInBucket(a, b, tm, j, e.sk.up(j-1), e.sk.up(j)))
				e.sk.counts[j-e.sk.base] -= xj
				x += xj
			}
			e.addLatency(g, &e.sk)
			// ... and as a request's outcome is independent of its
			// duration and arrival, the errors among the x still running
			// are the marked ones of x drawn without replacement.
			gone[clsError] = hypergeometricDraw(e.r, n, g.n[clsError], x)
			gone[clsSuccess] = x - gone[clsError]
		}
		if n := g.n[clsTimeout]; n > 0 {
			x := binomialDraw(e.r, n, e.tlaw[g.d].pending(a, b, tm))
			gone[clsTimeout] = x
			e.addTimeouts(g, n-x)
		}
		counts := &e.c.run.Baseline
		if g.d == metrics.Candidate {
			counts = &e.c.run.Candidate
		}
		counts.Successes -= gone[clsSuccess]
		counts.Errors -= gone[clsError]
		counts.Timeouts -= gone[clsTimeout]
		all := gone[clsSuccess] + gone[clsError] + gone[clsTimeout]
		counts.InFlight += all
		inflight[g.d] += all
		if g.period >= 0 {
			v := &e.rec.at(g.period).Dims[g.d]
			v.Invocations -= float64(all)
			v.Errors -= float64(gone[clsError] + gone[clsTimeout])
		}
		for k := range g.n {
			g.n[k] -= gone[k]
		}
		if retire && g.d == metrics.Candidate {
			e.candFailed += g.n[clsError] + g.n[clsTimeout]
			e.firstFailure(g, t)
		}
	}
	if retire {
		e.groups = e.groups[:0]
	}
	e.c.inflight = inflight
	return inflight
}

// addLatency adds drawn non-timeout durations of g to its sketch: the
// period's when the periods carry latency, else the run's totals sketch.
func (e *bucketEngine) addLatency(g *group, d *sketchDraw) {
	if e.latPeriods && g.period >= 0 {
		d.add(&e.rec.at(g.period).Dims[g.d].Duration, e.law[g.d][g.aff].trunc)
		return
	}
	d.add(e.runSketch(g.d), e.law[g.d][g.aff].trunc)
}

func (e *bucketEngine) addTimeouts(g *group, n int64) {
	if n <= 0 {
		return
	}
	if e.latPeriods && g.period >= 0 {
		e.rec.at(g.period).Dims[g.d].Duration.AddN(ms(e.ver[g.d].timeout), float64(n))
		return
	}
	e.runSketch(g.d).AddN(ms(e.ver[g.d].timeout), float64(n))
}

// extra holds latency drawn straight into the run's sketches (requests not
// recorded per period); result merges it.
func (e *bucketEngine) runSketch(d metrics.Dimension) *metrics.Sketch {
	return &e.extra[d]
}

// drain ends a run stopped with a drain at now (a rollback, or the last step
// without horizon): arrivals have stopped, and the run ends when the last
// request in flight ends, or at the horizon if that comes first.
func (e *bucketEngine) drain() time.Duration {
	w := e.now
	h := e.s.Horizon
	capAt := metrics.Never
	if h > 0 && h < w+e.maxDur && len(e.groups) > 0 {
		// The horizon may cut the drain: draw what is still running at h.
		in := e.resolveAt(h, false)
		for i := range e.groups {
			g := &e.groups[i]
			if g.d == metrics.Candidate {
				e.candFailed += g.n[clsError] + g.n[clsTimeout]
				e.firstFailure(g, h)
			}
		}
		if in[metrics.Candidate]+in[metrics.Baseline] > 0 {
			if e.c.run.WeightZero != metrics.Never {
				e.c.run.Drained = metrics.Never
				if in[metrics.Candidate] == 0 {
					e.c.run.Drained = e.maxCompletion(w, h, metrics.Candidate)
				}
			}
			e.groups = e.groups[:0]
			return h
		}
		capAt = h
	} else {
		for i := range e.groups {
			e.retire(&e.groups[i], metrics.Never)
		}
	}
	// The candidate's and the baseline's requests are independent: the end
	// is the later of their last completions.
	cand := e.maxCompletion(w, capAt, metrics.Candidate)
	if e.c.run.WeightZero != metrics.Never {
		e.c.run.Drained = cand
	}
	end := max(cand, e.maxCompletion(w, capAt, metrics.Baseline))
	e.groups = e.groups[:0]
	return end
}

// maxCompletion draws max(w, the last completion instant) of the pending
// groups' requests of version d, each group's
// completions conditioned on ending by capAt unless capAt is Never. The
// maximum's CDF is the product over groups and classes of
// ((1 - pend(t))/(1 - pend(cap)))^n, inverted at a uniform draw.
func (e *bucketEngine) maxCompletion(w, capAt time.Duration, d metrics.Dimension) time.Duration {
	hi := w
	for i := range e.groups {
		g := &e.groups[i]
		if g.d == d {
			hi = max(hi, g.b+e.maxDur)
		}
	}
	if capAt != metrics.Never && capAt < hi {
		hi = capAt
	}
	if hi == w {
		return w
	}
	logU := xmath.Log(e.r.Float64())
	// logEnded is the log of the groups' CDF at tm (ms): the sum over
	// groups and classes of n·log(1 - pend(tm)).
	logEnded := func(tm float64) float64 {
		sum := 0.0
		for i := range e.groups {
			g := &e.groups[i]
			if g.d != d {
				continue
			}
			a, b := ms(g.a), ms(g.b)
			// Successes and errors share one duration law: one pending
			// for both (a third fewer erfc-bearing evaluations per step
			// once every class is populated, as at high rates).
			if n := g.n[clsSuccess] + g.n[clsError]; n > 0 {
				sum += float64(float64(n) * xmath.Log1p(-e.law[g.d][g.aff].pending(a, b, tm))) // converted: no fused multiply-add on arm64
			}
			if n := g.n[clsTimeout]; n > 0 {
				sum += float64(float64(n) * xmath.Log1p(-e.tlaw[g.d].pending(a, b, tm)))
			}
		}
		return sum
	}
	// Conditioning on ending by capAt divides each group's CDF by its value
	// at capAt: a constant of the search, summed once.
	sumCap := 0.0
	if capAt != metrics.Never {
		sumCap = logEnded(ms(capAt))
	}
	return solve(w, hi, func(t time.Duration) float64 {
		sum := logEnded(ms(t))
		// sum - sumCap >= logU, in logs of the negated sides: the log of
		// the CDF's tail is close to linear in t, which regula falsi needs.
		return xmath.Log(-logU) - xmath.Log(sumCap-sum)
	})
}

// result finishes the run at end.
func (e *bucketEngine) result(end time.Duration) metrics.Run {
	r := e.c.finish(end, Bucketed, e.s.KeepSeries)
	if e.first != metrics.Never && e.first <= end {
		r.FirstFailure = e.first
	}
	if e.s.twin {
		// Nobody reads a twin's latency: drop what finish merged from
		// the periods, and draw nothing more (see Scenario.Twin).
		r.CandidateLatency.Reset()
		r.BaselineLatency.Reset()
		r.UsersHit = math.NaN()
	}
	for _, d := range []metrics.Dimension{metrics.Candidate, metrics.Baseline} {
		if e.s.twin {
			break
		}
		into := &r.CandidateLatency
		if d == metrics.Baseline {
			into = &r.BaselineLatency
		}
		into.Merge(&e.extra[d])
		n := [2]int64{}
		for aff := 0; aff < 2; aff++ {
			t := &e.totals[d][aff]
			n[aff] = t[clsSuccess] + t[clsError]
			if t[clsTimeout] > 0 {
				into.AddN(ms(e.ver[d].timeout), float64(t[clsTimeout]))
			}
		}
		if e.law[d][0].same(&e.law[d][1]) {
			// A fault that only adds errors leaves durations alone: one
			// multinomial of the sum is the sum of the two.
			n[0], n[1] = n[0]+n[1], 0
		}
		for aff := 0; aff < 2; aff++ {
			if n[aff] > 0 {
				e.law[d][aff].draw(e.r, n[aff], &e.sk)
				e.sk.add(into, e.law[d][aff].trunc)
			}
		}
	}
	base := &e.ver[metrics.Baseline]
	cand := &e.ver[metrics.Candidate]
	factor := e.s.Fault.LatencyFactor
	if factor == 0 {
		factor = 1
	}
	qb := failProb(base.lat, 1, base.timeout, base.p)
	q0 := failProb(cand.lat, 1, cand.timeout, cand.p)
	q1 := failProb(cand.lat, factor, cand.timeout, e.pErr[metrics.Candidate][1])
	// Products converted before the sum: no fused multiply-add on arm64,
	// so the figure has the same bits on every GOARCH.
	r.ExcessFailures = float64(float64(e.nHealthy)*(q0-qb)) + float64(float64(e.nFaulty)*(q1-qb))
	if e.users {
		r.UsersHit = float64(e.ulaw.draw(e.r, e.candFailed))
	}
	return r
}
