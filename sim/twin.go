package sim

// Healthy returns the healthy twin of s: the same workload, versions,
// users, strategy, policy, hooks, execution and event models and seed, with
// the zero Fault. Its runs answer the other half of the question a
// deployment simulation asks ("if the candidate is good, how often is it
// rolled back anyway, and how long does it take?"): every rollback in them
// is a false one (metrics.FalseRollback) and each completed run has a
// DeployDuration. The summaries of s and of its twin merge into one
// metrics.Summary whose figures are each read over the runs they are about
// (metrics.Figure.Population).
//
// Horizon is set to 0, so that a twin run ends with its deployment, at the
// last step plus Bake and the post-traffic hook, or once a false rollback
// has drained: the policy is not consulted after that (CodeDeploy watches
// alarms only while a deployment runs), so nothing later can change its
// outcome or its duration, and a horizon shorter than the schedule would
// leave runs unfinished with no duration to report. That also keeps the
// twin's runs as short as they can be.
//
// Only the Fault is ground truth for "bad" (metrics.Run.Bad is
// Fault.Bad()): a Candidate whose own ErrorProb or latency differs from the
// Baseline's is kept as it is, since a healthy candidate may be slower or
// faster without a fault. Hooks are kept: they never fail a healthy
// candidate (see Hook), but their duration delays the schedule.
func (s Scenario) Healthy() Scenario {
	s.Fault = Fault{}
	s.Horizon = 0
	return s
}

// Twin is Healthy for the runs that deploysim.Estimate pairs with those of
// a bad scenario: only their outcome (false rollbacks) and DeployDuration
// are read from them once they are merged with the bad runs (see
// metrics.Figure.Population), so they skip what nobody reads. Each run's
// UsersHit is NaN (not computed) and its CandidateLatency and
// BaselineLatency are empty, so a metrics.Summary records that these runs
// did not have those figures (it counts them over no healthy run) rather
// than zeros; the summaries of any split of the runs still merge into
// exactly the Summary of the whole. Everything the policy reads (the
// per-period series, percentiles included) is drawn as in Healthy, so the
// outcomes and durations are those of Healthy's runs, draw for draw.
//
// Use Healthy to study a healthy candidate on its own, with every figure.
func (s Scenario) Twin() Scenario {
	s = s.Healthy()
	s.twin = true
	return s
}
