package rollback

import (
	"fmt"
	"math"
	"time"

	"github.com/deploysim/deploysim/metrics"
)

// Comparison is a CloudWatch ComparisonOperator: how a datapoint is compared
// with the alarm's threshold to decide whether it breaches.
type Comparison uint8

// The four static-threshold ComparisonOperators (docs/model.md, "Alarms").
// The anomaly-detection operators (LessThanLowerOrGreaterThanUpperThreshold …)
// are not modelled.
const (
	GreaterThanOrEqualToThreshold Comparison = iota // value >= threshold breaches
	GreaterThanThreshold                            // value > threshold breaches
	LessThanThreshold                               // value < threshold breaches
	LessThanOrEqualToThreshold                      // value <= threshold breaches
	numComparisons
)

var comparisonNames = [...]string{
	"GreaterThanOrEqualToThreshold", "GreaterThanThreshold",
	"LessThanThreshold", "LessThanOrEqualToThreshold",
}

var comparisonSymbols = [...]string{">=", ">", "<", "<="}

// String returns CloudWatch's spelling, e.g. "GreaterThanOrEqualToThreshold".
func (c Comparison) String() string {
	if c < numComparisons {
		return comparisonNames[c]
	}
	return fmt.Sprintf("Comparison(%d)", c)
}

// Symbol returns the operator as a mathematical symbol (">=", ">", "<", "<=").
func (c Comparison) Symbol() string {
	if c < numComparisons {
		return comparisonSymbols[c]
	}
	return "?"
}

// Breaches reports whether value breaches threshold under c. NaN never breaches.
func (c Comparison) Breaches(value, threshold float64) bool {
	switch c {
	case GreaterThanOrEqualToThreshold:
		return value >= threshold
	case GreaterThanThreshold:
		return value > threshold
	case LessThanThreshold:
		return value < threshold
	case LessThanOrEqualToThreshold:
		return value <= threshold
	}
	return false
}

// ParseComparison reads a ComparisonOperator as CloudWatch spells it
// ("GreaterThanOrEqualToThreshold" …). The match is exact, as in the API.
func ParseComparison(s string) (Comparison, error) {
	for i, n := range comparisonNames {
		if n == s {
			return Comparison(i), nil
		}
	}
	return 0, fmt.Errorf("rollback: ComparisonOperator = %q: must be GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold or LessThanOrEqualToThreshold", s)
}

// MissingData is a CloudWatch TreatMissingData setting: how the periods of the
// evaluation range without a datapoint count (docs/model.md).
type MissingData uint8

const (
	TreatMissing      MissingData = iota // "missing" (CloudWatch's default)
	TreatNotBreaching                    // "notBreaching"
	TreatBreaching                       // "breaching"
	TreatIgnore                          // "ignore"
	numMissingData
)

var missingDataNames = [...]string{"missing", "notBreaching", "breaching", "ignore"}

// String returns CloudWatch's spelling: "missing", "notBreaching", "breaching" or "ignore".
func (m MissingData) String() string {
	if m < numMissingData {
		return missingDataNames[m]
	}
	return fmt.Sprintf("MissingData(%d)", m)
}

// ParseMissingData reads a TreatMissingData value as CloudWatch spells it.
func ParseMissingData(s string) (MissingData, error) {
	for i, n := range missingDataNames {
		if n == s {
			return MissingData(i), nil
		}
	}
	return 0, fmt.Errorf("rollback: TreatMissingData = %q: must be missing, notBreaching, breaching or ignore", s)
}

// State is a CloudWatch alarm state. A new alarm starts in StateInsufficientData.
type State uint8

const (
	StateInsufficientData State = iota // INSUFFICIENT_DATA
	StateOK                            // OK
	StateAlarm                         // ALARM
	numStates
)

var stateNames = [...]string{"INSUFFICIENT_DATA", "OK", "ALARM"}

// String returns CloudWatch's spelling: "OK", "ALARM" or "INSUFFICIENT_DATA".
func (s State) String() string {
	if s < numStates {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", s)
}

// ParseState reads "OK", "ALARM" or "INSUFFICIENT_DATA".
func ParseState(s string) (State, error) {
	for i, n := range stateNames {
		if n == s {
			return State(i), nil
		}
	}
	return 0, fmt.Errorf("rollback: StateValue = %q: must be OK, ALARM or INSUFFICIENT_DATA", s)
}

// LowSampleCount is CloudWatch's EvaluateLowSampleCountPercentile: what a
// percentile alarm does with a period that has too few samples to estimate
// the percentile (fewer than 10/(1-p) samples for p >= 0.5, fewer than 10/p
// below; 1,000 for p99). [doc] CloudWatch user guide, "Percentile-based
// alarms and low data samples".
type LowSampleCount uint8

const (
	// LowSampleEvaluate evaluates the percentile whatever the sample count
	// (CloudWatch's default, also when the parameter is omitted).
	LowSampleEvaluate LowSampleCount = iota
	// LowSampleIgnore keeps the alarm state while the sample count is low.
	LowSampleIgnore
	numLowSample
)

var lowSampleNames = [...]string{"evaluate", "ignore"}

// String returns CloudWatch's spelling: "evaluate" or "ignore".
func (l LowSampleCount) String() string {
	if l < numLowSample {
		return lowSampleNames[l]
	}
	return fmt.Sprintf("LowSampleCount(%d)", l)
}

// ParseLowSampleCount reads an EvaluateLowSampleCountPercentile value: "evaluate" or "ignore".
func ParseLowSampleCount(s string) (LowSampleCount, error) {
	for i, n := range lowSampleNames {
		if n == s {
			return LowSampleCount(i), nil
		}
	}
	return 0, fmt.Errorf("rollback: EvaluateLowSampleCountPercentile = %q: must be evaluate or ignore", s)
}

// LowSampleThreshold is the sample count below which a period is "low sample"
// for percentile pct (in [0, 100]): 10/(1-p) for p >= 0.5 and 10/p below,
// with p = pct/100. It is +Inf for p0 and p100, which can never be estimated
// from a finite sample by that rule.
func LowSampleThreshold(pct float64) float64 {
	p := pct / 100
	if p >= 0.5 {
		return 10 / (1 - p)
	}
	return 10 / p
}

// Datapoint is one period's value of an alarm's statistic; Missing marks a
// period with no data. A NaN Value counts as missing.
type Datapoint struct {
	Value   float64
	Missing bool
	// LowSample marks a percentile datapoint computed from fewer samples than
	// LowSampleThreshold; it matters only with LowSampleIgnore.
	LowSample bool
}

func (d Datapoint) real() bool { return !d.Missing && !math.IsNaN(d.Value) }

// Alarm is a CloudWatch metric alarm on a metric the simulator publishes
// (see docs/model.md, "Alarms (CloudWatch)").
//
// At each evaluation CloudWatch fetches an evaluation range of RangeLength()
// periods, oldest first, ending with the last period that has ended; periods
// not yet ingested are missing. A period over a minute slides instead,
// ending at the newest visible minute (see Range). Evaluate turns that range
// into a state.
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

	// EvaluateLowSampleCountPercentile applies to percentile statistics only.
	EvaluateLowSampleCountPercentile LowSampleCount

	// EvaluationRange is the number of periods fetched per evaluation; 0 means
	// EvaluationPeriods+2. [assumed] The user guide says only that CloudWatch
	// fetches more datapoints than EvaluationPeriods, the exact number
	// depending on the period and the metric's resolution, and tabulates 5
	// for EvaluationPeriods = 3 on standard-resolution metrics; N+2 matches
	// that example and is what deploysim assumes for every N and period.
	EvaluationRange int
}

// M is the number of breaching datapoints that set ALARM: DatapointsToAlarm,
// or EvaluationPeriods when DatapointsToAlarm is 0.
func (a *Alarm) M() int {
	if a.DatapointsToAlarm == 0 {
		return a.EvaluationPeriods
	}
	return a.DatapointsToAlarm
}

// RangeLength is the number of periods in the evaluation range (see EvaluationRange).
func (a *Alarm) RangeLength() int {
	if a.EvaluationRange > 0 {
		return a.EvaluationRange
	}
	return a.EvaluationPeriods + 2
}

// EvaluationInterval is how often CloudWatch evaluates the alarm: every 10 s
// for periods under a minute ([doc]), every minute otherwise ([observed]).
func (a *Alarm) EvaluationInterval() time.Duration {
	if a.Period < time.Minute {
		return 10 * time.Second
	}
	return time.Minute
}

// ConfigError is the error every Validate returns: it names the setting, its
// value and the rule it breaks, e.g.
// `rollback: Alarm "ErrorsHigh".DatapointsToAlarm = 4: must be <= EvaluationPeriods (3)`.
type ConfigError struct {
	Owner string // what holds the field, e.g. `Alarm "ErrorsHigh"` or "Sequential"
	Field string
	Value string // the value as written in the message
	Rule  string
}

// Error formats the message as "rollback: Owner.Field = Value: Rule".
func (e *ConfigError) Error() string {
	return "rollback: " + e.Owner + "." + e.Field + " = " + e.Value + ": " + e.Rule
}

func (a *Alarm) errf(field, value, rule string, args ...any) error {
	return &ConfigError{Owner: fmt.Sprintf("Alarm %q", a.Name), Field: field, Value: value, Rule: fmt.Sprintf(rule, args...)}
}

// Validate checks the alarm against CloudWatch's PutMetricAlarm rules and
// deploysim's metrics; the error names the alarm, field, value and rule.
func (a Alarm) Validate() error {
	if a.Name == "" {
		return &ConfigError{Owner: "Alarm", Field: "Name", Value: `""`, Rule: "must not be empty"}
	}
	if _, err := metrics.ParseMetric(a.Metric.String()); err != nil {
		return a.errf("Metric", a.Metric.String(), "must be one of Invocations, Errors, Throttles, Duration, ConcurrentExecutions, ErrorRate")
	}
	if a.Dimension >= metrics.NumDimensions {
		return a.errf("Dimension", a.Dimension.String(), "must be alias, candidate or baseline")
	}
	switch a.Statistic.Kind {
	case metrics.Sum, metrics.SampleCount, metrics.Average, metrics.Minimum, metrics.Maximum:
	case metrics.Percentile:
		if !(a.Statistic.P >= 0 && a.Statistic.P <= 100) {
			return a.errf("Statistic", a.Statistic.String(), "percentile must be in p0..p100")
		}
	default:
		return a.errf("Statistic", a.Statistic.String(), "must be Sum, SampleCount, Average, Minimum, Maximum or a percentile p0..p100")
	}
	if !periodAllowed(a.Period) {
		return a.errf("Period", a.Period.String(), "must be 10s, 20s, 30s or a positive multiple of 60s")
	}
	n := a.EvaluationPeriods
	if n < 1 {
		return a.errf("EvaluationPeriods", fmt.Sprint(n), "must be >= 1")
	}
	if a.DatapointsToAlarm < 0 {
		return a.errf("DatapointsToAlarm", fmt.Sprint(a.DatapointsToAlarm), "must be >= 1 (or 0 for EvaluationPeriods)")
	}
	if a.DatapointsToAlarm > n {
		return a.errf("DatapointsToAlarm", fmt.Sprint(a.DatapointsToAlarm), "must be <= EvaluationPeriods (%d)", n)
	}
	// Compare in seconds to avoid overflowing time.Duration for absurd N.
	total := float64(n) * a.Period.Seconds()
	if a.Period < time.Hour && total > 86400 {
		return a.errf("EvaluationPeriods", fmt.Sprint(n), "EvaluationPeriods × Period (%gs) must be <= 86400s (1 day) when Period < 1h", total)
	}
	if total > 604800 {
		return a.errf("EvaluationPeriods", fmt.Sprint(n), "EvaluationPeriods × Period (%gs) must be <= 604800s (7 days)", total)
	}
	if math.IsNaN(a.Threshold) || math.IsInf(a.Threshold, 0) {
		return a.errf("Threshold", fmt.Sprint(a.Threshold), "must be a finite number")
	}
	if a.Threshold < 0 {
		// Every metric deploysim publishes is a count, a duration or a
		// fraction: a negative threshold makes the alarm always or never breach.
		return a.errf("Threshold", fmt.Sprint(a.Threshold), "must be >= 0: %s is never negative", a.Metric)
	}
	if a.Metric == metrics.ErrorRate && a.Threshold > 1 {
		return a.errf("Threshold", fmt.Sprint(a.Threshold), "must be <= 1: ErrorRate is a fraction (write 0.05 for 5%%)")
	}
	if a.Comparison >= numComparisons {
		return a.errf("ComparisonOperator", a.Comparison.String(), "must be GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold or LessThanOrEqualToThreshold")
	}
	if a.TreatMissingData >= numMissingData {
		return a.errf("TreatMissingData", a.TreatMissingData.String(), "must be missing, notBreaching, breaching or ignore")
	}
	if a.EvaluateLowSampleCountPercentile >= numLowSample {
		return a.errf("EvaluateLowSampleCountPercentile", a.EvaluateLowSampleCountPercentile.String(), "must be evaluate or ignore")
	}
	if a.EvaluationRange != 0 && a.EvaluationRange < n {
		return a.errf("EvaluationRange", fmt.Sprint(a.EvaluationRange), "must be 0 (EvaluationPeriods+2) or >= EvaluationPeriods (%d)", n)
	}
	// The range is allocated per run: an absurd one must be an error, not a
	// failed allocation. CloudWatch's own bound on what an alarm looks at
	// (7 days, above) bounds the range too; in seconds to avoid overflow.
	if r := float64(a.EvaluationRange) * a.Period.Seconds(); r > 604800 {
		return a.errf("EvaluationRange", fmt.Sprint(a.EvaluationRange), "EvaluationRange × Period (%gs) must be <= 604800s (7 days)", r)
	}
	return nil
}

// periodAllowed: 10, 20, 30 s (high resolution) or a positive multiple of 60 s.
func periodAllowed(p time.Duration) bool {
	switch p {
	case 10 * time.Second, 20 * time.Second, 30 * time.Second:
		return true
	}
	return p > 0 && p%time.Minute == 0
}

// Evaluate returns the state CloudWatch sets from an evaluation range
// (oldest first, as fetched; normally RangeLength() datapoints, at least
// EvaluationPeriods) when the alarm is in state current. It follows the
// procedure of docs/model.md, consistent with every table of the
// CloudWatch user guide ("How alarm state is evaluated when data is missing").
// Let R be the real datapoints of the range, N = EvaluationPeriods, M = M():
//
//  1. R empty: missing → INSUFFICIENT_DATA, ignore → current,
//     breaching → ALARM, notBreaching → OK.
//  2. |R| >= N: the newest N real datapoints decide, TreatMissingData plays
//     no part: at least M breaching → ALARM, else OK.
//  3. |R| < N, breaching or notBreaching: R plus N-|R| filled datapoints of
//     that kind decide: at least M breaching → ALARM, else OK.
//  4. |R| < N, missing or ignore: at least M breaching in R → ALARM; else a
//     non-breaching point in R → OK; else (R all breaching, fewer than M) the
//     rule against premature ALARM: if the oldest breaching datapoint is at
//     least M periods old (age 1 = the newest period of the range) → ALARM
//     for missing, current for ignore; otherwise INSUFFICIENT_DATA for
//     missing, current for ignore.
//
// With LowSampleIgnore on a percentile alarm, a newest real datapoint marked
// LowSample keeps the current state [assumed: the guide says the alarm
// "ignores the metric while the sample size is low"].
func (a Alarm) Evaluate(evaluationRange []Datapoint, current State) (State, error) {
	if err := a.Validate(); err != nil {
		return current, err
	}
	if len(evaluationRange) < a.EvaluationPeriods {
		return current, &ConfigError{Owner: fmt.Sprintf("Alarm %q", a.Name), Field: "Evaluate", Value: fmt.Sprintf("%d datapoints", len(evaluationRange)),
			Rule: fmt.Sprintf("the evaluation range must hold at least EvaluationPeriods (%d)", a.EvaluationPeriods)}
	}
	if current >= numStates {
		return current, &ConfigError{Owner: fmt.Sprintf("Alarm %q", a.Name), Field: "Evaluate", Value: current.String(), Rule: "current state must be OK, ALARM or INSUFFICIENT_DATA"}
	}
	st, _ := a.eval(evaluationRange, current)
	return st, nil
}

// evalDetail says what an evaluation counted, for the reason of a rollback.
type evalDetail struct {
	breaching, evaluated int
	filled               int // missing datapoints filled per TreatMissingData
	premature            bool
}

// eval is Evaluate without the checks; it allocates nothing.
func (a *Alarm) eval(rng []Datapoint, current State) (State, evalDetail) {
	n, m := a.EvaluationPeriods, a.M()
	var d evalDetail

	real := 0
	newest := -1
	for i := len(rng) - 1; i >= 0; i-- {
		if rng[i].real() {
			if newest < 0 {
				newest = i
			}
			real++
		}
	}
	if a.Statistic.Kind == metrics.Percentile && a.EvaluateLowSampleCountPercentile == LowSampleIgnore &&
		newest >= 0 && rng[newest].LowSample {
		return current, d
	}

	// 1. Nothing real in the range.
	if real == 0 {
		switch a.TreatMissingData {
		case TreatBreaching:
			d.breaching, d.evaluated, d.filled = n, n, n
			return StateAlarm, d
		case TreatNotBreaching:
			d.evaluated, d.filled = n, n
			return StateOK, d
		case TreatIgnore:
			return current, d
		}
		return StateInsufficientData, d
	}

	// 2. Enough real datapoints: the newest N decide.
	if real >= n {
		seen := 0
		for i := len(rng) - 1; i >= 0 && seen < n; i-- {
			if !rng[i].real() {
				continue
			}
			seen++
			if a.Comparison.Breaches(rng[i].Value, a.Threshold) {
				d.breaching++
			}
		}
		d.evaluated = n
		if d.breaching >= m {
			return StateAlarm, d
		}
		return StateOK, d
	}

	// Fewer than N real datapoints: every real one is kept.
	nonBreaching := 0
	oldestBreach := -1
	for i, p := range rng {
		if !p.real() {
			continue
		}
		if a.Comparison.Breaches(p.Value, a.Threshold) {
			d.breaching++
			if oldestBreach < 0 {
				oldestBreach = i
			}
		} else {
			nonBreaching++
		}
	}
	d.evaluated = real

	// 3. Fill the gap with the configured kind of datapoint.
	switch a.TreatMissingData {
	case TreatBreaching, TreatNotBreaching:
		if a.TreatMissingData == TreatBreaching {
			d.breaching += n - real
		}
		d.evaluated, d.filled = n, n-real
		if d.breaching >= m {
			return StateAlarm, d
		}
		return StateOK, d
	}

	// 4. missing / ignore.
	if d.breaching >= m {
		return StateAlarm, d
	}
	if nonBreaching > 0 {
		return StateOK, d
	}
	if a.TreatMissingData == TreatIgnore {
		return current, d
	}
	if age := len(rng) - oldestBreach; age >= m {
		d.premature = true
		return StateAlarm, d
	}
	return StateInsufficientData, d
}

// datapoint computes the alarm's datapoint from one aggregated period.
func (a *Alarm) datapoint(v *metrics.VersionStats) Datapoint {
	x, ok := v.Value(a.Metric, a.Statistic)
	if !ok || math.IsNaN(x) {
		return Datapoint{Missing: true}
	}
	dp := Datapoint{Value: x}
	if a.Statistic.Kind == metrics.Percentile {
		n, _ := v.Value(a.Metric, metrics.Statistic{Kind: metrics.SampleCount})
		dp.LowSample = n < LowSampleThreshold(a.Statistic.P)
	}
	return dp
}

// Range returns the alarm's evaluation range at instant now, built from the
// visible series s (whose Periods hold only the base periods visible at now)
// and appended to dst[:0], oldest first, RangeLength() datapoints.
//
// Period of 60 s or less, or of one base period: alarm period j covers [j·Period, (j+1)·Period)
// since the deployment started, aggregating Period/s.Resolution base
// periods; the range holds the periods that ended at or before now. A period
// before the deployment started, or none of whose base periods is visible
// yet, is missing; a period only partly visible is aggregated from what is
// visible, as CloudWatch evaluates a datapoint whose late data has not all
// arrived.
//
// Period over 60 s: CloudWatch evaluates every minute over a sliding window
// ([observed], docs/model.md): the newest datapoint aggregates the last
// Period of data ending at the newest visible minute (the evaluation instant
// less the ingestion delay, minute-aligned), and each older one the Period
// before it (on base periods longer than a minute, the newest visible base
// period). The windows are built from the series' base periods (counts
// summed, ratios recomputed from the summed counts, sketches merged), so a
// 1-hour alarm has a datapoint from the first visible minute on. A window
// reaching before the deployment start holds what the deployment published
// (the simulator has no traffic before it); one entirely before it, or with
// no data, is missing.
func (a Alarm) Range(s *metrics.Series, now time.Duration, dst []Datapoint) ([]Datapoint, error) {
	k, err := a.basePeriods(s)
	if err != nil {
		return dst[:0], err
	}
	var scratch metrics.VersionStats
	return a.fillRange(s, k, now, dst[:0], &scratch, nil), nil
}

// basePeriods is the number of base periods of s in one alarm period.
func (a *Alarm) basePeriods(s *metrics.Series) (int, error) {
	if s == nil || s.Resolution <= 0 || a.Period <= 0 || a.Period%s.Resolution != 0 {
		res := time.Duration(0)
		if s != nil {
			res = s.Resolution
		}
		return 0, a.errf("Period", a.Period.String(), "must be a multiple of the series resolution (%v)", res)
	}
	return int(a.Period / s.Resolution), nil
}

// rangeCache remembers the datapoints of alarm periods that were entirely
// visible: they cannot change, so each is aggregated once per run.
type rangeCache struct {
	j  []int // alarm period index held in each slot, -1 if none
	dp []Datapoint
}

func newRangeCache(n int) rangeCache {
	c := rangeCache{j: make([]int, n), dp: make([]Datapoint, n)}
	for i := range c.j {
		c.j[i] = -1
	}
	return c
}

// slides reports whether the alarm evaluates sliding windows of series s:
// a period over a minute and longer than the base periods, which divide a
// minute or are whole minutes.
func (a *Alarm) slides(s *metrics.Series) bool {
	r := s.Resolution
	return a.Period > time.Minute && a.Period > r && r > 0 && (time.Minute%r == 0 || r%time.Minute == 0)
}

func (a *Alarm) fillRange(s *metrics.Series, k int, now time.Duration, dst []Datapoint, scratch *metrics.VersionStats, cache *rangeCache) []Datapoint {
	if a.slides(s) {
		return a.fillSliding(s, k, now, dst, scratch)
	}
	r := a.RangeLength()
	newest := int(now/a.Period) - 1 // the last alarm period that has ended by now
	if now < 0 {
		newest = -1
	}
	visible := len(s.Periods)
	for i := 0; i < r; i++ {
		j := newest - (r - 1) + i
		from, to := j*k, (j+1)*k
		if j < 0 || from >= visible {
			dst = append(dst, Datapoint{Missing: true})
			continue
		}
		complete := to <= visible
		if complete && cache != nil {
			slot := j % len(cache.j)
			if cache.j[slot] == j {
				dst = append(dst, cache.dp[slot])
				continue
			}
		}
		s.Aggregate(a.Dimension, from, to, scratch)
		dp := a.datapoint(scratch)
		if complete && cache != nil {
			slot := j % len(cache.j)
			cache.j[slot], cache.dp[slot] = j, dp
		}
		dst = append(dst, dp)
	}
	return dst
}

// fillSliding is fillRange for a sliding alarm (see Range): k base periods
// per window, the newest ending at the newest visible minute (or base
// period, when those are longer than a minute). A window moves
// by one minute per evaluation, so no datapoint is reused from the last one;
// counts are summed alone (no sketch merge) when the statistic reads only
// counts, which keeps an hour-long window at 60 additions.
func (a *Alarm) fillSliding(s *metrics.Series, k int, now time.Duration, dst []Datapoint, scratch *metrics.VersionStats) []Datapoint {
	// The window moves by a minute, or by a base period when those are
	// longer (a series of 5-minute datapoints has nothing newer in between).
	step := max(time.Minute, s.Resolution)
	q := int(step / s.Resolution) // base periods per step
	end := len(s.Periods) / q * q // the newest visible step
	if now < 0 {
		end = 0
	} else if lim := int(now/step) * q; end > lim {
		end = lim
	}
	r := a.RangeLength()
	for i := 0; i < r; i++ {
		to := end - (r-1-i)*k
		if to <= 0 {
			dst = append(dst, Datapoint{Missing: true})
			continue
		}
		a.aggregate(s, to-k, to, scratch)
		dst = append(dst, a.datapoint(scratch))
	}
	return dst
}

// aggregate merges base periods [from, to) of the alarm's dimension into
// into; for a count metric (whose every statistic reads counts only) it sums
// the counts and leaves the sketches empty.
func (a *Alarm) aggregate(s *metrics.Series, from, to int, into *metrics.VersionStats) {
	switch a.Metric {
	case metrics.Invocations, metrics.Errors, metrics.Throttles, metrics.ErrorRate:
	default:
		s.Aggregate(a.Dimension, from, to, into)
		return
	}
	into.Reset()
	if from < 0 {
		from = 0
	}
	if to > len(s.Periods) {
		to = len(s.Periods)
	}
	for i := from; i < to; i++ {
		v := &s.Periods[i].Dims[a.Dimension]
		into.Invocations += v.Invocations
		into.Errors += v.Errors
		into.Throttles += v.Throttles
	}
}
