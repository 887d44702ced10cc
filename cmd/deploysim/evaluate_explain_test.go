package main

import (
	"encoding/json"
	"strings"
	"testing"
)

const (
	realCustom = "../../manifest/testdata/real/sam/function_with_custom_codedeploy_deployment_preference.yaml"
	realHooks  = "../../manifest/testdata/real/sam/function_with_deployment_preference_all_parameters.yaml"
)

// The text table says what watches each deployable and splits detection
// into alarm rollbacks and hook aborts; --explain says what was read.
// testdata/sam.yaml's WatchedFn has one alarm and no hook, so every detected
// bad run is an alarm rollback; SAM's all-parameters test function has only
// an AWS/EC2 alarm (not modelled) and two hooks: its detection is the hooks'.
func TestEvaluateExplain(t *testing.T) {
	out := mustRun(t, "evaluate", "--runs", "5", "--rps", "20", "--explain", "testdata/sam.yaml", realHooks)
	var watched, hooks string
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "WatchedFn "):
			watched = l
		case strings.HasPrefix(l, "MinimalFunction "):
			hooks = l
		}
	}
	_, after, ok := strings.Cut(watched, " 1 alarm ")
	if f := strings.Fields(after); !ok || len(f) < 2 || f[0] != "5" || f[1] != "0" {
		t.Errorf("WatchedFn row: want 1 alarm, 5 rolled back, 0 hook aborts:\n%s", watched)
	}
	if !strings.Contains(hooks, "hooks only (1 declared, none modelled)") {
		t.Errorf("MinimalFunction row does not say its detection is the hooks':\n%s", hooks)
	}
	for _, want := range []string{"what was read:", "declared: DeploymentPreference.Type: Linear10PercentEvery1Minute", "modelled: Linear10PercentEvery1Minute: done at 9m0s",
		"hook:     pre-traffic hook MySanityTestFunction", "detection comes only from the hooks' assumed catch probability"} {
		if !strings.Contains(out, want) {
			t.Errorf("--explain lacks %q:\n%s", want, out)
		}
	}

	js := mustRun(t, "evaluate", "--runs", "2", "-o", "json", realHooks)
	var doc struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Rows) != 1 {
		t.Fatalf("%d rows", len(doc.Rows))
	}
	r := doc.Rows[0]
	if r["strategy"] != "MinimalFunction" || r["modelled"] != "Linear10PercentEvery1Minute: done at 9m0s" || r["hook_only_detection"] != true || r["policy_never_fires"] != true {
		t.Errorf("row %v", r)
	}
	if _, ok := r["runs"]; !ok {
		t.Errorf("the row lost the table's fields: %v", r)
	}
}

// A template whose only function uses a configuration made outside it:
// evaluated with nothing, one stderr line says so, status 0; --strict makes
// it status 1; --deployment-config supplies the configuration.
func TestEvaluateNothingStrictAndDeploymentConfig(t *testing.T) {
	code, _, errs := runCLI(t, "evaluate", "--runs", "2", realCustom)
	if code != 0 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "nothing to simulate") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	code, _, errs = runCLI(t, "evaluate", "--runs", "2", "--strict", realCustom)
	if code != 1 || !strings.Contains(errs, "--strict: 2 warnings") {
		t.Errorf("--strict: exit %d, stderr %q", code, errs)
	}
	out := mustRun(t, "evaluate", "--runs", "2", "--deployment-config", "TestDeploymentConfiguration=Linear:20%,2m", "--explain", realCustom)
	if !strings.Contains(out, "modelled: Linear20PercentEvery2Minutes: done at 8m0s") {
		t.Errorf("supplied configuration not used:\n%s", out)
	}
	code, _, errs = runCLI(t, "evaluate", "--deployment-config", "Linear:20%,2m", realCustom)
	if code != 2 || !strings.Contains(errs, "want NAME=STRATEGY") {
		t.Errorf("bad --deployment-config: exit %d, stderr %q", code, errs)
	}
	code, _, _ = runCLI(t, "evaluate", "--runs", "2", "--strict", "testdata/sam.yaml")
	if code != 1 {
		t.Errorf("--strict with warnings: exit %d", code)
	}
}
