package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/deploysim/deploysim/internal/eventq"
	"github.com/deploysim/deploysim/metrics"
)

// Defaults of the execution model, from docs/model.md.
const (
	DefaultInitP50   = 300 * time.Millisecond // [assumed]: runtime-dependent
	DefaultInitP99   = time.Second            // [assumed]: AWS documents neither
	DefaultKeepAlive = 10 * time.Minute       // [assumed]: idle environments are reclaimed after some minutes
	// MinUnreserved is the concurrency that must stay unreserved in the
	// account [doc]: ReservedLimit <= AccountLimit - MinUnreserved.
	MinUnreserved = 100
	// ScalingBurst environments every ScalingWindow is how fast a function
	// scales [doc].
	ScalingBurst  = 1000
	ScalingWindow = 10 * time.Second
	// ConcurrencySampleEvery is the interval of the ConcurrentExecutions
	// samples.
	ConcurrencySampleEvery = time.Second
)

// Concurrency is the execution model: environments, cold starts, limits and
// throttles. The zero value turns it off: every invocation starts at once in
// a warm environment and nothing is limited, the core model. Start from
// DefaultConcurrency for the defaults of docs/model.md. A limit of 0 means none.
//
// With Enabled, each version owns a pool of execution
// environments, as Lambda keeps one per published version (docs/model.md:
// "Concurrency and execution environments"). An invocation takes an idle
// environment of the version it was routed to: first an idle provisioned one
// (Version.Provisioned, initialised before the run and never reclaimed), then
// the on-demand one freed most recently, if it has been idle no longer than
// KeepAlive; otherwise it starts a new environment and pays the init (a cold
// start), drawn from the init distribution. Reusing the most recently freed
// environment ([assumed]: Lambda does not document its choice) lets the
// environments that stay idle age out, so a pool shrinks back to the
// concurrency of the last KeepAlive. Environments that have aged out are
// dropped when they are next looked at, which is equivalent and costs
// nothing per event.
//
// An invocation is throttled when the function's executions in progress
// (both versions together, initialising ones included) have reached the
// limit — the smaller of ReservedLimit and AccountLimit that is set — or,
// with ScalingLimit, when it needs a new environment and the function has
// created its 1,000 environments of the last 10 seconds [doc]. A throttled
// invocation does not run: it counts in Requests and Throttles of the version
// it was routed to and in that version's Throttles metric (Lambda counts it
// in neither Invocations nor Errors [doc]); a synchronous caller sees a 429
// and the run counts nothing else, an asynchronous event is retried (see
// Async).
//
// A cold start's init runs before the handler, in the same environment, and
// the caller waits for both: the invocation's latency, recorded in the
// Duration metric and the run's latency sketches, is init + handler. Lambda
// itself reports the init as Init Duration in the invocation's REPORT log
// line, apart from its Duration metric, so a Duration alarm on Lambda's own
// metric sees less of a cold-start spike than this model's; what the model
// records is what the caller (or API Gateway's Latency metric) sees. The
// function timeout applies to the handler only (the init has its own limit).
//
// ConcurrentExecutions is sampled once per second of simulated time, at
// whole seconds, per version (environments running an invocation or its
// init) and for the alias (their sum); each sample is one value of the
// period's Concurrency sketch. CloudWatch's Average of a period is then the
// time-average concurrency (sampled), and Maximum the largest per-second
// sample: a burst shorter than a second between two samples can exceed it.
type Concurrency struct {
	// Enabled turns the execution model on.
	Enabled bool
	// ReservedLimit is the function's reserved concurrency: executions of
	// all its versions together beyond it are throttled [doc]. 0: none.
	ReservedLimit int
	// AccountLimit is the account's concurrency available to this
	// function (the Region's limit, 1,000 by default [doc], minus what
	// other functions use). 0: none.
	AccountLimit int
	// InitP50 and InitP99 define the cold start's init duration:
	// lognormal with that median and 99th percentile (defaults 300 ms and
	// 1 s, [assumed]). Ignored when Init is set.
	InitP50, InitP99 time.Duration
	// Init, when set, gives the init duration distribution in milliseconds
	// (as Version.Latency does for the handler).
	Init LatencyModel
	// KeepAlive is how long an idle on-demand environment stays warm
	// (default 10 min, [assumed]). Must be > 0.
	KeepAlive time.Duration
	// ScalingLimit caps the creation of environments at 1,000 per 10 s
	// [doc] (a token bucket of 1,000 refilled at 100 per second): an
	// invocation that needs a new environment beyond it is throttled.
	ScalingLimit bool
	// WarmBaseline starts the baseline with the idle environments a
	// version serving the initial traffic for a while has: ⌈a + 3√a⌉ with
	// a = λ(0)·E[latency], the mean concurrency at the initial rate (a
	// steady M/G/∞ pool exceeds that with probability about 0.1 %). The
	// candidate, a new version, always starts with none [doc].
	WarmBaseline bool
}

// DefaultConcurrency returns the execution model on, with the defaults
// of docs/model.md: no reserved concurrency, the default account limit of 1,000
// [doc], init lognormal with median 300 ms and p99 1 s [assumed], 10 min
// keep-alive [assumed], no scaling limit, and a warm baseline.
func DefaultConcurrency() Concurrency {
	return Concurrency{
		Enabled:      true,
		AccountLimit: 1000,
		InitP50:      DefaultInitP50,
		InitP99:      DefaultInitP99,
		KeepAlive:    DefaultKeepAlive,
		WarmBaseline: true,
	}
}

// Limit is the concurrency limit in force: the smaller of the limits set,
// 0 if none is.
func (c Concurrency) Limit() int {
	switch {
	case c.ReservedLimit > 0 && c.AccountLimit > 0:
		return min(c.ReservedLimit, c.AccountLimit)
	case c.ReservedLimit > 0:
		return c.ReservedLimit
	}
	return c.AccountLimit
}

func (s Scenario) validateConcurrency() error {
	c := s.Concurrency
	if c.ReservedLimit < 0 {
		return invalid("Scenario.Concurrency.ReservedLimit = %d: must be >= 0 (0: none)", c.ReservedLimit)
	}
	if c.AccountLimit < 0 {
		return invalid("Scenario.Concurrency.AccountLimit = %d: must be >= 0 (0: none)", c.AccountLimit)
	}
	for _, v := range []struct {
		name string
		n    int
	}{{"Baseline", s.Baseline.Provisioned}, {"Candidate", s.Candidate.Provisioned}} {
		if v.n < 0 {
			return invalid("Scenario.%s.Provisioned = %d: must be >= 0", v.name, v.n)
		}
		if v.n > 0 && !c.Enabled {
			return invalid("Scenario.%s.Provisioned = %d: needs Scenario.Concurrency.Enabled", v.name, v.n)
		}
	}
	if !c.Enabled {
		if c.ReservedLimit != 0 || c.AccountLimit != 0 || c.ScalingLimit {
			return invalid("Scenario.Concurrency.Enabled = false with ReservedLimit = %d, AccountLimit = %d, ScalingLimit = %v: limits need the execution model (set Enabled, or start from DefaultConcurrency())",
				c.ReservedLimit, c.AccountLimit, c.ScalingLimit)
		}
		return nil
	}
	if c.ReservedLimit > 0 && c.AccountLimit > 0 && c.ReservedLimit > c.AccountLimit-MinUnreserved {
		return invalid("Scenario.Concurrency.ReservedLimit = %d: must be <= AccountLimit - %d = %d (at least %d stay unreserved)",
			c.ReservedLimit, MinUnreserved, c.AccountLimit-MinUnreserved, MinUnreserved)
	}
	if l, p := c.Limit(), s.Baseline.Provisioned+s.Candidate.Provisioned; l > 0 && p > l {
		return invalid("Scenario.Baseline.Provisioned + Candidate.Provisioned = %d: must be <= the concurrency limit %d", p, l)
	}
	if c.KeepAlive <= 0 {
		return invalid("Scenario.Concurrency.KeepAlive = %v: must be > 0", c.KeepAlive)
	}
	if c.Init == nil {
		if c.InitP50 <= 0 {
			return invalid("Scenario.Concurrency.InitP50 = %v: must be > 0 (or set Init)", c.InitP50)
		}
		if c.InitP99 < c.InitP50 {
			return invalid("Scenario.Concurrency.InitP99 = %v: must be >= InitP50 = %v", c.InitP99, c.InitP50)
		}
	}
	return nil
}

// pool is one version's execution environments.
type pool struct {
	idle     []time.Duration // instants on-demand idle environments were freed, oldest first
	provIdle int             // idle provisioned environments
}

// exec is the engine's execution-model state.
type exec struct {
	on        bool
	limit     int64
	keepAlive time.Duration
	init      Sampler
	pools     [metrics.NumDimensions]pool

	scaling bool
	tokens  float64       // environments that may still be created
	tokensT time.Duration // instant tokens was computed at
}

// Completion flags, in the high bits of a completion event's B (the low bits
// are the outcome).
const (
	outMask    uint8 = 0x0f
	flagProvEv uint8 = 0x10 // the invocation ran in a provisioned environment
	flagBatch  uint8 = 0x20 // the invocation is a queue batch; Idx is the batch
)

// setupExec prepares the execution model for a validated scenario.
func (e *engine) setupExec(s *Scenario) {
	x := &e.x
	c := s.Concurrency
	x.on = c.Enabled
	for d := range x.pools {
		x.pools[d].idle = x.pools[d].idle[:0]
		x.pools[d].provIdle = 0
	}
	if !x.on {
		return
	}
	x.limit = int64(c.Limit())
	x.keepAlive = c.KeepAlive
	if c.Init != nil {
		x.init = c.Init(e.r)
	} else {
		x.init = LogNormalFromQuantiles(ms(c.InitP50), ms(c.InitP99), e.r)
	}
	x.scaling = c.ScalingLimit
	x.tokens, x.tokensT = ScalingBurst, 0
	x.pools[metrics.Baseline].provIdle = s.Baseline.Provisioned
	x.pools[metrics.Candidate].provIdle = s.Candidate.Provisioned
	if c.WarmBaseline {
		n := warmPool(s)
		if x.limit > 0 && int64(n) > x.limit {
			n = int(x.limit)
		}
		for i := 0; i < n; i++ {
			x.pools[metrics.Baseline].idle = append(x.pools[metrics.Baseline].idle, 0)
		}
	}
	e.q.Push(eventq.Event{At: 0, Kind: evSample})
}

// warmPool is the baseline's initial pool: ⌈a + 3√a⌉, a = λ(0)·E[latency]
// (λ(0) read as the arrivals of the first second).
func warmPool(s *Scenario) int {
	lam := s.Workload.Integral(0, time.Second)
	a := lam * meanLatencyMs(s.Baseline) / 1000
	if !(a > 0) || math.IsInf(a, 0) {
		return 0
	}
	return int(math.Ceil(a + float64(3*math.Sqrt(a))))
}

// meanLatencyMs is a version's mean latency: exp(μ + σ²/2) for the default
// lognormal, the sampler's Mean when it has one (gonum's distributions do),
// else the mean of 10,000 draws from a fixed private source, so the run's
// own random stream is untouched.
func meanLatencyMs(v Version) float64 {
	if v.Latency == nil {
		l := LogNormalFromQuantiles(ms(v.P50), ms(v.P99), nil)
		return math.Exp(l.Mu + float64(float64(l.Sigma*l.Sigma)/2))
	}
	smp := v.Latency(rand.NewPCG(1, 2))
	if m, ok := smp.(interface{ Mean() float64 }); ok {
		return m.Mean()
	}
	sum := 0.0
	for i := 0; i < 10000; i++ {
		sum += max(0, smp.Rand())
	}
	return sum / 10000
}

// acquire finds an environment of version d for an invocation at now. It
// returns throttled when the invocation cannot run, and whether it pays a
// cold start and runs in a provisioned environment.
func (x *exec) acquire(d metrics.Dimension, now time.Duration, busy int64) (throttled, cold, prov bool) {
	if x.limit > 0 && busy >= x.limit {
		return true, false, false
	}
	p := &x.pools[d]
	if p.provIdle > 0 {
		p.provIdle--
		return false, false, true
	}
	if n := len(p.idle); n > 0 {
		if now-p.idle[n-1] <= x.keepAlive {
			p.idle = p.idle[:n-1]
			return false, false, false
		}
		// The most recent is too old, so are all the others.
		p.idle = p.idle[:0]
	}
	if x.scaling {
		x.tokens = math.Min(ScalingBurst, x.tokens+(now-x.tokensT).Seconds()*ScalingBurst/ScalingWindow.Seconds())
		x.tokensT = now
		if x.tokens < 1 {
			return true, false, false
		}
		x.tokens--
	}
	return false, true, false
}

// release returns an environment of version d at now.
func (x *exec) release(d metrics.Dimension, now time.Duration, prov bool) {
	p := &x.pools[d]
	if prov {
		p.provIdle++
		return
	}
	p.idle = append(p.idle, now)
}

// sample records the ConcurrentExecutions samples at now and schedules the
// next one while anything can still change.
func (e *engine) sample(now time.Duration) {
	c := &e.c
	if c.horizon > 0 && now >= c.horizon {
		return // the run ends at the horizon: samples cover [0, Horizon)
	}
	cand, base := float64(c.inflight[metrics.Candidate]), float64(c.inflight[metrics.Baseline])
	e.rec.concurrency(now, cand, base)
	if c.stopped && c.inflightTotal() == 0 {
		return
	}
	e.q.Push(eventq.Event{At: now + ConcurrencySampleEvery, Kind: evSample})
}
