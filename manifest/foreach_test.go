package manifest

import (
	"strings"
	"testing"
)

// Fn::ForEach over a CommaDelimitedList parameter makes one function per
// value, each with its DeploymentPreference and its own alarm: ${Name} in
// the logical ids and a !Ref Name in the dimension take the value.
func TestForEach(t *testing.T) {
	src := `Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Parameters:
  Services: {Type: CommaDelimitedList, Default: "Orders,Users"}
Resources:
  Fn::ForEach::Services:
    - Name
    - !Ref Services
    - ${Name}Fn:
        Type: AWS::Serverless::Function
        Properties:
          FunctionName: !Ref Name
          AutoPublishAlias: live
          DeploymentPreference:
            Type: Canary10Percent5Minutes
            Alarms: [!Ref "${Name}Errors"]
      ${Name}Errors:
        Type: AWS::CloudWatch::Alarm
        Properties:
          Namespace: AWS/Lambda
          MetricName: Errors
          Dimensions:
            - {Name: FunctionName, Value: !Ref Name}
          Statistic: Sum
          Period: 60
          EvaluationPeriods: 1
          Threshold: 1
          ComparisonOperator: GreaterThanOrEqualToThreshold
`
	f, err := Read("loop.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Deployables) != 2 || f.Deployables[0].Name != "OrdersFn" || f.Deployables[1].Name != "UsersFn" {
		t.Fatalf("%d deployables %v", len(f.Deployables), f.Deployables)
	}
	for _, d := range f.Deployables {
		if len(d.Alarms) != 1 || !strings.HasSuffix(d.Alarms[0].Name, "Errors") || d.Strategy.String() != "Canary10Percent5Minutes" {
			t.Errorf("%s: %v alarms %+v", d.Name, d.Strategy, d.Alarms)
		}
	}
}

// Nested loops that multiply beyond the bound end in one error.
func TestForEachBound(t *testing.T) {
	list := "[" + strings.Repeat("a,", 99) + "a]"
	src := "Resources:\n  Fn::ForEach::Outer:\n    - X\n    - " + list + "\n    - Fn::ForEach::Inner:\n        - Y\n        - " + list + "\n        - R${X}${Y}:\n            Type: AWS::SNS::Topic\n"
	_, err := Read("loops.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "generate more than 5000 resources") {
		t.Fatalf("err = %v", err)
	}
}
