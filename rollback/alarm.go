package rollback

import (
	"time"

	"github.com/deploysim/deploysim/metrics"
)

// Comparison is a CloudWatch ComparisonOperator.
type Comparison uint8

const (
	GreaterThanOrEqualToThreshold Comparison = iota
	GreaterThanThreshold
	LessThanThreshold
	LessThanOrEqualToThreshold
)

// MissingData is a CloudWatch TreatMissingData setting.
type MissingData uint8

const (
	TreatMissing      MissingData = iota // "missing" (CloudWatch's default)
	TreatNotBreaching                    // "notBreaching"
	TreatBreaching                       // "breaching"
	TreatIgnore                          // "ignore"
)

// State is a CloudWatch alarm state.
type State uint8

const (
	StateInsufficientData State = iota
	StateOK
	StateAlarm
)

// Datapoint is one period's value of an alarm's statistic; Missing marks a
// period with no data.
type Datapoint struct {
	Value   float64
	Missing bool
}

// Alarm is a CloudWatch metric alarm on a metric the simulator publishes
// (see reference/aws.md, "Alarms (CloudWatch)").
type Alarm struct {
	Name              string
	Metric            metrics.Metric    // MetricName (ErrorRate = metric math Errors/Invocations)
	Dimension         metrics.Dimension // alias, candidate (ExecutedVersion) or baseline
	Statistic         metrics.Statistic // Statistic or ExtendedStatistic
	Period            time.Duration     // 10 s, 20 s, 30 s or a multiple of 60 s
	EvaluationPeriods int               // N
	DatapointsToAlarm int               // M (M out of N); 0 means N
	Threshold         float64
	Comparison        Comparison
	TreatMissingData  MissingData
}
