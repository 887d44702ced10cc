package sim

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/deploysim/deploysim/internal/cputime"
)

// benchScenario is the per-request engine's steady state: Poisson arrivals
// at 1,000 req/s through a 10% canary (so routing draws happen), lognormal
// latency (median 100 ms, p99 500 ms), a 1% error rate on both versions, the
// default 60 s series, and a horizon far enough that the run never ends
// within a benchmark (250 h: 9e8 arrivals, under MaxRequestArrivals, and
// about 1.8e9 events, more than any b.N).
func benchScenario() Scenario {
	s := perRequestScenario()
	s.Workload = Poisson{Rate: 1000}
	s.Baseline.ErrorProb = 0.01
	s.Candidate.ErrorProb = 0.01
	s.Strategy = steps{{At: 0, Weight: 0.1}, {At: 1000 * time.Hour, Weight: 1}}
	s.Horizon = 250 * time.Hour
	return s
}

// BenchmarkEventLoop measures the per-request engine: one b.N step is one
// event (an arrival or a completion, with the occasional control event).
func BenchmarkEventLoop(b *testing.B) {
	stepBench(b, benchScenario(), 0) // 10^5 events of warm-up fill the queue and the sketches
}

// stepBench runs s's per-request engine one event per b.N step, after a
// warm-up of 10^5 events and warm of simulated time at least (the queue's
// working size, the execution model's pools), and reports events per second
// of wall and CPU time.
func stepBench(b *testing.B, s Scenario, warm time.Duration) {
	b.Helper()
	if err := s.Validate(); err != nil {
		b.Fatal(err)
	}
	var e engine
	e.setup(&s)
	for i := 0; i < 100000 || e.now < warm; i++ {
		e.step()
	}
	b.ReportAllocs()
	c0, _ := cputime.Used()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if e.step() {
			b.Fatal("run ended")
		}
	}
	reportRates(b, c0)
}

// reportRates reports events per second of wall time ("events/s", one event
// per b.N step) and of the process's CPU time ("cpu-events/s", which a
// machine shared with other work does not dilute).
func reportRates(b *testing.B, c0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if c1, ok := cputime.Used(); ok && c1 > c0 {
		b.ReportMetric(float64(b.N)/(c1-c0).Seconds(), "cpu-events/s")
	}
}

// bareEvent and bareHeap are the baseline: the same arrivals and completions
// on container/heap, with no routing, errors or metrics.
type bareEvent struct {
	at      time.Duration
	seq     uint64
	arrival bool
}

type bareHeap []bareEvent

func (h bareHeap) Len() int { return len(h) }
func (h bareHeap) Less(i, j int) bool {
	return h[i].at < h[j].at || (h[i].at == h[j].at && h[i].seq < h[j].seq)
}
func (h bareHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *bareHeap) Push(x any)   { *h = append(*h, x.(bareEvent)) }
func (h *bareHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// BenchmarkEventLoopBaseline is a bare container/heap loop doing the same
// arrivals (Poisson, 1,000 req/s) and completions (lognormal durations, median
// 100 ms, p99 500 ms): the floor the engine is compared with.
func BenchmarkEventLoopBaseline(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	mu, sigma := math.Log(100.0), (math.Log(500)-math.Log(100))/z99
	h := &bareHeap{}
	var seq uint64
	push := func(e bareEvent) {
		seq++
		e.seq = seq
		heap.Push(h, e)
	}
	t := 0.0
	push(bareEvent{at: 0, arrival: true})
	step := func() {
		e := heap.Pop(h).(bareEvent)
		if e.arrival {
			t += r.ExpFloat64() * 1e6 // 1,000/s: mean gap 1 ms in ns
			push(bareEvent{at: time.Duration(t), arrival: true})
			d := time.Duration(math.Exp(mu+sigma*r.NormFloat64()) * 1e6)
			push(bareEvent{at: e.at + d})
		}
	}
	for i := 0; i < 100000; i++ {
		step()
	}
	b.ReportAllocs()
	c0, _ := cputime.Used()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
	reportRates(b, c0)
}

// BenchmarkRun is the cost of one whole run, setup included, as a Monte
// Carlo loop pays it, reusing one Runner: the determinism test's scenario
// (diurnal traffic averaging 30 req/s, Linear10PercentEvery1Minute, kinds,
// users, a kind-limited fault, a policy). Events are counted as two per
// request.
func BenchmarkRun(b *testing.B) {
	s := richScenario(0)
	s.KeepSeries = false
	var rn Runner
	events := 0.0
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Seed = uint64(i)
		r, err := rn.Run(s)
		if err != nil {
			b.Fatal(err)
		}
		events += 2 * float64(r.Candidate.Requests+r.Baseline.Requests)
	}
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEventLoopRate is BenchmarkEventLoop from 10 to 10^6 req/s (the
// horizon shortened to keep 9e8 expected arrivals): the queue holds from
// about 1 to about 127,000 completions, which a structure tuned for one size
// must survive at the others. One b.N step is one event.
func BenchmarkEventLoopRate(b *testing.B) {
	for _, rate := range []float64{10, 1000, 1e5, 1e6} {
		b.Run(fmt.Sprintf("rps=%g", rate), func(b *testing.B) {
			s := benchScenario()
			s.Workload = Poisson{Rate: rate}
			s.Horizon = min(s.Horizon, time.Duration(9e8/rate*float64(time.Second)))
			stepBench(b, s, time.Second) // a second of traffic: the queue's working size
		})
	}
}
