package manifest_test

import (
	"fmt"

	"github.com/deploysim/deploysim/manifest"
	"github.com/deploysim/deploysim/strategy"
)

// Read a SAM template and list what it deploys, how, what rolls it back,
// and what could not be modelled.
func ExampleRead() {
	template := []byte(`
Transform: AWS::Serverless-2016-10-31
Resources:
  Checkout:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: nodejs20.x
      AutoPublishAlias: live
      DeploymentPreference:
        Type: Canary10Percent5Minutes
        Alarms:
          - !Ref CanaryErrors
          - !Ref QueueBacklog
  CanaryErrors:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/Lambda
      MetricName: Errors
      Dimensions:
        - Name: Resource
          Value: !Sub "${Checkout}:live"
        - Name: ExecutedVersion
          Value: !GetAtt Checkout.Version.Version
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 3
      ComparisonOperator: GreaterThanOrEqualToThreshold
  QueueBacklog:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/SQS
      MetricName: ApproximateNumberOfMessagesVisible
      Statistic: Maximum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1000
      ComparisonOperator: GreaterThanThreshold
`)
	f, err := manifest.Read("template.yaml", template)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range f.Deployables {
		fmt.Println(d.Name, d.Strategy, d.Strategy.Schedule())
		fmt.Println("policy:", d.Policy.Name())
		for _, a := range d.Alarms {
			fmt.Printf("alarm %s: %s %s of %s %s %g\n", a.Name, a.Statistic, a.Metric, a.Dimension, a.Comparison.Symbol(), a.Threshold)
		}
	}
	for _, w := range f.AllWarnings() {
		fmt.Println("warning:", w)
	}
	// Output:
	// Checkout Canary10Percent5Minutes 10% at 0s, 100% at 5m
	// policy: alarms(CanaryErrors)
	// alarm CanaryErrors: Sum Errors of candidate >= 3
	// warning: template.yaml:33: Resources.QueueBacklog.Properties.Namespace: alarm QueueBacklog: namespace AWS/SQS is not AWS/Lambda: the simulator publishes only Lambda's own metrics; not modelled
}

// Read a Flagger canary: the schedule reproduces Flagger's documented
// promotion time, interval × maxWeight/stepWeight.
func ExampleRead_flagger() {
	canary := []byte(`
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
spec:
  analysis:
    interval: 1m
    threshold: 3
    maxWeight: 30
    stepWeight: 10
    metrics:
      - name: request-success-rate
        thresholdRange: {min: 99}
        interval: 1m
`)
	f, err := manifest.Read("canary.yaml", canary)
	if err != nil {
		fmt.Println(err)
		return
	}
	d := f.Deployables[0]
	fmt.Println(d.Source.Kind, d.Name)
	fmt.Println(d.Strategy.Schedule())
	fmt.Println("policy:", d.Policy.Name())
	// Output:
	// flagger.app/Canary podinfo
	// 10% at 0s, 20% at 1m, 30% at 2m, 100% at 3m
	// policy: failedChecks(request-success-rate)
}

// Explain says what was read: the strategy as written and as simulated, and
// the rollback policy — here a Flagger MetricTemplate written as an error
// percentage, 100 - 100 × the success ratio, read as an error rate above 1 %.
func ExampleDeployable_Explain() {
	files := []byte(`
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata:
  name: error-rate
spec:
  provider: {type: prometheus, address: http://prometheus:9090}
  query: |
    100 - sum(rate(http_requests_total{app="{{ target }}", code!~"5.."}[{{ interval }}]))
        / sum(rate(http_requests_total{app="{{ target }}"}[{{ interval }}])) * 100
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
spec:
  analysis:
    interval: 1m
    threshold: 2
    maxWeight: 30
    stepWeight: 10
    metrics:
      - name: error-rate
        templateRef: {name: error-rate}
        thresholdRange: {max: 1}
        interval: 1m
`)
	f, err := manifest.Read("canary.yaml", files)
	if err != nil {
		fmt.Println(err)
		return
	}
	e := f.Deployables[0].Explain()
	fmt.Println(e.Declared)
	fmt.Println(e.Modelled)
	for _, p := range e.Policy {
		fmt.Println(p)
	}
	// Output:
	// analysis: interval 1m, threshold 2, stepWeight 10, maxWeight 30
	// Flagger: 1m0s × ⌈30/10⌉ = 3 steps of 10%, then 100% at 3m0s
	// check error-rate: ErrorRate Sum of the candidate over 1m0s, fails when > 0.01; measured every 1m0s from 1m0s
	// rolled back on the tick after 2 failed checks, one every 1m0s (3m0s with every check failing; Flagger's documentation says 2m0s)
}

// A deployment configuration made outside the template (here with the
// CodeDeploy CLI) is supplied by name; without it the function is skipped
// with a warning.
func ExampleOptions_deploymentConfigs() {
	template := []byte(`
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      AutoPublishAlias: live
      DeploymentPreference:
        Type: Linear20PercentEvery2MinutesOrg
`)
	name, st, err := manifest.ParseDeploymentConfig("Linear20PercentEvery2MinutesOrg=Linear:20%,2m")
	if err != nil {
		fmt.Println(err)
		return
	}
	o := manifest.Options{DeploymentConfigs: map[string]strategy.Strategy{name: st}}
	f, err := o.Read("template.yaml", template)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Deployables[0].Name, f.Deployables[0].Strategy.Schedule())
	// Output:
	// Api 20% at 0s, 40% at 2m, 60% at 4m, 80% at 6m, 100% at 8m
}
