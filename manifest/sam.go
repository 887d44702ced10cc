package manifest

import (
	"errors"
	"strings"
	"time"

	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// readTemplate reads a CloudFormation/SAM template: every
// AWS::Serverless::Function with a DeploymentPreference, and every
// AWS::CodeDeploy::DeploymentGroup of a Lambda application.
func (r *reader) readTemplate(root at, out *File) error {
	t := &template{
		reader: r, root: root,
		resources: map[string]at{}, params: map[string]at{}, conditions: map[string]at{},
		condDone: map[string]bool{}, condVal: map[string]bool{}, condBusy: map[string]bool{},
	}
	// Parameters, Conditions and Mappings first: Fn::ForEach collections
	// may refer to them.
	if p, ok := root.get("Parameters"); ok {
		for _, e := range p.entries() {
			t.params[e.key] = e.val
		}
	}
	if c, ok := root.get("Conditions"); ok {
		for _, e := range c.entries() {
			t.conditions[e.key] = e.val
		}
	}
	t.mappings, _ = root.get("Mappings")
	t.mappings.path = "Mappings"
	res, hasRes := root.get("Resources")
	switch {
	case hasRes && res.isMap():
		for _, e := range res.entries() {
			if strings.HasPrefix(e.key, "Fn::ForEach::") {
				gen, err := t.forEach(e, 0)
				if err != nil {
					return err
				}
				for _, g := range gen {
					if _, dup := t.resources[g.key]; !dup {
						t.order = append(t.order, g.key)
					}
					t.resources[g.key] = g.val
				}
				continue
			}
			if _, dup := t.resources[e.key]; !dup {
				t.order = append(t.order, e.key)
			}
			t.resources[e.key] = e.val
		}
		out.Warnings = append(out.Warnings, r.takeWarnings()...)
	case hasRes && !res.isNull():
		return r.errf(res, "got %s: Resources must be a mapping of logical ids to resources", kindName(res.n))
	}
	if len(t.order) == 0 {
		// The AWS SAM documentation's gradual-deployment example writes its
		// function at the top level, under an empty Resources. Read such
		// entries as resources rather than find nothing, and say so.
		for _, e := range root.entries() {
			ty, ok := e.val.get("Type")
			if !ok {
				continue
			}
			if s, ok := ty.scalar(); ok && strings.HasPrefix(s, "AWS::") {
				r.warnf(e.val, "resource %s is not under Resources (indent it below Resources:); read as a resource", e.key)
				t.resources[e.key] = e.val
				t.order = append(t.order, e.key)
			}
		}
		out.Warnings = append(out.Warnings, r.takeWarnings()...)
	}
	globals, _ := root.get("Globals")
	gfn, _ := globals.get("Function")
	gapi, _ := globals.get("Api")

	skipped := false
	for _, id := range t.order {
		res := t.resources[id]
		t.resource = id
		if !res.isMap() {
			return r.errf(res, "got %s: a resource must be a mapping with Type and Properties", kindName(res.n))
		}
		tyNode, ok := res.get("Type")
		if !ok {
			return r.errf(res, "resource %s has no Type", id)
		}
		ty, err := r.plainString(tyNode)
		if err != nil {
			return err
		}
		var d *Deployable
		switch ty {
		case "AWS::Serverless::Function":
			d, err = t.samFunction(id, res, gfn)
		case "AWS::CodeDeploy::DeploymentGroup":
			d, err = t.deploymentGroup(id, res)
		case "AWS::Serverless::StateMachine":
			d, err = t.samStateMachine(id, res)
		case "AWS::StepFunctions::StateMachineAlias":
			d, err = t.stateMachineAlias(id, res)
		case "AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment", "AWS::Serverless::Api":
			d, err = t.apiCanary(id, ty, res, gapi)
		}
		if err != nil {
			return err
		}
		if d != nil {
			d.Source = Source{Kind: ty, File: r.file, Line: res.line(), Path: res.path}
			d.Warnings = append(d.Warnings, r.takeWarnings()...)
			out.Deployables = append(out.Deployables, *d)
		} else {
			ws := r.takeWarnings()
			skipped = skipped || (len(ws) > 0 && deployableKinds[ty])
			out.Warnings = append(out.Warnings, ws...)
		}
	}
	t.resource = "ServerlessRestApi"
	if d, err := t.implicitAPICanary(gapi); err != nil {
		return err
	} else if d != nil {
		d.Warnings = append(d.Warnings, r.takeWarnings()...)
		out.Deployables = append(out.Deployables, *d)
	}
	if len(out.Deployables) == 0 {
		if skipped {
			r.warnf(root, "nothing to simulate: every gradual deployment of this template was skipped (see the warnings above)")
		} else {
			r.warnf(root, "no gradual deployment: no AWS::Serverless::Function or StateMachine with a DeploymentPreference, no Lambda AWS::CodeDeploy::DeploymentGroup, no StateMachineAlias DeploymentPreference, no API Gateway canary setting")
		}
		out.Warnings = append(out.Warnings, r.takeWarnings()...)
	}
	return nil
}

// deployableKinds are the resource types a gradual deployment is read from.
var deployableKinds = map[string]bool{
	"AWS::Serverless::Function": true, "AWS::CodeDeploy::DeploymentGroup": true,
	"AWS::Serverless::StateMachine": true, "AWS::StepFunctions::StateMachineAlias": true,
	"AWS::Serverless::Api": true, "AWS::ApiGateway::Stage": true, "AWS::ApiGateway::Deployment": true,
}

// warnOrErr turns an unresolvable intrinsic into a warning (returning nil)
// and passes any other error on.
func (t *template) warnOrErr(err error, what string) error {
	if isUnresolved(err) {
		var u unresolved
		errors.As(err, &u)
		t.warnings = append(t.warnings, Warning{File: u.e.File, Line: u.e.Line, Path: u.e.Path, Message: u.e.Err.Error() + "; " + what})
		return nil
	}
	return err
}

// resourceCondition evaluates a resource's Condition attribute: false means
// the resource is not created with the parameter defaults.
func (t *template) resourceCondition(res at) (bool, error) {
	c, ok := res.get("Condition")
	if !ok {
		return true, nil
	}
	name, ok := c.scalar()
	if !ok {
		return false, t.errf(c, "got %s: Condition must be a condition name", kindName(c.n))
	}
	return t.condition(c, name, 0)
}

// samFunction reads an AWS::Serverless::Function. SAM merges
// Globals.Function into every function: the function's own value wins for a
// scalar, mappings merge key by key, and lists (Alarms) add up.
func (t *template) samFunction(id string, res at, gfn at) (*Deployable, error) {
	props, hasProps, err := t.prop(res, "Properties")
	if err != nil {
		return nil, err
	}
	if hasProps && !props.isMap() {
		return nil, t.errf(props, "got %s: Properties must be a mapping", kindName(props.n))
	}
	ok, err := t.resourceCondition(res)
	if err != nil {
		return nil, t.warnOrErr(err, "function "+id+" read as if created")
	}
	if !ok {
		c, _ := res.get("Condition")
		t.warnf(c, "function %s: its Condition is false with the parameter defaults; skipped", id)
		return nil, nil
	}
	pref, hasPref, err := t.prop(props, "DeploymentPreference")
	if err != nil {
		return nil, t.warnOrErr(err, "function "+id+" skipped")
	}
	gpref, hasGPref, err := t.prop(gfn, "DeploymentPreference")
	if err != nil {
		return nil, t.warnOrErr(err, "Globals ignored for "+id)
	}
	if !hasPref && !hasGPref {
		return nil, nil // deployed all at once by CloudFormation; not a gradual deployment
	}
	for _, p := range []struct {
		a  at
		ok bool
	}{{pref, hasPref}, {gpref, hasGPref}} {
		if p.ok && !p.a.isMap() {
			return nil, t.errf(p.a, "got %s: DeploymentPreference must be a mapping", kindName(p.a.n))
		}
		// SAM's translator reads the properties it knows and ignores the
		// rest (samtranslator/model/preferences/deployment_preference.py,
		// DeploymentPreference.from_dict): another key is warned about and
		// ignored. But one a letter or two away from a known property is a
		// misspelling that would drop, say, every alarm: an error naming it.
		if !p.ok {
			continue
		}
		for _, e := range p.a.entries() {
			if known := closeTo(e.key, samPreferenceKeys); known == e.key {
				continue
			} else if known != "" {
				return nil, t.errf(e.val, "unknown DeploymentPreference property %q: did you mean %s? (must be one of %s)", e.key, known, strings.Join(samPreferenceKeys, ", "))
			}
			t.warnf(e.val, "DeploymentPreference property %q is not one SAM reads (%s); ignored", e.key, strings.Join(samPreferenceKeys, ", "))
		}
	}
	// lookup finds a DeploymentPreference key, the function's own first.
	lookup := func(key string) (at, bool, error) {
		if hasPref {
			if v, ok, err := t.prop(pref, key); err != nil || ok {
				return v, ok, err
			}
		}
		if hasGPref {
			return t.prop(gpref, key)
		}
		return at{}, false, nil
	}

	if en, ok, err := lookup("Enabled"); err != nil {
		return nil, t.warnOrErr(err, "function "+id+" read as enabled")
	} else if ok {
		on, err := t.boolean(en)
		if err != nil {
			if err = t.warnOrErr(err, "read as enabled"); err != nil {
				return nil, err
			}
			on = true
		}
		if !on {
			t.warnf(en, "function %s: DeploymentPreference.Enabled is false, so CodeDeploy does not manage its deployments; skipped", id)
			return nil, nil
		}
	}

	alias, hasAlias, err := t.prop(props, "AutoPublishAlias")
	if err == nil && !hasAlias {
		alias, hasAlias, err = t.prop(gfn, "AutoPublishAlias")
	}
	if err != nil {
		return nil, t.warnOrErr(err, "function "+id+" skipped")
	}
	if !hasAlias {
		where := pref
		if !hasPref {
			where = gpref
		}
		return nil, t.errf(where, "function %s has a DeploymentPreference but no AutoPublishAlias: SAM rejects this (CodeDeploy shifts traffic between versions of an alias)", id)
	}
	aliasName, err := t.str(alias, 0)
	if err != nil {
		if err = t.warnOrErr(err, "alias name unknown"); err != nil {
			return nil, err
		}
	}

	fn := &lambdaFn{id: id, alias: aliasName.s}
	if fnName, ok, _ := t.prop(props, "FunctionName"); ok {
		if v, err := t.str(fnName, 0); err == nil {
			fn.name = v.s
		}
	}

	d := &Deployable{Name: id}
	ty, ok, err := lookup("Type")
	if err != nil {
		return nil, t.warnOrErr(err, "function "+id+" skipped")
	}
	if !ok {
		where := pref
		if !hasPref {
			where = gpref
		}
		return nil, t.errf(where, "function %s: DeploymentPreference has no Type: must be a SAM type such as Canary10Percent5Minutes or a custom deployment configuration", id)
	}
	d.Strategy, err = t.deploymentType(ty)
	if err != nil {
		return nil, t.warnOrErr(err, "function "+id+" skipped")
	}
	if tv, err := t.str(ty, 0); err == nil {
		d.Declared = "DeploymentPreference.Type: " + tv.s
	}

	var alarmNodes []at
	for _, p := range []struct {
		a  at
		ok bool
	}{{pref, hasPref}, {gpref, hasGPref}} {
		if !p.ok {
			continue
		}
		al, ok := p.a.get("Alarms")
		if !ok {
			continue
		}
		items, err := t.list(al, 0)
		if err != nil {
			if err = t.warnOrErr(err, "these alarms are not modelled"); err != nil {
				return nil, err
			}
			continue
		}
		alarmNodes = append(alarmNodes, items...)
	}
	d.Watched = len(alarmNodes)
	for _, a := range alarmNodes {
		if ok, err := t.compositeRef(a, fn, d); ok || err != nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		alarm, ok, err := t.alarmRef(a, fn)
		if err != nil {
			return nil, err
		}
		if ok {
			d.Alarms = append(d.Alarms, alarm)
		}
	}
	if len(d.Alarms) > rollback.MaxAlarms {
		t.warnf(pref, "%d alarms: CodeDeploy accepts at most %d per deployment group", len(d.Alarms), rollback.MaxAlarms)
	}

	if hooks, ok, err := lookup("Hooks"); err != nil {
		return nil, t.warnOrErr(err, "hooks not read")
	} else if ok {
		if !hooks.isMap() {
			return nil, t.errf(hooks, "got %s: Hooks must be a mapping with PreTraffic and/or PostTraffic", kindName(hooks.n))
		}
		for _, e := range hooks.entries() {
			var dst *string
			var hook *sim.Hook
			switch e.key {
			case "PreTraffic":
				dst, hook = &d.PreTrafficHook, &d.PreTraffic
			case "PostTraffic":
				dst, hook = &d.PostTrafficHook, &d.PostTraffic
			default:
				// SAM reads PreTraffic and PostTraffic and ignores the rest
				// (DeploymentPreference.from_dict), but a misspelling of one
				// would lose the hook: an error.
				if known := closeTo(e.key, []string{"PreTraffic", "PostTraffic"}); known != "" {
					return nil, t.errf(e.val, "unknown hook %q: did you mean %s? (must be PreTraffic or PostTraffic)", e.key, known)
				}
				t.warnf(e.val, "hook %q is not one SAM reads (PreTraffic, PostTraffic); ignored", e.key)
				continue
			}
			v, present, err := t.value(e.val)
			if err != nil {
				return nil, t.warnOrErr(err, "hook not modelled")
			}
			if !present {
				continue
			}
			s, err := t.str(v, 0)
			if err != nil {
				if err = t.warnOrErr(err, "the hook is read as present"); err != nil {
					return nil, err
				}
				if s.s == "" {
					s.s = e.key + " hook"
				}
			}
			*dst = s.s
			*hook = declaredHook()
			t.warnf(e.val, "%s hook %s: %s", e.key, s.s, hookAssumption(*hook))
		}
	}
	d.Policy = deployablePolicy(d)
	return d, nil
}

// deployKind is what a deployable shifts traffic between versions of.
type deployKind uint8

const (
	kindLambda deployKind = iota // a Lambda function's alias (CodeDeploy)
	kindStates                   // a Step Functions state machine's alias
	kindAPI                      // an API Gateway stage's canary
)

// lambdaFn identifies the function a deployment is about, to match alarm
// dimensions against.
type lambdaFn struct {
	kind  deployKind
	id    string // logical id
	name  string // FunctionName property, when given
	alias string // AutoPublishAlias, or the alias of a deployment group
	any   bool   // a deployment group: whatever function the alarm names is the deployed one
}

// is reports whether a resolved dimension value names this function.
func (f *lambdaFn) is(v sval) (match, other bool) {
	if f.any {
		return true, false
	}
	if len(v.refs) > 0 {
		for _, r := range v.refs {
			if r == f.id || strings.HasPrefix(r, f.id+".") {
				return true, false
			}
		}
		return false, true
	}
	return f.name != "" && v.s == f.name, false
}

// deploymentType reads DeploymentPreference.Type: a SAM type, a CodeDeploy
// predefined configuration name, or a custom AWS::CodeDeploy::DeploymentConfig
// of this template (by logical id via Ref, or by DeploymentConfigName).
func (t *template) deploymentType(ty at) (strategy.Strategy, error) {
	v, err := t.str(ty, 0)
	if err != nil {
		return nil, err
	}
	for _, r := range v.refs {
		if res, ok := t.resources[r]; ok {
			return t.customConfig(res, ty)
		}
	}
	if t.configIdx == nil {
		t.configIdx = map[string]string{}
		for _, id := range t.order {
			res := t.resources[id]
			rt, _ := res.get("Type")
			if s, _ := rt.scalar(); s != "AWS::CodeDeploy::DeploymentConfig" {
				continue
			}
			props, _, _ := t.prop(res, "Properties")
			if n, ok, _ := t.prop(props, "DeploymentConfigName"); ok {
				if name, err := t.str(n, 0); err == nil {
					if _, seen := t.configIdx[name.s]; !seen {
						t.configIdx[name.s] = id
					}
				}
			}
		}
	}
	if id, ok := t.configIdx[v.s]; ok {
		return t.customConfig(t.resources[id], ty)
	}
	if res, ok := t.resources[v.s]; ok {
		rt, _ := res.get("Type")
		if s, _ := rt.scalar(); s == "AWS::CodeDeploy::DeploymentConfig" {
			// SAM passes a non-predefined Type through as a configuration
			// name; CloudFormation names an unnamed config after the stack,
			// so a bare logical id only matches by the user's intent.
			t.warnf(ty, "Type %q read as the custom configuration with that logical id; CodeDeploy looks it up by name, so give it DeploymentConfigName: %s or write !Ref %s", v.s, v.s, v.s)
			return t.customConfig(res, ty)
		}
	}
	// SAM turns a predefined Type into CodeDeploy's name and passes any other
	// Type through as the name of a custom configuration, which must then
	// exist in the account (SAM's translator, samtranslator/model/preferences/
	// deployment_preference_collection.py). A configuration the caller
	// supplies (Options.DeploymentConfigs) is used; otherwise the name has
	// an unknown schedule: a name that reads like a preset but is not one
	// (Canary10Percent7Minutes) is most likely a typo, an error; any other
	// name is a configuration made outside this template, unresolved (the
	// caller skips the deployable with a warning and reads the rest).
	if s, ok := t.opts.DeploymentConfigs[v.s]; ok {
		t.warnf(ty, "Type %s: the deployment configuration supplied for it (%v)", v.s, s)
		return s, nil
	}
	parsed, perr := strategy.Parse(v.s)
	if perr == nil {
		for _, p := range strategy.Presets() {
			if strategy.Equal(p, parsed) {
				return parsed, nil
			}
		}
		return nil, t.errf(ty, "unknown type %q: must be a predefined SAM type (Canary10Percent5Minutes, Linear10PercentEvery1Minute, AllAtOnce …), a CodeDeploy predefined configuration name, or the name of an AWS::CodeDeploy::DeploymentConfig in this template (a configuration made elsewhere can be supplied: --deployment-config %s=Canary:10%%,7m)", v.s, clipString(v.s))
	}
	if v.s == "" || strings.Contains(v.s, "${") || len(v.refs) > 0 {
		return nil, t.unres(ty, "deployment configuration %q is only known at deploy time", v.s)
	}
	return nil, t.unres(ty, "deployment configuration %q is neither predefined nor defined in this template, so its schedule is unknown: supply it (Options.DeploymentConfigs, or --deployment-config %s=Linear:20%%,2m)", v.s, clipString(v.s))
}

// customConfig reads an AWS::CodeDeploy::DeploymentConfig's
// TrafficRoutingConfig: TimeBasedCanary {CanaryPercentage, CanaryInterval},
// TimeBasedLinear {LinearPercentage, LinearInterval} (integers: percent and
// minutes), or AllAtOnce (docs/model.md, "Custom configs").
func (t *template) customConfig(res at, usedAt at) (strategy.Strategy, error) {
	ty, _ := res.get("Type")
	if s, _ := ty.scalar(); s != "AWS::CodeDeploy::DeploymentConfig" {
		return nil, t.errf(usedAt, "refers to %s, a %s: must be an AWS::CodeDeploy::DeploymentConfig", res.path, s)
	}
	props, ok, err := t.prop(res, "Properties")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, t.errf(res, "DeploymentConfig has no Properties")
	}
	if cp, ok, _ := t.prop(props, "ComputePlatform"); ok {
		if s, err := t.str(cp, 0); err == nil && s.s != "Lambda" && s.s != "ECS" {
			return nil, t.errf(cp, "ComputePlatform %q: must be Lambda or ECS for a traffic-shifting deployment", s.s)
		}
	}
	trc, ok, err := t.prop(props, "TrafficRoutingConfig")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, t.errf(props, "DeploymentConfig has no TrafficRoutingConfig: a Lambda deployment configuration needs one (MinimumHealthyHosts is for EC2 in-place deployments)")
	}
	kind, ok, err := t.prop(trc, "Type")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, t.errf(trc, "TrafficRoutingConfig has no Type: must be TimeBasedCanary, TimeBasedLinear or AllAtOnce")
	}
	k, err := t.str(kind, 0)
	if err != nil {
		return nil, err
	}
	readPair := func(section, pctKey, ivKey string) (float64, time.Duration, error) {
		sec, ok, err := t.prop(trc, section)
		if err != nil {
			return 0, 0, err
		}
		if !ok {
			return 0, 0, t.errf(trc, "Type %s needs a %s section", k.s, section)
		}
		pn, ok, err := t.prop(sec, pctKey)
		if err != nil {
			return 0, 0, err
		}
		if !ok {
			return 0, 0, t.errf(sec, "%s is missing", pctKey)
		}
		// CodeDeploy: whole percent, at most 99 in one increment.
		p, err := t.integer(pn, 1, 99)
		if err != nil {
			return 0, 0, err
		}
		in, ok, err := t.prop(sec, ivKey)
		if err != nil {
			return 0, 0, err
		}
		if !ok {
			return 0, 0, t.errf(sec, "%s is missing", ivKey)
		}
		// CodeDeploy: whole minutes, at most 2,880 between first and last shift.
		m, err := t.integer(in, 1, 2880)
		if err != nil {
			return 0, 0, err
		}
		return float64(p), time.Duration(m) * time.Minute, nil
	}
	var s strategy.Strategy
	switch k.s {
	case "AllAtOnce":
		s = strategy.AllAtOnce{}
	case "TimeBasedCanary":
		p, iv, err := readPair("TimeBasedCanary", "CanaryPercentage", "CanaryInterval")
		if err != nil {
			return nil, err
		}
		s = strategy.Canary{Percent: p, Interval: iv}
	case "TimeBasedLinear":
		p, iv, err := readPair("TimeBasedLinear", "LinearPercentage", "LinearInterval")
		if err != nil {
			return nil, err
		}
		s = strategy.Linear{Percent: p, Interval: iv}
	default:
		return nil, t.errf(kind, "unknown TrafficRoutingConfig.Type %q: must be TimeBasedCanary, TimeBasedLinear or AllAtOnce", k.s)
	}
	if err := s.Validate(); err != nil {
		return nil, t.wrap(trc, err)
	}
	return s, nil
}

// alarmsPolicy is CodeDeploy's controller over the modelled alarms, with the
// defaults of docs/model.md (rollback.CodeDeploy); nil when there are none.
func alarmsPolicy(alarms []rollback.Alarm) rollback.Policy {
	if len(alarms) == 0 {
		return nil
	}
	return rollback.CodeDeploy(alarms...)
}

// deploymentGroup reads a plain CloudFormation AWS::CodeDeploy::DeploymentGroup
// of a Lambda application: DeploymentConfigName (predefined or custom),
// AlarmConfiguration and AutoRollbackConfiguration. The function and alias it
// deploys are not named in the group (CloudFormation's alias UpdatePolicy
// names the group), so its alarms are matched against any function.
func (t *template) deploymentGroup(id string, res at) (*Deployable, error) {
	props, ok, err := t.prop(res, "Properties")
	if err != nil {
		return nil, t.warnOrErr(err, "deployment group "+id+" skipped")
	}
	if !ok || !props.isMap() {
		return nil, t.errf(res, "deployment group %s has no Properties", id)
	}
	if on, err := t.resourceCondition(res); err != nil {
		return nil, t.warnOrErr(err, "deployment group "+id+" read as if created")
	} else if !on {
		c, _ := res.get("Condition")
		t.warnf(c, "deployment group %s: its Condition is false with the parameter defaults; skipped", id)
		return nil, nil
	}
	alias, err := t.aliasOf(id)
	if err != nil {
		return nil, err
	}
	if alias != nil && alias.skip {
		return nil, nil
	}
	// Only Lambda (and ECS, which shifts traffic the same way) deployment
	// groups move traffic by weights; EC2 in-place deployments do not.
	if app, ok, _ := t.prop(props, "ApplicationName"); ok {
		if v, err := t.str(app, 0); err == nil {
			for _, r := range v.refs {
				if ar, ok := t.resources[r]; ok {
					ap, _, _ := t.prop(ar, "Properties")
					if cp, ok, _ := t.prop(ap, "ComputePlatform"); ok {
						if s, err := t.str(cp, 0); err == nil && s.s == "Server" {
							t.warnf(app, "deployment group %s deploys to EC2/on-premises servers (ComputePlatform Server), which deploysim does not model; skipped", id)
							return nil, nil
						}
					}
				}
			}
		}
	}
	d := &Deployable{Name: id}
	fn := &lambdaFn{any: true}
	if alias != nil {
		// Named after the function, as SAM names the deployable it
		// translated into this group and alias: the same rows either way.
		d.Name = alias.function
		fn.id, fn.alias = alias.function, alias.name
		d.PreTrafficHook, d.PreTraffic = alias.pre, alias.preHook
		d.PostTrafficHook, d.PostTraffic = alias.post, alias.postHook
	}
	if dc, ok, err := t.prop(props, "DeploymentConfigName"); err != nil {
		return nil, t.warnOrErr(err, "deployment group "+id+" skipped")
	} else if ok {
		if d.Strategy, err = t.deploymentType(dc); err != nil {
			return nil, t.warnOrErr(err, "deployment group "+id+" skipped")
		}
		if v, err := t.str(dc, 0); err == nil {
			d.Declared = "DeploymentConfigName: " + v.s
		}
	} else {
		d.Declared = "no DeploymentConfigName"
		// CodeDeploy's default for a deployment group without a configuration.
		t.warnf(props, "deployment group %s has no DeploymentConfigName: CodeDeploy's default for Lambda is CodeDeployDefault.LambdaAllAtOnce", id)
		d.Strategy = strategy.AllAtOnce{}
	}
	if ac, ok, err := t.prop(props, "AlarmConfiguration"); err != nil {
		return nil, t.warnOrErr(err, "alarms not modelled")
	} else if ok {
		enabled := true
		if en, ok, _ := t.prop(ac, "Enabled"); ok {
			if enabled, err = t.boolean(en); err != nil {
				if err = t.warnOrErr(err, "read as enabled"); err != nil {
					return nil, err
				}
				enabled = true
			}
		}
		if ig, ok, _ := t.prop(ac, "IgnorePollAlarmFailure"); ok {
			if b, err := t.boolean(ig); err == nil && b {
				t.warnf(ig, "IgnorePollAlarmFailure: failures to read alarm states are not modelled (the simulator always reads them)")
			}
		}
		if al, ok, _ := t.prop(ac, "Alarms"); ok && enabled {
			items, err := t.list(al, 0)
			if err != nil {
				if err = t.warnOrErr(err, "alarms not modelled"); err != nil {
					return nil, err
				}
			}
			d.Watched += len(items)
			for _, it := range items {
				name, ok, err := t.prop(it, "Name")
				if err != nil {
					return nil, t.warnOrErr(err, "alarm not modelled")
				}
				if !ok {
					return nil, t.errf(it, "an alarm of AlarmConfiguration.Alarms needs a Name")
				}
				if ok, err := t.compositeRef(name, fn, d); ok || err != nil {
					if err != nil {
						return nil, err
					}
					continue
				}
				a, ok, err := t.alarmRefAnyFunction(name, fn)
				if err != nil {
					return nil, err
				}
				if ok {
					d.Alarms = append(d.Alarms, a)
				}
			}
		} else if ok && !enabled {
			t.warnf(ac, "deployment group %s: AlarmConfiguration.Enabled is false; its alarms are not watched", id)
		}
	}
	if len(d.Alarms) > 0 {
		rb, ok, _ := t.prop(props, "AutoRollbackConfiguration")
		on := false
		if ok {
			en, ok, _ := t.prop(rb, "Enabled")
			if ok {
				on, _ = t.boolean(en)
			}
			evs, _, _ := t.prop(rb, "Events")
			items, _ := t.list(evs, 0)
			alarmEvent := false
			for _, e := range items {
				if s, err := t.str(e, 0); err == nil && s.s == "DEPLOYMENT_STOP_ON_ALARM" {
					alarmEvent = true
				}
			}
			on = on && alarmEvent
		}
		if !on {
			t.warnf(props, "deployment group %s: automatic rollback on alarm (AutoRollbackConfiguration with DEPLOYMENT_STOP_ON_ALARM) is off, so an alarm stops the deployment without rolling back; modelled as a rollback", id)
		}
	}
	d.Policy = deployablePolicy(d)
	return d, nil
}

// alarmRefAnyFunction reads an alarm for a deployment group, which does not
// say which function it deploys: the alarm's own FunctionName/Resource
// dimensions are taken as the deployed function.
func (t *template) alarmRefAnyFunction(a at, fn *lambdaFn) (rollback.Alarm, bool, error) {
	return t.alarmRef(a, fn)
}

// cfnAlias is what an AWS::Lambda::Alias with an UpdatePolicy
// CodeDeployLambdaAliasUpdate says of the deployment group it names: the
// function and alias CodeDeploy shifts, and the hooks it runs.
type cfnAlias struct {
	skip           bool   // the alias or its function is not created (Condition)
	function, name string // the function's logical id, the alias's Name
	pre, post      string // BeforeAllowTrafficHook, AfterAllowTrafficHook
	preHook        sim.Hook
	postHook       sim.Hook
}

// aliasOf finds the AWS::Lambda::Alias whose UpdatePolicy names deployment
// group dg (DeploymentGroupName: !Ref dg), and reads it; nil when none does
// (the group's function is then unknown). This is how CloudFormation ties a
// group to a function, and how SAM's translation of AutoPublishAlias and
// DeploymentPreference.Hooks comes out: the group's deployable gets the
// function's name and hooks, so a SAM template and its translation read the
// same (AWS CloudFormation User Guide, "UpdatePolicy attribute",
// CodeDeployLambdaAliasUpdate).
func (t *template) aliasOf(dg string) (*cfnAlias, error) {
	if t.aliasIdx == nil {
		// One pass over the aliases for all groups: a template of n groups
		// and n aliases costs O(n), not O(n²).
		t.aliasIdx = map[string]string{}
		for _, id := range t.order {
			res := t.resources[id]
			ty, _ := res.get("Type")
			if s, _ := ty.scalar(); s != "AWS::Lambda::Alias" {
				continue
			}
			up, _ := res.get("UpdatePolicy")
			cd, ok := up.get("CodeDeployLambdaAliasUpdate")
			if !ok {
				continue
			}
			gn, ok, err := t.prop(cd, "DeploymentGroupName")
			if err != nil || !ok {
				continue
			}
			g, err := t.str(gn, 0)
			if err != nil {
				continue
			}
			for _, r := range g.refs {
				if _, seen := t.aliasIdx[r]; !seen {
					t.aliasIdx[r] = id
				}
			}
		}
	}
	if id, ok := t.aliasIdx[dg]; ok {
		res := t.resources[id]
		up, _ := res.get("UpdatePolicy")
		cd, _ := up.get("CodeDeployLambdaAliasUpdate")
		a := &cfnAlias{function: dg}
		if on, err := t.resourceCondition(res); err != nil {
			if err = t.warnOrErr(err, "alias "+id+" read as if created"); err != nil {
				return nil, err
			}
		} else if !on {
			c, _ := res.get("Condition")
			t.warnf(c, "alias %s, which deployment group %s shifts: its Condition is false with the parameter defaults; skipped", id, dg)
			return &cfnAlias{skip: true}, nil
		}
		props, _, _ := t.prop(res, "Properties")
		if fnNode, ok, _ := t.prop(props, "FunctionName"); ok {
			if v, err := t.str(fnNode, 0); err == nil {
				for _, r := range v.refs {
					if fr, ok := t.resources[r]; ok {
						a.function = r
						if on, err := t.resourceCondition(fr); err == nil && !on {
							c, _ := fr.get("Condition")
							t.warnf(c, "function %s, which deployment group %s deploys: its Condition is false with the parameter defaults; skipped", r, dg)
							return &cfnAlias{skip: true}, nil
						}
					}
				}
			}
		}
		if n, ok, _ := t.prop(props, "Name"); ok {
			if v, err := t.str(n, 0); err == nil {
				a.name = v.s
			}
		}
		for _, h := range []struct {
			key  string
			name *string
			hook *sim.Hook
			kind string
		}{{"BeforeAllowTrafficHook", &a.pre, &a.preHook, "PreTraffic"}, {"AfterAllowTrafficHook", &a.post, &a.postHook, "PostTraffic"}} {
			hn, ok, err := t.prop(cd, h.key)
			if err != nil || !ok {
				continue
			}
			v, err := t.str(hn, 0)
			if err != nil {
				if err = t.warnOrErr(err, "the hook is read as present"); err != nil {
					return nil, err
				}
				v.s = h.key
			}
			*h.name, *h.hook = v.s, declaredHook()
			t.warnf(hn, "%s hook %s: %s", h.kind, v.s, hookAssumption(*h.hook))
		}
		return a, nil
	}
	return nil, nil
}

// samPreferenceKeys are the properties of a function's DeploymentPreference.
var samPreferenceKeys = []string{"Alarms", "Enabled", "Hooks", "PassthroughCondition", "Role", "TriggerConfigurations", "Type"}

// closeTo returns the key of known that k is, or is a likely misspelling of
// (case aside, at most two edits away), or "".
func closeTo(k string, known []string) string {
	for _, c := range known {
		if k == c {
			return c
		}
	}
	lk := strings.ToLower(k)
	for _, c := range known {
		if editDistance(lk, strings.ToLower(c), 2) <= 2 {
			return c
		}
	}
	return ""
}

// editDistance is the Levenshtein distance of a and b, or max+1 once it is
// known to exceed max (keys are short; the bound keeps a long key cheap).
func editDistance(a, b string, max int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > max {
			return max + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
