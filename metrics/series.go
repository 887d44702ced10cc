package metrics

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Metric names a metric the simulator publishes, as Lambda does in CloudWatch.
type Metric uint8

// The metrics a run publishes per period and dimension (see docs/model.md,
// "Lambda's built-in metrics").
const (
	Invocations          Metric = iota // one sample of 1 per invocation that ran (throttles excluded)
	Errors                             // one sample per invocation: 1 if it failed (error or timeout), else 0
	Throttles                          // one sample of 1 per throttled invocation
	Duration                           // one sample per invocation: its duration in milliseconds
	ConcurrentExecutions               // samples of the environments busy (per version)
	ErrorRate                          // metric math Errors/Invocations (Sum/Sum), as a fraction
	numMetrics
)

var metricNames = [...]string{"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions", "ErrorRate"}

// String is the metric's name as CloudWatch spells it.
func (m Metric) String() string {
	if int(m) < len(metricNames) {
		return metricNames[m]
	}
	return fmt.Sprintf("Metric(%d)", m)
}

// ParseMetric reads a metric name as CloudWatch spells it.
func ParseMetric(s string) (Metric, error) {
	for i, n := range metricNames {
		if n == s {
			return Metric(i), nil
		}
	}
	return 0, fmt.Errorf("metrics: MetricName = %q: must be one of Invocations, Errors, Throttles, Duration, ConcurrentExecutions, ErrorRate", s)
}

// Dimension says whose traffic a datapoint counts.
type Dimension uint8

const (
	Alias     Dimension = iota // every invocation through the alias (Resource=function:alias)
	Candidate                  // ExecutedVersion = the candidate
	Baseline                   // ExecutedVersion = the baseline
	// NumDimensions is the number of dimensions (not a dimension).
	NumDimensions
)

var dimensionNames = [...]string{"alias", "candidate", "baseline"}

// String is the dimension's name as ParseDimension reads it.
func (d Dimension) String() string {
	if int(d) < len(dimensionNames) {
		return dimensionNames[d]
	}
	return fmt.Sprintf("Dimension(%d)", d)
}

// ParseDimension reads "alias", "candidate" or "baseline".
func ParseDimension(s string) (Dimension, error) {
	for i, n := range dimensionNames {
		if n == s {
			return Dimension(i), nil
		}
	}
	return 0, fmt.Errorf("metrics: Dimension = %q: must be alias, candidate or baseline", s)
}

// StatKind is one of CloudWatch's statistics.
type StatKind uint8

// CloudWatch's statistics over the samples of a period.
const (
	Sum         StatKind = iota // sum of the samples
	SampleCount                 // number of samples
	Average                     // Sum / SampleCount
	Minimum                     // smallest sample
	Maximum                     // largest sample
	Percentile                  // ExtendedStatistic pNN; the percentile is in Statistic.P
)

// Statistic is a statistic with its percentile when Kind is Percentile.
type Statistic struct {
	Kind StatKind
	P    float64 // percentile in [0, 100] when Kind == Percentile
}

// String is the statistic as CloudWatch and ParseStatistic spell it ("Sum", "p99.9").
func (s Statistic) String() string {
	switch s.Kind {
	case Sum:
		return "Sum"
	case SampleCount:
		return "SampleCount"
	case Average:
		return "Average"
	case Minimum:
		return "Minimum"
	case Maximum:
		return "Maximum"
	case Percentile:
		return "p" + trimFloat(s.P)
	}
	return fmt.Sprintf("StatKind(%d)", s.Kind)
}

// trimFloat writes p in plain decimal (no exponent), so String and
// ParseStatistic round-trip.
func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// ParseStatistic reads Sum, SampleCount, Average, Minimum, Maximum or a
// CloudWatch extended statistic pNN: "p" (or "P") then a plain decimal
// number in [0, 100] (p99, p99.9, p0.0, p100). Exponents, signs, hex, NaN,
// Inf and a bare "p" are refused.
func ParseStatistic(s string) (Statistic, error) {
	switch s {
	case "Sum":
		return Statistic{Kind: Sum}, nil
	case "SampleCount":
		return Statistic{Kind: SampleCount}, nil
	case "Average":
		return Statistic{Kind: Average}, nil
	case "Minimum":
		return Statistic{Kind: Minimum}, nil
	case "Maximum":
		return Statistic{Kind: Maximum}, nil
	}
	if len(s) > 1 && (s[0] == 'p' || s[0] == 'P') && isDecimal(s[1:]) {
		p, err := strconv.ParseFloat(s[1:], 64)
		if err == nil && p >= 0 && p <= 100 {
			return Statistic{Kind: Percentile, P: p}, nil
		}
	}
	return Statistic{}, fmt.Errorf("metrics: Statistic = %q: must be Sum, SampleCount, Average, Minimum, Maximum or a percentile p0..p100", s)
}

// isDecimal reports whether s is digits with at most one inner dot ("99",
// "99.9"), the only spelling CloudWatch uses; strconv.ParseFloat alone would
// also take "1e2", "0x1p6", "+5", "Inf" and "NaN".
func isDecimal(s string) bool {
	digits, dot := 0, -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && dot < 0 && i > 0 && i < len(s)-1:
			dot = i
		default:
			return false
		}
	}
	return digits > 0
}

// VersionStats is what one period recorded for one dimension.
type VersionStats struct {
	Invocations float64 // invocations that ran (ended in success, error or timeout)
	Errors      float64 // invocations that failed (errors and timeouts)
	Throttles   float64 // invocations rejected for concurrency
	Duration    Sketch  // durations of the invocations that ran, in milliseconds
	Concurrency Sketch  // samples of concurrent executions (empty when not modelled)
}

// Value returns statistic st of metric m, as CloudWatch would compute it from
// the samples Lambda publishes; ok is false when the datapoint is missing (no
// samples: a period with no invocations has no Errors datapoint).
func (v *VersionStats) Value(m Metric, st Statistic) (value float64, ok bool) {
	switch m {
	case Invocations:
		return countStat(v.Invocations, v.Invocations, st)
	case Errors:
		return countStat(v.Invocations, v.Errors, st)
	case Throttles:
		return countStat(v.Throttles, v.Throttles, st)
	case ErrorRate:
		if v.Invocations == 0 {
			return 0, false
		}
		return v.Errors / v.Invocations, true
	case Duration:
		return sketchStat(&v.Duration, st)
	case ConcurrentExecutions:
		return sketchStat(&v.Concurrency, st)
	}
	return 0, false
}

// countStat: n samples, each 0 or 1, of which ones are 1.
func countStat(n, ones float64, st Statistic) (float64, bool) {
	if n == 0 {
		return 0, false
	}
	switch st.Kind {
	case Sum:
		return ones, true
	case SampleCount:
		return n, true
	case Average:
		return ones / n, true
	case Minimum:
		if ones < n {
			return 0, true
		}
		return 1, true
	case Maximum:
		if ones > 0 {
			return 1, true
		}
		return 0, true
	case Percentile:
		// nearest rank over n samples sorted with the zeros first; p0 is
		// the smallest sample (rank 1), not rank 0.
		rank := math.Max(1, math.Ceil(st.P/100*n))
		if rank <= n-ones {
			return 0, true
		}
		return 1, true
	}
	return 0, false
}

func sketchStat(s *Sketch, st Statistic) (float64, bool) {
	if s.Count() == 0 {
		return 0, false
	}
	switch st.Kind {
	case Sum:
		return s.Sum(), true
	case SampleCount:
		return s.Count(), true
	case Average:
		return s.Mean(), true
	case Minimum:
		return s.Min(), true
	case Maximum:
		return s.Max(), true
	case Percentile:
		return s.Quantile(st.P / 100), true
	}
	return 0, false
}

// Merge adds o's samples to v (none for a nil o).
func (v *VersionStats) Merge(o *VersionStats) {
	if o == nil {
		return
	}
	v.Invocations += o.Invocations
	v.Errors += o.Errors
	v.Throttles += o.Throttles
	v.Duration.Merge(&o.Duration)
	v.Concurrency.Merge(&o.Concurrency)
}

// Reset empties v, keeping the sketches' memory.
func (v *VersionStats) Reset() {
	v.Invocations, v.Errors, v.Throttles = 0, 0, 0
	v.Duration.Reset()
	v.Concurrency.Reset()
}

// Period is what one period of the series recorded, per dimension.
type Period struct {
	Dims [NumDimensions]VersionStats
}

// Series is the per-period metric stream of a run: Periods[i] covers
// [i·Resolution, (i+1)·Resolution) since the deployment started. A policy
// sees only the prefix of Periods that is visible at its evaluation instant
// (period end plus ingestion delay).
type Series struct {
	Resolution time.Duration
	Periods    []Period
}

// Aggregate merges the base periods [from, to) of dimension d into one
// datapoint, as CloudWatch aggregates raw data into a longer alarm period.
// Indices are clamped to the series; a nil series is empty, and a nil into
// receives nothing.
func (s *Series) Aggregate(d Dimension, from, to int, into *VersionStats) {
	if into == nil {
		return
	}
	into.Reset()
	if s == nil {
		return
	}
	if from < 0 {
		from = 0
	}
	if to > len(s.Periods) {
		to = len(s.Periods)
	}
	for i := from; i < to; i++ {
		into.Merge(&s.Periods[i].Dims[d])
	}
}
