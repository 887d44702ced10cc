package sim

import (
	"testing"
	"time"
)

// benchExecScenario is benchScenario with the execution model on: 1,000
// req/s of lognormal invocations (about 127 busy on average) against a
// reserved concurrency of 140, so that a few percent are throttled, with
// the default cold starts and keep-alive, asynchronous retries of the 1%
// that fail and of the throttled, and ConcurrentExecutions sampled every
// second.
func benchExecScenario() Scenario {
	s := benchScenario()
	s.Concurrency = DefaultConcurrency()
	s.Concurrency.AccountLimit, s.Concurrency.ReservedLimit = 0, 140
	s.EventModel = DefaultAsync()
	return s
}

// BenchmarkEventLoopConcurrency measures the per-request engine with the
// execution model and asynchronous retries on: one b.N step is one event
// (an arrival, a retry, a completion, a sample or a control event).
func BenchmarkEventLoopConcurrency(b *testing.B) {
	stepBench(b, benchExecScenario(), 5*time.Minute) // pools, retries, sketches
}
