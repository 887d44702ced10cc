package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"time"

	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// Resolution selects the engine that runs a scenario.
type Resolution uint8

const (
	// Auto lets Run pick the engine: Bucketed unless the scenario has a
	// feature that only the per-request engine reproduces exactly (a
	// non-Poisson workload, a latency model without a CDF, a policy that
	// could see late data; see needsPerRequest in bucket.go), then
	// PerRequest. metrics.Run.Resolution records the choice.
	Auto Resolution = iota
	// PerRequest simulates every arrival and completion as an event. Exact
	// for everything, at a cost proportional to the number of requests.
	PerRequest
	// Bucketed draws per-bucket counts (Poisson arrivals, binomial routing,
	// errors and timeouts) instead of per-request events, at a cost that does
	// not grow with the request rate; the counts, and so the datapoints a
	// policy sees, have exactly the per-request distribution (bucket.go
	// documents what is exact and what is not). Asking for it with a
	// feature it cannot reproduce is an error naming the feature.
	Bucketed
)

// String names the resolution as metrics.Run.Resolution records it
// ("auto" only for the unresolved option).
func (r Resolution) String() string {
	switch r {
	case Auto:
		return "auto"
	case PerRequest:
		return "request"
	case Bucketed:
		return "bucket"
	}
	return fmt.Sprintf("Resolution(%d)", r)
}

// Version is how one version of the function behaves: each invocation fails
// with probability ErrorProb, and runs for a duration drawn from its latency
// distribution; an invocation that would run past Timeout is cut at Timeout
// and counts as a timeout (Lambda reports it in Errors; see docs/model.md,
// "Lambda's built-in metrics").
type Version struct {
	// Name labels the version in tables (optional).
	Name string
	// ErrorProb is the probability that an invocation ends in a function
	// error, in [0, 1]. Errors are decided independently of latency.
	ErrorProb float64
	// P50 and P99 define the default latency distribution: lognormal with
	// median P50 and 99th percentile P99 (P99 >= P50 > 0; P99 == P50 gives a
	// constant latency). Ignored when Latency is set.
	P50, P99 time.Duration
	// Latency, when set, gives the latency distribution in milliseconds: it
	// is called once per run with the run's random source and returns a
	// sampler drawing from it (any gonum distuv distribution fits:
	// func(src rand.Source) Sampler { return distuv.Gamma{Alpha: 2, Beta: 0.02, Src: src} }).
	// Negative draws count as 0. If the sampler also has a CDF method, Run
	// uses it to include timeouts in ExcessFailures.
	Latency LatencyModel
	// Timeout is the function's timeout (Lambda's default is 3 s, the
	// maximum 15 min); 0 means no timeout. It bounds the handler, not a
	// cold start's init.
	Timeout time.Duration
	// Provisioned is the version's provisioned concurrency: environments
	// initialised before the run and never reclaimed, used before any
	// on-demand one (needs Scenario.Concurrency.Enabled; see exec.go).
	// AWS advises raising it on the new version during weighted routing,
	// as overflow goes to on-demand, cold environments [doc].
	Provisioned int
}

// Fault is what is wrong with the candidate. The zero Fault is a healthy
// candidate (used to measure false rollbacks). Its effects combine: a fault
// can add errors and slow requests down at the same time, only for some
// request kinds, from some onset on.
type Fault struct {
	// ErrorProb is an extra, independent cause of failure: an affected
	// invocation fails if the version's own error draw or this one does, so
	// its error probability is 1-(1-p)(1-ErrorProb). In [0, 1].
	ErrorProb float64
	// LatencyFactor multiplies an affected invocation's latency (a latency
	// regression); 0 means no change (same as 1). Must be >= 0.
	LatencyFactor float64
	// OnsetAt is the instant from which the fault can show (0: from the
	// start).
	OnsetAt time.Duration
	// OnsetAfter is the number of candidate requests that are served
	// healthy before the fault shows (a bug that needs warm-up); 0: none.
	// With both onsets set, the fault shows from the first candidate request
	// that arrives at or after OnsetAt once OnsetAfter requests have arrived.
	OnsetAfter int64
	// Kinds lists the request kinds the fault affects (names from
	// Scenario.Kinds); empty means every kind.
	Kinds []string
}

// Bad reports whether the fault makes the candidate worse than it would be
// healthy: more errors or slower responses. (A LatencyFactor below 1, a
// faster candidate, changes it without making it bad.)
func (f Fault) Bad() bool { return f.ErrorProb > 0 || f.LatencyFactor > 1 }

// effective reports whether the fault changes anything.
func (f Fault) effective() bool {
	return f.ErrorProb > 0 || (f.LatencyFactor > 0 && f.LatencyFactor != 1)
}

// Kind is one kind of request in the traffic mix (an API operation, an input
// shape); a fault may affect only some kinds.
type Kind struct {
	Name   string
	Weight float64 // relative share of the traffic, > 0
}

// MaxUsers bounds Users.N: a run keeps one bit per user (12.5 MB at the bound).
const MaxUsers = 100_000_000

// Users models the population behind the traffic: N users whose activity
// follows a Zipf law, P(user k) ∝ 1/k^Exponent (Exponent 0: all equally
// active). A run then counts the distinct users who saw at least one
// candidate failure. N = 0 means users are not modelled.
type Users struct {
	N        int
	Exponent float64
}

// Scenario is everything one simulated deployment needs. Zero values mean
// what they say (no ingestion delay, no action latency, no timeout); start
// from BaseScenario for the defaults of docs/model.md.
type Scenario struct {
	// Workload produces the arrivals (required).
	Workload Workload
	// Baseline is the version serving before the deployment; Candidate the
	// one being deployed.
	Baseline, Candidate Version
	// Fault is what is wrong with the candidate (zero: healthy).
	Fault Fault
	// ErrorDispersion makes both versions' error rates vary from period to
	// period (beta-binomial errors; zero: binomial). See dispersion.go.
	ErrorDispersion ErrorDispersion
	// Kinds is the request mix (empty: one kind). At most 64 kinds.
	Kinds []Kind
	// Users is the user population (zero: not modelled).
	Users Users
	// Strategy moves traffic to the candidate (required).
	Strategy strategy.Strategy
	// Policy decides rollbacks; nil means the deployment is never rolled
	// back.
	Policy rollback.Policy
	// Horizon ends the run: arrivals at or after it are not admitted and
	// requests still running count as in flight. 0 means the run ends with
	// the deployment: at the last step of the schedule (plus Bake), or when
	// a rollback has moved the weight to 0, after the requests in flight
	// finish.
	// With Horizon > 0 traffic continues after the deployment completes
	// (failures of a missed fault keep counting) but the policy is no
	// longer consulted, as CodeDeploy watches alarms only while a
	// deployment runs; a rollback still ends the run once drained.
	Horizon time.Duration
	// Bake keeps the deployment in progress for this long after the last
	// step: the policy is still consulted and can roll back, as during a
	// CodeDeploy AfterAllowTraffic hook or an Argo Rollouts post-promotion
	// analysis. 0 (the default) ends the deployment at the last step, so an
	// all-at-once deployment can only be rolled back by Bake or a hook.
	// Promoted is the instant of the last step either way.
	Bake time.Duration
	// Seed determines every random draw of the run.
	Seed uint64
	// Period is the resolution of the published metric series: 10 s, 20 s,
	// 30 s or a multiple of 60 s, as CloudWatch allows (default 60 s: Lambda's
	// metrics are standard resolution). When the policy reads a period that
	// Period does not divide, the series uses the largest allowed period
	// dividing both; for a policy that queries ranges (Flagger, Argo
	// Rollouts), the gcd of Period, its windows and IngestionDelay (see
	// MetricResolution).
	Period time.Duration
	// IngestionDelay is how long after its period ends a datapoint becomes
	// visible to the policy ([assumed] in docs/model.md: default 60 s).
	IngestionDelay time.Duration
	// ActionLatency is the time from the rollback decision to the weight
	// being 0 ([assumed]: default 5 s).
	ActionLatency time.Duration
	// KeepSeries keeps the per-period series in metrics.Run.Series.
	KeepSeries bool
	// Resolution selects the engine (Auto: the engine picks).
	Resolution Resolution

	// Concurrency is the execution model: per-version pools of execution
	// environments with cold starts and keep-alive, concurrency limits and
	// throttles (zero: off; start from DefaultConcurrency).
	Concurrency Concurrency
	// EventModel is how callers invoke the function: nil or Sync
	// (synchronous), or Async (Lambda's asynchronous retries).
	EventModel EventModel
	// PreTraffic and PostTraffic are CodeDeploy's BeforeAllowTraffic and
	// AfterAllowTraffic hooks (zero: none; see Hook).
	PreTraffic, PostTraffic Hook

	// twin marks a healthy twin whose runs compute only what is read from
	// them (see Twin).
	twin bool
}

// Defaults from docs/model.md (docs/model.md).
const (
	DefaultPeriod         = 60 * time.Second // Lambda's built-in metrics: one datapoint per minute [doc]
	DefaultIngestionDelay = 60 * time.Second // [assumed]
	DefaultActionLatency  = 5 * time.Second  // [assumed]: the alias flip takes effect within seconds
	DefaultTimeout        = 3 * time.Second  // Lambda's default function timeout
)

// BaseScenario returns a scenario with the defaults of docs/model.md: 60 s
// metric period, 60 s ingestion delay, 5 s rollback action latency, and
// versions with no errors, lognormal latency of median 100 ms and p99 500 ms,
// and Lambda's default 3 s timeout. Workload and Strategy are left nil: the
// caller must set them.
func BaseScenario() Scenario {
	v := Version{P50: 100 * time.Millisecond, P99: 500 * time.Millisecond, Timeout: DefaultTimeout}
	b, c := v, v
	b.Name, c.Name = "baseline", "candidate"
	return Scenario{
		Baseline:       b,
		Candidate:      c,
		Period:         DefaultPeriod,
		IngestionDelay: DefaultIngestionDelay,
		ActionLatency:  DefaultActionLatency,
	}
}

// ErrInvalid is wrapped by every error Validate returns, so callers can tell
// a bad scenario from a failure of the run.
var ErrInvalid = errors.New("invalid scenario")

func invalid(format string, args ...any) error {
	return fieldError{msg: fmt.Sprintf(format, args...)}
}

// fieldError is a broken rule of a Scenario field, possibly caused by an
// error of a component (workload, strategy, policy) that it wraps.
type fieldError struct {
	msg string // "Scenario.Field = value: rule", or "Scenario.Field" with err
	err error
}

func (e fieldError) Error() string {
	if e.err == nil {
		return "sim: " + e.msg
	}
	return "sim: " + e.msg + ": " + strings.TrimPrefix(e.err.Error(), "sim: ")
}

func (e fieldError) Unwrap() []error {
	if e.err == nil {
		return []error{ErrInvalid}
	}
	return []error{e.err, ErrInvalid}
}

func wrapInvalid(err error, format string, args ...any) error {
	return fieldError{msg: fmt.Sprintf(format, args...), err: err}
}

func prob(name string, p float64) error {
	if !(p >= 0 && p <= 1) {
		return invalid("Scenario.%s = %v: must be in [0, 1]", name, p)
	}
	return nil
}

func (v Version) validate(name string) error {
	if err := prob(name+".ErrorProb", v.ErrorProb); err != nil {
		return err
	}
	if v.Timeout < 0 {
		return invalid("Scenario.%s.Timeout = %v: must be >= 0", name, v.Timeout)
	}
	if v.Latency != nil {
		// Build it once on a throwaway source: a model that gives no sampler
		// would otherwise fail in the middle of a run.
		if isNil(v.Latency(rand.New(rand.NewPCG(0, 0)))) {
			return invalid("Scenario.%s.Latency returned a nil sampler: must return one", name)
		}
		return nil
	}
	if v.P50 <= 0 {
		return invalid("Scenario.%s.P50 = %v: must be > 0 (or set Latency)", name, v.P50)
	}
	if v.P99 < v.P50 {
		return invalid("Scenario.%s.P99 = %v: must be >= P50 = %v", name, v.P99, v.P50)
	}
	return nil
}

// allowedPeriod reports whether d is a period CloudWatch allows: 10, 20 or 30
// seconds, or a multiple of 60 seconds.
func allowedPeriod(d time.Duration) bool {
	switch d {
	case 10 * time.Second, 20 * time.Second, 30 * time.Second:
		return true
	}
	return d > 0 && d%time.Minute == 0
}

// seriesPeriod is the period the run publishes: Period itself, or, when the
// policy reads a resolution r that Period does not divide, the largest
// allowed period dividing both.
func seriesPeriod(period, r time.Duration) (time.Duration, bool) {
	if r <= 0 || r%period == 0 {
		return period, true
	}
	g := gcd(period, r)
	if g%time.Minute == 0 {
		return g, true
	}
	for _, p := range []time.Duration{30 * time.Second, 20 * time.Second, 10 * time.Second} {
		if g%p == 0 {
			return p, true
		}
	}
	return 0, false
}

func gcd(a, b time.Duration) time.Duration {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Validate reports the first setting that breaks a rule, naming the field,
// its value and the rule. Every error wraps ErrInvalid.
func (s Scenario) Validate() error {
	if isNil(s.Workload) {
		return invalid("Scenario.Workload = nil: must be set")
	}
	if err := s.Workload.Validate(); err != nil {
		return wrapInvalid(err, "Scenario.Workload")
	}
	if isNil(s.Workload.Arrivals(rand.New(rand.NewPCG(0, 0)))) {
		return invalid("Scenario.Workload (%T).Arrivals returned nil: must return an arrival process", s.Workload)
	}
	if err := s.Baseline.validate("Baseline"); err != nil {
		return err
	}
	if err := s.Candidate.validate("Candidate"); err != nil {
		return err
	}
	if err := s.validateFault(); err != nil {
		return err
	}
	if err := s.ErrorDispersion.validate(); err != nil {
		return err
	}
	if err := s.validateConcurrency(); err != nil {
		return err
	}
	if err := s.validateEventModel(); err != nil {
		return err
	}
	if err := s.PreTraffic.validate("PreTraffic"); err != nil {
		return err
	}
	if err := s.PostTraffic.validate("PostTraffic"); err != nil {
		return err
	}
	if len(s.Kinds) > maxKinds {
		return invalid("len(Scenario.Kinds) = %d: must be at most %d", len(s.Kinds), maxKinds)
	}
	for i, k := range s.Kinds {
		if !(k.Weight > 0) || math.IsInf(k.Weight, 1) {
			return invalid("Scenario.Kinds[%d].Weight = %v: must be finite and > 0", i, k.Weight)
		}
		for j := 0; j < i; j++ {
			if s.Kinds[j].Name == k.Name {
				return invalid("Scenario.Kinds[%d].Name = %q: must be unique (same as Kinds[%d])", i, k.Name, j)
			}
		}
	}
	// The weights are relative and both engines normalise by their sum: an
	// infinite sum would make every share 0 or NaN.
	if sum := kindWeightSum(s.Kinds); math.IsInf(sum, 1) {
		return invalid("Scenario.Kinds: weights sum to %v: must be finite (they are relative; scale them down)", sum)
	}
	if s.Users.N < 0 || s.Users.N > MaxUsers {
		return invalid("Scenario.Users.N = %d: must be in [0, %d]", s.Users.N, MaxUsers)
	}
	if !(s.Users.Exponent >= 0) || math.IsInf(s.Users.Exponent, 1) {
		return invalid("Scenario.Users.Exponent = %v: must be finite and >= 0", s.Users.Exponent)
	}
	if isNil(s.Strategy) {
		return invalid("Scenario.Strategy = nil: must be set")
	}
	if err := s.Strategy.Validate(); err != nil {
		return wrapInvalid(err, "Scenario.Strategy")
	}
	sched := s.Strategy.Schedule()
	if len(sched) == 0 {
		return invalid("Scenario.Strategy %q: schedule has no step", s.Strategy.Name())
	}
	if err := sched.Validate(); err != nil {
		return wrapInvalid(err, "Scenario.Strategy %q", s.Strategy.Name())
	}
	// Each step is a control event of every run: a strategy of its own
	// type is held to the bound strategy's types keep (a Steps list of
	// MaxSteps steps has at most MaxSteps+1 weights, with the promotion).
	if len(sched) > strategy.MaxSteps+1 {
		return invalid("Scenario.Strategy %q: schedule has %d steps: must have at most strategy.MaxSteps+1 = %d", s.Strategy.Name(), len(sched), strategy.MaxSteps+1)
	}
	if s.Horizon < 0 {
		return invalid("Scenario.Horizon = %v: must be >= 0 (0: until the deployment ends)", s.Horizon)
	}
	if !allowedPeriod(s.Period) {
		return invalid("Scenario.Period = %v: must be 10s, 20s, 30s or a multiple of 60s", s.Period)
	}
	if s.IngestionDelay < 0 {
		return invalid("Scenario.IngestionDelay = %v: must be >= 0", s.IngestionDelay)
	}
	if s.Bake < 0 {
		return invalid("Scenario.Bake = %v: must be >= 0", s.Bake)
	}
	if s.ActionLatency < 0 {
		return invalid("Scenario.ActionLatency = %v: must be >= 0", s.ActionLatency)
	}
	if s.Policy != nil && isNil(s.Policy) {
		return invalid("Scenario.Policy = (%T)(nil): must be nil or a usable policy", s.Policy)
	}
	if s.Policy != nil {
		if err := s.Policy.Validate(); err != nil {
			return wrapInvalid(err, "Scenario.Policy %q", s.Policy.Name())
		}
		r := s.Policy.Resolution()
		if r < 0 {
			return invalid("Scenario.Policy %q: Resolution() = %v: must be >= 0", s.Policy.Name(), r)
		}
		if _, ok := s.step(); !ok {
			if rollback.QueriesRanges(s.Policy) {
				return invalid("Scenario.Policy %q: Resolution() = %v: its range queries need a publication step dividing it, Period = %v and IngestionDelay = %v of at least %v in whole seconds", s.Policy.Name(), r, s.Period, s.IngestionDelay, MinQueryStep)
			}
			return invalid("Scenario.Policy %q: Resolution() = %v: no allowed period (10s, 20s, 30s, n·60s) divides both it and Period = %v", s.Policy.Name(), r, s.Period)
		}
	}
	switch s.Resolution {
	case Auto, PerRequest:
	case Bucketed:
		if why := needsPerRequest(&s); why != "" {
			return invalid("Scenario.Resolution = bucket: %s (use Auto or PerRequest)", why)
		}
	default:
		return invalid("Scenario.Resolution = %d: must be Auto, PerRequest or Bucketed", s.Resolution)
	}
	return s.validateCost(sched)
}

const maxKinds = 64

func kindWeightSum(kinds []Kind) float64 {
	sum := 0.0
	for _, k := range kinds {
		sum += k.Weight
	}
	return sum
}

// isNil reports whether x is nil or an interface holding a nil pointer, map,
// func or channel, whose methods would panic. A nil slice is not nil here:
// its methods see an empty slice (a nil strategy.Steps is a valid strategy
// that promotes at once).
func isNil(x any) bool {
	if x == nil {
		return true
	}
	switch v := reflect.ValueOf(x); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Interface, reflect.Chan:
		return v.IsNil()
	}
	return false
}

func (s Scenario) validateFault() error {
	f := s.Fault
	if err := prob("Fault.ErrorProb", f.ErrorProb); err != nil {
		return err
	}
	if !(f.LatencyFactor >= 0) || math.IsInf(f.LatencyFactor, 1) {
		return invalid("Scenario.Fault.LatencyFactor = %v: must be finite and >= 0 (0: unchanged)", f.LatencyFactor)
	}
	if f.OnsetAt < 0 {
		return invalid("Scenario.Fault.OnsetAt = %v: must be >= 0", f.OnsetAt)
	}
	if f.OnsetAfter < 0 {
		return invalid("Scenario.Fault.OnsetAfter = %d: must be >= 0", f.OnsetAfter)
	}
	for i, name := range f.Kinds {
		if kindIndex(s.Kinds, name) < 0 {
			return invalid("Scenario.Fault.Kinds[%d] = %q: must name one of Scenario.Kinds", i, name)
		}
	}
	return nil
}

// kindIndex is the index of the kind named name, -1 if none. With no kinds
// declared there is one unnamed kind, index 0, named "".
func kindIndex(kinds []Kind, name string) int {
	if len(kinds) == 0 && name == "" {
		return 0
	}
	for i, k := range kinds {
		if k.Name == name {
			return i
		}
	}
	return -1
}
