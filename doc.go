// Package deploysim simulates progressive deployments — AWS CodeDeploy and
// Lambda weighted aliases, Argo Rollouts, Flagger — to answer one question
// before a release goes out: if this version is bad, how many requests and
// users will it hurt, and how long until it is rolled back; and if it is
// good, how often will the rollout roll it back anyway, and how long will it
// take?
//
// # The model
//
// A deployment is simulated, not run. A strategy says what share of traffic
// the candidate version gets at each instant after t0 (when traffic shifting
// starts). A workload produces requests; each is routed to the candidate with
// probability equal to that share, as a Lambda weighted alias routes every
// invocation independently, and the chosen version decides whether it fails
// and how long it takes. The outcomes are published as CloudWatch-like
// per-period datapoints that become visible after an ingestion delay. A
// rollback policy watches only what a real deployment controller could see
// and decides when to move the weight back to 0. Many seeded runs turn into
// distributions: blast radius (failed requests, users hit), rollback latency,
// false-rollback rate, deployment duration. Time is simulated and every
// random draw comes from a seed, so the same inputs give the same numbers on
// any machine and any number of workers.
//
// # The packages
//
//   - strategy: the weight schedules. AllAtOnce, Canary, Linear (CodeDeploy's
//     shapes), BlueGreen, Steps (Argo Rollouts' setWeight/pause list) and
//     Exponential; every CodeDeploy predefined configuration for Lambda and
//     ECS as a named value (strategy.Presets); Parse for the names users
//     already write (Canary10Percent5Minutes,
//     CodeDeployDefault.LambdaLinear10PercentEvery1Minute) and a compact form
//     for the rest (Steps:10%,5m,50%,10m). Standard library only.
//   - sim: the discrete-event engine. Workloads (Poisson, diurnal, bursty,
//     replayed traces), version behaviour (error probability, latency,
//     timeouts, cold starts, faults with an onset), weighted routing, metric
//     publication with ingestion delay, and the loop that asks the policy and
//     applies its rollback. One scenario in, one metrics.Run out.
//   - rollback: the policies that decide to roll back, seeing only published
//     metrics and hook results: CloudWatch metric alarms (M out of N,
//     TreatMissingData, exactly as AWS evaluates them), and the policies the
//     peers use (hook checks, baseline comparison, anytime-valid sequential
//     tests), combined with AnyOf.
//   - metrics: what a run measured (metrics.Run: outcome, blast radius,
//     rollback latency, duration) and what many runs add up to (Summary:
//     means, quantiles, confidence intervals, detection and false-rollback
//     rates; mergeable), the per-period metric Series policies read, and
//     tables, CSV/JSON and Pareto frontiers for comparing strategies.
//   - manifest: reads the rollout configurations users already have — SAM and
//     CloudFormation templates, CodeDeploy deployment configs, Argo Rollouts
//     and Flagger manifests — into strategies and policies, with a warning for
//     each thing it cannot model.
//   - scenario: the scenario file (YAML or JSON, every setting of a
//     simulation, as the command line's flags name them) and CloudWatch's
//     Key=Value alarm syntax, loaded into a sim.Scenario.
//   - chart: the four charts (weights over time, one run against its alarm,
//     failures per strategy, the Pareto front) as *plot.Plot values to adjust.
//   - report: one page to share (self-contained HTML or Markdown): what was
//     simulated, the table, the charts, the assumptions and their sources.
//   - cmd/deploysim: the command line (compare, sweep, merge, plot,
//     evaluate, report, presets), a thin layer over the packages above.
//   - examples/…: notebook-style programs that print tables and write plots.
//
// Dependencies point one way: strategy and metrics are leaves, rollback sees
// only metrics, sim wires the three together, manifest, scenario and the
// command sit on top.
//
// # A first look
//
// The schedule of a preset, and of a strategy parsed from its name:
//
//	s, err := strategy.Parse("Linear10PercentEvery10Minutes")
//	if err != nil {
//		return err
//	}
//	fmt.Println(s.Schedule())            // 10% at 0s, 20% at 10m, … 100% at 1h30m
//	fmt.Println(s.Schedule().Duration()) // 1h30m0s
//
// # Comparing strategies
//
// Compare is the one call most users need: it simulates many deployments of
// a scenario under each strategy and returns a metrics.Table, one row per
// strategy. DefaultScenario is the built-in case the README and the command
// line start from: a candidate that fails an extra 2 % of requests at
// 5 req/s, watched by a CloudWatch alarm on its error rate that CodeDeploy
// polls every minute. At that traffic the strategies differ in everything a
// user weighs: short canaries miss the bug more often, long schedules roll
// healthy releases back on noise, and AllAtOnce is never rolled back.
//
//	sc := deploysim.DefaultScenario()
//	tab, err := deploysim.Compare(ctx, sc, nil, 500) // nil: every Lambda preset
//	if err != nil {
//		return err
//	}
//	tab.Write(os.Stdout, metrics.Text) // detection and false rollbacks, failures, users hit, time to detect and roll back, duration
//
// A row answers both halves of the question: when the candidate is bad,
// Compare also runs the scenario's healthy twin (sim.Scenario.Healthy: no
// fault, the run ends with the deployment) on the same seeds and merges the
// two into the row's Summary (Estimate does it for one scenario). The blast
// radius, detection rate and times to detect and roll back are read over
// the bad runs, the false-rollback rate and the deployment duration over the
// healthy ones (metrics.Figure.Population). HealthyScenario is the default
// case's twin on its own; metrics.Pareto and metrics.Best pick among
// the rows.
//
// Every strategy sees the same seeds, and sim.MonteCarlo, which Estimate runs
// per strategy, gives the same Summary whatever the number of cores. For
// benchstat users, BenchmarkPresets reports the same figures per preset as
// benchmark metrics (see the README).
//
// The facts the simulator honours (CodeDeploy schedules, alarm
// evaluation, Lambda routing and metrics) are listed, with their sources, in
// docs/model.md; the doc comments point there.
package deploysim
