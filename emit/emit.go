// Package emit writes a strategy and a rollback policy as the configuration
// a user pastes into their deployment: an AWS SAM DeploymentPreference, a
// plain CloudFormation CodeDeploy deployment group, an Argo Rollouts canary
// with its AnalysisTemplate, or a Flagger Canary's analysis. It is the way
// out of `deploysim recommend`; package manifest is the way in, and every
// snippet this package writes reads back through manifest into the same
// strategy (the same weight schedule) and the policy the snippet states.
//
// # What each target can say
//
// SAM and CloudFormation are exact: CodeDeploy's canary, linear and
// all-at-once shapes (a predefined configuration by name, a custom
// AWS::CodeDeploy::DeploymentConfig otherwise, whole percents and minutes)
// watched by CloudWatch alarms, which is what rollback.Alarms simulates. A
// Steps or Exponential schedule, or a policy other than CloudWatch alarms,
// has no CodeDeploy form and is an error.
//
// Argo Rollouts and Flagger query Prometheus instead of CloudWatch, so an
// alarm is translated into their analysis, and the translation is stated in
// the snippet's comments: an ErrorRate alarm on the candidate becomes an
// error-rate query on the canary's pods, measured every alarm period, and
// "M of N datapoints" becomes "M failed measurements" (Argo's failureLimit
// M-1, Flagger's threshold M), which counts failures over the whole rollout
// rather than in a sliding window of N and so rolls back at least as often.
// A count alarm (Errors >= k) has no traffic-independent error-rate
// equivalent and is an error for these targets, as are the statistical
// policies. Any weight schedule is an Argo steps list (whole percents);
// Flagger needs one increasing weight per analysis interval.
package emit

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// Formats lists the targets, as --emit spells them.
const Formats = "sam, cloudformation, argo, flagger"

// Known reports whether format is one of Formats.
func Known(format string) bool {
	switch format {
	case "sam", "cloudformation", "argo", "flagger":
		return true
	}
	return false
}

// Write writes s and p in format (one of Formats).
func Write(w io.Writer, format string, s strategy.Strategy, p rollback.Policy) error {
	var out string
	var err error
	switch format {
	case "sam":
		out, err = SAM(s, p)
	case "cloudformation":
		out, err = CloudFormation(s, p)
	case "argo":
		out, err = Argo(s, p)
	case "flagger":
		out, err = Flagger(s, p)
	default:
		return fmt.Errorf("emit: format %q: must be one of %s", format, Formats)
	}
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, out)
	return err
}

// The logical names and placeholders the snippets use.
const (
	FunctionID  = "Function" // the SAM/CloudFormation function's logical id
	Alias       = "live"     // AutoPublishAlias
	ConfigID    = "RolloutConfig"
	RolloutName = "app" // the Argo Rollout / Flagger Canary name
)

// codeDeployType returns the SAM DeploymentPreference.Type of s when it is
// a predefined Lambda configuration, or the custom
// AWS::CodeDeploy::DeploymentConfig properties otherwise.
func codeDeployType(s strategy.Strategy) (preset string, custom string, err error) {
	if s == nil {
		return "", "", fmt.Errorf("emit: strategy is nil")
	}
	for _, p := range strategy.LambdaPresets() {
		if strategy.Equal(p, s) {
			return p.Name(), "", nil
		}
	}
	if _, ok := strategy.CodeDeployName(s); !ok {
		return "", "", fmt.Errorf("emit: strategy %s: CodeDeploy has no such configuration (only canary, linear and all-at-once with whole percents 1-99 and whole minutes); use argo", s)
	}
	var b strings.Builder
	b.WriteString("      ComputePlatform: Lambda\n      TrafficRoutingConfig:\n")
	switch s := s.(type) {
	case strategy.Canary:
		fmt.Fprintf(&b, "        Type: TimeBasedCanary\n        TimeBasedCanary:\n          CanaryPercentage: %d\n          CanaryInterval: %d\n", int(s.Percent), int(s.Interval/time.Minute))
	case strategy.Linear:
		fmt.Fprintf(&b, "        Type: TimeBasedLinear\n        TimeBasedLinear:\n          LinearPercentage: %d\n          LinearInterval: %d\n", int(s.Percent), int(s.Interval/time.Minute))
	default:
		return "", "", fmt.Errorf("emit: strategy %s: CodeDeploy has no custom configuration of this type", s)
	}
	return "", b.String(), nil
}

// codeDeployParts is what the SAM and CloudFormation writers share: the
// deployment configuration (codeDeployType) and the alarms
// (cloudWatchAlarms).
func codeDeployParts(s strategy.Strategy, p rollback.Policy) (preset, custom string, alarms []rollback.Alarm, err error) {
	if preset, custom, err = codeDeployType(s); err != nil {
		return "", "", nil, err
	}
	alarms, err = cloudWatchAlarms(p)
	return preset, custom, alarms, err
}

// cloudWatchAlarms returns the alarms of p, which must be CodeDeploy's
// controller as rollback.CodeDeploy builds it.
func cloudWatchAlarms(p rollback.Policy) ([]rollback.Alarm, error) {
	a, ok := p.(rollback.Alarms)
	if !ok {
		name := "none"
		if p != nil {
			name = p.Name()
		}
		return nil, fmt.Errorf("emit: policy %s: CodeDeploy rolls back on CloudWatch alarms only; use argo or flagger for a statistical analysis", name)
	}
	def := rollback.CodeDeploy()
	if a.PollInterval != def.PollInterval || a.PollOffset != 0 || a.EvaluationInterval != 0 {
		return nil, fmt.Errorf("emit: policy %s: CodeDeploy's poll and CloudWatch's evaluation cadences are AWS's, not settings (poll %v, evaluation %v)", a.Name(), a.PollInterval, a.EvaluationInterval)
	}
	if len(a.Alarms) == 0 {
		return nil, fmt.Errorf("emit: policy %s has no alarm", a.Name())
	}
	for _, al := range a.Alarms {
		if err := al.Validate(); err != nil {
			return nil, fmt.Errorf("emit: %w", err)
		}
		if al.Metric != metrics.Errors && al.Metric != metrics.ErrorRate && al.Metric != metrics.Invocations && al.Metric != metrics.Throttles {
			return nil, fmt.Errorf("emit: alarm %s: metric %s: only Errors, ErrorRate, Invocations and Throttles are written", al.Name, al.Metric)
		}
		if al.Dimension == metrics.Baseline {
			return nil, fmt.Errorf("emit: alarm %s: the baseline version has no CloudWatch dimension of its own in a template", al.Name)
		}
		if al.Statistic.Kind == metrics.Percentile {
			return nil, fmt.Errorf("emit: alarm %s: percentile statistics are written only for Duration", al.Name)
		}
		if al.EvaluationRange != 0 {
			return nil, fmt.Errorf("emit: alarm %s: EvaluationRange is CloudWatch's, not a setting", al.Name)
		}
	}
	return a.Alarms, nil
}

// alarmID is a CloudFormation logical id for alarm i.
func alarmID(a rollback.Alarm, i int) string {
	var b strings.Builder
	for _, r := range a.Name {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return fmt.Sprintf("Alarm%d", i+1)
	}
	return fmt.Sprintf("%s%d", b.String(), i+1)
}

func num(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%g", f)
}

// dimensions writes the Lambda dimensions of d for the function fn: the
// alias (Resource = fn:alias, FunctionName) and, for the candidate, the
// version each deployment publishes (ExecutedVersion).
func dimensions(indent string, d metrics.Dimension, version string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s- Name: Resource\n%s  Value: !Sub \"${%s}:%s\"\n", indent, indent, FunctionID, Alias)
	fmt.Fprintf(&b, "%s- Name: FunctionName\n%s  Value: !Ref %s\n", indent, indent, FunctionID)
	if d == metrics.Candidate {
		fmt.Fprintf(&b, "%s- Name: ExecutedVersion\n%s  Value: %s\n", indent, indent, version)
	}
	return b.String()
}

// alarmResource writes one AWS::CloudWatch::Alarm.
func alarmResource(id string, a rollback.Alarm, version string) string {
	var b strings.Builder
	m := a.M()
	fmt.Fprintf(&b, "  %s:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n", id)
	fmt.Fprintf(&b, "      AlarmDescription: %q\n", fmt.Sprintf("deploysim recommend: %s(%s) %s %s %s in %d of %d periods of %ds",
		a.Metric, a.Dimension, a.Statistic, a.Comparison.Symbol(), num(a.Threshold), m, a.EvaluationPeriods, int(a.Period/time.Second)))
	per := int(a.Period / time.Second)
	if a.Metric == metrics.ErrorRate {
		b.WriteString("      Metrics:\n        - Id: rate\n          Expression: errors / invocations\n          ReturnData: true\n")
		for _, q := range []struct{ id, name string }{{"errors", "Errors"}, {"invocations", "Invocations"}} {
			fmt.Fprintf(&b, "        - Id: %s\n          ReturnData: false\n          MetricStat:\n            Period: %d\n            Stat: Sum\n            Metric:\n              Namespace: AWS/Lambda\n              MetricName: %s\n              Dimensions:\n", q.id, per, q.name)
			b.WriteString(dimensions("                ", a.Dimension, version))
		}
	} else {
		fmt.Fprintf(&b, "      Namespace: AWS/Lambda\n      MetricName: %s\n      Dimensions:\n", a.Metric)
		b.WriteString(dimensions("        ", a.Dimension, version))
		fmt.Fprintf(&b, "      Statistic: %s\n      Period: %d\n", a.Statistic, per)
	}
	fmt.Fprintf(&b, "      EvaluationPeriods: %d\n      DatapointsToAlarm: %d\n      Threshold: %s\n      ComparisonOperator: %s\n      TreatMissingData: %s\n",
		a.EvaluationPeriods, m, num(a.Threshold), a.Comparison, a.TreatMissingData)
	return b.String()
}

// SAM writes a SAM template: the function's AutoPublishAlias and
// DeploymentPreference (a predefined Type, or a Ref to a custom
// AWS::CodeDeploy::DeploymentConfig), and one AWS::CloudWatch::Alarm per
// alarm of p. The function's code properties are placeholders to replace
// by the user's; the rest is what to merge into their template.
func SAM(s strategy.Strategy, p rollback.Policy) (string, error) {
	preset, custom, alarms, err := codeDeployParts(s, p)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# deploysim recommend: %s watched by %d CloudWatch alarm(s).\n", s, len(alarms))
	b.WriteString("# Merge AutoPublishAlias and DeploymentPreference into your function, add the other resources.\n")
	b.WriteString("AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n")
	fmt.Fprintf(&b, "  %s:\n    Type: AWS::Serverless::Function\n    Properties:\n", FunctionID)
	b.WriteString("      Handler: index.handler # yours\n      Runtime: nodejs20.x # yours\n      CodeUri: ./src # yours\n")
	fmt.Fprintf(&b, "      AutoPublishAlias: %s\n      DeploymentPreference:\n", Alias)
	if preset != "" {
		fmt.Fprintf(&b, "        Type: %s\n", preset)
	} else {
		fmt.Fprintf(&b, "        Type: !Ref %s\n", ConfigID)
	}
	b.WriteString("        Alarms:\n")
	for i, a := range alarms {
		fmt.Fprintf(&b, "          - !Ref %s\n", alarmID(a, i))
	}
	if custom != "" {
		fmt.Fprintf(&b, "  %s:\n    Type: AWS::CodeDeploy::DeploymentConfig\n    Properties:\n%s", ConfigID, custom)
	}
	for i, a := range alarms {
		b.WriteString(alarmResource(alarmID(a, i), a, fmt.Sprintf("!GetAtt %s.Version.Version", FunctionID)))
	}
	return b.String(), nil
}

// CloudFormation writes a plain CloudFormation template: a CodeDeploy
// application and a Lambda deployment group with the configuration (a
// predefined CodeDeployDefault.Lambda… name, or a custom
// AWS::CodeDeploy::DeploymentConfig) and the alarms, the alarm resources on
// the function's alias and the version being deployed (an
// AWS::Lambda::Version resource), and a placeholder function.
func CloudFormation(s strategy.Strategy, p rollback.Policy) (string, error) {
	preset, custom, alarms, err := codeDeployParts(s, p)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# deploysim recommend: %s watched by %d CloudWatch alarm(s).\n", s, len(alarms))
	b.WriteString("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n")
	b.WriteString("  Application:\n    Type: AWS::CodeDeploy::Application\n    Properties:\n      ComputePlatform: Lambda\n")
	if custom != "" {
		fmt.Fprintf(&b, "  %s:\n    Type: AWS::CodeDeploy::DeploymentConfig\n    Properties:\n%s", ConfigID, custom)
	}
	b.WriteString("  DeploymentGroup:\n    Type: AWS::CodeDeploy::DeploymentGroup\n    Properties:\n      ApplicationName: !Ref Application\n")
	if preset != "" {
		name, _ := strategy.CodeDeployName(s)
		fmt.Fprintf(&b, "      DeploymentConfigName: %s\n", name)
	} else {
		fmt.Fprintf(&b, "      DeploymentConfigName: !Ref %s\n", ConfigID)
	}
	b.WriteString("      DeploymentStyle:\n        DeploymentType: BLUE_GREEN\n        DeploymentOption: WITH_TRAFFIC_CONTROL\n")
	b.WriteString("      AutoRollbackConfiguration:\n        Enabled: true\n        Events: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM]\n")
	b.WriteString("      AlarmConfiguration:\n        Enabled: true\n        Alarms:\n")
	for i, a := range alarms {
		fmt.Fprintf(&b, "          - Name: !Ref %s\n", alarmID(a, i))
	}
	fmt.Fprintf(&b, "  %s:\n    Type: AWS::Lambda::Function\n    Properties:\n      Handler: index.handler # yours\n      Runtime: nodejs20.x # yours\n      Role: arn:aws:iam::123456789012:role/yours # yours\n      Code: {ZipFile: \"exports.handler = async () => 'ok'\"} # yours\n", FunctionID)
	fmt.Fprintf(&b, "  Version:\n    Type: AWS::Lambda::Version\n    Properties:\n      FunctionName: !Ref %s\n", FunctionID)
	for i, a := range alarms {
		b.WriteString(alarmResource(alarmID(a, i), a, "!GetAtt Version.Version"))
	}
	return b.String(), nil
}

// rateAlarm returns p's single ErrorRate alarm, the one policy the
// Prometheus targets translate.
func rateAlarm(target string, p rollback.Policy) (rollback.Alarm, error) {
	a, ok := p.(rollback.Alarms)
	if !ok || len(a.Alarms) != 1 {
		name := "none"
		if p != nil {
			name = p.Name()
		}
		return rollback.Alarm{}, fmt.Errorf("emit: %s: policy %s: only a single CloudWatch ErrorRate alarm translates into a Prometheus analysis", target, name)
	}
	al := a.Alarms[0]
	if al.Metric != metrics.ErrorRate {
		return al, fmt.Errorf("emit: %s: alarm %s on %s: a count has no error-rate equivalent independent of traffic; recommend over ErrorRate alarms (a --space file with alarms.metrics: [ErrorRate]) for this target", target, al.Name, al.Metric)
	}
	if al.Comparison != rollback.GreaterThanOrEqualToThreshold && al.Comparison != rollback.GreaterThanThreshold {
		return al, fmt.Errorf("emit: %s: alarm %s: comparison %s: only >= and > translate", target, al.Name, al.Comparison)
	}
	return al, nil
}

// promDuration writes d as a Prometheus/Kubernetes duration (90s, 5m, 1h).
func promDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// weight writes a schedule weight as a whole percent, or an error.
func weight(s strategy.Strategy, w float64) (int, error) {
	pct := float64(100 * w) // converted: no fused multiply-add on arm64
	if math.Abs(pct-math.Round(pct)) > 1e-9 {
		return 0, fmt.Errorf("emit: strategy %s: weight %g%%: Argo and Flagger take whole percents", s, pct)
	}
	return int(math.Round(pct)), nil
}

// Argo writes an Argo Rollouts Rollout whose canary steps follow s's
// schedule (setWeight, pause), with a background analysis from the first
// step, and the AnalysisTemplate translating p's ErrorRate alarm: an error
// rate of the canary's pods (selected by the latest pod template hash) over
// each alarm period, failing at the threshold, failureLimit M-1.
func Argo(s strategy.Strategy, p rollback.Policy) (string, error) {
	if s == nil {
		return "", fmt.Errorf("emit: strategy is nil")
	}
	al, err := rateAlarm("argo", p)
	if err != nil {
		return "", err
	}
	sched := s.Schedule()
	var steps strings.Builder
	for i, st := range sched {
		if i == len(sched)-1 && st.Weight == 1 && (i == 0 || sched[i-1].Weight != 1) {
			break // Argo promotes to 100 % once the last step is done
		}
		w, err := weight(s, st.Weight)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&steps, "        - setWeight: %d\n", w)
		if i+1 < len(sched) {
			fmt.Fprintf(&steps, "        - pause: {duration: %s}\n", promDuration(sched[i+1].At-st.At))
		}
	}
	per := promDuration(al.Period)
	op := ">="
	if al.Comparison == rollback.GreaterThanThreshold {
		op = ">"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# deploysim recommend: %s with %s, translated for Argo Rollouts.\n", s, al.Name)
	fmt.Fprintf(&b, "# The CloudWatch alarm (%d of %d periods) becomes a Prometheus error-rate analysis every %s failing the\n", al.M(), al.EvaluationPeriods, per)
	fmt.Fprintf(&b, "# rollout after %d failed measurement(s) in all (failureLimit %d), not in a sliding window of %d:\n", al.M(), al.M()-1, al.EvaluationPeriods)
	b.WriteString("# at least as quick to roll back. Replace http_requests_total and the labels with your metrics.\n")
	fmt.Fprintf(&b, "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: %s\nspec:\n  strategy:\n    canary:\n", RolloutName)
	fmt.Fprintf(&b, "      analysis:\n        templates:\n          - templateName: %s-error-rate\n        args:\n          - name: service\n            value: %s\n          - name: canary-hash\n            valueFrom:\n              podTemplateHashValue: Latest\n", RolloutName, RolloutName)
	b.WriteString("      steps:\n")
	b.WriteString(steps.String())
	fmt.Fprintf(&b, "---\napiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: %s-error-rate\nspec:\n  args:\n    - name: service\n    - name: canary-hash\n  metrics:\n", RolloutName)
	fmt.Fprintf(&b, "    - name: error-rate\n      interval: %s\n      failureLimit: %d\n      failureCondition: result[0] %s %s\n", per, al.M()-1, op, num(al.Threshold))
	b.WriteString("      provider:\n        prometheus:\n          address: http://prometheus.monitoring:9090 # yours\n          query: |\n")
	sel := `service="{{args.service}}"`
	if al.Dimension == metrics.Candidate {
		sel += `,rollouts_pod_template_hash="{{args.canary-hash}}"`
	}
	fmt.Fprintf(&b, "            sum(rate(http_requests_total{%s,code=~\"5..\"}[%s]))\n            /\n            sum(rate(http_requests_total{%s}[%s]))\n", sel, per, sel, per)
	return b.String(), nil
}

// Flagger writes a Flagger Canary analysis: one increasing weight per
// analysis interval (stepWeights, or stepWeight for equal increments), the
// interval being the alarm's period, promoted one interval after the last,
// with the built-in request-success-rate check at 100 × (1 - threshold) %
// and threshold M failed checks.
func Flagger(s strategy.Strategy, p rollback.Policy) (string, error) {
	if s == nil {
		return "", fmt.Errorf("emit: strategy is nil")
	}
	al, err := rateAlarm("flagger", p)
	if err != nil {
		return "", err
	}
	if al.Dimension != metrics.Candidate {
		return "", fmt.Errorf("emit: flagger: alarm %s on the %s: Flagger's request-success-rate measures the canary", al.Name, al.Dimension)
	}
	sched := s.Schedule()
	if len(sched) < 2 || sched[0].At != 0 {
		return "", fmt.Errorf("emit: flagger: strategy %s: Flagger needs at least one canary weight before promotion", s)
	}
	iv := sched[1].At - sched[0].At
	var weights []int
	for i, st := range sched[:len(sched)-1] {
		if sched[i+1].At-st.At != iv {
			return "", fmt.Errorf("emit: flagger: strategy %s: Flagger moves one step per analysis interval; the steps of this schedule are not evenly spaced", s)
		}
		w, err := weight(s, st.Weight)
		if err != nil {
			return "", err
		}
		if len(weights) > 0 && w <= weights[len(weights)-1] {
			return "", fmt.Errorf("emit: flagger: strategy %s: stepWeights must increase", s)
		}
		weights = append(weights, w)
	}
	if iv%al.Period != 0 && al.Period%iv != 0 {
		return "", fmt.Errorf("emit: flagger: the schedule's step (%v) and the alarm period (%v) do not divide each other", iv, al.Period)
	}
	ws := make([]string, len(weights))
	for i, w := range weights {
		ws[i] = fmt.Sprint(w)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# deploysim recommend: %s with %s, translated for Flagger.\n", s, al.Name)
	fmt.Fprintf(&b, "# One weight per %s interval; the check is Flagger's request-success-rate over %s, and %d failed\n", promDuration(iv), promDuration(al.Period), al.M())
	fmt.Fprintf(&b, "# check(s) in all roll back (the alarm's %d of %d is a sliding window: Flagger never resets its count).\n", al.M(), al.EvaluationPeriods)
	fmt.Fprintf(&b, "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: %s\nspec:\n  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: %s\n  service:\n    port: 80 # yours\n", RolloutName, RolloutName)
	fmt.Fprintf(&b, "  analysis:\n    interval: %s\n    threshold: %d\n    maxWeight: %d\n", promDuration(iv), al.M(), weights[len(weights)-1])
	fmt.Fprintf(&b, "    stepWeights: [%s]\n", strings.Join(ws, ", "))
	fmt.Fprintf(&b, "    metrics:\n      - name: request-success-rate\n        thresholdRange:\n          min: %s\n        interval: %s\n", num(100*(1-al.Threshold)), promDuration(al.Period))
	return b.String(), nil
}
