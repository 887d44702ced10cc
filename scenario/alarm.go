package scenario

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
)

// Alarm is one CloudWatch alarm as a scenario file and the command line
// write it, with CloudWatch's PutMetricAlarm field names (docs/model.md,
// CloudWatch): in a flag or ParseAlarm's syntax
//
//	--alarm MetricName=Errors,Dimension=candidate,Statistic=Sum,Period=60,EvaluationPeriods=1,DatapointsToAlarm=1,Threshold=5,ComparisonOperator=GreaterThanOrEqualToThreshold,TreatMissingData=notBreaching
//
// MetricName is one Lambda publishes (Invocations, Errors, Throttles,
// Duration, ConcurrentExecutions) or ErrorRate, the metric math
// Errors/Invocations; Dimension is alias, candidate (ExecutedVersion) or
// baseline; Statistic is Sum, SampleCount, Average, Minimum, Maximum or pNN
// (ExtendedStatistic is accepted as its synonym); Period is in seconds.
// MetricName and Threshold are required. The others default to CloudWatch's
// defaults where it has one (TreatMissingData=missing, DatapointsToAlarm =
// EvaluationPeriods, EvaluateLowSampleCountPercentile=evaluate) and otherwise
// to the command line's: Dimension=candidate, Statistic=Sum (Average for
// ErrorRate), Period=60, EvaluationPeriods=1,
// ComparisonOperator=GreaterThanOrEqualToThreshold, AlarmName=alarmN.
type Alarm struct {
	AlarmName          string   `json:"AlarmName" yaml:"AlarmName"`
	MetricName         string   `json:"MetricName" yaml:"MetricName"`
	Dimension          string   `json:"Dimension" yaml:"Dimension"`
	Statistic          string   `json:"Statistic" yaml:"Statistic"`
	Period             int      `json:"Period" yaml:"Period"`
	EvaluationPeriods  int      `json:"EvaluationPeriods" yaml:"EvaluationPeriods"`
	DatapointsToAlarm  int      `json:"DatapointsToAlarm" yaml:"DatapointsToAlarm"`
	Threshold          *float64 `json:"Threshold" yaml:"Threshold"`
	ComparisonOperator string   `json:"ComparisonOperator" yaml:"ComparisonOperator"`
	TreatMissingData   string   `json:"TreatMissingData" yaml:"TreatMissingData"`
	// EvaluateLowSampleCountPercentile applies to percentile statistics.
	EvaluateLowSampleCountPercentile string `json:"EvaluateLowSampleCountPercentile" yaml:"EvaluateLowSampleCountPercentile"`
}

// AlarmOf writes a library alarm in the file's terms (the default alarm,
// deploysim.DefaultAlarm, is one).
func AlarmOf(a rollback.Alarm) Alarm {
	th := a.Threshold
	s := Alarm{
		AlarmName: a.Name, MetricName: a.Metric.String(), Dimension: a.Dimension.String(),
		Statistic: a.Statistic.String(), Period: int(a.Period / time.Second),
		EvaluationPeriods: a.EvaluationPeriods, DatapointsToAlarm: a.DatapointsToAlarm, Threshold: &th,
		ComparisonOperator: a.Comparison.String(), TreatMissingData: a.TreatMissingData.String(),
		EvaluateLowSampleCountPercentile: a.EvaluateLowSampleCountPercentile.String(),
	}
	return s
}

// alarmKeys are the field names --alarm accepts, as CloudWatch spells them.
var alarmKeys = []string{
	"AlarmName", "MetricName", "Dimension", "Statistic", "ExtendedStatistic", "Period",
	"EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator",
	"TreatMissingData", "EvaluateLowSampleCountPercentile",
}

// ParseAlarm reads an alarm in the AWS CLI's Key=Value syntax (the value of
// deploysim's --alarm flag): comma-separated pairs with CloudWatch's field
// names (exact spelling, each at most once), e.g.
//
//	MetricName=ErrorRate,Statistic=Average,Period=60,Threshold=0.01
//
// It checks the syntax and the numbers; Alarm.Rollback checks the rest.
func ParseAlarm(s string) (Alarm, error) {
	var a Alarm
	if strings.TrimSpace(s) == "" {
		return a, fmt.Errorf("empty: want Key=Value pairs such as MetricName=Errors,Threshold=5")
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok {
			return a, fmt.Errorf("%q: want Key=Value", kv)
		}
		key := k
		if key == "ExtendedStatistic" {
			key = "Statistic"
		}
		if seen[key] {
			return a, fmt.Errorf("%s given twice", k)
		}
		seen[key] = true
		num := func() (int, error) {
			n, err := strconv.Atoi(v)
			if err != nil {
				return 0, fmt.Errorf("%s = %q: must be a whole number", k, v)
			}
			return n, nil
		}
		// positive refuses an explicit 0, which Fill would otherwise
		// replace by the default without a word (Period=0 ran as 60).
		positive := func(n int, err error) (int, error) {
			if err == nil && n <= 0 {
				return 0, fmt.Errorf("%s = %q: must be at least 1 (leave the key out for its default)", k, v)
			}
			return n, err
		}
		var err error
		switch key {
		case "AlarmName":
			a.AlarmName = v
		case "MetricName":
			a.MetricName = v
		case "Dimension":
			a.Dimension = v
		case "Statistic":
			a.Statistic = v
		case "Period":
			a.Period, err = positive(num())
		case "EvaluationPeriods":
			a.EvaluationPeriods, err = positive(num())
		case "DatapointsToAlarm":
			a.DatapointsToAlarm, err = positive(num())
		case "Threshold":
			f, perr := strconv.ParseFloat(v, 64)
			if perr != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return a, fmt.Errorf("Threshold = %q: must be a finite number", v)
			}
			a.Threshold = &f
		case "ComparisonOperator":
			a.ComparisonOperator = v
		case "TreatMissingData":
			a.TreatMissingData = v
		case "EvaluateLowSampleCountPercentile":
			a.EvaluateLowSampleCountPercentile = v
		default:
			return a, fmt.Errorf("unknown field %q: want one of %s", k, strings.Join(alarmKeys, ", "))
		}
		if err != nil {
			return a, err
		}
	}
	clearNegativeZeros(reflect.ValueOf(&a))
	return a, nil
}

// Fill writes the defaults of the fields left out, so that the alarm prints
// in full; i is the alarm's index, for its default name (alarm1, alarm2 …).
func (a *Alarm) Fill(i int) {
	if a.AlarmName == "" {
		a.AlarmName = fmt.Sprintf("alarm%d", i+1)
	}
	if a.Dimension == "" {
		a.Dimension = "candidate"
	}
	if a.Statistic == "" {
		a.Statistic = "Sum"
		if a.MetricName == "ErrorRate" {
			a.Statistic = "Average"
		}
	}
	if a.Period == 0 {
		a.Period = 60
	}
	if a.EvaluationPeriods == 0 {
		a.EvaluationPeriods = 1
	}
	if a.DatapointsToAlarm == 0 {
		a.DatapointsToAlarm = a.EvaluationPeriods
	}
	if a.ComparisonOperator == "" {
		a.ComparisonOperator = "GreaterThanOrEqualToThreshold"
	}
	if a.TreatMissingData == "" {
		a.TreatMissingData = "missing"
	}
	if a.EvaluateLowSampleCountPercentile == "" {
		a.EvaluateLowSampleCountPercentile = "evaluate"
	}
}

// Rollback builds the rollback.Alarm and validates it; errors name the
// CloudWatch field. i is the alarm's index (for its default name).
func (a Alarm) Rollback(i int) (rollback.Alarm, error) {
	a.Fill(i)
	var r rollback.Alarm
	if a.MetricName == "" {
		return r, fmt.Errorf("MetricName is required (Errors, ErrorRate, Invocations, Throttles, Duration, ConcurrentExecutions)")
	}
	var err error
	if r.Metric, err = metrics.ParseMetric(a.MetricName); err != nil {
		return r, err
	}
	if r.Dimension, err = metrics.ParseDimension(a.Dimension); err != nil {
		return r, err
	}
	if r.Statistic, err = metrics.ParseStatistic(a.Statistic); err != nil {
		return r, err
	}
	if r.Comparison, err = rollback.ParseComparison(a.ComparisonOperator); err != nil {
		return r, err
	}
	if r.TreatMissingData, err = rollback.ParseMissingData(a.TreatMissingData); err != nil {
		return r, err
	}
	if r.EvaluateLowSampleCountPercentile, err = rollback.ParseLowSampleCount(a.EvaluateLowSampleCountPercentile); err != nil {
		return r, err
	}
	if a.Threshold == nil {
		return r, fmt.Errorf("Threshold is required")
	}
	// CloudWatch's largest period is 7 days; refusing more here also keeps
	// the seconds-to-Duration conversion from overflowing.
	if a.Period <= 0 || a.Period > 7*24*3600 {
		return r, fmt.Errorf("Period = %d: must be 10, 20, 30 or a multiple of 60 seconds, at most 604800", a.Period)
	}
	r.Name = a.AlarmName
	r.Period = time.Duration(a.Period) * time.Second
	r.EvaluationPeriods = a.EvaluationPeriods
	r.DatapointsToAlarm = a.DatapointsToAlarm
	r.Threshold = *a.Threshold
	if err := r.Validate(); err != nil {
		return r, err
	}
	return r, nil
}

// String writes the alarm back in ParseAlarm's syntax (the fields Fill
// gives a default, except EvaluateLowSampleCountPercentile).
func (a Alarm) String() string {
	th := "?"
	if a.Threshold != nil {
		th = strconv.FormatFloat(*a.Threshold, 'g', -1, 64)
	}
	return fmt.Sprintf("AlarmName=%s,MetricName=%s,Dimension=%s,Statistic=%s,Period=%d,EvaluationPeriods=%d,DatapointsToAlarm=%d,Threshold=%s,ComparisonOperator=%s,TreatMissingData=%s",
		a.AlarmName, a.MetricName, a.Dimension, a.Statistic, a.Period, a.EvaluationPeriods, a.DatapointsToAlarm, th, a.ComparisonOperator, a.TreatMissingData)
}
