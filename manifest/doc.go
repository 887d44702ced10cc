// Package manifest reads the rollout configurations users already run — AWS
// SAM and CloudFormation templates (YAML or JSON) with CodeDeploy deployment
// configurations and CloudWatch alarms, Argo Rollouts Rollouts with their
// AnalysisTemplates, and Flagger Canaries — into what deploysim simulates:
// for each thing the file deploys progressively, a strategy.Strategy (how
// traffic moves) and a rollback.Policy (what rolls it back).
//
// # The model
//
// A configuration says two things about a deployment: the traffic schedule
// it follows when nothing goes wrong, and the signals that stop it. The
// reader turns the first into a fixed schedule and the second into a policy
// that sees only what the real controller sees (package rollback). Whatever
// the file says that the simulation cannot reproduce — a Prometheus query of
// unknown meaning, a webhook, an alarm on a metric Lambda does not publish, a
// manual promotion — is kept as a Warning with its file, line and path,
// never dropped silently. Whatever no tool would accept (an unknown
// deployment type, a weight of 150 %, a Period of 45 s) is an *Error that
// names the file, the line and the path:
//
//	template.yaml:14: Resources.MyFn.Properties.DeploymentPreference.Type: unknown type "Canary10Percent7Minutes": …
//
// # SAM and CloudFormation
//
// Every AWS::Serverless::Function with AutoPublishAlias and a
// DeploymentPreference (its own merged with Globals.Function's: the
// function's scalars win, Alarms add up) is a deployable; so is every
// AWS::CodeDeploy::DeploymentGroup of a Lambda application in a plain
// CloudFormation template. DeploymentPreference.Type is a predefined SAM or
// CodeDeploy configuration, or a custom AWS::CodeDeploy::DeploymentConfig of
// the template (TimeBasedCanary, TimeBasedLinear, AllAtOnce), found by Ref or
// by DeploymentConfigName. Enabled: false skips the function, with a warning.
// The alarms become rollback.Alarm values watched by CodeDeploy's controller
// (rollback.CodeDeploy). Intrinsic functions — !Ref, !GetAtt, !Sub, !If,
// !Join, !Select, !Split, !FindInMap, !Base64, and the condition functions —
// are evaluated, YAML short tags and JSON long forms alike, with parameters
// at their Default (a warning says so); !ImportValue and anything else known
// only at deploy time is a warning.
//
// A plain CloudFormation deployment group is tied to its function by the
// AWS::Lambda::Alias whose UpdatePolicy CodeDeployLambdaAliasUpdate names it:
// the deployable is named after that function and takes the alias's
// BeforeAllowTrafficHook and AfterAllowTrafficHook, so SAM's translation of
// a template reads as the template; a Condition false with the parameter
// defaults, on the group, its alias or its function, skips it. A Type or
// DeploymentConfigName that is neither predefined nor defined in the template
// names a configuration made elsewhere: the deployable is skipped with a
// warning unless Options.DeploymentConfigs supplies it. Intrinsic functions
// are evaluated once per node, within a budget of steps and bytes per
// template, so that a template doubling a value at each level ends in one
// error naming the resource.
//
// Two other AWS deployments that shift traffic between versions are read
// too: a Step Functions state machine's alias (SAM's StateMachine
// DeploymentPreference, CloudFormation's StateMachineAlias: LINEAR, CANARY,
// ALL_AT_ONCE, with alarms on AWS/States), simulated with executions as the
// requests; and an API Gateway canary release (Stage CanarySetting,
// Deployment DeploymentCanarySettings, SAM Api CanarySetting), a canary at
// PercentTraffic until a human promotes it (Options.ManualPause), with the
// template's alarms on the API's 5XXError, Latency or Count.
//
// Alarm dimensions map to the simulator's: Resource = function:alias is the
// alias (all traffic); ExecutedVersion is the candidate — in a template it is
// usually !GetAtt Fn.Version.Version, the version each deployment publishes,
// and a literal version number is read the same way, with a warning;
// FunctionName alone counts every version, read as the alias with a warning.
// A metric-math alarm on Errors / Invocations (optionally × 100) is the
// ErrorRate metric, its threshold scaled to a fraction. Other namespaces,
// metrics and expressions are warnings.
//
// # Argo Rollouts
//
// A canary's steps become a strategy.Steps: setWeight sets the weight, pause
// {duration} waits, an analysis step waits for its measurements (initialDelay
// + (count-1) × interval), and pause {} (a human's promote) waits
// Options.ManualPause, strategy.DefaultManualPromotion unless set, with a
// warning. Background analysis starts at startingStep. A blueGreen strategy
// is a strategy.BlueGreen validated for autoPromotionSeconds or the
// pre-promotion analysis, whichever is longer (ManualPause when
// autoPromotionEnabled is false). The pre-promotion analysis measures the
// preview service, which takes no customer traffic, and its failure aborts
// with blue still active: it is read as a pre-traffic hook (see Hooks below)
// lasting its measurements, the first part of that validation. With a
// post-promotion analysis the rollout
// stays open at 100 % until the analysis ends, a strategy.Steps of 0 % then
// 100 %, so that a failure switches back to blue. AnalysisTemplates in the same file
// (separated by ---) give the checks: a Prometheus query that is a linear
// function (numbers, + - * /, scalar, vector) of an error rate, a success
// rate or a latency histogram quantile it recognises, with a
// successCondition or failureCondition of the form result[0] OP number.
// Whether a query watches the canary is read from its selectors (a label or
// argument naming the canary, or an argument bound to the latest pod template
// hash); a query over the whole service is read on the alias, with a warning.
//
// # Flagger
//
// A Canary's analysis becomes Flagger's controller: a rollback.FailedChecks
// with a Progression over the built-in request-success-rate and
// request-duration checks (and Prometheus MetricTemplates whose meaning is
// plain), which holds the weight on a failed check, advances it on a passing
// one, and rolls back at the tick after the threshold is reached,
// (threshold + 1) × interval for a canary failing every check (docs/model.md,
// "Flagger"). Its nominal schedule, a strategy.Steps of stepWeight
// increments (or stepWeights) one interval apart promoted one interval after
// reaching maxWeight — Flagger's documented interval × maxWeight/stepWeight —
// is what happens when every check passes. Blue/green analyses (iterations)
// validate for interval × iterations, then move all the traffic and promote
// at the next passing check; A/B analyses promote after the iterations;
// their checks during the iterations read load-test or header-matched
// traffic the simulator does not generate, a warning. Webhooks are warnings,
// except pre-rollout, read as a pre-traffic hook that takes no time (Flagger
// calls it within the first tick).
//
// # Hooks
//
// A hook is a gate outside the metrics: CodeDeploy's PreTraffic and
// PostTraffic Lambda functions (SAM Hooks), Argo's pre-promotion analysis,
// Flagger's pre-rollout webhook. The file says that it exists, not what it
// tests, so Deployable.PreTraffic and PostTraffic hold a sim.Hook whose
// duration is read where the file fixes it and is DefaultHookDuration
// otherwise, and whose catch probability is always DefaultHookCatchProb, an
// assumption every such hook is warned about. Argo's post-promotion analysis
// is not a hook: it measures customer traffic, so it is read as checks.
//
// # Using it
//
// ReadFile (or Read, for bytes) reads one file; ReadFiles reads several,
// Kubernetes manifests together so that a Rollout finds AnalysisTemplates
// kept in another file. Options.ManualPause sets the assumed delay of a
// human promotion. Deployable.Apply puts a deployable's strategy, policy and
// hooks into a sim.Scenario whose workload and versions the caller chooses
// (and, for Argo and Flagger, a Prometheus-like metric delay in place of
// CloudWatch's); a hook set in the scenario says how the file's hooks behave:
//
//	f, err := manifest.ReadFile("template.yaml")
//	if err != nil {
//		return err // template.yaml:14: Resources.MyFn.Properties…: …
//	}
//	for _, d := range f.Deployables {
//		run, err := sim.Run(d.Apply(scenario))
//		…
//	}
//	for _, w := range f.AllWarnings() {
//		fmt.Println(w)
//	}
//
// Deployable.Explain says what was read, for a person to check against the
// file: the strategy in the file's words and as simulated, each alarm and
// check, the hooks, and whether detection rests only on a hook's assumed
// catch probability or on a policy none of whose alarms could be modelled.
//
// A misspelt field is not lost: a DeploymentPreference property a letter or
// two away from one SAM knows is an error; any other SAM ignores, and Read
// warns about; Kubernetes prunes unknown fields, Read warns.
package manifest
