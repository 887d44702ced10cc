// Package metrics turns simulated deployments into the numbers people compare.
//
// Three layers, from one period to many runs:
//
//   - Series: what CloudWatch would hold for one run. Per period (one minute
//     by default) and per dimension (the alias, the candidate version, the
//     baseline version), VersionStats keeps the samples Lambda publishes:
//     Invocations, Errors (a 0/1 sample per invocation, so Average is the
//     error rate), Throttles, Duration and ConcurrentExecutions. Value
//     computes any CloudWatch statistic (Sum, SampleCount, Average, Minimum,
//     Maximum, pNN) and reports a missing datapoint when a period has no
//     samples, which is what alarms' TreatMissingData acts on. Rollback
//     policies read these through Series.Aggregate.
//
//   - Run: what one deployment measured. Its outcome (completed, rolled back
//     a bad candidate, rolled back a healthy one, missed a bad one, aborted by
//     a hook, unfinished); its blast radius (candidate failures, excess
//     failures over the baseline's rate, users hit, candidate requests and
//     weight×time exposure); its rollback latency in parts (fault onset, first
//     failure, detection, weight back at 0, drained); its duration to full
//     weight; throttles, cold starts, event-model losses; latency sketches per
//     version.
//
//   - Summary: what N runs add up to. For every Figure of a run, the mean,
//     standard deviation, p50/p95/p99 and a Student-t confidence interval for
//     the mean; the detection rate (bad runs stopped) and false-rollback rate
//     (healthy runs stopped) with Wilson intervals. The runs of a bad
//     candidate and of its healthy twin can share one Summary: each figure
//     is then read over the runs it is about (Figure.Population), the blast
//     radius and detection times over the bad runs, the duration over the
//     healthy ones. A Summary's state is made
//     of integers only (counts, nanoseconds, millionths, their exact 128-bit
//     sums and sums of squares, the values themselves up to ExactValues
//     runs, and integer quantile-sketch buckets), so
//     summaries merge exactly: the merge of the summaries of any split of the
//     runs is the summary of all of them, bit for bit, and JSON carries that
//     state without loss. A sweep can therefore be run in shards and merged.
//
// Merge trusts nothing it reads: a state that breaks an invariant (a mean
// outside [min, max], a negative variance, counts that do not add up), sums
// that would overflow, runs of another scenario or runs counted twice (see
// Summary.SetOrigin) are refused with the reason.
//
// A Table puts one Summary per strategy (or sweep grid point) side by side and
// renders it as text (120 columns by default; WriteOptions chooses columns),
// Markdown, CSV or JSON (snake_case keys, published as JSONSchema);
// ReadTable and Table.Merge combine the JSON of shards. A Gate
// ("false_rollback_rate > 0.05") judges a table for CI on the conservative
// end of each interval. Pareto finds the strategies no other beats on two
// figures at once, and Best picks the best one under constraints.
//
// Quantiles over runs are exact order statistics up to ExactValues runs per
// figure; beyond, and within one run (latencies), they come from Sketch, a
// DDSketch-style log-bucket sketch whose estimates are within
// SketchAccuracy (1%) relative error of the exact nearest-rank sample
// quantile.
//
// The package knows nothing of the simulator, strategies or policies: it
// imports only the standard library and gonum.
package metrics
