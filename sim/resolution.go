package sim

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
