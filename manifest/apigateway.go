package manifest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/deploysim/deploysim/strategy"
)

// An API Gateway canary release sends PercentTraffic percent of a stage's
// calls, at random, to a canary deployment, until someone promotes it (the
// canary's deployment becomes the stage's) or removes it (Amazon API Gateway
// Developer Guide, "Set up an API Gateway canary release deployment"). A
// template declares it as AWS::ApiGateway::Stage CanarySetting,
// AWS::ApiGateway::Deployment DeploymentCanarySettings, or SAM's
// AWS::Serverless::Api CanarySetting (also in Globals.Api, which SAM
// applies to the implicit API of functions' Api events too).
//
// It is read as a canary at that percentage for Options.ManualPause (the
// assumed delay of a human promotion, as for Argo's `pause: {}`), then all
// traffic. API Gateway watches no alarm by itself: the template's alarms on
// the API's 5XXError, Latency or Count are read as what the people or the
// automation promoting it watch, rolling the canary back when one fires
// (assumed, in a warning).

// apiCanary reads the canary settings of a stage, deployment or SAM API.
func (t *template) apiCanary(id, ty string, res at, gapi at) (*Deployable, error) {
	props, _, err := t.prop(res, "Properties")
	if err != nil {
		return nil, t.warnOrErr(err, id+" skipped")
	}
	key := "CanarySetting"
	if ty == "AWS::ApiGateway::Deployment" {
		key = "DeploymentCanarySettings"
	}
	cs, ok, err := t.prop(props, key)
	if err != nil {
		return nil, t.warnOrErr(err, id+" skipped")
	}
	if !ok && ty == "AWS::Serverless::Api" {
		cs, ok, err = t.prop(gapi, key)
		if err != nil {
			return nil, t.warnOrErr(err, id+" skipped")
		}
	}
	if !ok {
		return nil, nil
	}
	if !cs.isMap() {
		return nil, t.errf(cs, "got %s: %s must be a mapping", kindName(cs.n), key)
	}
	if on, err := t.resourceCondition(res); err != nil {
		return nil, t.warnOrErr(err, id+" read as if created")
	} else if !on {
		c, _ := res.get("Condition")
		t.warnf(c, "%s: its Condition is false with the parameter defaults; skipped", id)
		return nil, nil
	}
	d, err := t.apiCanarySetting(id, ty, props, cs)
	if d != nil && ty == "AWS::ApiGateway::Stage" {
		// Named after its API, as SAM names the deployable of an
		// AWS::Serverless::Api whose stage it generates: a SAM template and
		// its translation read the same.
		if api, ok, _ := t.prop(props, "RestApiId"); ok {
			if v, err := t.str(api, 0); err == nil && len(v.refs) == 1 {
				if _, ok := t.resources[v.refs[0]]; ok {
					d.Name = v.refs[0]
				}
			}
		}
	}
	return d, err
}

func (t *template) apiCanarySetting(id, ty string, props, cs at) (*Deployable, error) {
	if e, bad := cs.unknownKey("PercentTraffic", "DeploymentId", "StageVariableOverrides", "StageVariablesOverrides", "UseStageCache"); bad {
		return nil, t.errf(e.val, "unknown canary setting %q: must be one of DeploymentId, PercentTraffic, StageVariableOverrides, UseStageCache", e.key)
	}
	pct := 0.0
	if pn, ok, err := t.prop(cs, "PercentTraffic"); err != nil {
		return nil, t.warnOrErr(err, id+" skipped")
	} else if ok {
		p, err := t.number(pn)
		if err != nil {
			return nil, t.warnOrErr(err, id+" skipped")
		}
		if !(p >= 0 && p <= 100) {
			return nil, t.errf(pn, "PercentTraffic %s: must be from 0 to 100", strconv.FormatFloat(p, 'g', -1, 64))
		}
		pct = p
	} else {
		t.warnf(cs, "%s: no PercentTraffic: API Gateway's default, 0 %%, sends no call to the canary before it is promoted", id)
	}
	pause := t.opts.manualPause()
	steps := strategy.Steps{{SetWeight: pct}, {Pause: pause}}
	if err := steps.Validate(); err != nil {
		return nil, t.wrap(cs, err)
	}
	d := &Deployable{Name: id, Strategy: steps, Declared: fmt.Sprintf("%s.PercentTraffic: %s", cs.path[strings.LastIndexByte(cs.path, '.')+1:], formatNumber(pct))}
	t.warnf(cs, "%s: an API Gateway canary takes %g %% of the stage's calls until someone promotes it; modelled as promoted after %v (Options.ManualPause, assumed)", id, pct, pause)

	// The alarms on this API: AWS/ApiGateway alarms whose dimensions name it.
	apiIDs := map[string]bool{id: true}
	names := map[string]bool{}
	stageName := ""
	if v, ok, _ := t.prop(props, "StageName"); ok {
		if s, err := t.str(v, 0); err == nil {
			stageName = s.s
		}
	}
	for _, k := range []string{"RestApiId", "Name"} {
		if v, ok, _ := t.prop(props, k); ok {
			if s, err := t.str(v, 0); err == nil {
				for _, r := range s.refs {
					apiIDs[r] = true
					// The RestApi's Name is the ApiName dimension.
					if api, ok := t.resources[r]; ok {
						ap, _, _ := t.prop(api, "Properties")
						if n, ok, _ := t.prop(ap, "Name"); ok {
							if ns, err := t.str(n, 0); err == nil && ns.s != "" {
								names[ns.s] = true
							}
						}
					}
				}
				if len(s.refs) == 0 && s.s != "" {
					names[s.s] = true
				}
			}
		}
	}
	fn := &lambdaFn{kind: kindAPI, id: id, any: true}
	for _, aid := range t.apiAlarms(apiIDs, names) {
		res := t.resources[aid]
		ap, _, _ := t.prop(res, "Properties")
		dims, _, _ := t.prop(ap, "Dimensions")
		items, _ := t.list(dims, 0)
		// Its ApiName (or ApiId) must name this API; its Stage, if any,
		// this stage or its canary.
		api, stage := false, true
		for _, it := range items {
			nn, _, _ := t.prop(it, "Name")
			vn, _, _ := t.prop(it, "Value")
			n, err1 := t.str(nn, 0)
			v, err2 := t.str(vn, 0)
			if err1 != nil || err2 != nil {
				continue
			}
			switch n.s {
			case "ApiName", "ApiId":
				for _, r := range v.refs {
					api = api || apiIDs[r]
				}
				api = api || names[v.s]
			case "Stage":
				stage = stageName == "" || strings.TrimSuffix(v.s, "/Canary") == stageName
			}
		}
		if !api || !stage {
			continue
		}
		if on, err := t.resourceCondition(res); err != nil || !on {
			continue
		}
		d.Watched++
		al, ok, err := t.cloudWatchAlarm(aid, res, fn)
		if err != nil {
			return nil, err
		}
		if ok {
			d.Alarms = append(d.Alarms, al)
		}
	}
	if len(d.Alarms) > 0 {
		t.warnf(cs, "%s: API Gateway does not act on alarms: %d alarm(s) on this API are read as rolling the canary back when they fire (an operator or automation removing the canary; assumed)", id, len(d.Alarms))
	}
	d.Policy = alarmsPolicy(d.Alarms)
	return d, nil
}

// implicitAPI reports whether SAM creates its implicit ServerlessRestApi: a
// function with an Api event that names no RestApiId.
func (t *template) implicitAPI() bool {
	for _, id := range t.order {
		res := t.resources[id]
		rt, _ := res.get("Type")
		if s, _ := rt.scalar(); s != "AWS::Serverless::Function" {
			continue
		}
		props, _, _ := t.prop(res, "Properties")
		evs, _, _ := t.prop(props, "Events")
		for _, e := range evs.entries() {
			et, _ := e.val.get("Type")
			if s, _ := et.scalar(); s != "Api" {
				continue
			}
			ep, _ := e.val.get("Properties")
			if _, ok := ep.get("RestApiId"); !ok {
				return true
			}
		}
	}
	return false
}

// implicitAPICanary reads Globals.Api.CanarySetting for SAM's implicit API.
func (t *template) implicitAPICanary(gapi at) (*Deployable, error) {
	cs, ok, err := t.prop(gapi, "CanarySetting")
	if err != nil || !ok || !t.implicitAPI() {
		return nil, err
	}
	if _, taken := t.resources["ServerlessRestApi"]; taken {
		return nil, nil
	}
	if !cs.isMap() {
		return nil, t.errf(cs, "got %s: CanarySetting must be a mapping", kindName(cs.n))
	}
	d, err := t.apiCanarySetting("ServerlessRestApi", "AWS::Serverless::Api", at{}, cs)
	if d != nil {
		d.Source = Source{Kind: "AWS::Serverless::Api", File: t.file, Line: cs.line(), Path: cs.path}
		t.warnf(cs, "ServerlessRestApi: the implicit API SAM creates for the functions' Api events, with Globals.Api's canary setting")
	}
	return d, err
}

// apiAlarms returns, in template order, the AWS/ApiGateway alarms whose
// ApiName or ApiId names one of ids (by reference) or names (by value). The
// alarms are indexed once per template by those dimensions.
func (t *template) apiAlarms(ids, names map[string]bool) []string {
	if t.apiAlarmIdx == nil {
		t.apiAlarmIdx = map[string][]string{}
		t.apiAlarmPos = map[string]int{}
		for i, aid := range t.order {
			res := t.resources[aid]
			rt, _ := res.get("Type")
			if s, _ := rt.scalar(); s != "AWS::CloudWatch::Alarm" {
				continue
			}
			ap, _, _ := t.prop(res, "Properties")
			ns, _, _ := t.prop(ap, "Namespace")
			if s, err := t.str(ns, 0); err != nil || s.s != "AWS/ApiGateway" {
				continue
			}
			dims, _, _ := t.prop(ap, "Dimensions")
			items, _ := t.list(dims, 0)
			for _, it := range items {
				nn, _, _ := t.prop(it, "Name")
				vn, _, _ := t.prop(it, "Value")
				n, err1 := t.str(nn, 0)
				v, err2 := t.str(vn, 0)
				if err1 != nil || err2 != nil || (n.s != "ApiName" && n.s != "ApiId") {
					continue
				}
				t.apiAlarmPos[aid] = i
				keys := append([]string{"=" + v.s}, v.refs...)
				for _, k := range keys {
					t.apiAlarmIdx[k] = append(t.apiAlarmIdx[k], aid)
				}
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	add := func(list []string) {
		for _, a := range list {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	for k := range ids {
		add(t.apiAlarmIdx[k])
	}
	for k := range names {
		add(t.apiAlarmIdx["="+k])
	}
	// Map order must not decide the order of the alarms: template order.
	sort.Slice(out, func(i, j int) bool { return t.apiAlarmPos[out[i]] < t.apiAlarmPos[out[j]] })
	return out
}
