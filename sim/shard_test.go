package sim

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// Runs [0, n) in one MonteCarlo equal, exactly, the merge of [0, k) and
// [k, n) run as two MonteCarlos with FirstRun 0 and k (what `deploysim
// sweep --shard` relies on); the second part is the runs RunSeed(base, i),
// i in [k, n), added one by one, whatever its number of workers.
func TestMonteCarloFirstRun(t *testing.T) {
	sc := mcScenario()
	n, k := 96, 37
	if testing.Short() {
		n, k = 40, 17
	}
	ctx := context.Background()
	whole, err := MonteCarlo(ctx, sc, n, MonteCarloOptions{})
	if err != nil {
		t.Fatal(err)
	}
	head, err := MonteCarlo(ctx, sc, k, MonteCarloOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := &metrics.Summary{}
	for i := k; i < n; i++ {
		s := sc
		s.Seed = RunSeed(sc.Seed, int64(i))
		r, err := Run(s)
		if err != nil {
			t.Fatal(err)
		}
		want.Add(&r)
	}
	for _, workers := range []int{1, 3} {
		tail, err := MonteCarlo(ctx, sc, n-k, MonteCarloOptions{FirstRun: k, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if !tail.Equal(want) {
			t.Errorf("workers=%d: runs [%d, %d) differ from RunSeed's runs added one by one", workers, k, n)
		}
		merged := &metrics.Summary{}
		merged.Merge(head)
		merged.Merge(tail)
		if !merged.Equal(whole) || !reflect.DeepEqual(merged, whole) {
			t.Errorf("workers=%d: [0, %d) + [%d, %d) differs from [0, %d)", workers, k, k, n, n)
		}
	}
	// FirstRun chooses the runs: [k, n) is not [0, n-k).
	first, err := MonteCarlo(ctx, sc, n-k, MonteCarloOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if first.Equal(want) {
		t.Error("FirstRun is ignored: runs [k, n) equal runs [0, n-k)")
	}
}

func TestMonteCarloFirstRunErrors(t *testing.T) {
	sc := mcScenario()
	type tc struct {
		first, runs int
		want        string
	}
	cases := []tc{{-1, 10, "MonteCarloOptions.FirstRun = -1: must be in [0, "}}
	if math.MaxInt == math.MaxInt64 {
		// Runs past the int64 range; a 32-bit int cannot name such a
		// FirstRun.
		cases = append(cases, tc{math.MaxInt - 5, 10, "must be in [0, 9223372036854775797] for 10 runs"})
	}
	for _, c := range cases {
		sum, err := MonteCarlo(context.Background(), sc, c.runs, MonteCarloOptions{FirstRun: c.first})
		if sum != nil || !errors.Is(err, ErrInvalid) || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FirstRun %d: %v, %v; want an ErrInvalid containing %q", c.first, sum, err, c.want)
		}
	}
}

// ChooseResolution names the engine Run then uses (metrics.Run.Resolution)
// and, for Auto, why the per-request one.
func TestChooseResolution(t *testing.T) {
	poisson := BaseScenario()
	poisson.Workload = Poisson{Rate: 10}
	poisson.Strategy = strategy.Canary{Percent: 10, Interval: 30 * time.Second}
	poisson.Horizon = time.Minute
	limited := poisson
	limited.Concurrency = DefaultConcurrency()
	bursty := poisson
	bursty.Workload = Bursty{Rate: 5, BurstRate: 50, MeanNormal: time.Minute, MeanBurst: 10 * time.Second}
	forced := poisson
	forced.Resolution = PerRequest
	for _, c := range []struct {
		name string
		sc   Scenario
		want Resolution
		why  string
	}{
		{"poisson", poisson, Bucketed, ""},
		{"concurrency", limited, PerRequest, "Scenario.Concurrency.Enabled"},
		{"bursty", bursty, PerRequest, "not a Poisson process"},
		{"asked", forced, PerRequest, ""},
	} {
		res, why, err := ChooseResolution(c.sc)
		if err != nil || res != c.want || (c.why == "") != (why == "") || !strings.Contains(why, c.why) {
			t.Errorf("%s: %v, %q, %v; want %v and a reason containing %q", c.name, res, why, err, c.want, c.why)
			continue
		}
		r, err := Run(c.sc)
		if err != nil || r.Resolution != res.String() {
			t.Errorf("%s: Run used %q (%v); ChooseResolution said %v", c.name, r.Resolution, err, res)
		}
	}
	bad := poisson
	bad.Candidate.ErrorProb = 2
	if res, _, err := ChooseResolution(bad); !errors.Is(err, ErrInvalid) || res != Auto {
		t.Errorf("invalid scenario: %v, %v; want Auto and an ErrInvalid", res, err)
	}
}

// MetricResolution is the period of the series a policy observes: the
// scenario's Period unless an alarm needs finer periods.
func TestMetricResolution(t *testing.T) {
	sc := BaseScenario()
	sc.Workload = Poisson{Rate: 10}
	sc.Strategy = strategy.AllAtOnce{}
	alarm := func(p time.Duration) rollback.Policy {
		return rollback.CodeDeploy(rollback.Alarm{Name: "a", Metric: metrics.Errors, Dimension: metrics.Candidate,
			Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: p, EvaluationPeriods: 1, Threshold: 1,
			Comparison: rollback.GreaterThanOrEqualToThreshold})
	}
	for _, c := range []struct {
		policy rollback.Policy
		want   time.Duration
	}{
		{nil, 0},
		{alarm(time.Minute), time.Minute},
		{alarm(5 * time.Minute), time.Minute}, // Period = 1 min divides it
		{alarm(10 * time.Second), 10 * time.Second},
		{alarm(30 * time.Second), 30 * time.Second},
	} {
		sc.Policy = c.policy
		if got := MetricResolution(sc); got != c.want {
			t.Errorf("policy %v: %v, want %v", c.policy, got, c.want)
		}
		if c.policy == nil {
			continue
		}
		// The series a run keeps is the one the policy observed.
		k := sc
		k.KeepSeries, k.Horizon = true, 2*time.Minute
		r, err := Run(k)
		if err != nil || r.Series == nil || r.Series.Resolution != c.want {
			t.Errorf("policy %v: run's series %+v (%v), want resolution %v", c.policy, r.Series, err, c.want)
		}
	}
	sc.Policy = alarm(time.Minute)
	sc.Candidate.ErrorProb = 2
	if got := MetricResolution(sc); got != 0 {
		t.Errorf("invalid scenario: %v, want 0", got)
	}
}
