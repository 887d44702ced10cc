package manifest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
)

// A Prometheus query is free text; the simulator can only stand in for the
// ones whose meaning is plain from the text:
//
//   - a ratio whose numerator selects 5xx status codes (code=~"5..") is an
//     error rate; one whose numerator excludes them (code!~"5..") or selects
//     2xx is a success rate;
//   - histogram_quantile(q, …) is the q-quantile of latency, in seconds when
//     the metric name says seconds and in milliseconds when it says
//     milliseconds.
//
// Which version the query measures comes from its selectors: a query that
// mentions the canary (a label value or argument with "canary" in it, or an
// argument bound to the latest pod template hash) reads the candidate, one
// that mentions "stable" reads the baseline, and any other reads the whole
// service, which is the alias.

// queryMeaning is what a query measures.
type queryMeaning struct {
	metric    metrics.Metric
	statistic metrics.Statistic
	success   bool // the measurement is a success ratio: 1 - error rate
	// The query's value is scale × the measurement + offset (100 for a
	// percentage; 100 - 100·s for an error percentage written from a
	// success ratio s; 1/1000 for milliseconds turned into seconds).
	scale, offset float64
	toMs          float64 // latency: multiply the measurement by this to get milliseconds
	window        time.Duration
	dimension     metrics.Dimension
	dimNote       string // non-empty when the dimension is a guess
	text          string // what the query measures, in words (Deployable.Explain)
}

var (
	statusErr5xx = regexp.MustCompile(`(?i)(code|status|status_code|response_code|statuscode)\s*=~?\s*"5`)
	statusNot5xx = regexp.MustCompile(`(?i)(code|status|status_code|response_code|statuscode)\s*!~?\s*"5`)
	status2xx    = regexp.MustCompile(`(?i)(code|status|status_code|response_code|statuscode)\s*=~?\s*"2`)
	rangeRe      = regexp.MustCompile(`\[\s*([0-9]+[smhd])\s*(?::[^\]]*)?\]`)
	argRe        = regexp.MustCompile(`\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}`)
)

// latencyUnit reads the unit of a histogram from the metric's name:
// milliseconds for names that say so (…_milliseconds_bucket, …_ms_…) and for
// Envoy's upstream_rq_time, which Envoy documents in milliseconds; seconds
// for names that say seconds (Prometheus's convention for durations).
func latencyUnit(text string) (toMs float64, ok bool) {
	l := strings.ToLower(text)
	switch {
	case strings.Contains(l, "millisecond") || strings.Contains(l, "_ms_") || strings.Contains(l, "_ms{") || strings.Contains(l, "_ms[") || strings.Contains(l, "upstream_rq_time"):
		return 1, true
	case strings.Contains(l, "second"):
		return 1000, true
	}
	return 0, false
}

// recogniseQuery reads the meaning of a Prometheus query; canaryArgs and
// stableArgs are argument names bound to the canary's and the stable
// version's pod template hash.
//
// The query is parsed (promql_expr.go): its value must be a linear function
// of one measurement the reader recognises — a ratio whose numerator selects
// requests by status code, or histogram_quantile over a histogram whose unit
// is in its name. Anything else is an error that says what was not
// understood; the caller warns and leaves the metric out.
func recogniseQuery(q string, canaryArgs, stableArgs map[string]bool) (queryMeaning, error) {
	var m queryMeaning
	if r := rangeRe.FindStringSubmatch(q); r != nil {
		if d, err := parseKubeDuration(r[1]); err == nil {
			m.window = d
		}
	}
	tree, err := parseQuery(q)
	if err != nil {
		return m, err
	}
	lin, err := linear(tree, q)
	if err != nil {
		return m, err
	}
	if lin.core == nil {
		return m, fmt.Errorf("%w: the query is a constant (%g)", errQuery, lin.offset)
	}
	if lin.scale == 0 {
		return m, fmt.Errorf("%w: the measurement is multiplied by 0", errQuery)
	}
	m.scale, m.offset = lin.scale, lin.offset
	core := lin.core
	if core.kind == pCall { // histogram_quantile
		if len(core.args) != 2 || !constant(core.args[0]) {
			return m, fmt.Errorf("histogram_quantile takes a constant quantile and a histogram")
		}
		ql, _ := linear(core.args[0], q)
		p := ql.offset
		if !(p >= 0 && p <= 1) {
			return m, fmt.Errorf("histogram_quantile(%g, …): the quantile must be in [0, 1]", p)
		}
		text := q[core.lo:core.hi]
		toMs, ok := latencyUnit(text)
		if !ok {
			return m, fmt.Errorf("histogram_quantile over a metric whose unit is not in its name (seconds or milliseconds)")
		}
		m.toMs = toMs
		m.metric = metrics.Duration
		m.statistic = metrics.Statistic{Kind: metrics.Percentile, P: p * 100}
		unit := "s"
		if toMs == 1 {
			unit = "ms"
		}
		m.text = fmt.Sprintf("p%g latency (%s)", p*100, unit)
	} else { // a ratio
		num := core.args[0]
		if num.kind == pBin || num.kind == pNeg || num.kind == pNum {
			return m, fmt.Errorf("%w: the numerator of the ratio is itself arithmetic (%s)", errQuery, clip(strings.TrimSpace(q[num.lo:num.hi]), 40))
		}
		numText := q[num.lo:num.hi]
		switch {
		case statusErr5xx.MatchString(numText):
			m.success = false
			m.text = "5xx ratio"
		case statusNot5xx.MatchString(numText) || status2xx.MatchString(numText):
			m.success = true
			m.text = "success ratio"
		default:
			return m, fmt.Errorf("a ratio whose numerator does not select requests by status code (code=~\"5..\" or code!~\"5..\")")
		}
		m.metric = metrics.ErrorRate
		m.statistic = metrics.Statistic{Kind: metrics.Sum}
	}
	if m.scale != 1 || m.offset != 0 {
		switch {
		case m.offset == 0:
			m.text = fmt.Sprintf("%g × %s", m.scale, m.text)
		case m.scale == 1:
			m.text = fmt.Sprintf("%g + %s", m.offset, m.text)
		default:
			m.text = fmt.Sprintf("%g %+g × %s", m.offset, m.scale, m.text)
		}
	}
	lq := strings.ToLower(q)
	canary, stable := strings.Contains(lq, "canary"), strings.Contains(lq, "stable")
	for _, a := range argRe.FindAllStringSubmatch(q, -1) {
		canary = canary || canaryArgs[a[1]]
		stable = stable || stableArgs[a[1]]
	}
	switch {
	case canary && !stable:
		m.dimension = metrics.Candidate
	case stable && !canary:
		m.dimension = metrics.Baseline
		m.dimNote = "the query selects the stable version, not the canary: it watches the baseline"
	default:
		m.dimension = metrics.Alias
		m.dimNote = "the query does not select the canary's pods, so it measures the whole service (stable and canary): read on the alias"
	}
	return m, nil
}

// condition is a parsed Argo successCondition or failureCondition on a
// single value: result[0] OP threshold.
type condition struct {
	op        string
	threshold float64
	noDataOK  bool // the condition starts with len(result) == 0 || or isNaN(…) ||
}

var condRe = regexp.MustCompile(`^\s*(len\(result\)\s*==\s*0\s*\|\|\s*)?(isNaN\((?:asFloat\()?result(?:\[0\])?\)?\)\s*\|\|\s*)?(?:asFloat\()?result(?:\[0\])?\)?\s*(>=|<=|>|<|==|!=)\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$`)

func parseCondition(s string) (condition, error) {
	m := condRe.FindStringSubmatch(s)
	if m == nil {
		return condition{}, fmt.Errorf("condition %q: only `result[0] OP number` (optionally after `len(result) == 0 ||` or `isNaN(result) ||`) is modelled", s)
	}
	f, err := strconv.ParseFloat(m[4], 64)
	if err != nil {
		return condition{}, fmt.Errorf("condition %q: bad number", s)
	}
	if f == 0 {
		f = 0 // -0 is 0: explained as "< 0", not "< -0"
	}
	return condition{op: m[3], threshold: f, noDataOK: m[1] != "" || m[2] != ""}, nil
}

// negate returns the operator true exactly when op is false.
func negate(op string) string {
	switch op {
	case ">=":
		return "<"
	case ">":
		return "<="
	case "<":
		return ">="
	case "<=":
		return ">"
	}
	return ""
}

// mirror returns the operator for the same comparison with both sides
// negated and shifted (x op t  <=>  (1-x) mirror(op) (1-t)).
func mirror(op string) string {
	switch op {
	case ">=":
		return "<="
	case ">":
		return "<"
	case "<":
		return ">"
	case "<=":
		return ">="
	}
	return ""
}

func comparison(op string) (rollback.Comparison, bool) {
	switch op {
	case ">=":
		return rollback.GreaterThanOrEqualToThreshold, true
	case ">":
		return rollback.GreaterThanThreshold, true
	case "<":
		return rollback.LessThanThreshold, true
	case "<=":
		return rollback.LessThanOrEqualToThreshold, true
	}
	return 0, false
}

// failRule turns "the measurement fails when value failOp threshold" on the
// query's value into the same rule on the simulator's metric: the value is
// scale × measurement + offset, so the rule is measurement op' (t-offset)/scale,
// the operator turned round when scale is negative; a success ratio s is
// 1 - error rate.
func (m queryMeaning) failRule(failOp string, threshold float64) (rollback.Comparison, float64, error) {
	scale := m.scale
	if scale == 0 { // a meaning built by hand: the measurement as it is
		scale = 1
	}
	if scale < 0 {
		failOp = mirror(failOp)
	}
	given := threshold
	x := (threshold - m.offset) / scale
	switch {
	case m.metric == metrics.Duration:
		threshold = x * m.toMs
	case m.success:
		// (scale + offset - t) / scale rather than 1 - x: 99 % gives exactly 0.01.
		failOp, threshold = mirror(failOp), (scale+m.offset-threshold)/scale
	default:
		threshold = x
	}
	if m.metric == metrics.ErrorRate && !(threshold >= 0 && threshold <= 1) {
		return 0, 0, fmt.Errorf("threshold %g on this query is an error rate of %g, outside [0, 1]: the check would never or always fail", given, threshold)
	}
	c, ok := comparison(failOp)
	if !ok {
		return 0, 0, fmt.Errorf("operator %q cannot be modelled as a threshold", failOp)
	}
	return c, threshold, nil
}
