// Package observe turns the metrics a team already has into the numbers a
// simulation needs: how much traffic arrives, minute by minute; how often the
// function fails when nothing is wrong, and how much that varies from one
// period to the next; how long it runs; how much of it runs at once and how
// often it is throttled.
//
// The model. Every input file is read into Series: one metric (Invocations,
// Errors, Duration …), one statistic (Sum, Average, p99 …), one value per
// period, oldest first, each series saying which file and which entry it came
// from. Fit then reads the series as a whole:
//
//   - Traffic is replayed, not summarised: minute k of the simulation has a
//     Poisson number of arrivals with mean c_k, the requests the file counted
//     in that minute (Invocations + Throttles, since Lambda counts a throttled
//     call in neither Invocations nor Errors), starting at the first
//     datapoint or at a given start, optionally looped and scaled. A
//     piecewise-constant Poisson rate keeps the day's shape and volume while
//     each simulated run draws fresh counts, as a Monte Carlo over seeds needs.
//   - The baseline error rate is p̂ = ΣErrors / ΣInvocations. Its
//     period-to-period dispersion is tested against the binomial, the law of
//     independent requests: the Pearson statistic X² = Σ (e_k − n_k p̂)² /
//     (n_k p̂ (1 − p̂)) has K − 1 degrees of freedom when errors are binomial.
//     When errors come in bursts X² is larger, and the intra-period
//     correlation ρ (the beta-binomial's, Var e_k = n_k p(1−p)(1 + (n_k−1)ρ))
//     is estimated by moments, ρ̂ = (X² − (K−1)) / Σ(n_k − 1). The simulator
//     reproduces it with a per-period error rate drawn from a Beta law
//     (sim.ErrorDispersion); a simulation without it makes a threshold alarm
//     look quieter than it is.
//   - Latency is a lognormal fitted to the percentiles the file has (p50,
//     p90, p99, or an Average): ln q = μ + σ·z_p by least squares over the
//     medians across periods of each percentile.
//   - Concurrency is read from ConcurrentExecutions (its peak and mean) and the
//     throttle rate Throttles / (Invocations + Throttles); throttles at a flat
//     peak say that a concurrency limit was reached.
//
// Every fitted value is an Estimate that says where it came from (file,
// series, how many periods) and with what standard error, and Fit returns
// warnings for what the data cannot say: gaps (periods CloudWatch left out),
// pages marked PartialData with no page after them, a series shorter than the
// deployment it is meant to drive, values it had to ignore.
//
// The formats read (ReadFile tells them apart by their first bytes):
//
//   - `aws cloudwatch get-metric-data` JSON (MetricDataResults with Id, Label,
//     Timestamps newest first, Values, StatusCode; NextToken pages written one
//     after the other into one file are concatenated);
//   - `aws cloudwatch get-metric-statistics` JSON (Label, Datapoints with
//     Timestamp, Sum, Average, Minimum, Maximum, SampleCount,
//     ExtendedStatistics), in any order;
//   - Prometheus `/api/v1/query_range` JSON (a matrix of request and error
//     rates per second);
//   - the Azure Functions 2019 public trace
//     (invocations_per_function_md.anon.dNN.csv, one function per line with
//     1,440 per-minute counts, and function_durations_percentiles.anon.dNN.csv),
//     streamed in bounded memory, one function picked by hash, "busiest" or
//     "rank:N";
//   - a per-minute CSV of timestamp,count (RFC 3339 or Unix seconds).
//
// Lambda's metrics (Invocations, Errors, Throttles, Duration,
// ConcurrentExecutions) and API Gateway's (Count, 5XXError, 4XXError,
// Latency, IntegrationLatency) are recognised by the Id or Label of the
// query (Recognise says how). Errors name the file, the line and the field,
// and quote at most 40 bytes of a bad value.
//
// Nothing here reads the clock: times come from the files, and durations are
// counted from the first datapoint (or the start the caller gives).
package observe
