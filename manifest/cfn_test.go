package manifest

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// SAM's translator test pair (testdata/real/sam and sam-output): the SAM
// template and the CloudFormation SAM translates it into give the same
// deployables — names, strategies, hooks, alarms — and the same simulated
// runs. The translation names the group MinimalFunction…DeploymentGroup and
// ties it to the function by the alias's UpdatePolicy, whose
// BeforeAllowTrafficHook and AfterAllowTrafficHook are the SAM Hooks.
func TestSAMAndItsTranslationReadTheSame(t *testing.T) {
	sam := read(t, "testdata/real/sam/function_with_deployment_preference_multiple_combinations.yaml")
	cfn := read(t, "testdata/real/sam-output/function_with_deployment_preference_multiple_combinations.json")
	if len(sam.Deployables) != 2 || len(cfn.Deployables) != 2 {
		t.Fatalf("%d SAM and %d CloudFormation deployables, want 2 and 2", len(sam.Deployables), len(cfn.Deployables))
	}
	byName := func(ds []Deployable) []Deployable {
		out := append([]Deployable(nil), ds...)
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out
	}
	s, c := byName(sam.Deployables), byName(cfn.Deployables)
	base := sim.BaseScenario()
	base.Workload = sim.Poisson{Rate: 5}
	base.Seed = 11
	base.Fault = sim.Fault{ErrorProb: 0.2}
	for i := range s {
		a, b := s[i], c[i]
		if a.Name != b.Name || !strategy.Equal(a.Strategy, b.Strategy) || a.PreTrafficHook != b.PreTrafficHook || a.PostTrafficHook != b.PostTrafficHook ||
			a.PreTraffic != b.PreTraffic || a.PostTraffic != b.PostTraffic || !reflect.DeepEqual(a.Alarms, b.Alarms) || (a.Policy == nil) != (b.Policy == nil) {
			t.Errorf("SAM %s %v hooks %q %q %d alarms\nCFN %s %v hooks %q %q %d alarms", a.Name, a.Strategy, a.PreTrafficHook, a.PostTrafficHook, len(a.Alarms),
				b.Name, b.Strategy, b.PreTrafficHook, b.PostTrafficHook, len(b.Alarms))
			continue
		}
		ra, err := sim.Run(a.Apply(base))
		if err != nil {
			t.Fatal(err)
		}
		rb, err := sim.Run(b.Apply(base))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ra, rb) {
			t.Errorf("%s: runs differ:\nSAM %+v\nCFN %+v", a.Name, ra, rb)
		}
	}
	if d := s[0]; d.Name != "MinimalFunctionWithDeploymentPreferenceWithHooksAndAlarms" || d.PreTrafficHook != "MySanityTestFunction" || d.PostTrafficHook != "MyValidationTestFunction" {
		t.Errorf("first deployable %s hooks %q %q", d.Name, d.PreTrafficHook, d.PostTrafficHook)
	}
}

// A Condition on a deployment group, its alias or its function is honoured
// on the CloudFormation path, as it is on SAM's.
func TestCFNConditions(t *testing.T) {
	const tmpl = `Parameters:
  Env: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Fn:
    Type: AWS::Lambda::Function
    %s
    Properties: {Handler: h, Runtime: python3.12}
  Ver:
    Type: AWS::Lambda::Version
    Properties: {FunctionName: !Ref Fn}
  Live:
    Type: AWS::Lambda::Alias
    %s
    UpdatePolicy:
      CodeDeployLambdaAliasUpdate:
        ApplicationName: !Ref App
        DeploymentGroupName: !Ref Group
        BeforeAllowTrafficHook: !Ref Check
    Properties: {FunctionName: !Ref Fn, FunctionVersion: !GetAtt Ver.Version, Name: live}
  Check:
    Type: AWS::Lambda::Function
    Properties: {Handler: h, Runtime: python3.12}
  App:
    Type: AWS::CodeDeploy::Application
    Properties: {ComputePlatform: Lambda}
  Group:
    Type: AWS::CodeDeploy::DeploymentGroup
    %s
    Properties:
      ApplicationName: !Ref App
      DeploymentConfigName: CodeDeployDefault.LambdaCanary10Percent5Minutes
`
	const cond = "Condition: IsProd"
	for name, c := range map[string][3]string{"none": {"", "", ""}, "function": {cond, "", ""}, "alias": {"", cond, ""}, "group": {"", "", cond}} {
		t.Run(name, func(t *testing.T) {
			src := tmpl
			for _, x := range c {
				src = strings.Replace(src, "%s", x, 1)
			}
			f, err := Read("t.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if name == "none" {
				d := only(t, f)
				if d.Name != "Fn" || d.PreTrafficHook != "Check" || !d.PreTraffic.Enabled() || !strategy.Equal(d.Strategy, strategy.LambdaCanary10Percent5Minutes) {
					t.Errorf("%s %v hook %q", d.Name, d.Strategy, d.PreTrafficHook)
				}
				return
			}
			if len(f.Deployables) != 0 {
				t.Fatalf("condition on the %s: %d deployables", name, len(f.Deployables))
			}
			found := false
			for _, w := range f.Warnings {
				found = found || strings.Contains(w.Message, "Condition is false")
			}
			if !found {
				t.Errorf("no warning: %v", f.Warnings)
			}
		})
	}
}

// Hooks SAM does not read are ignored with a warning, as SAM ignores them;
// a misspelt PreTraffic is an error that names it.
func TestUnknownHooks(t *testing.T) {
	f := mustRead(t, string(tmpl("        Type: AllAtOnce\n        Hooks:\n          BeforeAllowTraffic: !Ref X\n", "")))
	if d := only(t, f); d.PreTraffic.Enabled() || !hasWarning(d.Warnings, 11, `hook "BeforeAllowTraffic" is not one SAM reads`) {
		t.Errorf("hook %+v, warnings:\n%s", d.PreTraffic, dumpWarnings(d.Warnings))
	}
	_, err := Read("t.yaml", tmpl("        Type: AllAtOnce\n        Hooks:\n          PreTrafic: !Ref X\n", ""))
	if err == nil || !strings.Contains(err.Error(), `unknown hook "PreTrafic": did you mean PreTraffic?`) {
		t.Errorf("err = %v", err)
	}
}
