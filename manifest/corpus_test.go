package manifest

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deploysim/deploysim/sim"
)

// realFiles is what each file of testdata/real (see its README) declares, as
// its own tool reads it: the deployables by name, and each one's schedule as
// the tool's closed form gives it (CodeDeploy: Linear p% every m min reaches
// 100 % at (⌈100/p⌉-1)·m; Flagger: interval × ⌈maxWeight/stepWeight⌉; Argo:
// the sum of the pauses, pause {} standing for the assumed hour). A file
// without a gradual deployment lists none.
var realFiles = map[string]map[string]string{
	"argo/analysis-templates.yaml":                                     {},
	"argo/analysistemplate-web-background.yaml":                        {},
	"argo/rollout-alb-experiment-no-setweight.yaml":                    {"alb-rollout": "Argo steps: pause 1h0m0s, then 100% at 1h0m0s"},
	"argo/rollout-analysis-step.yaml":                                  {"rollout-analysis-step": "Argo steps: setWeight 25, then 100% at 0s"},
	"argo/rollout-apisix-canary-set-header.yaml":                       {"rollout-apisix-canary": "Argo steps: pause 15s, pause 15s, setWeight 5, pause 15s, setWeight 50, pause 15s, then 100% at 1m0s"},
	"argo/rollout-background-analysis.yaml":                            {"rollout-background-analysis": "Argo steps: setWeight 25, pause 1h0m0s, then 100% at 1h0m0s"},
	"argo/rollout-bluegreen.yaml":                                      {"rollout-bluegreen": "BlueGreen60Minutes: done at 1h0m0s"},
	"argo/rollout-canary.yaml":                                         {"rollout-canary": "Argo steps: setWeight 20, pause 1h0m0s, setWeight 40, pause 40s, setWeight 60, pause 20s, setWeight 80, pause 20s, then 100% at 1h1m20s"},
	"argo/rollout-experiment-step.yaml":                                {"rollout-experiment-step": "Argo steps: setWeight 25, pause 1h0m0s, then 100% at 1h0m0s"},
	"argo/rollout-inline-analysis.yaml":                                {"rollout-inline-analysis": "Argo steps: setWeight 10, pause 1h0m0s, then 100% at 1h0m0s"},
	"flagger/appmesh-canary.yaml":                                      {"podinfo": "Flagger: 15s × ⌈50/5⌉ = 10 steps of 5%, then 100% at 2m30s"},
	"flagger/docs-istio-progressive-delivery.yaml":                     {"podinfo": "Flagger: 1m0s × ⌈50/10⌉ = 5 steps of 10%, then 100% at 5m0s"},
	"flagger/gatewayapi-test-canary.yaml":                              {"podinfo": "Flagger: 15s × ⌈50/10⌉ = 5 steps of 10%, then 100% at 1m15s"},
	"flagger/istio-abtest.yaml":                                        {"podinfo": "BlueGreen:2m30s: done at 2m30s"},
	"flagger/istio-canary.yaml":                                        {"podinfo": "Flagger: 15s × ⌈50/5⌉ = 10 steps of 5%, then 100% at 2m30s"},
	"flagger/kuma-canary.yaml":                                         {"podinfo": "Flagger: 15s × ⌈50/10⌉ = 5 steps of 10%, then 100% at 1m15s"},
	"flagger/linkerd-canary-steps.yaml":                                {"podinfo": "Flagger: 15s × 11 steps (5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55%), then 100% at 2m45s"},
	"sam/api_with_canary_setting.yaml":                                 {"ExplicitApi": "setWeight 100, pause 1h0m0s, then 100% at 1h0m0s", "ServerlessRestApi": "setWeight 100, pause 1h0m0s, then 100% at 1h0m0s"},
	"sam/function_with_custom_codedeploy_deployment_preference.yaml":   {},
	"sam/function_with_deployment_preference_alarms_intrinsic_if.yaml": {"MinimalFunction": "Linear10PercentEvery3Minutes: done at 27m0s"},
	"sam/function_with_deployment_preference_passthrough_condition_with_supported_intrinsics.yaml": {
		"TrueRef": "Linear10PercentEvery3Minutes: done at 27m0s", "FalseRef": "Linear10PercentEvery3Minutes: done at 27m0s",
		"TrueFindInMap": "Linear10PercentEvery3Minutes: done at 27m0s", "FalseFindInMap": "Linear10PercentEvery3Minutes: done at 27m0s",
	},
	"sam/error_function_with_deployment_preference_missing_alias.yaml":        nil,
	"sam/function_with_deployment_preference.yaml":                            {"MinimalFunction": "Linear10PercentEvery3Minutes: done at 27m0s"},
	"sam/function_with_deployment_preference_all_parameters.yaml":             {"MinimalFunction": "Linear10PercentEvery1Minute: done at 9m0s"},
	"sam/function_with_deployment_preference_condition_with_passthrough.yaml": {"MinimalFunction": "Linear10PercentEvery3Minutes: done at 27m0s"},
	"sam/function_with_deployment_preference_from_parameters.yaml":            {"MinimalFunction": "Linear10PercentEvery1Minute: done at 9m0s"},
	"sam/function_with_deployment_preference_multiple_combinations.yaml": {
		"MinimalFunctionWithMinimalDeploymentPreference":            "Canary10Percent5Minutes: done at 5m0s",
		"MinimalFunctionWithDeploymentPreferenceWithHooksAndAlarms": "Linear10PercentEvery2Minutes: done at 18m0s",
	},
	"sam-cli/aws-serverless-function-codedeploy-warning.yaml":           {"Function": "Linear10PercentEvery1Minute: done at 9m0s"},
	"sam-cli/aws-serverless-function-codedeploy-condition-warning.yaml": nil,
	"sam-cli/language-extensions-foreach.yaml":                          {},
	"sam-output/api_with_canary_setting.json":                           {"ExplicitApi": "setWeight 100, pause 1h0m0s, then 100% at 1h0m0s", "ServerlessRestApi": "setWeight 100, pause 1h0m0s, then 100% at 1h0m0s"},
	"sam-output/function_with_deployment_preference_multiple_combinations.json": {
		"MinimalFunctionWithMinimalDeploymentPreference":            "Canary10Percent5Minutes: done at 5m0s",
		"MinimalFunctionWithDeploymentPreferenceWithHooksAndAlarms": "Linear10PercentEvery2Minutes: done at 18m0s",
	},
}

// realErrors are the files their own tool refuses, with the rule the error
// must name (SAM's translator test error_function_with_deployment_preference_missing_alias).
var realErrors = map[string]string{
	// CloudFormation refuses a Condition that Conditions does not define.
	"sam-cli/aws-serverless-function-codedeploy-condition-warning.yaml": `condition "true" is not defined in Conditions`,
	"sam/error_function_with_deployment_preference_missing_alias.yaml":  "has a DeploymentPreference but no AutoPublishAlias",
}

// Every real file is read: each one that declares a gradual deployment
// gives its deployables with what it declares, and each is simulated once
// (a bad candidate, so that policies and hooks act); a file that declares
// none says so in a warning; an error is one line naming the file. Every
// file in testdata/real is in the table, and every table entry is a file.
func TestRealFiles(t *testing.T) {
	paths, err := filepath.Glob("testdata/real/*/*")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range paths {
		rel := strings.TrimPrefix(filepath.ToSlash(p), "testdata/real/")
		if strings.HasSuffix(rel, ".md") {
			continue
		}
		seen[rel] = true
		want, listed := realFiles[rel]
		t.Run(rel, func(t *testing.T) {
			if !listed {
				t.Fatalf("%s is not in realFiles: say what it declares", rel)
			}
			f, err := ReadFile(p)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), p+":") {
					t.Fatalf("not one line naming the file: %v", err)
				}
				if rule, ok := realErrors[rel]; !ok || !strings.Contains(err.Error(), rule) {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if _, ok := realErrors[rel]; ok {
				t.Fatalf("read, but its tool refuses it (%s)", realErrors[rel])
			}
			if len(f.Deployables) != len(want) {
				t.Errorf("%d deployables, want %d", len(f.Deployables), len(want))
			}
			if len(want) == 0 && len(f.Warnings) == 0 {
				t.Error("nothing to simulate, and no warning says so")
			}
			for _, d := range f.Deployables {
				if got := d.Explain().Modelled; got != want[d.Name] {
					t.Errorf("%s: modelled %q, want %q", d.Name, got, want[d.Name])
				}
				base := sim.BaseScenario()
				base.Workload = sim.Poisson{Rate: 2}
				base.Seed = 1
				base.Fault = sim.Fault{ErrorProb: 0.5}
				if _, err := sim.Run(d.Apply(base)); err != nil {
					t.Errorf("%s: %v", d.Name, err)
				}
			}
		})
	}
	for rel := range realFiles {
		if !seen[rel] {
			t.Errorf("realFiles lists %s, which is not in testdata/real", rel)
		}
	}
}
