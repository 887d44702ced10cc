package manifest

import (
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

func TestDeploymentGroup(t *testing.T) {
	f := read(t, "testdata/cfn-deployment-group.yaml")
	d := only(t, f)
	if d.Name != "Group" || d.Source.Kind != "AWS::CodeDeploy::DeploymentGroup" {
		t.Errorf("%s from %v", d.Name, d.Source)
	}
	// TimeBasedLinear 25 % every 5 minutes: 25, 50, 75, 100 at 0, 5, 10, 15.
	wantSchedule(t, d.Strategy, [][2]float64{{0, 25}, {5, 50}, {10, 75}, {15, 100}})
	if len(d.Alarms) != 1 || d.Alarms[0].Name != "fn-candidate-errors" || d.Alarms[0].Dimension != metrics.Candidate || d.Alarms[0].DatapointsToAlarm != 1 {
		t.Fatalf("alarms %+v", d.Alarms)
	}
	// A literal ExecutedVersion is one fixed version: read as the candidate, said so.
	wantWarning(t, d.Warnings, 49, "fixed version")
}

// tmpl wraps resources into a SAM template with one function MyFn whose
// DeploymentPreference is pref.
func tmpl(pref, rest string) []byte {
	return []byte("Transform: AWS::Serverless-2016-10-31\n" + rest + `
Resources:
  MyFn:
    Type: AWS::Serverless::Function
    Properties:
      AutoPublishAlias: live
      DeploymentPreference:
` + pref)
}

func TestIntrinsicTypes(t *testing.T) {
	cases := []struct {
		name, pref, rest string
		want             strategy.Strategy // nil: skipped with a warning
		warn             string
	}{
		{"ref-default", "        Type: !Ref T\n", "Parameters:\n  T: {Type: String, Default: Linear10PercentEvery2Minutes}", strategy.Linear{Percent: 10, Interval: 2 * time.Minute}, "Default"},
		{"ref-no-default", "        Type: !Ref T\n", "Parameters:\n  T: {Type: String}", nil, "no Default"},
		{"if-true", "        Type: !If [Prod, Canary10Percent30Minutes, AllAtOnce]\n", "Parameters:\n  Env: {Type: String, Default: prod}\nConditions:\n  Prod: !Equals [!Ref Env, prod]", strategy.Canary{Percent: 10, Interval: 30 * time.Minute}, ""},
		{"if-false-and", "        Type: !If [Prod, Canary10Percent30Minutes, AllAtOnce]\n", "Parameters:\n  Env: {Type: String, Default: dev}\nConditions:\n  Prod: !And [!Equals [!Ref Env, prod], !Not [!Equals [a, b]]]", strategy.AllAtOnce{}, ""},
		{"sub", "        Type: !Sub 'Canary10Percent${M}Minutes'\n", "Parameters:\n  M: {Type: String, Default: '15'}", strategy.Canary{Percent: 10, Interval: 15 * time.Minute}, ""},
		{"sub-vars", "        Type: !Sub ['Linear10PercentEvery${N}Minutes', {N: '3'}]\n", "", strategy.Linear{Percent: 10, Interval: 3 * time.Minute}, ""},
		{"join", "        Type: !Join ['', [Canary10, Percent5Minutes]]\n", "", strategy.Canary{Percent: 10, Interval: 5 * time.Minute}, ""},
		{"select-split", "        Type: !Select [1, !Split [',', 'AllAtOnce,Linear10PercentEvery1Minute']]\n", "", strategy.Linear{Percent: 10, Interval: time.Minute}, ""},
		{"findinmap", "        Type: !FindInMap [Env, prod, Type]\n", "Mappings:\n  Env:\n    prod: {Type: Canary10Percent15Minutes}", strategy.Canary{Percent: 10, Interval: 15 * time.Minute}, ""},
		{"codedeploy-name", "        Type: CodeDeployDefault.LambdaLinear10PercentEvery3Minutes\n", "", strategy.Linear{Percent: 10, Interval: 3 * time.Minute}, ""},
		{"import", "        Type: !ImportValue shared-type\n", "", nil, "another stack"},
		{"ref-cycle", "        Type: !Ref A\n", "Parameters:\n  A: {Type: String, Default: !Ref B}\n  B: {Type: String, Default: !Ref A}", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Read("t.yaml", tmpl(c.pref, c.rest))
			if c.name == "ref-cycle" {
				if err == nil || !strings.Contains(err.Error(), "deeper than") {
					t.Fatalf("err = %v, want a bounded-depth error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ws := f.AllWarnings()
			if c.want == nil {
				if len(f.Deployables) != 0 {
					t.Fatalf("deployables %+v", f.Deployables)
				}
			} else {
				d := only(t, f)
				if !strategy.Equal(d.Strategy, c.want) {
					t.Errorf("strategy %v, want %v", d.Strategy, c.want)
				}
			}
			if c.warn != "" {
				found := false
				for _, w := range ws {
					found = found || strings.Contains(w.Message, c.warn)
				}
				if !found {
					t.Errorf("no warning with %q:\n%s", c.warn, dumpWarnings(ws))
				}
			}
		})
	}
}

func TestParseMathExpr(t *testing.T) {
	cases := []struct {
		in   string
		coef float64
		pow  map[string]int
	}{
		{"m1/m2", 1, map[string]int{"m1": 1, "m2": -1}},
		{"100*m1/m2", 100, map[string]int{"m1": 1, "m2": -1}},
		{"(m1 / m2) * 100", 100, map[string]int{"m1": 1, "m2": -1}},
		{"m1 * 100 / m2", 100, map[string]int{"m1": 1, "m2": -1}},
		{"100 * (errors / invocations)", 100, map[string]int{"errors": 1, "invocations": -1}},
		{"m1/m1", 1, map[string]int{}},
		{"m2/(m1/m3)", 1, map[string]int{"m2": 1, "m1": -1, "m3": 1}},
	}
	for _, c := range cases {
		m, err := parseMathExpr(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if m.coef != c.coef || len(m.pow) != len(c.pow) {
			t.Errorf("%q: %+v, want %v %v", c.in, m, c.coef, c.pow)
		}
		for k, v := range c.pow {
			if m.pow[k] != v {
				t.Errorf("%q: %s^%d, want ^%d", c.in, k, m.pow[k], v)
			}
		}
	}
	for _, bad := range []string{"m1+m2", "1-m1/m2", "FILL(m1,0)/m2", "m1/", "(m1", "m1/0", "", "m1 m2"} {
		if _, err := parseMathExpr(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestRecogniseQuery(t *testing.T) {
	canary := map[string]bool{"hash": true}
	cases := []struct {
		q       string
		metric  metrics.Metric
		success bool
		dim     metrics.Dimension
		window  time.Duration
	}{
		{`sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))`, metrics.ErrorRate, false, metrics.Alias, time.Minute},
		{`sum(irate(istio_requests_total{response_code!~"5.*",destination_workload="app-canary"}[5m])) / sum(irate(istio_requests_total{destination_workload="app-canary"}[5m]))`, metrics.ErrorRate, true, metrics.Candidate, 5 * time.Minute},
		{`sum(rate(r{status=~"2..",pod_template_hash="{{args.hash}}"}[2m])) / sum(rate(r{pod_template_hash="{{args.hash}}"}[2m]))`, metrics.ErrorRate, true, metrics.Candidate, 2 * time.Minute},
		{`histogram_quantile(0.95, sum(rate(latency_seconds_bucket{track="stable"}[30s])) by (le))`, metrics.Duration, false, metrics.Baseline, 30 * time.Second},
	}
	for _, c := range cases {
		m, err := recogniseQuery(c.q, canary, nil)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		if m.metric != c.metric || m.success != c.success || m.dimension != c.dim || m.window != c.window {
			t.Errorf("%s: %+v", c.q, m)
		}
	}
	m, _ := recogniseQuery(`histogram_quantile(0.95, sum(rate(latency_seconds_bucket[1m])) by (le))`, nil, nil)
	if m.statistic.P != 95 || m.toMs != 1000 {
		t.Errorf("quantile %+v", m)
	}
	for _, q := range []string{`up`, `sum(rate(x[1m])) / sum(rate(y[1m]))`, `histogram_quantile(0.9, rate(latency_bucket[1m]))`, `histogram_quantile(2, x_seconds)`} {
		if _, err := recogniseQuery(q, nil, nil); err == nil {
			t.Errorf("%s: recognised", q)
		}
	}
}

// failRule turns "the measurement fails when value OP t" on the query's
// scale into the same rule on the simulator's metric.
func TestFailRule(t *testing.T) {
	succ := queryMeaning{metric: metrics.ErrorRate, success: true, scale: 1}
	pct := queryMeaning{metric: metrics.ErrorRate, success: true, scale: 100}
	errs := queryMeaning{metric: metrics.ErrorRate, scale: 100}
	lat := queryMeaning{metric: metrics.Duration, toMs: 1000, scale: 1}
	cases := []struct {
		m   queryMeaning
		op  string
		thr float64
		cmp rollback.Comparison
		out float64
	}{
		{succ, "<", 0.95, rollback.GreaterThanThreshold, 0.05},           // success < 95 % fails: errors > 5 %
		{succ, "<=", 0.99, rollback.GreaterThanOrEqualToThreshold, 0.01}, // success <= 99 % fails: errors >= 1 %
		{pct, "<", 99, rollback.GreaterThanThreshold, 0.01},
		{errs, ">", 5, rollback.GreaterThanThreshold, 0.05},
		{lat, ">=", 0.5, rollback.GreaterThanOrEqualToThreshold, 500},
	}
	for _, c := range cases {
		cmp, out, err := c.m.failRule(c.op, c.thr)
		if err != nil || cmp != c.cmp || !near(out, c.out) {
			t.Errorf("%+v %s %g: %v %g %v, want %v %g", c.m, c.op, c.thr, cmp, out, err, c.cmp, c.out)
		}
	}
}

func TestParseCondition(t *testing.T) {
	cases := []struct {
		in     string
		op     string
		thr    float64
		noData bool
	}{
		{"result[0] >= 0.95", ">=", 0.95, false},
		{"result[0]<500", "<", 500, false},
		{"result >= 0.9", ">=", 0.9, false},
		{"len(result) == 0 || result[0] >= 0.98", ">=", 0.98, true},
		{"isNaN(result) || result < 1e-2", "<", 0.01, true},
		{"asFloat(result) > 3", ">", 3, false},
	}
	for _, c := range cases {
		got, err := parseCondition(c.in)
		if err != nil || got.op != c.op || got.threshold != c.thr || got.noDataOK != c.noData {
			t.Errorf("%q: %+v %v", c.in, got, err)
		}
	}
	for _, bad := range []string{"all(result, {# < 5})", "result[0] >= x", "result[1] > 2 && result[0] < 3", ""} {
		if _, err := parseCondition(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseKubeDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"30s": 30 * time.Second, "5m": 5 * time.Minute, "1h30m": 90 * time.Minute, "600": 10 * time.Minute, "1d": 24 * time.Hour, "0": 0} {
		got, err := parseKubeDuration(in)
		if err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "5 minutes", "-5m", "-1", "1w", "99999999999999999999"} {
		if _, err := parseKubeDuration(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// Every CloudFormation short tag parses; the ones in properties deploysim
// does not read are left alone.
func TestAllShortTags(t *testing.T) {
	src := `Transform: AWS::Serverless-2016-10-31
Parameters:
  Env: {Type: String, Default: prod}
  Vpc: {Type: String, Default: 10.0.0.0/16}
Mappings:
  M: {prod: {Size: "256"}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotDev: !Not [!Equals [!Ref Env, dev]]
  Both: !And [!Condition IsProd, !Condition NotDev]
  Either: !Or [!Condition IsProd, !Equals [a, b]]
Resources:
  MyFn:
    Type: AWS::Serverless::Function
    Properties:
      AutoPublishAlias: live
      MemorySize: !FindInMap [M, !Ref Env, Size]
      Role: !GetAtt Role.Arn
      Environment:
        Variables:
          A: !Sub "${AWS::StackName}-${Env}"
          B: !Join [",", [!Ref Env, !Select [0, !GetAZs ""]]]
          C: !ImportValue shared-table
          D: !Base64 hello
          E: !Select [0, !Cidr [!Ref Vpc, 2, 8]]
          F: !Select [1, !Split ["-", "a-b"]]
          G: !If [Both, yes, no]
      DeploymentPreference:
        Type: !If [Either, Canary10Percent5Minutes, AllAtOnce]
  Role:
    Type: AWS::IAM::Role
`
	d := only(t, mustRead(t, src))
	if !strategy.Equal(d.Strategy, strategy.Canary{Percent: 10, Interval: 5 * time.Minute}) {
		t.Errorf("strategy %v", d.Strategy)
	}
}

// Alarms the simulator cannot evaluate are warnings; the others are read.
func TestAlarmMapping(t *testing.T) {
	const dims = "      Dimensions:\n        - {Name: Resource, Value: !Sub '${MyFn}:live'}\n"
	const rest = "      Statistic: Sum\n      Period: 60\n      EvaluationPeriods: 1\n      Threshold: 1\n      ComparisonOperator: GreaterThanThreshold\n"
	cases := []struct {
		name, props string
		ok          bool
		dim         metrics.Dimension
		warn        string
	}{
		{"errors", "      Namespace: AWS/Lambda\n      MetricName: Errors\n" + dims + rest, true, metrics.Alias, ""},
		{"iterator-age", "      Namespace: AWS/Lambda\n      MetricName: IteratorAge\n" + dims + rest, false, 0, "not one the simulator publishes"},
		{"api-gateway", "      Namespace: AWS/ApiGateway\n      MetricName: 5XXError\n" + rest, true, metrics.Alias, "API Gateway 5XXError of the stage read as the function's Errors"},
		{"api-gateway-4xx", "      Namespace: AWS/ApiGateway\n      MetricName: 4XXError\n" + rest, false, 0, "not one the simulator maps"},
		{"other-namespace", "      Namespace: AWS/SQS\n      MetricName: NumberOfMessagesSent\n" + rest, false, 0, "not AWS/Lambda"},
		{"other-alias", "      Namespace: AWS/Lambda\n      MetricName: Errors\n      Dimensions:\n        - {Name: Resource, Value: !Sub '${MyFn}:beta'}\n" + rest, true, metrics.Alias, "not the deployed alias"},
		{"no-dims", "      Namespace: AWS/Lambda\n      MetricName: Errors\n" + rest, true, metrics.Alias, "every function in the account"},
		{"literal-version", "      Namespace: AWS/Lambda\n      MetricName: Errors\n" + dims + "        - {Name: ExecutedVersion, Value: '12'}\n" + rest, true, metrics.Candidate, "fixed version"},
		{"anomaly", "      Namespace: AWS/Lambda\n      MetricName: Errors\n" + dims + rest + "      ThresholdMetricId: ad1\n", false, 0, "anomaly"},
		{"math-not-rate", "      Metrics:\n        - {Id: e, Expression: 'm1 + m2', ReturnData: true}\n        - {Id: m1, ReturnData: false, MetricStat: {Period: 60, Stat: Sum, Metric: {Namespace: AWS/Lambda, MetricName: Errors}}}\n        - {Id: m2, ReturnData: false, MetricStat: {Period: 60, Stat: Sum, Metric: {Namespace: AWS/Lambda, MetricName: Throttles}}}\n      EvaluationPeriods: 1\n      Threshold: 1\n      ComparisonOperator: GreaterThanThreshold\n", false, 0, "not an error rate"},
		{"unit", "      Namespace: AWS/Lambda\n      MetricName: Duration\n      Unit: Seconds\n" + dims + "      ExtendedStatistic: p99\n      Period: 60\n      EvaluationPeriods: 1\n      Threshold: 1\n      ComparisonOperator: GreaterThanThreshold\n", true, metrics.Alias, "Milliseconds"},
		{"percentile-ext", "      Namespace: AWS/Lambda\n      MetricName: Duration\n" + dims + "      ExtendedStatistic: tm99\n      Period: 60\n      EvaluationPeriods: 1\n      Threshold: 1\n      ComparisonOperator: GreaterThanThreshold\n", false, 0, "not a percentile"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := append(tmpl("        Type: AllAtOnce\n        Alarms: [!Ref A]\n", ""), "  A:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n"+c.props...)
			f, err := Read("a.yaml", src)
			if err != nil {
				t.Fatal(err)
			}
			d := only(t, f)
			if c.ok != (len(d.Alarms) == 1) || (c.ok && d.Alarms[0].Dimension != c.dim) {
				t.Errorf("alarms %+v, want ok=%v dim=%v", d.Alarms, c.ok, c.dim)
			}
			if c.warn != "" {
				found := false
				for _, w := range d.Warnings {
					found = found || strings.Contains(w.Message, c.warn)
				}
				if !found {
					t.Errorf("no warning %q:\n%s", c.warn, dumpWarnings(d.Warnings))
				}
			}
		})
	}
}
