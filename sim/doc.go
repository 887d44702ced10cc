// Package sim simulates a progressive deployment, request by request (or,
// where that is exact, by per-bucket counts: see Resolution), and measures
// what it did: how many requests and users a bad candidate hurt,
// when the fault was detected and the traffic moved back, and, for a healthy
// candidate, whether the rollout rolled it back anyway.
//
// # The model
//
// A Scenario describes one deployment. Its Workload produces request
// arrivals (constant-rate Poisson, a daily cycle, Markov-modulated bursts, or
// a replayed per-second trace). Each arrival goes through a weighted alias,
// as AWS Lambda routes an invocation: to the candidate version with
// probability equal to the strategy's weight at the arrival instant, else to
// the baseline, independently per request (docs/model.md: "Versions, aliases,
// routing"). The chosen version decides the request's duration (lognormal
// from a p50 and a p99 by default), whether it fails (an error probability)
// and whether it runs past its timeout. The candidate can carry a Fault:
// extra errors and/or a latency regression, from an onset instant or after a
// number of requests, for all request kinds or only some.
//
// Completed invocations are counted per metric period and dimension (alias,
// candidate, baseline), as Lambda publishes Invocations, Errors and Duration
// to CloudWatch. A datapoint becomes visible to the rollback policy only when
// its period has ended and the ingestion delay has passed. The policy is
// evaluated at the instants its monitor asks for while the deployment runs;
// when it decides to roll back, the weight goes to 0 after the action latency
// and the requests already running on the candidate finish (drain).
//
// A Scenario can also declare request kinds (a mix such as 80% reads and 20%
// writes; a fault may hit only some kinds, as an input-dependent bug does)
// and a user population with Zipf-distributed activity, so that a run counts
// the distinct users who saw at least one candidate failure.
//
// # Execution environments, event models and hooks
//
// With Scenario.Concurrency (start from DefaultConcurrency) each version
// has its own pool of execution environments, as Lambda keeps one per
// version: an invocation takes an idle warm environment or starts one and
// pays the init (a cold start, lognormal with median 300 ms by default);
// idle environments are reclaimed after KeepAlive (10 min); Provisioned
// environments per version are warm from the start. The candidate, a new
// version, starts with none, so each canary step that raises its traffic
// shows a latency spike in its published Duration percentiles until the pool
// has grown. A function-level ReservedLimit and an AccountLimit throttle the
// invocations beyond them (a 429 for a synchronous caller; Throttles per
// version), and ConcurrentExecutions is published per version and for the
// alias, sampled every second. exec.go documents the model.
//
// Scenario.EventModel says how callers invoke the function: Sync (the
// default), Async (Lambda's asynchronous invocation: a failed event is
// retried up to twice, after 1 and 2 minutes, a throttled one with backoff,
// each retry routed afresh by the alias weight, until it succeeds, its
// retries are used up or it is older than MaxEventAge; metrics.Run counts
// FailedAttempts and LostEvents or DeadLettered), or Queue (an SQS queue read
// in batches by an event source mapping: a batch fails if any message fails
// and is received again after the visibility timeout, messages go to the
// dead-letter queue after MaxReceiveCount receives; DelayedMessages and
// DeadLettered). These need the per-request engine.
//
// Scenario.PreTraffic and PostTraffic are CodeDeploy's lifecycle hooks: a
// check that runs for a duration and catches a fault active at that time
// with some probability. A failed pre-traffic hook ends the deployment
// before any customer request reaches the candidate (Outcome HookAborted); a
// failed post-traffic hook, which runs after the last step, rolls it back.
// Both engines run hooks.
//
// # What a run measures
//
// Run returns a metrics.Run: requests, successes, errors, timeouts and
// requests still in flight per version; the blast radius (candidate
// failures, ExcessFailures — the expected failures above what the baseline
// would have failed on the same requests — distinct users hit, and the
// exposure ∫ weight dt); the instants of fault onset, first failure,
// detection, weight back at 0, drain, promotion and end; the outcome
// (completed, rolled back, false rollback, missed, hook-aborted,
// unfinished); throttles and cold starts per version; for the event models,
// failed attempts, lost, delayed and dead-lettered events; latency
// sketches per version; and, with KeepSeries, the per-period series the
// policy watched. A Runner reuses its memory across runs for Monte Carlo
// loops.
//
// # Two resolutions, one answer
//
// Scenario.Resolution chooses the engine. PerRequest simulates every
// arrival and completion as an event: it is exact for queueing (concurrency
// limits, cold starts, retries, batches). Bucketed draws each bucket's counts
// directly — arrivals Poisson(∫λ), split binomially by the weight and the
// request kinds, errors and timeouts binomial per version, latency sketches
// as multinomials over the sketch's fixed buckets — which for Poisson
// traffic with independent routing and errors is exact in distribution for
// every count, at a cost that does not grow with the request rate. Buckets
// never straddle a weight change, a fault onset, a period boundary, an
// evaluation, a rollback instant or the horizon. Auto (the default) picks
// Bucketed unless the scenario needs per-request detail (needsPerRequest in
// bucket.go lists what forces it: the execution model, non-Sync event models,
// non-Poisson workloads such as Bursty, latency models without a CDF);
// asking for Bucketed with such a feature is an error naming it, never a
// silent approximation. metrics.Run.Resolution records the engine used.
// bucket.go documents the few timing draws (drain end, in flight at the
// horizon) that are exact marginally but drawn independently.
//
// # The engine
//
// Simulated time is a time.Duration since the deployment started; nothing
// reads the clock. The engine keeps one event queue ordered by (instant,
// kind, scheduling order): arrivals (only the next one is queued at a time),
// completions, weight steps, datapoint publications, policy evaluations,
// fault onset, the end of the bake, the rollback action and the horizon.
// Events at the same instant are handled in a fixed order: completions,
// fault onset, publications, evaluations, weight steps, end of the bake,
// rollback action, horizon, arrivals (see the event kinds in control.go for
// why). Events are small
// values, so the steady state allocates nothing per event.
//
// All randomness of a run comes from one PCG generator seeded from
// Scenario.Seed: the same scenario gives the same metrics.Run, bit for bit,
// on any platform and whatever else runs concurrently.
//
// # When a run ends
//
// With Horizon 0, the run follows the deployment: it stops admitting
// requests when the deployment is over — at the schedule's last step (the
// weight is final), or Bake later — or when a rollback has brought the
// weight to 0, and ends when the requests in flight have finished. With Horizon > 0, requests keep arriving after the
// deployment completes until the horizon, so that a missed fault keeps
// failing requests; the policy is no longer consulted then, as CodeDeploy
// watches alarms only while a deployment runs. A rollback ends the run once
// drained in both cases, and the horizon always ends it, leaving requests
// in flight.
//
// # What a run may cost
//
// A scenario whose run would take hours or gigabytes is nearly always a
// slip of a unit (1e9 requests per second replayed one by one, a ten-year
// horizon recorded minute by minute), so Validate refuses it up front,
// naming the fields to change: a per-request run may draw at most
// MaxRequestArrivals (1e9) arrivals, thinning candidates, state switches or
// queue receives; any run at most MaxArrivals (1e15) arrivals; a run
// records at most MaxPeriods (50,000) metric periods; durations are at most
// MaxSpan (50 years); a schedule has at most strategy.MaxSteps+1 steps; a
// per-request run holds at most MaxInFlight (1e7) requests in flight on
// average (Little's law: rate × mean latency cut at the timeout). What
// Validate cannot foresee is caught during the run: retries that multiply
// the requests by the MaxEvents budget, a custom Workload whose arrivals go
// back in time or stall (more than MaxArrivalFactor times what its Integral
// expects), a custom Monitor that evaluates more than MaxEvaluations (1e7)
// times.
//
// Memory: a run holds its recorded metric periods (about 1 kB each for a
// policy alone in the bucketed engine, 4 kB per request-level or
// KeepSeries period; at most MaxPeriods of them, a few hundred megabytes)
// plus, per request, its requests in flight (about 100 bytes each). Each
// MonteCarlo worker holds one run at a time, and MonteCarlo runs no more
// workers than fit in MaxMonteCarloMemory (4 GiB) together, so a long,
// finely recorded scenario runs on fewer cores rather than exhausting
// memory. Typical runs (the default scenario) hold well under a megabyte.
package sim
