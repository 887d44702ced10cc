package manifest

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
)

// alarmRef reads one entry of a DeploymentPreference's Alarms (or a
// DeploymentGroup's AlarmConfiguration): a Ref or GetAtt to an
// AWS::CloudWatch::Alarm of the template, or an alarm name. ok is false (with
// a warning) when the alarm cannot be modelled; err is reserved for a template
// no tool would accept.
func (t *template) alarmRef(a at, fn *lambdaFn) (rollback.Alarm, bool, error) {
	v, err := t.str(a, 0)
	if err != nil {
		return rollback.Alarm{}, false, t.warnOrErr(err, "alarm not modelled")
	}
	var id string
	for _, r := range v.refs {
		base := r
		if i := strings.IndexByte(r, '.'); i > 0 {
			base = r[:i]
		}
		if _, ok := t.resources[base]; ok {
			id = base
			break
		}
	}
	if id == "" {
		// A literal alarm name: look for an alarm of this template with that AlarmName.
		for _, rid := range t.order {
			res := t.resources[rid]
			ty, _ := res.get("Type")
			if s, _ := ty.scalar(); s != "AWS::CloudWatch::Alarm" {
				continue
			}
			props, _, _ := t.prop(res, "Properties")
			if n, ok, _ := t.prop(props, "AlarmName"); ok {
				if name, err := t.str(n, 0); err == nil && name.s == v.s {
					id = rid
					break
				}
			}
		}
		if id == "" {
			t.warnf(a, "alarm %q is not defined in this template: its metric is unknown, so it is not modelled", v.s)
			return rollback.Alarm{}, false, nil
		}
	}
	res := t.resources[id]
	ty, _ := res.get("Type")
	switch s, _ := ty.scalar(); s {
	case "AWS::CloudWatch::Alarm":
	case "AWS::CloudWatch::CompositeAlarm":
		t.warnf(a, "alarm %s is a composite alarm: its rule over other alarms is not modelled", id)
		return rollback.Alarm{}, false, nil
	default:
		return rollback.Alarm{}, false, t.errf(a, "refers to %s, a %s: must be an AWS::CloudWatch::Alarm", id, s)
	}
	ok, err := t.resourceCondition(res)
	if err != nil {
		return rollback.Alarm{}, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	if !ok {
		t.warnf(a, "alarm %s: its Condition is false with the parameter defaults, so it does not exist; not modelled", id)
		return rollback.Alarm{}, false, nil
	}
	return t.cloudWatchAlarm(id, res, fn)
}

// cloudWatchAlarm maps an AWS::CloudWatch::Alarm on one of Lambda's metrics
// to a rollback.Alarm.
//
// Dimensions: Resource = function:alias is the alias (all traffic);
// ExecutedVersion is the candidate. In a template ExecutedVersion is usually
// !GetAtt Fn.Version.Version or !Ref Fn.Version, which each deployment points
// at the version it publishes, i.e. the candidate; a literal version number
// names one fixed version, which the reader also takes for the candidate (a
// template is evaluated as the deployment of a new version), with a warning.
// FunctionName alone counts every version of the function, which is the
// alias's traffic when all callers use the alias (warning).
func (t *template) cloudWatchAlarm(id string, res at, fn *lambdaFn) (rollback.Alarm, bool, error) {
	props, ok, err := t.prop(res, "Properties")
	if err != nil {
		return rollback.Alarm{}, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	if !ok || !props.isMap() {
		return rollback.Alarm{}, false, t.errf(res, "alarm %s has no Properties", id)
	}
	al := rollback.Alarm{Name: id}
	if n, ok, _ := t.prop(props, "AlarmName"); ok {
		if s, err := t.str(n, 0); err == nil && len(s.refs) == 0 && !strings.Contains(s.s, "${") {
			al.Name = s.s
		}
	}
	skip := func(a at, format string, args ...any) (rollback.Alarm, bool, error) {
		t.warnf(a, "alarm %s: "+format+"; not modelled", append([]any{id}, args...)...)
		return rollback.Alarm{}, false, nil
	}
	// Every required field, read the same way: absent is an error, an
	// unresolvable intrinsic a warning.
	get := func(key string) (at, bool, error) {
		v, ok, err := t.prop(props, key)
		return v, ok, err
	}

	if tm, ok, _ := get("ThresholdMetricId"); ok {
		return skip(tm, "an anomaly-detection band (ThresholdMetricId) is not a fixed threshold")
	}
	if m, ok, err := get("Metrics"); err != nil {
		return rollback.Alarm{}, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	} else if ok {
		ok, err := t.metricMath(id, m, fn, &al)
		if err != nil || !ok {
			return rollback.Alarm{}, false, err
		}
	} else {
		ok, err := t.singleMetric(id, props, fn, &al)
		if err != nil || !ok {
			return rollback.Alarm{}, false, err
		}
	}

	n, ok, err := get("EvaluationPeriods")
	if err != nil {
		return rollback.Alarm{}, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	if !ok {
		return rollback.Alarm{}, false, t.errf(props, "alarm %s: EvaluationPeriods is required", id)
	}
	if al.EvaluationPeriods, err = t.integer(n, 1, 100000); err != nil {
		return rollback.Alarm{}, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	if m, ok, err := get("DatapointsToAlarm"); err != nil {
		return rollback.Alarm{}, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	} else if ok {
		if al.DatapointsToAlarm, err = t.integer(m, 1, 100000); err != nil {
			return rollback.Alarm{}, false, t.warnOrErr(err, "alarm "+id+" not modelled")
		}
	}
	th, ok, err := get("Threshold")
	if err != nil {
		return rollback.Alarm{}, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	if !ok {
		return rollback.Alarm{}, false, t.errf(props, "alarm %s: Threshold is required", id)
	}
	thr, err := t.number(th)
	if err != nil {
		return rollback.Alarm{}, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	al.Threshold = thr * al.Threshold // Threshold holds the metric-math scale until here
	t.apiGatewayOverhead(id, props, fn, &al)
	co, ok, err := get("ComparisonOperator")
	if err != nil {
		return rollback.Alarm{}, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	if !ok {
		return rollback.Alarm{}, false, t.errf(props, "alarm %s: ComparisonOperator is required", id)
	}
	cs, err := t.str(co, 0)
	if err != nil {
		return rollback.Alarm{}, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	if strings.Contains(cs.s, "Band") || strings.Contains(cs.s, "LowerOrGreaterThanUpper") {
		return skip(co, "ComparisonOperator %s compares with an anomaly-detection band", cs.s)
	}
	if al.Comparison, err = rollback.ParseComparison(cs.s); err != nil {
		return rollback.Alarm{}, false, t.wrap(co, err)
	}
	if md, ok, err := get("TreatMissingData"); err != nil {
		return rollback.Alarm{}, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	} else if ok {
		s, err := t.str(md, 0)
		if err != nil {
			return rollback.Alarm{}, false, t.warnOrErr(err, "alarm "+id+" not modelled")
		}
		if al.TreatMissingData, err = rollback.ParseMissingData(s.s); err != nil {
			return rollback.Alarm{}, false, t.wrap(md, err)
		}
	}
	if ls, ok, err := get("EvaluateLowSampleCountPercentile"); err != nil {
		return rollback.Alarm{}, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	} else if ok {
		s, err := t.str(ls, 0)
		if err != nil {
			return rollback.Alarm{}, false, t.warnOrErr(err, "alarm "+id+" not modelled")
		}
		if al.EvaluateLowSampleCountPercentile, err = rollback.ParseLowSampleCount(s.s); err != nil {
			return rollback.Alarm{}, false, t.wrap(ls, err)
		}
	}
	if un, ok, _ := get("Unit"); ok && al.Metric != metrics.ErrorRate {
		// CloudWatch only matches datapoints published with the alarm's unit:
		// with another unit than Lambda's, the alarm sees no data at all.
		want := "Count"
		if al.Metric == metrics.Duration {
			want = "Milliseconds"
		}
		if u, err := t.str(un, 0); err == nil && u.s != want {
			t.warnf(un, "alarm %s: Unit %s: Lambda publishes %s in %s, so in CloudWatch this alarm would see no data; modelled as if the unit matched", id, u.s, al.Metric, want)
		}
	}
	if ae, ok, _ := get("ActionsEnabled"); ok {
		if on, err := t.boolean(ae); err == nil && !on {
			t.warnf(ae, "alarm %s: ActionsEnabled is false, which silences SNS actions only; CodeDeploy still reads the alarm's state, so it is modelled", id)
		}
	}
	if err := al.Validate(); err != nil {
		// Point at the property the broken rule is about.
		where := props
		var ce *rollback.ConfigError
		if errors.As(err, &ce) {
			for _, key := range []string{ce.Field, "Extended" + ce.Field, "Metrics"} {
				if v, ok := props.get(key); ok {
					where = v
					break
				}
			}
		}
		return rollback.Alarm{}, false, t.wrap(where, err)
	}
	return al, true, nil
}

// singleMetric reads MetricName, Namespace, Dimensions, Statistic or
// ExtendedStatistic and Period into al (Threshold is set to the scale 1).
func (t *template) singleMetric(id string, props at, fn *lambdaFn, al *rollback.Alarm) (bool, error) {
	mn, ok, err := t.prop(props, "MetricName")
	if err != nil {
		return false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	if !ok {
		return false, t.errf(props, "alarm %s: MetricName (or Metrics) is required", id)
	}
	ns, _, err := t.prop(props, "Namespace")
	if err != nil {
		return false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	dims, _, err := t.prop(props, "Dimensions")
	if err != nil {
		return false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	m, dim, ok, err := t.lambdaMetric(id, mn, ns, dims, props, fn)
	if err != nil || !ok {
		return false, err
	}
	al.Metric, al.Dimension = m, dim

	st, hasSt, err := t.prop(props, "Statistic")
	if err != nil {
		return false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	est, hasEst, err := t.prop(props, "ExtendedStatistic")
	if err != nil {
		return false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	switch {
	case hasSt && hasEst:
		return false, t.errf(est, "alarm %s: give Statistic or ExtendedStatistic, not both", id)
	case !hasSt && !hasEst:
		return false, t.errf(props, "alarm %s: Statistic or ExtendedStatistic is required", id)
	}
	sn := st
	if hasEst {
		sn = est
	}
	s, err := t.str(sn, 0)
	if err != nil {
		return false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	if al.Statistic, err = metrics.ParseStatistic(s.s); err != nil {
		if hasEst {
			t.warnf(sn, "alarm %s: ExtendedStatistic %q is not a percentile pNN (trimmed means and other statistics are not modelled); not modelled", id, s.s)
			return false, nil
		}
		return false, t.wrap(sn, err)
	}
	if hasSt && al.Statistic.Kind == metrics.Percentile {
		return false, t.errf(sn, "alarm %s: Statistic %q: a percentile goes in ExtendedStatistic", id, s.s)
	}
	pn, ok, err := t.prop(props, "Period")
	if err != nil {
		return false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	if !ok {
		return false, t.errf(props, "alarm %s: Period is required", id)
	}
	p, err := t.integer(pn, 1, 7*86400)
	if err != nil {
		return false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	al.Period = time.Duration(p) * time.Second
	al.Threshold = 1
	if fn.kind == kindAPI && al.Metric == metrics.Errors && al.Statistic.Kind == metrics.Average {
		// 5XXError is 1 for a failed call and 0 otherwise: its Average is
		// the 5xx rate.
		al.Metric, al.Statistic = metrics.ErrorRate, metrics.Statistic{Kind: metrics.Sum}
	}
	return true, nil
}

// lambdaMetric maps a (MetricName, Namespace, Dimensions) of Lambda to the
// simulator's metric and dimension.
func (t *template) lambdaMetric(id string, mn, ns, dims, where at, fn *lambdaFn) (metrics.Metric, metrics.Dimension, bool, error) {
	name, err := t.str(mn, 0)
	if err != nil {
		return 0, 0, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	if !ns.valid() {
		return 0, 0, false, t.errf(where, "alarm %s: Namespace is required with MetricName", id)
	}
	nss, err := t.str(ns, 0)
	if err != nil {
		return 0, 0, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	switch fn.kind {
	case kindStates, kindAPI:
		return t.serviceMetric(id, name, nss, mn, ns, dims, fn)
	}
	if nss.s == "AWS/ApiGateway" {
		return t.apiGatewayMetric(id, mn, name.s, dims) // composite.go
	}
	if nss.s != "AWS/Lambda" {
		t.warnf(ns, "alarm %s: namespace %s is not AWS/Lambda: the simulator publishes only Lambda's own metrics; not modelled", id, nss.s)
		return 0, 0, false, nil
	}
	m, err := metrics.ParseMetric(name.s)
	if err != nil || m == metrics.ErrorRate {
		t.warnf(mn, "alarm %s: Lambda metric %s is not one the simulator publishes (Invocations, Errors, Throttles, Duration, ConcurrentExecutions); not modelled", id, name.s)
		return 0, 0, false, nil
	}
	dim, ok, err := t.dimension(id, dims, fn)
	return m, dim, ok, err
}

// serviceMetrics maps the metrics of Step Functions (AWS/States) and API
// Gateway (AWS/ApiGateway) to the simulator's, whose requests are the
// executions or API calls (AWS Step Functions Developer Guide, "Monitoring
// Step Functions metrics using Amazon CloudWatch"; Amazon API Gateway
// Developer Guide, "Amazon API Gateway dimensions and metrics").
var serviceMetrics = map[deployKind]map[string]metrics.Metric{
	kindStates: {
		"ExecutionsStarted":  metrics.Invocations,
		"ExecutionsFailed":   metrics.Errors,
		"ExecutionTime":      metrics.Duration,
		"ExecutionThrottled": metrics.Throttles,
	},
	kindAPI: {
		"Count":    metrics.Invocations,
		"5XXError": metrics.Errors, // Average: the 5xx rate (singleMetric)
		"Latency":  metrics.Duration,
	},
}

var serviceNamespace = map[deployKind]string{kindStates: "AWS/States", kindAPI: "AWS/ApiGateway"}

// serviceMetric reads an alarm on a state machine or an API stage. The
// dimension that names the state machine (StateMachineArn) or the stage
// (ApiName/ApiId with Stage) counts every execution or call: the alias. An
// API stage's canary publishes under Stage "<stage>/Canary": the candidate.
func (t *template) serviceMetric(id string, name, nss sval, mn, ns, dims at, fn *lambdaFn) (metrics.Metric, metrics.Dimension, bool, error) {
	want := serviceNamespace[fn.kind]
	if nss.s != want {
		t.warnf(ns, "alarm %s: namespace %s is not %s: not modelled", id, nss.s, want)
		return 0, 0, false, nil
	}
	m, ok := serviceMetrics[fn.kind][name.s]
	if !ok {
		known := make([]string, 0, 4)
		for k := range serviceMetrics[fn.kind] {
			known = append(known, k)
		}
		sort.Strings(known)
		t.warnf(mn, "alarm %s: %s metric %s has no counterpart in the simulator (%s); not modelled", id, want, name.s, strings.Join(known, ", "))
		return 0, 0, false, nil
	}
	items, err := t.list(dims, 0)
	if err != nil {
		return 0, 0, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	dim := metrics.Alias
	for _, it := range items {
		nn, _, _ := t.prop(it, "Name")
		vn, _, _ := t.prop(it, "Value")
		n, err1 := t.str(nn, 0)
		v, err2 := t.str(vn, 0)
		if err := firstErr(err1, err2); err != nil {
			return 0, 0, false, t.warnOrErr(err, "alarm "+id+" not modelled")
		}
		switch {
		case fn.kind == kindAPI && n.s == "Stage" && strings.HasSuffix(v.s, "/Canary"):
			dim = metrics.Candidate
		case fn.kind == kindAPI && (n.s == "ApiName" || n.s == "ApiId" || n.s == "Stage"):
		case fn.kind == kindStates && n.s == "StateMachineArn":
			t.warnf(vn, "alarm %s: StateMachineArn counts every execution of the state machine, both versions: read as the alias", id)
		default:
			t.warnf(nn, "alarm %s: dimension %s is not modelled for %s; not modelled", id, n.s, want)
			return 0, 0, false, nil
		}
	}
	return m, dim, true, nil
}

// dimension maps an alarm's Dimensions to alias, candidate or baseline.
func (t *template) dimension(id string, dims at, fn *lambdaFn) (metrics.Dimension, bool, error) {
	items, err := t.list(dims, 0)
	if err != nil {
		return 0, false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	if len(items) == 0 {
		t.warnf(dims, "alarm %s: no Dimensions, so the metric adds up every function in the account and Region; read as this function's alias", id)
		return metrics.Alias, true, nil
	}
	var haveFn, haveRes, haveVer bool
	var verVal sval
	var verAt at
	for _, it := range items {
		nn, ok1, err1 := t.prop(it, "Name")
		vn, ok2, err2 := t.prop(it, "Value")
		if err1 != nil || err2 != nil {
			return 0, false, t.warnOrErr(firstErr(err1, err2), "alarm "+id+" not modelled")
		}
		if !ok1 || !ok2 {
			return 0, false, t.errf(it, "alarm %s: a dimension needs Name and Value", id)
		}
		name, err := t.str(nn, 0)
		if err != nil {
			return 0, false, t.warnOrErr(err, "alarm "+id+" not modelled")
		}
		val, err := t.str(vn, 0)
		if err != nil {
			return 0, false, t.warnOrErr(err, "alarm "+id+" not modelled")
		}
		switch name.s {
		case "FunctionName":
			match, other := fn.is(val)
			if other {
				t.warnf(vn, "alarm %s watches another function (%s); the simulator runs only %s; not modelled", id, val.s, fn.id)
				return 0, false, nil
			}
			if !match {
				t.warnf(vn, "alarm %s: FunctionName %q cannot be tied to %s from the template; read as its own", id, val.s, fn.id)
			}
			haveFn = true
		case "Resource":
			fnPart, aliasPart := val.s, ""
			if i := strings.LastIndexByte(val.s, ':'); i >= 0 {
				fnPart, aliasPart = val.s[:i], val.s[i+1:]
			}
			match, other := fn.is(sval{s: fnPart, refs: val.refs})
			if other {
				t.warnf(vn, "alarm %s watches another function (%s); the simulator runs only %s; not modelled", id, val.s, fn.id)
				return 0, false, nil
			}
			if !match {
				t.warnf(vn, "alarm %s: Resource %q cannot be tied to %s from the template; read as its own", id, val.s, fn.id)
			}
			if aliasPart == "" {
				haveFn = true
				continue
			}
			if fn.alias != "" && aliasPart != fn.alias && !strings.Contains(aliasPart, "${") {
				t.warnf(vn, "alarm %s: alias %q is not the deployed alias %q; read as the deployed alias", id, aliasPart, fn.alias)
			}
			haveRes = true
		case "ExecutedVersion":
			haveVer, verVal, verAt = true, val, vn
		default:
			t.warnf(nn, "alarm %s: dimension %s is not one Lambda publishes (FunctionName, Resource, ExecutedVersion); not modelled", id, name.s)
			return 0, false, nil
		}
	}
	switch {
	case haveVer:
		candidate := false
		for _, r := range verVal.refs {
			if r == fn.id+".Version" || r == fn.id+".Version.Version" {
				candidate = true
			}
			// CloudFormation (and SAM's translation): !GetAtt FnVersionX.Version
			// of an AWS::Lambda::Version the stack publishes.
			base, _, _ := strings.Cut(r, ".")
			if res, ok := t.resources[base]; ok {
				ty, _ := res.get("Type")
				if s, _ := ty.scalar(); s == "AWS::Lambda::Version" {
					candidate = true
				}
			}
		}
		if !candidate {
			t.warnf(verAt, "alarm %s: ExecutedVersion %q names one fixed version; read as the candidate (the version this deployment publishes)", id, verVal.s)
		}
		return metrics.Candidate, true, nil
	case haveRes:
		return metrics.Alias, true, nil
	case haveFn:
		t.warnf(items[0], "alarm %s: FunctionName without Resource counts every version and alias of the function; read as the alias (equal when all callers invoke the alias)", id)
		return metrics.Alias, true, nil
	}
	return metrics.Alias, true, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// metricMath reads an alarm on a metric-math expression. The only expression
// the simulator models is the error rate Errors/Invocations (Sum/Sum) of one
// dimension, optionally scaled by a constant (100*m1/m2 is a percentage);
// the alarm's threshold is divided by that constant, so ErrorRate is always a
// fraction. Anything else is a warning.
func (t *template) metricMath(id string, m at, fn *lambdaFn, al *rollback.Alarm) (bool, error) {
	items, err := t.list(m, 0)
	if err != nil {
		return false, t.warnOrErr(err, "alarm "+id+" not modelled")
	}
	type q struct {
		at     at
		metric string
		stat   string
		period int
		dim    metrics.Dimension
	}
	queries := map[string]q{}
	var expr, exprID string
	var exprAt at
	for _, it := range items {
		idn, ok, err := t.prop(it, "Id")
		if err != nil {
			return false, t.warnOrErr(err, "alarm "+id+" not modelled")
		}
		if !ok {
			return false, t.errf(it, "alarm %s: every Metrics entry needs an Id", id)
		}
		qid, err := t.str(idn, 0)
		if err != nil {
			return false, t.warnOrErr(err, "alarm "+id+" not modelled")
		}
		ret := true
		if rd, ok, _ := t.prop(it, "ReturnData"); ok {
			if b, err := t.boolean(rd); err == nil {
				ret = b
			}
		}
		if e, ok, _ := t.prop(it, "Expression"); ok {
			s, err := t.str(e, 0)
			if err != nil {
				return false, t.warnOrErr(err, "alarm "+id+" not modelled")
			}
			if ret {
				if expr != "" {
					return false, t.errf(it, "alarm %s: more than one Metrics entry returns data: exactly one must", id)
				}
				expr, exprID, exprAt = s.s, qid.s, e
			}
			continue
		}
		ms, ok, err := t.prop(it, "MetricStat")
		if err != nil {
			return false, t.warnOrErr(err, "alarm "+id+" not modelled")
		}
		if !ok {
			return false, t.errf(it, "alarm %s: Metrics entry %s needs an Expression or a MetricStat", id, qid.s)
		}
		met, _, _ := t.prop(ms, "Metric")
		mn, ok, _ := t.prop(met, "MetricName")
		if !ok {
			return false, t.errf(ms, "alarm %s: MetricStat.Metric.MetricName is required", id)
		}
		ns, _, _ := t.prop(met, "Namespace")
		dims, _, _ := t.prop(met, "Dimensions")
		name, err := t.str(mn, 0)
		if err != nil {
			return false, t.warnOrErr(err, "alarm "+id+" not modelled")
		}
		var dim metrics.Dimension
		if name.s == "Errors" || name.s == "Invocations" {
			_, d, ok, err := t.lambdaMetric(id, mn, ns, dims, met, fn)
			if err != nil || !ok {
				return false, err
			}
			dim = d
		}
		st, _, _ := t.prop(ms, "Stat")
		ss, _ := t.str(st, 0)
		pn, ok, _ := t.prop(ms, "Period")
		if !ok {
			return false, t.errf(ms, "alarm %s: MetricStat.Period is required", id)
		}
		p, err := t.integer(pn, 1, 7*86400)
		if err != nil {
			return false, t.warnOrErr(err, "alarm "+id+" not modelled")
		}
		queries[qid.s] = q{at: it, metric: name.s, stat: ss.s, period: p, dim: dim}
		if ret && expr == "" {
			expr, exprID, exprAt = qid.s, qid.s, it
		}
	}
	if expr == "" {
		return false, t.errf(m, "alarm %s: no Metrics entry returns data", id)
	}
	mono, err := parseMathExpr(expr)
	if err != nil {
		t.warnf(exprAt, "alarm %s: expression %q (%v) is not an error rate Errors/Invocations; not modelled", id, expr, err)
		return false, nil
	}
	var num, den string
	for v, p := range mono.pow {
		switch p {
		case 1:
			if num != "" {
				num = "?"
			} else {
				num = v
			}
		case -1:
			if den != "" {
				den = "?"
			} else {
				den = v
			}
		default:
			num = "?"
		}
	}
	qn, okN := queries[num]
	qd, okD := queries[den]
	if !okN || !okD || qn.metric != "Errors" || qd.metric != "Invocations" || !(mono.coef > 0) {
		t.warnf(exprAt, "alarm %s: expression %s = %q is not an error rate (Errors / Invocations, optionally times a positive constant); not modelled", id, exprID, expr)
		return false, nil
	}
	if qn.dim != qd.dim {
		t.warnf(exprAt, "alarm %s: Errors (%s) and Invocations (%s) are of different dimensions; not modelled", id, qn.dim, qd.dim)
		return false, nil
	}
	if qn.stat != "Sum" || qd.stat != "Sum" {
		t.warnf(exprAt, "alarm %s: the error rate is modelled as Sum(Errors)/Sum(Invocations); the template uses Stat %s/%s", id, qn.stat, qd.stat)
	}
	if qn.period != qd.period {
		return false, t.errf(exprAt, "alarm %s: the metrics of one expression must share a Period (%d s vs %d s)", id, qn.period, qd.period)
	}
	al.Metric = metrics.ErrorRate
	al.Dimension = qn.dim
	al.Statistic = metrics.Statistic{Kind: metrics.Sum}
	al.Period = time.Duration(qn.period) * time.Second
	al.Threshold = 1 / mono.coef // the caller multiplies by the template's Threshold
	return true, nil
}

// monomial is coef × Π var^pow, the only shape of metric-math expression the
// reader needs to recognise (ratios scaled by constants).
type monomial struct {
	coef float64
	pow  map[string]int
}

// parseMathExpr parses a CloudWatch metric-math expression made of ids,
// numbers, *, / and parentheses into a monomial; anything else (+, -,
// functions such as FILL or IF) is an error.
func parseMathExpr(s string) (monomial, error) {
	p := &mathParser{s: s}
	m, err := p.product(0)
	if err != nil {
		return monomial{}, err
	}
	p.space()
	if p.i != len(p.s) {
		return monomial{}, fmt.Errorf("unexpected %q at offset %d", p.s[p.i:], p.i)
	}
	return m, nil
}

type mathParser struct {
	s string
	i int
}

func (p *mathParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *mathParser) product(depth int) (monomial, error) {
	if depth > maxDepth {
		return monomial{}, fmt.Errorf("nested deeper than %d", maxDepth)
	}
	m, err := p.factor(depth)
	if err != nil {
		return monomial{}, err
	}
	for {
		p.space()
		if p.i >= len(p.s) || (p.s[p.i] != '*' && p.s[p.i] != '/') {
			return m, nil
		}
		op := p.s[p.i]
		p.i++
		f, err := p.factor(depth)
		if err != nil {
			return monomial{}, err
		}
		if op == '*' {
			m.coef *= f.coef
			for v, k := range f.pow {
				m.pow[v] += k
			}
		} else {
			if f.coef == 0 {
				return monomial{}, fmt.Errorf("division by zero")
			}
			m.coef /= f.coef
			for v, k := range f.pow {
				m.pow[v] -= k
			}
		}
		for v, k := range m.pow {
			if k == 0 {
				delete(m.pow, v)
			}
		}
	}
}

func (p *mathParser) factor(depth int) (monomial, error) {
	p.space()
	if p.i >= len(p.s) {
		return monomial{}, fmt.Errorf("expression ends early")
	}
	c := p.s[p.i]
	switch {
	case c == '(':
		p.i++
		m, err := p.product(depth + 1)
		if err != nil {
			return monomial{}, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return monomial{}, fmt.Errorf("missing )")
		}
		p.i++
		return m, nil
	case c >= '0' && c <= '9' || c == '.':
		j := p.i
		for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '.' || p.s[j] == 'e' || p.s[j] == 'E') {
			j++
		}
		f, err := strconv.ParseFloat(p.s[p.i:j], 64)
		if err != nil {
			return monomial{}, fmt.Errorf("bad number %q", p.s[p.i:j])
		}
		p.i = j
		return monomial{coef: f, pow: map[string]int{}}, nil
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_':
		j := p.i
		for j < len(p.s) && (p.s[j] >= 'a' && p.s[j] <= 'z' || p.s[j] >= 'A' && p.s[j] <= 'Z' || p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '_') {
			j++
		}
		name := p.s[p.i:j]
		p.i = j
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '(' {
			return monomial{}, fmt.Errorf("function %s is not modelled", name)
		}
		return monomial{coef: 1, pow: map[string]int{name: 1}}, nil
	}
	return monomial{}, fmt.Errorf("operator %q is not modelled", string(c))
}
