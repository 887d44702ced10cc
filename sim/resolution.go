package sim

import "time"

// ChooseResolution returns the engine Run uses for sc, PerRequest or
// Bucketed (never Auto), as metrics.Run.Resolution will record it, without
// running anything. why says why: for Auto, the first feature of sc that only
// the per-request engine reproduces exactly (a non-Poisson workload, the
// execution model, an asynchronous event model, a latency model without a
// CDF, a policy that could see late data), or "" when the bucketed engine
// runs it; for an explicit PerRequest or Bucketed, "" (the caller asked).
// A scenario Validate refuses returns its error, and Auto.
func ChooseResolution(sc Scenario) (r Resolution, why string, err error) {
	if err := sc.Validate(); err != nil {
		return Auto, "", err
	}
	r = sc.resolution()
	if sc.Resolution == Auto && r == PerRequest {
		why = needsPerRequest(&sc)
	}
	return r, why, nil
}

// MetricResolution is the length of the periods a run of sc publishes for
// its policy, the metrics.Series.Resolution of every Observation the policy
// gets. For CloudWatch alarms (and every policy that reads CloudWatch-like
// datapoints): Scenario.Period, or, when the policy needs finer periods
// (Policy.Resolution, e.g. a 10-second alarm), the allowed period (10 s,
// 20 s, 30 s or a multiple of 60 s) dividing both. For a policy that
// queries ranges (Flagger, Argo Rollouts: rollback.QueriesRanges), the gcd
// of Period, Policy.Resolution and IngestionDelay, at least MinQueryStep:
// Prometheus has no periods, and this step makes every window
// [t − delay − W, t − delay) whole periods. A period's data becomes visible
// Scenario.IngestionDelay after it ends. 0 when sc has no policy or
// Validate refuses it.
func MetricResolution(sc Scenario) time.Duration {
	if sc.Policy == nil || sc.Validate() != nil {
		return 0
	}
	p, _ := sc.step()
	return p
}
