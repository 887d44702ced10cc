package manifest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// Explanation is what was read for one deployable, for a person to check
// against the file: the resource, the strategy in the file's words and as
// simulated, the rollback policy one alarm or check per line, and flags for
// a deployment whose detection is not what it seems.
type Explanation struct {
	// Resource is the kind, file, line and path the deployable was read from.
	Resource string `json:"resource"`
	// Declared is the strategy in the file's own words, e.g.
	// "DeploymentPreference.Type: Canary10Percent10Minutes" or
	// "analysis: interval 15s, stepWeight 10, maxWeight 50".
	Declared string `json:"declared"`
	// Modelled is the strategy as simulated, e.g. "Canary10Percent10Minutes:
	// 10% for 10m0s, then 100%", "Flagger: 15s × ⌈50/10⌉ = 5 steps of 10%,
	// then 100% at 1m15s", or Argo's step list.
	Modelled string `json:"modelled"`
	// Policy is the rollback policy, one line per alarm (metric, statistic,
	// threshold, M of N) or analysis check (metric, window, threshold,
	// cadence), or a line saying that nothing rolls the deployment back.
	Policy []string `json:"policy"`
	// Hooks lists the hooks, with their assumed duration and catch
	// probability.
	Hooks []string `json:"hooks,omitempty"`
	// HookOnlyDetection: nothing watches the metrics (no policy, or one that
	// cannot fire), so a fault is caught only by a hook, with the catch
	// probability assumed for it (DefaultHookCatchProb unless set).
	HookOnlyDetection bool `json:"hook_only_detection"`
	// PolicyNeverFires: the file declares alarms or analysis metrics for
	// this deployment and none of them could be modelled (all on metrics the
	// simulator does not publish, or queries not understood), so in the
	// simulation nothing it declares rolls it back.
	PolicyNeverFires bool `json:"policy_never_fires"`
}

// Explain describes what was read for d (see Explanation).
func (d Deployable) Explain() Explanation {
	e := Explanation{
		Resource: fmt.Sprintf("%s %s", d.Source, d.Source.Path),
		Declared: d.Declared,
		Modelled: modelledStrategy(&d),
	}
	for _, a := range d.Alarms {
		e.Policy = append(e.Policy, alarmLine(a))
	}
	for _, c := range d.Checks {
		e.Policy = append(e.Policy, checkLine(c))
	}
	if fc, ok := d.Policy.(rollback.FailedChecks); ok {
		// Flagger's scheduler checks the counter at the start of a tick, so
		// the rollback comes on the tick after the threshold is reached.
		e.Policy = append(e.Policy, fmt.Sprintf("rolled back on the tick after %d failed checks, one every %v (%v with every check failing; Flagger's documentation says %v)", fc.Threshold, fc.Interval, time.Duration(fc.Threshold+1)*fc.Interval, time.Duration(fc.Threshold)*fc.Interval))
	}
	if d.Composite != nil {
		for _, c := range d.Composite.Composites {
			e.Policy = append(e.Policy, fmt.Sprintf("composite alarm %s: ALARM when %s", c.Name, c.Rule))
		}
		for _, a := range d.Composite.Alarms.Alarms {
			e.Policy = append(e.Policy, "  member "+alarmLine(a))
		}
	}
	e.PolicyNeverFires = d.Watched > 0 && len(d.Alarms) == 0 && len(d.Checks) == 0 && (d.Composite == nil || len(d.Composite.Composites) == 0)
	switch {
	case e.PolicyNeverFires:
		e.Policy = append(e.Policy, fmt.Sprintf("none of the %d alarms or metrics declared could be modelled (see the warnings): nothing in the simulation rolls it back", d.Watched))
	case d.Policy == nil:
		e.Policy = append(e.Policy, "no alarm or analysis watches it: nothing rolls it back but a hook")
	}
	for _, h := range []struct {
		kind, name string
		hook       hookView
	}{{"pre-traffic", d.PreTrafficHook, hookView{d.PreTraffic.Duration, d.PreTraffic.CatchProb, d.PreTraffic.Enabled()}},
		{"post-traffic", d.PostTrafficHook, hookView{d.PostTraffic.Duration, d.PostTraffic.CatchProb, d.PostTraffic.Enabled()}}} {
		if h.hook.on {
			e.Hooks = append(e.Hooks, fmt.Sprintf("%s hook %s: %v, catches an active fault with probability %g (assumed)", h.kind, h.name, h.hook.d, h.hook.p))
		}
	}
	e.HookOnlyDetection = len(e.Hooks) > 0 && (d.Policy == nil || e.PolicyNeverFires)
	return e
}

type hookView struct {
	d  time.Duration
	p  float64
	on bool
}

// alarmLine is one CloudWatch alarm: metric, statistic, dimension,
// threshold, M of N periods, missing data.
func alarmLine(a rollback.Alarm) string {
	m := a.DatapointsToAlarm
	if m == 0 {
		m = a.EvaluationPeriods
	}
	return fmt.Sprintf("alarm %s: %s %s on the %s %s %s, %d of %d periods of %v (missing data: %s)",
		a.Name, a.Metric, a.Statistic, a.Dimension, a.Comparison.Symbol(), formatNumber(a.Threshold), m, a.EvaluationPeriods, a.Period, a.TreatMissingData)
}

// checkLine is one analysis check as modelled.
func checkLine(c Check) string {
	var b strings.Builder
	fmt.Fprintf(&b, "check %s: %s %s of the %s over %v, fails when %s %s", c.Name, c.Metric, c.Statistic, c.Dimension, c.Window, c.FailWhen.Symbol(), formatNumber(c.Threshold))
	fmt.Fprintf(&b, "; measured every %v from %v", c.Interval, c.Start)
	if c.Count > 0 {
		fmt.Fprintf(&b, ", %d times", c.Count)
	}
	if c.Limit > 0 {
		fmt.Fprintf(&b, "; more than %d failures fail the rollout", c.Limit)
	}
	return b.String()
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'g', 6, 64) }

// modelledStrategy says how the strategy is simulated.
func modelledStrategy(d *Deployable) string {
	if d.Strategy == nil {
		return "none"
	}
	sched := d.Strategy.Schedule()
	end := time.Duration(0)
	if len(sched) > 0 {
		end = sched[len(sched)-1].At
	}
	steps, isSteps := d.Strategy.(strategy.Steps)
	switch {
	case isSteps && d.Source.Kind == "flagger.app/Canary":
		if s, ok := flaggerShape(steps, strings.Contains(d.Declared, "stepWeights")); ok {
			return fmt.Sprintf("Flagger: %s, then 100%% at %v", s, end)
		}
		return fmt.Sprintf("Flagger: %v, then 100%% at %v", d.Strategy, end)
	case isSteps && d.Source.Kind == "argoproj.io/Rollout":
		return fmt.Sprintf("Argo steps: %s, then 100%% at %v", stepList(steps), end)
	case isSteps:
		return fmt.Sprintf("%s, then 100%% at %v", stepList(steps), end)
	}
	return fmt.Sprintf("%v: done at %v", d.Strategy, end)
}

// stepList writes steps as setWeight/pause words.
func stepList(steps strategy.Steps) string {
	parts := make([]string, 0, len(steps))
	for _, s := range steps {
		if s.Pause > 0 {
			parts = append(parts, "pause "+s.Pause.String())
		} else {
			parts = append(parts, "setWeight "+formatNumber(s.SetWeight))
		}
	}
	return strings.Join(parts, ", ")
}

// flaggerShape recognises Flagger's interval × ⌈maxWeight/stepWeight⌉: n
// weights s, 2s, …, each held for the same interval.
func flaggerShape(steps strategy.Steps, listed bool) (string, bool) {
	if len(steps) < 2 || len(steps)%2 != 0 {
		return "", false
	}
	iv := steps[1].Pause
	step := steps[0].SetWeight
	var ws []float64
	for i := 0; i < len(steps); i += 2 {
		w, p := steps[i], steps[i+1]
		if w.Pause != 0 || p.Pause != iv || iv <= 0 {
			return "", false
		}
		ws = append(ws, w.SetWeight)
	}
	n := len(ws)
	arith := true
	for i, w := range ws {
		// The last weight may be capped at maxWeight.
		if w != step*float64(i+1) && !(i == n-1 && w < step*float64(n) && w > step*float64(n-1)) {
			arith = false
		}
	}
	if arith && !listed {
		return fmt.Sprintf("%v × ⌈%s/%s⌉ = %d steps of %s%%", iv, formatNumber(ws[n-1]), formatNumber(step), n, formatNumber(step)), true
	}
	s := make([]string, n)
	for i, w := range ws {
		s[i] = formatNumber(w)
	}
	return fmt.Sprintf("%v × %d steps (%s%%)", iv, n, strings.Join(s, ", ")), true
}

// declaredK8s says what a Rollout's or Canary's strategy is in the
// manifest's words, and counts the analysis metrics or templates it
// declares.
func declaredK8s(o *kobj) (string, int) {
	spec, _ := o.root.get("spec")
	scalar := func(a at, key string) string {
		v, ok := a.get(key)
		if !ok {
			return ""
		}
		if s, ok := v.scalar(); ok {
			return s
		}
		if v.isSeq() {
			var parts []string
			for _, it := range v.items() {
				s, _ := it.scalar()
				parts = append(parts, s)
			}
			return "[" + strings.Join(parts, ", ") + "]"
		}
		return "{…}"
	}
	fields := func(a at, keys ...string) string {
		var parts []string
		for _, k := range keys {
			if v := scalar(a, k); v != "" {
				parts = append(parts, k+" "+v)
			}
		}
		return strings.Join(parts, ", ")
	}
	if o.kind == "Canary" {
		an, _ := spec.get("analysis")
		ms, _ := an.get("metrics")
		return "analysis: " + fields(an, "interval", "threshold", "stepWeight", "stepWeights", "maxWeight", "iterations"), len(ms.items())
	}
	st, _ := spec.get("strategy")
	watched := 0
	countTemplates := func(a at) {
		ts, _ := a.get("templates")
		watched += len(ts.items())
	}
	if bg, ok := st.get("blueGreen"); ok {
		for _, k := range []string{"prePromotionAnalysis", "postPromotionAnalysis"} {
			if a, ok := bg.get(k); ok {
				countTemplates(a)
			}
		}
		return "blueGreen: " + fields(bg, "autoPromotionEnabled", "autoPromotionSeconds", "scaleDownDelaySeconds"), watched
	}
	c, _ := st.get("canary")
	if a, ok := c.get("analysis"); ok {
		countTemplates(a)
	}
	var parts []string
	for _, s := range func() []at { n, _ := c.get("steps"); return n.items() }() {
		var keys []string
		for _, e := range s.entries() {
			switch e.key {
			case "setWeight":
				v, _ := e.val.scalar()
				keys = append(keys, "setWeight "+v)
			case "pause":
				if d := scalar(e.val, "duration"); d != "" {
					keys = append(keys, "pause "+d)
				} else {
					keys = append(keys, "pause {}")
				}
			case "analysis":
				countTemplates(e.val)
				keys = append(keys, "analysis")
			default:
				keys = append(keys, e.key)
			}
		}
		parts = append(parts, strings.Join(keys, "+"))
	}
	if len(parts) > 12 {
		parts = append(parts[:12], fmt.Sprintf("… (%d steps)", len(parts)))
	}
	return "canary steps: " + strings.Join(parts, ", "), watched
}
