package sim

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
)

var p99 = metrics.Statistic{Kind: metrics.Percentile, P: 99}

// execScenario is the per-request engine with the execution model on (the
// reference's defaults), a constant 100 ms handler on both versions and
// 10 s periods, so that a cold start (init median 300 ms) is the only way
// an invocation can take longer than 100 ms.
func execScenario(rate float64) Scenario {
	s := perRequestScenario()
	s.Workload = Poisson{Rate: rate}
	s.Baseline.P50, s.Baseline.P99 = 100*time.Millisecond, 100*time.Millisecond
	s.Candidate.P50, s.Candidate.P99 = 100*time.Millisecond, 100*time.Millisecond
	s.Period = 10 * time.Second
	s.Concurrency = DefaultConcurrency()
	s.KeepSeries = true
	return s
}

// periodP99 is the candidate's (or baseline's) published Duration p99 of
// period i, in ms.
func periodP99(t *testing.T, r metrics.Run, d metrics.Dimension, i int) float64 {
	t.Helper()
	v, ok := r.Series.Periods[i].Dims[d].Value(metrics.Duration, p99)
	if !ok {
		t.Fatalf("period %d: no %v Duration datapoint", i, d)
	}
	return v
}

// A new version starts with no warm environment [doc]: at 1,000 req/s a 10%
// canary sends the candidate 100 req/s, which keeps about 10 environments
// busy; all the arrivals of the first ~0.4 s (init + handler) find none idle
// and pay the init, about 4% of the first 10 s period's 1,000 invocations,
// so that period's p99 is a cold one: above the init's median 300 ms plus
// the 100 ms handler, when a warm invocation takes 100 ms (the sketch's 1%
// accuracy gives at most 101 ms). At the step to 100% (5 min) the candidate
// needs about 100 environments and the same happens again. Once the pool
// covers the concurrency's fluctuations (a few periods), fewer than 1% of a
// period's invocations are cold and the p99 is back at 100 ms. The baseline,
// warm from the start (WarmBaseline), shows no spike.
func TestColdStartSpikeAtCanaryStep(t *testing.T) {
	s := execScenario(1000)
	s.Strategy = canary(10, 5*time.Minute)
	s.Horizon = 8 * time.Minute
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if msg := checkRun(s, r); msg != "" {
		t.Fatal(msg)
	}
	for _, i := range []int{0, 30} {
		if got := periodP99(t, r, metrics.Candidate, i); got < 300 {
			t.Errorf("candidate p99 of period %d (%v) = %.0f ms, want a cold-start spike > 300 ms", i, time.Duration(i)*s.Period, got)
		}
	}
	for i := 4; i < 48; i++ {
		if i >= 30 && i < 34 {
			continue // the step to 100% and its warm-up
		}
		if got := periodP99(t, r, metrics.Candidate, i); got > 102 {
			t.Errorf("candidate p99 of period %d = %.1f ms, want warm (100 ms)", i, got)
		}
	}
	if got := periodP99(t, r, metrics.Baseline, 0); got > 102 {
		t.Errorf("baseline p99 of period 0 = %.1f ms, want warm (100 ms)", got)
	}
	// About 10 + 100 environments (plus fluctuations) were initialised.
	if c := r.Candidate.ColdStarts; c < 100 || c > 400 {
		t.Errorf("Candidate.ColdStarts = %d, want in [100, 400]", c)
	}
}

// Provisioned concurrency above the candidate's peak concurrency removes the
// spike: no invocation of the candidate is cold.
func TestProvisionedConcurrencyRemovesSpike(t *testing.T) {
	s := execScenario(1000)
	s.Strategy = canary(10, 2*time.Minute)
	s.Horizon = 3 * time.Minute
	// 1,000 req/s x 100 ms = 100 busy on average; P(Poisson(100) > 200) is
	// about 1e-18.
	s.Candidate.Provisioned = 200
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.Candidate.ColdStarts != 0 {
		t.Errorf("Candidate.ColdStarts = %d with 200 provisioned, want 0", r.Candidate.ColdStarts)
	}
	for _, i := range []int{0, 12} {
		if got := periodP99(t, r, metrics.Candidate, i); got > 102 {
			t.Errorf("candidate p99 of period %d = %.1f ms, want warm", i, got)
		}
	}
}

// Environments idle longer than KeepAlive are reclaimed: a request every
// 2 minutes (an exact trace) finds its environment warm with a 10-minute
// keep-alive and cold with a 1-minute one.
func TestKeepAlive(t *testing.T) {
	counts := make([]float64, 20*60)
	for i := 0; i < len(counts); i += 120 {
		counts[i] = 1
	}
	for _, tc := range []struct {
		keep time.Duration
		cold int64
	}{{10 * time.Minute, 1}, {time.Minute, 10}} {
		s := execScenario(1)
		s.Workload = Trace{Counts: counts, Exact: true}
		s.Concurrency.WarmBaseline = false
		s.Concurrency.KeepAlive = tc.keep
		s.Strategy = allAtOnce()
		s.Horizon = 20 * time.Minute
		r, err := Run(s)
		if err != nil {
			t.Fatal(err)
		}
		if r.Candidate.Requests != 10 || r.Candidate.ColdStarts != tc.cold {
			t.Errorf("KeepAlive %v: %d requests, %d cold starts, want 10 and %d", tc.keep, r.Candidate.Requests, r.Candidate.ColdStarts, tc.cold)
		}
	}
}

// meanConcurrency is the mean of every ConcurrentExecutions sample of
// dimension d over the run, and the number of samples.
func meanConcurrency(r metrics.Run, d metrics.Dimension) (mean, n float64) {
	sum := 0.0
	for i := range r.Series.Periods {
		c := &r.Series.Periods[i].Dims[d].Concurrency
		sum += c.Sum()
		n += c.Count()
	}
	return sum / n, n
}

// Little's law: in an unlimited run the mean concurrency is λ·E[duration].
// λ = 200/s and a lognormal handler with median 100 ms and p99 500 ms
// (E = exp(μ + σ²/2) = 127.1 ms) give a = 25.4. The samples are one second
// apart, longer than the correlation time of the busy count (about E[S]),
// so they are nearly independent with variance a (Poisson): the standard
// error of the mean is √a/√n, 0.33% over an hour, 0.8% over 10 minutes;
// the cold starts (the candidate's first ~40 environments, 0.35 s each) add
// under 0.1%. Tolerance 3%. The candidate's share is its weight.
func TestLittlesLaw(t *testing.T) {
	s := execScenario(200)
	s.Baseline.P99, s.Candidate.P99 = 500*time.Millisecond, 500*time.Millisecond
	s.Concurrency.AccountLimit = 0
	s.Strategy = steps{{At: 0, Weight: 0.3}, {At: 1000 * time.Hour, Weight: 1}}
	s.Horizon = time.Hour
	if testing.Short() {
		s.Horizon = 10 * time.Minute
	}
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.Throttles() != 0 {
		t.Fatalf("%d throttles in an unlimited run", r.Throttles())
	}
	l := LogNormalFromQuantiles(100, 500, nil)
	a := 200 * math.Exp(l.Mu+l.Sigma*l.Sigma/2) / 1000
	for _, x := range []struct {
		d    metrics.Dimension
		want float64
	}{{metrics.Alias, a}, {metrics.Candidate, 0.3 * a}, {metrics.Baseline, 0.7 * a}} {
		got, n := meanConcurrency(r, x.d)
		if want := s.Horizon.Seconds(); n != want {
			t.Errorf("%v: %v samples, want one per second: %v", x.d, n, want)
		}
		if math.Abs(got-x.want) > 0.03*x.want+3*math.Sqrt(x.want/n) {
			t.Errorf("%v mean concurrency = %.3f, want λ·E[S] = %.3f", x.d, got, x.want)
		}
	}
	// The alias's samples are the sums of the versions' at each instant.
	p := &r.Series.Periods[5].Dims
	if got, want := p[metrics.Alias].Concurrency.Sum(), p[metrics.Candidate].Concurrency.Sum()+p[metrics.Baseline].Concurrency.Sum(); got != want {
		t.Errorf("alias concurrency sum %v != candidate + baseline %v", got, want)
	}
	if v, ok := p[metrics.Alias].Value(metrics.ConcurrentExecutions, metrics.Statistic{Kind: metrics.Maximum}); !ok || v < a {
		t.Errorf("alias ConcurrentExecutions Maximum = %v, %v: want a datapoint above the mean %v", v, ok, a)
	}
}

// erlangB is the Erlang loss formula B(c, a), by the stable recursion
// B(0) = 1, B(k) = a·B(k-1) / (k + a·B(k-1)).
func erlangB(c int, a float64) float64 {
	b := 1.0
	for k := 1; k <= c; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b
}

// With a concurrency limit c and Poisson arrivals, the function is an
// M/G/c/c loss system: the probability that an arrival is throttled is
// Erlang's B(c, a), a = λ·E[S], whatever the service distribution
// (insensitivity). c = 10, λ = 80/s, E[S] = 100 ms: a = 8, B = 0.1217. A
// keep-alive longer than the run keeps the (at most 10) environments warm
// once created, so the only cold starts are those of the first (at most 10 per version)
// environments. The throttled
// fraction over n ≈ 144,000 arrivals (30 min) has a binomial standard error
// of 0.7% (relative); successive arrivals' fates are correlated through the
// busy count, which we allow for with a tolerance of 6% (3.5% over 10 minutes
// in -short is 1.3% binomial; tolerance 10%). Both a constant and a
// lognormal service time (the same mean) must match.
func TestErlangLoss(t *testing.T) {
	l := LogNormalFromQuantiles(1, 5, nil) // shape of the lognormal case
	mean := math.Exp(l.Mu + l.Sigma*l.Sigma/2)
	med := time.Duration(float64(100*time.Millisecond) / mean) // median giving a 100 ms mean
	for _, tc := range []struct {
		name     string
		p50, p99 time.Duration
	}{{"constant", 100 * time.Millisecond, 100 * time.Millisecond}, {"lognormal", med, 5 * med}} {
		t.Run(tc.name, func(t *testing.T) {
			s := execScenario(80)
			s.Baseline.P50, s.Baseline.P99 = tc.p50, tc.p99
			s.Candidate.P50, s.Candidate.P99 = tc.p50, tc.p99
			s.Baseline.Timeout, s.Candidate.Timeout = 0, 0
			s.Concurrency.AccountLimit = 0
			s.Concurrency.ReservedLimit = 10
			s.Concurrency.KeepAlive = 100 * time.Hour
			s.Concurrency.WarmBaseline = false
			s.Strategy = steps{{At: 0, Weight: 0.5}, {At: 1000 * time.Hour, Weight: 1}}
			s.Horizon, s.KeepSeries = 30*time.Minute, false
			tol := 0.06
			if testing.Short() {
				s.Horizon, tol = 10*time.Minute, 0.10
			}
			r, err := Run(s)
			if err != nil {
				t.Fatal(err)
			}
			if msg := checkRun(s, r); msg != "" {
				t.Fatal(msg)
			}
			n := float64(r.Candidate.Requests + r.Baseline.Requests)
			got := float64(r.Throttles()) / n
			want := erlangB(10, 8)
			if math.Abs(got-want) > tol*want {
				t.Errorf("throttled fraction %.4f over %v arrivals, want B(10, 8) = %.4f ± %.0f%%", got, n, want, 100*tol)
			}
			if r.ColdStarts() > 20 {
				t.Errorf("%d cold starts, want at most 20 (each version's pool is at most the limit)", r.ColdStarts())
			}
		})
	}
}

// The scaling limit: at most 1,000 environments per 10 s [doc]. 5,000 req/s
// of 1 s invocations need 5,000 environments; in the first second only the
// burst of 1,000 can be created, then 100 per second; arrivals that find
// no idle environment and no token are throttled.
func TestScalingLimit(t *testing.T) {
	s := execScenario(5000)
	s.Candidate.P50, s.Candidate.P99 = time.Second, time.Second
	s.Concurrency.AccountLimit = 0
	s.Concurrency.WarmBaseline = false
	s.Concurrency.ScalingLimit = true
	s.Strategy = allAtOnce()
	s.Horizon = 1500 * time.Millisecond
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	// Environments created by 1.5 s: the burst of 1,000 and 100 per second
	// after it, 1,150 at most; without the limit every one of the ~7,500
	// arrivals would have created one (none ends before 1 s).
	if r.Candidate.ColdStarts > 1150 || r.Candidate.ColdStarts < 1000 {
		t.Errorf("ColdStarts = %d, want in [1000, 1150]", r.Candidate.ColdStarts)
	}
	if r.Candidate.Throttles < r.Candidate.Requests/2 {
		t.Errorf("%d throttled of %d, want most", r.Candidate.Throttles, r.Candidate.Requests)
	}
}

// Throttles are published per version and add up to the run's counts; a
// throttled invocation is in neither Invocations nor Errors [doc].
func TestThrottlesPublished(t *testing.T) {
	s := execScenario(100)
	s.Concurrency.AccountLimit = 0
	s.Concurrency.ReservedLimit = 5
	s.Strategy = canary(50, time.Minute)
	s.Horizon = 3 * time.Minute
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if msg := checkRun(s, r); msg != "" {
		t.Fatal(msg)
	}
	var thr [metrics.NumDimensions]float64
	for i := range r.Series.Periods {
		for d := range thr {
			thr[d] += r.Series.Periods[i].Dims[d].Throttles
		}
	}
	if thr[metrics.Candidate] != float64(r.Candidate.Throttles) || thr[metrics.Baseline] != float64(r.Baseline.Throttles) ||
		thr[metrics.Alias] != float64(r.Throttles()) || r.Throttles() == 0 {
		t.Errorf("published throttles %v, run counts %d + %d", thr, r.Candidate.Throttles, r.Baseline.Throttles)
	}
}

func TestBadExecSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Scenario)
		want string
	}{
		{"negative reserved", func(s *Scenario) { s.Concurrency.ReservedLimit = -1 }, "Scenario.Concurrency.ReservedLimit = -1: must be >= 0"},
		{"negative account", func(s *Scenario) { s.Concurrency.AccountLimit = -5 }, "Scenario.Concurrency.AccountLimit = -5: must be >= 0"},
		{"unreserved", func(s *Scenario) { s.Concurrency.ReservedLimit = 950 }, "Scenario.Concurrency.ReservedLimit = 950: must be <= AccountLimit - 100 = 900"},
		{"keep-alive", func(s *Scenario) { s.Concurrency.KeepAlive = 0 }, "Scenario.Concurrency.KeepAlive = 0s: must be > 0"},
		{"init", func(s *Scenario) { s.Concurrency.InitP99 = time.Millisecond }, "Scenario.Concurrency.InitP99 = 1ms: must be >= InitP50 = 300ms"},
		{"provisioned", func(s *Scenario) { s.Candidate.Provisioned = -2 }, "Scenario.Candidate.Provisioned = -2: must be >= 0"},
		{"provisioned over limit", func(s *Scenario) { s.Candidate.Provisioned = 600; s.Baseline.Provisioned = 600 }, "Provisioned = 1200: must be <= the concurrency limit 1000"},
		{"provisioned off", func(s *Scenario) { s.Concurrency = Concurrency{}; s.Baseline.Provisioned = 3 }, "Scenario.Baseline.Provisioned = 3: needs Scenario.Concurrency.Enabled"},
		{"limit off", func(s *Scenario) { s.Concurrency = Concurrency{ReservedLimit: 10} }, "Scenario.Concurrency.Enabled = false with ReservedLimit = 10, AccountLimit = 0, ScalingLimit = false: limits need the execution model"},
		{"max retries", func(s *Scenario) { a := DefaultAsync(); a.MaxRetries = 3; s.EventModel = a }, "Scenario.EventModel.MaxRetries = 3: must be in [0, 2]"},
		{"event age", func(s *Scenario) { a := DefaultAsync(); a.MaxEventAge = 30 * time.Second; s.EventModel = a }, "Scenario.EventModel.MaxEventAge = 30s: must be in [1m0s, 6h0m0s]"},
		{"zero async", func(s *Scenario) { s.EventModel = Async{} }, "Scenario.EventModel.MaxEventAge = 0s"},
		{"retry delay", func(s *Scenario) { a := DefaultAsync(); a.RetryDelays[1] = 0; s.EventModel = a }, "Scenario.EventModel.RetryDelays[1] = 0s: must be > 0"},
		{"backoff", func(s *Scenario) { a := DefaultAsync(); a.MaxThrottleBackoff = time.Millisecond; s.EventModel = a }, "Scenario.EventModel.MaxThrottleBackoff = 1ms: must be >= ThrottleBackoff = 1s"},
		{"hook duration", func(s *Scenario) { s.PreTraffic = Hook{Duration: 2 * time.Hour} }, "Scenario.PreTraffic.Duration = 2h0m0s: must be in [0, 1h0m0s]"},
		{"hook prob", func(s *Scenario) { s.PostTraffic = Hook{CatchProb: 1.5} }, "Scenario.PostTraffic.CatchProb = 1.5: must be in [0, 1]"},
		{"bucketed", func(s *Scenario) { s.Resolution = Bucketed }, "Scenario.Resolution = bucket: Scenario.Concurrency.Enabled"},
		{"bucketed async", func(s *Scenario) {
			s.Concurrency = Concurrency{}
			s.EventModel = DefaultAsync()
			s.Resolution = Bucketed
		}, "Scenario.Resolution = bucket: Scenario.EventModel = async"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := execScenario(10)
			s.Strategy = allAtOnce()
			tc.mod(&s)
			err := s.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.want)
			}
			if _, rerr := Run(s); rerr == nil || rerr.Error() != err.Error() {
				t.Errorf("Run error %v, want the Validate error", rerr)
			}
		})
	}
}

// Auto picks the per-request engine for the execution model; a hook alone
// does not need it.
func TestExecResolution(t *testing.T) {
	s := execScenario(10)
	s.Resolution = Auto
	s.Strategy = allAtOnce()
	r, err := Run(s)
	if err != nil || r.Resolution != "request" {
		t.Errorf("Run with Concurrency: resolution %q, %v; want request", r.Resolution, err)
	}
	s.Concurrency = Concurrency{}
	s.PreTraffic = Hook{Duration: time.Minute, CatchProb: 0.5}
	if why := needsPerRequest(&s); why != "" {
		t.Errorf("needsPerRequest with a hook = %q, want \"\"", why)
	}
}

// The limit is the function's, shared by its versions: a candidate whose
// fault makes it 10 times slower fills the environments and throttles the
// baseline's requests too. λ = 100/s, 100 ms, limit 20: healthy, a = 10 and
// B(20, 10) = 0.16% of requests are throttled on either version; with the
// candidate at 1 s on half the traffic, its 50 busy on average alone exceed
// the limit, and most of the baseline's arrivals find it full.
func TestSlowCandidateThrottlesBaseline(t *testing.T) {
	frac := func(c metrics.VersionCounts) float64 { return float64(c.Throttles) / float64(c.Requests) }
	s := execScenario(100)
	s.Concurrency.AccountLimit, s.Concurrency.ReservedLimit = 0, 20
	s.Strategy = steps{{At: 0, Weight: 0.5}, {At: time.Hour, Weight: 1}}
	s.Horizon = 10 * time.Minute
	s.Baseline.Timeout, s.Candidate.Timeout = 0, 0
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if f := frac(r.Baseline); f > 0.01 {
		t.Errorf("healthy: baseline throttled %.4f, want about B(20, 10) = %.4f", f, erlangB(20, 10))
	}
	s.Fault = Fault{LatencyFactor: 10}
	r, err = Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if f := frac(r.Baseline); f < 0.3 {
		t.Errorf("slow candidate: baseline throttled %.4f, want most of its requests", f)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	for _, tc := range []struct{ reserved, account, want int }{
		{0, 0, 0}, {50, 0, 50}, {0, 1000, 1000}, {50, 1000, 50}, {900, 1000, 900},
	} {
		if got := (Concurrency{ReservedLimit: tc.reserved, AccountLimit: tc.account}).Limit(); got != tc.want {
			t.Errorf("Limit() with reserved %d, account %d = %d, want %d", tc.reserved, tc.account, got, tc.want)
		}
	}
}
