package manifest

import (
	"fmt"
	"strings"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
)

// DefaultAPIOverhead is what API Gateway adds to the function's duration in
// its Latency metric (request received to response returned: the
// integration's own latency plus API Gateway's processing). [assumed] AWS
// does not document a figure; tens of milliseconds is typical, and
// `deploysim calibrate` measures it (Latency − IntegrationLatency) from an
// export of both.
const DefaultAPIOverhead = 20 * time.Millisecond

// maxCompositeDepth bounds composite alarms referring to composite alarms.
const maxCompositeDepth = 8

// compositeRef reads an alarm entry of a deployment group that names an
// AWS::CloudWatch::CompositeAlarm of the template into d.Composite (its
// rule, the metric alarms and composites it refers to), and reports
// whether it did; an entry that names anything else is left to alarmRef.
// A composite with a member the reader cannot model is not modelled
// (warning), as a metric alarm is not.
func (t *template) compositeRef(a at, fn *lambdaFn, d *Deployable) (bool, error) {
	v, err := t.str(a, 0)
	if err != nil {
		return false, nil // alarmRef reports it
	}
	id := t.alarmResource(v)
	if id == "" || t.resourceType(id) != "AWS::CloudWatch::CompositeAlarm" {
		return false, nil
	}
	if d.Composite == nil {
		d.Composite = &rollback.Composite{}
	}
	name, ok, err := t.composite(id, fn, d.Composite, 0, map[string]bool{})
	if err != nil || !ok {
		return true, err
	}
	d.Composite.Watch = append(d.Composite.Watch, name)
	return true, nil
}

func (t *template) resourceType(id string) string {
	res, ok := t.resources[id]
	if !ok {
		return ""
	}
	ty, _ := res.get("Type")
	s, _ := ty.scalar()
	return s
}

// alarmResource finds the alarm (metric or composite) an expression names:
// a Ref or GetAtt to it, its AlarmName, or an ARN ending in :alarm:NAME.
func (t *template) alarmResource(v sval) string {
	for _, r := range v.refs {
		base, _, _ := strings.Cut(r, ".")
		if _, ok := t.resources[base]; ok {
			return base
		}
	}
	name := v.s
	if i := strings.LastIndex(name, ":alarm:"); i >= 0 {
		name = name[i+len(":alarm:"):]
	}
	if base, attr, ok := strings.Cut(name, "."); ok && attr == "Arn" {
		if _, ok := t.resources[base]; ok {
			return base
		}
	}
	if _, ok := t.resources[name]; ok {
		return name
	}
	for _, rid := range t.order {
		switch t.resourceType(rid) {
		case "AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm":
		default:
			continue
		}
		props, _, _ := t.prop(t.resources[rid], "Properties")
		if n, ok, _ := t.prop(props, "AlarmName"); ok {
			if s, err := t.str(n, 0); err == nil && s.s == name {
				return rid
			}
		}
	}
	return ""
}

// composite reads composite alarm id into c and returns its name (its
// AlarmName, or id). Its rule's names are resolved to the template's
// alarms, and each member is added to c under the name the rule uses.
func (t *template) composite(id string, fn *lambdaFn, c *rollback.Composite, depth int, busy map[string]bool) (string, bool, error) {
	res := t.resources[id]
	if depth > maxCompositeDepth || busy[id] {
		t.warnf(res, "composite alarm %s: refers to itself or nests deeper than %d; not modelled", id, maxCompositeDepth)
		return "", false, nil
	}
	busy[id] = true
	defer delete(busy, id)
	props, ok, err := t.prop(res, "Properties")
	if err != nil {
		return "", false, t.warnOrErr(err, "composite alarm "+id+" not modelled")
	}
	if !ok {
		return "", false, t.errf(res, "composite alarm %s has no Properties", id)
	}
	name := id
	if n, ok, _ := t.prop(props, "AlarmName"); ok {
		if s, err := t.str(n, 0); err == nil && len(s.refs) == 0 && !strings.Contains(s.s, "${") {
			name = s.s
		}
	}
	for _, cc := range c.Composites {
		if cc.Name == name {
			return name, true, nil // already read (two composites share it)
		}
	}
	rn, ok, err := t.prop(props, "AlarmRule")
	if err != nil {
		return "", false, t.warnOrErr(err, "composite alarm "+id+" not modelled")
	}
	if !ok {
		return "", false, t.errf(props, "composite alarm %s: AlarmRule is required", id)
	}
	rs, err := t.str(rn, 0)
	if err != nil {
		return "", false, t.warnOrErr(err, "composite alarm "+id+" not modelled")
	}
	rule, err := rollback.ParseAlarmRule(rs.s)
	if err != nil {
		return "", false, t.wrap(rn, err)
	}
	for _, member := range rule.Alarms() {
		mid := t.alarmResource(sval{s: member})
		switch t.resourceType(mid) {
		case "AWS::CloudWatch::Alarm":
			if hasAlarm(c.Alarms.Alarms, member) {
				continue
			}
			al, ok, err := t.cloudWatchAlarm(mid, t.resources[mid], fn)
			if err != nil {
				return "", false, err
			}
			if !ok {
				t.warnf(rn, "composite alarm %s: member %s is not modelled, so neither is the composite", id, member)
				return "", false, nil
			}
			al.Name = member
			c.Alarms.Alarms = append(c.Alarms.Alarms, al)
		case "AWS::CloudWatch::CompositeAlarm":
			inner, ok, err := t.composite(mid, fn, c, depth+1, busy)
			if err != nil || !ok {
				return "", false, err
			}
			if inner != member {
				// The rule names it otherwise (by id or ARN): alias it.
				r, _ := rollback.ParseAlarmRule(fmt.Sprintf("ALARM(%q)", inner))
				c.Composites = append(c.Composites, rollback.CompositeAlarm{Name: member, Rule: r})
			}
		default:
			t.warnf(rn, "composite alarm %s: member %q is not an alarm of this template: its state is unknown, so the composite is not modelled", id, member)
			return "", false, nil
		}
	}
	c.Composites = append(c.Composites, rollback.CompositeAlarm{Name: name, Rule: rule})
	return name, true, nil
}

func hasAlarm(as []rollback.Alarm, name string) bool {
	for i := range as {
		if as[i].Name == name {
			return true
		}
	}
	return false
}

// deployablePolicy is CodeDeploy's controller over what d's deployment group
// watches: its metric alarms (alarmsPolicy), and with composite alarms a
// rollback.Composite that evaluates the members and watches both.
func deployablePolicy(d *Deployable) rollback.Policy {
	if d.Composite == nil || len(d.Composite.Composites) == 0 {
		return alarmsPolicy(d.Alarms)
	}
	c := *d.Composite
	members := append([]rollback.Alarm(nil), c.Alarms.Alarms...)
	watch := append([]string(nil), c.Watch...)
	for _, a := range d.Alarms {
		if !hasAlarm(members, a.Name) {
			members = append(members, a)
		}
		watch = append(watch, a.Name)
	}
	c.Alarms = rollback.CodeDeploy(members...)
	c.Watch = watch
	return c
}

// apiGatewayMetric maps an alarm on API Gateway's metrics of a stage to
// what the simulator publishes for the function behind it (a Lambda proxy
// integration, every request of the stage reaching the function): Count is
// Invocations, 5XXError is Errors (a function error or timeout is a 5xx;
// Sum counts them, Average is their rate, as for Errors), Latency and
// IntegrationLatency are Duration (Latency's threshold is lowered by
// DefaultAPIOverhead, see apiGatewayOverhead). 4XXError (the callers'
// mistakes) is not modelled. [assumed] Throttled invocations are not in
// 5XXError here; API Gateway answers them with an error the simulator
// counts as a throttle.
func (t *template) apiGatewayMetric(id string, mn at, name string, dims at) (metrics.Metric, metrics.Dimension, bool, error) {
	var m metrics.Metric
	switch name {
	case "Count":
		m = metrics.Invocations
	case "5XXError":
		m = metrics.Errors
	case "Latency", "IntegrationLatency":
		m = metrics.Duration
	default:
		t.warnf(mn, "alarm %s: API Gateway metric %s is not one the simulator maps (Count, 5XXError, Latency, IntegrationLatency); not modelled", id, name)
		return 0, 0, false, nil
	}
	items, _ := t.list(dims, 0)
	for _, it := range items {
		if n, ok, _ := t.prop(it, "Name"); ok {
			if s, err := t.str(n, 0); err == nil && (s.s == "Resource" || s.s == "Method") {
				t.warnf(it, "alarm %s: dimension %s: read as the whole stage (every request reaches the function)", id, s.s)
			}
		}
	}
	t.warnf(mn, "alarm %s: API Gateway %s of the stage read as the function's %s through its alias (a Lambda proxy integration)", id, name, m)
	return m, metrics.Alias, true, nil
}

// apiGatewayOverhead lowers the threshold of an alarm on API Gateway's
// Latency by DefaultAPIOverhead (Latency = Duration + overhead), so that it
// breaches when the function's duration does. Other alarms, and alarms of a
// deployment of the API itself (whose requests are the API calls), are
// unchanged.
func (t *template) apiGatewayOverhead(id string, props at, fn *lambdaFn, al *rollback.Alarm) {
	if fn != nil && fn.kind != kindLambda {
		return
	}
	ns, _, _ := t.prop(props, "Namespace")
	mn, _, _ := t.prop(props, "MetricName")
	n, err1 := t.str(ns, 0)
	m, err2 := t.str(mn, 0)
	if err1 != nil || err2 != nil || n.s != "AWS/ApiGateway" || m.s != "Latency" {
		return
	}
	ms := float64(DefaultAPIOverhead) / float64(time.Millisecond)
	al.Threshold = max(0, al.Threshold-ms)
	t.warnf(props, "alarm %s: API Gateway Latency includes %v of API Gateway overhead [assumed]: modelled as Duration > threshold − %v = %g ms", id, DefaultAPIOverhead, DefaultAPIOverhead, al.Threshold)
}
