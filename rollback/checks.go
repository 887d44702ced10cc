package rollback

import (
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/deploysim/deploysim/metrics"
)

// Verdict is the outcome of one check over one interval of data.
type Verdict uint8

const (
	Pass   Verdict = iota // the data satisfy the check
	Fail                  // the data break it
	NoData                // too few samples to judge
)

var verdictNames = [...]string{"pass", "fail", "no-data"}

// String returns "pass", "fail" or "no-data".
func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", v)
}

// NoDataAction says what a check with no data counts as. Users of Argo
// Rollouts and Flagger keep hitting both failure modes (docs/model.md):
// a low-traffic canary rolled back for lack of data, or passed because
// missing data read as 0. The zero value is Flagger's behaviour.
type NoDataAction uint8

const (
	// NoDataFail counts a check with no data as failed (Flagger: "a query
	// that returns no data counts as a failed check").
	NoDataFail NoDataAction = iota
	// NoDataPass counts it as passed (providers that return 0 or NaN).
	NoDataPass
	// NoDataHold counts it as neither; a policy that judges windows of
	// fresh data keeps growing the window until it has enough.
	NoDataHold
	numNoData
)

var noDataNames = [...]string{"fail", "pass", "hold"}

// String returns "fail", "pass" or "hold".
func (a NoDataAction) String() string {
	if a < numNoData {
		return noDataNames[a]
	}
	return fmt.Sprintf("NoDataAction(%d)", a)
}

// ParseNoDataAction reads "fail", "pass" or "hold".
func ParseNoDataAction(s string) (NoDataAction, error) {
	for i, n := range noDataNames {
		if n == s {
			return NoDataAction(i), nil
		}
	}
	return 0, fmt.Errorf("rollback: NoData = %q: must be fail, pass or hold", s)
}

// Check is one analysis measurement judged over a window of base periods, as
// Flagger's and Argo's metric checks are. Like a Policy it is an immutable
// value; NewJudge makes the per-run buffers.
type Check interface {
	Name() string
	Validate() error
	// Resolution is the finest metric period the check reads (0: any).
	Resolution() time.Duration
	NewJudge() Judge
}

// Judge is the per-run state of a Check.
type Judge interface {
	// Judge judges the base periods [from, to) of s.
	Judge(s *metrics.Series, from, to int) Verdict
	// Explain describes the last judgement (called when it matters; it may allocate).
	Explain() string
}

// MetricCheck is a fixed-threshold check on one version, like Flagger's
// built-in request-success-rate and request-duration checks: the statistic
// of the metric over the whole window fails the check when it breaches the
// threshold. Flagger's "request-success-rate >= 99 %" is
// MetricCheck{Metric: ErrorRate, Comparison: GreaterThanThreshold, Threshold: 0.01}.
type MetricCheck struct {
	ID         string
	Metric     metrics.Metric
	Dimension  metrics.Dimension
	Statistic  metrics.Statistic // ignored for ErrorRate
	Comparison Comparison        // the window fails when value Comparison Threshold
	Threshold  float64
	// MinInvocations: a window with fewer invocations on the dimension has
	// no data (0: no data only when the metric has no sample at all).
	MinInvocations float64
	// Window is the query's range (a PromQL range vector such as [1m], a
	// Flagger metric's interval): at each check the policy judges the data
	// of [t − delay − Window, t − delay) (see Window). 0: the policy's
	// interval.
	Window time.Duration
}

// Name returns ID.
func (c MetricCheck) Name() string { return c.ID }

// Validate reports a bad setting.
func (c MetricCheck) Validate() error {
	owner := fmt.Sprintf("MetricCheck %q", c.ID)
	if c.ID == "" {
		return &ConfigError{Owner: "MetricCheck", Field: "ID", Value: `""`, Rule: "must not be empty"}
	}
	if _, err := metrics.ParseMetric(c.Metric.String()); err != nil {
		return &ConfigError{Owner: owner, Field: "Metric", Value: c.Metric.String(), Rule: "must be one of Invocations, Errors, Throttles, Duration, ConcurrentExecutions, ErrorRate"}
	}
	if c.Dimension >= metrics.NumDimensions {
		return &ConfigError{Owner: owner, Field: "Dimension", Value: c.Dimension.String(), Rule: "must be alias, candidate or baseline"}
	}
	if c.Statistic.Kind > metrics.Percentile || (c.Statistic.Kind == metrics.Percentile && !(c.Statistic.P >= 0 && c.Statistic.P <= 100)) {
		return &ConfigError{Owner: owner, Field: "Statistic", Value: c.Statistic.String(), Rule: "must be Sum, SampleCount, Average, Minimum, Maximum or a percentile p0..p100"}
	}
	if c.Comparison >= numComparisons {
		return &ConfigError{Owner: owner, Field: "Comparison", Value: c.Comparison.String(), Rule: "must be one of the four CloudWatch operators"}
	}
	if math.IsNaN(c.Threshold) || math.IsInf(c.Threshold, 0) || c.Threshold < 0 {
		return &ConfigError{Owner: owner, Field: "Threshold", Value: fmt.Sprint(c.Threshold), Rule: "must be a finite number >= 0"}
	}
	if c.Metric == metrics.ErrorRate && c.Threshold > 1 {
		return &ConfigError{Owner: owner, Field: "Threshold", Value: fmt.Sprint(c.Threshold), Rule: "must be <= 1: ErrorRate is a fraction"}
	}
	if !(c.MinInvocations >= 0) || math.IsInf(c.MinInvocations, 0) {
		return &ConfigError{Owner: owner, Field: "MinInvocations", Value: fmt.Sprint(c.MinInvocations), Rule: "must be a finite number >= 0"}
	}
	if c.Window < 0 {
		return &ConfigError{Owner: owner, Field: "Window", Value: c.Window.String(), Rule: "must be >= 0"}
	}
	return nil
}

// Resolution is Window: the periods the engine publishes divide it, so that
// a window is whole periods (0: any resolution).
func (c MetricCheck) Resolution() time.Duration { return c.Window }

// window is the range check c reads at each evaluation of a policy that
// checks every interval: its own Window, or the interval.
func window(c Check, interval time.Duration) time.Duration {
	if m, ok := c.(MetricCheck); ok && m.Window > 0 {
		return m.Window
	}
	if m, ok := c.(*MetricCheck); ok && m != nil && m.Window > 0 {
		return m.Window
	}
	return interval
}

// NewJudge returns the per-run state.
func (c MetricCheck) NewJudge() Judge { return &metricJudge{c: c} }

type metricJudge struct {
	c       MetricCheck
	agg     metrics.VersionStats
	value   float64
	verdict Verdict
}

func (j *metricJudge) Judge(s *metrics.Series, from, to int) Verdict {
	s.Aggregate(j.c.Dimension, from, to, &j.agg)
	v, ok := j.agg.Value(j.c.Metric, j.c.Statistic)
	j.value = v
	switch {
	case !ok || math.IsNaN(v) || j.agg.Invocations < j.c.MinInvocations:
		j.verdict = NoData
	case j.c.Comparison.Breaches(v, j.c.Threshold):
		j.verdict = Fail
	default:
		j.verdict = Pass
	}
	return j.verdict
}

func (j *metricJudge) Explain() string {
	if j.verdict == NoData {
		return fmt.Sprintf("%s: no data (%g invocations)", j.c.ID, j.agg.Invocations)
	}
	return fmt.Sprintf("%s: %s %s of %s = %.4g %s %g", j.c.ID, j.c.Statistic, j.c.Metric, j.c.Dimension, j.value, j.c.Comparison.Symbol(), j.c.Threshold)
}

// FailedChecks is Flagger's canary analysis as its scheduler runs it
// (fluxcd/flagger, pkg/controller/scheduler.go, advanceCanary; docs/model.md,
// "Flagger"). Every Interval, at a tick:
//
//  1. if the failed-checks counter has reached Threshold, the canary is
//     rolled back, before any check runs: the rollback comes one interval
//     after the failing check that reached the threshold, at
//     (Threshold + 1) × Interval for a canary failing from the first check
//     (Flagger's documentation says Interval × Threshold);
//  2. otherwise each check judges its window of data (the one window rule,
//     see Window: the check's Window, or Interval, ending at the tick less
//     the pipeline's delay); if any fails the counter goes up by one and,
//     with a Progression, the weight is held; no passing tick resets the
//     counter;
//  3. with a Progression, a passing tick advances the canary (next weight,
//     or next iteration) and the passing tick at the last weight promotes.
//
// A check with no data counts per NoData (Flagger: failed). Without a
// Progression the policy only counts (the strategy's schedule moves the
// traffic); with one it is a Driver.
type FailedChecks struct {
	Threshold int           // failed checks before rollback (analysis.threshold)
	Interval  time.Duration // time between checks (analysis.interval)
	NoData    NoDataAction
	Checks    []Check
	// Progression is how the checks move the traffic (zero: they do not).
	Progression Progression
}

// Progression is how Flagger's checks move the traffic (scheduler.go:
// runCanary, runAB, runBlueGreen, nextStepWeight). The weight at the start
// is the strategy's first step (Flagger's first tick, which sets the first
// weight without a check); then:
//
//   - canary (Weights): each passing tick moves to the next weight, and the
//     passing tick at the last weight (maxWeight) promotes, so that with
//     every check passing promotion comes at len(Weights) × Interval
//     (Flagger's interval × maxWeight/stepWeight), and each failed check
//     adds an interval;
//   - A/B testing (Iterations, not BlueGreen): the matched requests go to
//     the canary for Iterations ticks and the next tick promotes;
//   - blue/green (Iterations, BlueGreen): Iterations ticks on the canary
//     without customer traffic, then a tick that routes all the traffic to
//     it, and a passing check on that traffic promotes.
//
// During the iterations the checks read traffic the simulator does not
// generate (a load test, or matched requests of unknown share), so they are
// not run and count as passed; the blue/green check on customer traffic is.
type Progression struct {
	// Weights are the canary's weights in (0, 1], increasing; the first is
	// the start's (set by the strategy), the last maxWeight.
	Weights []float64
	// Iterations is analysis.iterations (A/B testing or blue/green), > 0
	// when Weights is empty.
	Iterations int
	// BlueGreen selects blue/green over A/B testing for Iterations.
	BlueGreen bool
}

// Enabled reports whether g moves traffic (not the zero Progression).
func (g Progression) Enabled() bool { return len(g.Weights) > 0 || g.Iterations > 0 }

// Passes is how many passing ticks promote: len(Weights), Iterations for
// A/B testing, Iterations + 1 for blue/green (0 without a progression).
func (g Progression) Passes() int {
	switch {
	case len(g.Weights) > 0:
		return len(g.Weights)
	case g.BlueGreen:
		return g.Iterations + 1
	}
	return g.Iterations
}

func (g Progression) validate() error {
	if len(g.Weights) > 0 && g.Iterations != 0 {
		return &ConfigError{Owner: "FailedChecks.Progression", Field: "Iterations", Value: fmt.Sprint(g.Iterations), Rule: "must be 0 with Weights (canary) or Weights empty (A/B testing, blue/green)"}
	}
	if g.Iterations < 0 {
		return &ConfigError{Owner: "FailedChecks.Progression", Field: "Iterations", Value: fmt.Sprint(g.Iterations), Rule: "must be >= 0"}
	}
	prev := 0.0
	for i, w := range g.Weights {
		if !(w > prev && w <= 1) {
			return &ConfigError{Owner: "FailedChecks.Progression", Field: fmt.Sprintf("Weights[%d]", i), Value: fmt.Sprint(w), Rule: "must increase within (0, 1]"}
		}
		prev = w
	}
	return nil
}

// Name is "failedChecks(a,b)".
func (p FailedChecks) Name() string { return "failedChecks(" + checkNames(p.Checks) + ")" }

// DrivesTraffic reports whether the checks move the traffic (a Progression).
func (p FailedChecks) DrivesTraffic() bool { return p.Progression.Enabled() }

// QueriesRanges is true: Flagger's checks are Prometheus range queries.
func (p FailedChecks) QueriesRanges() bool { return true }

func checkNames(cs []Check) string {
	s := ""
	for i, c := range cs {
		if i > 0 {
			s += ","
		}
		if isNilRef(c) {
			s += "nil" // Validate names it; Name must not panic first
			continue
		}
		s += c.Name()
	}
	return s
}

// Validate reports a bad setting.
func (p FailedChecks) Validate() error {
	if p.Threshold < 1 {
		return &ConfigError{Owner: "FailedChecks", Field: "Threshold", Value: fmt.Sprint(p.Threshold), Rule: "must be >= 1"}
	}
	if err := p.Progression.validate(); err != nil {
		return err
	}
	return validateChecks("FailedChecks", p.Interval, p.NoData, p.Checks)
}

func validateChecks(owner string, interval time.Duration, nd NoDataAction, cs []Check) error {
	if interval <= 0 {
		return &ConfigError{Owner: owner, Field: "Interval", Value: interval.String(), Rule: "must be > 0"}
	}
	if nd >= numNoData {
		return &ConfigError{Owner: owner, Field: "NoData", Value: nd.String(), Rule: "must be fail, pass or hold"}
	}
	if len(cs) == 0 {
		return &ConfigError{Owner: owner, Field: "Checks", Value: "[]", Rule: "must list at least one check"}
	}
	for i, c := range cs {
		if isNilRef(c) {
			v := "nil"
			if c != nil {
				v = fmt.Sprintf("(%T)(nil)", c)
			}
			return &ConfigError{Owner: owner, Field: fmt.Sprintf("Checks[%d]", i), Value: v, Rule: "must be a check"}
		}
		if err := c.Validate(); err != nil {
			return err
		}
		if _, ranged := c.(MetricCheck); ranged {
			continue // a range query reads any window at any instant
		}
		if r := c.Resolution(); r > 0 && interval%r != 0 {
			return &ConfigError{Owner: owner, Field: "Interval", Value: interval.String(), Rule: fmt.Sprintf("must be a multiple of check %s's resolution (%v)", c.Name(), r)}
		}
	}
	return nil
}

// Resolution is the gcd of the interval and the checks' resolutions
// (their windows).
func (p FailedChecks) Resolution() time.Duration { return checksResolution(p.Interval, p.Checks) }

func checksResolution(interval time.Duration, cs []Check) time.Duration {
	g := interval
	for _, c := range cs {
		g = gcd(g, c.Resolution())
	}
	return g
}

// Start returns the per-run state.
func (p FailedChecks) Start() Monitor {
	m := &failedChecksMonitor{p: p, judges: make([]Judge, len(p.Checks)), iter: 1}
	for i, c := range p.Checks {
		m.judges[i] = c.NewJudge()
	}
	return m
}

type failedChecksMonitor struct {
	p        FailedChecks
	judges   []Judge
	failures int
	last     int    // index of the check that failed last
	lastWhy  string // its explanation
	lastAt   time.Duration
	step     int  // index in Progression.Weights of the current weight
	iter     int  // Flagger's status.iterations (A/B, blue/green)
	switched bool // blue/green: all the traffic is on the canary
	done     bool // promoted
}

func (m *failedChecksMonitor) Next(t time.Duration) time.Duration {
	return nextTick(t, m.p.Interval, 0)
}

func (m *failedChecksMonitor) Evaluate(obs Observation) Decision {
	if m.done {
		return Decision{}
	}
	// Flagger checks the counter at the start of a tick, before the
	// tick's checks run (scheduler.go, advanceCanary).
	if m.failures >= m.p.Threshold {
		return Decision{Rollback: true, Alarm: m.p.Checks[m.last].Name(),
			Reason: fmt.Sprintf("%d failed checks (threshold %d) at %v, rolled back at the next tick; last: %s", m.failures, m.p.Threshold, m.lastAt, m.lastWhy)}
	}
	g := &m.p.Progression
	if g.Iterations > 0 && !m.switched {
		// The iterations' checks read traffic that is not simulated.
		switch {
		case m.iter < g.Iterations:
			m.iter++
			return Decision{}
		case g.BlueGreen:
			m.switched = true
			return Decision{SetWeight: true, Weight: 1}
		}
		m.done = true
		return Decision{Promote: true}
	}
	if m.check(obs) {
		m.failures++
		m.lastAt = obs.Now
		return Decision{} // the weight is held
	}
	switch {
	case !g.Enabled():
		return Decision{}
	case m.step+1 < len(g.Weights):
		m.step++
		return Decision{SetWeight: true, Weight: g.Weights[m.step]}
	}
	m.done = true
	return Decision{Promote: true}
}

// check runs every check on its window and reports whether one failed.
func (m *failedChecksMonitor) check(obs Observation) (failed bool) {
	if obs.Series == nil {
		return false
	}
	for i, j := range m.judges {
		from, to := Window(obs, window(m.p.Checks[i], m.p.Interval))
		v := j.Judge(obs.Series, from, to)
		if v == NoData {
			switch m.p.NoData {
			case NoDataFail:
				v = Fail
			case NoDataPass:
				v = Pass
			}
		}
		if v == Fail && !failed {
			failed = true
			m.last, m.lastWhy = i, j.Explain()
		}
	}
	return failed
}

// Analysis is an Argo Rollouts background AnalysisRun (docs/model.md, "Argo
// Rollouts"): every Interval after InitialDelay each metric (Check) is
// measured by its range query, the one window rule (see Window: the check's
// Window, or Interval, ending at the measurement less the pipeline's delay).
// A metric fails when its failed measurements exceed FailureLimit (strictly
// greater; a negative limit disables failing), and errors when its
// consecutive measurements with no data exceed ConsecutiveErrorLimit (a query
// that returns nothing is an error in Argo, not a failed value); either
// aborts the rollout. Inconclusive measurements, which pause a rollout for a
// human, are not modelled. ArgoAnalysis sets Argo's defaults.
type Analysis struct {
	Interval              time.Duration
	InitialDelay          time.Duration
	FailureLimit          int // Argo's default 0
	ConsecutiveErrorLimit int // Argo's default 4
	Checks                []Check
}

// ArgoAnalysis returns an Analysis with Argo Rollouts' defaults:
// failureLimit 0, consecutiveErrorLimit 4, no initial delay.
func ArgoAnalysis(interval time.Duration, checks ...Check) Analysis {
	return Analysis{Interval: interval, FailureLimit: 0, ConsecutiveErrorLimit: 4, Checks: checks}
}

// QueriesRanges is true: Argo's metrics are Prometheus range queries.
func (p Analysis) QueriesRanges() bool { return true }

// Name is "analysis(a,b)".
func (p Analysis) Name() string { return "analysis(" + checkNames(p.Checks) + ")" }

// Validate reports a bad setting.
func (p Analysis) Validate() error {
	if p.InitialDelay < 0 {
		return &ConfigError{Owner: "Analysis", Field: "InitialDelay", Value: p.InitialDelay.String(), Rule: "must be >= 0"}
	}
	if p.ConsecutiveErrorLimit < 0 {
		return &ConfigError{Owner: "Analysis", Field: "ConsecutiveErrorLimit", Value: fmt.Sprint(p.ConsecutiveErrorLimit), Rule: "must be >= 0"}
	}
	return validateChecks("Analysis", p.Interval, NoDataFail, p.Checks)
}

// Resolution is the gcd of the interval and the checks' resolutions.
func (p Analysis) Resolution() time.Duration { return checksResolution(p.Interval, p.Checks) }

// Start returns the per-run state.
func (p Analysis) Start() Monitor {
	m := &analysisMonitor{p: p, judges: make([]Judge, len(p.Checks)), failed: make([]int, len(p.Checks)), errs: make([]int, len(p.Checks))}
	for i, c := range p.Checks {
		m.judges[i] = c.NewJudge()
	}
	return m
}

type analysisMonitor struct {
	p      Analysis
	judges []Judge
	failed []int // failed measurements per metric
	errs   []int // consecutive no-data measurements per metric
}

func (m *analysisMonitor) Next(t time.Duration) time.Duration {
	return nextTick(t, m.p.Interval, m.p.InitialDelay)
}

func (m *analysisMonitor) Evaluate(obs Observation) Decision {
	if obs.Series == nil || obs.Now < m.p.InitialDelay {
		return Decision{}
	}
	for i, j := range m.judges {
		from, to := Window(obs, window(m.p.Checks[i], m.p.Interval))
		switch j.Judge(obs.Series, from, to) {
		case NoData:
			m.errs[i]++
			if m.errs[i] > m.p.ConsecutiveErrorLimit {
				return Decision{Rollback: true, Alarm: m.p.Checks[i].Name(),
					Reason: fmt.Sprintf("metric %s errored: %d consecutive measurements without data (limit %d)", m.p.Checks[i].Name(), m.errs[i], m.p.ConsecutiveErrorLimit)}
			}
		case Fail:
			m.errs[i] = 0
			m.failed[i]++
			if m.p.FailureLimit >= 0 && m.failed[i] > m.p.FailureLimit {
				return Decision{Rollback: true, Alarm: m.p.Checks[i].Name(),
					Reason: fmt.Sprintf("metric %s failed %d times (failureLimit %d); last: %s", m.p.Checks[i].Name(), m.failed[i], m.p.FailureLimit, j.Explain())}
			}
		default:
			m.errs[i] = 0
		}
	}
	return Decision{}
}

// AnyOf returns a policy that rolls back as soon as any of ps does; each
// keeps its own cadence. Its decision is the first one's, in ps order when
// several fire at the same instant.
func AnyOf(ps ...Policy) Policy { return anyOf(ps) }

type anyOf []Policy

func (p anyOf) Name() string {
	s := "anyOf("
	for i, q := range p {
		if i > 0 {
			s += ","
		}
		if isNilPolicy(q) {
			s += "nil" // Validate names it; Name must not panic first
			continue
		}
		s += q.Name()
	}
	return s + ")"
}

// isNilPolicy reports whether q is nil or holds a nil pointer (or other nil
// reference), whose methods would panic: AnyOf(nil) or AnyOf((*Alarms)(nil)).
func isNilPolicy(q Policy) bool { return isNilRef(q) }

// isNilRef reports whether x is nil or an interface holding a nil pointer,
// map, func or channel (a nil slice's methods see an empty slice).
func isNilRef(x any) bool {
	if x == nil {
		return true
	}
	switch v := reflect.ValueOf(x); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Interface, reflect.Chan:
		return v.IsNil()
	}
	return false
}

func (p anyOf) Validate() error {
	if len(p) == 0 {
		return &ConfigError{Owner: "AnyOf", Field: "policies", Value: "[]", Rule: "must list at least one policy"}
	}
	for i, q := range p {
		if isNilPolicy(q) {
			v := "nil"
			if q != nil {
				v = fmt.Sprintf("(%T)(nil)", q)
			}
			return &ConfigError{Owner: "AnyOf", Field: fmt.Sprintf("policies[%d]", i), Value: v, Rule: "must be a policy"}
		}
		if err := q.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Resolution is the gcd of the policies' non-zero resolutions.
func (p anyOf) Resolution() time.Duration {
	var g time.Duration
	for _, q := range p {
		g = gcd(g, q.Resolution())
	}
	return g
}

func (p anyOf) Start() Monitor {
	m := &anyOfMonitor{ms: make([]Monitor, len(p)), due: make([]time.Duration, len(p))}
	for i, q := range p {
		m.ms[i] = q.Start()
		m.due[i] = -1
	}
	return m
}

type anyOfMonitor struct {
	ms  []Monitor
	due []time.Duration // each monitor's next instant, as of the last Next
}

func (m *anyOfMonitor) Next(t time.Duration) time.Duration {
	next := time.Duration(-1)
	for i, c := range m.ms {
		m.due[i] = c.Next(t)
		if next < 0 || m.due[i] < next {
			next = m.due[i]
		}
	}
	return next
}

func (m *anyOfMonitor) Evaluate(obs Observation) Decision {
	for i, c := range m.ms {
		if m.due[i] >= 0 && m.due[i] > obs.Now {
			continue
		}
		if d := c.Evaluate(obs); d.Rollback {
			return d
		}
	}
	return Decision{}
}
