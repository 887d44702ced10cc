package deploysim

import (
	"math"
	"sync"
	"testing"

	"github.com/deploysim/deploysim/internal/seed"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// presetOffsets remembers, per preset, how many iterations earlier calls of
// its benchmark function used, so that each call draws fresh seeds: the
// testing package calls a benchmark several times (b.N = 1, then larger,
// then once more per -count), and benchstat needs the -count repetitions to
// be independent samples, not replays of the same seeds. The sequence of
// seeds is still fixed by the command line: with -benchtime=Nx every b.N is
// known in advance and the figures are reproducible to the last digit.
var presetOffsets = struct {
	sync.Mutex
	next map[string]uint64
}{next: map[string]uint64{}}

func seedOffset(name string, n int) uint64 {
	presetOffsets.Lock()
	defer presetOffsets.Unlock()
	off := presetOffsets.next[name]
	presetOffsets.next[name] = off + uint64(n)
	return off
}

// BenchmarkPresets compares the Lambda presets the way Go users compare
// code: go test -run '^$' -bench Presets -count 10 . | benchstat -
//
// One iteration is what Compare and Estimate do for one run index: it
// simulates the deployment of DefaultScenario's bad candidate (5 % extra
// errors, 100 req/s, error-rate alarm, 2 h window) and of its healthy twin
// (DefaultScenario().Twin()), both with the iteration's seed (derived
// from DefaultSeed and a per-preset iteration count, as sim.RunSeed does),
// and adds both runs to one metrics.Summary, whose figures are read over
// the runs they are about (metrics.Figure.Population). ns/op is the cost of
// simulating that pair. The domain figures, per iteration:
//
//   - failed-req/op: requests the bad candidate failed (errors and timeouts)
//     within the window;
//   - users-hit/op: distinct users (of 10,000, Zipf) who saw one of them;
//   - detect-s/op: seconds from the fault's onset to the rollback decision,
//     averaged over the iterations whose fault was detected (not reported
//     when none was: AllAtOnce completes before any alarm can fire);
//   - rollback-s/op: seconds from the onset to the weight back at 0, over
//     the iterations rolled back (likewise);
//   - deploy-s/op: seconds the healthy candidate took to reach 100 %, over
//     the iterations that were not falsely rolled back;
//   - false-rollback/op: the fraction of iterations whose healthy candidate
//     was rolled back anyway (a rate in [0, 1]).
//
// These are the means Compare(ctx, DefaultScenario(), nil, runs) prints in
// its rows, over other seeds; this harness exists so that benchstat's tables
// and significance tests apply to strategies.
func BenchmarkPresets(b *testing.B) {
	for _, s := range strategy.LambdaPresets() {
		b.Run(s.Name(), func(b *testing.B) {
			bad := DefaultScenario()
			bad.Strategy = s
			healthy := bad.Twin()
			if err := bad.Validate(); err != nil {
				b.Fatal(err)
			}
			off := seedOffset(s.Name(), b.N)
			var (
				sum    metrics.Summary
				rn, hr sim.Runner
			)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sd := seed.Derive(DefaultSeed, off+uint64(i))
				bad.Seed, healthy.Seed = sd, sd
				r, err := rn.Run(bad)
				if err != nil {
					b.Fatal(err)
				}
				sum.Add(&r)
				h, err := hr.Run(healthy)
				if err != nil {
					b.Fatal(err)
				}
				sum.Add(&h)
			}
			report := func(f metrics.Figure, unit string) {
				if v := sum.Value(f); !math.IsNaN(v) {
					b.ReportMetric(v, unit)
				}
			}
			report(metrics.CandidateFailures, "failed-req/op")
			report(metrics.UsersHit, "users-hit/op")
			report(metrics.TimeToDetect, "detect-s/op")
			report(metrics.TimeToRollback, "rollback-s/op")
			report(metrics.DeployDuration, "deploy-s/op")
			report(metrics.FalseRollbackRate, "false-rollback/op")
		})
	}
}

// BenchmarkCompare measures the one-call comparison itself: every Lambda
// preset, 20 runs each of DefaultScenario and of its healthy twin.
func BenchmarkCompare(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Compare(b.Context(), DefaultScenario(), nil, 20); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompareCLI is the comparison the issue-14 target names
// (deploysim compare --rps 10000 --error-rate 0.01 --horizon 2h): every
// Lambda preset, 100 runs each of the bad scenario and of its healthy twin,
// so one op is 1,800 bucketed runs; ns/op divided by 1,800 is the cost of
// a run as users run them (users hit, an alarm, the twin).
func BenchmarkCompareCLI(b *testing.B) {
	sc := DefaultScenario()
	sc.Workload = sim.Poisson{Rate: 10000}
	sc.Fault = sim.Fault{ErrorProb: 0.01}
	sc.Seed = 3
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(b.Context(), sc, nil, 100); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1800/1e3, "µs/run")
}
