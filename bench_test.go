package deploysim

import (
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
// One iteration simulates the deployment of DefaultScenario's bad candidate
// (5 % extra errors, 100 req/s, error-rate alarm, 2 h window) and of
// HealthyScenario's healthy one, both with the iteration's seed (derived from
// DefaultSeed and a per-preset iteration count). ns/op is the cost of
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
// sim.MonteCarlo and Compare give the same figures with confidence
// intervals; this harness exists so that benchstat's tables and significance
// tests apply to strategies.
func BenchmarkPresets(b *testing.B) {
	for _, s := range strategy.LambdaPresets() {
		b.Run(s.Name(), func(b *testing.B) {
			bad, healthy := DefaultScenario(), HealthyScenario()
			bad.Strategy, healthy.Strategy = s, s
			if err := bad.Validate(); err != nil {
				b.Fatal(err)
			}
			off := seedOffset(s.Name(), b.N)
			var (
				failed, users               float64
				detect, rollback, deploy    float64
				nDetect, nRollback, nDeploy int
				falseRollbacks              int
			)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sd := seed.Derive(DefaultSeed, off+uint64(i))
				bad.Seed, healthy.Seed = sd, sd
				r, err := sim.Run(bad)
				if err != nil {
					b.Fatal(err)
				}
				failed += float64(r.CandidateFailures())
				users += r.UsersHit
				if d, ok := r.TimeToDetect(); ok {
					detect += d.Seconds()
					nDetect++
				}
				if d, ok := r.TimeToRollback(); ok {
					rollback += d.Seconds()
					nRollback++
				}
				h, err := sim.Run(healthy)
				if err != nil {
					b.Fatal(err)
				}
				if h.Outcome == metrics.FalseRollback {
					falseRollbacks++
				}
				if d, ok := h.DeployDuration(); ok {
					deploy += d.Seconds()
					nDeploy++
				}
			}
			n := float64(b.N)
			b.ReportMetric(failed/n, "failed-req/op")
			b.ReportMetric(users/n, "users-hit/op")
			if nDetect > 0 {
				b.ReportMetric(detect/float64(nDetect), "detect-s/op")
			}
			if nRollback > 0 {
				b.ReportMetric(rollback/float64(nRollback), "rollback-s/op")
			}
			if nDeploy > 0 {
				b.ReportMetric(deploy/float64(nDeploy), "deploy-s/op")
			}
			b.ReportMetric(float64(falseRollbacks)/n, "false-rollback/op")
		})
	}
}

// BenchmarkCompare measures the one-call comparison itself: every Lambda
// preset, 20 runs each, on DefaultScenario.
func BenchmarkCompare(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Compare(b.Context(), DefaultScenario(), nil, 20); err != nil {
			b.Fatal(err)
		}
	}
}
