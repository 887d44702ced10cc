package manifest

import (
	"fmt"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// rollout reads an Argo Rollouts Rollout: spec.strategy.canary (steps and
// background analysis) or spec.strategy.blueGreen.
func (k *kube) rollout(o *kobj) (*Deployable, error) {
	spec, ok := o.root.get("spec")
	if !ok || !spec.isMap() {
		return nil, k.errf(o.root, "Rollout %s has no spec", o.name)
	}
	st, ok := spec.get("strategy")
	if !ok || !st.isMap() {
		return nil, k.errf(spec, "Rollout %s has no spec.strategy: must have canary or blueGreen", o.name)
	}
	canary, hasC := st.get("canary")
	bg, hasBG := st.get("blueGreen")
	switch {
	case hasC && hasBG:
		return nil, k.errf(st, "both canary and blueGreen: a Rollout has exactly one strategy")
	case !hasC && !hasBG:
		return nil, k.errf(st, "neither canary nor blueGreen: a Rollout has exactly one strategy")
	}
	d := &Deployable{Name: o.name}
	var err error
	if hasC {
		err = k.argoCanary(d, spec, canary)
	} else {
		err = k.argoBlueGreen(d, bg)
	}
	if err != nil {
		return nil, err
	}
	d.Policy = argoPolicyOf(d.Checks)
	return d, nil
}

func (k *kube) argoCanary(d *Deployable, spec, c at) error {
	if !c.isMap() && !c.isNull() {
		return k.errf(c, "got %s: canary must be a mapping", kindName(c.n))
	}
	k.warnUnknown(c, "canary", "steps", "analysis", "trafficRouting", "canaryService", "stableService", "canaryMetadata", "stableMetadata",
		"maxSurge", "maxUnavailable", "antiAffinity", "scaleDownDelaySeconds", "scaleDownDelayRevisionLimit", "abortScaleDownDelaySeconds",
		"dynamicStableScale", "pingPong", "minPodsPerReplicaSet", "replicaProgressThreshold")
	if _, ok := c.get("trafficRouting"); !ok {
		msg := "no trafficRouting: Argo approximates each weight by the ratio of canary to stable pods, so the real share moves in steps of 1/replicas; the simulator routes the exact weights"
		if rep, ok := spec.get("replicas"); ok {
			if s, ok := rep.scalar(); ok {
				msg += fmt.Sprintf(" (replicas: %s)", s)
			}
		}
		k.warnf(c, "%s", msg)
	}
	if dss, ok := c.get("dynamicStableScale"); ok {
		if b, err := k.boolField(dss); err == nil && b {
			k.warnf(dss, "dynamicStableScale: an abort waits for the stable pods to scale back up; the simulator moves traffic back at once")
		}
	}
	stepsNode, hasSteps := c.get("steps")
	var steps strategy.Steps
	var t time.Duration
	var stepStart []time.Duration
	items := stepsNode.items()
	if hasSteps && !stepsNode.isSeq() && !stepsNode.isNull() {
		return k.errf(stepsNode, "got %s: steps must be a list", kindName(stepsNode.n))
	}
	for _, s := range items {
		stepStart = append(stepStart, t)
		es, err := k.stepEntries(s)
		if err != nil {
			return err
		}
		for _, e := range es {
			switch e.key {
			case "setWeight":
				w, err := k.intField(e.val, 0, 100)
				if err != nil {
					return err
				}
				steps = append(steps, strategy.CanaryStep{SetWeight: float64(w)})
			case "pause":
				if !e.val.isMap() && !e.val.isNull() {
					return k.errf(e.val, "got %s: pause must be a mapping ({} or {duration: 10m})", kindName(e.val.n))
				}
				dn, ok := e.val.get("duration")
				var p time.Duration
				if ok {
					var err error
					if p, err = k.duration(dn); err != nil {
						return err
					}
				} else {
					p = k.opts.manualPause()
					k.warnf(e.val, "pause without a duration waits for a human to promote; modelled as a pause of %v (Options.ManualPause)", p)
				}
				if p > 0 {
					steps = append(steps, strategy.CanaryStep{Pause: p})
					t += p
				}
			case "analysis":
				checks, dur, err := k.analysisRef(e.val, t, stepAnalysis)
				if err != nil {
					return err
				}
				d.Checks = append(d.Checks, checks...)
				if dur > 0 {
					steps = append(steps, strategy.CanaryStep{Pause: dur})
					t += dur
				}
			case "experiment":
				msg := "experiment: the experiment's ReplicaSets and analyses are not modelled"
				if dn, ok := e.val.get("duration"); ok {
					p, err := k.duration(dn)
					if err != nil {
						return err
					}
					if p > 0 {
						steps = append(steps, strategy.CanaryStep{Pause: p})
						t += p
					}
					k.warnf(e.val, "%s; the step is modelled as a pause of %v", msg, p)
				} else {
					p := k.opts.manualPause()
					steps = append(steps, strategy.CanaryStep{Pause: p})
					t += p
					k.warnf(e.val, "%s; without a duration it runs until its analyses end, modelled as a pause of %v (Options.ManualPause)", msg, p)
				}
			case "setCanaryScale":
				k.warnf(e.val, "setCanaryScale changes the canary's replica count, not its traffic weight; capacity is not modelled from the manifest")
			case "setHeaderRoute", "setMirrorRoute":
				k.warnf(e.val, "%s routes matched or mirrored requests to the canary; their share of traffic is unknown, so not modelled", e.key)
			case "plugin":
				k.warnf(e.val, "plugin step: not modelled")
			default:
				return k.errf(e.val, "unknown step %q: must be setWeight, pause, analysis, experiment, setCanaryScale, setHeaderRoute, setMirrorRoute or plugin", e.key)
			}
		}
	}
	if len(items) == 0 {
		d.Strategy = strategy.AllAtOnce{}
	} else {
		if err := steps.Validate(); err != nil {
			return k.wrap(stepsNode, err)
		}
		d.Strategy = steps
	}
	if bg, ok := c.get("analysis"); ok {
		start := time.Duration(0)
		if sn, ok := bg.get("startingStep"); ok {
			i, err := k.intField(sn, 0, len(items))
			if err != nil {
				return err
			}
			if i < len(stepStart) {
				start = stepStart[i]
			} else {
				start = t
			}
		}
		checks, _, err := k.analysisRef(bg, start, backgroundAnalysis)
		if err != nil {
			return err
		}
		d.Checks = append(d.Checks, backgroundUntil(checks, t)...)
	}
	return nil
}

// backgroundUntil ends a background analysis's measurements before the
// promotion instant end: Argo terminates the background AnalysisRun once the
// rollout is fully promoted (argo-rollouts rollout/analysis.go,
// reconcileBackgroundAnalysisRun creates none for a fully promoted rollout
// and reconcileAnalysisRuns cancels the others), so no measurement is taken
// at the promotion, though the simulator evaluates before it shifts traffic
// at one instant. Each check keeps the measurements strictly before end; one
// with none is dropped.
func backgroundUntil(checks []Check, end time.Duration) []Check {
	out := checks[:0]
	for _, c := range checks {
		if c.Start >= end {
			continue
		}
		if c.Interval > 0 {
			n := int((end - c.Start + c.Interval - 1) / c.Interval) // instants Start + k·Interval < end
			if c.Count == 0 || c.Count > n {
				c.Count = n
			}
		}
		out = append(out, c)
	}
	return out
}

func (k *kube) argoBlueGreen(d *Deployable, bg at) error {
	if !bg.isMap() {
		return k.errf(bg, "got %s: blueGreen must be a mapping", kindName(bg.n))
	}
	k.warnUnknown(bg, "blueGreen", "activeService", "previewService", "autoPromotionEnabled", "autoPromotionSeconds", "prePromotionAnalysis",
		"postPromotionAnalysis", "scaleDownDelaySeconds", "scaleDownDelayRevisionLimit", "abortScaleDownDelaySeconds", "previewReplicaCount",
		"previewMetadata", "activeMetadata", "antiAffinity", "maxUnavailable")
	auto := true
	if a, ok := bg.get("autoPromotionEnabled"); ok {
		var err error
		if auto, err = k.boolField(a); err != nil {
			return err
		}
	}
	var validation time.Duration
	if s, ok := bg.get("autoPromotionSeconds"); ok {
		n, err := k.intField(s, 0, 1<<30)
		if err != nil {
			return err
		}
		validation = time.Duration(n) * time.Second
	}
	// The pre-promotion analysis is a gate before any customer traffic:
	// it measures the preview service, and its failure aborts the rollout
	// with blue still active, as a failed CodeDeploy BeforeAllowTraffic hook
	// does. So it is read as a pre-traffic hook lasting the analysis; the
	// simulator has no preview traffic to measure, so what it catches is
	// assumed. A hook may run at most an hour (sim.MaxHookDuration): a longer
	// analysis is only a delay.
	var hook time.Duration
	if pre, ok := bg.get("prePromotionAnalysis"); ok {
		_, dur, err := k.analysisRef(pre, 0, prePromotion)
		if err != nil {
			return err
		}
		if dur <= sim.MaxHookDuration {
			hook = dur
			d.PreTrafficHook = "prePromotionAnalysis"
			d.PreTraffic = sim.Hook{Duration: dur, CatchProb: DefaultHookCatchProb}
			k.warnf(pre, "prePromotionAnalysis measures the preview service, which takes no customer traffic; read as a pre-traffic hook %s", hookAssumption(d.PreTraffic))
		} else {
			k.warnf(pre, "prePromotionAnalysis measures the preview service, which takes no customer traffic; it runs %v, longer than a simulated hook may (%v), so it only delays promotion", dur, sim.MaxHookDuration)
		}
		if dur > validation {
			validation = dur
		}
	}
	if !auto {
		p := k.opts.manualPause()
		a, _ := bg.get("autoPromotionEnabled")
		k.warnf(a, "autoPromotionEnabled: false waits for a human to promote; modelled as %v of validation (Options.ManualPause)", p)
		if p > validation {
			validation = p
		}
	}
	// The hook runs first, then the schedule: what is left of the
	// validation after the analysis. The switch stays at validation since
	// the start, where the post-promotion checks start.
	d.Strategy = strategy.BlueGreen{Validation: validation - hook}
	if post, ok := bg.get("postPromotionAnalysis"); ok {
		checks, dur, err := k.analysisRef(post, validation, postPromotion)
		if err != nil {
			return err
		}
		d.Checks = append(d.Checks, checks...)
		if len(checks) > 0 && dur > 0 {
			// The rollout is not complete until the post-promotion analysis
			// passes: all traffic is on green, blue is kept, and a failure
			// switches back at once. As a schedule: 0 % while green is
			// validated, 100 % from the switch, complete when the analysis
			// ends (the simulator consults the policy until then).
			d.Strategy = strategy.Steps{{SetWeight: 0}, {Pause: validation - hook}, {SetWeight: 100}, {Pause: dur}}
			if validation-hook == 0 {
				d.Strategy = strategy.Steps{{SetWeight: 100}, {Pause: dur}}
			}
		}
	}
	return nil
}

// analysisRef reads an analysis reference ({templates, args}) that starts at
// start, returning its checks and, for a blocking analysis, how long it runs.
// phase says when an analysis runs, which changes what its queries measure.
type phase uint8

const (
	stepAnalysis       phase = iota // an analysis step: blocks the steps until done
	backgroundAnalysis              // canary.analysis: runs beside the steps
	prePromotion                    // blueGreen.prePromotionAnalysis: on the preview, no customer traffic
	postPromotion                   // blueGreen.postPromotionAnalysis: all traffic on the new version
)

func (k *kube) analysisRef(a at, start time.Duration, ph phase) ([]Check, time.Duration, error) {
	if !a.isMap() {
		return nil, 0, k.errf(a, "got %s: an analysis must be a mapping with templates", kindName(a.n))
	}
	tl, ok := a.get("templates")
	if !ok || !tl.isSeq() || len(tl.items()) == 0 {
		return nil, 0, k.errf(a, "an analysis needs templates: [{templateName: …}]")
	}
	args := map[string]string{}
	canaryArgs, stableArgs := map[string]bool{}, map[string]bool{}
	readArgs := func(list at) error {
		for _, it := range list.items() {
			nn, ok := it.get("name")
			if !ok {
				return k.errf(it, "an argument needs a name")
			}
			name, err := k.plainString(nn)
			if err != nil {
				return err
			}
			if v, ok := it.get("value"); ok {
				if s, ok := v.scalar(); ok {
					if _, set := args[name]; !set {
						args[name] = s
					}
				}
			}
			if vf, ok := it.get("valueFrom"); ok {
				if h, ok := vf.get("podTemplateHashValue"); ok {
					switch s, _ := h.scalar(); s {
					case "Latest":
						canaryArgs[name] = true
					case "Stable":
						stableArgs[name] = true
					default:
						return k.errf(h, "podTemplateHashValue %q: must be Latest or Stable", s)
					}
				}
			}
		}
		return nil
	}
	if al, ok := a.get("args"); ok {
		if err := readArgs(al); err != nil {
			return nil, 0, err
		}
	}
	var checks []Check
	var dur time.Duration
	for _, tr := range tl.items() {
		tn, ok := tr.get("templateName")
		if !ok {
			return nil, 0, k.errf(tr, "a template reference needs templateName")
		}
		name, err := k.plainString(tn)
		if err != nil {
			return nil, 0, err
		}
		kinds := []string{"AnalysisTemplate"}
		if cs, ok := tr.get("clusterScope"); ok {
			if b, err := k.boolField(cs); err != nil {
				return nil, 0, err
			} else if b {
				kinds = []string{"ClusterAnalysisTemplate"}
			}
		}
		tmpl := k.find(name, kinds...)
		if tmpl == nil {
			also := ""
			if ph == stepAnalysis {
				also = "; the step is modelled as taking no time"
			}
			k.warnf(tn, "%s %s is not in the files read: its metrics are unknown, so not modelled (read the file that defines it too, or put it in the same file after ---)%s", kinds[0], name, also)
			continue
		}
		tmpl.used = true
		// Errors and warnings about the template name its own file.
		rolloutFile := k.file
		k.file = tmpl.file
		tspec, _ := tmpl.root.get("spec")
		if al, ok := tspec.get("args"); ok {
			if err := readArgs(al); err != nil {
				return nil, 0, err
			}
		}
		dry := map[string]bool{}
		if dr, ok := tspec.get("dryRun"); ok {
			for _, it := range dr.items() {
				if mn, ok := it.get("metricName"); ok {
					s, _ := mn.scalar()
					dry[s] = true
				}
			}
		}
		ms, ok := tspec.get("metrics")
		if !ok || !ms.isSeq() {
			return nil, 0, k.errf(tmpl.root, "%s has no spec.metrics list", tmpl.label())
		}
		for _, m := range ms.items() {
			c, mdur, ok, err := k.argoMetric(m, start, ph, args, canaryArgs, stableArgs, dry)
			if err != nil {
				return nil, 0, err
			}
			if mdur > dur {
				dur = mdur
			}
			if ok {
				c.Name = name + "/" + c.Name
				checks = append(checks, c)
			}
		}
		k.file = rolloutFile
	}
	return checks, dur, nil
}

// argoMetric reads one metric of an AnalysisTemplate. Argo takes the first
// measurement when the analysis starts (after initialDelay) and one every
// interval, count in all; with no interval and no count, one measurement. The
// metric fails when its failed measurements exceed failureLimit (default 0).
func (k *kube) argoMetric(m at, start time.Duration, ph phase, args map[string]string, canaryArgs, stableArgs, dry map[string]bool) (Check, time.Duration, bool, error) {
	var c Check
	nn, ok := m.get("name")
	if !ok {
		return c, 0, false, k.errf(m, "a metric needs a name")
	}
	k.warnUnknown(m, "an AnalysisTemplate metric", "name", "interval", "initialDelay", "count", "successCondition", "failureCondition",
		"failureLimit", "inconclusiveLimit", "consecutiveErrorLimit", "consecutiveSuccessLimit", "provider")
	var err error
	if c.Name, err = k.plainString(nn); err != nil {
		return c, 0, false, err
	}
	// argScalar resolves a "{{args.x}}" value from the arguments.
	argScalar := func(a at) at {
		s, ok := a.scalar()
		if !ok {
			return a
		}
		if mm := argRe.FindStringSubmatch(s); mm != nil && mm[0] == s {
			if v, ok := args[mm[1]]; ok {
				return scalarAt(v, a.line(), a.path)
			}
		}
		return a
	}
	if iv, ok := m.get("interval"); ok {
		if c.Interval, err = k.duration(argScalar(iv)); err != nil {
			return c, 0, false, err
		}
	}
	var delay time.Duration
	if id, ok := m.get("initialDelay"); ok {
		if delay, err = k.duration(argScalar(id)); err != nil {
			return c, 0, false, err
		}
	}
	c.Count = 0
	hasCount := false
	if cn, ok := m.get("count"); ok {
		if c.Count, err = k.intField(argScalar(cn), 0, 1<<20); err != nil {
			return c, 0, false, err
		}
		hasCount = c.Count > 0
	}
	if !hasCount && c.Interval == 0 {
		c.Count, hasCount = 1, true
	}
	if c.Count > 1 && c.Interval == 0 {
		return c, 0, false, k.errf(m, "metric %s: count %d needs an interval", c.Name, c.Count)
	}
	var dur time.Duration
	switch {
	case hasCount:
		dur = delay + time.Duration(c.Count-1)*c.Interval
	case ph != backgroundAnalysis:
		dur = k.opts.manualPause()
		k.warnf(m, "metric %s has an interval but no count, so a blocking analysis step runs until it fails or a human ends it; modelled as %v (Options.ManualPause)", c.Name, dur)
		c.Count = int(dur/c.Interval) + 1
	}
	c.Start = start + delay
	if fl, ok := m.get("failureLimit"); ok {
		if c.Limit, err = k.intField(argScalar(fl), -1, 1<<20); err != nil {
			return c, 0, false, err
		}
	}
	c.ErrorLimit = argoConsecutiveErrorLimit
	if el, ok := m.get("consecutiveErrorLimit"); ok {
		if c.ErrorLimit, err = k.intField(argScalar(el), 0, 1<<20); err != nil {
			return c, 0, false, err
		}
	}
	if il, ok := m.get("inconclusiveLimit"); ok {
		k.warnf(il, "metric %s: inconclusive measurements (which pause the rollout for a human) are not modelled", c.Name)
	}
	if dry[c.Name] || dry["*"] {
		k.warnf(m, "metric %s is in dryRun: its result never fails the rollout; not modelled", c.Name)
		return c, dur, false, nil
	}
	if c.Limit == -1 {
		k.warnf(m, "metric %s: failureLimit -1 tolerates any number of failures, so it never fails the rollout; not modelled", c.Name)
		return c, dur, false, nil
	}
	prov, ok := m.get("provider")
	if !ok || !prov.isMap() {
		return c, 0, false, k.errf(m, "metric %s needs a provider", c.Name)
	}
	pe := prov.entries()
	if len(pe) == 0 {
		return c, 0, false, k.errf(prov, "metric %s: provider is empty", c.Name)
	}
	if pe[0].key != "prometheus" {
		k.warnf(pe[0].val, "metric %s: provider %s is not modelled (only Prometheus queries whose meaning is plain from the text)", c.Name, pe[0].key)
		if pe[0].key == "job" {
			// A Job measurement lasts as long as the Job runs, which
			// nothing in the template says.
			k.warnf(pe[0].val, "metric %s: a job measurement lasts as long as its Job runs, which is not known here; the step's time is modelled from initialDelay, interval and count alone (%v)", c.Name, dur)
		}
		return c, dur, false, nil
	}
	qn, ok := pe[0].val.get("query")
	if !ok {
		return c, 0, false, k.errf(pe[0].val, "metric %s: prometheus needs a query", c.Name)
	}
	q, err := k.plainString(qn)
	if err != nil {
		return c, 0, false, err
	}
	meaning, err := recogniseQuery(q, canaryArgs, stableArgs)
	if err != nil {
		k.warnf(qn, "metric %s: query not modelled: %v", c.Name, err)
		return c, dur, false, nil
	}
	switch {
	case ph == prePromotion:
		return c, dur, true, nil // the caller reports that pre-promotion checks are not modelled
	case ph == postPromotion && meaning.dimension == metrics.Alias:
		// After promotion the active service sends every request to the new
		// version: the whole service is the candidate.
		meaning.dimension = metrics.Candidate
	case meaning.dimNote != "":
		k.warnf(qn, "metric %s: %s", c.Name, meaning.dimNote)
	}
	sc, hasS := m.get("successCondition")
	fc, hasF := m.get("failureCondition")
	var failOp string
	var thr float64
	var where at
	switch {
	case hasF:
		s, err := k.plainString(fc)
		if err != nil {
			return c, 0, false, err
		}
		cond, err := parseCondition(s)
		if err != nil {
			k.warnf(fc, "metric %s: %v; not modelled", c.Name, err)
			return c, dur, false, nil
		}
		failOp, thr, where = cond.op, cond.threshold, fc
		if hasS {
			k.warnf(sc, "metric %s: with both conditions a measurement that meets neither is Inconclusive and pauses the rollout for a human; modelled by failureCondition alone", c.Name)
		}
	case hasS:
		s, err := k.plainString(sc)
		if err != nil {
			return c, 0, false, err
		}
		cond, err := parseCondition(s)
		if err != nil {
			k.warnf(sc, "metric %s: %v; not modelled", c.Name, err)
			return c, dur, false, nil
		}
		failOp, thr, where = negate(cond.op), cond.threshold, sc
		c.PassOnNoData = cond.noDataOK
	default:
		k.warnf(m, "metric %s has neither successCondition nor failureCondition, so every measurement succeeds; not modelled", c.Name)
		return c, dur, false, nil
	}
	if failOp == "" {
		k.warnf(where, "metric %s: an equality test cannot be modelled as a threshold; not modelled", c.Name)
		return c, dur, false, nil
	}
	c.Metric, c.Dimension, c.Statistic = meaning.metric, meaning.dimension, meaning.statistic
	c.FailWhen, c.Threshold, err = meaning.failRule(failOp, thr)
	if err == nil {
		err = c.metricCheck().Validate()
	}
	if err != nil {
		k.warnf(where, "metric %s: %v; not modelled", c.Name, err)
		return c, dur, false, nil
	}
	c.Window = meaning.window
	if c.Window == 0 {
		c.Window = c.Interval
	}
	if c.Window == 0 {
		c.Window = time.Minute
		k.warnf(qn, "metric %s: the query has no range ([5m]) and the metric no interval; each measurement is modelled over the last minute", c.Name)
	}
	if c.Window < 2*prometheusScrape {
		k.warnf(qn, "metric %s: its range %v is shorter than two scrapes (%v each, assumed): Prometheus's rate() then often finds fewer than two samples and returns nothing, a measurement error in Argo; modelled as the requests of the range", c.Name, c.Window, prometheusScrape)
	}
	return c, dur, true, nil
}

// stepEntries checks a canary step as Argo Rollouts validates it
// (pkg/apis/rollouts/validation/validation.go, ValidateRolloutStrategyCanary
// and hasMultipleStepsType): at least one field, and at most one of
// setWeight, pause, experiment and analysis, the fields that move the
// rollout along; setCanaryScale, setHeaderRoute, setMirrorRoute and plugin
// combine with them and with each other. It returns the step's fields with
// the one that moves the rollout last, as Argo acts on the others first.
func (k *kube) stepEntries(s at) ([]kv, error) {
	es := s.entries()
	if !s.isMap() || len(es) == 0 {
		return nil, k.errf(s, "a step must be a mapping with one of setWeight, pause, analysis, experiment, setCanaryScale, setHeaderRoute, setMirrorRoute, plugin")
	}
	var others, primary []kv
	for _, e := range es {
		switch e.key {
		case "setWeight", "pause", "experiment", "analysis":
			primary = append(primary, e)
		default:
			others = append(others, e)
		}
	}
	if len(primary) > 1 {
		return nil, k.errf(s, "a step sets both %s and %s: Argo Rollouts allows at most one of setWeight, pause, experiment and analysis per step", primary[0].key, primary[1].key)
	}
	return append(others, primary...), nil
}
