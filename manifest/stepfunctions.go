package manifest

import (
	"time"

	"github.com/deploysim/deploysim/strategy"
)

// A Step Functions state machine deploys gradually through an alias that
// routes executions between two of its versions
// (AWS::StepFunctions::StateMachineAlias DeploymentPreference; SAM's
// AWS::Serverless::StateMachine AutoPublishAlias and DeploymentPreference,
// which SAM translates into that alias). CloudFormation shifts the alias's
// weight — CANARY: Percentage, then everything after Interval minutes;
// LINEAR: Percentage more every Interval minutes; ALL_AT_ONCE — and rolls
// back if one of the Alarms goes into ALARM (AWS CloudFormation Template
// Reference, "AWS::StepFunctions::StateMachineAlias DeploymentPreference").
//
// It is simulated as the weighted alias it is: an execution is a request,
// routed to the new version with the alias's weight; a failed execution
// (ExecutionsFailed) is an error; ExecutionTime is the latency. What is not
// modelled, said in a warning on each such deployable: executions last as
// long as their workflow (the scenario's latency stands for it), and
// CloudFormation's own alarm polling is taken to be CodeDeploy's.

// samStateMachine reads a SAM state machine's DeploymentPreference.
func (t *template) samStateMachine(id string, res at) (*Deployable, error) {
	props, _, err := t.prop(res, "Properties")
	if err != nil {
		return nil, t.warnOrErr(err, "state machine "+id+" skipped")
	}
	pref, ok, err := t.prop(props, "DeploymentPreference")
	if err != nil {
		return nil, t.warnOrErr(err, "state machine "+id+" skipped")
	}
	if !ok {
		return nil, nil
	}
	if on, err := t.resourceCondition(res); err != nil {
		return nil, t.warnOrErr(err, "state machine "+id+" read as if created")
	} else if !on {
		c, _ := res.get("Condition")
		t.warnf(c, "state machine %s: its Condition is false with the parameter defaults; skipped", id)
		return nil, nil
	}
	if _, ok, _ := t.prop(props, "AutoPublishAlias"); !ok {
		t.warnf(pref, "state machine %s has a DeploymentPreference but no AutoPublishAlias: there is no alias to shift; skipped", id)
		return nil, nil
	}
	return t.stateMachinePreference(id, pref)
}

// stateMachineAlias reads an AWS::StepFunctions::StateMachineAlias; it is
// named after its state machine (alias -> version -> state machine), as SAM
// names the deployable it translates into it.
func (t *template) stateMachineAlias(id string, res at) (*Deployable, error) {
	props, _, err := t.prop(res, "Properties")
	if err != nil {
		return nil, t.warnOrErr(err, "state machine alias "+id+" skipped")
	}
	pref, ok, err := t.prop(props, "DeploymentPreference")
	if err != nil {
		return nil, t.warnOrErr(err, "state machine alias "+id+" skipped")
	}
	if !ok {
		return nil, nil // RoutingConfiguration: weights set by hand, not a gradual deployment
	}
	if on, err := t.resourceCondition(res); err != nil {
		return nil, t.warnOrErr(err, "state machine alias "+id+" read as if created")
	} else if !on {
		c, _ := res.get("Condition")
		t.warnf(c, "state machine alias %s: its Condition is false with the parameter defaults; skipped", id)
		return nil, nil
	}
	name := id
	if vn, ok, _ := t.prop(pref, "StateMachineVersionArn"); ok {
		if v, err := t.str(vn, 0); err == nil {
			for _, r := range v.refs {
				ver, ok := t.resources[r]
				if !ok {
					continue
				}
				vp, _, _ := t.prop(ver, "Properties")
				if sm, ok, _ := t.prop(vp, "StateMachineArn"); ok {
					if s, err := t.str(sm, 0); err == nil && len(s.refs) > 0 {
						if _, ok := t.resources[s.refs[0]]; ok {
							name = s.refs[0]
						}
					}
				}
			}
		}
	}
	return t.stateMachinePreference(name, pref)
}

// stateMachinePreference reads Type, Percentage, Interval and Alarms.
func (t *template) stateMachinePreference(name string, pref at) (*Deployable, error) {
	if !pref.isMap() {
		return nil, t.errf(pref, "got %s: DeploymentPreference must be a mapping", kindName(pref.n))
	}
	if e, bad := pref.unknownKey("Type", "Percentage", "Interval", "Alarms", "StateMachineVersionArn"); bad {
		return nil, t.errf(e.val, "unknown DeploymentPreference property %q: must be one of Alarms, Interval, Percentage, StateMachineVersionArn, Type", e.key)
	}
	tn, ok, err := t.prop(pref, "Type")
	if err != nil {
		return nil, t.warnOrErr(err, "state machine "+name+" skipped")
	}
	if !ok {
		return nil, t.errf(pref, "state machine %s: DeploymentPreference has no Type: must be LINEAR, CANARY or ALL_AT_ONCE", name)
	}
	ty, err := t.str(tn, 0)
	if err != nil {
		return nil, t.warnOrErr(err, "state machine "+name+" skipped")
	}
	readPI := func() (float64, time.Duration, error) {
		pn, ok, err := t.prop(pref, "Percentage")
		if err != nil || !ok {
			if err == nil {
				err = t.errf(pref, "Type %s needs Percentage (1 to 99)", ty.s)
			}
			return 0, 0, err
		}
		p, err := t.integer(pn, 1, 99)
		if err != nil {
			return 0, 0, err
		}
		in, ok, err := t.prop(pref, "Interval")
		if err != nil || !ok {
			if err == nil {
				err = t.errf(pref, "Type %s needs Interval (minutes, 1 to 2100)", ty.s)
			}
			return 0, 0, err
		}
		m, err := t.integer(in, 1, 2100)
		return float64(p), time.Duration(m) * time.Minute, err
	}
	d := &Deployable{Name: name}
	switch ty.s {
	case "ALL_AT_ONCE":
		d.Strategy = strategy.AllAtOnce{}
	case "CANARY":
		p, iv, err := readPI()
		if err != nil {
			return nil, t.warnOrErr(err, "state machine "+name+" skipped")
		}
		d.Strategy = strategy.Canary{Percent: p, Interval: iv}
	case "LINEAR":
		p, iv, err := readPI()
		if err != nil {
			return nil, t.warnOrErr(err, "state machine "+name+" skipped")
		}
		d.Strategy = strategy.Linear{Percent: p, Interval: iv}
	default:
		return nil, t.errf(tn, "unknown Type %q: must be LINEAR, CANARY or ALL_AT_ONCE", ty.s)
	}
	if err := d.Strategy.Validate(); err != nil {
		return nil, t.wrap(pref, err)
	}
	d.Declared = "DeploymentPreference.Type: " + ty.s
	for _, k := range []string{"Percentage", "Interval"} {
		if v, ok, _ := t.prop(pref, k); ok {
			if s, err := t.str(v, 0); err == nil {
				d.Declared += ", " + k + ": " + s.s
			}
		}
	}
	fn := &lambdaFn{kind: kindStates, id: name, any: true}
	if al, ok, err := t.prop(pref, "Alarms"); err != nil {
		return nil, t.warnOrErr(err, "alarms not modelled")
	} else if ok {
		items, err := t.list(al, 0)
		if err != nil {
			if err = t.warnOrErr(err, "these alarms are not modelled"); err != nil {
				return nil, err
			}
		}
		d.Watched = len(items)
		for _, a := range items {
			alarm, ok, err := t.alarmRef(a, fn)
			if err != nil {
				return nil, err
			}
			if ok {
				d.Alarms = append(d.Alarms, alarm)
			}
		}
	}
	d.Policy = alarmsPolicy(d.Alarms)
	t.warnf(pref, "state machine %s: simulated as a weighted alias between two state machine versions: an execution is a request, a failed execution (ExecutionsFailed) an error, ExecutionTime the latency; the workload and versions are the scenario's (executions per second, failure rate, execution time); CloudFormation's alarm polling is taken to be CodeDeploy's", name)
	return d, nil
}
