package scenario

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// ResolveStrategies parses the strategy names (strategy.Parse); an empty
// list means every Lambda preset.
func (c *File) ResolveStrategies() ([]strategy.Strategy, error) {
	if len(c.Strategies) == 0 {
		return strategy.LambdaPresets(), nil
	}
	out := make([]strategy.Strategy, 0, len(c.Strategies))
	for _, n := range c.Strategies {
		s, err := strategy.Parse(n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name("strategies"), err)
		}
		out = append(out, s)
	}
	return out, nil
}

// Fill replaces the implicit values by explicit ones (the strategy list ss
// resolved from the names, each alarm's defaults) so that the file, written
// back, reproduces the run by itself.
func (c *File) Fill(ss []strategy.Strategy) {
	c.Strategies = make([]string, len(ss))
	for i, s := range ss {
		c.Strategies[i] = s.String()
	}
	for i := range c.Alarms {
		c.Alarms[i].Fill(i)
	}
	if c.Alarms == nil {
		c.Alarms = []Alarm{}
	}
}

// Validate checks every setting, naming the field (and its file) or, for a
// setting marked with SetFlag, the command-line flag, with the value and
// the rule it breaks. sim.Scenario.Validate checks the rest again when
// Scenario builds it.
func (c *File) Validate() error {
	finite := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
	prob := func(key string, v float64) error {
		if !(v >= 0 && v <= 1) {
			return c.bad(key, v, "must be in [0, 1]")
		}
		return nil
	}
	if !(c.RPS >= 0) || !finite(c.RPS) {
		return c.bad("rps", c.RPS, "must be a finite number >= 0")
	}
	if err := prob("error_rate", c.ErrorRate); err != nil {
		return err
	}
	if err := prob("baseline_error_rate", c.BaselineErrorRate); err != nil {
		return err
	}
	if c.FaultOnset < 0 {
		return c.bad("fault_onset", c.FaultOnset, "must be >= 0")
	}
	if c.LatencyP50 <= 0 {
		return c.bad("latency_p50", c.LatencyP50, "must be > 0")
	}
	if c.LatencyP99 < c.LatencyP50 {
		return c.bad("latency_p99", c.LatencyP99, fmt.Sprintf("must be >= latency_p50 (%v)", c.LatencyP50))
	}
	if !(c.LatencyRegression > 0) || !finite(c.LatencyRegression) {
		return c.bad("latency_regression", c.LatencyRegression, "must be a finite factor > 0 (1: no regression)")
	}
	if c.Timeout < 0 {
		return c.bad("timeout", c.Timeout, "must be >= 0 (0: no timeout)")
	}
	if c.ConcurrencyLimit < 0 {
		return c.bad("concurrency_limit", c.ConcurrencyLimit, "must be >= 0 (0: no limit)")
	}
	if c.ConcurrencyLimit > MaxConcurrencyLimit {
		return c.bad("concurrency_limit", c.ConcurrencyLimit, fmt.Sprintf("must be at most %d (an account's concurrency quota is far lower)", MaxConcurrencyLimit))
	}
	switch c.EventModel {
	case "sync", "async", "queue":
	default:
		return c.bad("event_model", fmt.Sprintf("%q", c.EventModel), "must be sync, async or queue")
	}
	if c.BatchSize < 1 || c.BatchSize > sim.MaxBatchSize {
		return c.bad("batch_size", c.BatchSize, fmt.Sprintf("must be in [1, %d]", sim.MaxBatchSize))
	}
	if c.BatchingWindow < 0 || time.Duration(c.BatchingWindow) > sim.MaxBatchWindow {
		return c.bad("batching_window", c.BatchingWindow, fmt.Sprintf("must be in [0, %v] (MaximumBatchingWindowInSeconds)", sim.MaxBatchWindow))
	}
	if c.MaxConcurrency != 0 && (c.MaxConcurrency < 2 || c.MaxConcurrency > sim.MaxPollers) {
		return c.bad("max_concurrency", c.MaxConcurrency, fmt.Sprintf("must be 0 (none) or in [2, %d] (ScalingConfig.MaximumConcurrency)", sim.MaxPollers))
	}
	for _, h := range []struct {
		name  string
		d     Duration
		catch float64
	}{{"pre_traffic", c.PreTrafficHook, c.PreTrafficCatch}, {"post_traffic", c.PostTrafficHook, c.PostTrafficCatch}} {
		if h.d < 0 || time.Duration(h.d) > sim.MaxHookDuration {
			return c.bad(h.name+"_hook", h.d, "must be in [0, 1h] (CodeDeploy fails a hook after 1 hour; 0: no hook)")
		}
		if err := prob(h.name+"_catch", h.catch); err != nil {
			return err
		}
	}
	if c.Users < 0 {
		return c.bad("users", c.Users, "must be >= 0 (0: users not modelled)")
	}
	if !(c.UsersExponent >= 0) || !finite(c.UsersExponent) {
		return c.bad("users_exponent", c.UsersExponent, "must be a finite number >= 0")
	}
	if c.Runs < 1 || c.Runs > MaxRuns {
		return c.bad("runs", c.Runs, fmt.Sprintf("must be in [1, %d]", MaxRuns))
	}
	if c.Horizon < 0 {
		return c.bad("horizon", c.Horizon, "must be >= 0 (0: the run ends with the deployment)")
	}
	if _, err := parseResolution(c.Resolution); err != nil {
		return c.bad("resolution", fmt.Sprintf("%q", c.Resolution), err.Error())
	}
	if c.IngestionDelay < 0 {
		return c.bad("ingestion_delay", c.IngestionDelay, "must be >= 0")
	}
	if c.EvaluationInterval < 0 {
		return c.bad("evaluation_interval", c.EvaluationInterval, "must be >= 0 (0: the policy's own cadence)")
	}
	if c.PollInterval < 0 {
		return c.bad("poll_interval", c.PollInterval, "must be >= 0 (0: right after every alarm evaluation)")
	}
	if c.RollbackLatency < 0 {
		return c.bad("rollback_latency", c.RollbackLatency, "must be >= 0")
	}
	if !(c.CompareConfidence > 0.5 && c.CompareConfidence < 1) {
		return c.bad("compare_confidence", c.CompareConfidence, "must be in (0.5, 1)")
	}
	if !(c.SequentialAlpha > 0 && c.SequentialAlpha < 1) {
		return c.bad("sequential_alpha", c.SequentialAlpha, "must be in (0, 1)")
	}
	switch c.Policy {
	case "none", "compare", "sequential", "burnrate":
	case "alarms":
		if len(c.Alarms) == 0 {
			return c.bad("policy", "alarms", "needs at least one --alarm")
		}
		if len(c.Alarms) > rollback.MaxAlarms {
			return c.bad("alarms", len(c.Alarms), fmt.Sprintf("at most %d alarms per deployment group", rollback.MaxAlarms))
		}
	default:
		return c.bad("policy", fmt.Sprintf("%q", c.Policy), "must be none, alarms, compare or sequential (or burnrate)")
	}
	// A policy setting given on the command line for another policy would
	// be silently ignored: refuse it instead.
	polled := "alarms" // CodeDeploy polls alarm states, and burnrate's windows (execution.go)
	if c.Policy == "burnrate" {
		polled = "burnrate"
	}
	for _, kp := range [][2]string{{"alarms", "alarms"}, {"poll_interval", polled}, {"compare_confidence", "compare"}, {"sequential_alpha", "sequential"}} {
		if c.origin.flags[kp[0]] && c.Policy != kp[1] {
			return fmt.Errorf("%s: applies only to --policy %s (the policy is %s)", c.name(kp[0]), kp[1], c.Policy)
		}
	}
	for i := range c.Alarms {
		if _, err := c.Alarms[i].Rollback(i); err != nil {
			return fmt.Errorf("%s[%d]: %w", c.name("alarms"), i, err)
		}
	}
	if !strings.HasPrefix(c.Traffic, "trace:") {
		switch c.Traffic {
		case "poisson", "diurnal", "bursty", "minutes":
		default:
			return c.bad("traffic", fmt.Sprintf("%q", clip(c.Traffic)), "must be poisson, diurnal, bursty or trace:FILE (or minutes, with per_minute)")
		}
	}
	if err := c.validateExecution(); err != nil {
		return err
	}
	return c.validatePolicy()
}

// MaxConcurrencyLimit bounds concurrency_limit: far above any account's
// quota, and low enough that the account limit raised to hold it (the
// limit plus sim.MinUnreserved) cannot overflow.
const MaxConcurrencyLimit = 10_000_000

// MaxRuns bounds runs so that a typo cannot ask for days of work.
const MaxRuns = 10_000_000

// parseResolution reads a resolution name as --resolution spells it.
func parseResolution(s string) (sim.Resolution, error) {
	switch s {
	case "auto":
		return sim.Auto, nil
	case "request":
		return sim.PerRequest, nil
	case "bucket":
		return sim.Bucketed, nil
	}
	return 0, fmt.Errorf("must be auto, request or bucket")
}

// Traffic shapes other than poisson have a mean rate of rps and shape
// parameters the command line fixes (assumptions, not AWS facts):
const (
	diurnalAmplitude = 0.5 // the rate swings ±50 % around the mean
	diurnalPeakHour  = 14  // peak at 14:00
	diurnalStartHour = 10  // the deployment starts at 10:00
	burstFactor      = 5   // bursts run at 5× the normal rate
	burstNormal      = 5 * time.Minute
	burstBurst       = time.Minute
)

// Workload builds the arrival process Traffic names, at mean rate RPS.
func (c *File) Workload() (sim.Workload, error) {
	switch c.Traffic {
	case "poisson":
		return sim.Poisson{Rate: c.RPS}, nil
	case "diurnal":
		return sim.Diurnal{Mean: c.RPS, Amplitude: diurnalAmplitude, PeakHour: diurnalPeakHour, StartHour: diurnalStartHour}, nil
	case "bursty":
		// Stationary mean = Rate·(πn + factor·πb) = rps.
		pn := float64(burstNormal) / float64(burstNormal+burstBurst)
		pb := 1 - pn
		r := c.RPS / (pn + burstFactor*pb)
		return sim.Bursty{Rate: r, BurstRate: burstFactor * r, MeanNormal: burstNormal, MeanBurst: burstBurst}, nil
	case "minutes":
		return c.minutesWorkload(), nil
	}
	if c.trace == nil {
		if err := c.LoadTrace(nil); err != nil {
			return nil, err
		}
	}
	if c.trace == nil {
		// Not a shape and not trace:FILE (a File{} has Traffic ""):
		// Validate's error, since Scenario may be called without it.
		return nil, c.bad("traffic", fmt.Sprintf("%q", clip(c.Traffic)), "must be poisson, diurnal, bursty or trace:FILE")
	}
	return *c.trace, nil
}

// LoadTrace reads the trace Traffic names (trace:FILE) once, so that
// Workload, Scenario and Warnings use it without reading the file again:
// a trace may be a pipe or standard input (trace:-, read from stdin), which
// can be read only once, and a long trace costs its parsing once per
// command rather than once per strategy. Copies of c made after LoadTrace
// share the trace. It does nothing for other traffic shapes.
func (c *File) LoadTrace(stdin io.Reader) error {
	if !strings.HasPrefix(c.Traffic, "trace:") {
		return nil
	}
	path := strings.TrimPrefix(c.Traffic, "trace:")
	var t sim.Trace
	var err error
	switch {
	case path == "":
		return c.bad("traffic", fmt.Sprintf("%q", clip(c.Traffic)), "trace: needs a file name (trace:FILE, or trace:- for standard input)")
	case path == "-":
		if stdin == nil {
			return c.bad("traffic", `"trace:-"`, "no standard input to read the trace from")
		}
		t, err = sim.ParseTrace(stdin, "standard input")
	default:
		t, err = sim.LoadTrace(path)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", c.name("traffic"), err)
	}
	c.trace = &t
	return nil
}

// RollbackPolicy builds the rollback policy Policy names (nil for none).
func (c *File) RollbackPolicy() (rollback.Policy, error) {
	switch c.Policy {
	case "alarms":
		as := make([]rollback.Alarm, len(c.Alarms))
		for i := range c.Alarms {
			a, err := c.Alarms[i].Rollback(i)
			if err != nil {
				return nil, err
			}
			as[i] = a
		}
		p := rollback.CodeDeploy(as...)
		p.EvaluationInterval = time.Duration(c.EvaluationInterval)
		p.PollInterval = time.Duration(c.PollInterval)
		return p, nil
	case "compare":
		iv := time.Duration(c.EvaluationInterval)
		if iv == 0 {
			iv = time.Minute
		}
		return rollback.BaselineComparison{Interval: iv, Confidence: c.CompareConfidence, NoData: rollback.NoDataHold}, nil
	case "sequential":
		return rollback.Sequential{Alpha: c.SequentialAlpha, Interval: time.Duration(c.EvaluationInterval)}, nil
	case "burnrate":
		return c.burnRatePolicy(), nil
	}
	return nil, nil
}

// Scenario builds and validates the simulator's scenario for strategy s. Both versions
// fail BaselineErrorRate of their invocations; the candidate's fault adds
// ErrorRate as an independent cause (1-(1-b)(1-e) in all), so that a
// candidate with a regression is "bad" (ground truth for the detection rate)
// and one without is healthy (its rollbacks are false rollbacks).
func (c *File) Scenario(s strategy.Strategy) (sim.Scenario, error) {
	sc := sim.BaseScenario()
	w, err := c.Workload()
	if err != nil {
		return sc, err
	}
	sc.Workload = w
	sc.Strategy = s
	for _, v := range []*sim.Version{&sc.Baseline, &sc.Candidate} {
		v.ErrorProb = c.BaselineErrorRate
		v.P50 = time.Duration(c.LatencyP50)
		v.P99 = time.Duration(c.LatencyP99)
		v.Timeout = time.Duration(c.Timeout)
	}
	sc.Baseline.Name, sc.Candidate.Name = "baseline", "candidate"
	sc.Fault.ErrorProb = c.ErrorRate
	if c.LatencyRegression != 1 {
		sc.Fault.LatencyFactor = c.LatencyRegression
	}
	sc.Fault.OnsetAt = time.Duration(c.FaultOnset)
	if c.ConcurrencyLimit > 0 {
		// A limit needs the execution model: environments, cold starts,
		// throttles, with the defaults of docs/model.md. The account keeps
		// sim.MinUnreserved unreserved, so its limit is raised above the
		// default 1,000 when the reservation needs it (AWS raises it on
		// request).
		sc.Concurrency = sim.DefaultConcurrency()
		sc.Concurrency.ReservedLimit = c.ConcurrencyLimit
		sc.Concurrency.AccountLimit = max(sc.Concurrency.AccountLimit, c.ConcurrencyLimit+sim.MinUnreserved)
	}
	c.applyExecution(&sc)
	switch c.EventModel {
	case "async":
		sc.EventModel = sim.DefaultAsync()
	case "queue":
		q := sim.DefaultQueue()
		q.BatchSize, q.BatchWindow = c.BatchSize, time.Duration(c.BatchingWindow)
		q.PartialBatchResponse, q.MaxConcurrency = c.PartialBatchResponse, c.MaxConcurrency
		sc.EventModel = q
	}
	sc.PreTraffic = sim.Hook{Duration: time.Duration(c.PreTrafficHook), CatchProb: c.PreTrafficCatch}
	sc.PostTraffic = sim.Hook{Duration: time.Duration(c.PostTrafficHook), CatchProb: c.PostTrafficCatch}
	if c.Users > 0 {
		sc.Users = sim.Users{N: c.Users, Exponent: c.UsersExponent}
	}
	sc.Policy, err = c.RollbackPolicy()
	if err != nil {
		return sc, err
	}
	sc.Horizon = time.Duration(c.Horizon)
	sc.Seed = c.Seed
	sc.IngestionDelay = time.Duration(c.IngestionDelay)
	sc.ActionLatency = time.Duration(c.RollbackLatency)
	sc.Resolution, _ = parseResolution(c.Resolution)
	if err := sc.Validate(); err != nil {
		if sc.Resolution == sim.Bucketed {
			probe := sc
			probe.Resolution = sim.Auto
			if probe.Validate() == nil {
				// The scenario is fine per request: the bucketed engine
				// cannot run it (or does not exist in this build).
				return sc, fmt.Errorf("%s = bucket: %w", c.name("resolution"), err)
			}
		}
		return sc, fmt.Errorf("scenario for %v: %w", s, err)
	}
	return sc, nil
}
