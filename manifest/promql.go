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
	success   bool    // a success rate: the value is 1 - error rate
	scale     float64 // value = scale × the simulator's value (100 for a percentage; 1000 for seconds->ms is applied the other way)
	toMs      float64 // latency: multiply the query's value by this to get milliseconds
	window    time.Duration
	dimension metrics.Dimension
	dimNote   string // non-empty when the dimension is a guess
}

var (
	statusErr5xx = regexp.MustCompile(`(?i)(code|status|status_code|response_code|statuscode)\s*=~?\s*"5`)
	statusNot5xx = regexp.MustCompile(`(?i)(code|status|status_code|response_code|statuscode)\s*!~?\s*"5`)
	status2xx    = regexp.MustCompile(`(?i)(code|status|status_code|response_code|statuscode)\s*=~?\s*"2`)
	quantileRe   = regexp.MustCompile(`histogram_quantile\s*\(\s*([0-9.]+)\s*,`)
	rangeRe      = regexp.MustCompile(`\[\s*([0-9]+[smhd])\s*(?::[^\]]*)?\]`)
	times100Re   = regexp.MustCompile(`(^|[^0-9.])100(\.0*)?\s*\*|\*\s*100(\.0*)?([^0-9.]|$)`)
	argRe        = regexp.MustCompile(`\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}`)
)

// topLevelDivide finds the first "/" outside parentheses, braces, brackets
// and quotes, or -1.
func topLevelDivide(q string) int {
	depth := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '(' || c == '{' || c == '[':
			depth++
		case c == ')' || c == '}' || c == ']':
			depth--
		case c == '/' && depth == 0:
			return i
		}
	}
	return -1
}

// recogniseQuery reads the meaning of a Prometheus query; canaryArgs and
// stableArgs are argument names bound to the canary's and the stable
// version's pod template hash.
func recogniseQuery(q string, canaryArgs, stableArgs map[string]bool) (queryMeaning, error) {
	var m queryMeaning
	m.scale = 1
	if r := rangeRe.FindStringSubmatch(q); r != nil {
		if d, err := parseKubeDuration(r[1]); err == nil {
			m.window = d
		}
	}
	if qm := quantileRe.FindStringSubmatch(q); qm != nil {
		p, err := strconv.ParseFloat(qm[1], 64)
		if err != nil || !(p >= 0 && p <= 1) {
			return m, fmt.Errorf("histogram_quantile(%s, …): the quantile must be in [0, 1]", qm[1])
		}
		lq := strings.ToLower(q)
		switch {
		case strings.Contains(lq, "millisecond") || strings.Contains(lq, "_ms_") || strings.Contains(lq, "_ms{") || strings.Contains(lq, "_ms["):
			m.toMs = 1
		case strings.Contains(lq, "second"):
			m.toMs = 1000
		default:
			return m, fmt.Errorf("histogram_quantile over a metric whose unit is not in its name (seconds or milliseconds)")
		}
		m.metric = metrics.Duration
		m.statistic = metrics.Statistic{Kind: metrics.Percentile, P: p * 100}
	} else {
		i := topLevelDivide(q)
		if i < 0 {
			return m, fmt.Errorf("neither a ratio of requests by status code nor a histogram_quantile")
		}
		num := q[:i]
		switch {
		case statusErr5xx.MatchString(num):
			m.success = false
		case statusNot5xx.MatchString(num) || status2xx.MatchString(num):
			m.success = true
		default:
			return m, fmt.Errorf("a ratio whose numerator does not select requests by status code (code=~\"5..\" or code!~\"5..\")")
		}
		m.metric = metrics.ErrorRate
		m.statistic = metrics.Statistic{Kind: metrics.Sum}
		if times100Re.MatchString(q) {
			m.scale = 100
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
// query's value into the same rule on the simulator's metric.
func (m queryMeaning) failRule(failOp string, threshold float64) (rollback.Comparison, float64, error) {
	switch {
	case m.metric == metrics.Duration:
		threshold *= m.toMs
	case m.success:
		if threshold > m.scale {
			return 0, 0, fmt.Errorf("success-rate threshold %g is above %g (100%%)", threshold, m.scale)
		}
		// (scale - t) / scale rather than 1 - t/scale: 99 % gives exactly 0.01.
		failOp, threshold = mirror(failOp), (m.scale-threshold)/m.scale
	default:
		threshold /= m.scale
	}
	c, ok := comparison(failOp)
	if !ok {
		return 0, 0, fmt.Errorf("operator %q cannot be modelled as a threshold", failOp)
	}
	return c, threshold, nil
}
