package manifest

import (
	"strings"
	"testing"
)

// What Explain shows, checked against what each file says.
func TestExplain(t *testing.T) {
	// SAM's safe-deployments example: the type as written, its schedule
	// (10 % for 10 min), both alarms with their statistic, threshold and
	// 2 of 2 periods, the hooks with their assumed catch probability.
	e := only(t, read(t, "testdata/sam-safe-deployments.yaml")).Explain()
	if e.Declared != "DeploymentPreference.Type: Canary10Percent10Minutes" || e.Modelled != "Canary10Percent10Minutes: done at 10m0s" {
		t.Errorf("declared %q modelled %q", e.Declared, e.Modelled)
	}
	want := []string{
		"alarm AliasErrorMetricGreaterThanZeroAlarm: Errors Sum on the alias > 0, 2 of 2 periods of 1m0s",
		"alarm LatestVersionErrorMetricGreaterThanZeroAlarm: Errors Sum on the candidate > 0, 2 of 2 periods of 1m0s",
	}
	if len(e.Policy) != 2 || !strings.HasPrefix(e.Policy[0], want[0]) || !strings.HasPrefix(e.Policy[1], want[1]) {
		t.Errorf("policy %q", e.Policy)
	}
	if len(e.Hooks) != 2 || !strings.Contains(e.Hooks[0], "probability 0.5 (assumed)") || e.HookOnlyDetection || e.PolicyNeverFires {
		t.Errorf("hooks %q hook-only %v never %v", e.Hooks, e.HookOnlyDetection, e.PolicyNeverFires)
	}

	// Flagger's Gateway API e2e canary: interval × ⌈maxWeight/stepWeight⌉,
	// both checks, and the failed-checks threshold × interval.
	e = only(t, read(t, "testdata/real/flagger/gatewayapi-test-canary.yaml")).Explain()
	if e.Declared != "analysis: interval 15s, threshold 15, stepWeight 10, maxWeight 50" ||
		e.Modelled != "Flagger: 15s × ⌈50/10⌉ = 5 steps of 10%, then 100% at 1m15s" {
		t.Errorf("declared %q modelled %q", e.Declared, e.Modelled)
	}
	if len(e.Policy) != 3 || !strings.HasPrefix(e.Policy[0], "check error-rate: ErrorRate") || !strings.Contains(e.Policy[0], "> 0.01") ||
		!strings.Contains(e.Policy[1], "p99") || e.Policy[2] != "rolled back on the tick after 15 failed checks, one every 15s (4m0s with every check failing; Flagger's documentation says 3m45s)" {
		t.Errorf("policy %q", e.Policy)
	}

	// SAM's all-parameters test: its one alarm is on AWS/EC2, which the
	// simulator does not publish: the policy never fires and only the
	// hooks, with their assumed catch probability, detect anything.
	e = only(t, read(t, "testdata/real/sam/function_with_deployment_preference_all_parameters.yaml")).Explain()
	if !e.PolicyNeverFires || !e.HookOnlyDetection || len(e.Hooks) != 2 {
		t.Errorf("never %v hook-only %v hooks %q policy %q", e.PolicyNeverFires, e.HookOnlyDetection, e.Hooks, e.Policy)
	}

	// Argo's canary example: the step list as written and as simulated,
	// the human's pause {} at the assumed hour; nothing watches it.
	e = only(t, read(t, "testdata/real/argo/rollout-canary.yaml")).Explain()
	if e.Declared != "canary steps: setWeight 20, pause {}, setWeight 40, pause 40, setWeight 60, pause 20, setWeight 80, pause 20" ||
		e.Modelled != "Argo steps: setWeight 20, pause 1h0m0s, setWeight 40, pause 40s, setWeight 60, pause 20s, setWeight 80, pause 20s, then 100% at 1h1m20s" {
		t.Errorf("declared %q\nmodelled %q", e.Declared, e.Modelled)
	}
	if len(e.Policy) != 1 || !strings.Contains(e.Policy[0], "nothing rolls it back") || e.PolicyNeverFires || e.HookOnlyDetection {
		t.Errorf("policy %q", e.Policy)
	}
	// Flagger's stepWeights are listed, not read as a progression.
	e = only(t, read(t, "testdata/real/flagger/linkerd-canary-steps.yaml")).Explain()
	if !strings.HasPrefix(e.Modelled, "Flagger: 15s × 11 steps (5, 10,") {
		t.Errorf("modelled %q", e.Modelled)
	}
}

// A deployment group watching a composite alarm (the SRE workbook's
// multi-window burn rate, written as one composite over four metric alarms)
// is watched: Explain shows the rule and its members, and the policy is
// not flagged as one that never fires.
func TestExplainComposite(t *testing.T) {
	e := only(t, read(t, "testdata/sam-burn-rate.yaml")).Explain()
	if e.PolicyNeverFires || e.HookOnlyDetection {
		t.Errorf("never %v hook-only %v: a composite alarm watches it", e.PolicyNeverFires, e.HookOnlyDetection)
	}
	if len(e.Policy) != 5 || !strings.Contains(e.Policy[0], "composite alarm api-burn-rate-page: ALARM when (ALARM(Burn1h) AND ALARM(Burn5m)) OR (ALARM(Burn6h) AND ALARM(Burn30m))") {
		t.Errorf("policy %q: want the composite's rule and its four member alarms", e.Policy)
	}
}
