// Package rollback decides when a deployment must be rolled back.
//
// A Policy watches only what a real deployment controller could see at an
// evaluation instant: the metric datapoints published so far (a period
// becomes visible at its end plus the ingestion delay, which the simulator
// applies) and the results of traffic hooks (which the simulator applies
// itself). A Policy is an immutable value shared by many runs; Start creates
// the per-run Monitor, which says when it wants to look next (Next) and, at
// each of those instants, whether to roll back (Evaluate).
//
// The policies:
//
//   - Alarm is a CloudWatch metric alarm, exactly: M out of N datapoints,
//     the four comparison operators, TreatMissingData with CloudWatch's
//     evaluation range and its rule against premature ALARM, percentiles
//     with EvaluateLowSampleCountPercentile. Alarm.Evaluate works on any
//     datapoint history, without a simulator.
//   - Alarms is the CodeDeploy controller: CloudWatch evaluates each alarm on
//     its cadence, CodeDeploy polls their states, and any alarm in ALARM at a
//     poll rolls back. CodeDeploy builds it with the defaults of docs/model.md.
//   - BaselineComparison judges candidate against baseline per interval, as Kayenta
//     does: a two-proportion or exact conditional binomial test on the error
//     rates and a Mann–Whitney U test on per-period latency quantiles.
//   - Sequential is an anytime-valid mixture sequential probability ratio
//     test on candidate-versus-baseline error counts: it may look at every
//     datapoint for as long as it likes and still rolls back a healthy
//     candidate with probability at most Alpha.
//   - FailedChecks counts failed checks as Flagger does, and with a
//     Progression moves the traffic as Flagger's scheduler does (a Driver:
//     weights held on a failed check); Analysis measures as an Argo
//     Rollouts AnalysisRun does, and AnyOf rolls back when any of its
//     policies does.
//
// Facts taken from AWS and the other tools are cited from
// docs/model.md in the doc comment that uses them,
// marked [doc] when documented and [assumed] when a modelling choice.
package rollback
