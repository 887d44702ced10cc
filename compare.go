package deploysim

import (
	"context"
	"fmt"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// The built-in comparison's settings, exported so that documentation,
// benchmarks and the command line quote the same numbers.
const (
	// DefaultRate is the default workload: Poisson arrivals at 5 requests
	// per second (300 a minute), a modest function. At this traffic a 10 %
	// canary sees 30 requests a minute, few enough that the choice of
	// strategy changes every figure a user weighs: a short canary can miss
	// the bug, a long one rolls back healthy releases on noise (at 100 req/s
	// every canary is rolled back at the same instant and the rows differ
	// only in duration).
	DefaultRate = 5.0
	// DefaultBaselineErrorProb is the error probability of both versions
	// when healthy: 0.1 %.
	DefaultBaselineErrorProb = 0.001
	// DefaultFaultErrorProb is the bad candidate's regression: an extra 2 %
	// of its invocations fail (2.1 % in all with the 0.1 % they share with
	// the baseline), a bug twenty times the healthy error rate that a
	// minute of canary traffic still often hides.
	DefaultFaultErrorProb = 0.02
	// DefaultAlarmThreshold is the error-rate alarm's threshold: 1 % of the
	// candidate's invocations in a minute.
	DefaultAlarmThreshold = 0.01
	// DefaultHorizon is the window every strategy is measured over: two
	// hours from the start of traffic shifting, longer than the slowest
	// Lambda preset (Linear10PercentEvery10Minutes, 90 minutes), so that
	// every strategy's blast radius is counted over the same window and a
	// missed fault keeps failing requests until the window ends.
	DefaultHorizon = 2 * time.Hour
	// DefaultSeed is the default scenario's base seed.
	DefaultSeed = 1
)

// DefaultAlarm is the default scenario's CloudWatch alarm: the candidate's
// error rate (metric math Errors/Invocations on the ExecutedVersion =
// candidate dimension) >= 1 % over one 60 s period, 1 out of 1, with missing
// data treated as notBreaching (a minute without candidate traffic is fine).
// Its statistic is Sum: the rate is the metric math Sum(Errors) /
// Sum(Invocations) over the period.
//
// A rate rather than an absolute count (Errors Sum >= 5), the common
// first choice: 1 % of the candidate's traffic sits ten times above the
// healthy rate and half the bad one at every weight. At the default 5 req/s
// it is also a noisy alarm: while the candidate serves fewer than 100
// requests a minute, one error is 1 %, so a healthy candidate trips it with
// probability 1-(1-0.001)^n a minute: long schedules are rolled back often.
// That is the point of the default comparison; deploysim recommend finds a
// better alarm.
func DefaultAlarm() rollback.Alarm {
	return rollback.Alarm{
		Name:              "CandidateErrorRate",
		Metric:            metrics.ErrorRate,
		Dimension:         metrics.Candidate,
		Statistic:         metrics.Statistic{Kind: metrics.Sum},
		Period:            time.Minute,
		EvaluationPeriods: 1,
		DatapointsToAlarm: 1,
		Threshold:         DefaultAlarmThreshold,
		Comparison:        rollback.GreaterThanOrEqualToThreshold,
		TreatMissingData:  rollback.TreatNotBreaching,
	}
}

// DefaultScenario is the built-in comparison that Compare's documentation,
// the README's main command, the command line's default and
// BenchmarkPresets use: a bad candidate going out to a Lambda function.
//
//   - Traffic: Poisson arrivals at DefaultRate (5 req/s), one request
//     kind, 10,000 users whose activity follows Zipf's law (exponent 1), so
//     that users hit is counted.
//   - Versions: both fail 0.1 % of invocations (DefaultBaselineErrorProb),
//     with lognormal latency of median 100 ms and p99 500 ms and Lambda's
//     default 3 s timeout (sim.BaseScenario).
//   - Fault: the candidate fails an extra 2 % of invocations from its first
//     request (DefaultFaultErrorProb). Its healthy twin (sim.Scenario.Healthy,
//     HealthyScenario) has none; Compare and Estimate run both.
//   - Policy: CodeDeploy with one alarm, DefaultAlarm, at the documented
//     cadences (docs/model.md): CloudWatch evaluates it every minute and
//     CodeDeploy polls alarm states every minute (rollback.DefaultPollInterval,
//     assumed).
//   - Metric pipeline (docs/model.md; assumed defaults): 60 s periods,
//     60 s ingestion delay, 5 s from the rollback decision to the alias
//     flipped back.
//   - Horizon: DefaultHorizon (2 h). As CodeDeploy watches alarms only while a
//     deployment runs, a fault that survives to 100 % keeps failing until the
//     horizon: AllAtOnce completes at once, so its alarm never gets a chance.
//   - Strategy: none (Compare sets each one); the seed is DefaultSeed.
func DefaultScenario() sim.Scenario {
	sc := sim.BaseScenario()
	sc.Workload = sim.Poisson{Rate: DefaultRate}
	sc.Baseline.ErrorProb = DefaultBaselineErrorProb
	sc.Candidate.ErrorProb = DefaultBaselineErrorProb
	sc.Fault = sim.Fault{ErrorProb: DefaultFaultErrorProb}
	sc.Users = sim.Users{N: 10000, Exponent: 1}
	sc.Policy = rollback.CodeDeploy(DefaultAlarm())
	sc.Horizon = DefaultHorizon
	sc.Seed = DefaultSeed
	return sc
}

// HealthyScenario is DefaultScenario's healthy twin
// (DefaultScenario().Healthy()): the same traffic, versions and alarm, no
// fault, so every rollback it sees is a false rollback. Its Horizon is 0:
// the run ends when the deployment does (at 100 % or after a rollback),
// since nothing after that can roll it back; that also keeps the runs
// short. Its DeployDuration is the time a strategy takes to promote.
// Compare and Estimate already run it alongside DefaultScenario; use it to
// look at the healthy half alone.
func HealthyScenario() sim.Scenario {
	return DefaultScenario().Healthy()
}

// EstimateOptions tunes Estimate. Only FirstRun changes the result.
type EstimateOptions struct {
	// FirstRun is the index of the first run (sim.MonteCarloOptions.FirstRun,
	// for the scenario and for its twin alike): the shards of a sweep that
	// cover [0, n) in disjoint ranges merge into exactly the Summary of one
	// Estimate of n runs. Must be >= 0.
	FirstRun int
	// Workers is the number of goroutines per MonteCarlo; 0 means GOMAXPROCS.
	Workers int
	// Progress, when set, is called after each run with the number of runs
	// done and the total: runs, or 2·runs when the healthy twin is run too
	// (its runs count after the scenario's). Calls come one at a time, from
	// the goroutine that called Estimate (sim.MonteCarloOptions.Progress).
	Progress func(done, total int)
}

// Estimate answers both halves of the question deploysim asks of one
// scenario. It simulates runs deployments of sc (runs FirstRun, …,
// FirstRun+runs-1, sim.MonteCarlo) and, when sc's candidate is bad
// (sc.Fault.Bad()), as many of its healthy twin sc.Twin() (sc.Healthy() without the figures nobody reads from it) with the same
// run indices, and so the same seeds, and returns the merged Summary: it
// holds runs bad runs and runs healthy ones, and each figure is read over
// the runs it is about (metrics.Figure.Population). The bad runs give the
// blast radius (failures, users hit, exposure), DetectionRate and the times
// to detect and to roll back; the healthy ones give FalseRollbackRate and
// DeployDuration, the time a good release takes to reach full weight. With
// a healthy candidate there is nothing to pair: the Summary holds the runs
// of sc alone (runs healthy runs), whose figures are then all read over
// them.
//
// Errors are those of sim.MonteCarlo (a bad scenario or option wraps
// sim.ErrInvalid; cancelling ctx returns ctx.Err()), prefixed with
// "healthy twin" when they come from the twin's runs.
func Estimate(ctx context.Context, sc sim.Scenario, runs int, opts EstimateOptions) (*metrics.Summary, error) {
	twin := sc.Fault.Bad()
	total := runs
	if twin && runs > 0 {
		total = 2 * runs
	}
	mo := sim.MonteCarloOptions{Workers: opts.Workers, FirstRun: opts.FirstRun}
	if opts.Progress != nil {
		mo.Progress = func(done, _ int) { opts.Progress(done, total) }
	}
	sum, err := sim.MonteCarlo(ctx, sc, runs, mo)
	if err != nil || !twin {
		return sum, err
	}
	if opts.Progress != nil {
		mo.Progress = func(done, _ int) { opts.Progress(runs+done, total) }
	}
	healthy, err := sim.MonteCarlo(ctx, sc.Twin(), runs, mo)
	if err != nil {
		return nil, fmt.Errorf("healthy twin: %w", err)
	}
	if err := sum.Merge(healthy); err != nil {
		return nil, fmt.Errorf("healthy twin: %w", err)
	}
	return sum, nil
}

// Compare simulates each strategy on sc with Estimate and returns one row
// per strategy, in the order given, labelled with the strategy's Name. With
// no strategies it compares every Lambda preset of CodeDeploy in the
// CodeDeploy table order (strategy.LambdaPresets: the four canaries, the four
// linears, AllAtOnce). sc's own Strategy is ignored.
//
// Each row answers both halves of the question: when sc's candidate is bad,
// its Summary holds runs runs of sc (blast radius, detection rate, times to
// detect and to roll back) and runs runs of its healthy twin sc.Twin()
// (false-rollback rate, deployment duration), so Summary.Runs is 2·runs;
// with a healthy candidate it holds the runs runs of sc alone.
//
// Every strategy sees the same seeds (run i of each uses the seed derived
// from sc.Seed and i, see sim.MonteCarlo, and so does run i of the twin):
// common random numbers, so that the differences between rows come from the
// strategies more than from the draws. The runs of each strategy are spread
// over GOMAXPROCS workers; the table is the same whatever that number.
//
// A strategy that fails validation, a scenario that does, or runs <= 0 is an
// error naming the strategy or field (wrapping sim.ErrInvalid); cancelling
// ctx returns an error wrapping ctx.Err(), so errors.Is(err,
// context.Canceled) holds.
func Compare(ctx context.Context, sc sim.Scenario, strategies []strategy.Strategy, runs int) (metrics.Table, error) {
	if runs <= 0 {
		return metrics.Table{}, fmt.Errorf("deploysim: Compare runs = %d: must be > 0: %w", runs, sim.ErrInvalid)
	}
	if len(strategies) == 0 {
		strategies = strategy.LambdaPresets()
	}
	var t metrics.Table
	t.Rows = make([]metrics.Row, 0, len(strategies))
	for i, s := range strategies {
		if s == nil {
			return metrics.Table{}, fmt.Errorf("deploysim: Compare strategies[%d] = nil: must be a strategy: %w", i, sim.ErrInvalid)
		}
		sc.Strategy = s
		sum, err := Estimate(ctx, sc, runs, EstimateOptions{})
		if err != nil {
			return metrics.Table{}, fmt.Errorf("deploysim: Compare %s: %w", s.Name(), err)
		}
		t.Add(s.Name(), sum)
	}
	return t, nil
}
