package manifest

import (
	"strings"
	"testing"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
)

// The arithmetic around a recognised measurement turns the file's threshold
// into the simulator's: each case's expected rule is worked out by hand from
// the query's algebra (noted beside it), not read from the code.
func TestQueryArithmetic(t *testing.T) {
	const (
		ok5xx  = `sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"test_podinfo-canary_x",envoy_response_code!~"5.*"}[1m]))`
		all    = `sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"test_podinfo-canary_x"}[1m]))`
		errs   = `sum(rate(http_requests_total{code=~"5..",pod="canary"}[1m]))`
		total  = `sum(rate(http_requests_total{pod="canary"}[1m]))`
		p99ms  = `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name=~"x-canary"}[30s])) by (le))`
		p95sec = `histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket{track="canary"}[1m])))`
	)
	cases := []struct {
		name, q string
		op      string
		thr     float64
		metric  metrics.Metric
		cmp     rollback.Comparison
		out     float64
	}{
		// Flagger's Gateway API tutorial: 100 - 100·s > 1  <=>  s < 0.99  <=>  errors > 0.01.
		{"gateway-error-rate", "100 - " + ok5xx + " / " + all + " * 100", ">", 1, metrics.ErrorRate, rollback.GreaterThanThreshold, 0.01},
		// The same with newlines and parentheses.
		{"parenthesised", "100 - (\n" + ok5xx + "\n/\n" + all + "\n) * 100", ">", 1, metrics.ErrorRate, rollback.GreaterThanThreshold, 0.01},
		// p99 in ms / 1000 > 0.5 s  <=>  p99 > 500 ms.
		{"latency-over-1000", p99ms + "/1000", ">", 0.5, metrics.Duration, rollback.GreaterThanThreshold, 500},
		// seconds × 1000 > 250  <=>  p95 (s) > 0.25  <=>  p95 > 250 ms.
		{"seconds-times-1000", p95sec + " * 1000", ">", 250, metrics.Duration, rollback.GreaterThanThreshold, 250},
		// 100·e/e_total written as 100 * errs / total: > 2 <=> e > 0.02.
		{"percent-of-errors", "100 * " + errs + " / " + total, ">", 2, metrics.ErrorRate, rollback.GreaterThanThreshold, 0.02},
		// scalar() and vector() are the value itself; 1 - e is a success ratio: < 0.95 <=> e > 0.05.
		{"scalar", "scalar(1 - " + errs + " / " + total + ")", "<", 0.95, metrics.ErrorRate, rollback.GreaterThanThreshold, 0.05},
		{"vector-constant", "vector(0) + " + errs + " / " + total, ">", 0.1, metrics.ErrorRate, rollback.GreaterThanThreshold, 0.1},
		// -e < -0.03 <=> e > 0.03: a negative scale turns the operator round.
		{"negated", "-(" + errs + " / " + total + ")", "<", -0.03, metrics.ErrorRate, rollback.GreaterThanThreshold, 0.03},
		// The guard against an absent numerator: (e or vector(0)) / total is e / total.
		{"or-vector-0", "(" + errs + " or vector(0)) / " + total, ">", 0.05, metrics.ErrorRate, rollback.GreaterThanThreshold, 0.05},
		{"whole-or-vector", errs + " / " + total + " or vector(0)", ">", 0.05, metrics.ErrorRate, rollback.GreaterThanThreshold, 0.05},
		// Argo Rollouts' analysis documentation: success ratio >= 0.95 succeeds, < 0.95 fails.
		{"argo-docs", `sum(irate(
  istio_requests_total{reporter="source",destination_service=~"{{args.service-name}}",response_code!~"5.*"}[5m]
)) /
sum(irate(
  istio_requests_total{reporter="source",destination_service=~"{{args.service-name}}"}[5m]
))`, "<", 0.95, metrics.ErrorRate, rollback.GreaterThanThreshold, 0.05},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := recogniseQuery(c.q, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			cmp, out, err := m.failRule(c.op, c.thr)
			if err != nil || m.metric != c.metric || cmp != c.cmp || !near(out, c.out) {
				t.Errorf("%+v: %v %g %v, want %v %g", m, cmp, out, err, c.cmp, c.out)
			}
			if m.text == "" {
				t.Error("no description")
			}
		})
	}
}

// What is still not understood is refused with a reason, never guessed.
func TestQueryArithmeticRefused(t *testing.T) {
	const r = `sum(rate(x{code=~"5.."}[1m])) / sum(rate(x[1m]))`
	for q, why := range map[string]string{
		r + " > 0.1":              "operator >",
		r + " + " + r:             "two measurements",
		r + " * sum(rate(y[1m]))": "outside a ratio",
		"(sum(rate(x[1m])) - sum(rate(x{code=~\"5..\"}[1m]))) / sum(rate(x[1m]))": "itself arithmetic",
		r + " / on(pod) " + r:                "vector matching",
		r + " and " + r:                      "set operator",
		"100":                                "constant",
		"0 * " + r:                           "multiplied by 0",
		r + " / 0":                           "division by zero",
		"abs(" + r + ")":                     "abs",
		"sum(rate(x{code=~\"5..\"}[1m])) / ": "ends",
		"(" + r:                              "unbalanced",
		"sum(rate(x{code=~\"5..\"[1m]))":     "unclosed",
	} {
		_, err := recogniseQuery(q, nil, nil)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: err = %v, want %q", q, err, why)
		}
	}
}

// Flagger's own e2e Canary with the tutorial's MetricTemplates (testdata/real)
// reads both metrics: the error percentage and the latency in seconds.
func TestRealGatewayAPICanary(t *testing.T) {
	f := read(t, "testdata/real/flagger/gatewayapi-test-canary.yaml")
	d := only(t, f)
	var errRate, lat *Check
	for i := range d.Checks {
		switch d.Checks[i].Metric {
		case metrics.ErrorRate:
			errRate = &d.Checks[i]
		case metrics.Duration:
			lat = &d.Checks[i]
		}
	}
	if errRate == nil || errRate.FailWhen != rollback.GreaterThanThreshold || !near(errRate.Threshold, 0.01) {
		t.Errorf("error-rate check %+v", errRate)
	}
	if lat == nil || lat.FailWhen != rollback.GreaterThanThreshold || !near(lat.Threshold, 500) || lat.Statistic.P != 99 {
		t.Errorf("latency check %+v", lat)
	}
}
