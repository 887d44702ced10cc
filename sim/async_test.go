package sim

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
)

// asyncScenario: Poisson arrivals of asynchronous events at 30/s for an
// hour (20 minutes in -short) on two versions with the same error
// probability p and no timeout, unlimited concurrency; the run drains every
// retry after the last step (Horizon 0), so every event is resolved.
func asyncScenario(p float64, a Async) Scenario {
	s := perRequestScenario()
	s.Workload = Poisson{Rate: 30}
	s.Baseline.ErrorProb, s.Candidate.ErrorProb = p, p
	s.Baseline.Timeout, s.Candidate.Timeout = 0, 0
	s.EventModel = a
	d := time.Hour
	if testing.Short() {
		d = 20 * time.Minute
	}
	s.Strategy = canary(50, d)
	return s
}

// events is the number of events of an async run without throttles: every
// attempt that is not a retry.
func events(r metrics.Run) float64 {
	return float64(r.Candidate.Requests+r.Baseline.Requests) - float64(r.FailedAttempts)
}

// With error probability p on every attempt and 2 retries, an event is lost
// when its three attempts fail: P(lost) = p³; it is retried after a failure
// of its first attempt (p) and of its second (p²), so FailedAttempts per
// event is p + p². With 1 retry, P(lost) = p². Over n ≈ 108,000 events (an
// hour at 30/s) the tolerances are 4 standard errors of these binomial /
// bounded means (the events are independent).
func TestAsyncRetriesClosedForm(t *testing.T) {
	const p = 0.2
	for _, tc := range []struct {
		retries       int
		lost, retried float64 // per event
	}{{2, p * p * p, p + p*p}, {1, p * p, p}, {0, p, 0}} {
		a := DefaultAsync()
		a.MaxRetries = tc.retries
		s := asyncScenario(p, a)
		r, err := Run(s)
		if err != nil {
			t.Fatal(err)
		}
		if msg := checkExec(s, r); msg != "" {
			t.Fatal(msg)
		}
		n := events(r)
		if got, se := float64(r.LostEvents)/n, math.Sqrt(tc.lost*(1-tc.lost)/n); math.Abs(got-tc.lost) > 4*se {
			t.Errorf("MaxRetries %d: lost fraction %.5f of %v events, want %.5f ± %.5f", tc.retries, got, n, tc.lost, 4*se)
		}
		// Var(retries per event) <= E[X²] <= 4·E[X].
		if got, se := float64(r.FailedAttempts)/n, math.Sqrt(4*tc.retried/n); math.Abs(got-tc.retried) > 4*se {
			t.Errorf("MaxRetries %d: retried attempts per event %.4f, want %.4f ± %.4f", tc.retries, got, tc.retried, 4*se)
		}
		if r.Candidate.InFlight+r.Baseline.InFlight != 0 || r.DeadLettered != 0 {
			t.Errorf("in flight %d + %d, dead-lettered %d; want all resolved and dropped", r.Candidate.InFlight, r.Baseline.InFlight, r.DeadLettered)
		}
	}
}

// A retry is routed afresh by the weight at its instant: with a candidate
// that always fails, a healthy baseline and a constant weight w, an event is
// lost only when its three attempts all go to the candidate (w³), and is
// retried after the first (w) and second (w²) routing to it.
func TestAsyncRetryRoutedAfresh(t *testing.T) {
	const w = 0.3
	s := asyncScenario(0, DefaultAsync())
	s.Fault = Fault{ErrorProb: 1}
	d := s.Strategy.Schedule()[1].At
	s.Strategy = steps{{At: 0, Weight: w}, {At: d, Weight: w}}
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	n := events(r)
	if got, want, se := float64(r.LostEvents)/n, w*w*w, math.Sqrt(w*w*w/n); math.Abs(got-want) > 4*se {
		t.Errorf("lost fraction %.4f, want w³ = %.4f ± %.4f", got, want, 4*se)
	}
	if got, want, se := float64(r.FailedAttempts)/n, w+w*w, math.Sqrt(4*(w+w*w)/n); math.Abs(got-want) > 4*se {
		t.Errorf("retried attempts per event %.4f, want w + w² = %.4f ± %.4f", got, want, 4*se)
	}
	// Every candidate attempt failed; the baseline's all succeeded.
	if r.Candidate.Errors != r.Candidate.Requests || r.Baseline.Errors != 0 {
		t.Errorf("candidate %+v, baseline %+v", r.Candidate, r.Baseline)
	}
}

// A retry that would make the event older than MaxEventAge is not made: with
// the minimum age of 60 s and a first retry 60 s after the failure (so more
// than 60 s after the event was sent), no retry happens and P(lost) = p. With
// a destination the discarded events are dead-lettered instead of lost.
func TestAsyncMaxEventAgeAndDestination(t *testing.T) {
	const p = 0.2
	a := DefaultAsync()
	a.MaxEventAge = MinEventAge
	a.Destination = true
	s := asyncScenario(p, a)
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	n := events(r)
	if r.FailedAttempts != 0 || r.LostEvents != 0 {
		t.Errorf("FailedAttempts %d, LostEvents %d; want 0 (no retry within 60 s; a destination)", r.FailedAttempts, r.LostEvents)
	}
	if got, se := float64(r.DeadLettered)/n, math.Sqrt(p*(1-p)/n); math.Abs(got-p) > 4*se {
		t.Errorf("dead-lettered fraction %.4f, want p = %v ± %.4f", got, p, 4*se)
	}
}

// Throttled events are retried with backoff (1 s, 2 s, 4 s, ...) and are not
// lost while younger than MaxEventAge: 50 events within the first second
// against a limit of 10, each running 10 s, all succeed in the end; the
// first 10 run at once and 40 are throttled.
func TestAsyncThrottleBackoff(t *testing.T) {
	counts := make([]float64, 600)
	counts[0] = 50
	s := perRequestScenario()
	s.Workload = Trace{Counts: counts, Exact: true}
	s.Baseline.P50, s.Baseline.P99 = 10*time.Second, 10*time.Second
	s.Candidate.P50, s.Candidate.P99 = 10*time.Second, 10*time.Second
	s.Baseline.Timeout, s.Candidate.Timeout = 0, 0
	s.Strategy = steps{{At: 0, Weight: 0.5}, {At: 10 * time.Minute, Weight: 1}}
	s.Concurrency = DefaultConcurrency()
	s.Concurrency.AccountLimit, s.Concurrency.ReservedLimit = 0, 10
	s.EventModel = DefaultAsync()
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if ok := r.Candidate.Successes + r.Baseline.Successes; ok != 50 || r.LostEvents != 0 {
		t.Errorf("%d successes, %d lost; want 50 and 0", ok, r.LostEvents)
	}
	if r.Throttles() < 40 {
		t.Errorf("%d throttles, want at least 40", r.Throttles())
	}
	// Sync callers are not retried: the same burst loses 40 requests to 429s.
	s.EventModel = Sync{}
	r, err = Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if ok := r.Candidate.Successes + r.Baseline.Successes; ok != 10 || r.Throttles() != 40 {
		t.Errorf("sync: %d successes, %d throttles; want 10 and 40", ok, r.Throttles())
	}
}

// richExecScenario is the determinism scenario with everything of issue 4 on.
func richExecScenario(sd uint64) Scenario {
	s := richScenario(sd)
	s.Concurrency = DefaultConcurrency()
	s.Concurrency.AccountLimit, s.Concurrency.ReservedLimit = 0, 8
	s.Concurrency.ScalingLimit = true
	s.Candidate.Provisioned = 2
	s.EventModel = DefaultAsync()
	s.PreTraffic = Hook{Duration: 30 * time.Second, CatchProb: 0.5}
	s.PostTraffic = Hook{Duration: time.Minute, CatchProb: 0.5}
	return s
}

func TestExecDeterminism(t *testing.T) {
	a, err := Run(richExecScenario(11))
	if err != nil {
		t.Fatal(err)
	}
	var rn Runner
	rn.Run(richScenario(3)) // a Runner reused from another kind of run
	b, err := rn.Run(richExecScenario(11))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different runs:\n%+v\n%+v", a, b)
	}
	if a.Throttles() == 0 || a.ColdStarts() == 0 || a.FailedAttempts == 0 {
		t.Errorf("scenario does not exercise the model: %d throttles, %d cold starts, %d retried", a.Throttles(), a.ColdStarts(), a.FailedAttempts)
	}
	c, err := Run(richExecScenario(12))
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("seeds 11 and 12 gave identical runs")
	}
}

// The steady state allocates nothing per event with the execution model and
// asynchronous retries on: environment pools, the event slab and its free
// list reach their working size during the warm-up (retries wait up to 3
// minutes, so the warm-up covers 5 simulated minutes).
func TestNoAllocsPerEventExec(t *testing.T) {
	s := benchExecScenario()
	s.Period = time.Hour
	s.Policy = visiblePolicy{Every: 10 * time.Second, Res: time.Hour, Trigger: 1 << 30}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	var e engine
	e.setup(&s)
	for e.now < 5*time.Minute {
		e.step()
	}
	allocs := testing.AllocsPerRun(200000, func() {
		if e.step() {
			t.Fatal("run ended")
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per event", allocs)
	}
	if e.c.run.Throttles() == 0 || e.c.run.FailedAttempts == 0 {
		t.Errorf("the model is not exercised: %d throttles, %d retried", e.c.run.Throttles(), e.c.run.FailedAttempts)
	}
}
