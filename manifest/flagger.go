package manifest

import (
	"math"
	"regexp"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// Flagger's defaults when the analysis leaves a field out.
const (
	flaggerDefaultInterval  = time.Minute // "schedule interval (default 60s)"
	flaggerDefaultThreshold = 1
	flaggerDefaultMaxWeight = 100
)

// flaggerCanary reads a Flagger Canary's analysis (spec.analysis, or
// spec.canaryAnalysis in v1alpha3) into a rollback.FailedChecks with a
// Progression, which follows Flagger's scheduler (fluxcd/flagger,
// pkg/controller/scheduler.go, advanceCanary and runCanary; docs/model.md,
// "Flagger"): at the first tick (t0) the canary gets stepWeight; at every
// later tick, interval apart, a failed-checks counter at threshold rolls
// back before anything else; otherwise the checks run, each on its metric's
// window ending at the tick less the Prometheus delay (the one window rule,
// rollback.Window); a failing tick adds one to the counter, which no
// passing tick resets, and holds the weight; a passing tick advances the
// weight by stepWeight (capped at 100) until maxWeight, and the passing
// tick at maxWeight promotes. With every check passing, promotion comes at
// interval × ceil(maxWeight / stepWeight), Flagger's "interval * (maxWeight
// / stepWeight)", the nominal schedule d.Strategy states; each failed check
// adds an interval. With every check failing, rollback comes at
// (threshold + 1) × interval, one interval after the documentation's
// "interval * threshold".
func (k *kube) flaggerCanary(o *kobj) (*Deployable, error) {
	spec, ok := o.root.get("spec")
	if !ok || !spec.isMap() {
		return nil, k.errf(o.root, "Canary %s has no spec", o.name)
	}
	d := &Deployable{Name: o.name}
	an, ok := spec.get("analysis")
	if !ok {
		if an, ok = spec.get("canaryAnalysis"); !ok {
			return nil, k.errf(spec, "Canary %s has no spec.analysis", o.name)
		}
	}
	if !an.isMap() {
		return nil, k.errf(an, "got %s: analysis must be a mapping", kindName(an.n))
	}
	k.warnUnknown(an, "analysis", "interval", "threshold", "maxWeight", "stepWeight", "stepWeights", "stepWeightPromotion", "iterations",
		"match", "mirror", "mirrorWeight", "metrics", "webhooks", "alerts", "primaryReadyThreshold", "canaryReadyThreshold", "sessionAffinity")
	if sk, ok := spec.get("skipAnalysis"); ok {
		if b, err := k.boolField(sk); err != nil {
			return nil, err
		} else if b {
			k.warnf(sk, "skipAnalysis: true promotes the canary without analysis")
			d.Strategy = strategy.AllAtOnce{}
			return d, nil
		}
	}
	interval := flaggerDefaultInterval
	if iv, ok := an.get("interval"); ok {
		var err error
		if interval, err = k.duration(iv); err != nil {
			return nil, err
		}
		if interval <= 0 {
			return nil, k.errf(iv, "interval must be > 0")
		}
	}
	threshold := flaggerDefaultThreshold
	if th, ok := an.get("threshold"); ok {
		var err error
		if threshold, err = k.intField(th, 1, 1<<20); err != nil {
			return nil, err
		}
	} else {
		k.warnf(an, "no threshold: Flagger rolls back after %d failed check", flaggerDefaultThreshold)
	}
	var weights []float64
	iterations := 0
	sw, hasSW := an.get("stepWeight")
	sws, hasSWs := an.get("stepWeights")
	it, hasIt := an.get("iterations")
	switch {
	case hasSWs:
		prev := 0.0
		for _, w := range sws.items() {
			v, err := k.intField(w, 1, 100)
			if err != nil {
				return nil, err
			}
			if float64(v) <= prev {
				return nil, k.errf(w, "%d: stepWeights must increase", v)
			}
			prev = float64(v)
			weights = append(weights, float64(v))
		}
		if len(weights) == 0 {
			return nil, k.errf(sws, "stepWeights is empty")
		}
		if hasSW {
			k.warnf(sw, "stepWeight is ignored when stepWeights is given")
		}
	case hasSW:
		step, err := k.intField(sw, 1, 100)
		if err != nil {
			return nil, err
		}
		max := flaggerDefaultMaxWeight
		if mw, ok := an.get("maxWeight"); ok {
			if max, err = k.intField(mw, 1, 100); err != nil {
				return nil, err
			}
		}
		for w := step; ; w += step {
			weights = append(weights, math.Min(float64(w), 100))
			if w >= max {
				break
			}
		}
	case hasIt:
		n, err := k.intField(it, 1, 1<<20)
		if err != nil {
			return nil, err
		}
		if time.Duration(n+1) > math.MaxInt64/interval {
			return nil, k.errf(it, "%d iterations of %v: (iterations + 1) × interval overflows the simulator's span (%v)", n, interval, time.Duration(math.MaxInt64).Round(time.Hour))
		}
		iterations = n
		if _, ok := an.get("match"); ok {
			k.warnf(an, "A/B testing routes only the requests that match to the canary; their share is unknown, so it is modelled as no customer traffic until promotion at %d × %v, and the checks, which read the matched traffic, as passing", n, interval)
			d.Strategy = strategy.BlueGreen{Validation: time.Duration(n) * interval}
			k.flaggerWebhooks(d, an)
			return d, nil
		}
		if m, ok := an.get("mirror"); ok {
			if b, _ := k.boolField(m); b {
				k.warnf(m, "mirror: the canary sees copies of live requests whose responses are discarded, so customers see no canary failures until all traffic moves to it")
			}
		}
		k.warnf(an, "blue/green: the checks of the %d iterations read load-test traffic that the simulator does not generate, so they count as passing; then all the traffic moves to the canary at %v and a passing check an interval later promotes it (Flagger's runBlueGreen)", n, time.Duration(n)*interval)
	default:
		return nil, k.errf(an, "analysis needs stepWeight, stepWeights or iterations")
	}
	if swp, ok := an.get("stepWeightPromotion"); ok {
		// runPromotionTrafficShift moves traffic from the canary to the
		// primary after Promote has copied the canary's spec to the primary.
		k.warnf(swp, "stepWeightPromotion shifts traffic from the canary to the primary after the primary runs the new version too (runPromotionTrafficShift): both serve the new version, so it changes nothing simulated; promotion is the tick that promotes")
	}
	var steps strategy.Steps
	if iterations > 0 {
		// Blue/green: no customer traffic for the iterations, all of it
		// at the tick after, promotion at the next passing tick.
		steps = strategy.Steps{{SetWeight: 0}, {Pause: time.Duration(iterations) * interval}, {SetWeight: 100}, {Pause: interval}}
	} else {
		if _, ok := an.get("match"); ok {
			k.warnf(an, "match: with stepWeight the match rules are ignored by Flagger's canary progression")
		}
		if time.Duration(len(weights)+1) > math.MaxInt64/interval {
			return nil, k.errf(an, "%d weights of %v: the progression overflows the simulator's span", len(weights), interval)
		}
		for _, w := range weights {
			steps = append(steps, strategy.CanaryStep{SetWeight: w}, strategy.CanaryStep{Pause: interval})
		}
	}
	if err := steps.Validate(); err != nil {
		return nil, k.wrap(an, err)
	}
	d.Strategy = steps

	if ms, ok := an.get("metrics"); ok {
		for _, m := range ms.items() {
			cs, err := k.flaggerMetric(m, interval)
			if err != nil {
				return nil, err
			}
			d.Checks = append(d.Checks, cs...)
		}
	}
	if len(d.Checks) == 0 {
		k.warnf(an, "no metric check is modelled: the canary is promoted unless a hook fails")
	} else {
		k.warnf(an, "assumed: each check reads Prometheus %v after the requests (scrape and rule evaluation; PrometheusDelay), and a query with no data, as on a canary without traffic, is a failed check (Flagger's 'no values found'); both decide when a canary is rolled back", PrometheusDelay)
	}
	k.flaggerWebhooks(d, an)
	var g rollback.Progression
	if iterations > 0 {
		g = rollback.Progression{Iterations: iterations, BlueGreen: true}
	} else {
		for _, w := range weights {
			g.Weights = append(g.Weights, w/100)
		}
	}
	if p := flaggerDriver(d.Checks, threshold, interval, g); p != nil {
		d.Policy = p
	}
	return d, nil
}

// flaggerDriver is Flagger's analysis (rollback.FailedChecks with a
// Progression): every interval each check reads its metric's window, a
// failed tick holds the weight and counts towards threshold, a check with no
// data fails, as in Flagger. Nil when no check is modelled.
func flaggerDriver(checks []Check, threshold int, interval time.Duration, g rollback.Progression) rollback.Policy {
	if len(checks) == 0 {
		return nil
	}
	p := rollback.FailedChecks{Threshold: threshold, Interval: interval, NoData: rollback.NoDataFail, Progression: g}
	for _, c := range checks {
		mc := c.metricCheck()
		mc.Window = c.Window
		p.Checks = append(p.Checks, mc)
	}
	return p
}

// prometheusScrape is the scrape interval assumed for the Prometheus that
// Flagger's and Argo's queries read ([assumed]: a common scrape_interval,
// the same 15 s as PrometheusDelay). A range shorter than two scrapes holds
// fewer than the two samples rate() needs.
const prometheusScrape = 15 * time.Second

var flaggerTargetRe = regexp.MustCompile(`\{\{\s*target\s*\}\}`)

// flaggerMetric reads one metric of a Flagger analysis into checks (one per
// bound of thresholdRange).
func (k *kube) flaggerMetric(m at, interval time.Duration) ([]Check, error) {
	nn, ok := m.get("name")
	if !ok {
		return nil, k.errf(m, "a metric needs a name")
	}
	name, err := k.plainString(nn)
	if err != nil {
		return nil, err
	}
	k.warnUnknown(m, "a Flagger metric", "name", "interval", "thresholdRange", "threshold", "query", "templateRef", "templateVariables")
	window := time.Minute
	if iv, ok := m.get("interval"); ok {
		if window, err = k.duration(iv); err != nil {
			return nil, err
		}
	}
	var min, max *float64
	if tr, ok := m.get("thresholdRange"); ok {
		for _, b := range []struct {
			key string
			dst **float64
		}{{"min", &min}, {"max", &max}} {
			if v, ok := tr.get(b.key); ok {
				s, ok := v.scalar()
				f, ok2 := parseNumber(s)
				if !ok || !ok2 {
					return nil, k.errf(v, "got %s: must be a number", kindName(v.n))
				}
				*b.dst = &f
			}
		}
	}
	var meaning queryMeaning
	switch name {
	case "request-success-rate", "istio_requests_total":
		meaning = queryMeaning{metric: metrics.ErrorRate, statistic: metrics.Statistic{Kind: metrics.Sum}, success: true, scale: 100, dimension: metrics.Candidate}
		if th, ok := m.get("threshold"); ok && min == nil { // v1alpha3
			s, _ := th.scalar()
			if f, ok := parseNumber(s); ok {
				min = &f
			}
		}
	case "request-duration", "istio_request_duration_seconds_bucket":
		meaning = queryMeaning{metric: metrics.Duration, statistic: metrics.Statistic{Kind: metrics.Percentile, P: 99}, toMs: 1, scale: 1, dimension: metrics.Candidate}
		if th, ok := m.get("threshold"); ok && max == nil { // v1alpha3
			s, _ := th.scalar()
			if f, ok := parseNumber(s); ok {
				max = &f
			}
		}
	default:
		q := ""
		if qn, ok := m.get("query"); ok {
			q, _ = qn.scalar()
		} else if tr, ok := m.get("templateRef"); ok {
			tn, _ := tr.get("name")
			tname, _ := tn.scalar()
			tmpl := k.find(tname, "MetricTemplate")
			if tmpl == nil {
				k.warnf(tr, "metric %s: MetricTemplate %s is not in this file; not modelled", name, tname)
				return nil, nil
			}
			tmpl.used = true
			ts, _ := tmpl.root.get("spec")
			prov, _ := ts.get("provider")
			pt, _ := prov.get("type")
			if s, _ := pt.scalar(); s != "prometheus" {
				canaryFile := k.file
				k.file = tmpl.file // the warning is about the template's own line
				k.warnf(prov, "metric %s: MetricTemplate provider %q is not modelled (only Prometheus)", name, s)
				k.file = canaryFile
				return nil, nil
			}
			qn, _ := ts.get("query")
			q, _ = qn.scalar()
		}
		if q == "" {
			k.warnf(m, "metric %s: neither a built-in metric (request-success-rate, request-duration) nor a query; not modelled", name)
			return nil, nil
		}
		// Flagger fills {{ target }} with the canary's workload name.
		meaning, err = recogniseQuery(flaggerTargetRe.ReplaceAllString(q, "canary-target"), nil, nil)
		if err != nil {
			k.warnf(m, "metric %s: query not modelled: %v", name, err)
			return nil, nil
		}
		if meaning.dimNote != "" {
			k.warnf(m, "metric %s: %s", name, meaning.dimNote)
		}
		if meaning.window != 0 {
			window = meaning.window
		}
	}
	if min == nil && max == nil {
		// Flagger's runMetricChecks (pkg/controller/scheduler_metrics.go):
		// without thresholdRange a value above the deprecated threshold
		// fails the check, and an absent threshold is 0.
		th := 0.0
		if tn, ok := m.get("threshold"); ok {
			sv, _ := tn.scalar()
			f, ok := parseNumber(sv)
			if !ok {
				return nil, k.errf(tn, "got %q: threshold must be a number", sv)
			}
			th = f
			k.warnf(tn, "metric %s: threshold (deprecated) is honoured by Flagger as a maximum: a value above %g fails the check", name, th)
		} else {
			k.warnf(m, "metric %s has neither thresholdRange nor threshold: Flagger compares the value with threshold 0, so any value above 0 fails the check", name)
		}
		max = &th
	}
	if window < 2*prometheusScrape {
		k.warnf(m, "metric %s: its window %v is shorter than two scrapes (%v each, assumed): Prometheus's rate() then often finds fewer than two samples and returns no data, which Flagger counts as a failed check; modelled as the requests of the window", name, window, prometheusScrape)
	}
	var out []Check
	for _, b := range []struct {
		v      *float64
		op     string
		suffix string
	}{{min, "<", "min"}, {max, ">", "max"}} {
		if b.v == nil {
			continue
		}
		c := Check{
			Name: name, Metric: meaning.metric, Dimension: meaning.dimension, Statistic: meaning.statistic,
			Window: window, Interval: interval, Start: interval,
		}
		if min != nil && max != nil {
			c.Name += "/" + b.suffix
		}
		c.FailWhen, c.Threshold, err = meaning.failRule(b.op, *b.v)
		if err == nil {
			err = c.metricCheck().Validate()
		}
		if err != nil {
			k.warnf(m, "metric %s: %v; not modelled", name, err)
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// flaggerWebhooks maps Flagger's webhooks: pre-rollout gates the start like a
// PreTraffic hook; the others are gates, load generators or notifications
// the simulator does not run.
func (k *kube) flaggerWebhooks(d *Deployable, an at) {
	wh, ok := an.get("webhooks")
	if !ok {
		return
	}
	for _, w := range wh.items() {
		nn, _ := w.get("name")
		name, _ := nn.scalar()
		tn, _ := w.get("type")
		ty, _ := tn.scalar()
		switch ty {
		case "pre-rollout":
			if d.PreTrafficHook == "" {
				d.PreTrafficHook = name
				// Flagger calls it in the first tick, before the first
				// weight: a call bounded by its timeout, which the tick's
				// cadence absorbs, so it delays nothing (and the checks'
				// ticks stay where the schedule's are).
				d.PreTraffic = sim.Hook{CatchProb: DefaultHookCatchProb}
			}
			k.warnf(w, "webhook %s (pre-rollout) is read as a pre-traffic hook, %s; a failure counts as a failed check in Flagger, while the simulator's hook aborts the rollout", name, hookAssumption(d.PreTraffic))
		case "", "rollout":
			k.warnf(w, "webhook %s (rollout) runs at every interval and a failure counts as a failed check; its outcome is not modelled (assumed to pass), and any load it generates is not simulated", name)
		case "confirm-rollout", "confirm-traffic-increase", "confirm-promotion":
			k.warnf(w, "webhook %s (%s) is a gate that holds the rollout until it answers 2xx; assumed open", name, ty)
		case "post-rollout", "rollback", "event":
			k.warnf(w, "webhook %s (%s) notifies or cleans up; it does not change the rollout; not modelled", name, ty)
		default:
			k.warnf(w, "webhook %s: unknown type %q; not modelled", name, ty)
		}
	}
}
